//! Real datasets that lack whole kinds of record (Olist: no amounts, spend, sales
//! touches or lost deals; CDNOW: revenue only), and whose data ended years ago: what
//! they do not hold reads as no data with its reason, never 0, 0% or 100%, and the
//! reports open on the last period that has data.

use super::reports::{cdnow_store, credited_conversions, json_of};
use super::{olist_store, revline, run};

fn metric<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

#[track_caller]
fn no_data(report: &serde_json::Value, name: &str, reason: &str) {
    let m = metric(report, name);
    assert!(m["value"].is_null(), "{name}: {m}");
    assert!(
        m["reason"].as_str().is_some_and(|r| r.contains(reason)),
        "{name}: {m}"
    );
}

#[test]
fn olist_without_amounts_spend_sales_touches_or_losses_shows_no_data_not_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let Some((data, db)) = olist_store(dir.path()) else {
        return;
    };
    // No period given: the data ends in November 2018, so the report opens on the
    // twelve months before it, not on an empty year.
    let card = json_of(&db, &["scorecard"]);
    assert_eq!(
        card["period"]["from"], "2017-11-01T00:00:00Z",
        "{}",
        card["period"]
    );
    assert_eq!(card["period"]["to"], "2018-11-01T00:00:00Z");
    no_data(&card, "win_rate", "no lost deal");
    no_data(&card, "sales_cycle_days", "recorded when it closed");
    no_data(&card, "pipeline_created", "no deal has an amount");
    no_data(&card, "avg_deal_size", "amount");
    no_data(&card, "cac", "no spend");
    no_data(&card, "sla_breach_rate", "no sales touchpoint");
    no_data(&card, "lead_response_minutes", "no sales touchpoint");
    no_data(&card, "revenue", "no revenue");

    // Independently from the raw file: the deals won in the period are the
    // conversions every attribution model credits, in conversions since none has a value.
    let raw = std::fs::read_to_string(data.join("olist_closed_deals_dataset.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(raw.as_bytes());
    let won_at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "won_date")
        .unwrap();
    let won_in_period = reader
        .records()
        .map(|r| r.unwrap()[won_at].to_string())
        .filter(|d| d.as_str() >= "2017-11-01" && d.as_str() < "2018-11-01")
        .count() as f64;
    let attribution = json_of(&db, &["attribution", "--model", "all"]);
    assert_eq!(attribution["credit"], "conversions");
    for m in attribution["models"].as_array().unwrap() {
        assert_eq!(
            m["conversions"].as_f64(),
            Some(won_in_period),
            "{}",
            m["model"]
        );
        let credited = credited_conversions(m);
        assert!(
            (credited - won_in_period).abs() < 1e-6,
            "{}: {credited}",
            m["model"]
        );
        assert!(
            m["channels"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["roas"].is_null())
        );
    }

    let bottlenecks = json_of(&db, &["bottlenecks"]);
    assert_eq!(bottlenecks["ranked_by"], "conversions");
    let lost: Vec<f64> = bottlenecks["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["conversions_lost"].as_f64().unwrap_or(0.0))
        .collect();
    assert!(
        !lost.is_empty() && lost.windows(2).all(|w| w[0] >= w[1]),
        "{lost:?}"
    );
    assert!(bottlenecks["findings"][0]["facts"]["revenue"].is_null());

    let sla = json_of(&db, &["sla"]);
    assert!(
        sla["breach_rate"].is_null() && sla["breached"].is_null(),
        "{sla}"
    );
    assert!(sla["reason"].is_string());

    // The command says how far the data goes.
    let out = run(revline(&db).args(["report", "funnel"]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("data up to 2018-11-14"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cdnow_revenue_only_shows_no_sla_and_opens_on_its_last_year() {
    let dir = tempfile::tempdir().unwrap();
    let Some((rows, db)) = cdnow_store(dir.path()) else {
        return;
    };
    let last = rows.iter().map(|r| r.1.as_str()).max().unwrap().to_string();
    assert_eq!(last, "1998-06-30");
    let card = json_of(&db, &["scorecard"]);
    // Data up to 30 June 1998: the 12 whole months before June 1998.
    assert_eq!(
        card["period"]["from"], "1997-06-01T00:00:00Z",
        "{}",
        card["period"]
    );
    assert_eq!(card["period"]["to"], "1998-06-01T00:00:00Z");
    no_data(&card, "sla_breach_rate", "no sales touchpoint");
    no_data(&card, "win_rate", "no deal closed");
    no_data(&card, "pipeline_created", "no deals");
    no_data(&card, "cac", "no spend");
    assert!(metric(&card, "revenue")["value"].as_f64().unwrap() > 0.0);
    let sla = json_of(&db, &["sla"]);
    assert!(
        sla["breached"].is_null() && sla["within_sla"].is_null(),
        "{sla}"
    );
}
