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
        capacity: None,
        contacts: None,
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
    // Asked for by id (the app's score column), a contact gets the same score and
    // reasons as in the period's list.
    let picked: Vec<String> = [0, 7, 100]
        .iter()
        .map(|&i| r.contacts[i].contact_id.clone())
        .collect();
    let only = scores(
        &s,
        &ScoresQuery {
            contacts: Some(picked.clone()),
            ..q.clone()
        },
    );
    assert_eq!(only.contacts.len(), 3);
    for (i, c) in [0, 7, 100].iter().zip(&only.contacts) {
        assert_eq!(c, &r.contacts[*i]);
    }
    // And the model is judged as before: on the period's leads, not on the three.
    assert_eq!(only.model, r.model);
    // The app scores a page of contacts with a kept model: the same figures.
    let model = revline_engine::scores::Trained::train(&s, &q);
    assert_eq!(model.contact_scores(&s, &picked), only.contacts);
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
        capacity: None,
        contacts: None,
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

/// The cut passes exactly the capacity's worth of the measured months' leads, the
/// best-scored first, and last quarter's MQLs split into passed and missed.
#[test]
fn the_threshold_passes_sales_capacity_best_scored_first() {
    let s = crate::reports::demo_snapshot(6_000);
    // The measured months are the three before the as-of month: score exactly those
    // contacts to count against the cut independently.
    let q = ScoresQuery {
        target: s.stage_index("customer").unwrap(),
        horizon_days: 90.0,
        train_as_of: t("2026-06-01"),
        from: t("2026-08-01"),
        to: t("2026-11-01"),
        as_of: t("2026-11-01"),
        capacity: Some(40.0),
        contacts: None,
    };
    let r = scores(&s, &q);
    let th = &r.threshold;
    assert_eq!(th.measured.from, "2026-08-01T00:00:00Z");
    assert_eq!(th.capacity_per_month, 40.0);
    assert!(th.capacity_given);
    let cut = th.score.expect("leads to rank");
    let passed: Vec<f64> = r
        .contacts
        .iter()
        .map(|c| c.score)
        .filter(|&x| x >= cut)
        .collect();
    assert_eq!(passed.len(), 120, "3 months x 40 leads");
    let mean = passed.iter().sum::<f64>() / 120.0;
    assert!((th.expected_conversion.unwrap() - mean).abs() < 1e-12);
    // The leads held back all score lower than every lead passed.
    assert!(r.contacts[120..].iter().all(|c| c.score < cut));
    let lq = &th.last_quarter;
    assert_eq!(lq.period.from, "2026-07-01T00:00:00Z");
    assert_eq!(lq.mqls_passed + lq.mqls_missed, lq.mqls);
    assert_eq!(lq.passed - lq.mqls_passed, lq.passed_not_mql);
    assert!(lq.passed <= lq.leads && lq.mqls <= lq.leads);

    // Without a capacity, sales' current rate: SQL entries per month over the months.
    let sql = s.stage_index("sql").unwrap();
    let k = s.stages.len();
    let (a, b) = (t("2026-08-01"), t("2026-11-01"));
    let entered = (0..s.contacts())
        .filter(|&c| {
            let e = s.entered[c * k + sql];
            e >= a && e < b
        })
        .count();
    let r = scores(
        &s,
        &ScoresQuery {
            capacity: None,
            contacts: None,
            ..q
        },
    );
    assert_eq!(r.threshold.capacity_per_month, entered as f64 / 3.0);
    assert_eq!(r.threshold.capacity_stage, "sql");
}

/// Firmographics and custom properties are features: an account's industry one-hot,
/// a numeric property as a number with its own "missing" column, a property with few
/// values one-hot.
#[test]
fn industry_and_custom_properties_are_learned_from() {
    use RecordKind::*;
    let mut out = Vec::new();
    for (a, industry) in [("saas_co", "SaaS"), ("shop", "Retail")] {
        out.push(record(
            Accounts,
            &[("account_id", a), ("industry", industry)],
        ));
    }
    for i in 0..240 {
        let id = format!("c{i}");
        let saas = i % 2 == 0;
        let day = format!("2025-0{}-{:02}", 1 + i % 6, 1 + i % 27);
        let employees = (10 + i % 37 * 10).to_string();
        let plan = if i % 3 == 0 { "pro" } else { "free" };
        let mut fields = vec![
            ("contact_id", id.as_str()),
            ("created_at", day.as_str()),
            ("account_id", if saas { "saas_co" } else { "shop" }),
            ("plan", plan),
        ];
        // A fifth of the contacts never said how many employees they have.
        if i % 5 != 0 {
            fields.push(("employees", employees.as_str()));
        }
        out.push(record(Contacts, &fields));
        if saas && i % 4 == 0 {
            out.push(record(
                Stages,
                &[
                    ("contact_id", &id),
                    ("stage", "sql"),
                    ("occurred_at", "2025-07-20"),
                ],
            ));
        }
    }
    let s = build(&out);
    let q = ScoresQuery {
        target: s.stage_index("sql").unwrap(),
        horizon_days: 365.0,
        train_as_of: t("2026-12-31"),
        from: t("2025-01-01"),
        to: t("2025-07-01"),
        as_of: t("2026-12-31"),
        capacity: None,
        contacts: None,
    };
    let r = scores(&s, &q);
    let names: Vec<&str> = r.model.features.iter().map(|f| f.name.as_str()).collect();
    for name in [
        "industry=SaaS",
        "industry=Retail",
        "employees",
        "employees=(none)",
        "plan=free",
        "plan=pro",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    // Only SaaS contacts ever reach sql: industry is the strongest feature.
    assert!(
        r.model.features[0].name.starts_with("industry="),
        "{names:?}"
    );
    let saas = r.contacts.iter().find(|c| c.contact_id == "c0").unwrap();
    let shop = r.contacts.iter().find(|c| c.contact_id == "c1").unwrap();
    assert!(
        saas.score > 3.0 * shop.score,
        "{} vs {}",
        saas.score,
        shop.score
    );
    assert!(
        saas.reasons[0].feature.starts_with("industry="),
        "{:?}",
        saas.reasons
    );
}

/// Olist's leads, trained as of early 2018 with a 180-day horizon, had 19 matured leads
/// and none that closed: the model scored every lead 0.0%, the cut read "≥ 0.0%" and
/// the AUC 0.500. With too few of one outcome nobody is scored, and the report says why.
#[test]
fn a_history_without_enough_wins_scores_nobody_rather_than_everybody_zero() {
    use RecordKind::*;
    let mut out = Vec::new();
    for i in 0..40 {
        let id = format!("c{i}");
        let day = format!("2025-{:02}-{:02}", 1 + i % 11, 1 + i % 27);
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
        // Three reach the target: fewer than the ten a model needs.
        if i < 3 {
            out.push(record(
                Stages,
                &[("contact_id", &id), ("stage", "sql"), ("occurred_at", &day)],
            ));
        }
    }
    let s = build(&out);
    let q = ScoresQuery {
        target: s.stage_index("sql").unwrap(),
        horizon_days: 30.0,
        train_as_of: t("2026-01-01"),
        from: t("2025-01-01"),
        to: t("2026-01-01"),
        as_of: t("2026-01-01"),
        capacity: Some(5.0),
        contacts: None,
    };
    let r = scores(&s, &q);
    assert_eq!(r.model.trained_on.contacts, 40);
    assert_eq!(r.model.trained_on.positives, 3);
    let reason = r.model.reason.as_deref().expect("a reason");
    assert!(reason.contains("3 of them reached sql"), "{reason}");
    assert!(r.contacts.is_empty());
    assert!(r.model.features.is_empty() && r.model.auc.is_none());
    assert_eq!(r.threshold.score, None);
    assert_eq!(r.threshold.expected_conversion, None);
    // Leads still arrived: the rate is not zero because nobody could be scored.
    assert!(r.threshold.leads_per_month > 0.0);
    // And no lead is put in a score band.
    let bands = revline_engine::bands::score_bands(&s, &q);
    assert!(bands.iter().all(|&b| b == revline_engine::snapshot::NONE));
}
