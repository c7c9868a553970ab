//! Several servers on one PostgreSQL database: records posted to one server reach the
//! other's live snapshot (its reports, caches and open pages), and an import made on
//! the command line reaches both, without a restart.

use super::alerts::{add_user, free_port, on, pg_demo, serve, token_for, wait_listening};
use super::browser::http;
use std::time::{Duration, Instant};

/// People who became leads since 2000, as the server's funnel counts them.
fn leads(port: u16, token: &str) -> u64 {
    let (status, body) = http(
        port,
        "GET",
        "/api/v1/reports/funnel?from=2000-01-01",
        token,
        "",
    );
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json["stages"][0]["reached"].as_u64().unwrap()
}

/// Polls until `port` counts `want` leads; how long it took.
fn until_leads(port: u16, token: &str, want: u64) -> Duration {
    let start = Instant::now();
    loop {
        let got = leads(port, token);
        if got == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the server on {port} still counts {got} leads, not {want}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn records_posted_to_one_server_reach_the_other() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some((pg, url)) = pg_demo(&rt, 300) else {
        return;
    };
    add_user(&url, "ann@example.com", "admin", "correct horse battery");
    let token = token_for(&url, "ann@example.com");
    let (a, b) = (free_port(), free_port());
    let _one = serve(&url, &format!("127.0.0.1:{a}"));
    let _two = serve(&url, &format!("127.0.0.1:{b}"));
    wait_listening(&format!("127.0.0.1:{a}"));
    wait_listening(&format!("127.0.0.1:{b}"));
    let before = leads(a, &token);
    assert_eq!(leads(b, &token), before);

    // Two new leads posted to the first server.
    let (status, body) = http(
        a,
        "POST",
        "/api/v1/contacts",
        &token,
        "{\"contact_id\":\"srv-1\",\"created_at\":\"2026-01-15T10:00:00Z\"}\n{\"contact_id\":\"srv-2\",\"created_at\":\"2026-01-16T10:00:00Z\"}\n",
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        a,
        "POST",
        "/api/v1/stages",
        &token,
        "{\"contact_id\":\"srv-1\",\"stage\":\"lead\",\"occurred_at\":\"2026-01-15T10:00:00Z\"}\n{\"contact_id\":\"srv-2\",\"stage\":\"lead\",\"occurred_at\":\"2026-01-16T10:00:00Z\"}\n",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(leads(a, &token), before + 2);
    let took = until_leads(b, &token, before + 2);
    eprintln!("the second server counted the posted leads after {took:?}");

    // A file imported on the command line: both servers read the workspace again.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("contacts.csv"),
        "contact_id,created_at\nsrv-3,2026-02-01T09:00:00Z\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("stages.csv"),
        "contact_id,stage,occurred_at\nsrv-3,lead,2026-02-01T09:00:00Z\n",
    )
    .unwrap();
    let imported = on(&url).arg("import").arg(dir.path()).output().unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    until_leads(a, &token, before + 3);
    until_leads(b, &token, before + 3);
    rt.block_on(pg.drop_database());
}
