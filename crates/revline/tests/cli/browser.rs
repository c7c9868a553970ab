//! The revenue room in real headless Chromium (Debian's chromium and chromium-driver,
//! driven over WebDriver with fantoccini) against `revline serve` on a demo store:
//! sign in, the home figures equal `revline report scorecard --format json`, a CSV
//! upload and its summary, an event sent to the API updating an open page, a viewer
//! refused an import. With `REVLINE_SCREENSHOTS=DIR` it also saves every page in English
//! and Polish at laptop and phone size (docs/screenshots holds the reviewed set).
//!
//! Without chromium and chromedriver the test prints a notice and skips, except under
//! CI (`CI` set), where it fails.

use super::alerts::{add_user, token_for};
use fantoccini::{Client, ClientBuilder, Locator};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AS_OF: &str = "2026-11-15T12:00:00Z";
const PASSWORD: &str = "correct horse battery";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tools() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| names.iter().map(PathBuf::from).find(|p| p.exists());
    let chromium = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
    let driver = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but chromium or chromedriver is missing (.ci/run installs them)"
            );
            eprintln!(
                "notice: skipping the browser test: install Debian's chromium and chromium-driver"
            );
            None
        }
    }
}

/// A plain HTTP/1.1 request to the server (the test needs no HTTP client crate).
pub(crate) fn http(port: u16, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().unwrap();
    let body = reply
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

fn revline(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_revline"));
    c.arg("--db")
        .arg(db)
        .env_remove("DATABASE_URL")
        .env_remove("REVLINE_DB");
    c
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let page = c.source().await.unwrap_or_default();
            let main = page.find("<main").map_or(page.as_str(), |i| &page[i..]);
            panic!("waiting for {css}: {e}\n{}", &main[..main.len().min(3000)])
        }
    }
}

/// The signed-in user's language, chosen in the settings as a person would.
async fn choose_language(c: &Client, base: &str, lang: &str) {
    c.goto(&format!("{base}/settings")).await.unwrap();
    let select = wait_css(c, "select[name=lang]").await;
    select.select_by_value(lang).await.unwrap();
    c.find(Locator::Css("form[hx-post='/settings/language'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(c, &format!("html[lang={lang}]")).await;
}

/// The text a page's first chart drew (its SVG labels).
async fn chart_text(c: &Client) -> String {
    wait_css(c, ".chart svg text").await;
    c.execute(
        "return document.querySelector('.chart svg').textContent",
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Whether `text` holds a number of four or more digits grouped with `separator`.
fn grouped_with(text: &str, separators: &[char]) -> bool {
    let c: Vec<char> = text.chars().collect();
    c.windows(5).any(|w| {
        w[0].is_ascii_digit()
            && separators.contains(&w[1])
            && w[2..].iter().all(char::is_ascii_digit)
    })
}

async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(c, "nav.side").await;
}

#[test]
fn the_revenue_room_in_a_real_browser() {
    let Some((chromium, driver)) = tools() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("revline.db");
    let demo = revline(&db)
        .args(["demo", "--contacts", "3000", "--seed", "11"])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    add_user(&db, "ann@example.com", "admin", PASSWORD);
    add_user(&db, "board@example.com", "viewer", PASSWORD);
    let token = token_for(&db, "ann@example.com");

    let port = free_port();
    let _server = Killed(
        revline(&db)
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--as-of",
                AS_OF,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let driver_port = free_port();
    let _driver = Killed(
        Command::new(driver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, "revline serve");
    wait_for_port(driver_port, "chromedriver");
    let base = format!("http://127.0.0.1:{port}");

    let scorecard: serde_json::Value = serde_json::from_slice(
        &revline(&db)
            .args([
                "report",
                "scorecard",
                "--from",
                "2026-10-01",
                "--to",
                "2027-01-01",
                "--as-of",
                AS_OF,
                "--format",
                "json",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();

    let profile = tempfile::tempdir().unwrap();
    let caps: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=en-US",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--window-size=1366,860"
                ]
            }
        }))
        .unwrap();
    let screenshots = std::env::var_os("REVLINE_SCREENSHOTS").map(PathBuf::from);
    let csv = dir.path().join("contacts.csv");
    std::fs::write(
        &csv,
        "contact_id,email,name,created_at\nweb-1,one@example.com,One,2026-11-01\nweb-2,two@example.com,Two,2026-11-02\nweb-3,three@example.com,Three,someday\n",
    )
    .unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("a WebDriver session");
        let outcome = async {
            // Sign in; the home page's figures are the scorecard's.
            sign_in(&c, &base, "ann@example.com").await;
            c.goto(&format!("{base}/?period=this_quarter")).await.unwrap();
            wait_css(&c, "#kpis").await;
            let tr = revline_web::i18n::Tr::new(revline_web::i18n::Lang::En);
            for m in scorecard["metrics"].as_array().unwrap() {
                let name = m["name"].as_str().unwrap();
                let shown = text_of(&c, &format!("[data-figure='metric:{name}']")).await;
                // WebDriver reads a non-breaking space as a space, and drops the
                // zero-width space where a per-day figure may break.
                let expected = tr.value(m["value"].as_f64(), m["unit"].as_str().unwrap());
                let expected = expected.replace('\u{a0}', " ").replace('\u{200b}', "");
                assert_eq!(shown, expected, "{name}");
            }
            // Charts are drawn.
            wait_css(&c, ".chart svg").await;

            // Upload a CSV, preview, import, read the summary.
            c.goto(&format!("{base}/import")).await.unwrap();
            let input = wait_css(&c, "input[type=file]").await;
            input.send_keys(&csv.display().to_string()).await.unwrap();
            c.find(Locator::Css("#upload button[type=submit]")).await.unwrap().click().await.unwrap();
            wait_css(&c, "#import-job[data-state=preview]").await;
            // htmx wires swapped-in content up as it settles (20 ms), as a person would wait.
            tokio::time::sleep(Duration::from_millis(300)).await;
            c.find(Locator::Css("#run-import")).await.unwrap().click().await.unwrap();
            wait_css(&c, "#import-job[data-state=done]").await;
            assert_eq!(text_of(&c, "[data-count=inserted]").await, "2");
            assert_eq!(text_of(&c, "[data-count=rejected]").await, "1");
            assert!(text_of(&c, "table.rejected").await.contains("created_at"));

            // An event through the API updates the open funnel page without a reload.
            c.goto(&format!("{base}/funnel?period=this_quarter")).await.unwrap();
            wait_css(&c, "#live-status.on").await;
            let before = text_of(&c, "[data-figure='reached:lead']").await;
            // Two new people: a contact's creation is its entry into the first stage.
            let (status, body) = http(port, "POST", "/api/v1/contacts", &token,
                "{\"contact_id\":\"live-1\",\"email\":\"l1@example.com\",\"created_at\":\"2026-11-05\"}\n{\"contact_id\":\"live-2\",\"email\":\"l2@example.com\",\"created_at\":\"2026-11-06\"}\n");
            assert_eq!(status, 200, "{body}");
            let changed = wait_css(&c, "[data-figure='reached:lead'].changed").await;
            let after = changed.text().await.unwrap();
            assert_ne!(before, after);
            assert_eq!(
                after.replace(',', "").parse::<u64>().unwrap(),
                before.replace(',', "").parse::<u64>().unwrap() + 2
            );
            assert!(text_of(&c, "#toast").await.contains("New data arrived"));

            // Charts write numbers in the page's language: 12,000 in English, 12 000 in
            // Polish (a narrow or non-breaking space).
            c.goto(&format!("{base}/attribution")).await.unwrap();
            let english = chart_text(&c).await;
            assert!(grouped_with(&english, &[',']), "{english}");
            choose_language(&c, &base, "pl").await;
            c.goto(&format!("{base}/attribution")).await.unwrap();
            let polish = chart_text(&c).await;
            assert!(!grouped_with(&polish, &[',']), "{polish}");
            assert!(grouped_with(&polish, &[' ', '\u{a0}', '\u{202f}']), "{polish}");
            choose_language(&c, &base, "en").await;

            // The funnel's table downloads as CSV in the signed-in browser, and the page
            // is saved as a view that opens it again with its period and breakdown.
            c.goto(&format!("{base}/funnel?period=last_12_months&by=channel")).await.unwrap();
            let link = wait_css(&c, ".downloads a").await;
            let href = link.attr("href").await.unwrap().unwrap();
            assert!(href.contains("format=csv") && href.contains("by=channel"), "{href}");
            let csv = c
                .execute_async(
                    "const done = arguments[arguments.length - 1];\
                     fetch(arguments[0]).then(r => r.text()).then(done, e => done(String(e)));",
                    vec![serde_json::json!(href)],
                )
                .await
                .unwrap();
            let csv = csv.as_str().unwrap_or_default().to_string();
            assert!(csv.starts_with("channel,stage,reached"), "{csv}");
            assert!(csv.lines().count() > 5, "{csv}");
            c.find(Locator::Css(".save-view input[name=name]")).await.unwrap()
                .send_keys("Funnel by channel").await.unwrap();
            c.find(Locator::Css(".save-view button")).await.unwrap().click().await.unwrap();
            let saved = wait_css(&c, "a[data-view='Funnel by channel']").await;
            saved.click().await.unwrap();
            wait_css(&c, "#funnel-table").await;
            let url = c.current_url().await.unwrap();
            assert!(url.as_str().contains("by=channel") && url.as_str().contains("period=last_12_months"), "{url}");

            if let Some(dir) = &screenshots {
                std::fs::create_dir_all(dir).unwrap();
                let pages = [
                    ("home", "/?period=this_quarter"),
                    ("funnel", "/funnel?by=channel"),
                    ("bottlenecks", "/bottlenecks?what_if_link=handoff&what_if_rate=0.9"),
                    ("attribution", "/attribution"),
                    ("plan", "/plan"),
                    ("retention", "/retention"),
                    ("journeys", "/journeys?q=con-0000042"),
                    ("records", "/records?kind=deals&sort=amount&desc=true"),
                    ("import", "/import"),
                    ("settings", "/settings"),
                ];
                for lang in ["en", "pl"] {
                    choose_language(&c, &base, lang).await;
                    for (size, w, h) in [("laptop", 1366, 860), ("phone", 390, 844)] {
                        c.set_window_size(w, h).await.unwrap();
                        for (name, path) in pages {
                            c.goto(&format!("{base}{path}")).await.unwrap();
                            wait_css(&c, "#main").await;
                            tokio::time::sleep(Duration::from_millis(900)).await;
                            let png = c.screenshot().await.unwrap();
                            std::fs::write(dir.join(format!("{lang}-{size}-{name}.png")), png).unwrap();
                        }
                    }
                    c.set_window_size(1366, 860).await.unwrap();
                }
            }

            // On a phone nothing widens the page: long values wrap, or scroll inside their
            // card (regression: long Polish figures and a long filter value pushed the
            // cards off the screen).
            choose_language(&c, &base, "pl").await;
            c.set_window_size(390, 844).await.unwrap();
            for path in ["/", "/funnel", "/bottlenecks", "/attribution", "/plan", "/retention", "/records", "/settings"] {
                c.goto(&format!("{base}{path}")).await.unwrap();
                wait_css(&c, "#main").await;
                tokio::time::sleep(Duration::from_millis(600)).await;
                let widths = c
                    .execute(
                        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
                        vec![],
                    )
                    .await
                    .unwrap();
                let (page, screen) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
                assert!(page <= screen, "{path}: the page is {page} px wide on a {screen} px screen");
            }
            c.set_window_size(1366, 860).await.unwrap();
            choose_language(&c, &base, "en").await;

            // A viewer (the board) is refused an import.
            c.goto(&format!("{base}/")).await.unwrap();
            wait_css(&c, "#live-status.on").await;
            c.find(Locator::Css("nav.side form button")).await.unwrap().click().await.unwrap();
            wait_css(&c, "input[name=email]").await;
            sign_in(&c, &base, "board@example.com").await;
            c.goto(&format!("{base}/import")).await.unwrap();
            wait_css(&c, "#main[data-status='403']").await;
        }
        .await;
        c.close().await.unwrap();
        outcome
    });
}
