//! Lead scoring in the app: the scoring page, the score column in Records, the "why"
//! panel in Journeys and score bands as a breakdown and filter, each checked against
//! the API's report with the same parameters.

use super::*;
use revline_web::pages::url_encode;

fn api(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The text of the element whose id is `id`, up to its section's end.
fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &body[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

pub async fn the_scoring_page_shows_the_model_and_threshold_of_the_report(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let query = "from=2026-01-01&to=2026-07-01&capacity=12";
    let page = w.get(&format!("/scores?{query}"), Some(&ann)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The page trains on what was known when its period began.
    let report = api(&w
        .get(
            &format!("/api/v1/reports/scores?{query}&train_as_of=2026-01-01"),
            Some(&ann),
        )
        .await
        .body);
    let tr = Tr::new(Lang::En);
    let m = &report["model"];
    let auc = m["auc"]
        .as_f64()
        .expect("the demo's later leads are judged");
    assert!(
        page.body
            .contains(&format!("data-figure=\"scores:0\">{}<", tr.number(auc, 3))),
        "AUC {auc}"
    );
    let judged = m["judged_on"].as_u64().unwrap();
    assert!(
        page.body
            .contains(&format!("{} leads of the period", tr.count(judged as f64)))
    );
    // The calibration table has a row per bin, with its count.
    let cal = section(&page.body, "calibration");
    let bins = m["calibration"].as_array().unwrap();
    assert_eq!(cal.matches("<tr><td>").count(), bins.len());
    for b in bins {
        assert!(cal.contains(&format!(
            ">{}</td></tr>",
            tr.count(b["count"].as_f64().unwrap())
        )));
    }
    // The threshold for the given capacity, and last quarter's check.
    let th = &report["threshold"];
    assert_eq!(th["capacity_per_month"].as_f64(), Some(12.0));
    let tool = section(&page.body, "threshold");
    assert!(tool.contains(&format!("≥ {}", tr.percent(th["score"].as_f64().unwrap()))));
    let q = &th["last_quarter"];
    for key in [
        "leads",
        "passed",
        "mqls",
        "mqls_passed",
        "mqls_missed",
        "passed_not_mql",
    ] {
        let n = q[key].as_u64().unwrap();
        assert!(
            tool.contains(&format!("<td class=\"num\">{}</td>", tr.count(n as f64))),
            "{key} {n}"
        );
    }
    // The best-scored lead comes first, with its score and reasons.
    let leads = section(&page.body, "scored-leads");
    let first = &report["contacts"][0];
    let id = first["contact_id"].as_str().unwrap();
    let row = &leads[leads.find(&format!(">{id}</a>")).expect("the best lead")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(&tr.percent(first["score"].as_f64().unwrap())));
    assert_eq!(
        row.matches('↑').count() + row.matches('↓').count(),
        first["reasons"].as_array().unwrap().len()
    );
    // A capacity that is not a number is a clear 400.
    let bad = w.get("/scores?capacity=lots", Some(&ann)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("lots"));
}

pub async fn records_show_each_contacts_score_and_journeys_say_why(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let report = api(&w
        .get("/api/v1/reports/scores?from=1970-01-01", Some(&ann))
        .await
        .body);
    let scores: std::collections::HashMap<&str, &Value> = report["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["contact_id"].as_str().unwrap(), c))
        .collect();
    let tr = Tr::new(Lang::En);
    let page = w.get("/records?kind=contacts", Some(&ann)).await;
    assert_eq!(page.status, StatusCode::OK);
    let cells: Vec<&str> = page.body.split("data-score=\"").skip(1).collect();
    assert!(cells.len() >= 20, "a page of contacts");
    let mut scored = 0;
    for cell in &cells {
        let id = &cell[..cell.find('"').unwrap()];
        let shown = &cell[cell.find("#why\">").unwrap() + 6..cell.find("</a>").unwrap()];
        match scores.get(id) {
            Some(c) => {
                scored += 1;
                assert_eq!(shown, tr.percent(c["score"].as_f64().unwrap()), "{id}");
            }
            None => assert_eq!(shown, "–", "{id} never became a lead"),
        }
    }
    assert!(scored > 0);
    // The why panel of the best-scored contact: its score and every reason.
    let best = &report["contacts"][0];
    let id = best["contact_id"].as_str().unwrap();
    let journey = w
        .get(&format!("/journeys?q={}", url_encode(id)), Some(&ann))
        .await;
    assert_eq!(journey.status, StatusCode::OK);
    let why = section(&journey.body, "why");
    assert!(why.contains(&format!(
        "data-figure=\"score\">{}<",
        tr.percent(best["score"].as_f64().unwrap())
    )));
    assert_eq!(
        why.matches("<li").count(),
        best["reasons"].as_array().unwrap().len()
    );
}

pub async fn score_bands_break_the_funnel_down_and_filter_attribution_and_bottlenecks(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let funnel = w.get("/funnel?by=score_band", Some(&ann)).await;
    assert_eq!(funnel.status, StatusCode::OK);
    for (band, _) in revline_engine::bands::SCORE_BANDS {
        assert!(funnel.body.contains(band), "{band}");
    }
    let top = url_encode(&format!(
        "score_band:{}",
        revline_engine::bands::SCORE_BANDS[0].0
    ));
    for page in ["attribution", "bottlenecks", "funnel"] {
        let r = w.get(&format!("/{page}?filter={top}"), Some(&ann)).await;
        assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.body);
        // The filter is kept and offered on the page, and its CSV carries it.
        assert!(r.body.contains("selected>Score band: top 0–10%"), "{page}");
        assert!(r.body.contains(&format!("filter={top}")), "{page}");
    }
    let conversions = |body: &str| api(body)["models"][0]["conversions"].as_f64().unwrap();
    let all = conversions(&w.get("/api/v1/reports/attribution", Some(&ann)).await.body);
    let filtered = conversions(
        &w.get(
            &format!("/api/v1/reports/attribution?filter={top}"),
            Some(&ann),
        )
        .await
        .body,
    );
    assert!(filtered > 0.0 && filtered < all, "{filtered} of {all}");
}

/// A workspace too young to learn from: the Records column and the why panel say that
/// nobody is scored and why, rather than "never became a lead" or a score of 0%.
pub async fn too_little_history_is_said_not_shown_as_zero(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let report = api(&w
        .get("/api/v1/reports/scores?from=1970-01-01", Some(&ann))
        .await
        .body);
    assert!(report["model"]["reason"].is_string(), "{}", report["model"]);
    let records = w.get("/records?kind=contacts", Some(&ann)).await;
    assert!(section(&records.body, "score-note").contains("No lead is scored."));
    assert!(!records.body.contains("0.0%"));
    let journey = w.get("/journeys?q=con-0000001", Some(&ann)).await;
    let why = section(&journey.body, "why");
    assert!(why.contains("No lead is scored."), "{why}");
    assert!(!why.contains("never became a lead"));
    // Without a cut, nothing was passed or held back: no figure, not a zero.
    let page = w.get("/scores", Some(&ann)).await;
    let tool = section(&page.body, "threshold");
    assert!(
        tool.contains("Leads the cut passes</td><td class=\"num\">–</td>"),
        "{tool}"
    );
}
