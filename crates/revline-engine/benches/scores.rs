//! Lead scores on a warm snapshot of the 1,000,000-contact demo workspace: training on
//! the leads matured by 2026-04-01 and scoring the second quarter's leads, in one call.
//!
//! `cargo bench -p revline-engine --bench scores`

use revline_core::time::parse_timestamp;
use revline_engine::scores::{ScoresQuery, scores};

mod demo_1m;
use demo_1m::snapshot;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 3)]
fn train_and_score_1m_contacts(bencher: divan::Bencher) {
    let s = snapshot();
    let t = |x| parse_timestamp(x, chrono_tz::Tz::UTC).unwrap();
    let q = ScoresQuery {
        target: s.stage_index("sql").unwrap(),
        horizon_days: 90.0,
        train_as_of: t("2026-04-01"),
        from: t("2026-04-01"),
        to: t("2026-07-01"),
        as_of: t("2026-11-01"),
        capacity: None,
    };
    bencher.bench_local(|| scores(divan::black_box(s), &q).contacts.len());
}
