//! Subscription revenue and periods (metrics.md "Subscription revenue (MRR)", "Periods
//! and comparisons") against hand computations and an independent day-by-day model.

use crate::reports::{build, record, t};
use chrono::{Datelike, Months, NaiveDate};
use proptest::prelude::*;
use revline_core::{Record, RecordKind, Settings};
use revline_engine::calendar::Basis;
use revline_engine::mrr::mrr;
use revline_engine::query::{Output, ReportKind, ReportParams, ReportQuery, Sliced, run};
use revline_engine::scorecard::{RetentionBasis, scorecard};
use revline_engine::{Scope, SnapshotBuilder, Window};

fn window(from: &str, to: &str, as_of: &str) -> Window {
    Window {
        from: t(from),
        to: t(to),
        as_of: t(as_of),
    }
}

fn metric<'a>(
    r: &'a revline_engine::scorecard::ScorecardReport,
    name: &str,
) -> &'a revline_engine::scorecard::Metric {
    r.metrics.iter().find(|m| m.name == name).unwrap()
}

/// Ten accounts on annual plans of 12,000 from 1 January 2025; nine renew for 2026.
fn annual_plans() -> Vec<Record> {
    let mut out = Vec::new();
    for i in 0..10 {
        let a = format!("a{i}");
        out.push(record(RecordKind::Accounts, &[("account_id", &a)]));
        out.push(record(
            RecordKind::Revenue,
            &[
                ("revenue_id", &format!("r{i}-2025")),
                ("account_id", &a),
                ("occurred_at", "2025-01-01"),
                ("amount", "12000"),
                ("kind", "new"),
                ("period_start", "2025-01-01"),
                ("period_end", "2025-12-31"),
            ],
        ));
        if i < 9 {
            out.push(record(
                RecordKind::Revenue,
                &[
                    ("revenue_id", &format!("r{i}-2026")),
                    ("account_id", &a),
                    ("occurred_at", "2026-01-01"),
                    ("amount", "12000"),
                    ("kind", "recurring"),
                    ("period_start", "2026-01-01"),
                    ("period_end", "2026-12-31"),
                ],
            ));
        }
    }
    out
}

#[test]
fn annual_plans_retain_what_they_renew() {
    let s = build(&annual_plans());
    // Q1 2026: MRR 10 x 1,000 on 31 Dec, 9 x 1,000 on 31 Mar.
    let q1 = scorecard(
        &s,
        &Scope::ALL,
        &window("2026-01-01", "2026-04-01", "2026-05-01"),
        None,
    );
    assert_eq!(q1.retention_basis, RetentionBasis::Mrr);
    assert_eq!(metric(&q1, "nrr").value, Some(0.9));
    assert_eq!(metric(&q1, "grr").value, Some(0.9));
    assert_eq!(metric(&q1, "logo_churn").value, Some(0.1));
    assert_eq!(metric(&q1, "nrr").count, Some(10));
    // Q4 2025, a quarter without a single payment: nobody left (it was 0% on revenue).
    assert_eq!(metric(&q1, "nrr").previous, Some(1.0));
    assert_eq!(metric(&q1, "logo_churn").previous, Some(0.0));
    // The MRR report: 10,000 through 2025, 9,000 from January.
    let m = mrr(
        &s,
        &Scope::ALL,
        &window("2025-11-01", "2026-03-01", "2026-05-01"),
    );
    let months: Vec<(&str, f64, f64, f64)> = m
        .months
        .iter()
        .map(|x| (x.month.as_str(), x.starting, x.churned, x.ending))
        .collect();
    assert_eq!(
        months,
        vec![
            ("2025-11", 10_000.0, 0.0, 10_000.0),
            ("2025-12", 10_000.0, 0.0, 10_000.0),
            ("2026-01", 10_000.0, 1_000.0, 9_000.0),
            ("2026-02", 9_000.0, 0.0, 9_000.0),
        ]
    );
    assert_eq!(
        (m.mrr, m.arr, m.customers),
        (Some(9_000.0), Some(108_000.0), 9)
    );
    assert_eq!(
        (m.rows_without_period, m.recurring_rows, m.rows_paid_yearly),
        (0, 19, 0)
    );
    // Cohorts: kept in months 1-11 (not 0), 90% in month 12.
    let c = revline_engine::cohorts::cohorts(
        &s,
        &Scope::ALL,
        &window("2025-01-01", "2025-02-01", "2026-02-01"),
    );
    let row = &c.cohorts[0];
    assert_eq!(row.customers, 10);
    assert!(row.revenue_retention[1..12].iter().all(|r| *r == Some(1.0)));
    assert_eq!(row.revenue_retention[12], Some(0.9));
}

#[test]
fn without_recurring_revenue_retention_is_on_revenue() {
    let mut records = vec![record(RecordKind::Accounts, &[("account_id", "shop")])];
    for (at, amount) in [("2026-01-10", "100"), ("2026-02-10", "80")] {
        records.push(record(
            RecordKind::Revenue,
            &[
                ("account_id", "shop"),
                ("occurred_at", at),
                ("amount", amount),
            ],
        ));
    }
    let s = build(&records);
    let r = scorecard(
        &s,
        &Scope::ALL,
        &window("2026-02-01", "2026-03-01", "2026-03-01"),
        None,
    );
    assert_eq!(r.retention_basis, RetentionBasis::Revenue);
    // January is the first month with data: its figures have a previous month (no data
    // before it is none, not zero only for periods that end before the first record).
    let jan = scorecard(
        &s,
        &Scope::ALL,
        &window("2026-01-01", "2026-02-01", "2026-03-01"),
        None,
    );
    assert_eq!(metric(&jan, "revenue").value, Some(100.0));
    assert_eq!(
        metric(&jan, "revenue").previous,
        None,
        "December holds no data"
    );
    assert_eq!(metric(&jan, "new_customers").previous, None);
    assert_eq!(metric(&r, "revenue").previous, Some(100.0));
    // No deal was ever recorded: pipeline is no data, not 0.
    assert_eq!(metric(&r, "pipeline_created").value, None);
    assert_eq!(
        metric(&r, "pipeline_created").reason.as_deref(),
        Some("no deals recorded")
    );
    assert_eq!(metric(&r, "nrr").value, Some(0.8));
    assert_eq!(metric(&r, "nrr").basis, Some(RetentionBasis::Revenue));
    let m = mrr(
        &s,
        &Scope::ALL,
        &window("2026-01-01", "2026-03-01", "2026-03-01"),
    );
    assert!(m.months.is_empty() && m.mrr.is_none() && m.reason.is_some());
}

#[test]
fn an_unfinished_quarter_is_compared_to_date() {
    // One payment of 10 on every day of 2024.
    let mut records = vec![record(RecordKind::Accounts, &[("account_id", "a")])];
    let mut d = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    while d.year() == 2024 {
        records.push(record(
            RecordKind::Revenue,
            &[
                ("account_id", "a"),
                ("occurred_at", &d.to_string()),
                ("amount", "10"),
                ("kind", "one_off"),
            ],
        ));
        d = d.succ_opt().unwrap();
    }
    let s = build(&records);
    // As of 15 Nov 00:00: 1 Oct - 14 Nov is 45 days; 1 Jul - 14 Aug is 45 days too.
    let r = scorecard(
        &s,
        &Scope::ALL,
        &window("2024-10-01", "2025-01-01", "2024-11-15"),
        None,
    );
    assert_eq!(r.previous_period.basis, Basis::ToDate);
    assert_eq!(r.previous_period.from, "2024-07-01T00:00:00Z");
    assert_eq!(r.previous_period.to, "2024-08-15T00:00:00Z");
    assert_eq!(
        metric(&r, "revenue").value,
        Some(460.0),
        "45 days and the as-of instant's day"
    );
    assert_eq!(metric(&r, "revenue").previous, Some(460.0));
}

#[test]
fn a_target_carries_its_pace_and_a_segment_its_own_target() {
    let mut records = vec![
        record(
            RecordKind::Accounts,
            &[("account_id", "e"), ("segment", "enterprise")],
        ),
        record(
            RecordKind::Accounts,
            &[("account_id", "s"), ("segment", "smb")],
        ),
    ];
    for (metric, value, segment) in [("revenue", "3000", ""), ("revenue", "2000", "enterprise")] {
        records.push(record(
            RecordKind::Targets,
            &[
                ("period", "2026-Q1"),
                ("metric", metric),
                ("value", value),
                ("segment", segment),
            ],
        ));
    }
    for (a, amount) in [("e", "400"), ("s", "100")] {
        records.push(record(
            RecordKind::Revenue,
            &[
                ("account_id", a),
                ("occurred_at", "2026-01-05"),
                ("amount", amount),
            ],
        ));
    }
    let s = build(&records);
    let settings = Settings::default();
    let params = |filter: Option<&str>| ReportParams {
        from: Some("2026-01-01".into()),
        to: Some("2026-04-01".into()),
        as_of: Some("2026-02-15".into()),
        filter: filter.map(str::to_string),
        ..ReportParams::default()
    };
    let card = |filter| {
        let q = ReportQuery::parse(ReportKind::Scorecard, &params(filter), &settings, 0).unwrap();
        match run(&s, &q).unwrap() {
            Output::Scorecard(Sliced::One(r)) => r,
            _ => unreachable!(),
        }
    };
    // 45 of the quarter's 90 days have passed: half the target is the pace.
    let all = card(None);
    let revenue = metric(&all, "revenue");
    assert_eq!((revenue.value, revenue.target), (Some(500.0), Some(3000.0)));
    assert_eq!(revenue.pace, Some(1500.0));
    let enterprise = card(Some("segment:enterprise"));
    let revenue = metric(&enterprise, "revenue");
    assert_eq!(
        (revenue.value, revenue.target, revenue.pace),
        (Some(400.0), Some(2000.0), Some(1000.0))
    );
}

#[test]
fn the_default_period_is_the_last_12_whole_months() {
    let s = build(&annual_plans());
    let q = ReportQuery::parse(
        ReportKind::Scorecard,
        &ReportParams::default(),
        &Settings::default(),
        t("2026-12-03T10:00:00Z"),
    )
    .unwrap();
    assert_eq!(
        (q.window.from, q.window.to),
        (t("2025-12-01"), t("2026-12-01"))
    );
    let Output::Scorecard(Sliced::One(r)) = run(&s, &q).unwrap() else {
        unreachable!()
    };
    assert_eq!(r.previous_period.from, "2024-12-01T00:00:00Z");
    assert_eq!(r.previous_period.basis, Basis::Full);
}

/// An independent model: every unit's MRR on a day, summed row by row with service
/// months counted by stepping through the calendar.
fn brute_mrr(rows: &[(usize, NaiveDate, NaiveDate, i64)], unit: usize, day: NaiveDate) -> i64 {
    let months = |a: NaiveDate, b: NaiveDate| -> f64 {
        let after = b.succ_opt().unwrap();
        let mut n = 0;
        let mut m = a;
        while m < after {
            n += 1;
            m = a.checked_add_months(Months::new(n)).unwrap();
        }
        if m == after {
            f64::from(n)
        } else {
            ((b - a).num_days() + 1) as f64 / (365.25 / 12.0)
        }
    };
    let sum: f64 = rows
        .iter()
        .filter(|r| r.0 == unit && r.1 <= day && day <= r.2)
        .map(|r| r.3 as f64 * 100.0 / months(r.1, r.2))
        .sum();
    // metrics.md: halves away from zero, the sum settled to a millionth of a cent first
    // (an exact half must not depend on the order of the float additions).
    let settled = (sum * 1e6).round() / 1e6;
    settled.round().max(0.0) as i64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Monthly and annual plans, expansions, contractions, lapses and returns: each
    /// month's movements match the day-by-day model and add up exactly.
    #[test]
    fn movements_match_a_day_by_day_model(
        plans in prop::collection::vec((0usize..6, 0u32..20, 1u32..14, 1i64..5000, 0u32..28), 1..30)
    ) {
        let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let mut records = Vec::new();
        let mut rows = Vec::new();
        for u in 0..6 {
            records.push(record(RecordKind::Accounts, &[("account_id", &format!("u{u}"))]));
        }
        for (i, (u, start_month, months, amount, day)) in plans.into_iter().enumerate() {
            let start = base.checked_add_months(Months::new(start_month)).unwrap()
                + chrono::Duration::days(i64::from(day));
            let end = start.checked_add_months(Months::new(months)).unwrap().pred_opt().unwrap();
            rows.push((u, start, end, amount));
            records.push(record(RecordKind::Revenue, &[
                ("revenue_id", &format!("r{i}")),
                ("account_id", &format!("u{u}")),
                ("occurred_at", &start.to_string()),
                ("amount", &amount.to_string()),
                ("kind", if i % 3 == 0 { "new" } else { "recurring" }),
                ("period_start", &start.to_string()),
                ("period_end", &end.to_string()),
            ]));
        }
        let s = build(&records);
        let m = mrr(&s, &Scope::ALL, &window("2025-01-01", "2027-01-01", "2027-06-01"));
        prop_assert_eq!(m.months.len(), 24);
        let mut month = base;
        for row in &m.months {
            let before_day = month.pred_opt().unwrap();
            let last_day = month.checked_add_months(Months::new(1)).unwrap().pred_opt().unwrap();
            let (mut starting, mut ending, mut new, mut reactivation) = (0, 0, 0, 0);
            let (mut expansion, mut contraction, mut churned) = (0, 0, 0);
            for u in 0..6 {
                let (b, a) = (brute_mrr(&rows, u, before_day), brute_mrr(&rows, u, last_day));
                starting += b;
                ending += a;
                let had = rows.iter().any(|r| r.0 == u && r.1 <= before_day);
                match (b > 0, a > 0) {
                    (false, true) if had => reactivation += a,
                    (false, true) => new += a,
                    (true, false) => churned += b,
                    (true, true) if a > b => expansion += a - b,
                    (true, true) => contraction += b - a,
                    _ => {}
                }
            }
            let cents = |v: f64| (v * 100.0).round() as i64;
            prop_assert_eq!(cents(row.starting), starting, "{} starting", row.month);
            prop_assert_eq!(cents(row.ending), ending, "{} ending", row.month);
            prop_assert_eq!(cents(row.new), new, "{} new", row.month);
            prop_assert_eq!(cents(row.reactivation), reactivation, "{} reactivation", row.month);
            prop_assert_eq!(cents(row.expansion), expansion);
            prop_assert_eq!(cents(row.contraction), contraction);
            prop_assert_eq!(cents(row.churned), churned);
            prop_assert_eq!(starting + new + reactivation + expansion - contraction - churned, ending);
            month = month.checked_add_months(Months::new(1)).unwrap();
        }
        // NRR, GRR and logo churn of a quarter on the MRR basis, against the model.
        let before_day = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let last_day = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let (mut base, mut kept, mut gross, mut members, mut lost) = (0i64, 0i64, 0i64, 0u64, 0u64);
        for u in 0..6 {
            let (b, a) = (brute_mrr(&rows, u, before_day), brute_mrr(&rows, u, last_day));
            if b > 0 {
                base += b;
                kept += a;
                gross += a.min(b);
                members += 1;
                lost += u64::from(a == 0);
            }
        }
        let card = scorecard(&s, &Scope::ALL, &window("2026-01-01", "2026-04-01", "2026-06-01"), None);
        let value = |name: &str| metric(&card, name).value;
        if base > 0 {
            prop_assert!((value("nrr").unwrap() - kept as f64 / base as f64).abs() < 1e-12);
            prop_assert!((value("grr").unwrap() - gross as f64 / base as f64).abs() < 1e-12);
            prop_assert!((value("logo_churn").unwrap() - lost as f64 / members as f64).abs() < 1e-12);
        } else {
            prop_assert_eq!(value("nrr"), None);
        }
    }
}

#[test]
fn members_are_exactly_the_people_behind_each_funnel_count() {
    let config = revline_demo::DemoConfig {
        contacts: 3_000,
        ..revline_demo::DemoConfig::default()
    };
    let settings = revline_demo::demo_settings();
    let mut b = SnapshotBuilder::new(&settings);
    revline_demo::generate(&config, &mut |r| b.add(&r));
    let s = b.build();
    for (view, filter) in [
        ("cohort", None),
        ("flow", None),
        ("cohort", Some("channel:webinar")),
        ("cohort", Some("segment:enterprise")),
    ] {
        let params = |stage: Option<&str>| ReportParams {
            from: Some("2026-01-01".into()),
            to: Some("2026-07-01".into()),
            as_of: Some("2026-10-01".into()),
            view: Some(view.into()),
            window_days: Some(120.0),
            filter: filter.map(str::to_string),
            stage: stage.map(str::to_string),
            ..ReportParams::default()
        };
        let q = ReportQuery::parse(ReportKind::Funnel, &params(None), &settings, 0).unwrap();
        let Output::Funnel(Sliced::One(funnel)) = run(&s, &q).unwrap() else {
            unreachable!()
        };
        for stage in &funnel.stages {
            let q = ReportQuery::parse(
                ReportKind::Members,
                &params(Some(&stage.stage)),
                &settings,
                0,
            )
            .unwrap();
            let Output::Members(m) = run(&s, &q).unwrap() else {
                unreachable!()
            };
            assert_eq!(m.count, stage.reached, "{view} {filter:?} {}", stage.stage);
            assert_eq!(m.members.len() as u64, m.count);
            // The caller's labels land on the right people, the others stay unnamed.
            let mut m = m;
            if let Some(first) = m.contact_ids().first().cloned() {
                let labels = [(first.clone(), (Some("a@b.c".to_string()), None))].into();
                m.label(labels);
                let named: Vec<_> = m.members.iter().filter(|x| x.email.is_some()).collect();
                assert_eq!(named.len(), 1);
                assert_eq!(named[0].contact_id, first);
            }
        }
    }
}

#[test]
fn a_yearly_payment_without_its_period_is_read_as_a_month_and_said_so() {
    let records = vec![
        record(RecordKind::Accounts, &[("account_id", "a")]),
        record(
            RecordKind::Revenue,
            &[
                ("account_id", "a"),
                ("occurred_at", "2026-01-10"),
                ("amount", "12000"),
                ("kind", "recurring"),
            ],
        ),
        // The customer pays again a year later.
        record(
            RecordKind::Revenue,
            &[
                ("account_id", "a"),
                ("occurred_at", "2027-01-10"),
                ("amount", "12600"),
                ("kind", "recurring"),
            ],
        ),
    ];
    let s = build(&records);
    let m = mrr(
        &s,
        &Scope::ALL,
        &window("2026-01-01", "2026-03-01", "2026-04-01"),
    );
    // The data contract: one calendar month from its date (10 Jan - 9 Feb).
    assert_eq!(m.months[0].ending, 12_000.0);
    assert_eq!(m.months[1].churned, 12_000.0);
    // ... and the report says the rows look yearly.
    assert_eq!((m.rows_without_period, m.recurring_rows), (2, 2));
    assert_eq!(m.rows_paid_yearly, 1);
}

#[test]
fn without_sales_touches_the_sla_is_no_data_not_all_breached() {
    let mut records = Vec::new();
    for c in ["c1", "c2"] {
        records.push(record(
            RecordKind::Contacts,
            &[("contact_id", c), ("created_at", "2026-02-02")],
        ));
        records.push(record(
            RecordKind::Stages,
            &[
                ("contact_id", c),
                ("stage", "mql"),
                ("occurred_at", "2026-02-03"),
            ],
        ));
    }
    let s = build(&records);
    let w = window("2026-02-01", "2026-03-01", "2026-03-01");
    let r = revline_engine::sla::sla(&s, &Scope::ALL, &w);
    assert_eq!(r.leads, 2);
    assert_eq!(r.breach_rate, None);
    assert_eq!(r.reason.as_deref(), Some("no sales touchpoint recorded"));
    let card = scorecard(&s, &Scope::ALL, &w, None);
    assert_eq!(metric(&card, "sla_breach_rate").value, None);
}

/// Regression: on the retention page by acquisition channel, a channel whose accounts
/// bought through another colleague than the first lead showed an LTV of 0.00 with
/// revenue in every month: the cohort took the unit's revenue but only the recurring
/// rows whose deal's contact came from the same channel.
#[test]
fn cohorts_by_channel_count_a_units_mrr_whichever_contact_bought() {
    let mut records = vec![record(RecordKind::Accounts, &[("account_id", "acme")])];
    for (c, at, channel) in [
        ("ann", "2025-12-01", "paid_search"),
        ("bob", "2025-12-05", "email"),
    ] {
        records.push(record(
            RecordKind::Contacts,
            &[
                ("contact_id", c),
                ("account_id", "acme"),
                ("created_at", at),
            ],
        ));
        records.push(record(
            RecordKind::Touchpoints,
            &[
                ("contact_id", c),
                ("occurred_at", at),
                ("channel", channel),
                ("kind", "click"),
            ],
        ));
    }
    records.push(record(
        RecordKind::Deals,
        &[
            ("deal_id", "d1"),
            ("contact_id", "bob"),
            ("account_id", "acme"),
            ("created_at", "2025-12-20"),
            ("status", "won"),
            ("closed_at", "2026-01-01"),
            ("amount", "1200"),
        ],
    ));
    records.push(record(
        RecordKind::Revenue,
        &[
            ("revenue_id", "r1"),
            ("deal_id", "d1"),
            ("account_id", "acme"),
            ("occurred_at", "2026-01-01"),
            ("amount", "1200"),
            ("kind", "new"),
            ("period_start", "2026-01-01"),
            ("period_end", "2026-12-31"),
        ],
    ));
    let s = build(&records);
    let p = ReportParams {
        from: Some("2026-01-01".into()),
        to: Some("2026-04-01".into()),
        as_of: Some("2026-04-01".into()),
        by: Some("channel".into()),
        ..ReportParams::default()
    };
    let q = ReportQuery::parse(ReportKind::Cohorts, &p, &Settings::default(), 0).unwrap();
    let Output::Cohorts(Sliced::By(by)) = run(&s, &q).unwrap() else {
        panic!("cohorts by channel")
    };
    // The account's first lead came through paid search: its cohort is there, with
    // the plan's 100 a month of MRR and the lifetime value it adds up to.
    let paid = by
        .segments
        .iter()
        .find(|g| g.value == "paid_search")
        .expect("a paid_search slice");
    let row = &paid.report.cohorts[0];
    assert_eq!((row.cohort.as_str(), row.customers), ("2026-01", 1));
    assert_eq!(row.mrr, Some(vec![100.0, 100.0, 100.0]));
    assert_eq!(row.ltv, vec![100.0, 200.0, 300.0]);
    assert_eq!(row.revenue_retention, vec![Some(1.0); 3]);
}
