//! Delivery throughput: 500 queued webhook deliveries sent from the store's outbox to
//! a receiver on loopback (signed, claimed, finished), as `revline serve` sends them.
//!
//! `cargo bench -p revline-web --bench deliveries`

use revline_store::alerts::{AlertChange, AlertStore, NewAlertEvent, StoredAlertState};
use revline_store::testing::{TempSqlite, sqlite};
use revline_web::deliver::{Courier, deliver_due};
use serde_json::json;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

const DELIVERIES: usize = 500;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A receiver on loopback that answers 204 to every POST; its port.
fn receiver() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        runtime().block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let app = axum::Router::new().route(
                "/hook",
                axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }),
            );
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            port
        })
    })
}

/// A store with one fired alert queued to `DELIVERIES` webhook destinations.
fn queued(port: u16) -> TempSqlite {
    runtime().block_on(async {
        let temp = sqlite().await;
        let destinations: Vec<_> = (0..DELIVERIES)
            .map(|i| {
                json!({"type": "webhook", "url": format!("http://127.0.0.1:{port}/hook?d={i}"),
                       "secret": "whsec_0123456789abcdef"})
            })
            .collect();
        let rule = temp
            .store
            .add_alert_rule(
                "bench",
                &json!({"type": "freshness", "kind": "touchpoints", "hours": 1}),
                &json!(destinations),
                "bench",
                0,
            )
            .await
            .unwrap();
        temp.store
            .record_alert(&AlertChange {
                rule_id: rule.id,
                subject: "touchpoints".into(),
                before: None,
                state: StoredAlertState {
                    firing: true,
                    false_streak: 0,
                },
                at: 1_000,
                event: Some(NewAlertEvent {
                    state: "firing".into(),
                    payload: json!({"rule": {"id": rule.id, "name": "bench"}, "state": "firing",
                                    "summary": "No new touchpoints.", "at": "1970-01-01T00:00:01Z"}),
                    destinations,
                }),
            })
            .await
            .unwrap();
        temp
    })
}

#[divan::bench(sample_count = 5)]
fn deliver_500_webhooks_to_loopback(bencher: divan::Bencher) {
    let port = receiver();
    let courier = Courier::new(true);
    bencher
        .with_inputs(|| queued(port))
        .bench_local_values(|temp| {
            runtime().block_on(async {
                let mut sent = 0;
                while sent < DELIVERIES {
                    sent += deliver_due(&temp.store, &courier, 2_000).await.unwrap();
                }
                sent
            })
        });
}
