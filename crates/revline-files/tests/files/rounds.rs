//! Reports that look across shards and so take more than one round: account-based
//! attribution (an account's people sit in several shards) and anything by score band
//! (the model is trained on every shard's leads). Each is the whole snapshot's report.

use super::demo;
use super::shards::{from_shards, from_shards_in_rounds};
use revline_core::parse::{ParseOptions, RowText, parse_record};
use revline_core::{Record, RecordKind, Settings};
use revline_demo::demo_settings;
use revline_engine::bands::SCORE_BANDS;
use revline_engine::query::{ReportKind, ReportParams, ReportQuery, run};
use revline_engine::snapshot::{Snapshot, SnapshotBuilder};
use revline_files::write;
use std::sync::OnceLock;

fn snapshot() -> &'static Snapshot {
    static DEMO: OnceLock<Snapshot> = OnceLock::new();
    DEMO.get_or_init(|| demo(1_500))
}

fn query(kind: ReportKind, p: ReportParams) -> ReportQuery {
    ReportQuery::parse(kind, &p, &demo_settings(), 0).unwrap()
}

fn account_based(from: &str, conversion: &str, extra: impl Fn(&mut ReportParams)) -> ReportQuery {
    let mut p = ReportParams {
        from: Some(from.into()),
        as_of: Some("2026-06-01".into()),
        conversion: Some(conversion.into()),
        account_based: Some(true),
        ..ReportParams::default()
    };
    extra(&mut p);
    query(ReportKind::Attribution, p)
}

/// Every model's credit per channel: (model, channel, conversions, value). A report of
/// one model is that model's.
fn credits(report: &serde_json::Value) -> Vec<(String, String, f64, f64)> {
    let one = [report.clone()];
    let models = report["models"].as_array().map_or(&one[..], Vec::as_slice);
    let mut out = Vec::new();
    for m in models {
        for c in m["channels"].as_array().unwrap() {
            out.push((
                m["model"].as_str().unwrap().to_string(),
                c["channel"].as_str().unwrap().to_string(),
                c["conversions"].as_f64().unwrap(),
                c["value"].as_f64().unwrap(),
            ));
        }
    }
    out
}

#[test]
fn account_based_attribution_from_every_shard_is_the_whole_snapshots() {
    let s = snapshot();
    let queries = [
        account_based("2024-01-01", "won", |_| {}),
        account_based("2025-01-01", "created", |p| p.lookback_days = Some(30.0)),
        account_based("2024-06-01", "stage:sql", |p| p.order = Some(2)),
        account_based("2024-01-01", "stage:mql", |_| {}),
        account_based("2024-01-01", "won", |p| p.by = Some("campaign".into())),
        account_based("2024-01-01", "won", |p| {
            p.touches = Some("marketing".into())
        }),
        account_based("2024-01-01", "won", |p| {
            p.filter = Some("segment:smb".into())
        }),
    ];
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 7).unwrap();
        for q in &queries {
            let whole = run(s, q).unwrap().to_json();
            assert!(
                whole["models"][0]["conversions"].as_f64().unwrap() > 0.0,
                "{whole}"
            );
            let (merged, rounds) = from_shards_in_rounds(dir.path(), q);
            assert_eq!(merged, whole, "{shards} shards");
            assert_eq!(rounds, 2);
        }
    }
    // Gathering an account's people changes the credit: the check is not idle.
    let mut person = queries[0].clone();
    person.attribution.account_based = false;
    assert_ne!(
        credits(&run(s, &person).unwrap().to_json()),
        credits(&run(s, &queries[0]).unwrap().to_json())
    );
}

fn record(kind: RecordKind, pairs: &[(&str, &str)]) -> Record {
    let row = RowText::from_pairs(kind, pairs);
    parse_record(kind, row, &Settings::default(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{kind} {pairs:?}: {e:?}"))
}

/// Account a1 has three people (p1, p2, p3), a2 one (q1), a3 none; s1 and n1 have no
/// account. Deals won on 1 February: d1 (p1, a1, 900), d2 (s1 but account a3, 100),
/// d3 (a2 without a contact, 50), d4 (neither, 10). n1 never converts.
fn accounts_apart() -> Snapshot {
    use RecordKind::*;
    let mut records = vec![
        record(Accounts, &[("account_id", "a1")]),
        record(Accounts, &[("account_id", "a2")]),
        record(Accounts, &[("account_id", "a3")]),
    ];
    for (id, account) in [
        ("p1", "a1"),
        ("p2", "a1"),
        ("p3", "a1"),
        ("q1", "a2"),
        ("s1", ""),
        ("n1", ""),
    ] {
        records.push(record(
            Contacts,
            &[
                ("contact_id", id),
                ("account_id", account),
                ("created_at", "2026-01-02T09:00:00Z"),
            ],
        ));
    }
    for (contact, at, channel) in [
        ("p1", "2026-01-10T10:00:00Z", "paid_search"),
        // Two touches at one instant.
        ("p2", "2026-01-12T10:00:00Z", "webinar"),
        ("p2", "2026-01-12T10:00:00Z", "email"),
        ("p3", "2026-01-20T10:00:00Z", "referral"),
        ("q1", "2026-01-15T10:00:00Z", "email"),
        ("s1", "2026-01-18T10:00:00Z", "webinar"),
        ("n1", "2026-01-05T10:00:00Z", "email"),
    ] {
        records.push(record(
            Touchpoints,
            &[
                ("contact_id", contact),
                ("occurred_at", at),
                ("channel", channel),
            ],
        ));
    }
    for (deal, contact, account, amount) in [
        ("d1", "p1", "a1", "900"),
        ("d2", "s1", "a3", "100"),
        ("d3", "", "a2", "50"),
        ("d4", "", "", "10"),
    ] {
        records.push(record(
            Deals,
            &[
                ("deal_id", deal),
                ("contact_id", contact),
                ("account_id", account),
                ("created_at", "2026-01-25T00:00:00Z"),
                ("closed_at", "2026-02-01T00:00:00Z"),
                ("status", "won"),
                ("amount", amount),
            ],
        ));
    }
    let mut b = SnapshotBuilder::new(&Settings::default());
    for r in &records {
        b.add(r);
    }
    b.build()
}

fn won_in_2026(account_based: bool, model: &str) -> ReportQuery {
    let p = ReportParams {
        from: Some("2026-01-01".into()),
        to: Some("2026-03-01".into()),
        as_of: Some("2026-03-01".into()),
        conversion: Some("won".into()),
        account_based: Some(account_based),
        model: Some(model.into()),
        ..ReportParams::default()
    };
    ReportQuery::parse(ReportKind::Attribution, &p, &Settings::default(), 0).unwrap()
}

/// The value a model credits each channel, by channel.
fn values(report: &serde_json::Value) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = credits(report)
        .into_iter()
        .filter(|c| c.3 != 0.0)
        .map(|c| (c.1, c.3))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn pairs(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    list.iter().map(|(c, v)| (c.to_string(), *v)).collect()
}

#[test]
fn an_accounts_journey_gathers_its_people_wherever_they_sit_and_a_deal_of_an_empty_account_is_its_contacts()
 {
    let s = accounts_apart();
    // By hand. d1 gathers a1's people: paid search (p1), email and webinar at one
    // instant (p2), referral (p3). d2's account a3 has no people: it is s1's journey,
    // webinar. d3 has no contact: a2's q1, email. d4 has no one: (none).
    let first = pairs(&[
        ("(none)", 10.0),
        ("email", 50.0),
        ("paid_search", 900.0),
        ("webinar", 100.0),
    ]);
    let last = pairs(&[
        ("(none)", 10.0),
        ("email", 50.0),
        ("referral", 900.0),
        ("webinar", 100.0),
    ]);
    let linear = pairs(&[
        ("(none)", 10.0),
        ("email", 275.0),
        ("paid_search", 225.0),
        ("referral", 225.0),
        ("webinar", 325.0),
    ]);
    // One person's journeys: d1 is p1's alone; d3 has no contact to follow.
    let alone = pairs(&[("(none)", 60.0), ("paid_search", 900.0), ("webinar", 100.0)]);
    for shards in 1..=6 {
        let dir = tempfile::tempdir().unwrap();
        write(&s, dir.path(), shards, 3).unwrap();
        for (model, expected) in [
            ("first_touch", &first),
            ("last_touch", &last),
            ("linear", &linear),
        ] {
            let q = won_in_2026(true, model);
            let whole = run(&s, &q).unwrap().to_json();
            assert_eq!(&values(&whole), expected, "{model}");
            assert_eq!(
                from_shards(dir.path(), &q),
                whole,
                "{model}, {shards} shards"
            );
        }
        let q = won_in_2026(false, "first_touch");
        assert_eq!(values(&run(&s, &q).unwrap().to_json()), alone);
        // Markov: the people of a converting account are not paths that failed.
        let q = won_in_2026(true, "markov");
        assert_eq!(
            from_shards(dir.path(), &q),
            run(&s, &q).unwrap().to_json(),
            "markov, {shards} shards"
        );
    }
}

fn banded(kind: ReportKind, extra: impl Fn(&mut ReportParams)) -> ReportQuery {
    let mut p = ReportParams {
        from: Some("2025-07-01".into()),
        to: Some("2026-01-01".into()),
        as_of: Some("2026-06-01".into()),
        ..ReportParams::default()
    };
    extra(&mut p);
    query(kind, p)
}

#[test]
fn reports_by_score_band_from_every_shard_are_the_whole_snapshots() {
    let s = snapshot();
    let top = format!("score_band:{}", SCORE_BANDS[0].0);
    let rest = format!("score_band:{}", SCORE_BANDS[3].0);
    let mut queries = Vec::new();
    for kind in [
        ReportKind::Funnel,
        ReportKind::Sla,
        ReportKind::Scorecard,
        ReportKind::Cohorts,
        ReportKind::Mrr,
        ReportKind::Forecast,
    ] {
        queries.push(banded(kind, |p| p.by = Some("score_band".into())));
        queries.push(banded(kind, |p| p.filter = Some(top.clone())));
    }
    for kind in [ReportKind::Attribution, ReportKind::Bottlenecks] {
        queries.push(banded(kind, |p| p.filter = Some(rest.clone())));
    }
    queries.push(banded(ReportKind::Members, |p| {
        p.filter = Some(top.clone());
        p.stage = Some("sql".into());
    }));
    // A band's account-based attribution: the bands, then the two rounds of accounts.
    let mut accounts = banded(ReportKind::Attribution, |p| p.filter = Some(top.clone()));
    accounts.attribution.account_based = true;
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 7).unwrap();
        for q in &queries {
            let whole = run(s, q).unwrap().to_json();
            let (merged, rounds) = from_shards_in_rounds(dir.path(), q);
            assert_eq!(merged, whole, "{:?} {:?} {:?}", q.kind, q.by, q.filter);
            assert_eq!(rounds, 2);
        }
        let (merged, rounds) = from_shards_in_rounds(dir.path(), &accounts);
        assert_eq!(merged, run(s, &accounts).unwrap().to_json());
        assert_eq!(rounds, 3);
    }
    // The bands select: the top band's funnel is not the whole funnel, nor the rest's.
    let funnel = |filter: Option<&str>| {
        let q = banded(ReportKind::Funnel, |p| p.filter = filter.map(Into::into));
        run(s, &q).unwrap().to_json()["stages"][0]["reached"]
            .as_u64()
            .unwrap()
    };
    let (all, best, worst) = (funnel(None), funnel(Some(&top)), funnel(Some(&rest)));
    assert!(
        best > 0 && best < worst && worst < all,
        "{best} {worst} {all}"
    );
}
