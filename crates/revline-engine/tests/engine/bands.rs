//! Score bands as a breakdown and a filter: by rank, placed through the contact, and
//! the same people in every report that takes them.

use crate::reports::{build, record, t};
use revline_core::RecordKind;
use revline_engine::bands::{SCORE_BANDS, band_of_scores};
use revline_engine::query::{ReportKind, ReportParams, ReportQuery, run};

#[test]
fn bands_cut_ranked_leads_at_ten_twenty_five_and_fifty_percent() {
    let s = build(&[record(
        RecordKind::Contacts,
        &[("contact_id", "c"), ("created_at", "2026-01-01")],
    )]);
    // Twenty leads scored 0.20, 0.19, ... 0.01 (in shuffled order) and one non-lead.
    let mut scores: Vec<Option<f64>> = (1..=20).map(|i| Some(f64::from(i) / 100.0)).collect();
    scores.swap(0, 13);
    scores.swap(5, 19);
    scores.push(None);
    let bands = band_of_scores(&s, &scores);
    let count = |name: &str| {
        let id = s.names.get(name).unwrap();
        bands.iter().filter(|&&b| b == id).count()
    };
    // 10% of 20 = 2 leads, 25% = 5 (3 more), 50% = 10 (5 more), the other 10.
    let counts: Vec<usize> = SCORE_BANDS.iter().map(|(name, _)| count(name)).collect();
    assert_eq!(counts, [2, 3, 5, 10]);
    assert_eq!(bands[20], revline_engine::snapshot::NONE);
    // The best two are 0.20 and 0.19, wherever they sit.
    let top = s.names.get(SCORE_BANDS[0].0).unwrap();
    let mut best: Vec<f64> = (0..20)
        .filter(|&i| bands[i] == top)
        .map(|i| scores[i].unwrap())
        .collect();
    best.sort_by(f64::total_cmp);
    assert_eq!(best, [0.19, 0.20]);
}

fn demo_params(extra: ReportParams) -> ReportParams {
    ReportParams {
        from: Some("2026-01-01".into()),
        to: Some("2026-07-01".into()),
        as_of: Some("2026-11-01T00:00:00Z".into()),
        ..extra
    }
}

#[test]
fn the_demo_funnel_by_score_band_adds_up_and_the_top_band_converts_best() {
    let s = crate::reports::demo_snapshot(4_000);
    let settings = revline_demo::demo_settings();
    let json = |kind, p| {
        let q = ReportQuery::parse(kind, &demo_params(p), &settings, t("2026-11-01")).unwrap();
        run(&s, &q).unwrap().to_json()
    };
    let by = json(
        ReportKind::Funnel,
        ReportParams {
            by: Some("score_band".into()),
            ..Default::default()
        },
    );
    assert_eq!(by["by"], "score_band");
    let segments = by["segments"].as_array().unwrap();
    let names: Vec<&str> = segments
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        &names[..4],
        SCORE_BANDS.map(|(n, _)| n).as_slice(),
        "{names:?}"
    );
    // Every lead of the period is in one band: the first stage adds up.
    let first = |v: &serde_json::Value| v["stages"][0]["reached"].as_u64().unwrap();
    let parts: u64 = segments.iter().map(first).sum();
    assert_eq!(parts, first(&by));
    let customers = |v: &serde_json::Value| {
        let st = v["stages"].as_array().unwrap();
        st.last().unwrap()["reached"].as_u64().unwrap() as f64 / first(v).max(1) as f64
    };
    assert!(
        customers(&segments[0]) > customers(&segments[3]),
        "top band {} vs bottom band {}",
        customers(&segments[0]),
        customers(&segments[3])
    );
    // The filter gives the breakdown's slice.
    let one = json(
        ReportKind::Funnel,
        ReportParams {
            filter: Some(format!("score_band:{}", SCORE_BANDS[0].0)),
            ..Default::default()
        },
    );
    assert_eq!(one["stages"], segments[0]["stages"]);
    // Attribution and bottlenecks take the filter: the top band's conversions are a
    // part of all of them.
    let conversions = |v: &serde_json::Value| v["models"][0]["conversions"].as_f64().unwrap();
    let all = json(ReportKind::Attribution, ReportParams::default());
    let top = json(
        ReportKind::Attribution,
        ReportParams {
            filter: Some(format!("score_band:{}", SCORE_BANDS[0].0)),
            ..Default::default()
        },
    );
    assert!(conversions(&top) > 0.0 && conversions(&top) < conversions(&all));
    let bottlenecks = json(
        ReportKind::Bottlenecks,
        ReportParams {
            filter: Some(format!("score_band:{}", SCORE_BANDS[3].0)),
            ..Default::default()
        },
    );
    let whole = json(ReportKind::Bottlenecks, ReportParams::default());
    assert!(bottlenecks["revenue"].as_f64().unwrap() < whole["revenue"].as_f64().unwrap());
}
