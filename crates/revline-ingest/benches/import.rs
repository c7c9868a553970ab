//! Import throughput on a synthetic touchpoints file in the shape of the shared bench
//! generator's (ids in file order, ten touchpoints per contact): the whole pipeline
//! into a fresh embedded store, a re-import of the same file (every row unchanged),
//! and a dry run (read, validate, compare; no writes).
//!
//! `cargo bench -p revline-ingest --bench import`

use revline_ingest::{ImportOptions, NoProgress, import_path};
use revline_store::SqliteStore;
use std::fmt::Write;
use std::path::{Path, PathBuf};

const CONTACTS: usize = 20_000;
const TOUCHPOINTS: usize = 200_000;

fn main() {
    divan::main();
}

/// A folder with contacts.csv and touchpoints.csv, written once per process.
fn fixture() -> &'static Path {
    static DIR: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut contacts = String::from("contact_id,email,created_at\n");
        for c in 1..=CONTACTS {
            writeln!(contacts, "{c},c{c}@example.com,2024-01-01T00:00:00Z").unwrap();
        }
        let channels = [
            "paid_search",
            "organic_search",
            "email",
            "webinar",
            "display",
            "paid_social",
        ];
        let kinds = ["visit", "click", "form", "email_open", "meeting", "demo"];
        let mut touchpoints =
            String::from("touchpoint_id,contact_id,occurred_at,channel,kind,campaign\n");
        for t in 1..=TOUCHPOINTS {
            let contact = (t * 7919) % CONTACTS + 1;
            let (channel, kind) = (channels[t % channels.len()], kinds[t % kinds.len()]);
            let campaign = if t % 3 == 0 {
                String::new()
            } else {
                format!("{channel}-2024q{}-v1", t % 4 + 1)
            };
            writeln!(
                touchpoints,
                "{t},{contact},2024-{:02}-{:02}T{:02}:{:02}:00Z,{channel},{kind},{campaign}",
                t % 12 + 1,
                t % 28 + 1,
                t % 24,
                t % 60
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("contacts.csv"), contacts).unwrap();
        std::fs::write(dir.path().join("touchpoints.csv"), touchpoints).unwrap();
        let path = dir.path().to_path_buf();
        (dir, path)
    })
    .1
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn fresh_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("bench.db"))
        .await
        .unwrap();
    (dir, store)
}

#[divan::bench(sample_count = 5)]
fn first_import_220k_rows(bencher: divan::Bencher) {
    let rt = runtime();
    let dir = fixture();
    bencher
        .with_inputs(|| rt.block_on(fresh_store()))
        .bench_local_values(|(_tmp, store)| {
            rt.block_on(async {
                let summary = import_path(&store, dir, &ImportOptions::default(), &NoProgress)
                    .await
                    .unwrap();
                assert_eq!(summary.exit_code(), 0);
                summary.files.iter().map(|f| f.inserted).sum::<u64>()
            })
        });
}

#[divan::bench(sample_count = 5)]
fn reimport_unchanged_220k_rows(bencher: divan::Bencher) {
    let rt = runtime();
    let dir = fixture();
    bencher
        .with_inputs(|| {
            rt.block_on(async {
                let (tmp, store) = fresh_store().await;
                import_path(&store, dir, &ImportOptions::default(), &NoProgress)
                    .await
                    .unwrap();
                (tmp, store)
            })
        })
        .bench_local_values(|(_tmp, store)| {
            rt.block_on(async {
                let summary = import_path(&store, dir, &ImportOptions::default(), &NoProgress)
                    .await
                    .unwrap();
                summary.files.iter().map(|f| f.unchanged).sum::<u64>()
            })
        });
}

#[divan::bench(sample_count = 5)]
fn dry_run_220k_rows(bencher: divan::Bencher) {
    let rt = runtime();
    let dir = fixture();
    let options = ImportOptions {
        dry_run: true,
        ..Default::default()
    };
    bencher
        .with_inputs(|| rt.block_on(fresh_store()))
        .bench_local_values(|(_tmp, store)| {
            rt.block_on(async {
                let summary = import_path(&store, dir, &options, &NoProgress)
                    .await
                    .unwrap();
                summary.files.iter().map(|f| f.read).sum::<u64>()
            })
        });
}
