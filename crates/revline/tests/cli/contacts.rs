//! `revline contacts`: duplicates of a genuine-layout HubSpot export, merged, imported
//! again, and unmerged; the reports follow the merge.

use super::{revline, run, stdout};
use std::path::Path;

fn hubspot() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../revline-ingest/tests/fixtures/crm/hubspot")
}

fn import(db: &Path) {
    let out = run(revline(db).arg("import").arg(hubspot()).args([
        "--preset",
        "hubspot",
        "--create-missing",
    ]));
    assert!(out.status.success(), "{}", stdout(&out));
}

fn duplicates(db: &Path) -> Vec<(String, Vec<String>)> {
    let out = run(revline(db).args(["contacts", "duplicates"]));
    assert!(out.status.success());
    stdout(&out)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(e, ids)| (e.to_string(), ids.split(", ").map(String::from).collect()))
        .collect()
}

fn leads(db: &Path) -> u64 {
    let out = run(revline(db).args([
        "report",
        "funnel",
        "--from",
        "2020-01-01",
        "--to",
        "2025-01-01",
        "--as-of",
        "2025-01-01",
        "--format",
        "json",
    ]));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["stages"][0]["reached"].as_u64().unwrap()
}

#[test]
fn merging_duplicates_survives_a_reimport_and_can_be_undone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    import(&db);
    let before = duplicates(&db);
    assert_eq!(before.len(), 5, "{before:?}");
    let leads_before = leads(&db);
    let (_, ids) = &before[0];
    let (keep, go) = (&ids[0], &ids[1]);

    let out = run(revline(&db).args(["contacts", "merge", go, "--into", keep]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(duplicates(&db).len(), 4);
    assert_eq!(leads(&db), leads_before - 1, "two ids, one person");

    // Importing the same export again changes neither the records nor the merge.
    import(&db);
    assert_eq!(duplicates(&db).len(), 4);
    let merges = stdout(&run(revline(&db).args(["contacts", "merges"])));
    assert!(merges.contains(&format!("{go} -> {keep}")), "{merges}");

    // Refused: a loop, oneself, an unknown id.
    for args in [
        vec!["contacts", "merge", keep.as_str(), "--into", go.as_str()],
        vec!["contacts", "merge", keep.as_str(), "--into", keep.as_str()],
        vec!["contacts", "merge", "no-such-id", "--into", keep.as_str()],
    ] {
        let out = run(revline(&db).args(&args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }

    let out = run(revline(&db).args(["contacts", "unmerge", go]));
    assert!(out.status.success());
    assert_eq!(duplicates(&db), before);
    assert_eq!(leads(&db), leads_before);
}
