//! Snapshot files (`revline snapshot write`, `--snapshot DIR`): a report started from
//! the files is the report read out of the store, on the demo and on real data, and
//! files the store has moved past are written again.

use super::reports::cdnow_store;
use super::{olist_store, revline, run, stdout};
use std::path::Path;

/// Every report over the whole workspace (journeys reads one contact's records out of
/// the store), with the arguments it needs.
const REPORTS: [&[&str]; 11] = [
    &["scorecard"],
    &["funnel", "--by", "channel"],
    &["sla"],
    &["cohorts"],
    &["forecast"],
    &["attribution"],
    &["bottlenecks"],
    &["mrr"],
    &["members", "--stage", "lead"],
    &["scores"],
    &["funnel", "--by", "score_band"],
];

fn report(db: &Path, files: Option<&Path>, args: &[&str], as_of: &str) -> (String, String) {
    let mut cmd = revline(db);
    if let Some(dir) = files {
        cmd.arg("--snapshot").arg(dir);
    }
    let out = run(cmd
        .arg("report")
        .args(args)
        .args(["--as-of", as_of, "--format", "json"]));
    let name = args.join(" ");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        stdout(&out),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Every report, from the store and from the files; the files are written by the first
/// report that asks for them and read by every later one.
fn assert_files_answer_as_the_store(db: &Path, as_of: &str) {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("snap");
    let (_, first) = report(db, Some(&files), &["funnel"], as_of);
    assert!(
        first.contains("were missing") && first.contains("written again"),
        "{first}"
    );
    for args in REPORTS {
        let (expected, _) = report(db, None, args, as_of);
        let (got, note) = report(db, Some(&files), args, as_of);
        assert!(
            note.contains("snapshot files") && note.contains("(store version"),
            "{note}"
        );
        assert_eq!(
            got, expected,
            "{args:?} from the files differs from the store's"
        );
    }
}

#[test]
fn reports_from_snapshot_files_are_the_stores_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run(revline(&db).args(["demo", "--contacts", "700", "--end", "2026-11-01"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_files_answer_as_the_store(&db, "2026-11-01");
}

#[test]
fn reports_from_snapshot_files_are_the_stores_on_olist() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_, db)) = olist_store(dir.path()) else {
        return;
    };
    assert_files_answer_as_the_store(&db, "2018-09-01");
}

#[test]
fn reports_from_snapshot_files_are_the_stores_on_cdnow() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_, db)) = cdnow_store(dir.path()) else {
        return;
    };
    assert_files_answer_as_the_store(&db, "1998-07-01");
}

fn touchpoints_csv(dir: &Path, rows: &[(&str, &str)]) -> std::path::PathBuf {
    let path = dir.join("touchpoints.csv");
    let mut text = String::from("touchpoint_id,contact_id,occurred_at,channel\n");
    for (id, contact) in rows {
        text.push_str(&format!("{id},{contact},2026-10-20T10:00:00Z,webinar\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn files_the_store_moved_past_are_written_again_and_an_unchanged_import_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    assert!(
        run(revline(&db).args(["demo", "--contacts", "300", "--end", "2026-11-01"]))
            .status
            .success()
    );
    let files = dir.path().join("snap");
    let out = run(revline(&db)
        .arg("snapshot")
        .arg("write")
        .arg(&files)
        .args(["--shards", "3"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("in 3 shards"), "{}", stdout(&out));
    let show = |db: &Path| -> serde_json::Value {
        let out = run(revline(db)
            .arg("snapshot")
            .arg("show")
            .arg(&files)
            .args(["--format", "json"]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let shown = show(&db);
    assert_eq!(shown["current"], true, "{shown}");
    assert_eq!(shown["manifest"]["shards"], 3);

    // A webinar touch for a contact of the demo: the store moves on, the files do not.
    let contact = {
        let out = run(revline(&db).args([
            "report",
            "members",
            "--stage",
            "lead",
            "--as-of",
            "2026-11-01",
            "--format",
            "json",
        ]));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["members"][0]["contact_id"]
            .as_str()
            .expect("a member")
            .to_string()
    };
    let csv = touchpoints_csv(dir.path(), &[("snapshot-test-touch", &contact)]);
    assert!(run(revline(&db).arg("import").arg(&csv)).status.success());
    let shown = show(&db);
    assert_eq!(shown["current"], false, "{shown}");

    let by_channel = [
        "report",
        "funnel",
        "--as-of",
        "2026-11-01",
        "--by",
        "channel",
        "--format",
        "json",
    ];
    let expected = stdout(&run(revline(&db).args(by_channel)));
    assert!(expected.contains("webinar"), "the import is counted");
    let out = run(revline(&db).arg("--snapshot").arg(&files).args(by_channel));
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(
        note.contains("were of store version") && note.contains("written again"),
        "{note}"
    );
    assert_eq!(stdout(&out), expected);
    assert_eq!(show(&db)["current"], true);
    assert_eq!(
        show(&db)["manifest"]["shards"],
        3,
        "a rewrite keeps the shard count"
    );

    // The same file again changes nothing: the files stay current.
    assert!(run(revline(&db).arg("import").arg(&csv)).status.success());
    assert_eq!(show(&db)["current"], true);
}

#[test]
fn damaged_snapshot_files_are_named_and_replaced_never_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    assert!(
        run(revline(&db).args(["demo", "--contacts", "200", "--end", "2026-11-01"]))
            .status
            .success()
    );
    let files = dir.path().join("snap");
    assert!(
        run(revline(&db).arg("snapshot").arg("write").arg(&files))
            .status
            .success()
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(files.join("manifest.json")).unwrap())
            .unwrap();
    let deals = files
        .join(manifest["generation"].as_str().unwrap())
        .join("shared/deals.parquet");
    std::fs::write(&deals, b"PAR1 not really").unwrap();
    let (expected, _) = report(&db, None, &["scorecard"], "2026-11-01");
    let (got, note) = report(&db, Some(&files), &["scorecard"], "2026-11-01");
    assert!(
        note.contains("deals.parquet"),
        "the damaged file is named: {note}"
    );
    assert!(note.contains("written again"), "{note}");
    assert_eq!(got, expected);

    let out = run(revline(&db)
        .arg("snapshot")
        .arg("show")
        .arg(dir.path().join("nothing")));
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("manifest.json") && e.contains("revline snapshot write"),
        "{e}"
    );
}
