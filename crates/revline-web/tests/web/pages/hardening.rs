//! Regression tests named after what an attack run against the server found.

use super::*;

fn from(ip: [u8; 4], email: &str, password: &str) -> Request<Body> {
    let mut r = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("email={email}&password={password}")))
        .unwrap();
    r.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 40000,
        ))));
    r
}

/// Statuses of `requests` sent all at once.
async fn burst(w: &Web, requests: Vec<Request<Body>>) -> Vec<StatusCode> {
    let replies = futures::future::join_all(requests.into_iter().map(|r| w.send(r))).await;
    replies.into_iter().map(|r| r.status).collect()
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// 60 parallel guesses at one account from one address got 60 x 401: the limit was
/// checked before the slow password check and counted after it.
pub async fn a_burst_of_parallel_sign_ins_is_limited(w: Web) {
    w.user("ann@example.com", "editor").await;
    let guesses = (0..60)
        .map(|_| from([10, 0, 0, 1], "ann@example.com", "guess"))
        .collect();
    let statuses = burst(&w, guesses).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        5,
        "{statuses:?}"
    );
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 55);
    // Across accounts from one address: at most the client's limit gets through.
    let guesses = (0..150)
        .map(|i| from([10, 0, 0, 2], &format!("user{i}@example.com"), "guess"))
        .collect();
    let statuses = burst(&w, guesses).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        20,
        "{statuses:?}"
    );
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 130);
}

/// Five failures locked an account for everyone, its owner signing in from elsewhere
/// too: the guessing address is slowed down, the owner is not.
pub async fn guessing_does_not_lock_the_owner_out(w: Web) {
    w.user("ann@example.com", "editor").await;
    for _ in 0..6 {
        w.send(from([10, 0, 0, 66], "ann@example.com", "guess"))
            .await;
    }
    let r = w
        .send(from([10, 0, 0, 66], "ann@example.com", PASSWORD))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the guesser waits");
    let r = w
        .send(from([192, 168, 1, 5], "ann@example.com", PASSWORD))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the owner signs in");
}

/// `/login?next=/%09/evil.example/` landed on the other site (browsers drop the tab),
/// and `next=/%0a/x` answered 500 after the session was made.
pub async fn a_tab_in_next_does_not_leave_the_site(w: Web) {
    w.user("ann@example.com", "editor").await;
    for next in [
        "/%09/evil.example/",
        "/%0a/x",
        "/%0d%0aSet-Cookie:%20x=1",
        "/ /evil",
    ] {
        let r = w
            .post_form(
                "/login",
                None,
                &format!("email=ann@example.com&password={PASSWORD}&next={next}"),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.body);
        assert_eq!(r.headers[header::LOCATION], "/", "{next}");
    }
    let r = w.get("/login?next=/%09/evil.example/", None).await;
    assert!(r.body.contains("name=\"next\" value=\"/\""), "{}", r.body);
}

/// Eight simultaneous first-run set-ups made three admins.
pub async fn the_first_run_race_makes_one_admin(w: Web) {
    let setups = (0..8)
        .map(|i| {
            Request::post("/setup")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "email=admin{i}@example.com&password={PASSWORD}"
                )))
                .unwrap()
        })
        .collect();
    let statuses = burst(&w, setups).await;
    assert_eq!(count(&statuses, StatusCode::SEE_OTHER), 1, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::FORBIDDEN), 7);
    assert_eq!(w.state.store.users().await.unwrap().len(), 1);
}

/// The signed-in Settings page rendered inside a frame of another origin, and no
/// answer carried security headers.
pub async fn pages_cannot_be_framed_and_carry_security_headers(w: Web) {
    let ann = w.user("ann@example.com", "admin").await;
    let token = w.token("ann@example.com").await;
    let page = w.get("/settings", Some(&ann)).await;
    let api = w
        .send(
            Request::get("/api/v1/reports/funnel")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let asset_path = attr(&page.body, "src").expect("a script on the page");
    let asset = w.get(&asset_path, None).await;
    for (what, r) in [("page", &page), ("api", &api), ("asset", &asset)] {
        assert_eq!(r.status, StatusCode::OK, "{what}");
        let h = |name: &str| r.headers.get(name).map(|v| v.to_str().unwrap().to_string());
        let csp = h("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(
            csp.contains("script-src 'self';"),
            "{what}: no inline script"
        );
        assert_eq!(h("x-frame-options").as_deref(), Some("DENY"), "{what}");
        assert_eq!(h("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(h("referrer-policy").as_deref(), Some("same-origin"));
        assert!(h("x-request-id").is_some_and(|id| !id.is_empty()));
    }
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(api.headers[header::CACHE_CONTROL], "no-store");
    assert_ne!(asset.headers[header::CACHE_CONTROL], "no-store");
}

/// Sessions lasted a flat 14 days, however long they sat unused.
pub async fn an_idle_session_ends(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let hour = 3_600_000;
    let later = |h: i64| web_at(w.state.store.clone(), AS_OF + h * hour);
    assert_eq!(
        later(7).await.get("/", Some(&ann)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        later(14).await.get("/", Some(&ann)).await.status,
        StatusCode::OK
    );
    let r = later(23).await.get("/", Some(&ann)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "9 hours unused");
}

/// A store failure sent the store's own text to the client.
pub async fn a_server_failure_answers_500_with_a_request_id(w: Web) {
    w.user("ann@example.com", "viewer").await;
    let token = w.token("ann@example.com").await;
    w.state.store.close().await;
    let r = w
        .send(
            Request::get("/api/v1/reports/funnel")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header("x-request-id", "trace-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert_eq!(r.headers["x-request-id"], "trace-123");
    let error = &r.json()["error"];
    assert_eq!(error["details"]["request_id"], "trace-123");
    assert!(
        !error["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("pool"),
        "{error}"
    );
}

/// `/records?page=9223372036854775807` answered 500 (an overflow).
pub async fn a_huge_page_number_shows_an_empty_page(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let r = w
        .get(
            "/records?kind=contacts&page=9223372036854775807",
            Some(&ann),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// A 405 had an empty body, a 413 plain text and an oversized upload a multipart parse
/// error; `Authorization: bearer` (lower case) was refused.
pub async fn every_error_answers_in_the_documented_shape(mut w: Web) {
    let ann = w.user("ann@example.com", "editor").await;
    let token = w.token("ann@example.com").await;
    let api = |method: &str, uri: &str, auth: String, body: Vec<u8>| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, auth)
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .body(Body::from(body))
            .unwrap()
    };
    let r = w
        .send(api(
            "GET",
            "/api/v1/reports/funnel",
            format!("bearer {token}"),
            vec![],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "the scheme is case-insensitive");
    let r = w
        .send(api(
            "DELETE",
            "/api/v1/reports/funnel",
            format!("Bearer {token}"),
            vec![],
        ))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        r.json()["error"]["code"],
        "method_not_allowed",
        "{}",
        r.body
    );

    // The limit made small, so that a test can go over it.
    let mut state = w.state.clone();
    state.upload_limit = 64 * 1024;
    w.app = revline_web::router(state);
    let big = "x".repeat(100 * 1024).into_bytes();
    let r = w
        .send(api(
            "POST",
            "/api/v1/contacts",
            format!("Bearer {token}"),
            big.clone(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "too_large", "{}", r.body);
    let r = w.upload(&ann, "contacts.csv", &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.body.contains("larger than this server takes"),
        "{}",
        r.body
    );
}

/// Assets were cached for a year under the crate's version, so a changed `app.js` was
/// not fetched again; the 1.1 MB ECharts file loaded on pages without a chart.
pub async fn assets_are_named_by_their_content(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let version = revline_web::assets::version();
    assert_eq!(version.len(), 12);
    assert_ne!(version, env!("CARGO_PKG_VERSION"));
    let page = w.get("/records", Some(&ann)).await;
    assert!(
        page.body.contains(&format!("/assets/{version}/app.js")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("echarts"), "no chart, no ECharts");
    let kept = w.get(&format!("/assets/{version}/app.js"), None).await;
    assert!(
        kept.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let old = w.get("/assets/0.1.0/app.js", None).await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(old.headers[header::CACHE_CONTROL], "no-cache");
}

/// Every page with figures offers its reports as CSV, with the page's period and
/// filter, and the file is the API's `format=csv` (the command line's CSV).
pub async fn every_report_page_downloads_its_csv(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    for page in [
        "/",
        "/funnel?period=last_12_months",
        "/funnel/people?stage=sql",
        "/bottlenecks",
        "/attribution",
        "/plan",
        "/retention?period=this_year",
        "/scores",
    ] {
        let r = w.get(page, Some(&ann)).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        let start = r.body.find("class=\"sub downloads\"").expect(page);
        let links: Vec<String> = r.body[start..]
            .split("href=\"")
            .skip(1)
            .take_while(|rest| rest.starts_with("/api/v1/reports/"))
            .map(|rest| {
                rest[..rest.find('"').unwrap()]
                    .replace("&amp;", "&")
                    .replace("&#38;", "&")
            })
            .collect();
        assert!(!links.is_empty(), "{page}");
        for link in links {
            let csv = w.get(&link, Some(&ann)).await;
            assert_eq!(csv.status, StatusCode::OK, "{link}: {}", csv.body);
            assert!(
                csv.headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv"),
                "{link}"
            );
            let lines: Vec<&str> = csv.body.lines().collect();
            // A report with no rows (no bottleneck found) is its header alone.
            let rows_expected = !link.contains("/bottlenecks");
            assert!(
                lines.len() > usize::from(rows_expected),
                "{link}: {}",
                csv.body
            );
            let columns = lines[0].split(',').count();
            assert!(columns > 1, "{link}");
        }
    }
    // The period chosen on the page is the period of the file.
    let r = w
        .get(
            "/funnel?period=custom&from=2026-01-01&until=2026-03-31",
            Some(&ann),
        )
        .await;
    assert!(r.body.contains("from=2026-01-01"), "{}", r.body);
}

/// A view (page, period, filter, breakdown) saved under a name is listed for everyone
/// and opens the page as it was; only its saver or an admin deletes it.
pub async fn views_are_saved_for_everyone(w: Web) {
    let ed = w.user("ed@example.com", "editor").await;
    let viewer = w.user("board@example.com", "viewer").await;
    let query = "period=custom&from=2026-01-01&until=2026-03-31&by=channel";
    let r = w
        .post_form(
            "/views",
            Some(&ed),
            &format!(
                "name=Q1+by+channel&path=/funnel&query={}",
                query.replace('&', "%26").replace('=', "%3D")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = w.get("/views", Some(&viewer)).await;
    assert!(
        list.body
            .contains(&format!("href=\"/funnel?{}\"", query.replace('&', "&#38;")))
            || list
                .body
                .contains(&format!("href=\"/funnel?{}\"", query.replace('&', "&amp;"))),
        "{}",
        list.body
    );
    assert!(list.body.contains("Q1 by channel"));
    let page = w.get(&format!("/funnel?{query}"), Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    // Not the viewer's to delete; a page of another site is not a view.
    let r = w
        .post_form("/views/delete", Some(&viewer), "name=Q1+by+channel")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = w
        .post_form("/views", Some(&viewer), "name=x&path=//evil.example&query=")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = w
        .post_form("/views/delete", Some(&ed), "name=Q1+by+channel")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(w.state.store.saved_views().await.unwrap().is_empty());
}

/// The Attribution table ran past a laptop's width (seven model columns before spend,
/// CAC, ROAS and retained revenue), and sales and service touches could not be left
/// out of the models.
pub async fn attribution_fits_and_leaves_out_sales_touches_on_request(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let all = w.get("/attribution", Some(&ann)).await;
    let table = &all.body[all.body.find("id=\"attribution\"").unwrap()..];
    let head = &table[..table.find("</thead>").unwrap()];
    assert_eq!(head.matches("</th>").count(), 8, "{head}");
    for column in ["Spend", "CAC", "ROAS", "Retained revenue"] {
        assert!(head.contains(column), "{column}");
    }
    assert!(!all.body.contains("touches-note"));
    let marketing = w
        .get("/attribution?touches=marketing&model=linear", Some(&ann))
        .await;
    assert_eq!(marketing.status, StatusCode::OK);
    assert!(marketing.body.contains("id=\"touches-note\""));
    assert!(
        marketing
            .body
            .contains("<option value=\"linear\" selected>")
    );
    let csv = marketing.body.contains("touches=marketing&#38;format=csv")
        || marketing.body.contains("touches=marketing&amp;format=csv");
    assert!(csv, "the download keeps the choice");
}

/// The filter picker's values were cached in one process-wide static keyed by each
/// app's own version number, so a second app in the process saw the first one's list.
pub async fn two_apps_in_one_process_keep_their_own_filter_values(w: Web) {
    let ann = w.user("ann@example.com", "viewer").await;
    let page = w.get("/funnel", Some(&ann)).await;
    assert!(
        page.body.contains("value=\"channel:"),
        "the demo has channels"
    );
    let empty = revline_store::testing::sqlite().await;
    let other = web(Arc::new(empty.store.clone())).await;
    let bob = other.user("bob@example.com", "viewer").await;
    let page = other.get("/funnel", Some(&bob)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("value=\"channel:"),
        "an empty workspace has none"
    );
}

/// The workspace settings were written as TOML text from the form's fields, so a
/// newline in one field added keys of its own choosing.
pub async fn a_newline_in_a_settings_field_adds_no_key(w: Web) {
    let admin = w.user("ann@example.com", "admin").await;
    let before = w.state.settings();
    let form = |sla: &str| {
        format!(
            "currency=USD&timezone=UTC&stages=lead,mql,sql,opportunity,customer&sla_hours={sla}&gross_margin=0.8&lookback_days=180"
        )
    };
    let r = w
        .post_form(
            "/settings/workspace",
            Some(&admin),
            &form("24%0Alookback_days+%3D+1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(w.state.settings().lookback_days, before.lookback_days);
    let r = w
        .post_form("/settings/workspace", Some(&admin), &form("12"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(w.state.settings().lookback_days, 180);
    assert_eq!(w.state.settings().sla_hours, 12.0);
}
