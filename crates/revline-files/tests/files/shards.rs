//! One shard at a time: every shard's partial, merged, is the report of the whole
//! snapshot (what a cluster's executors compute, without the cluster).

use super::demo;
use proptest::prelude::*;
use revline_demo::demo_settings;
use revline_engine::query::{ReportKind, ReportParams, ReportQuery, run};
use revline_engine::shard::{ShardReads, ShardTask, Step};
use revline_engine::slice::{Dim, Segmentation};
use revline_engine::snapshot::{NONE, Snapshot};
use revline_files::{read_shard, read_shared, write};
use std::path::Path;
use std::sync::OnceLock;

fn snapshot() -> &'static Snapshot {
    static DEMO: OnceLock<Snapshot> = OnceLock::new();
    DEMO.get_or_init(|| demo(1_200))
}

fn funnel_query(from: &str, to: Option<&str>, view: &str, window_days: Option<f64>) -> ReportQuery {
    let p = ReportParams {
        from: Some(from.into()),
        to: to.map(Into::into),
        as_of: Some("2026-06-01".into()),
        view: Some(view.into()),
        window_days,
        ..ReportParams::default()
    };
    ReportQuery::parse(ReportKind::Funnel, &p, &demo_settings(), 0).unwrap()
}

/// An attribution query over the demo: every model unless `model` names one.
fn attribution_query(
    from: &str,
    conversion: &str,
    extra: impl Fn(&mut ReportParams),
) -> ReportQuery {
    let mut p = ReportParams {
        from: Some(from.into()),
        as_of: Some("2026-06-01".into()),
        conversion: Some(conversion.into()),
        ..ReportParams::default()
    };
    extra(&mut p);
    ReportQuery::parse(ReportKind::Attribution, &p, &demo_settings(), 0).unwrap()
}

/// The report merged from every shard of the files in `dir`, round after round as a
/// cluster's client runs it, as JSON.
pub(crate) fn from_shards(dir: &Path, q: &ReportQuery) -> serde_json::Value {
    from_shards_in_rounds(dir, q).0
}

/// The report from every shard of the files in `dir`, and how many rounds it took.
pub(crate) fn from_shards_in_rounds(dir: &Path, q: &ReportQuery) -> (serde_json::Value, usize) {
    let m = revline_files::Manifest::read(dir).unwrap().unwrap();
    let mut task = ShardTask::of(q).unwrap();
    for round in 1.. {
        let partials = (0..m.shards).map(|i| {
            let files = read_shard(dir, &m.generation, i, task.reads()).unwrap();
            task.partial(&files.snapshot, files.owned())
        });
        let shared = read_shared(dir, &m.generation, task.finish_reads_tables()).unwrap();
        let dims = revline_files::read_shared_dims(dir, &m.generation).unwrap();
        match task
            .finish(&shared, &dims, m.contacts as usize, partials)
            .unwrap()
        {
            Step::Done(out) => return (out.to_json(), round),
            Step::Next(next) => task = *next,
        }
    }
    unreachable!("rounds end in a report")
}

#[test]
fn every_shard_count_gives_the_funnel_of_the_whole_snapshot() {
    let s = snapshot();
    let queries = [
        funnel_query("2024-01-01", None, "cohort", None),
        funnel_query("2025-01-01", Some("2025-07-01"), "flow", None),
        funnel_query("2020-01-01", None, "cohort", Some(30.0)),
    ];
    for shards in [1, 2, 5, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 7).unwrap();
        for q in &queries {
            let whole = run(s, q).unwrap().to_json();
            assert!(whole["stages"][0]["reached"].as_u64().unwrap() > 0);
            assert_eq!(from_shards(dir.path(), q), whole, "{shards} shards");
        }
    }
}

#[test]
fn every_shard_count_gives_the_attribution_of_the_whole_snapshot() {
    let s = snapshot();
    let queries = [
        attribution_query("2024-01-01", "won", |_| {}),
        attribution_query("2025-01-01", "created", |p| p.lookback_days = Some(30.0)),
        attribution_query("2024-06-01", "stage:sql", |p| p.order = Some(2)),
        attribution_query("2024-01-01", "won", |p| p.by = Some("campaign".into())),
        attribution_query("2024-01-01", "won", |p| {
            p.touches = Some("marketing".into())
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
            assert_eq!(from_shards(dir.path(), q), whole, "{shards} shards");
        }
    }
}

#[test]
fn every_shard_count_gives_the_sla_of_the_whole_snapshot() {
    let s = snapshot();
    let sla = |from: &str, to: Option<&str>| {
        let p = ReportParams {
            from: Some(from.into()),
            to: to.map(Into::into),
            as_of: Some("2026-06-01".into()),
            ..ReportParams::default()
        };
        ReportQuery::parse(ReportKind::Sla, &p, &demo_settings(), 0).unwrap()
    };
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 7).unwrap();
        for q in [
            sla("2024-01-01", None),
            sla("2025-03-01", Some("2025-09-01")),
        ] {
            let whole = run(s, &q).unwrap().to_json();
            assert!(whole["leads"].as_u64().unwrap() > 0, "{whole}");
            assert_eq!(from_shards(dir.path(), &q), whole, "{shards} shards");
        }
    }
}

/// A query of `kind` over [from, to) as of 2026-06-01 on the demo's settings.
fn report_query(kind: ReportKind, from: &str, to: Option<&str>) -> ReportQuery {
    let p = ReportParams {
        from: Some(from.into()),
        to: to.map(Into::into),
        as_of: Some("2026-06-01".into()),
        ..ReportParams::default()
    };
    ReportQuery::parse(kind, &p, &demo_settings(), 0).unwrap()
}

/// The scorecard, cohorts and MRR sum the shared tables' customer units, deals and
/// revenue: each shard takes its cut of them besides its own contacts. The forecast's
/// shards count the rates funnel; its deals are weighed on the client.
#[test]
fn every_shard_count_gives_the_scorecard_cohorts_mrr_and_forecast_of_the_whole_snapshot() {
    let s = snapshot();
    let queries = [
        // An unfinished quarter (paced against its target) and a finished half year.
        report_query(ReportKind::Scorecard, "2026-04-01", Some("2026-07-01")),
        report_query(ReportKind::Scorecard, "2025-01-01", Some("2025-07-01")),
        report_query(ReportKind::Cohorts, "2025-01-01", None),
        report_query(ReportKind::Mrr, "2025-06-01", None),
        report_query(ReportKind::Forecast, "2026-01-01", Some("2027-01-01")),
    ];
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 7).unwrap();
        for q in &queries {
            let whole = run(s, q).unwrap().to_json();
            let counted = match q.kind {
                ReportKind::Scorecard => whole["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["value"].as_f64().unwrap_or(0.0) > 0.0),
                ReportKind::Forecast => whole["open_deals"].as_u64().unwrap() > 0,
                _ => whole["customers"].as_u64().unwrap() > 0,
            };
            assert!(counted, "{whole}");
            assert_eq!(from_shards(dir.path(), q), whole, "{shards} shards");
        }
    }
}

/// The bottleneck finder counts every link by every dimension's values: each shard
/// lays its counts out by the values it saw (its contacts' channels, owners, ...) and
/// the client moves them into the layout of all of them. A unit's and a deal's values
/// come from the whole workspace, kept in the files.
#[test]
fn every_shard_count_gives_the_bottlenecks_of_the_whole_snapshot() {
    let s = snapshot();
    let what_if = |link: &str| {
        let p = ReportParams {
            from: Some("2025-07-01".into()),
            to: Some("2026-07-01".into()),
            as_of: Some("2026-06-01".into()),
            what_if: Some(link.into()),
            ..ReportParams::default()
        };
        ReportQuery::parse(ReportKind::Bottlenecks, &p, &demo_settings(), 0).unwrap()
    };
    let queries = [
        report_query(ReportKind::Bottlenecks, "2025-07-01", Some("2026-07-01")),
        report_query(ReportKind::Bottlenecks, "2026-04-01", Some("2026-07-01")),
        what_if("handoff=0.95"),
        what_if("retention=0.99"),
    ];
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 7).unwrap();
        for (i, q) in queries.iter().enumerate() {
            let whole = run(s, q).unwrap().to_json();
            // The year's finding is drilled down into the values of every dimension.
            let drilled: usize = whole["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["drill_down"].as_array().unwrap().len())
                .sum();
            assert!(i > 0 || drilled >= 6, "{whole}");
            assert_eq!(from_shards(dir.path(), q), whole, "{shards} shards");
        }
    }
}

/// A query of `kind` over [from, to) as of 2026-06-01 for the records of the `pick`-th
/// value (of those the demo has) of `dim`.
fn filtered_query(kind: ReportKind, from: &str, to: &str, dim: Dim, pick: usize) -> ReportQuery {
    let s = snapshot();
    let values = Segmentation::without_touches(s, dim).values(s);
    let v = values[pick % values.len()];
    let name = if v == NONE { "(none)" } else { s.names.name(v) };
    let p = ReportParams {
        from: Some(from.into()),
        to: Some(to.into()),
        as_of: Some("2026-06-01".into()),
        filter: Some(format!("{}:{name}", dim.name())),
        ..ReportParams::default()
    };
    ReportQuery::parse(kind, &p, &demo_settings(), 0).unwrap()
}

/// A filter's records are chosen on every shard from its own contacts and the
/// workspace's unit, deal and ticket values, and on the client from those values.
#[test]
fn every_shard_count_gives_the_filtered_reports_of_the_whole_snapshot() {
    let s = snapshot();
    let kinds = [
        ReportKind::Funnel,
        ReportKind::Attribution,
        ReportKind::Sla,
        ReportKind::Scorecard,
        ReportKind::Cohorts,
        ReportKind::Mrr,
        ReportKind::Forecast,
        ReportKind::Bottlenecks,
    ];
    let dir = tempfile::tempdir().unwrap();
    write(s, dir.path(), 3, 7).unwrap();
    for kind in kinds {
        for dim in Dim::ALL {
            let q = filtered_query(kind, "2025-07-01", "2026-07-01", dim, 0);
            let whole = run(s, &q).unwrap().to_json();
            assert_eq!(
                from_shards(dir.path(), &q),
                whole,
                "{kind:?} {:?}",
                q.filter
            );
        }
    }
    // A filter selects: the smb segment's scorecard is not the workspace's.
    let all = report_query(ReportKind::Scorecard, "2025-07-01", Some("2026-07-01"));
    let smb = filtered_query(
        ReportKind::Scorecard,
        "2025-07-01",
        "2026-07-01",
        Dim::Segment,
        2,
    );
    assert_ne!(
        from_shards(dir.path(), &smb),
        run(s, &all).unwrap().to_json()
    );
}

/// A query of `kind` over [from, to) as of 2026-06-01 broken down by `dim`.
fn by_query(kind: ReportKind, from: &str, to: &str, dim: Dim) -> ReportQuery {
    let p = ReportParams {
        from: Some(from.into()),
        to: Some(to.into()),
        as_of: Some("2026-06-01".into()),
        by: Some(dim.name().into()),
        ..ReportParams::default()
    };
    ReportQuery::parse(kind, &p, &demo_settings(), 0).unwrap()
}

const BROKEN_DOWN: [ReportKind; 6] = [
    ReportKind::Funnel,
    ReportKind::Sla,
    ReportKind::Scorecard,
    ReportKind::Cohorts,
    ReportKind::Mrr,
    ReportKind::Forecast,
];

/// A breakdown: every shard's partial per value it holds, finished per value of the
/// whole workspace on the client.
#[test]
fn every_shard_count_gives_the_breakdowns_of_the_whole_snapshot() {
    let s = snapshot();
    for shards in [3, 8] {
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 7).unwrap();
        for kind in BROKEN_DOWN {
            for dim in Dim::ALL {
                let q = by_query(kind, "2025-07-01", "2026-07-01", dim);
                let whole = run(s, &q).unwrap().to_json();
                assert!(whole["segments"].as_array().unwrap().len() >= 2, "{whole}");
                assert_eq!(from_shards(dir.path(), &q), whole, "{kind:?} by {dim:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn any_split_and_period_gives_the_whole_funnel(
        shards in 1u32..12,
        from_month in 0u32..30,
        months in 1u32..24,
        flow in any::<bool>(),
        window in proptest::option::of(1u32..200),
    ) {
        let s = snapshot();
        let from = format!("{}-{:02}-01", 2024 + from_month / 12, from_month % 12 + 1);
        let end = from_month + months;
        let to = format!("{}-{:02}-01", 2024 + end / 12, end % 12 + 1);
        let view = if flow { "flow" } else { "cohort" };
        let q = funnel_query(&from, Some(&to), view, window.map(f64::from));
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 1).unwrap();
        prop_assert_eq!(from_shards(dir.path(), &q), run(s, &q).unwrap().to_json());
    }

    #[test]
    fn any_split_and_period_gives_the_whole_attribution(
        shards in 1u32..12,
        from_month in 0u32..29,
        lookback in 1u32..120,
        conversion in prop_oneof![Just("won"), Just("created"), Just("stage:mql")],
    ) {
        let s = snapshot();
        let from = format!("{}-{:02}-01", 2024 + from_month / 12, from_month % 12 + 1);
        let q = attribution_query(&from, conversion, |p| p.lookback_days = Some(f64::from(lookback)));
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 1).unwrap();
        prop_assert_eq!(from_shards(dir.path(), &q), run(s, &q).unwrap().to_json());
    }

    #[test]
    fn any_split_period_and_filter_gives_the_whole_filtered_report(
        shards in 1u32..12,
        from_month in 0u32..29,
        months in 1u32..13,
        dim in 0usize..6,
        pick in 0usize..40,
        kind in prop_oneof![
            Just(ReportKind::Funnel),
            Just(ReportKind::Attribution),
            Just(ReportKind::Sla),
            Just(ReportKind::Scorecard),
            Just(ReportKind::Cohorts),
            Just(ReportKind::Mrr),
            Just(ReportKind::Forecast),
            Just(ReportKind::Bottlenecks),
        ],
    ) {
        let s = snapshot();
        let month = |m: u32| format!("{}-{:02}-01", 2024 + m / 12, m % 12 + 1);
        let q = filtered_query(kind, &month(from_month), &month(from_month + months), Dim::ALL[dim], pick);
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 1).unwrap();
        prop_assert_eq!(from_shards(dir.path(), &q), run(s, &q).unwrap().to_json());
    }

    #[test]
    fn any_split_period_and_dimension_gives_the_whole_breakdown(
        shards in 1u32..12,
        from_month in 0u32..29,
        months in 1u32..13,
        dim in 0usize..6,
        kind in 0usize..6,
    ) {
        let s = snapshot();
        let month = |m: u32| format!("{}-{:02}-01", 2024 + m / 12, m % 12 + 1);
        let q = by_query(BROKEN_DOWN[kind], &month(from_month), &month(from_month + months), Dim::ALL[dim]);
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 1).unwrap();
        prop_assert_eq!(from_shards(dir.path(), &q), run(s, &q).unwrap().to_json());
    }

    #[test]
    fn any_split_and_period_gives_the_whole_scorecard_cohorts_mrr_forecast_and_bottlenecks(
        shards in 1u32..12,
        from_month in 0u32..29,
        months in 1u32..13,
        kind in prop_oneof![
            Just(ReportKind::Scorecard),
            Just(ReportKind::Cohorts),
            Just(ReportKind::Mrr),
            Just(ReportKind::Forecast),
            Just(ReportKind::Bottlenecks),
        ],
    ) {
        let s = snapshot();
        let month = |m: u32| format!("{}-{:02}-01", 2024 + m / 12, m % 12 + 1);
        let q = report_query(kind, &month(from_month), Some(&month(from_month + months)));
        let dir = tempfile::tempdir().unwrap();
        write(s, dir.path(), shards, 1).unwrap();
        prop_assert_eq!(from_shards(dir.path(), &q), run(s, &q).unwrap().to_json());
    }
}

#[test]
fn a_shard_of_files_written_again_is_an_error_not_a_mix() {
    let s = snapshot();
    let dir = tempfile::tempdir().unwrap();
    let first = write(s, dir.path(), 3, 1).unwrap();
    let bare = ShardReads {
        touchpoints: false,
        shared_tables: false,
        dims: false,
        stage_rows: false,
    };
    let files = read_shard(dir.path(), &first.generation, 2, bare).unwrap();
    assert_eq!(files.manifest, first);
    let shard = &files.snapshot;
    assert!(shard.contacts() > 0 && shard.touchpoints.at.is_empty());
    assert!(shard.deals.status.is_empty());
    assert_eq!(files.global.len(), shard.contacts());
    let second = write(s, dir.path(), 3, 2).unwrap();
    let e = read_shard(dir.path(), &first.generation, 0, bare)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("manifest.json") && e.contains("written again during the query"),
        "{e}"
    );
    let e = read_shard(dir.path(), &second.generation, 3, bare)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no shard 3: the files have 3"), "{e}");
}
