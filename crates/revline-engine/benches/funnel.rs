//! The cohort funnel on a warm snapshot of 1,000,000 contacts with the stage mix of the
//! shared bench generator (about 35% / 40% / 50% / 25% step conversion), and the
//! snapshot build from 1M contacts' records.
//!
//! `cargo bench -p revline-engine --bench funnel`

use revline_core::{Record, RecordKind, Settings, Value};
use revline_engine::funnel::{FunnelQuery, View};
use revline_engine::{Snapshot, SnapshotBuilder, funnel};

const CONTACTS: u64 = 1_000_000;
const DAY: i64 = 86_400_000;
const START: i64 = 1_640_995_200_000; // 2022-01-01

fn main() {
    divan::main();
}

/// A deterministic stream of contacts and stage rows.
fn records() -> Vec<Record> {
    let mut out = Vec::with_capacity(CONTACTS as usize * 2);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let stages = ["mql", "sql", "opportunity", "customer"];
    let rates = [35u64, 40, 50, 25];
    for c in 0..CONTACTS {
        let id = format!("c{c}");
        let created = START + (next() % (3 * 365)) as i64 * DAY;
        let mut contact = blank(RecordKind::Contacts, &id);
        contact.set("created_at", Value::Int(created));
        out.push(contact);
        let mut at = created;
        for (stage, rate) in stages.iter().zip(rates) {
            if next() % 100 >= rate {
                break;
            }
            at += (1 + next() % 30) as i64 * DAY;
            let mut row = blank(RecordKind::Stages, &format!("{id}:{stage}"));
            row.set("contact_id", Value::Text(id.clone()));
            row.set("stage", Value::Text(stage.to_string()));
            row.set("occurred_at", Value::Int(at));
            out.push(row);
        }
    }
    out
}

fn blank(kind: RecordKind, id: &str) -> Record {
    Record {
        kind,
        id: id.to_string(),
        values: vec![Value::Null; kind.columns().count()],
        props: Default::default(),
    }
}

fn build(records: &[Record]) -> Snapshot {
    let mut b = SnapshotBuilder::new(&Settings::default());
    for r in records {
        b.add(r);
    }
    b.build()
}

#[divan::bench(sample_count = 5)]
fn snapshot_build_1m_contacts(bencher: divan::Bencher) {
    let records = records();
    bencher.bench_local(|| build(divan::black_box(&records)).contacts());
}

#[divan::bench(sample_count = 20)]
fn cohort_funnel_1m_contacts_warm(bencher: divan::Bencher) {
    let snapshot = build(&records());
    let query = FunnelQuery {
        from: START,
        to: START + 3 * 365 * DAY,
        as_of: START + 4 * 365 * DAY,
        window_days: None,
        view: View::Cohort,
    };
    bencher.bench_local(|| funnel(divan::black_box(&snapshot), &query).stages[4].reached);
}
