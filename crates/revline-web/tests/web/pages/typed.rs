//! Regressions of the pages reading report JSON by field name, found when they moved to
//! the engine's typed results.

use super::*;

/// The API link a page offers for its report, as JSON.
fn json_link(body: &str, report: &str) -> String {
    let start = body
        .find(&format!("href=\"/api/v1/reports/{report}?"))
        .expect(report);
    let rest = &body[start + 6..];
    rest[..rest.find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("format=csv", "format=json")
}

/// By campaign, the page looked for a `campaigns` list the engine never writes (campaigns
/// are credited under `channels`), so the table was empty.
pub async fn attribution_by_campaign_lists_every_campaign(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let page = w.get("/attribution?by=campaign", Some(&ann)).await;
    assert_eq!(page.status, StatusCode::OK);
    let report: Value = serde_json::from_str(
        &w.get(&json_link(&page.body, "attribution"), Some(&ann))
            .await
            .body,
    )
    .unwrap();
    let campaigns: Vec<&str> = report["models"][0]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channel"].as_str().unwrap())
        .collect();
    assert!(campaigns.len() > 1, "the demo credits several campaigns");
    let table = &page.body[page.body.find("id=\"attribution\"").unwrap()..];
    let body = &table[table.find("<tbody").unwrap()..table.find("</tbody>").unwrap()];
    assert_eq!(body.matches("<tr").count(), campaigns.len(), "{body}");
    for campaign in campaigns {
        assert!(body.contains(&format!(">{campaign}<")), "{campaign}");
    }
}

/// A what-if rate typed the Polish way (`0,95`) is the same lift as `0.95`; a rate that
/// is not a number is a clear 400, not a silent no-op.
pub async fn a_what_if_rate_reads_a_decimal_comma(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let what_if = |body: &str| {
        let start = body.find("id=\"what-if\"").expect("a what-if");
        body[start..start + body[start..].find("</section>").unwrap()].to_string()
    };
    let point = w
        .get(
            "/bottlenecks?what_if_link=handoff&what_if_rate=0.95",
            Some(&ann),
        )
        .await;
    let comma = w
        .get(
            "/bottlenecks?what_if_link=handoff&what_if_rate=0%2C95",
            Some(&ann),
        )
        .await;
    assert_eq!(comma.status, StatusCode::OK);
    assert_eq!(what_if(&point.body), what_if(&comma.body));
    let bad = w
        .get(
            "/bottlenecks?what_if_link=handoff&what_if_rate=lots",
            Some(&ann),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("lots"));
}

/// Settings offered target metrics (`pipeline_created`, `cac`, `grr`) that the data
/// contract does not take, so choosing one was refused on saving.
pub async fn every_target_metric_offered_is_accepted(w: Web) {
    let admin = w.user("ann@example.com", "admin").await;
    let page = w.get("/settings", Some(&admin)).await;
    let select = &page.body[page.body.find("name=\"metric\"").unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    let offered: Vec<&str> = select
        .split("<option value=\"")
        .skip(1)
        .map(|o| &o[..o.find('"').unwrap()])
        .collect();
    assert_eq!(offered, revline_core::record::TARGET_METRICS);
    for metric in offered {
        let r = w
            .post_form(
                "/settings/targets",
                Some(&admin),
                &format!("metric={metric}&period=2026-Q4&value=1+234%2C5"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{metric}: {}", r.body);
    }
    let targets = w
        .state
        .store
        .read_page(RecordKind::Targets, None, 100)
        .await
        .unwrap();
    assert_eq!(targets.len(), revline_core::record::TARGET_METRICS.len());
}
