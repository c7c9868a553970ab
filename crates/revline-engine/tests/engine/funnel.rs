//! Reports against hand-computed fixtures, and the shard-merge property.

use proptest::prelude::*;
use revline_core::parse::{ParseOptions, RowText, parse_record};
use revline_core::time::parse_timestamp;
use revline_core::{Record, RecordKind, Settings};
use revline_engine::funnel::{FunnelQuery, View, finish, partial};
use revline_engine::slice::Scope;
use revline_engine::{SnapshotBuilder, funnel};

fn record(kind: RecordKind, pairs: &[(&str, &str)]) -> Record {
    let row = RowText::from_pairs(kind, pairs);
    parse_record(kind, row, &Settings::default(), &ParseOptions::default()).unwrap()
}

fn t(s: &str) -> i64 {
    parse_timestamp(s, chrono_tz::Tz::UTC).unwrap()
}

fn fixture() -> Vec<Record> {
    use RecordKind::*;
    let contact = |id, at| record(Contacts, &[("contact_id", id), ("created_at", at)]);
    let stage = |id, s, at| {
        record(
            Stages,
            &[("contact_id", id), ("stage", s), ("occurred_at", at)],
        )
    };
    vec![
        contact("c1", "2026-01-01"),
        stage("c1", "mql", "2026-01-03"),
        stage("c1", "sql", "2026-01-05"),
        record(
            Deals,
            &[
                ("deal_id", "d1"),
                ("contact_id", "c1"),
                ("created_at", "2026-01-10"),
                ("closed_at", "2026-01-20"),
                ("status", "won"),
            ],
        ),
        contact("c2", "2026-01-02"),
        stage("c2", "mql", "2026-01-04"),
        contact("c3", "2026-01-03"),
        stage("c3", "sql", "2026-01-06"), // mql skipped: implied at the same instant
        stage("c3", "mql", "2026-01-08"), // after sql: rework
        contact("c4", "2026-01-05"),
        contact("c5", "2025-12-20"), // before the period
        stage("c5", "mql", "2026-01-02"),
        contact("c6", "2026-01-04"),
        record(
            Revenue,
            &[
                ("contact_id", "c6"),
                ("occurred_at", "2026-02-01"),
                ("amount", "100"),
            ],
        ), // first revenue: customer
        record(
            Deals,
            &[
                ("deal_id", "d9"),
                ("account_id", "a1"),
                ("created_at", "2026-01-10"),
                ("status", "open"),
            ],
        ), // no contact
    ]
}

fn query(as_of: &str, window_days: Option<f64>) -> FunnelQuery {
    FunnelQuery {
        from: t("2026-01-01"),
        to: t("2026-02-01"),
        as_of: t(as_of),
        window_days,
        view: View::Cohort,
    }
}

fn snapshot() -> revline_engine::Snapshot {
    let mut b = SnapshotBuilder::new(&Settings::default());
    for r in fixture() {
        b.add(&r);
    }
    b.build()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn cohort_funnel_matches_the_hand_computation() {
    let report = funnel(&snapshot(), &query("2026-03-01", None));
    let reached: Vec<u64> = report.stages.iter().map(|s| s.reached).collect();
    assert_eq!(reached, vec![5, 4, 3, 2, 2]);
    let s = &report.stages;
    assert_eq!(s[0].step_conversion, None, "the first stage has no step");
    assert!(close(s[1].step_conversion, 0.8) && close(s[2].step_conversion, 0.75));
    assert!(close(s[3].step_conversion, 2.0 / 3.0) && close(s[4].step_conversion, 1.0));
    assert!(close(s[2].cumulative_conversion, 0.6) && close(s[4].cumulative_conversion, 0.4));
    // Days from the previous stage: mql [2, 2, 3, 28], sql [0, 0, 2], opportunity [0, 5],
    // customer [0, 10]; percentile_cont.
    assert!(close(s[1].median_days_from_previous, 2.5) && close(s[1].p90_days_from_previous, 20.5));
    assert!(close(s[2].median_days_from_previous, 0.0) && close(s[2].p90_days_from_previous, 1.6));
    assert!(close(s[3].median_days_from_previous, 2.5) && close(s[3].p90_days_from_previous, 4.5));
    assert!(close(s[4].median_days_from_previous, 5.0) && close(s[4].p90_days_from_previous, 9.0));
    assert_eq!(s[0].median_days_from_previous, None);
    assert_eq!(
        s.iter().map(|r| r.rework).collect::<Vec<_>>(),
        vec![0, 1, 0, 0, 0]
    );
    // Wilson 90% for 4 of 5 (computed independently in Python from the textbook formula).
    assert!(
        close(s[1].step_conversion_low, 0.435_292_553_421_543_3),
        "{:?}",
        s[1].step_conversion_low
    );
    assert_eq!(report.period.from, "2026-01-01T00:00:00Z");
    assert_eq!(report.as_of, "2026-03-01T00:00:00Z");
}

#[test]
fn as_of_and_conversion_window_cut_the_counts() {
    let early = funnel(&snapshot(), &query("2026-01-15", None));
    assert_eq!(
        early.stages.iter().map(|s| s.reached).collect::<Vec<_>>(),
        vec![5, 3, 2, 1, 0]
    );
    assert_eq!(early.stages[4].step_conversion, Some(0.0));
    let windowed = funnel(&snapshot(), &query("2026-03-01", Some(7.0)));
    assert_eq!(
        windowed
            .stages
            .iter()
            .map(|s| s.reached)
            .collect::<Vec<_>>(),
        vec![5, 3, 2, 0, 0]
    );
    assert_eq!(
        windowed.stages[4].step_conversion, None,
        "0 of 0 is undefined, not 0"
    );
}

#[test]
fn flow_view_counts_entries_in_the_period() {
    let q = FunnelQuery {
        view: View::Flow,
        ..query("2026-03-01", None)
    };
    let report = funnel(&snapshot(), &q);
    // c5 entered mql on 2026-01-02 although it became a lead in December; c6's entries
    // on 2026-02-01 fall after the period.
    assert_eq!(
        report.stages.iter().map(|s| s.reached).collect::<Vec<_>>(),
        vec![5, 4, 2, 1, 1]
    );
    assert_eq!(report.view, View::Flow);
    assert!(close(report.stages[1].median_days_from_previous, 2.5));
    assert!(close(
        report.stages[1].p90_days_from_previous,
        3.0 + 0.7 * 10.0
    ));
    assert!(close(report.stages[2].median_days_from_previous, 1.0));
}

#[test]
fn an_empty_period_gives_nulls_not_errors() {
    let q = FunnelQuery {
        from: t("2020-01-01"),
        to: t("2020-02-01"),
        as_of: t("2026-03-01"),
        window_days: None,
        view: View::Cohort,
    };
    let report = funnel(&snapshot(), &q);
    assert!(
        report
            .stages
            .iter()
            .all(|s| s.reached == 0 && s.step_conversion.is_none())
    );
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["stages"][1]["step_conversion"].is_null());
}

fn arbitrary_records() -> impl Strategy<Value = Vec<Record>> {
    let stages = ["lead", "mql", "sql", "opportunity", "customer"];
    prop::collection::vec((0u8..40, 0usize..5, 0i64..120, prop::bool::ANY), 1..200).prop_map(
        move |events| {
            let mut out = Vec::new();
            for c in 0..40u8 {
                out.push(record(
                    RecordKind::Contacts,
                    &[
                        ("contact_id", &format!("c{c}")),
                        ("created_at", "2026-01-01"),
                    ],
                ));
            }
            for (c, s, day, won) in events {
                let at = format!("2026-{:02}-{:02}", 1 + day / 28, 1 + day % 28);
                let id = format!("c{c}");
                if won && s == 4 {
                    out.push(record(
                        RecordKind::Deals,
                        &[
                            ("deal_id", &format!("d{c}-{day}")),
                            ("contact_id", &id),
                            ("created_at", &at),
                            ("closed_at", &at),
                            ("status", "won"),
                        ],
                    ));
                } else {
                    out.push(record(
                        RecordKind::Stages,
                        &[
                            ("contact_id", &id),
                            ("stage", stages[s]),
                            ("occurred_at", &at),
                        ],
                    ));
                }
            }
            out
        },
    )
}

proptest! {
    #[test]
    fn shards_merged_give_the_one_shard_answer(records in arbitrary_records(), cut_a in 0usize..41, cut_b in 0usize..41) {
        let mut b = SnapshotBuilder::new(&Settings::default());
        for r in &records {
            b.add(r);
        }
        let snap = b.build();
        let q = FunnelQuery { from: t("2026-01-01"), to: t("2026-02-01"), as_of: t("2026-04-01"), window_days: None, view: View::Cohort };
        let n = snap.contacts();
        let (a, b) = (cut_a.min(n).min(cut_b.min(n)), cut_a.min(n).max(cut_b.min(n)));
        let whole = finish(&snap.stages, &q, partial(&snap, &q, &Scope::ALL, 0..n));
        let merged = partial(&snap, &q, &Scope::ALL, b..n)
            .merge(partial(&snap, &q, &Scope::ALL, 0..a))
            .merge(partial(&snap, &q, &Scope::ALL, a..b));
        prop_assert_eq!(&finish(&snap.stages, &q, merged), &whole);
        prop_assert_eq!(&funnel(&snap, &q), &whole);
        // The flow view merges the same way.
        let flow = FunnelQuery { view: View::Flow, ..q };
        let flow_whole = finish(&snap.stages, &flow, partial(&snap, &flow, &Scope::ALL, 0..n));
        let flow_merged = partial(&snap, &flow, &Scope::ALL, a..n).merge(partial(&snap, &flow, &Scope::ALL, 0..a));
        prop_assert_eq!(&finish(&snap.stages, &flow, flow_merged), &flow_whole);
        let mut previous = 1.0;
        for s in &whole.stages {
            for rate in [s.step_conversion, s.cumulative_conversion, s.step_conversion_low, s.step_conversion_high].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&rate));
            }
            if let Some(c) = s.cumulative_conversion {
                prop_assert!(c <= previous);
                previous = c;
            }
        }
    }
}
