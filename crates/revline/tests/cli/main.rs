//! The `revline` binary as a user runs it: exit codes, JSON on stdout, the demo, the
//! Olist mapping on the real data, a killed import, backups and both stores.

mod alerts;
mod browser;
#[cfg(feature = "cluster")]
mod cluster;
mod contacts;
mod email;
mod limits;
mod missing;
mod reports;
mod scores;
mod servers;
mod snapshot_files;

use revline_core::RecordKind;
use revline_store::{SqliteStore, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn revline(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_revline"));
    c.arg("--db")
        .arg(db)
        .env_remove("DATABASE_URL")
        .env_remove("REVLINE_DB");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("revline runs")
}

/// The summary entry of one record kind in an import's JSON summary.
fn summary_of(json: &serde_json::Value, kind: &str) -> serde_json::Value {
    json["files"]
        .as_array()
        .expect("a files list")
        .iter()
        .find(|f| f["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {json}"))
        .clone()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn assert_same_folders(a: &Path, b: &Path) {
    let (a, b) = (
        revline_store::testing::folder_files(a),
        revline_store::testing::folder_files(b),
    );
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs");
    }
}

/// The shared datasets, or `None` with a notice when they are not beside the project.
fn shared(dataset: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets")
        .join(dataset);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "notice: skipping, {} is not there (the shared datasets sit beside the project)",
            dir.display()
        );
        None
    }
}

/// The real Olist funnel imported with its mapping into a store in `dir`: the dataset
/// folder and the store, or `None` (with a notice) without the shared datasets.
fn olist_store(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let data = shared("olist-marketing-funnel")?;
    let db = dir.join("olist.db");
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/olist/olist.toml");
    run(revline(&db)
        .arg("import")
        .arg(&data)
        .arg("--map")
        .arg(&mapping));
    Some((data, db))
}

#[test]
fn demo_loads_a_workspace_and_reports_what_it_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let out = run(revline(&db).args(["demo", "--contacts", "600", "--end", "2026-11-01"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("Loaded a demo workspace"), "{text}");
    assert!(text.contains("contacts") && text.contains("600"), "{text}");
    assert!(text.contains("Planted problems"), "{text}");
    assert!(db.exists());
}

#[test]
fn demo_out_writes_canonical_files_that_import_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let out = run(revline(&dir.path().join("unused.db"))
        .args([
            "demo",
            "--contacts",
            "800",
            "--seed",
            "7",
            "--end",
            "2026-06-01",
            "--out",
        ])
        .arg(&a));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = dir.path().join("r.db");
    let imported = run(revline(&db).arg("import").arg(&a));
    assert_eq!(imported.status.code(), Some(0), "{}", stdout(&imported));
    assert!(run(revline(&db).arg("export").arg(&b)).status.success());
    assert_same_folders(&a, &b);
    // Deterministic by seed.
    let c = dir.path().join("c");
    run(revline(&db)
        .args([
            "demo",
            "--contacts",
            "800",
            "--seed",
            "7",
            "--end",
            "2026-06-01",
            "--out",
        ])
        .arg(&c));
    assert_same_folders(&a, &c);
}

#[test]
fn import_exit_codes_and_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let good = dir.path().join("good");
    std::fs::create_dir(&good).unwrap();
    std::fs::write(
        good.join("contacts.csv"),
        "contact_id,created_at\nc1,2026-01-01\n",
    )
    .unwrap();
    let out = run(revline(&db)
        .arg("import")
        .arg(&good)
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(json["files"][0]["file"], "contacts.csv");
    assert_eq!(json["files"][0]["inserted"], 1);

    std::fs::write(
        good.join("stages.csv"),
        "contact_id,stage,occurred_at\nc1,mql,2026-01-02\nc1,sql,someday\n",
    )
    .unwrap();
    let out = run(revline(&db)
        .arg("import")
        .arg(&good)
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stages = summary_of(&json, "stages");
    assert_eq!(stages["read"], 2);
    assert_eq!(stages["inserted"], 1);
    assert_eq!(stages["rejected"], 1);
    assert_eq!(stages["errors"][0]["line"], 3);
    assert_eq!(stages["errors"][0]["column"], "occurred_at");
    assert!(
        stages["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("someday")
    );

    let missing = run(revline(&db).arg("import").arg(dir.path().join("nope")));
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such file or folder"));
    let preset = run(revline(&db)
        .arg("import")
        .arg(&good)
        .args(["--preset", "excel97"]));
    assert_eq!(preset.status.code(), Some(2));
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[file]]\nmatch = 'x.csv'\nkind = 'leads'\n",
    )
    .unwrap();
    let map = run(revline(&db)
        .arg("import")
        .arg(&good)
        .arg("--map")
        .arg(dir.path().join("bad.toml")));
    assert_eq!(map.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&map.stderr).contains("unknown kind 'leads'"));

    let runs = run(revline(&db).args(["imports", "--format", "json"]));
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(
        runs.as_array().unwrap().len(),
        2,
        "unusable inputs do not start a run"
    );
    assert_eq!(
        runs[0]["status"], "partial",
        "rows landed, some were rejected"
    );
}

#[test]
fn settings_show_and_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let out = run(revline(&db).args(["settings", "set", "currency", "pln"]));
    assert!(out.status.success());
    assert!(stdout(&out).contains("PLN"));
    let bad = run(revline(&db).args(["settings", "set", "timezone", "Mars/Base"]));
    assert_eq!(bad.status.code(), Some(2));
    let json = run(revline(&db).args(["settings", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["currency"], "PLN");
    assert_eq!(v["timezone"], "UTC");
    assert_eq!(v["stages"], "lead,mql,sql,opportunity,customer");
}

#[test]
fn olist_mapping_imports_the_real_funnel() {
    let Some(data) = shared("olist-marketing-funnel") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("olist.db");
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/olist/olist.toml");
    let out = run(revline(&db)
        .arg("import")
        .arg(&data)
        .arg("--map")
        .arg(&mapping)
        .args(["--format", "json"]));
    assert_eq!(
        out.status.code(),
        Some(3),
        "60 touchpoints without origin are rejected"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = |kind: &str| summary_of(&json, kind);

    // Independently from the raw file: the lines whose origin is empty.
    let raw =
        std::fs::read_to_string(data.join("olist_marketing_qualified_leads_dataset.csv")).unwrap();
    let empty_origin: Vec<u64> = raw
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| l.rsplit(',').next().unwrap().trim().is_empty())
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(empty_origin.len(), 60);

    assert_eq!(
        (
            file("contacts")["inserted"].as_u64(),
            file("contacts")["rejected"].as_u64()
        ),
        (Some(8000), Some(0))
    );
    assert_eq!(file("stages")["inserted"], 8000);
    let tp = file("touchpoints");
    assert_eq!(
        (tp["inserted"].as_u64(), tp["rejected"].as_u64()),
        (Some(7940), Some(60))
    );
    let lines: Vec<u64> = tp["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, empty_origin);
    assert_eq!(tp["errors"][0]["column"], "origin (channel)");
    let deals = file("deals");
    assert_eq!(deals["inserted"], 842);
    let warnings = deals["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]["reason"]
            .as_str()
            .unwrap()
            .contains("b91cf8812365f50ff4bda4bcd6206b05")
    );
    assert!(
        json["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["file"] == "olist_sellers_dataset.csv")
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(&db).await.unwrap();
        assert_eq!(store.count(RecordKind::Contacts).await.unwrap(), 8000);
        let mut won = 0;
        revline_store::for_each_record(&store, RecordKind::Deals, 1000, |d| {
            if d.text("status") == Some("won")
                && d.int("closed_at").is_some()
                && d.text("owner").is_some()
            {
                won += 1;
            }
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(won, 842);
    });
    // Re-running changes nothing.
    let again = run(revline(&db)
        .arg("import")
        .arg(&data)
        .arg("--map")
        .arg(&mapping)
        .args(["--format", "json"]));
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    for f in json["files"].as_array().unwrap() {
        assert_eq!(
            (f["inserted"].as_u64(), f["updated"].as_u64()),
            (Some(0), Some(0)),
            "{f}"
        );
    }
}

#[test]
fn a_killed_import_leaves_whole_batches_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let generated = run(revline(&dir.path().join("gen.db"))
        .args([
            "demo",
            "--contacts",
            "12000",
            "--end",
            "2026-11-01",
            "--out",
        ])
        .arg(&source));
    assert!(generated.status.success());
    let full: Vec<(RecordKind, u64)> = RecordKind::ALL
        .iter()
        .filter_map(|k| {
            let text = std::fs::read_to_string(source.join(format!("{}.csv", k.name()))).ok()?;
            Some((*k, text.lines().count() as u64 - 1))
        })
        .collect();
    let touchpoints = full
        .iter()
        .find(|(k, _)| *k == RecordKind::Touchpoints)
        .unwrap()
        .1;
    assert!(
        touchpoints > 50_000,
        "big enough to interrupt: {touchpoints}"
    );

    const BATCH: u64 = 997;
    let db = dir.path().join("r.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Create the store first so that it can be watched while the import runs.
    let watcher = rt.block_on(SqliteStore::open(&db)).unwrap();
    let mut child = revline(&db)
        .arg("import")
        .arg(&source)
        .args(["--batch-size", &BATCH.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let n = rt.block_on(watcher.count(RecordKind::Touchpoints)).unwrap();
        if n > 0 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be interrupted"
        );
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up.
    child.wait().unwrap();

    let mut partial = 0;
    for (kind, rows) in &full {
        let n = rt.block_on(watcher.count(*kind)).unwrap();
        assert!(
            n == *rows || n.is_multiple_of(BATCH),
            "{kind}: {n} of {rows} is not a whole number of batches"
        );
        if n < *rows {
            partial += 1;
        }
    }
    assert!(partial > 0, "the kill landed mid-import");
    let interrupted = rt.block_on(watcher.count(RecordKind::Touchpoints)).unwrap();
    // The killed run is not left "running" for ever.
    let runs = run(revline(&db).args(["imports", "--format", "json"]));
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs[0]["status"], "interrupted", "{runs}");

    let rerun = run(revline(&db)
        .arg("import")
        .arg(&source)
        .args(["--format", "json"]));
    assert_eq!(rerun.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&rerun.stdout).unwrap();
    let tp = summary_of(&json, "touchpoints");
    assert_eq!(
        tp["unchanged"].as_u64().unwrap(),
        interrupted.min(touchpoints)
    );
    assert_eq!(
        tp["inserted"].as_u64().unwrap(),
        touchpoints - interrupted.min(touchpoints)
    );
    let back = dir.path().join("back");
    assert!(run(revline(&db).arg("export").arg(&back)).status.success());
    assert_same_folders(&source, &back);
}

#[test]
fn backup_copies_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    assert!(
        run(revline(&db).args(["demo", "--contacts", "300"]))
            .status
            .success()
    );
    let copy = dir.path().join("copy.db");
    let out = run(revline(&db).arg("backup").arg(&copy));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(revline(&db).arg("export").arg(&a));
    run(revline(&copy).arg("export").arg(&b));
    assert_same_folders(&a, &b);
    assert_eq!(
        run(revline(&db).arg("backup").arg(&copy)).status.code(),
        Some(1),
        "never overwrites"
    );
}

#[test]
fn database_url_selects_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = rt.block_on(revline_store::testing::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_revline"));
    cmd.env_remove("REVLINE_DB")
        .env("DATABASE_URL", &pg.url)
        .args(["demo", "--contacts", "400"]);
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("(postgres)"));
    let a = dir.path().join("a");
    let mut export = Command::new(env!("CARGO_BIN_EXE_revline"));
    export
        .env_remove("REVLINE_DB")
        .arg("--database-url")
        .arg(&pg.url)
        .arg("export")
        .arg(&a);
    assert!(run(&mut export).status.success());
    let db = dir.path().join("r.db");
    assert_eq!(
        run(revline(&db).arg("import").arg(&a)).status.code(),
        Some(0)
    );
    let b = dir.path().join("b");
    run(revline(&db).arg("export").arg(&b));
    assert_same_folders(&a, &b);
    // Every report reads the same numbers out of either store.
    for name in [
        "scorecard",
        "funnel",
        "sla",
        "cohorts",
        "forecast",
        "bottlenecks",
        "attribution",
    ] {
        let args = ["report", name, "--as-of", "2026-11-01", "--format", "json"];
        let mut on_pg = Command::new(env!("CARGO_BIN_EXE_revline"));
        on_pg
            .env_remove("REVLINE_DB")
            .arg("--database-url")
            .arg(&pg.url)
            .args(args);
        let (x, y) = (run(&mut on_pg), run(revline(&db).args(args)));
        assert!(
            x.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&x.stderr)
        );
        assert!(
            stdout(&x) == stdout(&y),
            "{name} differs between the stores"
        );
    }
    rt.block_on(pg.drop_database());
}

#[test]
fn the_database_file_is_complete_when_a_command_ends() {
    // Users copy revline.db around; after a command no write may wait in the WAL.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    assert!(
        run(revline(&db).args(["demo", "--contacts", "200"]))
            .status
            .success()
    );
    let wal = dir.path().join("r.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the WAL was folded back"
    );
    let copy = dir.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let copied = rt.block_on(SqliteStore::open(&copy)).unwrap();
    assert_eq!(
        rt.block_on(copied.count(RecordKind::Contacts)).unwrap(),
        200
    );
}

#[test]
fn online_retail_workbook_and_compressed_csv_import_identically() {
    let Some(data) = shared("online-retail-sample") else {
        return;
    };
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/online-retail/online-retail.toml");
    let dir = tempfile::tempdir().unwrap();
    let mut exports = Vec::new();
    for file in [
        "online_retail_sample_40k.csv.gz",
        "online_retail_sample_40k.xlsx",
    ] {
        let db = dir.path().join(format!("{file}.db"));
        for (k, v) in [("currency", "GBP"), ("timezone", "Europe/London")] {
            assert!(
                run(revline(&db).args(["settings", "set", k, v]))
                    .status
                    .success()
            );
        }
        let out = run(revline(&db)
            .arg("import")
            .arg(data.join(file))
            .arg("--map")
            .arg(&mapping)
            .args(["--create-missing", "--format", "json"]));
        assert_eq!(
            out.status.code(),
            Some(3),
            "lines without a customer are rejected"
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let f = &json["files"][0];
        assert_eq!(
            (f["read"].as_u64(), f["inserted"].as_u64()),
            (Some(40_000), Some(29_943)),
            "{file}"
        );
        let rounded: Vec<&serde_json::Value> = f["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["code"] == "amount_rounded")
            .collect();
        assert_eq!(
            rounded.len(),
            1,
            "a fraction of a penny lands rounded: {rounded:?}"
        );
        let export = dir.path().join(format!("{file}.export"));
        assert!(
            run(revline(&db).arg("export").arg(&export))
                .status
                .success()
        );
        exports.push((db, export));
    }
    // The workbook reader and the CSV reader agree byte for byte.
    assert_same_folders(&exports[0].1, &exports[1].1);

    // Independently from the raw CSV: lines with a customer, and their total in pence.
    let raw = flate2::read::GzDecoder::new(
        std::fs::File::open(data.join("online_retail_sample_40k.csv.gz")).unwrap(),
    );
    let mut reader = csv::Reader::from_reader(raw);
    let (mut lines, mut fractional, mut total_pence) = (0u64, 0u64, 0i64);
    for row in reader.records() {
        let row = row.unwrap();
        if row[6].trim().is_empty() {
            continue;
        }
        let quantity: i64 = row[3].parse().unwrap();
        let (whole, frac) = row[5].split_once('.').unwrap_or((&row[5], ""));
        let price_milli = whole.parse::<i64>().unwrap() * 1000
            + format!("{frac:0<3}")[..3].parse::<i64>().unwrap();
        let milli = quantity * price_milli;
        // A fraction of a penny is rounded half to even (data-contract.md).
        let (pence, rest) = (milli.div_euclid(10), milli.rem_euclid(10));
        let pence = match rest {
            0..=4 => pence,
            6..=9 => pence + 1,
            _ => pence + pence.rem_euclid(2),
        };
        fractional += u64::from(rest != 0);
        lines += 1;
        total_pence += pence;
    }
    assert_eq!((lines, fractional), (29_943, 1));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(SqliteStore::open(&exports[1].0)).unwrap();
    let mut stored_pence = 0i64;
    rt.block_on(revline_store::for_each_record(
        &store,
        RecordKind::Revenue,
        10_000,
        |r| {
            stored_pence += r.int("amount").unwrap();
            Ok(())
        },
    ))
    .unwrap();
    assert_eq!(stored_pence, total_pence);
}

#[test]
fn olist_funnel_matches_the_raw_files() {
    let dir = tempfile::tempdir().unwrap();
    let Some((data, db)) = olist_store(dir.path()) else {
        return;
    };
    let out = run(revline(&db).args([
        "report",
        "funnel",
        "--from",
        "2017-01-01",
        "--to",
        "2019-01-01",
        "--as-of",
        "2019-01-01",
        "--format",
        "json",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // Independently: every MQL is a lead and an mql; a closed deal implies sql and
    // opportunity and makes a customer.
    let mqls = std::fs::read_to_string(data.join("olist_marketing_qualified_leads_dataset.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let won = std::fs::read_to_string(data.join("olist_closed_deals_dataset.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let reached: Vec<u64> = json["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reached"].as_u64().unwrap())
        .collect();
    assert_eq!(
        reached,
        vec![mqls as u64, mqls as u64, won as u64, won as u64, won as u64]
    );
    let sql = &json["stages"][2];
    assert!((sql["step_conversion"].as_f64().unwrap() - won as f64 / mqls as f64).abs() < 1e-12);
    for field in [
        "step_conversion_low",
        "step_conversion_high",
        "cumulative_conversion",
        "median_days_from_previous",
        "p90_days_from_previous",
    ] {
        assert!(sql[field].is_number(), "{field}");
    }
    assert!(json["stages"][0]["step_conversion"].is_null());
    assert_eq!(json["period"]["from"], "2017-01-01T00:00:00Z");
    assert_eq!(json["as_of"], "2019-01-01T00:00:00Z");
    // The deal won two days before its lead's first contact: its mql row is rework.
    assert_eq!(json["stages"][1]["rework"], 1);

    let csv = run(revline(&db).args([
        "report",
        "funnel",
        "--from",
        "2017-01-01",
        "--to",
        "2019-01-01",
        "--format",
        "csv",
    ]));
    let text = stdout(&csv);
    assert_eq!(text.lines().count(), 6);
    assert!(
        text.lines()
            .nth(4)
            .unwrap()
            .starts_with(&format!("opportunity,{won},"))
    );
    let bad = run(revline(&db).args([
        "report",
        "funnel",
        "--from",
        "2019-01-01",
        "--to",
        "2018-01-01",
    ]));
    assert_eq!(bad.status.code(), Some(2));
}
