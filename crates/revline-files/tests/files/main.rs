//! Snapshot files: written and read back, a snapshot is the snapshot it was.

use revline_demo::{DemoConfig, demo_settings, generate};
use revline_engine::snapshot::{Snapshot, SnapshotBuilder};
use revline_files::{FORMAT, Manifest, Tables, read, shard_of, write};
use std::path::Path;

mod people;
mod rounds;
mod shards;

fn demo(contacts: u64) -> Snapshot {
    let mut b = SnapshotBuilder::new(&demo_settings());
    b.merge_contacts([("merged-away".to_string(), "c-survivor".to_string())]);
    generate(
        &DemoConfig {
            contacts,
            ..DemoConfig::default()
        },
        &mut |r| b.add(&r),
    );
    b.build()
}

/// NaN (a deal without a probability) is not equal to itself; compare it as a marker.
fn comparable(mut s: Snapshot) -> Snapshot {
    for p in &mut s.deals.probability {
        if p.is_nan() {
            *p = -1.0;
        }
    }
    s
}

fn assert_same(a: &Snapshot, b: &Snapshot) {
    let (a, b) = (comparable(a.clone()), comparable(b.clone()));
    assert_eq!(a.contact_ids, b.contact_ids);
    assert_eq!(a.contact, b.contact);
    assert_eq!(a.touchpoints, b.touchpoints);
    assert_eq!(a.deals, b.deals);
    assert_eq!(a.revenue, b.revenue);
    assert_eq!(a.merged_into(), b.merged_into());
    assert_eq!(a.fx_rates(), b.fx_rates());
    assert!(
        a == b,
        "the snapshots differ outside the columns compared above"
    );
}

#[test]
fn a_snapshot_read_back_is_the_snapshot_written_on_any_shard_count() {
    let s = demo(1_500);
    assert!(s.touchpoints.at.len() > 10_000, "a demo with touchpoints");
    assert!(!s.fx_rates().is_empty() && !s.targets.is_empty());
    for shards in [1, 3, 8] {
        let dir = tempfile::tempdir().unwrap();
        let written = write(&s, dir.path(), shards, 41).unwrap();
        let (manifest, back) = read(dir.path(), Tables::All).unwrap();
        assert_eq!(manifest, written);
        assert_eq!(manifest.store_version, 41);
        assert_eq!(manifest.contacts, s.contacts() as u64);
        assert_same(&s, &back);
    }
}

#[test]
fn without_touchpoints_only_the_touchpoints_are_left_out() {
    let s = demo(600);
    let dir = tempfile::tempdir().unwrap();
    write(&s, dir.path(), 4, 1).unwrap();
    let (_, back) = read(dir.path(), Tables::WithoutTouchpoints).unwrap();
    assert!(back.touchpoints.at.is_empty());
    assert_eq!(back.touchpoints.start, vec![0; s.contacts() + 1]);
    let mut expected = s.clone();
    expected.touchpoints = back.touchpoints.clone();
    assert_same(&expected, &back);
}

#[test]
fn every_contact_is_in_the_shard_its_id_hashes_to() {
    let s = demo(300);
    let dir = tempfile::tempdir().unwrap();
    let m = write(&s, dir.path(), 5, 7).unwrap();
    let mut seen = 0;
    for shard in 0..5 {
        let path = dir
            .path()
            .join(&m.generation)
            .join(format!("shard-{shard:04}"))
            .join("contacts.parquet");
        let file = std::fs::File::open(&path).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let ids = batch.column_by_name("id").unwrap();
            let ids = ids
                .as_any()
                .downcast_ref::<arrow_array::StringArray>()
                .unwrap();
            for id in ids.iter().flatten() {
                assert_eq!(shard_of(id, 5), shard);
                seen += 1;
            }
        }
    }
    assert_eq!(seen, s.contacts());
}

#[test]
fn writing_again_replaces_the_generation_and_keeps_one() {
    let s = demo(200);
    let dir = tempfile::tempdir().unwrap();
    let first = write(&s, dir.path(), 2, 1).unwrap();
    let second = write(&s, dir.path(), 2, 2).unwrap();
    assert_ne!(first.generation, second.generation);
    assert!(!dir.path().join(&first.generation).exists());
    let m = Manifest::read(dir.path()).unwrap().unwrap();
    assert!(m.is_current(2) && !m.is_current(1));
}

fn error_of(dir: &Path) -> String {
    read(dir, Tables::All).unwrap_err().to_string()
}

#[test]
fn a_missing_or_damaged_snapshot_is_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Manifest::read(dir.path()).unwrap().is_none());
    let e = error_of(dir.path());
    assert!(
        e.contains("manifest.json") && e.contains("no snapshot here"),
        "{e}"
    );

    let s = demo(200);
    let m = write(&s, dir.path(), 2, 3).unwrap();
    let manifest = dir.path().join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(&format!("\"format\": {FORMAT}"), "\"format\": 99"),
    )
    .unwrap();
    let e = error_of(dir.path());
    assert!(
        e.contains("format 99") && e.contains("manifest.json"),
        "{e}"
    );

    std::fs::write(&manifest, "{\n  \"format\": 1,\n  oops").unwrap();
    let e = error_of(dir.path());
    assert!(e.contains("manifest.json: line 3, column"), "{e}");

    std::fs::write(&manifest, text).unwrap();
    let deals = dir
        .path()
        .join(&m.generation)
        .join("shared")
        .join("deals.parquet");
    std::fs::write(&deals, b"not parquet").unwrap();
    let e = error_of(dir.path());
    assert!(e.contains("deals.parquet"), "{e}");
}
