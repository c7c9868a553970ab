//! Settings, Alerts: rules created, edited, muted, tested and removed from the page,
//! with the history of alerts and the deliveries that fail.

use super::*;
use revline_store::alerts::DeliveryOutcome;

fn rule_form(name: &str, extra: &str) -> String {
    format!(
        "name={name}&type=metric&metric=win_rate&period=this_quarter&bound=below_pace&bound_value=80{extra}"
    )
}

pub async fn alert_rules_are_managed_in_settings(w: Web) {
    let ed = w.user("ed@example.com", "editor").await;
    let viewer = w.user("board@example.com", "viewer").await;
    let store = w.state.store.clone();

    // Created from the form: a share of pace typed in percent, a webhook with its secret.
    let r = w
        .post_form(
            "/settings/alerts",
            Some(&ed),
            &rule_form(
                "Win+rate+pace",
                "&webhook_url=https%3A%2F%2Fexample.com%2Fhook&webhook_secret=whsec_0123456789abcdef",
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rule = store.alert_rules().await.unwrap().remove(0);
    assert_eq!(
        rule.condition,
        serde_json::json!({"type": "metric", "metric": "win_rate", "period": "this_quarter", "below_pace": 0.8})
    );
    assert_eq!(rule.destinations[0]["secret"], "whsec_0123456789abcdef");
    assert!(r.body.contains("Win rate pace"));
    assert!(r.body.contains("80.0% of pace"), "{}", r.body);
    assert!(!r.body.contains("whsec_"), "a secret is never shown");

    // A number that is not one is refused, naming the field; nothing is stored.
    let bad = w
        .post_form(
            "/settings/alerts",
            Some(&ed),
            &rule_form("x", "").replace("bound_value=80", "bound_value=eighty"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("bound_value"), "{}", bad.body);
    assert_eq!(store.alert_rules().await.unwrap().len(), 1);

    // Edited: the form comes filled; a blank secret keeps the one stored.
    let edit = w
        .get(&format!("/settings/alerts/{}/edit", rule.id), Some(&ed))
        .await;
    assert!(
        edit.body.contains("value=\"Win rate pace\""),
        "{}",
        edit.body
    );
    assert!(edit.body.contains("value=\"80\""));
    let saved = w
        .post_form(
            &format!("/settings/alerts/{}", rule.id),
            Some(&ed),
            &rule_form(
                "Win+rate+behind",
                "&webhook_url=https%3A%2F%2Fexample.com%2Fhook&webhook_secret=",
            )
            .replace("bound_value=80", "bound_value=72%2C5"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let edited = store.alert_rules().await.unwrap().remove(0);
    assert_eq!(edited.name, "Win rate behind");
    assert_eq!(edited.condition["below_pace"], serde_json::json!(0.725));
    assert_eq!(edited.destinations[0]["secret"], "whsec_0123456789abcdef");

    // Tested: what it finds now, recording nothing. A viewer may test, not change.
    let fresh = w
        .post_form(
            "/settings/alerts",
            Some(&ed),
            "name=Quiet+touchpoints&type=freshness&record_kind=touchpoints&hours=0%2C001",
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    let quiet_id = store.alert_rules().await.unwrap()[1].id;
    let tested = w
        .post_form(
            &format!("/settings/alerts/{quiet_id}/test"),
            Some(&viewer),
            "",
        )
        .await;
    assert_eq!(tested.status, StatusCode::OK);
    assert!(tested.body.contains("Would fire"), "{}", tested.body);
    assert!(store.alert_events(None, 10).await.unwrap().is_empty());
    let refused = w
        .post_form(
            &format!("/settings/alerts/{quiet_id}/mute"),
            Some(&viewer),
            "hours=24",
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // History: an evaluation fires the freshness rule; the page lists it with its link.
    let now = w.state.clock.now();
    revline_web::alerts::evaluate_rules(
        store.as_ref(),
        w.state.snapshot(),
        w.state.settings(),
        now,
    )
    .await
    .unwrap();
    let page = w.get("/settings/alerts", Some(&viewer)).await;
    let history = &page.body[page.body.find("id=\"history\"").expect("history")..];
    assert!(history.contains("Quiet touchpoints"));
    assert!(history.contains("href=\"/records?kind=touchpoints\""));
    assert!(page.body.contains("Firing: 1"));
    assert!(
        !page.body.contains("action=\"/settings/alerts\""),
        "no form for a viewer"
    );

    // Muted from the page for 24 hours; on again.
    let muted = w
        .post_form(
            &format!("/settings/alerts/{quiet_id}/mute"),
            Some(&ed),
            "hours=24",
        )
        .await;
    assert!(muted.body.contains("Muted until"), "{}", muted.body);
    assert_eq!(
        store.alert_rules().await.unwrap()[1].muted_until,
        Some(now + 24 * 3_600_000)
    );
    let on = w
        .post_form(
            &format!("/settings/alerts/{quiet_id}/mute"),
            Some(&ed),
            "hours=0",
        )
        .await;
    assert!(!on.body.contains("Muted until"));

    // Removed; its history stays.
    let removed = w
        .post_form(
            &format!("/settings/alerts/{quiet_id}/delete"),
            Some(&ed),
            "",
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(store.alert_rules().await.unwrap().len(), 1);
    assert!(
        removed.body.contains("Quiet touchpoints")
            || removed.body.contains(&format!("#{quiet_id}"))
    );
}

/// Deliveries that are being retried or were given up are listed, with their error;
/// delivered ones are not.
pub async fn failing_deliveries_are_shown(w: Web) {
    let ed = w.user("ed@example.com", "editor").await;
    let store = w.state.store.clone();
    let r = w
        .post_form(
            "/settings/alerts",
            Some(&ed),
            "name=Quiet+touchpoints&type=freshness&record_kind=touchpoints&hours=0%2C001&slack_url=https%3A%2F%2Fhooks.slack.com%2Fservices%2Fx",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The workspace writes its alerts in Polish (alerts.md: the workspace language).
    let mut settings = w.state.settings().as_ref().clone();
    settings.set("language", "pl").unwrap();
    w.state.save_settings(settings).await.unwrap();
    let now = w.state.clock.now();
    revline_web::alerts::evaluate_rules(
        store.as_ref(),
        w.state.snapshot(),
        w.state.settings(),
        now,
    )
    .await
    .unwrap();
    let event = &store.alert_events(None, 1).await.unwrap()[0];
    let summary = event.payload["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Brak nowych rekordów touchpoints od "),
        "{summary}"
    );
    let page = w.get("/settings/alerts", Some(&ed)).await;
    assert!(page.body.contains("Every delivery so far has arrived."));
    let claimed = store
        .claim_deliveries("test", now, 60_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    store
        .finish_delivery(
            &claimed[0].id,
            &DeliveryOutcome::Retry {
                next_at: now + 30_000,
                error: "HTTP 503".into(),
            },
        )
        .await
        .unwrap();
    let page = w.get("/settings/alerts", Some(&ed)).await;
    let failing = &page.body[page.body.find("id=\"failing\"").expect("listed")..];
    assert!(failing.contains(&claimed[0].id));
    assert!(failing.contains("HTTP 503"));
    assert!(failing.contains("next try"));
}
