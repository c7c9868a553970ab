//! The API in-process, on a fresh store of each kind per test (zero2prod's `TestApp`):
//! tokens, JSON errors, and reports that equal the engine's answer for the same query.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use revline_core::{FixedClock, RecordKind};
use revline_engine::query::{ReportKind, ReportParams, ReportQuery};
use revline_store::Store;
use revline_web::AppState;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

const AS_OF: i64 = 1_793_491_200_000; // 2026-11-01T00:00:00Z

struct TestApp {
    app: axum::Router,
    store: Arc<dyn Store>,
    token: String,
}

/// A demo workspace of 600 contacts, a viewer and their token.
async fn test_app(store: Arc<dyn Store>) -> TestApp {
    crate::demo_workspace(&*store, 600).await;
    let user = store
        .create_user("board@example.com", "viewer", None, AS_OF)
        .await
        .unwrap();
    let (token, digest) = revline_web::access::new_token();
    store.create_token(user.id, &digest, AS_OF).await.unwrap();
    let state = AppState::load(store.clone(), Arc::new(FixedClock(AS_OF)))
        .await
        .unwrap();
    TestApp {
        app: revline_web::router(state),
        store,
        token,
    }
}

impl TestApp {
    async fn get(&self, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
        let (status, bytes) = self.get_bytes(uri, token).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get_bytes(&self, uri: &str, token: Option<&str>) -> (StatusCode, Vec<u8>) {
        let mut request = Request::get(uri);
        if let Some(t) = token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec())
    }
}

impl TestApp {
    async fn send(&self, method: &str, uri: &str, token: &str, body: &str) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn token_for(&self, email: &str, role: &str) -> String {
        let user = self
            .store
            .create_user(email, role, None, AS_OF)
            .await
            .unwrap();
        let (token, digest) = revline_web::access::new_token();
        self.store
            .create_token(user.id, &digest, AS_OF)
            .await
            .unwrap();
        token
    }
}

/// `/api/v1/alerts`: viewers read, editors add and remove; a wrong rule is a 400 that
/// says what is wrong; webhook secrets are never shown back.
async fn alert_rules_over_the_api(t: TestApp) {
    let editor = t.token_for("ed@example.com", "editor").await;
    let rule = r#"{"name":"Leads waiting","condition":{"type":"lead_waiting","min_count":3},
        "destinations":[{"type":"webhook","url":"https://example.com/h","secret":"0123456789abcdef0"}]}"#;
    let (status, body) = t.send("POST", "/api/v1/alerts", &t.token, rule).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer: {body}");
    let (status, made) = t.send("POST", "/api/v1/alerts", &editor, rule).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["destinations"][0]["secret"], "(hidden)");
    let (status, body) = t
        .send(
            "POST",
            "/api/v1/alerts",
            &editor,
            r#"{"name":"x","condition":{"type":"metric","metric":"happiness","period":"this_month","below":1}}"#,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(is_error(&body, "bad_request"), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("metric: one of")
    );
    let (status, list) = t.get("/api/v1/alerts", Some(&t.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "Leads waiting");
    assert_eq!(list[0]["destinations"][0]["secret"], "(hidden)");
    let id = made["id"].as_i64().unwrap();
    let path = format!("/api/v1/alerts/{id}");
    assert_eq!(
        t.send("DELETE", &path, &t.token, "").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.send("DELETE", &path, &editor, "").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.send("DELETE", &path, &editor, "").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_api_on_sqlite() {
    let fresh = revline_store::testing::sqlite().await;
    let store: Arc<dyn Store> = Arc::new(fresh.store.clone());
    alert_rules_over_the_api(test_app(store).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_api_on_postgres() {
    let Some(fresh) = revline_store::testing::postgres().await else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(fresh.store.clone());
    alert_rules_over_the_api(test_app(store).await).await;
    fresh.drop_database().await;
}

fn is_error(body: &Value, code: &str) -> bool {
    body["error"]["code"] == code
        && body["error"]["message"].is_string()
        && body["error"].get("details").is_some()
}

async fn api_checks(t: TestApp) {
    let (status, body) = t.get("/healthz", None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );

    // Every other route needs a token.
    let (status, body) = t.get("/api/v1/reports/scorecard", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(is_error(&body, "unauthorized"), "{body}");
    let (status, _) = t
        .get("/api/v1/reports/scorecard", Some("rvl_not_a_token"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, doc) = t.get("/api/v1/openapi.json", Some(&t.token)).await;
    assert_eq!(
        (status, doc["openapi"].as_str()),
        (StatusCode::OK, Some("3.1.0"))
    );
    let (status, me) = t.get("/api/v1/me", Some(&t.token)).await;
    assert_eq!(
        (status, me["role"].as_str()),
        (StatusCode::OK, Some("viewer"))
    );

    // The same JSON as the engine's runner (which the command line prints) gives.
    let settings = t.store.settings().await.unwrap();
    let snapshot = revline_web::build_snapshot(&*t.store, &settings)
        .await
        .unwrap();
    for (name, query) in [
        ("scorecard", "as_of=2026-11-01"),
        ("funnel", "as_of=2026-11-01&by=channel"),
        ("sla", "as_of=2026-11-01"),
        ("cohorts", "from=2025-01-01&to=2026-11-01&as_of=2026-11-01"),
        ("forecast", "as_of=2026-11-01&target=5000000"),
        ("attribution", "as_of=2026-11-01&model=markov&order=2"),
        ("bottlenecks", "as_of=2026-11-01"),
        (
            "scores",
            "as_of=2026-11-01&target=sql&train_as_of=2026-05-01&from=2026-05-01&to=2026-08-01",
        ),
        (
            "scores",
            "as_of=2026-11-01&target=sql&contacts=con-0000001,con-0000005,con-0000009",
        ),
    ] {
        let (status, body) = t
            .get(&format!("/api/v1/reports/{name}?{query}"), Some(&t.token))
            .await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        let params: ReportParams = serde_json::from_value(
            query
                .split('&')
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    // `target` is text (an amount for the forecast, a stage for scores).
                    let number = v.parse::<f64>().ok().filter(|_| k != "target");
                    let v: Value = number.map_or(Value::String(v.into()), |n| {
                        if k == "order" {
                            Value::from(n as u64)
                        } else {
                            Value::from(n)
                        }
                    });
                    (k.to_string(), v)
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
        )
        .unwrap();
        let q = ReportQuery::parse(ReportKind::parse(name).unwrap(), &params, &settings, AS_OF)
            .unwrap();
        let output = revline_engine::query::run(&snapshot, &q).unwrap();
        assert_eq!(body, output.to_json(), "{name}");
        // The same CSV as `revline report NAME --format csv`.
        let (status, csv) = t
            .get_bytes(
                &format!("/api/v1/reports/{name}?{query}&format=csv"),
                Some(&t.token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(String::from_utf8(csv).unwrap(), output.to_csv(), "{name}");
    }
    let (status, body) = t
        .get("/api/v1/reports/funnel?format=xml", Some(&t.token))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"]["param"], "format");

    // Journeys by email, resolved through the store.
    let (status, body) = t
        .get(
            "/api/v1/reports/journeys?email=board@example.com",
            Some(&t.token),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "users are not contacts: {body}"
    );
    let first = t
        .store
        .read_page(RecordKind::Contacts, None, 1)
        .await
        .unwrap()
        .remove(0);
    let email = first.text("email").unwrap().to_string();
    let (status, body) = t
        .get(
            &format!("/api/v1/reports/journeys?email={email}"),
            Some(&t.token),
        )
        .await;
    assert_eq!(
        (status, body["id"].as_str()),
        (StatusCode::OK, Some(first.id.as_str())),
        "{body}"
    );

    // JSON errors with fitting statuses.
    let (status, body) = t
        .get("/api/v1/reports/funnel?by=colour", Some(&t.token))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        is_error(&body, "bad_request") && body["error"]["details"]["param"] == "by",
        "{body}"
    );
    let (status, body) = t
        .get("/api/v1/reports/funnel?colour=blue", Some(&t.token))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = t.get("/api/v1/reports/magic", Some(&t.token)).await;
    assert!(status == StatusCode::NOT_FOUND && is_error(&body, "not_found"));
    let (status, body) = t.get("/api/v1/nowhere", Some(&t.token)).await;
    assert!(status == StatusCode::NOT_FOUND && is_error(&body, "not_found"));
    let (status, body) = t
        .get(
            "/api/v1/reports/bottlenecks?what_if=magic%3D0.5",
            Some(&t.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_on_sqlite() {
    let fresh = revline_store::testing::sqlite().await;
    let store: Arc<dyn Store> = Arc::new(fresh.store.clone());
    api_checks(test_app(store).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_on_postgres() {
    let Some(fresh) = revline_store::testing::postgres().await else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(fresh.store.clone());
    api_checks(test_app(store).await).await;
    fresh.drop_database().await;
}

#[test]
fn the_openapi_document_names_every_report_and_parameter() {
    let doc = revline_web::openapi::document();
    let report = &doc["paths"]["/api/v1/reports/{name}"]["get"];
    let params: Vec<&str> = report["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "query" && p["name"] != "format")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    // Every field the runner accepts is documented, and nothing else.
    let accepted = serde_json::to_value(ReportParams::default()).unwrap();
    let mut fields: Vec<&str> = accepted
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut documented = params.clone();
    fields.sort_unstable();
    documented.sort_unstable();
    assert_eq!(documented, fields);
    let names = report["parameters"][0]["schema"]["enum"]
        .as_array()
        .unwrap();
    assert_eq!(names.len(), ReportKind::ALL.len());
    // The snapshot: a change to the document is a change to the contract.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi.json");
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var_os("REVLINE_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let stored = std::fs::read_to_string(&path)
        .expect("tests/openapi.json (REVLINE_UPDATE_SNAPSHOTS=1 writes it)");
    assert!(
        stored == text,
        "the OpenAPI document changed: review it, then run with REVLINE_UPDATE_SNAPSHOTS=1"
    );
}
