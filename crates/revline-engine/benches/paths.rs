//! Distinct channel paths from the 10M touchpoints of `gen_funnel.py --contacts 1000000`
//! on a warm snapshot, and the exact Markov model (order 1) on those paths: the figures
//! docs/benchmarks.md sets beside DuckDB's paths step and ChannelAttribution.
//!
//! `REVLINE_BENCH_DATA=DIR cargo bench -p revline-engine --bench paths`, where DIR holds
//! the generator's CSV files; without it the benchmarks print a notice and do nothing.

use revline_core::time::parse_timestamp;
use revline_core::{Cell, RecordKind, RowView, Settings};
use revline_engine::attribution::{distinct_paths, markov};
use revline_engine::{Snapshot, SnapshotBuilder};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

/// Streams one of the generator's CSV files into the builder.
fn load(
    b: &mut SnapshotBuilder,
    dir: &std::path::Path,
    kind: RecordKind,
    columns: &[&'static str],
    ints: &[bool],
) {
    let mut reader =
        csv::Reader::from_path(dir.join(format!("{}.csv", kind.name()))).expect("file");
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let at: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .unwrap_or_else(|| panic!("{kind}: no {c}"))
        })
        .collect();
    let id_at = kind
        .id_field()
        .and_then(|f| header.iter().position(|h| h == f));
    let mut record = csv::StringRecord::new();
    let mut n = 0u64;
    while reader.read_record(&mut record).unwrap() {
        n += 1;
        let id = id_at.map_or_else(|| n.to_string(), |i| record[i].to_string());
        let cells: Vec<Cell<'_>> = at
            .iter()
            .zip(ints)
            .map(|(&i, &int)| {
                let v = &record[i];
                if v.is_empty() {
                    Cell::Null
                } else if int {
                    Cell::Int(parse_timestamp(v, chrono_tz::Tz::UTC).expect("timestamp"))
                } else {
                    Cell::Text(v)
                }
            })
            .collect();
        b.add(&RowView {
            kind,
            id: &id,
            columns,
            cells: &cells,
        });
    }
}

fn snapshot() -> Option<&'static Snapshot> {
    static SNAPSHOT: OnceLock<Option<Snapshot>> = OnceLock::new();
    SNAPSHOT
        .get_or_init(|| {
            let Some(dir) = std::env::var_os("REVLINE_BENCH_DATA") else {
                eprintln!("notice: REVLINE_BENCH_DATA is not set: the paths benchmarks do nothing");
                return None;
            };
            let dir = std::path::PathBuf::from(dir);
            let mut b = SnapshotBuilder::new(&Settings::default());
            load(&mut b, &dir, RecordKind::Contacts, &["created_at"], &[true]);
            load(
                &mut b,
                &dir,
                RecordKind::Stages,
                &["contact_id", "stage", "occurred_at"],
                &[false, false, true],
            );
            load(
                &mut b,
                &dir,
                RecordKind::Touchpoints,
                &["contact_id", "occurred_at", "channel", "campaign", "kind"],
                &[false, true, false, false, false],
            );
            Some(b.build())
        })
        .as_ref()
}

const AS_OF: &str = "2100-01-01";

#[divan::bench(sample_count = 10)]
fn distinct_paths_10m_touchpoints_warm(bencher: divan::Bencher) {
    let Some(s) = snapshot() else { return };
    let customer = s.stage_index("customer").unwrap();
    let as_of = parse_timestamp(AS_OF, chrono_tz::Tz::UTC).unwrap();
    bencher.bench_local(|| distinct_paths(divan::black_box(s), customer, as_of).len());
}

#[divan::bench(sample_count = 10)]
fn markov_order1_on_1m_journeys(bencher: divan::Bencher) {
    let Some(s) = snapshot() else { return };
    let customer = s.stage_index("customer").unwrap();
    let as_of = parse_timestamp(AS_OF, chrono_tz::Tz::UTC).unwrap();
    let paths = distinct_paths(s, customer, as_of);
    eprintln!(
        "{} distinct paths, {} conversions, {} nulls",
        paths.len(),
        paths.iter().map(|p| p.conversions).sum::<f64>(),
        paths.iter().map(|p| p.nulls).sum::<f64>()
    );
    bencher.bench_local(|| markov(divan::black_box(&paths), 1).probability);
}
