//! The web app in-process: first run, sign-in and its limit, CSRF, the role x route
//! matrix, every page in English and Polish, figures equal to the reports' JSON, file
//! imports, record batches and Segment calls arriving in the live snapshot.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use revline_core::{FixedClock, RecordKind};
use revline_engine::query::{ReportKind, ReportParams, ReportQuery};
use revline_store::Store;
use revline_web::AppState;
use revline_web::i18n::{Lang, Tr};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

const AS_OF: i64 = 1_793_491_200_000; // 2026-11-01T00:00:00Z
const PASSWORD: &str = "correct horse battery";

struct Web {
    app: axum::Router,
    state: AppState,
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A signed-in browser: its cookie and CSRF token.
#[derive(Clone)]
struct Browser {
    cookie: String,
    csrf: String,
}

async fn workspace(store: &Arc<dyn Store>, contacts: u64) {
    crate::demo_workspace(&**store, contacts).await;
}

async fn web(store: Arc<dyn Store>) -> Web {
    web_at(store, AS_OF).await
}

/// The app with its clock at `now`.
async fn web_at(store: Arc<dyn Store>, now: i64) -> Web {
    let state = AppState::load(store, Arc::new(FixedClock(now)))
        .await
        .unwrap();
    Web {
        app: revline_web::router(state.clone()),
        state,
    }
}

impl Web {
    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, uri: &str, who: Option<&Browser>) -> Reply {
        let mut r = Request::get(uri).header(header::ACCEPT_LANGUAGE, "en");
        if let Some(b) = who {
            r = r.header(header::COOKIE, &b.cookie);
        }
        self.send(r.body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, uri: &str, who: Option<&Browser>, form: &str) -> Reply {
        let mut r =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(b) = who {
            r = r
                .header(header::COOKIE, &b.cookie)
                .header("X-CSRF-Token", &b.csrf);
        }
        self.send(r.body(Body::from(form.to_string())).unwrap())
            .await
    }

    /// Uploads a file for a preview, with no kind chosen.
    async fn upload(&self, who: &Browser, name: &str, data: &[u8]) -> Reply {
        let boundary = "XyZ";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            Request::post("/import/preview")
                .header(header::COOKIE, &who.cookie)
                .header("X-CSRF-Token", &who.csrf)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn post_api(&self, uri: &str, token: &str, body: &str) -> Reply {
        let r = Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/x-ndjson");
        self.send(r.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// Signs in and reads the CSRF token off the home page.
    async fn sign_in(&self, email: &str) -> Browser {
        let reply = self
            .post_form(
                "/login",
                None,
                &format!("email={email}&password={PASSWORD}&next=/"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let set = reply.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap().to_string();
        let mut b = Browser {
            cookie,
            csrf: String::new(),
        };
        let home = self.get("/settings", Some(&b)).await;
        b.csrf = attr(&home.body, "data-csrf").expect("the page carries its CSRF token");
        b
    }

    async fn user(&self, email: &str, role: &str) -> Browser {
        let hash = revline_web::access::hash_password(PASSWORD).unwrap();
        self.state
            .store
            .create_user(email, role, Some(&hash), AS_OF)
            .await
            .unwrap();
        self.sign_in(email).await
    }

    async fn token(&self, email: &str) -> String {
        let user = self
            .state
            .store
            .user_by_email(email)
            .await
            .unwrap()
            .unwrap();
        let (token, digest) = revline_web::access::new_token();
        self.state
            .store
            .create_token(user.id, &digest, AS_OF)
            .await
            .unwrap();
        token
    }
}

fn attr(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("{name}=\""))? + name.len() + 2;
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// The text of the element carrying `data-figure="KEY"`.
fn figure(html: &str, key: &str) -> Option<String> {
    let marker = format!("data-figure=\"{key}\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_string())
}

async fn first_run_and_sign_in(w: Web) {
    // No user yet: every page leads to creating the admin.
    let r = w.get("/", None).await;
    assert_eq!(
        (r.status, r.headers[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/setup")
    );
    let r = w.get("/setup", None).await;
    assert!(
        r.status == StatusCode::OK && r.body.contains("name=\"password\""),
        "{}",
        r.body
    );
    let r = w
        .post_form("/setup", None, "email=Ann%40Example.com&password=short")
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a short password is refused"
    );
    let r = w
        .post_form(
            "/setup",
            None,
            &format!("email=Ann%40Example.com&password={PASSWORD}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("revline_session=")
    );
    let ann = w
        .state
        .store
        .user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ann.role, "admin");
    // An empty workspace says what to import, never "all is well" or 0.00.
    let ann_browser = w.sign_in("ann@example.com").await;
    let funnel = w.get("/funnel", Some(&ann_browser)).await;
    assert!(
        funnel.body.contains("id=\"funnel-empty\""),
        "{}",
        funnel.body
    );
    let bn = w.get("/bottlenecks", Some(&ann_browser)).await;
    assert!(bn.body.contains("Nothing to judge yet"), "{}", bn.body);
    let plan = w.get("/plan", Some(&ann_browser)).await;
    assert!(
        plan.body.contains("No data: no revenue recorded") && !plan.body.contains("0.00"),
        "{}",
        plan.body
    );
    let home = w.get("/", Some(&ann_browser)).await;
    assert!(home.body.contains("No records yet"), "{}", home.body);
    let retention = w.get("/retention", Some(&ann_browser)).await;
    assert!(
        retention.body.contains("id=\"cohorts-empty\"")
            && retention.body.contains("id=\"service-empty\""),
        "{}",
        retention.body
    );
    // A customer won without any revenue recorded (an export of won deals only, as
    // Olist's): the cohorts count the customer and say that retention and LTV are no
    // data, never an empty heat map or an LTV of 0.00.
    let token = w.token("ann@example.com").await;
    let contact = "{\"contact_id\":\"won-1\",\"created_at\":\"2026-03-02\"}";
    let r = w.post_api("/api/v1/contacts", &token, contact).await;
    assert!(r.status.is_success(), "{}", r.body);
    let deal = "{\"deal_id\":\"d-won-1\",\"contact_id\":\"won-1\",\"created_at\":\"2026-03-05\",\"status\":\"won\",\"closed_at\":\"2026-04-10\"}";
    let r = w.post_api("/api/v1/deals", &token, deal).await;
    assert!(r.status.is_success(), "{}", r.body);
    let retention = w.get("/retention", Some(&ann_browser)).await;
    assert!(
        retention.body.contains("id=\"cohorts-no-revenue\"")
            && !retention
                .body
                .contains("no customer was paying before the period")
            && !retention.body.contains("0.00"),
        "{}",
        retention.body
    );
    // Once there is a user, set-up is closed.
    let r = w
        .post_form(
            "/setup",
            None,
            &format!("email=eve%40example.com&password={PASSWORD}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        w.state
            .store
            .user_by_email("eve@example.com")
            .await
            .unwrap()
            .is_none()
    );

    // Without a session pages send the browser to sign in, keeping where it was going.
    let r = w.get("/funnel?period=this_year", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers[header::LOCATION],
        "/login?next=/funnel%3Fperiod%3Dthis_year"
    );
    // A sign-in from another site is refused; a wrong password is, and says so.
    let r = w
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "127.0.0.1:8080")
                .header(header::ORIGIN, "https://evil.example")
                .body(Body::from(format!(
                    "email=ann@example.com&password={PASSWORD}"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = w
        .post_form(
            "/login",
            None,
            "email=ann@example.com&password=wrong&next=//evil.example",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Wrong email or password"), "{}", r.body);
    assert!(
        r.body.contains("name=\"next\" value=\"/\""),
        "never back to another site"
    );
    let ann = w.sign_in("ann@example.com").await;
    assert_eq!(w.get("/", Some(&ann)).await.status, StatusCode::OK);
    // Signing out ends the session in the store.
    let r = w.post_form("/logout", Some(&ann), "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(w.get("/", Some(&ann)).await.status, StatusCode::SEE_OTHER);

    // Five failures in a row lock the address for a while, even for the right password.
    for _ in 0..5 {
        let r = w
            .post_form("/login", None, "email=ann@example.com&password=guess")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = w
        .post_form(
            "/login",
            None,
            &format!("email=ann@example.com&password={PASSWORD}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Too many attempts"));
    // The failures are counted in the store: a restarted server (or a second one on
    // the same database) still refuses.
    let restarted = web(w.state.store.clone()).await;
    let r = restarted
        .post_form(
            "/login",
            None,
            &format!("email=ann@example.com&password={PASSWORD}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "after a restart");

    // One client guessing across many addresses is stopped too; another client is not.
    let from = |ip: [u8; 4], email: &str| {
        let mut r = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("email={email}&password=guess")))
            .unwrap();
        r.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                ip, 40000,
            ))));
        r
    };
    for i in 0..20 {
        let r = w
            .send(from([10, 0, 0, 9], &format!("user{i}@example.com")))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = w.send(from([10, 0, 0, 9], "fresh@example.com")).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the client is limited"
    );
    let r = w.send(from([10, 0, 0, 10], "fresh@example.com")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "another client is not");
}

/// (method, path, form body, the least role that may).
const ROUTES: &[(&str, &str, &str, &str)] = &[
    ("GET", "/", "", "viewer"),
    ("GET", "/funnel", "", "viewer"),
    ("GET", "/funnel/people?stage=sql", "", "viewer"),
    ("GET", "/bottlenecks", "", "viewer"),
    ("GET", "/attribution", "", "viewer"),
    ("GET", "/plan", "", "viewer"),
    ("GET", "/retention", "", "viewer"),
    ("GET", "/scores", "", "viewer"),
    ("GET", "/journeys", "", "viewer"),
    ("GET", "/records?kind=deals", "", "viewer"),
    ("GET", "/settings", "", "viewer"),
    ("GET", "/settings/alerts", "", "viewer"),
    (
        "POST",
        "/settings/alerts",
        "name=Quiet&type=freshness&record_kind=deals&hours=24",
        "editor",
    ),
    ("POST", "/settings/alerts/1/test", "", "viewer"),
    ("GET", "/settings/alerts/1/edit", "", "editor"),
    ("POST", "/settings/alerts/1/mute", "hours=24", "editor"),
    ("GET", "/api/v1/reports/scorecard", "", "viewer"),
    ("GET", "/import", "", "editor"),
    ("GET", "/import/1", "", "editor"),
    ("POST", "/import/1/run", "", "editor"),
    (
        "POST",
        "/settings/targets",
        "metric=revenue&period=2027-01&value=1000",
        "editor",
    ),
    ("POST", "/api/v1/contacts", "", "editor"),
    ("POST", "/api/v1/track", "", "editor"),
    ("POST", "/api/v1/identify", "", "editor"),
    ("POST", "/api/v1/group", "", "editor"),
    (
        "POST",
        "/settings/workspace",
        "currency=USD&timezone=UTC&stages=lead,mql,sql,opportunity,customer&sla_hours=24&gross_margin=0.8&lookback_days=180",
        "admin",
    ),
    (
        "POST",
        "/settings/users",
        "email=new%40example.com&role=viewer&password=long-enough-1",
        "admin",
    ),
    ("POST", "/settings/users/1/role", "role=admin", "admin"),
    // Saved views: anyone signed in saves and opens them; their saver deletes them.
    ("GET", "/views", "", "viewer"),
    (
        "POST",
        "/views",
        "name=Board&path=/funnel&query=period%3Dthis_year",
        "viewer",
    ),
    ("POST", "/views/delete", "name=Board", "viewer"),
    // Personal: every role may choose a language and hold tokens.
    ("POST", "/settings/language", "lang=en", "viewer"),
    ("POST", "/settings/tokens", "", "viewer"),
];

async fn roles_and_csrf(w: Web) {
    let admin = w.user("ann@example.com", "admin").await;
    let editor = w.user("ed@example.com", "editor").await;
    let viewer = w.user("board@example.com", "viewer").await;
    let rank = |r: &str| {
        ["viewer", "editor", "admin"]
            .iter()
            .position(|x| *x == r)
            .unwrap()
    };
    for (name, who) in [("viewer", &viewer), ("editor", &editor), ("admin", &admin)] {
        for (method, path, form, least) in ROUTES {
            let r = if *method == "GET" {
                w.get(path, Some(who)).await
            } else {
                w.post_form(path, Some(who), form).await
            };
            let refused = r.status == StatusCode::FORBIDDEN;
            assert_eq!(
                refused,
                rank(name) < rank(least),
                "{name} {method} {path}: {} {}",
                r.status,
                &r.body[..r.body.len().min(300)]
            );
        }
    }
    // A state change without the session's CSRF token is refused, whatever the role.
    for (method, path, form, _) in ROUTES.iter().filter(|r| r.0 == "POST") {
        let _ = method;
        let r = w
            .send(
                Request::post(*path)
                    .header(header::COOKIE, &admin.cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form.to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} without CSRF");
        assert!(r.body.contains("CSRF"), "{path}: {}", r.body);
    }
    // A viewer's token reads but does not write.
    let token = w.token("board@example.com").await;
    let r = w
        .post_api(
            "/api/v1/contacts",
            &token,
            "{\"contact_id\":\"x\",\"created_at\":\"2026-01-01\"}",
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert!(
        w.state
            .store
            .records_by_id(RecordKind::Contacts, &["x".into()])
            .await
            .unwrap()
            .is_empty()
    );
}

fn scorecard_json(state: &AppState, from: &str, to: &str) -> Value {
    let params = ReportParams {
        from: Some(from.into()),
        to: Some(to.into()),
        ..Default::default()
    };
    let settings = state.settings();
    let q = ReportQuery::parse(ReportKind::Scorecard, &params, &settings, AS_OF).unwrap();
    revline_engine::query::run(&state.snapshot(), &q)
        .unwrap()
        .to_json()
}

async fn pages_in_both_languages(w: Web) {
    let admin = w.user("ann@example.com", "admin").await;
    let pages = [
        "/",
        "/funnel",
        "/funnel?view=flow&by=channel",
        "/funnel/people?stage=customer",
        "/bottlenecks",
        "/bottlenecks?what_if_link=handoff&what_if_rate=0.95",
        "/attribution",
        "/attribution?by=campaign",
        "/plan",
        "/plan?target=5000000",
        "/retention",
        "/scores",
        "/scores?target=sql&horizon_days=60&capacity=40&train_as_of=2026-03-01",
        "/funnel?by=score_band",
        "/journeys",
        "/journeys?q=con-0000001",
        "/records",
        "/records?kind=accounts&sort=name&desc=true",
        "/records?kind=deals&col=status&val=won",
        "/import",
        "/settings",
        "/settings/alerts",
    ];
    for lang in ["en", "pl"] {
        w.post_form("/settings/language", Some(&admin), &format!("lang={lang}"))
            .await;
        for page in pages {
            let r = w.get(page, Some(&admin)).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{lang} {page}: {}",
                &r.body[..r.body.len().min(500)]
            );
            assert!(
                r.body.contains(&format!("<html lang=\"{lang}\"")),
                "{lang} {page}"
            );
        }
    }
    assert_eq!(
        revline_web::i18n::missing_keys(),
        Vec::<String>::new(),
        "untranslated keys"
    );

    // An account's journey names the person behind each event, and nobody where there
    // is none (a deal's stage change): never an empty "()".
    let mut deal_stages = 0;
    for a in 1..=20 {
        let r = w
            .get(&format!("/journeys?q=acc-{a:06}"), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains("()"), "acc-{a:06}");
        deal_stages += r.body.matches("deal stage").count();
    }
    assert!(deal_stages > 0, "some account's deal changed stage");

    // The bottleneck finder's evidence is written in Polish too, every figure filled in.
    let r = w.get("/bottlenecks", Some(&admin)).await;
    let evidence: Vec<&str> = r
        .body
        .split("data-evidence>")
        .skip(1)
        .map(|x| &x[..x.find("</p>").unwrap()])
        .collect();
    assert!(
        !evidence.is_empty(),
        "the demo's findings show their evidence"
    );
    for e in &evidence {
        assert!(e.contains("odpowiadają za"), "{e}");
        // No placeholder left, no English (the benchmark's source is translated too).
        assert!(
            !e.contains('{') && !e.contains(" own ") && !e.contains("best "),
            "{e}"
        );
    }

    // The home page's figures are the scorecard's, written for the language.
    let json = scorecard_json(&w.state, "2026-10-01", "2027-01-01");
    let r = w.get("/?period=this_quarter", Some(&admin)).await;
    assert!(r.body.contains("Nowi klienci"), "Polish labels");
    let tr = Tr::new(Lang::Pl);
    for m in json["metrics"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let expected = tr.value(m["value"].as_f64(), m["unit"].as_str().unwrap());
        assert_eq!(
            figure(&r.body, &format!("metric:{name}")).as_deref(),
            Some(expected.as_str()),
            "{name}"
        );
    }
    // Clicking a stage of a filtered funnel lists exactly the people it counts
    // (regression: the list ignored the filter, 222 people behind 16 customers).
    let funnel = {
        let params = ReportParams {
            from: Some("2026-01-01".into()),
            to: Some("2026-11-01".into()),
            filter: Some("channel:webinar".into()),
            ..Default::default()
        };
        let q =
            ReportQuery::parse(ReportKind::Funnel, &params, &w.state.settings(), AS_OF).unwrap();
        revline_engine::query::run(&w.state.snapshot(), &q)
            .unwrap()
            .to_json()
    };
    let customers = funnel["stages"][4]["reached"].as_f64().unwrap();
    let people = w
        .get(
            "/funnel/people?stage=customer&period=custom&from=2026-01-01&to=2026-11-01&filter=channel:webinar",
            Some(&admin),
        )
        .await;
    assert_eq!(
        figure(&people.body, "people:total").as_deref(),
        Some(tr.value(Some(customers), "count").as_str())
    );
    assert_eq!(
        people.body.matches("/journeys?q=").count() as f64,
        customers.min(500.0)
    );
    // Reach is shown with the conversion and cost per customer of the same channel.
    let reach = &r.body[r.body.find("id=\"reach\"").unwrap()..];
    assert!(reach.contains("Konwersja na klienta") && reach.contains("Koszt pozyskania klienta"));
    assert!(!r.body.contains("id=\"reach-none\""));
    // A period without touchpoints or leads says so rather than showing a bare table.
    let empty = w
        .get(
            "/?period=custom&from=1990-01-01&to=1990-04-01",
            Some(&admin),
        )
        .await;
    assert!(
        empty.body.contains("id=\"reach-none\"") && empty.body.contains("Brak punktów styku"),
        "{}",
        empty.body
    );
    // Every navigation link keeps the period.
    assert!(r.body.contains("href=\"/funnel?period=this_quarter\""));
    // A custom period and filter carry over, and the filter changes the figures.
    let filtered = w
        .get(
            "/?period=custom&from=2026-01-01&to=2026-11-01&filter=channel:webinar",
            Some(&admin),
        )
        .await;
    let all = w
        .get(
            "/?period=custom&from=2026-01-01&to=2026-11-01",
            Some(&admin),
        )
        .await;
    let nav = filtered
        .body
        .lines()
        .find(|l| l.contains("data-nav=\"funnel\""))
        .unwrap_or("");
    assert!(filtered.body.contains("href=\"/funnel?period=custom&#38;from=2026-01-01&#38;to=2026-11-01&#38;filter=channel:webinar\""), "links keep the period and filter: {nav}");
    assert_ne!(
        figure(&filtered.body, "metric:revenue"),
        figure(&all.body, "metric:revenue")
    );
    // Regression: the line under the title showed the filter as the URL writes it
    // ("channel:webinar"); it names it as the filter picker does.
    let sub = filtered
        .body
        .lines()
        .find(|l| l.contains("class=\"sub\""))
        .unwrap_or("");
    assert!(sub.contains(" · Kanał: webinar</div>"), "{sub}");
    // Regression: the retention page's service link showed the whole workspace's
    // retention finding under a channel's filter; it is the filter's own.
    let service = |body: &str| {
        body.split("data-evidence>")
            .nth(1)
            .map(|e| e.split('<').next().unwrap_or_default().to_string())
    };
    let whole = w.get("/retention", Some(&admin)).await;
    let webinar = w
        .get("/retention?filter=channel:webinar", Some(&admin))
        .await;
    assert!(service(&whole.body).is_some(), "{}", whole.body);
    assert_ne!(service(&webinar.body), service(&whole.body));
    // The period picker shows dates as Polish people type them (a browser's own date
    // field would follow the browser's language), and takes them back as typed.
    assert!(
        all.body
            .contains("name=\"from\" value=\"01.01.2026\" placeholder=\"DD.MM.RRRR\""),
        "{}",
        &all.body[all.body.find("name=\"from\"").unwrap_or(0)..][..120]
    );
    // Its second field is the period's last day (inclusive), as people read a range:
    // `to=2026-11-01` (exclusive, as in the reports) shows as 31.10.2026, and the
    // picker's `until=31.10.2026` means the same period.
    assert!(
        all.body.contains("name=\"until\" value=\"31.10.2026\""),
        "{}",
        &all.body[all.body.find("name=\"until\"").unwrap_or(0)..][..120]
    );
    let typed = w
        .get(
            "/?period=custom&from=1.01.2026&until=31.10.2026",
            Some(&admin),
        )
        .await;
    assert_eq!(
        figure(&typed.body, "metric:revenue"),
        figure(&all.body, "metric:revenue")
    );
    assert!(typed.body.contains("value=\"31.10.2026\""));
    let one_day_less = w
        .get(
            "/?period=custom&from=2026-01-01&until=2026-10-30",
            Some(&admin),
        )
        .await;
    assert!(one_day_less.body.contains("value=\"30.10.2026\""));
}

async fn records_arrive_live(w: Web) {
    let editor = w.user("ed@example.com", "editor").await;
    let token = w.token("ed@example.com").await;
    let mut changes = w.state.live.subscribe();
    let before = w.state.live.version();

    // identify, group, track: a new person, their company, their webinar.
    let r = w
        .post_api("/api/v1/identify", &token, r#"{"userId":"web-1","traits":{"email":"Nia@Example.com","firstName":"Nia","lastName":"Long","title":"CFO"},"timestamp":"2026-10-20T09:00:00Z"}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["files"][0]["inserted"], 1);
    let change = changes.recv().await.unwrap();
    assert_eq!((change.how, change.version), ("incremental", before + 1));
    let r = w
        .post_api("/api/v1/group", &token, r#"{"userId":"web-1","groupId":"acct-web","traits":{"name":"Web Ltd","segment":"smb","country":"PL"}}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = w
        .post_api("/api/v1/track", &token, r#"{"userId":"web-1","event":"Webinar","properties":{"channel":"Webinar","campaign":"Q4 Launch"},"timestamp":"2026-10-21T15:00:00Z","messageId":"m-1"}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let contact = &w
        .state
        .store
        .records_by_id(RecordKind::Contacts, &["web-1".into()])
        .await
        .unwrap()[0];
    assert_eq!(
        (
            contact.text("email"),
            contact.text("name"),
            contact.text("account_id"),
            contact.text("title")
        ),
        (
            Some("nia@example.com"),
            Some("Nia Long"),
            Some("acct-web"),
            Some("CFO")
        ),
        "group kept what identify set"
    );
    // The snapshot has the journey without a reload from the store.
    let j = w
        .get("/api/v1/reports/journeys?contact=web-1", Some(&editor))
        .await;
    let events = j.json()["events"].as_array().cloned().unwrap();
    assert!(
        events.iter().any(|e| e["event"] == "touchpoint"
            && e["channel"] == "webinar"
            && e["campaign"] == "Q4 Launch"),
        "{events:?}"
    );
    // Sending the same event again changes nothing (same messageId).
    let r = w
        .post_api("/api/v1/track", &token, r#"{"userId":"web-1","event":"Webinar","properties":{"channel":"Webinar"},"timestamp":"2026-10-21T15:00:00Z","messageId":"m-1"}"#)
        .await;
    assert_eq!(r.json()["files"][0]["inserted"], 0);
    let j = w
        .get("/api/v1/reports/journeys?contact=web-1", Some(&editor))
        .await;
    assert_eq!(j.json()["events"].as_array().unwrap().len(), events.len());

    // A batch with a bad row: the good rows land, the bad one is named (207).
    let r = w
        .post_api(
            "/api/v1/touchpoints",
            &token,
            "{\"touchpoint_id\":\"tp-a\",\"contact_id\":\"web-1\",\"occurred_at\":\"2026-10-22\",\"channel\":\"email\"}\n{\"touchpoint_id\":\"tp-b\",\"contact_id\":\"web-1\",\"occurred_at\":\"yesterday\",\"channel\":\"email\"}\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.body);
    let file = &r.json()["files"][0];
    assert_eq!(
        (file["inserted"].as_u64(), file["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    // The batch is named as people sent it, not by the server's temporary folder,
    // in its summary and in the log of import runs.
    assert_eq!(file["file"], "touchpoints.ndjson");
    let runs = w.state.store.import_runs(1).await.unwrap();
    assert_eq!(runs[0].source, "touchpoints.ndjson (API)");
    assert_eq!(
        (
            file["errors"][0]["line"].as_u64(),
            file["errors"][0]["column"].as_str()
        ),
        (Some(2), Some("occurred_at"))
    );
    // A revenue row sent again as an update cannot be added twice: that is a rebuild.
    let rev = "{\"revenue_id\":\"r-web\",\"contact_id\":\"web-1\",\"occurred_at\":\"2026-10-25\",\"amount\":\"100\",\"type\":\"new\"}";
    w.post_api("/api/v1/revenue", &token, rev).await;
    let r = w
        .post_api("/api/v1/revenue", &token, &rev.replace("100", "150"))
        .await;
    assert_eq!(r.json()["files"][0]["updated"], 1, "{}", r.body);
    let mut last = changes.recv().await.unwrap();
    while let Ok(c) = changes.try_recv() {
        last = c;
    }
    assert_eq!(last.how, "rebuilt");
    let j = w
        .get("/api/v1/reports/journeys?contact=web-1", Some(&editor))
        .await;
    let amounts: Vec<f64> = j.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["amount"].as_f64())
        .collect();
    assert_eq!(amounts, [150.0], "the updated row once");

    // The page stream answers with server-sent events.
    let r = w
        .app
        .clone()
        .oneshot(
            Request::get("/events")
                .header(header::COOKIE, &editor.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/event-stream");
}

async fn a_file_is_previewed_then_imported(w: Web) {
    let editor = w.user("ed@example.com", "editor").await;
    let csv = "contact_id,email,created_at,favourite_colour\nup-1,one@example.com,2026-10-01,teal\nup-2,two@example.com,not a date,red\n";
    let r = w.upload(&editor, "../contacts.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("data-state=\"preview\""), "{}", r.body);
    assert!(r.body.contains("favourite_colour") && r.body.contains("custom property"));
    assert!(
        r.body.contains("not a date") || r.body.contains("created_at"),
        "the bad row is named"
    );
    assert!(
        w.state
            .store
            .records_by_id(RecordKind::Contacts, &["up-1".into()])
            .await
            .unwrap()
            .is_empty(),
        "a preview writes nothing"
    );
    let id = attr(&r.body, "hx-post").unwrap();
    let r = w.post_form(&id, Some(&editor), "").await;
    assert_eq!(r.status, StatusCode::OK);
    let status_url = id.trim_end_matches("/run").to_string();
    let mut done = String::new();
    for _ in 0..200 {
        let r = w.get(&status_url, Some(&editor)).await;
        if r.body.contains("data-state=\"done\"") {
            done = r.body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        done.contains("data-count=\"inserted\">1<") && done.contains("data-count=\"rejected\">1<"),
        "{done}"
    );
    assert!(done.contains("class=\"rejected\""), "rejected rows listed");
    assert!(
        done.contains(">3<") && done.contains(">created_at<"),
        "line and column: {done}"
    );
    assert_eq!(
        w.state
            .store
            .records_by_id(RecordKind::Contacts, &["up-1".into()])
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Two contacts with one email are listed under Records with a merge button; merging
/// makes them one person in the live snapshot, and undoing it two again.
async fn duplicates_are_merged_and_unmerged_from_records(w: Web) {
    let mut records = Vec::new();
    for (id, email) in [
        ("dup-a", "Same@Example.com"),
        ("dup-b", "same@example.com "),
    ] {
        let mut r = revline_core::Record::new(RecordKind::Contacts, id.to_string());
        r.set(
            "email",
            revline_core::Value::Text(email.trim().to_lowercase()),
        );
        r.set("created_at", revline_core::Value::Int(AS_OF - 86_400_000));
        records.push(r);
    }
    w.state
        .store
        .write_batch(RecordKind::Contacts, &records)
        .await
        .unwrap();
    let settings = w.state.settings();
    w.state
        .live
        .rebuild(w.state.store.as_ref(), &settings, "test")
        .await
        .unwrap();
    let viewer = w.user("viewer@example.com", "viewer").await;
    let editor = w.user("ed@example.com", "editor").await;
    let page = w.get("/records?kind=contacts", Some(&editor)).await;
    assert!(page.body.contains("id=\"duplicates\""), "{}", page.body);
    assert!(page.body.contains("dup-a") && page.body.contains("dup-b"));
    let refused = w
        .post_form("/records/merge", Some(&viewer), "merged=dup-b&into=dup-a")
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let merged = w
        .post_form("/records/merge", Some(&editor), "merged=dup-b&into=dup-a")
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
    assert!(merged.body.contains("id=\"merges\"") && !merged.body.contains("id=\"duplicates\""));
    let ids = &w.state.snapshot().contact_ids;
    assert!(ids.contains(&"dup-a".to_string()) && !ids.contains(&"dup-b".to_string()));
    let looped = w
        .post_form("/records/merge", Some(&editor), "merged=dup-a&into=dup-b")
        .await;
    assert_eq!(looped.status, StatusCode::BAD_REQUEST, "{}", looped.body);
    let undone = w
        .post_form("/records/unmerge", Some(&editor), "merged=dup-b")
        .await;
    assert_eq!(undone.status, StatusCode::OK);
    assert!(undone.body.contains("id=\"duplicates\""));
    assert!(
        w.state
            .snapshot()
            .contact_ids
            .contains(&"dup-b".to_string())
    );
}

/// A CRM export uploaded as it came is recognised by its header and read with its
/// preset: a HubSpot companies export lands whole, every other column kept.
async fn a_crm_export_uploaded_as_it_came_is_read_with_its_preset(w: Web) {
    let editor = w.user("ed@example.com", "editor").await;
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../revline-ingest/tests/fixtures/crm/hubspot/hubspot-crm-exports-all-companies-2024-07-01.csv",
    );
    let data = std::fs::read(&file).unwrap();
    let r = w
        .upload(
            &editor,
            "hubspot-crm-exports-all-companies-2024-07-01.csv",
            &data,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Recognised as a HubSpot export"),
        "{}",
        r.body
    );
    assert!(r.body.contains("→ accounts.name") && r.body.contains("Number of Employees"));
    assert!(
        r.body.contains("data-count=\"inserted\">120<"),
        "{}",
        r.body
    );
    let id = attr(&r.body, "hx-post").unwrap();
    w.post_form(&id, Some(&editor), "").await;
    let status_url = id.trim_end_matches("/run").to_string();
    for _ in 0..200 {
        if w.get(&status_url, Some(&editor))
            .await
            .body
            .contains("data-state=\"done\"")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        w.state.store.count(RecordKind::Accounts).await.unwrap(),
        120
    );
}

macro_rules! on_both_stores {
    ($($check:ident, $contacts:expr);* $(;)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let fresh = revline_store::testing::sqlite().await;
                    let store: Arc<dyn Store> = Arc::new(fresh.store.clone());
                    if $contacts > 0 { workspace(&store, $contacts).await; }
                    super::$check(web(store).await).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(fresh) = revline_store::testing::postgres().await else { return };
                    let store: Arc<dyn Store> = Arc::new(fresh.store.clone());
                    if $contacts > 0 { workspace(&store, $contacts).await; }
                    super::$check(web(store).await).await;
                    fresh.drop_database().await;
                }
            )*
        }
    };
}

mod alerts;
mod hardening;
mod scoring;
mod typed;
use alerts::*;
use hardening::*;
use scoring::*;
use typed::*;

on_both_stores!(
    a_burst_of_parallel_sign_ins_is_limited, 0;
    attribution_by_campaign_lists_every_campaign, 300;
    a_what_if_rate_reads_a_decimal_comma, 300;
    every_target_metric_offered_is_accepted, 0;
    guessing_does_not_lock_the_owner_out, 0;
    a_tab_in_next_does_not_leave_the_site, 0;
    the_first_run_race_makes_one_admin, 0;
    pages_cannot_be_framed_and_carry_security_headers, 0;
    an_idle_session_ends, 0;
    a_server_failure_answers_500_with_a_request_id, 0;
    a_huge_page_number_shows_an_empty_page, 0;
    every_error_answers_in_the_documented_shape, 0;
    assets_are_named_by_their_content, 0;
    every_report_page_downloads_its_csv, 300;
    views_are_saved_for_everyone, 0;
    attribution_fits_and_leaves_out_sales_touches_on_request, 300;
    two_apps_in_one_process_keep_their_own_filter_values, 300;
    a_newline_in_a_settings_field_adds_no_key, 0;
    first_run_and_sign_in, 0;
    roles_and_csrf, 300;
    pages_in_both_languages, 600;
    records_arrive_live, 300;
    a_file_is_previewed_then_imported, 0;
    duplicates_are_merged_and_unmerged_from_records, 0;
    a_crm_export_uploaded_as_it_came_is_read_with_its_preset, 0;
    alert_rules_are_managed_in_settings, 300;
    failing_deliveries_are_shown, 300;
    the_scoring_page_shows_the_model_and_threshold_of_the_report, 600;
    records_show_each_contacts_score_and_journeys_say_why, 300;
    score_bands_break_the_funnel_down_and_filter_attribution_and_bottlenecks, 600;
    too_little_history_is_said_not_shown_as_zero, 30;
);
