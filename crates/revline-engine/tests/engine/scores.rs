//! Lead scores on the demo workspace, trained on the past and judged on later leads
//! (out of time), and the no-leakage rule on a small workspace worked out by hand.

use crate::reports::{build, record, t};
use revline_core::RecordKind;
use revline_engine::scores::{ScoresQuery, scores};

#[test]
fn scores_trained_on_the_past_rank_later_demo_leads() {
    let s = crate::reports::demo_snapshot(6_000);
    let q = ScoresQuery {
        target: s.stage_index("sql").unwrap(),
        horizon_days: 90.0,
        train_as_of: t("2026-04-01"),
        from: t("2026-04-01"),
        to: t("2026-07-01"),
        as_of: t("2026-11-01"),
    };
    let r = scores(&s, &q);
    let m = &r.model;
    assert!(m.trained_on.contacts > 1_000, "{:?}", m.trained_on);
    assert!(m.trained_on.positives > 50);
    // Every scored lead of the quarter had its 90 days by November: all are judged.
    assert_eq!(m.judged_on as usize, r.contacts.len());
    let auc = m.auc.expect("both outcomes among later leads");
    assert!(auc > 0.6, "out-of-time AUC {auc}");
    assert_eq!(m.calibration.len(), 10);
    // The demo plants display leads that seldom qualify: the channel is a reason.
    assert!(
        m.features
            .iter()
            .take(8)
            .any(|f| f.name.contains("display")),
        "{:?}",
        &m.features[..8]
    );
    let top = &r.contacts[0];
    assert!(top.score > r.contacts.last().unwrap().score);
    assert!(!top.reasons.is_empty() && top.reasons.len() <= 3);
}

/// Two leads alike at their first day; one is touched again a week later. The later
/// touch is after the cut, so both score the same.
#[test]
fn nothing_after_the_first_day_changes_a_score() {
    use RecordKind::*;
    let mut out = Vec::new();
    for i in 0..60 {
        let id = format!("c{i}");
        let day = format!("2025-0{}-{:02}", 1 + i % 6, 1 + i % 27);
        out.push(record(
            Contacts,
            &[("contact_id", &id), ("created_at", &day)],
        ));
        out.push(record(
            Stages,
            &[
                ("contact_id", &id),
                ("stage", "lead"),
                ("occurred_at", &day),
            ],
        ));
        out.push(record(
            Touchpoints,
            &[
                ("contact_id", &id),
                ("occurred_at", &day),
                ("channel", if i % 2 == 0 { "webinar" } else { "display" }),
            ],
        ));
        if i % 2 == 0 {
            out.push(record(
                Stages,
                &[
                    ("contact_id", &id),
                    ("stage", "sql"),
                    ("occurred_at", "2025-07-15"),
                ],
            ));
        }
    }
    for (id, extra) in [("x1", false), ("x2", true)] {
        out.push(record(
            Contacts,
            &[("contact_id", id), ("created_at", "2026-02-01")],
        ));
        out.push(record(
            Stages,
            &[
                ("contact_id", id),
                ("stage", "lead"),
                ("occurred_at", "2026-02-01"),
            ],
        ));
        out.push(record(
            Touchpoints,
            &[
                ("contact_id", id),
                ("occurred_at", "2026-02-01"),
                ("channel", "webinar"),
            ],
        ));
        if extra {
            for _ in 0..3 {
                out.push(record(
                    Touchpoints,
                    &[
                        ("contact_id", id),
                        ("occurred_at", "2026-02-08"),
                        ("channel", "webinar"),
                        ("team", "sales"),
                    ],
                ));
            }
            // Reaching sql later is no feature either.
            out.push(record(
                Stages,
                &[
                    ("contact_id", id),
                    ("stage", "sql"),
                    ("occurred_at", "2026-02-09"),
                ],
            ));
        }
    }
    let s = build(&out);
    let q = ScoresQuery {
        target: s.stage_index("sql").unwrap(),
        horizon_days: 200.0,
        train_as_of: t("2026-01-31"),
        from: t("2026-02-01"),
        to: t("2026-02-02"),
        as_of: t("2026-03-01"),
    };
    let r = scores(&s, &q);
    // Not vacuous: all sixty past leads trained the model, half of them positive, and
    // the channel carries weight.
    assert_eq!(
        (r.model.trained_on.contacts, r.model.trained_on.positives),
        (60, 30)
    );
    assert!(
        r.model.features[0].importance > 0.5,
        "{:?}",
        r.model.features
    );
    assert_eq!(r.contacts.len(), 2);
    assert_eq!(r.contacts[0].score, r.contacts[1].score, "{:?}", r.contacts);
}
