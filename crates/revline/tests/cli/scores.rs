//! `revline report scores`: the JSON contract on the demo, flags checked, and the real
//! Olist leads, trained on 2017 and judged on 2018, checked against counts and an AUC
//! worked out here from the raw files.

use super::reports::json_of;
use super::{olist_store, revline, run, stdout};
use std::collections::HashMap;

#[test]
fn scores_follow_the_contract_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    run(revline(&db).args(["demo", "--contacts", "1500", "--end", "2026-11-01"]));
    let args = [
        "scores",
        "--target",
        "SQL",
        "--train-as-of",
        "2026-05-01",
        "--from",
        "2026-05-01",
        "--to",
        "2026-08-01",
        "--as-of",
        "2026-11-01",
    ];
    let json = json_of(&db, &args);
    let model = &json["model"];
    assert_eq!(model["target"], "sql");
    assert_eq!(model["horizon_days"], 90.0);
    for key in ["from", "to", "contacts", "positives"] {
        assert!(model["trained_on"].get(key).is_some(), "trained_on.{key}");
    }
    assert!(model["auc"].as_f64().unwrap() > 0.5, "{}", model["auc"]);
    assert!(model["brier"].is_number());
    for bin in model["calibration"].as_array().unwrap() {
        for key in ["bin", "predicted", "observed", "count"] {
            assert!(bin.get(key).is_some(), "calibration.{key}");
        }
    }
    let features = model["features"].as_array().unwrap();
    assert!(
        features
            .iter()
            .all(|f| f["name"].is_string() && f["importance"].is_number())
    );
    let contacts = json["contacts"].as_array().unwrap();
    assert!(!contacts.is_empty());
    for c in contacts {
        let score = c["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score));
        for r in c["reasons"].as_array().unwrap() {
            for key in ["feature", "value", "contribution"] {
                assert!(r.get(key).is_some(), "reasons.{key}");
            }
        }
    }
    // CSV: one row per scored contact, best first.
    let out = run(revline(&db)
        .arg("report")
        .args(args)
        .args(["--format", "csv"]));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("contact_id,score,reason_1,")
    );
    assert_eq!(lines.count(), contacts.len());
    let table = stdout(&run(revline(&db).arg("report").args(args)));
    assert!(
        table.contains("AUC") && table.contains("Threshold"),
        "{table}"
    );

    // A stage that is not the funnel's, or the first stage, is a usage error.
    for bad in ["demo_booked", "lead"] {
        let out = run(revline(&db).args(["report", "scores", "--target", bad]));
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--target"), "{err}");
    }
    let out = run(revline(&db).args(["report", "scores", "--horizon-days", "0"]));
    assert_eq!(out.status.code(), Some(2));
}

/// The rank-sum AUC of scores against outcomes, ties counting half.
fn auc(pairs: &[(f64, bool)]) -> f64 {
    let (mut hit, mut pos, mut neg) = (0.0, 0.0, 0.0);
    for &(a, ya) in pairs {
        if !ya {
            neg += 1.0;
            continue;
        }
        pos += 1.0;
        for &(b, yb) in pairs {
            if !yb {
                hit += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    hit / (pos * neg)
}

#[test]
fn olist_leads_trained_on_2017_are_judged_on_2018() {
    let dir = tempfile::tempdir().unwrap();
    let Some((data, db)) = olist_store(dir.path()) else {
        return;
    };
    // Leads of 2017 whose 180 days had passed by mid-2018 teach; the leads of the
    // first five months of 2018, not yet matured then, are judged by December.
    let json = json_of(
        &db,
        &[
            "scores",
            "--target",
            "customer",
            "--horizon-days",
            "180",
            "--train-as-of",
            "2018-06-30",
            "--from",
            "2018-01-01",
            "--to",
            "2018-06-01",
            "--as-of",
            "2018-12-01",
        ],
    );
    let date = |s: &str| chrono::NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap();
    let mut won: HashMap<String, chrono::NaiveDateTime> = HashMap::new();
    let mut reader = csv::Reader::from_path(data.join("olist_closed_deals_dataset.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let at = chrono::NaiveDateTime::parse_from_str(&row[4], "%Y-%m-%d %H:%M:%S").unwrap();
        won.entry(row[0].to_string()).or_insert(at);
    }
    let horizon = chrono::Duration::days(180);
    let day = |d: &str| date(d).and_hms_opt(0, 0, 0).unwrap();
    // Reached within 180 days of the first contact, as known at `known`; None while
    // the 180 days have not passed.
    let outcome = |id: &str, entry: chrono::NaiveDateTime, known: chrono::NaiveDateTime| {
        (entry + horizon <= known).then(|| {
            won.get(id)
                .is_some_and(|&w| w <= entry + horizon && w <= known)
        })
    };
    let (train_at, now) = (day("2018-06-30"), day("2018-12-01"));
    let (mut trained, mut positives) = (0u64, 0u64);
    let mut judged: Vec<(String, bool)> = Vec::new();
    let mut reader =
        csv::Reader::from_path(data.join("olist_marketing_qualified_leads_dataset.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let (id, entry) = (row[0].to_string(), day(&row[1]));
        if let Some(y) = outcome(&id, entry, train_at) {
            trained += 1;
            positives += u64::from(y);
        } else if entry >= day("2018-01-01")
            && entry < day("2018-06-01")
            && let Some(y) = outcome(&id, entry, now)
        {
            judged.push((id, y));
        }
    }
    let model = &json["model"];
    assert_eq!(model["trained_on"]["contacts"].as_u64(), Some(trained));
    assert_eq!(model["trained_on"]["positives"].as_u64(), Some(positives));
    assert!(model["trained_on"]["to"].as_str().unwrap() < "2018-01-02");
    assert_eq!(model["judged_on"].as_u64(), Some(judged.len() as u64));
    let score: HashMap<&str, f64> = json["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["contact_id"].as_str().unwrap(),
                c["score"].as_f64().unwrap(),
            )
        })
        .collect();
    let pairs: Vec<(f64, bool)> = judged
        .iter()
        .map(|(id, y)| (score[id.as_str()], *y))
        .collect();
    let expected = auc(&pairs);
    let reported = model["auc"].as_f64().unwrap();
    assert!(
        (reported - expected).abs() < 1e-9,
        "{reported} vs {expected}"
    );
    // Olist's 2017 leads seldom closed within the horizon (26 of 2011): the landing
    // page and origin rank 2018's leads only a little better than chance, as a
    // reference logistic regression on the same features does (docs/reports.md).
    assert!(reported > 0.5, "{reported}");
    // Calibration bins add up to the judged leads.
    let bins = model["calibration"].as_array().unwrap();
    let counted: u64 = bins.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, judged.len() as u64);
    // Score bands on the real leads: the funnel's breakdown adds up to the whole, and a
    // band's filter is that band's slice.
    let period = [
        "--from",
        "2018-01-01",
        "--to",
        "2018-06-01",
        "--as-of",
        "2018-12-01",
    ];
    let by = json_of(
        &db,
        &[&["funnel", "--by", "score_band"][..], &period].concat(),
    );
    let segments = by["segments"].as_array().unwrap();
    let leads = |v: &serde_json::Value| v["stages"][0]["reached"].as_u64().unwrap();
    assert!(leads(&by) > 1_000, "{}", leads(&by));
    assert_eq!(segments.iter().map(leads).sum::<u64>(), leads(&by));
    let top = &segments[0];
    assert_eq!(top["value"], "top 0–10%");
    // A tenth of the leads, give or take ties of equal scores.
    let share = leads(top) as f64 / leads(&by) as f64;
    assert!((0.05..=0.2).contains(&share), "{share}");
    let filtered = json_of(
        &db,
        &[&["funnel", "--filter", "score_band:top 0–10%"][..], &period].concat(),
    );
    assert_eq!(filtered["stages"], top["stages"]);
}
