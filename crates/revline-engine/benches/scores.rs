//! Lead scores on a warm snapshot of the 1,000,000-contact demo workspace: training on
//! the leads matured by 2026-04-01, scoring every lead of the workspace with the
//! trained model, the whole report (training, the second quarter's leads with their
//! reasons, the threshold), and the score bands a breakdown uses.
//!
//! `cargo bench -p revline-engine --bench scores`

use revline_core::time::parse_timestamp;
use revline_engine::Snapshot;
use revline_engine::scores::{ScoresQuery, Trained, scores};

mod demo_1m;
use demo_1m::snapshot;

fn main() {
    divan::main();
}

fn query(s: &Snapshot) -> ScoresQuery {
    let t = |x| parse_timestamp(x, chrono_tz::Tz::UTC).unwrap();
    ScoresQuery {
        target: s.stage_index("sql").unwrap(),
        horizon_days: 90.0,
        train_as_of: t("2026-04-01"),
        from: t("2026-04-01"),
        to: t("2026-07-01"),
        as_of: t("2026-11-01"),
        capacity: None,
        contacts: None,
    }
}

#[divan::bench(sample_count = 3)]
fn train_on_1m_contacts(bencher: divan::Bencher) {
    let s = snapshot();
    let q = query(s);
    bencher.bench_local(|| Trained::train(divan::black_box(s), &q));
}

#[divan::bench(sample_count = 3)]
fn score_every_lead_of_1m_contacts(bencher: divan::Bencher) {
    let s = snapshot();
    let trained = Trained::train(s, &query(s));
    bencher.bench_local(|| {
        (0..s.contacts())
            .filter_map(|c| trained.score(divan::black_box(s), c))
            .count()
    });
}

#[divan::bench(sample_count = 3)]
fn report_on_1m_contacts(bencher: divan::Bencher) {
    let s = snapshot();
    let q = query(s);
    bencher.bench_local(|| scores(divan::black_box(s), &q).contacts.len());
}

#[divan::bench(sample_count = 3)]
fn score_bands_of_1m_contacts(bencher: divan::Bencher) {
    let s = snapshot();
    let q = query(s);
    bencher.bench_local(|| revline_engine::bands::score_bands(divan::black_box(s), &q).len());
}
