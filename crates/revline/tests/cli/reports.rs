//! `revline report` as scripts use it: every report in every format on a demo
//! workspace, breakdowns, journeys, and the real datasets checked against figures
//! computed here, independently, from the raw files.

use super::{olist_store, revline, run, shared, stdout};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

fn demo_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("demo.db");
    let out = run(revline(&db).args(["demo", "--contacts", "800", "--end", "2026-11-01"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

/// The conversions an attribution model credits to its channels, added up.
pub(crate) fn credited_conversions(model: &serde_json::Value) -> f64 {
    model["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversions"].as_f64().unwrap())
        .sum()
}

pub(crate) fn json_of(db: &Path, args: &[&str]) -> serde_json::Value {
    let out = run(revline(db)
        .arg("report")
        .args(args)
        .args(["--format", "json"]));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stdout(&out)))
}

#[test]
fn every_report_prints_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    for name in [
        "scorecard",
        "funnel",
        "sla",
        "cohorts",
        "forecast",
        "bottlenecks",
        "attribution",
    ] {
        for format in ["table", "json", "csv"] {
            let out = run(revline(&db).args([
                "report",
                name,
                "--as-of",
                "2026-11-01",
                "--format",
                format,
            ]));
            assert!(
                out.status.success(),
                "{name} {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = stdout(&out);
            assert!(text.lines().count() > 1, "{name} {format}: {text}");
            if format == "json" {
                let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert!(
                    json["as_of"].is_string() && json["period"]["from"].is_string(),
                    "{name}"
                );
            }
        }
    }
    // The scorecard names every metric of the interface, with value, previous, target, unit.
    let card = json_of(&db, &["scorecard", "--as-of", "2026-11-01"]);
    let names: Vec<&str> = card["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            for field in ["value", "previous", "target", "unit"] {
                assert!(m.get(field).is_some(), "{m} lacks {field}");
            }
            m["name"].as_str().unwrap()
        })
        .collect();
    for name in [
        "revenue",
        "new_customers",
        "pipeline_created",
        "win_rate",
        "avg_deal_size",
        "sales_cycle_days",
        "sales_velocity",
        "pipeline_coverage",
        "cac",
        "nrr",
        "grr",
        "logo_churn",
        "ltv",
        "ltv_cac",
        "lead_response_minutes",
    ] {
        assert!(names.contains(&name), "scorecard lacks {name}");
    }
    // Reach is only ever shown beside conversion to customer and cost per customer.
    for row in card["reach"].as_array().unwrap() {
        assert!(
            row.get("conversion_to_customer").is_some() && row.get("cost_per_customer").is_some()
        );
    }
    let revenue = card["metrics"][0]["value"].as_f64().unwrap();
    assert!(revenue > 0.0);
    // The demo sets a revenue target for every month: the year's target is their sum.
    assert!(
        card["metrics"][0]["target"].as_f64().is_some(),
        "{}",
        card["metrics"][0]
    );
}

#[test]
fn breakdowns_keep_the_overall_fields_and_add_segments() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    for report in ["funnel", "scorecard", "sla", "cohorts"] {
        let json = json_of(&db, &[report, "--as-of", "2026-11-01", "--by", "channel"]);
        assert_eq!(json["by"], "channel", "{report}");
        let segments = json["segments"].as_array().unwrap();
        assert!(
            segments.len() >= 10,
            "{report}: {} channels",
            segments.len()
        );
        assert!(segments.iter().all(|s| s["value"].is_string()));
    }
    // The funnel's segments add up to the whole, stage by stage.
    let json = json_of(&db, &["funnel", "--as-of", "2026-11-01", "--by", "owner"]);
    for k in 0..5 {
        let whole = json["stages"][k]["reached"].as_u64().unwrap();
        let parts: u64 = json["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stages"][k]["reached"].as_u64().unwrap())
            .sum();
        assert_eq!(whole, parts, "stage {k}");
    }
    let out = run(revline(&db).args(["report", "funnel", "--by", "colour"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown dimension 'colour'"));
    let csv = stdout(&run(
        revline(&db).args(["report", "sla", "--by", "segment", "--format", "csv"])
    ));
    assert!(csv.starts_with("segment,leads,"), "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("(all),"), "{csv}");
}

#[test]
fn journeys_show_one_contact_or_account_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let export = dir.path().join("export");
    assert!(
        run(revline(&db).arg("export").arg(&export))
            .status
            .success()
    );
    // A contact of the demo that became a customer: its won deal names it.
    let deals = std::fs::read_to_string(export.join("deals.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(deals.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let won = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[col("status")] == "won" && !r[col("contact_id")].is_empty())
        .expect("a won deal with a contact");
    let contact = won[col("contact_id")].to_string();
    let json = json_of(&db, &["journeys", "--contact", &contact]);
    assert_eq!(json["subject"], "contact");
    let events = json["events"].as_array().unwrap();
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "events in time order");
    let kinds: HashSet<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for k in ["created", "touchpoint", "deal_created", "deal_won"] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
    let account = won[col("account_id")].to_string();
    let acc = json_of(&db, &["journeys", "--account", &account]);
    assert!(acc["events"].as_array().unwrap().len() >= events.len());
    assert!(
        acc["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == contact.as_str())
    );
    let out = run(revline(&db).args(["report", "journeys", "--contact", "nobody"]));
    assert_eq!(out.status.code(), Some(2));
    let out = run(revline(&db).args(["report", "journeys"]));
    assert_eq!(out.status.code(), Some(2));
}

/// Olist records won deals but no revenue: what their customers paid since is unknown,
/// and attribution leaves it out rather than showing 0 retained.
#[test]
fn attribution_without_revenue_records_shows_no_retained_revenue() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_, db)) = olist_store(dir.path()) else {
        return;
    };
    let json = json_of(
        &db,
        &[
            "attribution",
            "--from",
            "2017-01-01",
            "--as-of",
            "2019-01-01",
        ],
    );
    let channels = json["models"][0]["channels"].as_array().unwrap();
    assert!(
        json["models"][0]["conversions"].as_f64().unwrap() > 0.0,
        "{json}"
    );
    assert!(
        channels.iter().all(|c| c.get("retained_revenue").is_none()),
        "{json}"
    );
}

/// Regression (seen on Olist, which records won deals but no revenue): the retention
/// page showed an LTV of 0.00 USD for every channel and the cohorts 0% logo retention.
/// Without revenue the cohorts keep their customers and say why the rest is no data.
#[test]
fn cohorts_without_revenue_records_show_no_retention_or_ltv() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_, db)) = olist_store(dir.path()) else {
        return;
    };
    let json = json_of(
        &db,
        &[
            "cohorts",
            "--from",
            "2017-01-01",
            "--as-of",
            "2019-01-01",
            "--by",
            "channel",
        ],
    );
    assert_eq!(json["reason_code"], "no_revenue", "{json}");
    assert!(json["customers"].as_u64().unwrap() > 800, "{json}");
    let mut rows: Vec<&serde_json::Value> = json["cohorts"].as_array().unwrap().iter().collect();
    for seg in json["segments"].as_array().unwrap() {
        rows.extend(seg["cohorts"].as_array().unwrap());
    }
    assert!(rows.len() > 10);
    for row in rows {
        assert!(row["customers"].as_u64().unwrap() > 0, "{row}");
        for series in [
            "revenue",
            "active",
            "revenue_retention",
            "logo_retention",
            "ltv",
        ] {
            assert_eq!(row[series], serde_json::json!([]), "{series}: {row}");
        }
    }
}

/// Per Olist origin, the share of MQLs that became customers, counted from the raw files.
#[test]
fn olist_conversion_by_origin_matches_the_raw_files() {
    let dir = tempfile::tempdir().unwrap();
    let Some((data, db)) = olist_store(dir.path()) else {
        return;
    };
    let json = json_of(
        &db,
        &[
            "funnel",
            "--from",
            "2017-01-01",
            "--to",
            "2019-01-01",
            "--as-of",
            "2019-01-01",
            "--by",
            "channel",
        ],
    );

    let mut origin_of: HashMap<String, String> = HashMap::new();
    let mut reader =
        csv::Reader::from_path(data.join("olist_marketing_qualified_leads_dataset.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let origin = row[3].trim();
        let channel = if origin.is_empty() {
            "(none)".to_string()
        } else {
            revline_core::normalize::snake_case(origin)
        };
        origin_of.insert(row[0].to_string(), channel);
    }
    let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for channel in origin_of.values() {
        expected.entry(channel.clone()).or_default().0 += 1;
    }
    let mut reader = csv::Reader::from_path(data.join("olist_closed_deals_dataset.csv")).unwrap();
    let mut won = HashSet::new();
    for row in reader.records() {
        let mql = row.unwrap()[0].to_string();
        if won.insert(mql.clone()) {
            expected.get_mut(&origin_of[&mql]).unwrap().1 += 1;
        }
    }
    let segments = json["segments"].as_array().unwrap();
    assert_eq!(segments.len(), expected.len());
    for seg in segments {
        let value = seg["value"].as_str().unwrap();
        let (mqls, customers) = expected[value];
        let stages = seg["stages"].as_array().unwrap();
        assert_eq!(stages[1]["reached"].as_u64(), Some(mqls), "{value} mql");
        assert_eq!(
            stages[4]["reached"].as_u64(),
            Some(customers),
            "{value} customers"
        );
        let conversion = stages[4]["cumulative_conversion"].as_f64().unwrap();
        assert!(
            (conversion - customers as f64 / mqls as f64).abs() < 1e-12,
            "{value}"
        );
    }
    // paid_search is one of the big origins and converts at about a tenth.
    let (mqls, customers) = expected["paid_search"];
    assert!(mqls > 1000 && customers > 100, "{mqls} {customers}");
}

/// CDNOW's real purchase history: every purchase a revenue row of its customer.
fn cdnow_folder(data: &Path, out: &Path) -> Vec<(String, String, i64)> {
    let raw = std::fs::read_to_string(data.join("CDNOW_master.txt")).unwrap();
    let mut rows = Vec::new();
    for line in raw.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 4 {
            continue;
        }
        let cents: i64 = f[3].replace('.', "").parse().unwrap();
        let date = format!("{}-{}-{}", &f[1][..4], &f[1][4..6], &f[1][6..]);
        rows.push((f[0].to_string(), date, cents));
    }
    std::fs::create_dir_all(out).unwrap();
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    for (c, d, _) in &rows {
        let e = first.entry(c).or_insert(d);
        if d.as_str() < *e {
            *e = d;
        }
    }
    let mut contacts = String::from("contact_id,created_at\n");
    for (c, d) in &first {
        contacts += &format!("{c},{d}\n");
    }
    std::fs::write(out.join("contacts.csv"), contacts).unwrap();
    let mut revenue = String::from("revenue_id,contact_id,occurred_at,amount,kind\n");
    for (i, (c, d, cents)) in rows.iter().enumerate() {
        revenue += &format!("r{i},{c},{d},{}.{:02},one_off\n", cents / 100, cents % 100);
    }
    std::fs::write(out.join("revenue.csv"), revenue).unwrap();
    rows
}

/// One CDNOW purchase: customer, date, amount in cents.
pub(crate) type Purchase = (String, String, i64);

/// CDNOW's purchases imported into a store in `dir`: the rows (customer, date, cents)
/// and the store. `None` where the shared datasets are absent.
pub(crate) fn cdnow_store(dir: &Path) -> Option<(Vec<Purchase>, std::path::PathBuf)> {
    let data = shared("cdnow")?;
    let folder = dir.join("cdnow");
    let rows = cdnow_folder(&data, &folder);
    let db = dir.join("cdnow.db");
    let out = run(revline(&db).arg("import").arg(&folder));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((rows, db))
}

#[test]
fn cdnow_cohorts_and_retention_match_an_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    let Some((rows, db)) = cdnow_store(dir.path()) else {
        return;
    };

    // Independently: a customer is acquired at its first purchase of positive value.
    let month = |d: &str| d[..4].parse::<i32>().unwrap() * 12 + d[5..7].parse::<i32>().unwrap() - 1;
    let mut acquired: HashMap<&str, i32> = HashMap::new();
    for (c, d, cents) in &rows {
        if *cents > 0 {
            let m = month(d);
            let e = acquired.entry(c).or_insert(m);
            *e = (*e).min(m);
        }
    }
    let mut matrix: BTreeMap<i32, (u64, BTreeMap<i32, i64>)> = BTreeMap::new();
    for m in acquired.values() {
        matrix.entry(*m).or_default().0 += 1;
    }
    for (c, d, cents) in &rows {
        if let Some(&a) = acquired.get(c.as_str())
            && month(d) >= a
        {
            *matrix
                .get_mut(&a)
                .unwrap()
                .1
                .entry(month(d) - a)
                .or_default() += cents;
        }
    }
    let json = json_of(
        &db,
        &[
            "cohorts",
            "--from",
            "1997-01-01",
            "--to",
            "1998-01-01",
            "--as-of",
            "1998-07-01",
        ],
    );
    let cohorts = json["cohorts"].as_array().unwrap();
    // Every CDNOW customer first bought in Q1 1997, but a few first purchases were free
    // (0.00): those customers are acquired at their first paid purchase, later.
    assert!(
        matrix.len() > 3
            && matrix
                .keys()
                .copied()
                .take(3)
                .eq([0, 1, 2].map(|k| 1997 * 12 + k))
    );
    assert_eq!(cohorts.len(), matrix.len());
    assert_eq!(json["customers"].as_u64(), Some(acquired.len() as u64));
    for (row, (m, (customers, revenue))) in cohorts.iter().zip(&matrix) {
        assert_eq!(row["cohort"], format!("1997-{:02}", m % 12 + 1));
        assert_eq!(row["customers"].as_u64(), Some(*customers));
        let got: Vec<i64> = row["revenue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v.as_f64().unwrap() * 100.0).round() as i64)
            .collect();
        let want: Vec<i64> = (0..got.len() as i32)
            .map(|k| revenue.get(&k).copied().unwrap_or(0))
            .collect();
        assert_eq!(got, want, "cohort {m}");
        // Up to June 1998: 18 months for January's cohort, 17 for February's, ...
        assert_eq!(got.len() as i32, 12 * 1998 + 5 - m + 1);
    }

    // NRR and GRR of the first half of 1998 against the six whole months before it
    // (metrics.md: a range of whole months steps back by as many months). CDNOW holds
    // purchases only: the revenue basis.
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let (from, to) = (day("1998-01-01"), day("1998-07-01"));
    let before_from = day("1997-07-01");
    let mut before: HashMap<&str, i64> = HashMap::new();
    let mut now: HashMap<&str, i64> = HashMap::new();
    for (c, d, cents) in &rows {
        let d = day(d);
        if d >= before_from && d < from {
            *before.entry(c).or_default() += cents;
        } else if d >= from && d < to {
            *now.entry(c).or_default() += cents;
        }
    }
    let (mut base, mut kept, mut gross, mut members, mut lost) = (0i64, 0i64, 0i64, 0u64, 0u64);
    for (c, b) in &before {
        if *b > 0 {
            let n = now.get(c).copied().unwrap_or(0);
            base += b;
            kept += n;
            gross += n.min(*b);
            members += 1;
            lost += u64::from(n <= 0);
        }
    }
    let card = json_of(
        &db,
        &[
            "scorecard",
            "--from",
            "1998-01-01",
            "--to",
            "1998-07-01",
            "--as-of",
            "1998-07-01",
        ],
    );
    let value = |name: &str| {
        card["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    assert!((value("nrr") - kept as f64 / base as f64).abs() < 1e-12);
    assert!((value("grr") - gross as f64 / base as f64).abs() < 1e-12);
    assert!((value("logo_churn") - lost as f64 / members as f64).abs() < 1e-12);
    let revenue: i64 = now.values().sum();
    assert!((value("revenue") * 100.0 - revenue as f64).abs() < 0.5);
    // The cohorts report gives the same retention for the same period.
    let c = json_of(
        &db,
        &[
            "cohorts",
            "--from",
            "1998-01-01",
            "--to",
            "1998-07-01",
            "--as-of",
            "1998-07-01",
        ],
    );
    assert!((c["nrr"].as_f64().unwrap() - kept as f64 / base as f64).abs() < 1e-12);
}

#[test]
fn attribution_credits_every_conversion_under_every_model() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let json = json_of(
        &db,
        &["attribution", "--as-of", "2026-11-01", "--model", "all"],
    );
    let models = json["models"].as_array().unwrap();
    assert_eq!(models.len(), 7);
    for m in models {
        let total = m["conversions"].as_f64().unwrap();
        assert!(total > 0.0, "{}", m["model"]);
        let credited = credited_conversions(m);
        assert!(
            (credited - total).abs() < 1e-6,
            "{}: {credited} vs {total}",
            m["model"]
        );
        let value: f64 = m["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_f64().unwrap())
            .sum();
        assert!(
            (value - m["value"].as_f64().unwrap()).abs() < 1e-3,
            "{}",
            m["model"]
        );
    }
    assert!(!json["ranges"].as_array().unwrap().is_empty());
    // One model: the interface's shape, with removal effects for Markov.
    let one = json_of(
        &db,
        &[
            "attribution",
            "--as-of",
            "2026-11-01",
            "--model",
            "markov",
            "--order",
            "2",
        ],
    );
    assert_eq!(
        (one["model"].as_str(), one["order"].as_u64()),
        (Some("markov"), Some(2))
    );
    assert!(one["channels"][0]["removal_effect"].is_number());

    let paths = dir.path().join("paths.csv");
    std::fs::write(
        &paths,
        "path,total_conversions,total_conversion_value,total_null\nc1 > c2 > c3,1,100,0\nc1,0,0,1\nc2 > c3,0,0,1\n",
    )
    .unwrap();
    let p = json_of(
        &db,
        &[
            "attribution",
            "--paths",
            paths.to_str().unwrap(),
            "--model",
            "markov",
        ],
    );
    let credit: Vec<f64> = p["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversions"].as_f64().unwrap())
        .collect();
    assert!(
        credit
            .iter()
            .zip([0.2, 0.4, 0.4])
            .all(|(a, b)| (a - b).abs() < 1e-12),
        "{credit:?}"
    );
    // Campaigns instead of channels, and the revenue the credited customers kept paying.
    let camp = json_of(
        &db,
        &[
            "attribution",
            "--as-of",
            "2026-11-01",
            "--model",
            "linear",
            "--by",
            "campaign",
        ],
    );
    let names: Vec<&str> = camp["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channel"].as_str().unwrap())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("Webinar")), "{names:?}");
    let kept: f64 = one["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["retained_revenue"].as_f64().unwrap())
        .sum();
    assert!(kept > 0.0);
    let out = run(revline(&db).args(["report", "attribution", "--model", "magic"]));
    assert_eq!(out.status.code(), Some(2));
    let out = run(revline(&db).args([
        "report",
        "attribution",
        "--paths",
        paths.to_str().unwrap(),
        "--model",
        "time_decay",
    ]));
    assert_eq!(out.status.code(), Some(2));
}

/// Regression: `revline report ... | head` panicked on the closed pipe.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let mut child = revline(&db)
        .args(["report", "funnel", "--by", "campaign", "--format", "csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn bottlenecks_rank_every_link_and_answer_what_if() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let json = json_of(
        &db,
        &[
            "bottlenecks",
            "--as-of",
            "2026-11-01",
            "--what-if",
            "handoff=0.95",
        ],
    );
    let links: Vec<&str> = json["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["link"].as_str().unwrap())
        .collect();
    for link in [
        "conversion:lead->mql",
        "conversion:mql->sql",
        "conversion:sql->opportunity",
        "conversion:opportunity->customer",
        "time:mql",
        "time:customer",
        "handoff",
        "retention",
    ] {
        assert!(links.contains(&link), "{link} missing from {links:?}");
    }
    for f in json["findings"].as_array().unwrap() {
        for field in [
            "link",
            "kind",
            "segment",
            "current",
            "benchmark",
            "benchmark_source",
            "revenue_at_stake",
            "evidence",
        ] {
            assert!(f.get(field).is_some(), "{field}");
        }
    }
    let w = &json["what_if"];
    assert_eq!(w["link"], "handoff");
    assert!(w["revenue_after"].as_f64().unwrap() >= w["revenue_before"].as_f64().unwrap());
    let out = run(revline(&db).args(["report", "bottlenecks", "--what-if", "magic=0.5"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no link 'magic'"));
    let out = run(revline(&db).args(["report", "bottlenecks", "--what-if", "handoff=2"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn users_and_tokens_for_scripts() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let mut child = revline(&db)
        .args([
            "user",
            "add",
            "--email",
            "Ann@Example.com",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("ann@example.com (admin)"));
    // The same email again is refused; so is an unknown role.
    let again = run(revline(&db)
        .args([
            "user",
            "add",
            "--email",
            "ann@example.com",
            "--role",
            "viewer",
        ])
        .stdin(std::process::Stdio::null()));
    assert_eq!(again.status.code(), Some(2));
    let role =
        run(revline(&db).args(["user", "add", "--email", "x@example.com", "--role", "owner"]));
    assert_eq!(role.status.code(), Some(2));
    let out = run(revline(&db).args(["token", "create", "--email", "ann@example.com"]));
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let token = text.lines().last().unwrap();
    assert!(token.starts_with("rvl_") && token.len() == 68, "{text}");
    // Only its digest is stored.
    let raw = std::fs::read(&db).unwrap();
    assert!(!raw.windows(token.len()).any(|w| w == token.as_bytes()));
    let out = run(revline(&db).args(["token", "create", "--email", "nobody@example.com"]));
    assert_eq!(out.status.code(), Some(2));
}
