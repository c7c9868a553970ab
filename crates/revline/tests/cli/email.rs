//! Email through a real SMTP exchange (alerts.md "Destinations"): an SMTP server on
//! loopback (aiosmtpd, which keeps every message it receives in a Maildir) receives an
//! alert from a running server and a digest from `revline digest --send`, each with a
//! text and an HTML part; the digest's chart is a PNG that mail clients show.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd on a loopback port, storing messages in `maildir`; `None` where it is not
/// installed (`scripts/test` installs it), which fails under CI.
fn smtp_server(maildir: &Path) -> Option<(Killed, u16)> {
    let python = std::env::var("REVLINE_TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".into());
    let installed = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd is needed for the email tests (scripts/test installs it)"
        );
        eprintln!("notice: aiosmtpd is not installed; the email test skips");
        return None;
    }
    let port = free_port();
    let child = Command::new(&python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Killed(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((server, port))
}

fn revline(db: &Path, smtp: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_revline"));
    cmd.arg("--db")
        .arg(db)
        .env_remove("DATABASE_URL")
        .env_remove("REVLINE_DB")
        .env("REVLINE_SMTP_URL", smtp)
        .env("REVLINE_MAIL_FROM", "Revline <alerts@example.com>")
        .env("REVLINE_PUBLIC_URL", "https://revline.example.com");
    cmd
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The messages in the Maildir, once `count` arrived.
fn wait_for(maildir: &Path, count: usize) -> Vec<PathBuf> {
    let start = Instant::now();
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if files.len() >= count {
            files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).unwrap());
            return files;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{count} messages did not arrive"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every leaf part of a message: (content type, Content-ID, decoded body).
fn parts(mail: &mailparse::ParsedMail) -> Vec<(String, String, Vec<u8>)> {
    if mail.subparts.is_empty() {
        let cid = mail
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case("content-id"))
            .map(|h| h.get_value())
            .unwrap_or_default();
        return vec![(
            mail.ctype.mimetype.clone(),
            cid,
            mail.get_body_raw().unwrap(),
        )];
    }
    mail.subparts.iter().flat_map(parts).collect()
}

/// The decoded text of the first part of a MIME type.
fn part_text(found: &[(String, String, Vec<u8>)], mime: &str) -> String {
    let part = found
        .iter()
        .find(|p| p.0 == mime)
        .unwrap_or_else(|| panic!("no {mime} part"));
    String::from_utf8(part.2.clone()).unwrap()
}

fn header(mail: &mailparse::ParsedMail, name: &str) -> String {
    mail.headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case(name))
        .map(|h| h.get_value())
        .unwrap_or_default()
}

#[test]
fn alerts_and_the_digest_arrive_by_email_with_text_html_and_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let Some((_smtp, port)) = smtp_server(&maildir) else {
        return;
    };
    let smtp = format!("smtp://127.0.0.1:{port}");
    let db = dir.path().join("r.db");
    ok(revline(&db, &smtp).args(["demo", "--contacts", "600"]));
    ok(revline(&db, &smtp).args([
        "alerts",
        "add",
        "--name",
        "Touchpoints stopped",
        "--condition",
        r#"{"type":"freshness","kind":"touchpoints","hours":0.001}"#,
        "--destination",
        r#"{"type":"email","to":["ann@example.com","bob@example.com"]}"#,
    ]));

    // An alert, from a running server.
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = Killed(
        revline(&db, &smtp)
            .args(["serve", "--addr", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let first = wait_for(&maildir, 1);
    let raw = std::fs::read(&first[0]).unwrap();
    let mail = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(header(&mail, "Subject"), "[firing] Touchpoints stopped");
    assert!(header(&mail, "To").contains("ann@example.com"));
    assert!(header(&mail, "To").contains("bob@example.com"));
    assert_eq!(mail.ctype.mimetype, "multipart/alternative");
    let found = parts(&mail);
    let text = part_text(&found, "text/plain");
    assert!(text.starts_with("No new touchpoints since "), "{text}");
    assert!(text.contains("https://revline.example.com/records?kind=touchpoints"));
    let html = part_text(&found, "text/html");
    assert!(html.contains("href=\"https://revline.example.com/records?kind=touchpoints\""));

    // The digest, now: to the digest's addresses, in the workspace language.
    ok(revline(&db, &smtp).args(["settings", "set", "digest_to", "board@example.com"]));
    ok(revline(&db, &smtp).args(["settings", "set", "language", "pl"]));
    let sent = ok(revline(&db, &smtp).args(["digest", "--send"]));
    assert!(sent.contains("email  delivered"), "{sent}");
    let both = wait_for(&maildir, 2);
    let raw = std::fs::read(&both[1]).unwrap();
    let mail = mailparse::parse_mail(&raw).unwrap();
    assert!(
        header(&mail, "Subject").starts_with("Podsumowanie przychodu"),
        "{}",
        header(&mail, "Subject")
    );
    assert_eq!(header(&mail, "To"), "board@example.com");
    let found = parts(&mail);
    let text = part_text(&found, "text/plain");
    assert!(text.contains("Karta wyników"), "{text}");
    let html = part_text(&found, "text/html");
    // The charts: a PNG pace bar beside each metric with a target (the demo has a
    // revenue target), referenced by its Content-ID, decoding as an image.
    let (_, cid, png) = found
        .iter()
        .find(|p| p.0 == "image/png" && p.1 == "<pace-revenue>")
        .expect("revenue's pace bar");
    assert!(
        html.contains(&format!("src=\"cid:{}\"", &cid[1..cid.len() - 1])),
        "{html}"
    );
    let images = found.iter().filter(|p| p.0 == "image/png").count();
    assert_eq!(html.matches("src=\"cid:pace-").count(), images);
    let decoder = png::Decoder::new(std::io::Cursor::new(png.clone()));
    let info = decoder.read_info().unwrap();
    assert_eq!((info.info().width, info.info().height), (160, 14));
    // The preview prints the same digest without sending it.
    let preview = ok(revline(&db, &smtp).args(["digest", "--preview"]));
    assert!(preview.contains("Karta wyników"));
    assert_eq!(wait_for(&maildir, 2).len(), 2);
}
