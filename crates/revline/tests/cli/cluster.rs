//! A Revline cluster on loopback: a scheduler and two executors, each a separate
//! `revline cluster` process, run the funnel and attribution over snapshot files and
//! give exactly the in-memory answer, on the demo and on real data, from the command
//! line and from a server's API; an executor killed during a query leaves the right
//! answer or a clear error, never a wrong number.

use super::alerts::{add_user, free_port, token_for, wait_listening};
use super::browser::http;
use super::reports::cdnow_store;
use super::{olist_store, revline, run, stdout};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A node process, killed when dropped; its stderr kept in a file for failures.
struct Node {
    child: Child,
    log: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Cluster {
    scheduler: String,
    nodes: Vec<Node>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// A scheduler and two executors of one task slot each; every task sleeps
    /// `delay_ms` first when given.
    fn start(delay_ms: Option<u64>) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let scheduler = format!("127.0.0.1:{}", free_port());
        let mut nodes = vec![node(
            dir.path(),
            "scheduler",
            &["cluster", "scheduler", "--addr", &scheduler],
            None,
        )];
        wait_listening(&scheduler);
        for i in 0..2 {
            let (flight, grpc) = (free_port(), free_port());
            let addr = format!("127.0.0.1:{flight}");
            let work = dir.path().join(format!("work-{i}"));
            nodes.push(node(
                dir.path(),
                &format!("executor-{i}"),
                &[
                    "cluster",
                    "executor",
                    "--scheduler",
                    &scheduler,
                    "--addr",
                    &addr,
                    "--grpc-port",
                    &grpc.to_string(),
                    "--cores",
                    "1",
                    "--work-dir",
                    work.to_str().unwrap(),
                ],
                delay_ms,
            ));
            wait_listening(&addr);
            wait_listening(&format!("127.0.0.1:{grpc}"));
        }
        Cluster {
            scheduler,
            nodes,
            _dir: dir,
        }
    }

    /// What every node wrote, for a failure's message.
    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| {
                let text = std::fs::read_to_string(&n.log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {}\n{}", n.log.display(), tail.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn node(dir: &Path, name: &str, args: &[&str], delay_ms: Option<u64>) -> Node {
    let log = dir.join(format!("{name}.log"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_revline"));
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    if let Some(ms) = delay_ms {
        cmd.env(revline_cluster_delay_env(), ms.to_string());
    }
    Node {
        child: cmd.spawn().unwrap(),
        log,
    }
}

/// The variable that slows every task (`revline_cluster::TASK_DELAY_ENV`).
fn revline_cluster_delay_env() -> &'static str {
    "REVLINE_CLUSTER_TASK_DELAY_MS"
}

/// The reports compared: funnel views, windows and periods, and attribution's
/// conversions, models and periods (`period` is a half year of the dataset's, `open` a
/// quarter the as-of time falls in).
fn reports<'a>(period: [&'a str; 2], open: [&'a str; 2]) -> Vec<Vec<&'a str>> {
    vec![
        vec!["funnel"],
        vec!["funnel", "--view", "flow"],
        vec!["funnel", "--from", "1990-01-01", "--window-days", "45"],
        vec!["funnel", "--from", period[0], "--to", period[1]],
        vec![
            "funnel", "--view", "flow", "--from", period[0], "--to", period[1],
        ],
        vec!["attribution", "--from", "1990-01-01"],
        vec![
            "attribution",
            "--from",
            period[0],
            "--to",
            period[1],
            "--conversion",
            "created",
        ],
        vec![
            "attribution",
            "--from",
            "1990-01-01",
            "--model",
            "markov",
            "--order",
            "2",
        ],
        vec![
            "attribution",
            "--from",
            "1990-01-01",
            "--conversion",
            "stage:lead",
            "--lookback-days",
            "30",
        ],
        vec!["sla", "--from", "1990-01-01"],
        vec!["sla", "--from", period[0], "--to", period[1]],
        vec!["scorecard", "--from", period[0], "--to", period[1]],
        vec!["scorecard", "--from", open[0], "--to", open[1]],
        vec!["cohorts", "--from", "1990-01-01"],
        vec!["cohorts", "--from", period[0], "--to", period[1]],
        vec!["mrr", "--from", period[0], "--to", period[1]],
        vec!["forecast"],
        vec![
            "forecast", "--from", period[0], "--to", period[1], "--target", "50000",
        ],
        vec!["bottlenecks", "--from", period[0], "--to", period[1]],
        vec!["bottlenecks", "--from", "1990-01-01"],
        vec![
            "funnel", "--from", period[0], "--to", period[1], "--by", "channel",
        ],
        vec![
            "scorecard",
            "--from",
            period[0],
            "--to",
            period[1],
            "--by",
            "segment",
        ],
        vec![
            "bottlenecks",
            "--from",
            period[0],
            "--to",
            period[1],
            "--what-if",
            "handoff=0.95",
        ],
    ]
}

/// Whether a report's JSON counts anything: funnel entries or attributed conversions;
/// an SLA report counts its leads (a workspace without an `mql` stage has none); a
/// scorecard some figure; cohorts their customers; MRR its customers or why it has none
/// (a workspace without recurring revenue); a forecast the rates funnel's entries or
/// the revenue so far; the bottleneck finder some link's volume; a journey more
/// than one event, members someone, scores some lead.
fn counts_someone(json: &serde_json::Value) -> bool {
    if let Some(events) = json["events"].as_array() {
        return events.len() > 1;
    }
    if json["members"].is_array() {
        return json["count"].as_u64().unwrap_or(0) > 0;
    }
    if json["threshold"].is_object() {
        return !json["contacts"].as_array().unwrap().is_empty();
    }
    if let Some(links) = json["links"].as_array() {
        return links.iter().any(|l| l["volume"].as_u64().unwrap_or(0) > 0);
    }
    if json["sla_hours"].is_number() {
        return json["leads"].is_u64();
    }
    if let Some(metrics) = json["metrics"].as_array() {
        return metrics
            .iter()
            .any(|m| m["value"].as_f64().unwrap_or(0.0) > 0.0);
    }
    if json["cohorts"].is_array() {
        return json["customers"].as_u64().unwrap_or(0) > 0;
    }
    if let Some(stages) = json["reverse_funnel"].as_array() {
        return stages
            .iter()
            .any(|st| st["current"].as_u64().unwrap_or(0) > 0)
            || json["revenue_so_far"].as_f64().unwrap_or(0.0) > 0.0;
    }
    if json["arr"].is_number() || json["reason"].is_string() {
        return json["customers"].as_u64().unwrap_or(0) > 0 || json["reason"].is_string();
    }
    let stage = json["stages"][0]["reached"].as_u64().unwrap_or(0);
    let models = json["models"][0]["conversions"].as_f64();
    let model = json["conversions"].as_f64();
    stage > 0 || models.or(model).unwrap_or(0.0) > 0.0
}

fn report_cmd(db: &Path, args: &[&str], as_of: &str) -> Command {
    let mut cmd = revline(db);
    cmd.arg("report")
        .args(args)
        .args(["--as-of", as_of, "--format", "json"]);
    cmd
}

fn on_cluster(db: &Path, files: &Path, cluster: &str, args: &[&str], as_of: &str) -> Command {
    let mut cmd = report_cmd(db, args, as_of);
    cmd.arg("--snapshot")
        .arg(files)
        .args(["--cluster", cluster]);
    cmd
}

/// Every report from the cluster equals the one computed in this process from the
/// store; the first writes the files (none were there).
fn assert_cluster_answers_as_memory(
    cluster: &Cluster,
    db: &Path,
    as_of: &str,
    period: [&str; 2],
    open: [&str; 2],
    accounts: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("snap");
    let mut attributed = false;
    for (i, args) in reports(period, open).iter().enumerate() {
        let expected = run(&mut report_cmd(db, args, as_of));
        assert!(
            expected.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&expected.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&expected.stdout).unwrap();
        // The default period (the as-of month to date) may be empty; the others not.
        // A workspace without deals (CDNOW's orders) converts only by stages.
        if args[0] == "attribution" {
            attributed |= counts_someone(&json);
        } else if i >= 2 {
            assert!(counts_someone(&json), "{args:?} counts someone: {json}");
        }
        let got = run(&mut on_cluster(db, &files, &cluster.scheduler, args, as_of));
        let note = String::from_utf8_lossy(&got.stderr);
        assert!(
            got.status.success(),
            "{args:?} on the cluster: {note}\n{}",
            cluster.logs()
        );
        if i == 0 {
            assert!(note.contains("were missing"), "{note}");
        } else {
            assert!(
                note.contains("snapshot files") && note.contains("(store version"),
                "{note}"
            );
        }
        assert_eq!(
            stdout(&got),
            stdout(&expected),
            "{args:?} on the cluster differs from the in-memory report"
        );
    }
    assert!(attributed, "some attribution credits a conversion");
    assert_lists_on_cluster(cluster, db, &files, as_of, accounts);
}

/// The reports about people: a stage's members (the second stage's, and the first
/// stage's entries as they flowed), the journeys of some of them and of `accounts`,
/// and the lead scores, each equal on the cluster to the in-memory report.
fn assert_lists_on_cluster(
    cluster: &Cluster,
    db: &Path,
    files: &Path,
    as_of: &str,
    accounts: &[&str],
) {
    let same = |args: &[&str]| -> serde_json::Value {
        let expected = run(&mut report_cmd(db, args, as_of));
        assert!(
            expected.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&expected.stderr)
        );
        let got = run(&mut on_cluster(db, files, &cluster.scheduler, args, as_of));
        assert!(
            got.status.success(),
            "{args:?} on the cluster: {}\n{}",
            String::from_utf8_lossy(&got.stderr),
            cluster.logs()
        );
        assert_eq!(
            stdout(&got),
            stdout(&expected),
            "{args:?} on the cluster differs from the in-memory report"
        );
        serde_json::from_slice(&expected.stdout).unwrap()
    };
    let funnel = same(&["funnel", "--from", "1990-01-01"]);
    let stage = |k: usize| funnel["stages"][k]["stage"].as_str().unwrap().to_string();
    let members = same(&["members", "--stage", &stage(1), "--from", "1990-01-01"]);
    let listed = members["members"].as_array().unwrap();
    assert!(listed.len() > 3, "{members}");
    same(&[
        "members",
        "--stage",
        &stage(0),
        "--from",
        "1990-01-01",
        "--view",
        "flow",
    ]);
    for m in listed.iter().step_by(listed.len() / 3) {
        let journey = same(&["journeys", "--contact", m["contact_id"].as_str().unwrap()]);
        assert!(journey["events"].as_array().unwrap().len() > 1, "{journey}");
    }
    for account in accounts {
        let journey = same(&["journeys", "--account", account]);
        assert!(
            !journey["contacts"].as_array().unwrap().is_empty(),
            "{journey}"
        );
    }
    // Lead scores: trained on the client from every shard's leads.
    let scores = same(&["scores", "--from", "1990-01-01"]);
    assert!(
        scores["model"]["trained_on"]["contacts"].as_u64().unwrap() > 0,
        "{}",
        scores["model"]
    );
    // What takes more than one round: an account's people gathered from every shard,
    // and the score bands of the model trained on the client.
    same(&["attribution", "--from", "1990-01-01", "--account-based"]);
    same(&[
        "attribution",
        "--from",
        "1990-01-01",
        "--conversion",
        &format!("stage:{}", stage(1)),
        "--account-based",
    ]);
    same(&["funnel", "--from", "1990-01-01", "--by", "score_band"]);
    same(&[
        "bottlenecks",
        "--from",
        "1990-01-01",
        "--filter",
        "score_band:top 0–10%",
    ]);
    same(&[
        "attribution",
        "--from",
        "1990-01-01",
        "--filter",
        "score_band:top 10–25%",
        "--account-based",
    ]);
}

#[test]
fn reports_on_a_cluster_are_the_in_memory_reports_on_demo_and_real_data() {
    let cluster = Cluster::start(None);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run(revline(&db).args(["demo", "--contacts", "700", "--end", "2026-11-01"]));
    assert!(out.status.success());
    assert_cluster_answers_as_memory(
        &cluster,
        &db,
        "2026-11-01",
        ["2026-01-01", "2026-07-01"],
        ["2026-10-01", "2027-01-01"],
        &["acc-000001", "acc-000002", "acc-000007"],
    );
    // A what-if of a link the finder does not have is the same error either way.
    let files = dir.path().join("snap-what-if");
    let args = ["bottlenecks", "--what-if", "nope=0.5"];
    let memory = run(&mut report_cmd(&db, &args, "2026-11-01"));
    let got = run(&mut on_cluster(
        &db,
        &files,
        &cluster.scheduler,
        &args,
        "2026-11-01",
    ));
    let err = String::from_utf8_lossy(&got.stderr);
    assert_eq!(memory.status.code(), Some(2));
    assert_eq!(got.status.code(), Some(2), "{err}");
    assert!(err.contains("what_if: no link 'nope'"), "{err}");

    let Some((_, olist)) = olist_store(dir.path()) else {
        return;
    };
    assert_cluster_answers_as_memory(
        &cluster,
        &olist,
        "2018-09-01",
        ["2017-07-01", "2018-01-01"],
        ["2018-07-01", "2018-10-01"],
        &[],
    );
    let Some((_, cdnow)) = cdnow_store(dir.path()) else {
        return;
    };
    assert_cluster_answers_as_memory(
        &cluster,
        &cdnow,
        "1998-07-01",
        ["1997-01-01", "1997-07-01"],
        ["1998-06-01", "1998-09-01"],
        &[],
    );
}

/// A 50-contact demo store in `dir`.
fn small_demo(dir: &Path) -> PathBuf {
    let db = dir.join("demo.db");
    let out = run(revline(&db).args(["demo", "--contacts", "50"]));
    assert!(out.status.success());
    db
}

#[test]
fn a_report_on_a_cluster_needs_snapshot_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_demo(dir.path());
    let out = run(&mut report_cmd(
        &db,
        &["funnel", "--cluster", "127.0.0.1:1"],
        "2026-11-01",
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --snapshot DIR"));
}

#[test]
fn a_cluster_that_is_not_there_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_demo(dir.path());
    let files = dir.path().join("snap");
    let nobody = format!("127.0.0.1:{}", free_port());
    let out = run(&mut on_cluster(
        &db,
        &files,
        &nobody,
        &["funnel"],
        "2026-11-01",
    ));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("the cluster at {nobody}")), "{err}");
    assert!(out.stdout.is_empty(), "no figures without an answer");
}

#[test]
fn a_killed_executor_leaves_the_right_report_or_a_clear_error() {
    // Every task takes at least 1.5 s, so the kill lands while shards are running.
    let mut cluster = Cluster::start(Some(1500));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    assert!(
        run(revline(&db).args(["demo", "--contacts", "400", "--end", "2026-11-01"]))
            .status
            .success()
    );
    let files = dir.path().join("snap");
    assert!(
        run(revline(&db).args(["snapshot", "write"]).arg(&files))
            .status
            .success()
    );
    // Attribution: its shards read their touchpoints and the shared tables too.
    let args = ["attribution", "--from", "2000-01-01"];
    let expected = stdout(&run(&mut report_cmd(&db, &args, "2026-11-01")));

    let query = on_cluster(&db, &files, &cluster.scheduler, &args, "2026-11-01")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let killed = cluster.nodes.remove(1);
    drop(killed);
    let out = query.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "after the kill: {}",
        if out.status.success() {
            "answered"
        } else {
            "failed"
        }
    );
    if out.status.success() {
        assert_eq!(
            stdout(&out),
            expected,
            "an answer after the kill must be the right one"
        );
    } else {
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("the cluster at"), "{err}");
        assert!(out.stdout.is_empty(), "no figures without an answer");
    }
    // The one executor left answers the next queries, rightly.
    for next in [&args[..], &["sla", "--from", "2000-01-01"]] {
        let again = run(&mut on_cluster(
            &db,
            &files,
            &cluster.scheduler,
            next,
            "2026-11-01",
        ));
        assert!(
            again.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&again.stderr),
            cluster.logs()
        );
        let memory = stdout(&run(&mut report_cmd(&db, next, "2026-11-01")));
        assert_eq!(stdout(&again), memory, "{next:?} after the kill");
    }
}

/// `revline serve --cluster` on the demo in `db`, reading the files in `files`.
fn serve_on_cluster(dir: &Path, db: &Path, files: &Path, cluster: &str) -> (Node, u16) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let (db, files) = (db.to_str().unwrap(), files.to_str().unwrap());
    let server = node(
        dir,
        &format!("server-{port}"),
        &[
            "--db",
            db,
            "--snapshot",
            files,
            "serve",
            "--addr",
            &addr,
            "--as-of",
            "2026-11-01",
            "--cluster",
            cluster,
        ],
        None,
    );
    wait_listening(&addr);
    (server, port)
}

fn api_json(port: u16, token: &str, path: &str) -> (u16, serde_json::Value) {
    let (status, body) = http(port, "GET", path, token, "");
    let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    (status, json)
}

#[test]
fn a_server_with_a_cluster_answers_the_api_from_it() {
    let cluster = Cluster::start(None);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run(revline(&db).args(["demo", "--contacts", "500", "--end", "2026-11-01"]));
    assert!(out.status.success());
    add_user(&db, "ann@example.com", "admin", "correct horse battery");
    let token = token_for(&db, "ann@example.com");
    let files = dir.path().join("snap");
    let (_server, port) = serve_on_cluster(dir.path(), &db, &files, &cluster.scheduler);
    let cases: [(&str, &[&str]); 23] = [
        ("funnel", &["--from", "2000-01-01"]),
        (
            "funnel",
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-07-01",
                "--view",
                "flow",
            ],
        ),
        ("attribution", &["--from", "2000-01-01"]),
        (
            "attribution",
            &["--from", "2026-01-01", "--conversion", "created"],
        ),
        ("sla", &["--from", "2026-01-01"]),
        ("scorecard", &["--from", "2026-01-01", "--to", "2026-07-01"]),
        ("cohorts", &["--from", "2025-06-01"]),
        ("mrr", &["--from", "2026-01-01"]),
        ("forecast", &["--from", "2026-01-01", "--to", "2027-01-01"]),
        (
            "bottlenecks",
            &["--from", "2026-01-01", "--to", "2026-07-01"],
        ),
        // Filters: a contact's value (the lead's channel), an account's (the segment,
        // whose own targets the scorecard reads) and a unit's (cohorts by channel).
        (
            "funnel",
            &["--from", "2026-01-01", "--filter", "channel:email"],
        ),
        (
            "scorecard",
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-07-01",
                "--filter",
                "segment:smb",
            ],
        ),
        (
            "cohorts",
            &["--from", "2025-06-01", "--filter", "channel:paid_search"],
        ),
        (
            "bottlenecks",
            &["--from", "2025-06-01", "--filter", "segment:enterprise"],
        ),
        // Breakdowns: by a contact's value, and by the segment (each with its own
        // targets); the retention page's cohorts by first touch.
        ("funnel", &["--from", "2026-01-01", "--by", "channel"]),
        (
            "scorecard",
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-07-01",
                "--by",
                "segment",
            ],
        ),
        (
            "cohorts",
            &["--from", "2025-06-01", "--by", "first_touch_channel"],
        ),
        // The reports about people: a stage's members (named from the store), two
        // journeys and the lead scores.
        ("members", &["--stage", "sql", "--from", "2026-01-01"]),
        (
            "members",
            &[
                "--stage",
                "customer",
                "--from",
                "2025-01-01",
                "--filter",
                "segment:smb",
            ],
        ),
        ("journeys", &["--account", "acc-000003"]),
        ("journeys", &["--contact", "con-0000004"]),
        ("scores", &["--from", "2026-07-01", "--to", "2026-10-01"]),
        // Two rounds: the leads, then the funnel by the bands trained on them.
        ("funnel", &["--from", "2026-01-01", "--by", "score_band"]),
    ];
    for (name, args) in cases {
        let query: Vec<String> = args
            .chunks(2)
            .map(|kv| format!("{}={}", kv[0].trim_start_matches("--"), kv[1]))
            .collect();
        let path = format!(
            "/api/v1/reports/{name}?as_of=2026-11-01&{}",
            query.join("&")
        );
        let (status, got) = api_json(port, &token, &path);
        assert_eq!(status, 200, "{path}: {got}\n{}", cluster.logs());
        let mut cli = vec![name];
        cli.extend(args);
        let expected: serde_json::Value =
            serde_json::from_str(&stdout(&run(&mut report_cmd(&db, &cli, "2026-11-01")))).unwrap();
        assert!(counts_someone(&expected), "{name} {args:?} counts someone");
        assert_eq!(got, expected, "{path} from the cluster");
    }

    // Two rounds: which accounts have people where, then their touches.
    let (status, got) = api_json(
        port,
        &token,
        "/api/v1/reports/attribution?as_of=2026-11-01&from=2000-01-01&account_based=true",
    );
    assert_eq!(status, 200, "{got}");
    let cli = ["attribution", "--from", "2000-01-01", "--account-based"];
    let expected: serde_json::Value =
        serde_json::from_str(&stdout(&run(&mut report_cmd(&db, &cli, "2026-11-01")))).unwrap();
    assert!(counts_someone(&expected));
    assert_eq!(got, expected, "account-based attribution from the cluster");

    // A server whose cluster is not there fails clearly, so the first server's answers
    // did come from its cluster.
    let nobody = format!("127.0.0.1:{}", free_port());
    let (_lost, port) = serve_on_cluster(dir.path(), &db, &files, &nobody);
    let (status, got) = api_json(port, &token, "/api/v1/reports/funnel?from=2000-01-01");
    assert_eq!(status, 502, "{got}");
    assert_eq!(got["error"]["code"], "cluster_failed", "{got}");
    let message = got["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("the cluster at {nobody}")),
        "{got}"
    );
    let (status, got) = api_json(
        port,
        &token,
        "/api/v1/reports/attribution?from=2000-01-01&account_based=true",
    );
    assert_eq!(status, 502, "{got}");
}

#[test]
fn a_server_cluster_needs_snapshot_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_demo(dir.path());
    let out = run(revline(&db).args(["serve", "--cluster", "127.0.0.1:1"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --snapshot DIR"));
}
