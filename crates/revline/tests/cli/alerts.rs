//! Alerts end to end: a rule added on the command line fires in a running server and
//! reaches a webhook receiver on loopback, signed as alerts.md says, once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `revline` on a store: a SQLite file or a PostgreSQL URL.
pub(crate) fn on(store: &dyn AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_revline"));
    cmd.env_remove("DATABASE_URL").env_remove("REVLINE_DB");
    let store = store.as_ref();
    if store.to_string_lossy().starts_with("postgres") {
        cmd.arg("--database-url").arg(store);
    } else {
        cmd.arg("--db").arg(store);
    }
    cmd
}

/// A fresh PostgreSQL database holding the demo workspace of `contacts` people, and its
/// URL; `None` where PostgreSQL tests skip.
pub(crate) fn pg_demo(
    rt: &tokio::runtime::Runtime,
    contacts: u64,
) -> Option<(revline_store::testing::TempPg, String)> {
    let pg = rt.block_on(revline_store::testing::postgres())?;
    let url = pg.url.clone();
    let demo = on(&url)
        .args(["demo", "--contacts", &contacts.to_string()])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    Some((pg, url))
}

/// Adds a user with a password, as `revline user add --password-stdin`.
pub(crate) fn add_user(
    store: &dyn AsRef<std::ffi::OsStr>,
    email: &str,
    role: &str,
    password: &str,
) {
    let mut child = on(store)
        .args([
            "user",
            "add",
            "--email",
            email,
            "--role",
            role,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success());
}

/// A new API token of the user, as `revline token create` prints it.
pub(crate) fn token_for(store: &dyn AsRef<std::ffi::OsStr>, email: &str) -> String {
    let out = on(store)
        .args(["token", "create", "--email", email])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

fn revline(db: &Path, args: &[&str]) -> Output {
    on(&db).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// One received request: its headers (lower-case names) and body.
type Received = (Vec<(String, String)>, String);

/// A webhook receiver on loopback answering `status` to every request.
fn receiver(status: u16) -> (u16, mpsc::Receiver<Received>) {
    receiver_on(0, status)
}

fn receiver_on(port: u16, status: u16) -> (u16, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    headers.push((k.trim().to_lowercase(), v.trim().to_string()));
                }
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let _ = tx.send((headers, String::from_utf8(body).unwrap()));
        }
    });
    (port, rx)
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `revline serve` on the store, letting webhooks reach this machine's receiver.
pub(crate) fn serve(store: &dyn AsRef<std::ffi::OsStr>, addr: &str) -> Killed {
    Killed(
        on(store)
            .args(["serve", "--addr", addr, "--allow-private-webhooks"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

pub(crate) fn wait_listening(addr: &str) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A rule true at once on any stored data (touchpoints quiet for a few seconds) with
/// one webhook to `port` on loopback.
fn add_quiet_touchpoints_rule(store: &dyn AsRef<std::ffi::OsStr>, port: u16) {
    let destination = format!(
        r#"{{"type":"webhook","url":"http://127.0.0.1:{port}/hook","secret":"whsec_0123456789abcdef"}}"#
    );
    let added = on(store)
        .args([
            "alerts",
            "add",
            "--name",
            "Touchpoints stopped",
            "--condition",
            r#"{"type":"freshness","kind":"touchpoints","hours":0.001}"#,
            "--destination",
            &destination,
        ])
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    &r.0.iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

#[test]
fn a_rule_fires_in_the_server_and_reaches_a_signed_webhook_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    assert!(
        revline(&db, &["demo", "--contacts", "300"])
            .status
            .success()
    );
    let (port, received) = receiver(200);
    let secret = "whsec_0123456789abcdef";
    let destination =
        format!(r#"{{"type":"webhook","url":"http://127.0.0.1:{port}/hook","secret":"{secret}"}}"#);
    // A bad condition is refused with its reason, and nothing is stored.
    let bad = revline(
        &db,
        &[
            "alerts",
            "add",
            "--name",
            "x",
            "--condition",
            r#"{"type":"freshness","kind":"spend","hours":1}"#,
        ],
    );
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("kind: one of"));
    // Touchpoints quiet for more than a few seconds: true at once on any stored data.
    let added = revline(
        &db,
        &[
            "alerts",
            "add",
            "--name",
            "Touchpoints stopped",
            "--condition",
            r#"{"type":"freshness","kind":"touchpoints","hours":0.001}"#,
            "--destination",
            &destination,
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(stdout(&added).starts_with("Added rule 1"));
    // Muted, then on again.
    let muted = stdout(&revline(
        &db,
        &["alerts", "mute", "1", "--until", "2999-01-01"],
    ));
    assert!(
        muted.starts_with("Rule 1 is muted until 2999-01-01"),
        "{muted}"
    );
    assert!(stdout(&revline(&db, &["alerts", "list"])).contains("muted until 2999-01-01"));
    assert_eq!(
        stdout(&revline(&db, &["alerts", "mute", "1", "--off"])),
        "Rule 1 is on again.\n"
    );
    assert_eq!(
        revline(&db, &["alerts", "mute", "9", "--off"])
            .status
            .code(),
        Some(2)
    );
    let test = stdout(&revline(&db, &["alerts", "test", "1"]));
    assert!(test.starts_with("WOULD FIRE touchpoints"), "{test}");
    assert!(stdout(&revline(&db, &["alerts", "list"])).contains("Touchpoints stopped"));

    let addr = format!("127.0.0.1:{}", free_port());
    let server = serve(&db, &addr);
    let got = received
        .recv_timeout(Duration::from_secs(60))
        .expect("the webhook was called");
    // Signed over "<t>.<body>" with the rule's secret; the delivery id is the payload's.
    let body: serde_json::Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["state"], "firing");
    assert_eq!(body["rule"]["name"], "Touchpoints stopped");
    assert_eq!(body["subject"], "touchpoints");
    assert_eq!(
        header(&got, "revline-delivery"),
        body["id"].as_str().unwrap()
    );
    let signature = header(&got, "revline-signature");
    let t: i64 = signature[2..signature.find(',').unwrap()].parse().unwrap();
    assert_eq!(
        signature,
        revline_web::deliver::signature(secret, t, &got.1)
    );
    assert!((chrono::Utc::now().timestamp() - t).abs() < 120);

    // Once: no second call while it stays true, after a restart too.
    assert!(received.recv_timeout(Duration::from_secs(3)).is_err());
    drop(server);
    let _again = serve(&db, &addr);
    wait_listening(&addr);
    assert!(
        received.recv_timeout(Duration::from_secs(3)).is_err(),
        "delivered once"
    );
    let deliveries = stdout(&revline(&db, &["alerts", "deliveries"]));
    assert!(deliveries.contains("delivered"), "{deliveries}");
    let history = stdout(&revline(&db, &["alerts", "history"]));
    assert_eq!(history.lines().count(), 1, "{history}");
}

/// alerts.md: "a restart neither repeats nor forgets an alert". The server fires while
/// the receiver is down, is killed with SIGKILL before any attempt succeeded, and the
/// next server delivers the queued message once (at its retry time, 30 s after the
/// failed attempt), without firing again.
#[test]
fn a_server_killed_between_firing_and_delivering_delivers_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    assert!(
        revline(&db, &["demo", "--contacts", "300"])
            .status
            .success()
    );
    let down = free_port();
    add_quiet_touchpoints_rule(&db, down);
    let addr = format!("127.0.0.1:{}", free_port());
    let first = serve(&db, &addr);
    wait_listening(&addr);
    let start = Instant::now();
    loop {
        let d = stdout(&revline(&db, &["alerts", "deliveries"]));
        if d.contains("attempts 1") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no attempt: {d}");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(first); // SIGKILL
    let history = stdout(&revline(&db, &["alerts", "history"]));
    assert_eq!(history.lines().count(), 1, "{history}");

    // The receiver comes up on the port that was down; a new server takes over.
    let (port, received) = receiver_on(down, 200);
    assert_eq!(port, down);
    let _second = serve(&db, &addr);
    let got = received
        .recv_timeout(Duration::from_secs(90))
        .expect("delivered after the restart");
    let body: serde_json::Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["state"], "firing");
    assert!(
        received.recv_timeout(Duration::from_secs(3)).is_err(),
        "delivered once"
    );
    let history = stdout(&revline(&db, &["alerts", "history"]));
    assert_eq!(history.lines().count(), 1, "not fired again: {history}");
    let deliveries = stdout(&revline(&db, &["alerts", "deliveries"]));
    assert!(deliveries.contains("delivered"), "{deliveries}");
}

/// alerts.md: "several servers on one PostgreSQL database deliver each alert once".
/// Two server processes start together on one database and both evaluate the rule.
#[test]
fn two_servers_on_one_postgres_database_deliver_each_alert_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some((_pg, url)) = pg_demo(&rt, 300) else {
        return;
    };
    let (port, received) = receiver(200);
    add_quiet_touchpoints_rule(&url, port);
    let (a, b) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let _one = serve(&url, &a);
    let _two = serve(&url, &b);
    wait_listening(&a);
    wait_listening(&b);
    let got = received
        .recv_timeout(Duration::from_secs(60))
        .expect("the webhook was called");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&got.1).unwrap()["state"],
        "firing"
    );
    // Both keep evaluating (after start and every minute); nothing more arrives.
    assert!(
        received.recv_timeout(Duration::from_secs(5)).is_err(),
        "delivered once"
    );
    let history = stdout(&on(&url).args(["alerts", "history"]).output().unwrap());
    assert_eq!(history.lines().count(), 1, "fired once: {history}");
}

/// The digest goes out by itself at its hour (Monday 08:00 in the workspace zone, here
/// a server whose clock is pinned to 08:30), as a signed `{"type":"digest"}` payload to
/// the rules' webhooks, once.
#[test]
fn the_weekly_digest_is_sent_on_monday_morning_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    assert!(
        revline(&db, &["demo", "--contacts", "300"])
            .status
            .success()
    );
    let (port, received) = receiver(200);
    let destination = format!(
        r#"{{"type":"webhook","url":"http://127.0.0.1:{port}/hook","secret":"whsec_0123456789abcdef"}}"#
    );
    // A rule that never fires: only the digest comes.
    let added = revline(
        &db,
        &[
            "alerts",
            "add",
            "--name",
            "Deals stopped",
            "--condition",
            r#"{"type":"freshness","kind":"deals","hours":1000000}"#,
            "--destination",
            &destination,
        ],
    );
    assert!(added.status.success());
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = Killed(
        on(&db)
            .args([
                "serve",
                "--addr",
                &addr,
                "--allow-private-webhooks",
                "--as-of",
                "2026-12-07T08:30:00Z",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let got = received
        .recv_timeout(Duration::from_secs(60))
        .expect("the digest was sent");
    let body: serde_json::Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["type"], "digest");
    assert!(body["scorecard"].as_array().is_some_and(|m| !m.is_empty()));
    assert_eq!(
        header(&got, "revline-delivery"),
        body["id"].as_str().unwrap()
    );
    assert!(
        received.recv_timeout(Duration::from_secs(3)).is_err(),
        "sent once"
    );
}

/// Regression (found on the Olist export, which ends in 2018): the digest of a
/// workspace whose records stop before the period showed this month's zeros as if they
/// were news; it now says first where the data ends.
#[test]
fn a_digest_of_data_that_ended_years_ago_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("contacts.csv"),
        "contact_id,email,created_at\nc1,a@example.com,2018-03-01\nc2,b@example.com,2018-04-01\n",
    )
    .unwrap();
    let db = dir.path().join("r.db");
    let data = data.to_string_lossy().to_string();
    assert!(revline(&db, &["import", &data]).status.success());
    let preview = stdout(&revline(&db, &["digest", "--preview"]));
    assert!(
        preview.contains("No record falls in this period: the data ends on Apr 1, 2018."),
        "{preview}"
    );
}
