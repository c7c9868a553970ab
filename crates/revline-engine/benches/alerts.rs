//! What one evaluation of an alert rule costs after a live change, on a warm snapshot
//! of the 1,000,000-contact demo workspace (alerts.md: evaluation runs after every
//! change). The bottleneck rule is set beside the bottleneck report of the same
//! trailing 90 days, which is what it runs.
//!
//! `cargo bench -p revline-engine --bench alerts`

use revline_core::time::parse_timestamp;
use revline_demo::demo_settings;
use revline_engine::Window;
use revline_engine::alerts::{Condition, evaluate};

mod demo_1m;
use demo_1m::snapshot;

fn main() {
    divan::main();
}

fn now() -> i64 {
    parse_timestamp("2026-10-15T12:00:00Z", chrono_tz::Tz::UTC).unwrap()
}

fn judge(bencher: divan::Bencher, rule: &str) {
    let s = snapshot();
    let condition: Condition = serde_json::from_str(rule).unwrap();
    let settings = demo_settings();
    bencher.bench_local(|| evaluate(divan::black_box(s), &settings, &condition, now()).len());
}

#[divan::bench(sample_count = 10)]
fn lead_waiting_1m_contacts(bencher: divan::Bencher) {
    judge(bencher, r#"{"type":"lead_waiting","min_count":5}"#);
}

#[divan::bench(sample_count = 10)]
fn metric_revenue_below_pace_1m_contacts(bencher: divan::Bencher) {
    judge(
        bencher,
        r#"{"type":"metric","metric":"revenue","period":"this_month","below_pace":0.8}"#,
    );
}

#[divan::bench(sample_count = 10)]
fn metric_win_rate_filtered_1m_contacts(bencher: divan::Bencher) {
    judge(
        bencher,
        r#"{"type":"metric","metric":"win_rate","period":"this_quarter","below":0.2,"filter":"channel:webinar"}"#,
    );
}

#[divan::bench(sample_count = 10)]
fn freshness_1m_contacts(bencher: divan::Bencher) {
    judge(
        bencher,
        r#"{"type":"freshness","kind":"touchpoints","hours":24}"#,
    );
}

#[divan::bench(sample_count = 5)]
fn bottleneck_rule_1m_contacts(bencher: divan::Bencher) {
    judge(bencher, r#"{"type":"bottleneck","min_at_stake":10000}"#);
}

/// The report the bottleneck rule runs, alone: the rule's own cost is this plus its
/// filtering.
#[divan::bench(sample_count = 5)]
fn bottleneck_report_90_days_1m_contacts(bencher: divan::Bencher) {
    let s = snapshot();
    let t = |x| parse_timestamp(x, chrono_tz::Tz::UTC).unwrap();
    let q = revline_engine::bottlenecks::BottleneckQuery::new(Window {
        from: t("2026-07-17"),
        to: t("2026-10-16"),
        as_of: now(),
    });
    bencher.bench_local(|| {
        revline_engine::bottlenecks::bottlenecks(divan::black_box(s), &q)
            .findings
            .len()
    });
}
