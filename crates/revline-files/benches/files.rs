//! Snapshot files of the 200,000-contact demo workspace (about 1.6M touchpoints) in a
//! temporary directory: writing them, and reading them back whole and without the
//! touchpoints (what a report that reads none does). The page cache holds the files, so
//! this is the decoding and placing, not the disk.
//!
//! `cargo bench -p revline-files --bench files`

use revline_demo::{DemoConfig, demo_settings, generate};
use revline_engine::snapshot::{Snapshot, SnapshotBuilder};
use revline_files::{Tables, read, write};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

struct Written {
    snapshot: Snapshot,
    dir: tempfile::TempDir,
}

fn written() -> &'static Written {
    static WRITTEN: OnceLock<Written> = OnceLock::new();
    WRITTEN.get_or_init(|| {
        let mut b = SnapshotBuilder::new(&demo_settings());
        let config = DemoConfig {
            contacts: 200_000,
            ..DemoConfig::default()
        };
        generate(&config, &mut |r| b.add(&r));
        let snapshot = b.build();
        let dir = tempfile::tempdir().expect("a temporary directory");
        write(&snapshot, dir.path(), 8, 1).expect("written");
        Written { snapshot, dir }
    })
}

#[divan::bench(sample_count = 5)]
fn write_200k_contacts(bencher: divan::Bencher) {
    let w = written();
    let dir = tempfile::tempdir().expect("a temporary directory");
    bencher.bench_local(|| write(divan::black_box(&w.snapshot), dir.path(), 8, 2).unwrap());
}

#[divan::bench(sample_count = 5)]
fn read_200k_contacts_whole(bencher: divan::Bencher) {
    let w = written();
    bencher.bench_local(|| read(divan::black_box(w.dir.path()), Tables::All).unwrap());
}

#[divan::bench(sample_count = 5)]
fn read_200k_contacts_without_touchpoints(bencher: divan::Bencher) {
    let w = written();
    bencher
        .bench_local(|| read(divan::black_box(w.dir.path()), Tables::WithoutTouchpoints).unwrap());
}
