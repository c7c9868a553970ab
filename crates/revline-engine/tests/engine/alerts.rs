//! Alert conditions on a small workspace whose answers were worked out by hand.

use crate::reports::{build, record, t};
use revline_core::{RecordKind, Settings};
use revline_engine::alerts::{Condition, Facts, evaluate};

/// Now: 3 March 2026, 08:00 UTC; the SLA is the default 24 h.
fn workspace() -> revline_engine::Snapshot {
    use RecordKind::*;
    let mut out = Vec::new();
    for id in ["c1", "c2", "c3", "c4", "c5", "c6"] {
        out.push(record(
            Contacts,
            &[("contact_id", id), ("created_at", "2025-11-01")],
        ));
    }
    for (contact, stage, at) in [
        ("c1", "mql", "2026-03-01T08:00:00Z"), // 48 h, no sales touch: waiting
        ("c2", "mql", "2026-03-01T08:00:00Z"), // answered 2 h later
        ("c3", "mql", "2026-03-02T20:00:00Z"), // 12 h: not due yet
        ("c4", "mql", "2026-03-01T08:00:00Z"), // moved on to sql
        ("c4", "sql", "2026-03-02T08:00:00Z"),
        ("c5", "mql", "2025-12-01T08:00:00Z"), // older than 30 days: lost, not waiting
        ("c6", "sql", "2026-03-01T08:00:00Z"), // mql only implied: never handed over
    ] {
        out.push(record(
            Stages,
            &[
                ("contact_id", contact),
                ("stage", stage),
                ("occurred_at", at),
            ],
        ));
    }
    out.push(record(
        Touchpoints,
        &[
            ("contact_id", "c2"),
            ("occurred_at", "2026-03-01T10:00:00Z"),
            ("channel", "phone"),
            ("team", "sales"),
        ],
    ));
    build(&out)
}

fn condition(json: &str) -> Condition {
    let c: Condition = serde_json::from_str(json).unwrap();
    c.check().unwrap();
    c
}

#[test]
fn lead_waiting_counts_explicit_unanswered_mqls_past_the_sla() {
    let s = workspace();
    let now = t("2026-03-03T08:00:00Z");
    let seen = evaluate(
        &s,
        &Settings::default(),
        &condition(r#"{"type":"lead_waiting"}"#),
        now,
    );
    assert_eq!(seen.len(), 1);
    assert!(seen[0].holds, "{:?}", seen[0]);
    assert_eq!(seen[0].figures["waiting"], 1);
    assert_eq!(seen[0].figures["contacts"][0]["contact_id"], "c1");
    assert_eq!(
        seen[0].facts,
        Facts::LeadWaiting {
            waiting: 1,
            hours: 24.0
        }
    );
    // Two are needed: one is not enough.
    let two = evaluate(
        &s,
        &Settings::default(),
        &condition(r#"{"type":"lead_waiting","min_count":2}"#),
        now,
    );
    assert!(!two[0].holds);
    // With 6 h, c3 (12 h) waits too.
    let six = evaluate(
        &s,
        &Settings::default(),
        &condition(r#"{"type":"lead_waiting","hours":6}"#),
        now,
    );
    assert_eq!(six[0].figures["waiting"], 2);
}

#[test]
fn freshness_reads_the_newest_record_and_no_data_never_fires() {
    let s = workspace();
    let now = t("2026-03-03T08:00:00Z");
    let quiet = |json: &str| evaluate(&s, &Settings::default(), &condition(json), now);
    // The newest touchpoint is 1 March 10:00: 46 h ago.
    let day = quiet(r#"{"type":"freshness","kind":"touchpoints","hours":24}"#);
    assert!(day[0].holds);
    assert_eq!(day[0].figures["hours_since"], 46.0);
    assert!(!quiet(r#"{"type":"freshness","kind":"touchpoints","hours":48}"#)[0].holds);
    // No ticket was ever recorded: nothing to call stale.
    assert!(!quiet(r#"{"type":"freshness","kind":"tickets","hours":1}"#)[0].holds);
}

/// A filter is written as the reports take it (`channel:webinar`); one they would not
/// read is refused when the rule is added, not kept to never fire.
#[test]
fn a_filter_no_report_reads_is_refused() {
    for json in [
        r#"{"type":"metric","metric":"win_rate","period":"this_quarter","below":0.2,"filter":"channel=webinar"}"#,
        r#"{"type":"bottleneck","min_at_stake":1000,"filter":"colour:red"}"#,
    ] {
        let c: Condition = serde_json::from_str(json).unwrap();
        let e = c.check().unwrap_err();
        assert!(e.contains("filter"), "{e}");
    }
    let ok: Condition = serde_json::from_str(
        r#"{"type":"bottleneck","min_at_stake":1000,"filter":"channel:webinar"}"#,
    )
    .unwrap();
    ok.check().unwrap();
}

/// Regression: a metric alert's link carried its filter as written, so a score band's
/// (`score_band:top 0–10%`, with spaces and a percent sign) broke the link.
#[test]
fn regression_an_alerts_link_encodes_its_filter() {
    let s = workspace();
    let seen = evaluate(
        &s,
        &Settings::default(),
        &condition(
            r#"{"type":"metric","metric":"win_rate","period":"this_quarter","below":0.2,"filter":"score_band:top 0–10%"}"#,
        ),
        t("2026-03-03T08:00:00Z"),
    );
    assert_eq!(
        seen[0].link,
        "/?period=this_quarter&filter=score_band:top%200%E2%80%9310%25"
    );
}
