//! Scorecard, cohorts, SLA and forecast on a warm snapshot of the 1,000,000-contact demo
//! workspace (every record kind, about two and a half years of history).
//!
//! `cargo bench -p revline-engine --bench reports`

use revline_core::time::parse_timestamp;
use revline_demo::{DemoConfig, demo_settings, generate};
use revline_engine::forecast::{ForecastOptions, forecast};
use revline_engine::{Scope, SnapshotBuilder, Window};
use std::sync::OnceLock;

mod demo_1m;
use demo_1m::snapshot;

fn main() {
    divan::main();
}

fn year() -> Window {
    let t = |s| parse_timestamp(s, chrono_tz::Tz::UTC).unwrap();
    Window {
        from: t("2025-11-01"),
        to: t("2026-11-01"),
        as_of: t("2026-11-01"),
    }
}

#[divan::bench(sample_count = 10)]
fn scorecard_1m_contacts_warm(bencher: divan::Bencher) {
    let (s, w) = (snapshot(), year());
    bencher.bench_local(|| {
        revline_engine::scorecard::scorecard(divan::black_box(s), &Scope::ALL, &w, None)
            .metrics
            .len()
    });
}

#[divan::bench(sample_count = 10)]
fn cohorts_1m_contacts_warm(bencher: divan::Bencher) {
    let (s, w) = (snapshot(), year());
    bencher.bench_local(|| {
        revline_engine::cohorts::cohorts(divan::black_box(s), &Scope::ALL, &w).customers
    });
}

#[divan::bench(sample_count = 10)]
fn sla_1m_contacts_warm(bencher: divan::Bencher) {
    let (s, w) = (snapshot(), year());
    bencher.bench_local(|| revline_engine::sla::sla(divan::black_box(s), &Scope::ALL, &w).leads);
}

#[divan::bench(sample_count = 10)]
fn forecast_1m_contacts_warm(bencher: divan::Bencher) {
    let (s, w) = (snapshot(), year());
    bencher.bench_local(|| {
        forecast(
            divan::black_box(s),
            &Scope::ALL,
            &w,
            ForecastOptions::default(),
        )
        .open_deals
    });
}

#[divan::bench(sample_count = 5)]
fn bottlenecks_1m_contacts_warm(bencher: divan::Bencher) {
    let (s, w) = (snapshot(), year());
    let q = revline_engine::bottlenecks::BottleneckQuery::new(w);
    bencher.bench_local(|| {
        revline_engine::bottlenecks::bottlenecks(divan::black_box(s), &q)
            .links
            .len()
    });
}

/// A live update: 100 touchpoints and 10 stage rows of existing contacts applied to the
/// warm 1M-contact snapshot (`Snapshot::apply`), against building it from records.
#[divan::bench(sample_count = 5)]
fn apply_110_records_to_1m_contacts(bencher: divan::Bencher) {
    use revline_core::{Record, RecordKind, Value};
    let s = snapshot();
    let mut records = Vec::new();
    for i in 0..110u32 {
        let contact = s.contact_ids[(i as usize * 9_091) % s.contacts()].clone();
        let (kind, fields): (RecordKind, Vec<(&str, Value)>) = if i < 100 {
            (
                RecordKind::Touchpoints,
                vec![
                    ("contact_id", Value::Text(contact)),
                    ("occurred_at", Value::Int(1_790_000_000_000 + i64::from(i))),
                    ("channel", Value::Text("webinar".into())),
                    ("kind", Value::Text("visit".into())),
                ],
            )
        } else {
            (
                RecordKind::Stages,
                vec![
                    ("contact_id", Value::Text(contact)),
                    ("stage", Value::Text("mql".into())),
                    ("occurred_at", Value::Int(1_790_000_000_000)),
                ],
            )
        };
        let mut r = Record::new(kind, format!("live-{i}"));
        for (column, value) in fields {
            r.set(column, value);
        }
        records.push(r);
    }
    bencher.bench_local(|| s.apply(&records).expect("applies").contacts());
}

/// What a live update cost before `Snapshot::apply`: a copy of the builder the server
/// kept beside the snapshot, then a whole build.
#[divan::bench(sample_count = 3)]
fn clone_builder_and_build_1m_contacts(bencher: divan::Bencher) {
    static BUILDER: OnceLock<SnapshotBuilder> = OnceLock::new();
    let builder = BUILDER.get_or_init(|| {
        let config = DemoConfig {
            contacts: 1_000_000,
            ..DemoConfig::default()
        };
        let mut builder = SnapshotBuilder::new(&demo_settings());
        generate(&config, &mut |r| builder.add(&r));
        builder
    });
    bencher.bench_local(|| builder.clone().build().contacts());
}

/// An unfinished quarter: compared to date with the same span of the quarter before,
/// and targets paced on the year-ago shape (two more periods counted).
fn quarter_to_date() -> Window {
    let t = |s| parse_timestamp(s, chrono_tz::Tz::UTC).unwrap();
    Window {
        from: t("2026-07-01"),
        to: t("2026-10-01"),
        as_of: t("2026-08-15"),
    }
}

#[divan::bench(sample_count = 10)]
fn scorecard_1m_contacts_quarter_to_date_warm(bencher: divan::Bencher) {
    let (s, w) = (snapshot(), quarter_to_date());
    bencher.bench_local(|| {
        revline_engine::scorecard::scorecard(divan::black_box(s), &Scope::ALL, &w, None)
            .metrics
            .len()
    });
}

#[divan::bench(sample_count = 10)]
fn mrr_1m_contacts_warm(bencher: divan::Bencher) {
    let (s, w) = (snapshot(), year());
    bencher.bench_local(|| {
        revline_engine::mrr::mrr(divan::black_box(s), &Scope::ALL, &w)
            .months
            .len()
    });
}
