//! Scorecard, SLA, cohorts, forecast and journeys on one small workspace whose every
//! figure was worked out by hand (the comments show the arithmetic).

use proptest::prelude::*;
use revline_core::parse::{ParseOptions, RowText, parse_record};
use revline_core::time::parse_timestamp;
use revline_core::{Record, RecordKind, Settings};
use revline_engine::calendar::Basis;
use revline_engine::cohorts::cohorts;
use revline_engine::forecast::{ForecastOptions, forecast};
use revline_engine::journeys::{Subject, journey};
use revline_engine::scorecard::{RetentionBasis, scorecard};
use revline_engine::sla::sla;
use revline_engine::{Dim, Scope, Snapshot, SnapshotBuilder, Window};

pub(crate) fn record(kind: RecordKind, pairs: &[(&str, &str)]) -> Record {
    let row = RowText::from_pairs(kind, pairs);
    parse_record(kind, row, &Settings::default(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{kind} {pairs:?}: {e:?}"))
}

pub(crate) fn t(s: &str) -> i64 {
    parse_timestamp(s, chrono_tz::Tz::UTC).unwrap()
}

fn fixture() -> Vec<Record> {
    use RecordKind::*;
    let mut out = vec![
        record(
            Accounts,
            &[
                ("account_id", "a1"),
                ("segment", "smb"),
                ("country", "PL"),
                ("owner", "Ann"),
            ],
        ),
        record(
            Accounts,
            &[
                ("account_id", "a2"),
                ("segment", "ent"),
                ("country", "DE"),
                ("owner", "Bob"),
            ],
        ),
    ];
    for (id, account, created) in [
        ("c1", "a1", "2026-01-05"),
        ("c2", "a2", "2026-01-06"),
        ("c3", "", "2026-02-02"),
        ("c4", "", "2026-02-03"),
    ] {
        out.push(record(
            Contacts,
            &[
                ("contact_id", id),
                ("account_id", account),
                ("created_at", created),
            ],
        ));
    }
    for (c, at, channel, kind) in [
        ("c3", "2026-02-01T12:00:00Z", "paid_search", "click"),
        ("c3", "2026-02-05T02:00:00Z", "outbound", "call"),
        ("c4", "2026-02-03T00:00:00Z", "webinar", "webinar"),
        ("c4", "2026-02-08T00:00:00Z", "outbound", "call"),
    ] {
        out.push(record(
            Touchpoints,
            &[
                ("contact_id", c),
                ("occurred_at", at),
                ("channel", channel),
                ("kind", kind),
            ],
        ));
    }
    for (c, stage, at) in [
        ("c3", "mql", "2026-02-05"),
        ("c4", "mql", "2026-02-06"),
        ("c4", "sql", "2026-02-10"),
    ] {
        out.push(record(
            Stages,
            &[("contact_id", c), ("stage", stage), ("occurred_at", at)],
        ));
    }
    let deal = |id: &str,
                c: &str,
                a: &str,
                created: &str,
                status: &str,
                closed: &str,
                amount: &str,
                extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("deal_id", id),
            ("contact_id", c),
            ("account_id", a),
            ("created_at", created),
            ("status", status),
            ("closed_at", closed),
            ("amount", amount),
        ];
        pairs.extend_from_slice(extra);
        record(Deals, &pairs)
    };
    out.extend([
        deal(
            "d1",
            "c1",
            "a1",
            "2026-01-05",
            "won",
            "2026-01-10",
            "100",
            &[],
        ),
        deal(
            "d2",
            "c2",
            "a2",
            "2026-01-06",
            "won",
            "2026-01-15",
            "200",
            &[],
        ),
        deal(
            "d3",
            "c4",
            "",
            "2026-02-10",
            "lost",
            "2026-02-20",
            "500",
            &[("owner", "Bob")],
        ),
        deal(
            "d4",
            "c3",
            "",
            "2026-02-06",
            "won",
            "2026-02-25",
            "300",
            &[("owner", "Ann")],
        ),
        deal(
            "d5",
            "c4",
            "",
            "2026-02-12",
            "open",
            "",
            "1000",
            &[("probability", "0.9"), ("expected_close_at", "2026-03-15")],
        ),
        deal(
            "d6",
            "c1",
            "a1",
            "2026-02-15",
            "open",
            "",
            "400",
            &[("expected_close_at", "2026-02-27")],
        ),
    ]);
    for (d, stage, at) in [
        ("d3", "proposal", "2026-02-12"),
        ("d4", "proposal", "2026-02-10"),
        ("d4", "negotiation", "2026-02-20"),
        ("d6", "proposal", "2026-02-20"),
    ] {
        out.push(record(
            DealStages,
            &[("deal_id", d), ("stage", stage), ("occurred_at", at)],
        ));
    }
    for (a, c, at, amount, kind) in [
        ("a1", "", "2026-01-10", "100", "new"),
        ("a2", "", "2026-01-15", "200", "new"),
        ("a1", "", "2026-02-10", "120", "expansion"),
        ("a2", "", "2026-02-20", "50", "refund"),
        ("", "c3", "2026-02-25", "30", "new"),
    ] {
        out.push(record(
            Revenue,
            &[
                ("account_id", a),
                ("contact_id", c),
                ("occurred_at", at),
                ("amount", amount),
                ("kind", kind),
            ],
        ));
    }
    out.push(record(
        Spend,
        &[
            ("period_start", "2026-02-01"),
            ("period_end", "2026-02-28"),
            ("channel", "paid_search"),
            ("amount", "280"),
        ],
    ));
    out.push(record(
        Spend,
        &[
            ("period_start", "2026-01-01"),
            ("period_end", "2026-01-31"),
            ("channel", "sales"),
            ("team", "sales"),
            ("amount", "310"),
        ],
    ));
    out.push(record(
        Tickets,
        &[
            ("ticket_id", "t1"),
            ("contact_id", "c2"),
            ("opened_at", "2026-02-03"),
            ("resolved_at", "2026-02-04"),
            ("csat", "2"),
        ],
    ));
    out.push(record(
        Targets,
        &[
            ("period", "2026-02"),
            ("metric", "revenue"),
            ("value", "500"),
        ],
    ));
    out
}

/// The demo workspace of `contacts` people (default seed and end), as a snapshot.
pub(crate) fn demo_snapshot(contacts: u64) -> Snapshot {
    let config = revline_demo::DemoConfig {
        contacts,
        ..revline_demo::DemoConfig::default()
    };
    let mut builder = revline_engine::SnapshotBuilder::new(&revline_demo::demo_settings());
    revline_demo::generate(&config, &mut |r| builder.add(&r));
    builder.build()
}

pub(crate) fn build(records: &[Record]) -> Snapshot {
    let mut b = SnapshotBuilder::new(&Settings::default());
    for r in records {
        b.add(r);
    }
    b.build()
}

fn february(as_of: &str) -> Window {
    Window {
        from: t("2026-02-01"),
        to: t("2026-03-01"),
        as_of: t(as_of),
    }
}

fn near(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[track_caller]
fn metric(
    report: &revline_engine::scorecard::ScorecardReport,
    name: &str,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    let m = report
        .metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"));
    (m.value, m.previous, m.target)
}

#[test]
fn scorecard_matches_the_hand_computation() {
    let s = build(&fixture());
    let r = scorecard(&s, &Scope::ALL, &february("2026-03-01"), None);
    // February is compared with January, the whole of it (the period is over).
    assert_eq!(r.previous_period.from, "2026-01-01T00:00:00Z");
    assert_eq!(r.previous_period.to, "2026-02-01T00:00:00Z");
    assert_eq!(r.previous_period.basis, Basis::Full);
    let m = |name| metric(&r, name);
    // Revenue: 120 (a1) - 50 (refund, a2) + 30 (c3); before: 100 + 200.
    assert_eq!(m("revenue"), (Some(100.0), Some(300.0), Some(500.0)));
    // New customers: c3's unit (won and paid on 25 Feb); before: a1, a2.
    assert_eq!(m("new_customers"), (Some(1.0), Some(2.0), None));
    assert_eq!(m("pipeline_created").0, Some(2200.0));
    assert_eq!(m("win_rate").0, Some(0.5));
    assert_eq!(m("win_rate").1, Some(1.0));
    assert_eq!(m("avg_deal_size"), (Some(300.0), Some(150.0), None));
    // d4: 6 Feb -> 25 Feb; before: 5 and 9 days.
    assert_eq!(m("sales_cycle_days").0, Some(19.0));
    assert_eq!(m("sales_cycle_days").1, Some(7.0));
    // 2 open deals (d5, d6) x 300 x 0.5 / 19 days.
    assert!(near(m("sales_velocity").0, 2.0 * 300.0 * 0.5 / 19.0));
    // The period is over at the as-of time: nothing is left to cover.
    assert_eq!(m("pipeline_coverage").0, None);
    // 280 of search spend / 1; before: January's 310 of sales cost / 2.
    assert!(near(m("cac").0, 280.0));
    assert!(near(m("cac").1, 155.0));
    // Recurring revenue exists (new, expansion): the MRR basis. Each row pays for one
    // month from its date. MRR on 31 Jan: a1 100 (10 Jan - 9 Feb), a2 200 (15 Jan -
    // 14 Feb); on 28 Feb: a1 120 (expansion, 10 Feb - 9 Mar), a2 0 (its refund of 20 Feb
    // falls in no service period of a2), c3 30 (not in the base).
    assert!(near(m("nrr").0, 120.0 / 300.0));
    assert!(near(m("grr").0, 100.0 / 300.0));
    assert!(near(m("logo_churn").0, 0.5));
    let nrr = r.metrics.iter().find(|x| x.name == "nrr").unwrap();
    assert_eq!((nrr.basis, nrr.count), (Some(RetentionBasis::Mrr), Some(2)));
    assert_eq!(
        m("nrr").1,
        None,
        "nobody paid in the period before the previous one"
    );
    // LTV: MRR 150 on 28 Feb over its 2 units, margin 1, over the monthly churn of
    // February (1 - GRR of 1/3).
    let arpu_month = 150.0 / 2.0;
    assert!(near(m("ltv").0, arpu_month / (2.0 / 3.0)), "{:?}", m("ltv"));
    assert!(near(m("ltv_cac").0, arpu_month / (2.0 / 3.0) / 280.0));
    // c3 answered after 120 minutes, c4 after 2 days (2880): median 1500, one breach.
    assert_eq!(m("lead_response_minutes").0, Some(1500.0));
    assert_eq!(m("sla_breach_rate").0, Some(0.5));
    assert_eq!(m("leads").0, Some(2.0));
    assert_eq!(m("opportunities").0, Some(2.0));
    // Reach always beside conversion and cost per customer.
    let search = r.reach.iter().find(|x| x.channel == "paid_search").unwrap();
    assert_eq!((search.clicks, search.leads, search.customers), (1, 1, 1));
    assert!(near(search.spend, 280.0) && near(search.cost_per_customer, 280.0));
    let webinar = r.reach.iter().find(|x| x.channel == "webinar").unwrap();
    assert_eq!((webinar.leads, webinar.customers), (1, 0));
    assert_eq!(webinar.cost_per_customer, None);
    assert_eq!(webinar.conversion_to_customer, Some(0.0));
}

#[test]
fn pipeline_coverage_counts_open_deals_due_in_the_rest_of_the_period() {
    let s = build(&fixture());
    let r = scorecard(&s, &Scope::ALL, &february("2026-02-20T00:00:00Z"), None);
    // So far 120 - 50 = 70 of the 500 target; d6 (400) is due on 27 Feb, d5 in March.
    assert!(near(metric(&r, "pipeline_coverage").0, 400.0 / 430.0));
}

#[test]
fn sla_compares_leads_answered_in_time_with_late_ones() {
    let s = build(&fixture());
    let r = sla(&s, &Scope::ALL, &february("2026-03-01"));
    assert_eq!(
        (r.leads, r.responded, r.pending, r.breached),
        (2, 2, 0, Some(1))
    );
    assert_eq!(r.median_response_minutes, Some(1500.0));
    // p90 between 120 and 2880: 120 + 0.9 * 2760.
    assert!(near(r.p90_response_minutes, 120.0 + 0.9 * 2760.0));
    assert_eq!(r.next_stage.as_deref(), Some("sql"));
    let (within, late) = (r.within_sla.unwrap(), r.late.unwrap());
    assert_eq!((within.leads, within.converted), (1, 1));
    assert_eq!((late.leads, late.converted), (1, 1));
    // Seen on 6 Feb 12:00, c4 is unanswered for 12 hours: pending, not breached.
    let early = sla(&s, &Scope::ALL, &february("2026-02-06T12:00:00Z"));
    assert_eq!(
        (early.leads, early.pending, early.breached),
        (2, 1, Some(0))
    );
    assert_eq!(early.breach_rate, Some(0.0));
}

#[test]
fn cohorts_follow_each_acquisition_month() {
    let s = build(&fixture());
    let w = Window {
        from: t("2026-01-01"),
        to: t("2026-03-01"),
        as_of: t("2026-03-01"),
    };
    let r = cohorts(&s, &Scope::ALL, &w);
    assert_eq!(r.customers, 3);
    let jan = &r.cohorts[0];
    assert_eq!((jan.cohort.as_str(), jan.customers), ("2026-01", 2));
    // As of 1 March 00:00 nothing of March can have happened: January and February only.
    assert_eq!(jan.revenue, vec![300.0, 70.0]);
    assert_eq!(jan.active, vec![2, 1]);
    // MRR basis: 300 on 31 Jan, 120 on 28 Feb (a1's expansion; a2 lapsed).
    assert_eq!(jan.mrr, Some(vec![300.0, 120.0]));
    assert!(near(jan.revenue_retention[1], 120.0 / 300.0));
    assert_eq!(jan.ltv, vec![150.0, 210.0]);
    assert!(!jan.last_month_to_date);
    let feb = &r.cohorts[1];
    assert_eq!((feb.cohort.as_str(), feb.customers), ("2026-02", 1));
    assert_eq!(feb.revenue, vec![30.0]);
    assert_eq!(feb.logo_retention, vec![Some(1.0)]);
    // A day later March is open: it shows, empty.
    let later = cohorts(
        &s,
        &Scope::ALL,
        &Window {
            as_of: t("2026-03-02"),
            ..w
        },
    );
    assert_eq!(later.cohorts[0].revenue, vec![300.0, 70.0, 0.0]);
    assert_eq!(later.cohorts[1].active, vec![1, 0]);
    // March has begun, not ended: its cells are to date, not churn.
    assert!(later.cohorts[0].last_month_to_date);
}

#[test]
fn forecast_weights_open_deals_and_plans_backwards() {
    let s = build(&fixture());
    let w = Window {
        from: t("2026-01-01"),
        to: t("2027-01-01"),
        as_of: t("2026-03-01"),
    };
    let r = forecast(
        &s,
        &Scope::ALL,
        &w,
        ForecastOptions {
            target: Some(3000.0),
        },
    );
    // proposal: d3 lost, d4 won; negotiation: d4 won.
    let p = |st: &str| {
        r.stage_probabilities
            .iter()
            .find(|x| x.stage == st)
            .unwrap()
            .probability
    };
    assert_eq!(p("proposal"), Some(0.5));
    assert_eq!(p("negotiation"), Some(1.0));
    assert_eq!(r.default_probability, Some(0.75));
    // d5: 1000 at its own 0.9; d6: 400 at proposal's 0.5.
    assert_eq!(r.open_deals, 2);
    assert!((r.weighted_pipeline - 1100.0).abs() < 1e-9);
    assert_eq!((r.commit, r.best_case), (1000.0, 1400.0));
    assert_eq!(r.months.len(), 2);
    assert!(r.months[0].overdue && r.months[0].month == "2026-02");
    assert_eq!(r.months[1].month, "2026-03");
    // December 0, January 300, February 100.
    assert!((r.run_rate_monthly - 400.0 / 3.0).abs() < 1e-9);
    // Rates: 4 leads, 3 customers; average won deal (100 + 200 + 300) / 3.
    assert_eq!(r.average_value, Some(200.0));
    let need: Vec<Option<f64>> = r
        .reverse_funnel
        .iter()
        .map(|x| x.required_for_target)
        .collect();
    assert_eq!(
        need,
        vec![Some(20.0), Some(20.0), Some(20.0), Some(20.0), Some(15.0)]
    );
    // Recognised through 28 Feb: a1 100 and a2 200 (January's months), 19 of the 28 days
    // of a1's expansion of 120, a2's refund of 50, 4 of the 28 days of c3's 30.
    let so_far = 100.0 + 200.0 + 120.0 * 19.0 / 28.0 - 50.0 + 30.0 * 4.0 / 28.0;
    assert!(near(Some(r.revenue_so_far), so_far), "{}", r.revenue_so_far);
    // The base: MRR 150 on 28 Feb x 306 days left x February's GRR of 100 / 300.
    let base = 150.0 * (306.0 / (365.25 / 12.0)) * (100.0 / 300.0);
    assert!(near(Some(r.recurring_base), base));
    // New business: 3000 - so far - base - 1100 weighted; 150 a lead (200 x 0.75).
    let new_business = 3000.0 - so_far - base - 1100.0;
    assert!(near(r.new_business_needed, new_business));
    assert!(near(r.reverse_funnel[0].required, new_business / 150.0));
}

#[test]
fn a_journey_tells_every_team_in_time_order() {
    let s = build(&fixture());
    let a1 = s.accounts.ids.get("a1").unwrap();
    let j = journey(&s, Subject::Account(a1));
    let events: Vec<(&str, &str)> = j.events.iter().map(|e| (&e.at[..10], e.event)).collect();
    assert_eq!(
        events,
        vec![
            ("2026-01-05", "created"),
            ("2026-01-05", "deal_created"),
            ("2026-01-10", "deal_won"),
            ("2026-01-10", "revenue"),
            ("2026-02-10", "revenue"),
            ("2026-02-15", "deal_created"),
            ("2026-02-20", "deal_stage"),
        ]
    );
    let c4 = s.contact_ids.iter().position(|c| c == "c4").unwrap() as u32;
    let j = journey(&s, Subject::Contact(c4));
    let teams: Vec<Option<&str>> = j
        .events
        .iter()
        .filter(|e| e.event == "touchpoint")
        .map(|e| e.team)
        .collect();
    assert_eq!(teams, vec![Some("marketing"), Some("sales")]);
    let c2 = s.contact_ids.iter().position(|c| c == "c2").unwrap() as u32;
    let j = journey(&s, Subject::Contact(c2));
    assert!(
        j.events
            .iter()
            .any(|e| e.event == "ticket_resolved" && e.csat == Some(2))
    );
}

#[test]
fn breakdown_by_segment_splits_the_scorecard() {
    let s = build(&fixture());
    let w = february("2026-03-01");
    let by = revline_engine::by(
        &s,
        &revline_engine::slice::Segmentation::new(&s, Dim::Segment),
        |scope| scorecard(&s, &scope, &w, None),
    );
    let values: Vec<&str> = by.segments.iter().map(|x| x.value.as_str()).collect();
    assert_eq!(values, vec!["ent", "smb", "(none)"]);
    let revenue = |i: usize| metric(&by.segments[i].report, "revenue").0;
    assert_eq!(
        (revenue(0), revenue(1), revenue(2)),
        (Some(-50.0), Some(120.0), Some(30.0))
    );
    // Spend cannot be split by segment: CAC is unknown, never a guess.
    assert_eq!(metric(&by.segments[0].report, "cac").0, None);
    let json = serde_json::to_value(&by).unwrap();
    assert_eq!(json["by"], "segment");
    assert!(json["metrics"].is_array() && json["segments"][0]["metrics"].is_array());
}

#[test]
fn a_filter_gives_that_slice_of_the_breakdown() {
    use revline_engine::query::{ReportKind, ReportParams, ReportQuery, run};
    let s = build(&fixture());
    let settings = Settings::default();
    let now = t("2026-03-01");
    let json = |p: ReportParams| {
        let q = ReportQuery::parse(ReportKind::Scorecard, &p, &settings, now).unwrap();
        run(&s, &q).unwrap().to_json()
    };
    let window = |p: ReportParams| ReportParams {
        from: Some("2026-02-01".into()),
        to: Some("2026-03-01".into()),
        ..p
    };
    let by = json(window(ReportParams {
        by: Some("segment".into()),
        ..Default::default()
    }));
    for (i, value) in ["ent", "smb", "(none)"].iter().enumerate() {
        let one = json(window(ReportParams {
            filter: Some(format!("segment:{value}")),
            ..Default::default()
        }));
        assert_eq!(one["metrics"], by["segments"][i]["metrics"], "{value}");
    }
    let nobody = json(window(ReportParams {
        filter: Some("segment:no_such_segment".into()),
        ..Default::default()
    }));
    let revenue = nobody["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "revenue");
    assert_eq!(revenue.unwrap()["value"], 0.0);
    let both = ReportParams {
        filter: Some("segment:ent".into()),
        by: Some("channel".into()),
        ..Default::default()
    };
    let err = ReportQuery::parse(ReportKind::Scorecard, &both, &settings, now).unwrap_err();
    assert_eq!(err.param, "filter");
    let bad = ReportParams {
        filter: Some("colour:red".into()),
        ..Default::default()
    };
    assert!(ReportQuery::parse(ReportKind::Funnel, &bad, &settings, now).is_err());
}

#[test]
fn money_in_other_currencies_is_converted_or_reported() {
    let mut records = fixture();
    let eur = |amount: &str, at: &str| {
        record(
            RecordKind::Revenue,
            &[
                ("account_id", "a1"),
                ("occurred_at", at),
                ("amount", amount),
                ("currency", "EUR"),
            ],
        )
    };
    records.push(eur("10", "2026-02-11"));
    records.push(eur("7", "2026-02-12"));
    records.push(record(
        RecordKind::FxRates,
        &[("date", "2026-02-12"), ("currency", "EUR"), ("rate", "1.5")],
    ));
    let s = build(&records);
    let r = scorecard(&s, &Scope::ALL, &february("2026-03-01"), None);
    // 7 EUR on the 12th at 1.5 = 10.50; the 10 EUR of the 11th has no rate yet.
    assert!(near(metric(&r, "revenue").0, 110.5));
    assert_eq!(r.unconverted.len(), 1);
    assert_eq!(
        (r.unconverted[0].rows, r.unconverted[0].amount_minor),
        (1, 1000)
    );
}

#[test]
fn an_empty_workspace_gives_nulls_not_errors() {
    let s = build(&[]);
    let w = february("2026-03-01");
    let r = scorecard(&s, &Scope::ALL, &w, None);
    let revenue = r.metrics.iter().find(|m| m.name == "revenue").unwrap();
    assert_eq!(revenue.value, None, "no revenue recorded is no data, not 0");
    assert_eq!(revenue.reason.as_deref(), Some("no revenue recorded"));
    for name in [
        "win_rate",
        "avg_deal_size",
        "cac",
        "nrr",
        "ltv",
        "lead_response_minutes",
    ] {
        assert_eq!(metric(&r, name).0, None, "{name}");
    }
    assert!(cohorts(&s, &Scope::ALL, &w).cohorts.is_empty());
    let f = forecast(&s, &Scope::ALL, &w, ForecastOptions::default());
    assert_eq!((f.open_deals, f.average_value), (0, None));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// However the workspace is split by a dimension, the segments' revenue and new
    /// customers add up to the whole (each record belongs to exactly one value).
    #[test]
    fn segments_add_up_to_the_whole(seed in 0u64..1000, dim in 0usize..6) {
        let config = revline_demo_like(seed);
        let s = build(&config);
        let w = Window { from: t("2026-01-01"), to: t("2026-07-01"), as_of: t("2026-07-01") };
        let by = revline_engine::by(&s, &revline_engine::slice::Segmentation::new(&s, Dim::ALL[dim]), |scope| scorecard(&s, &scope, &w, None));
        for name in ["revenue", "new_customers", "pipeline_created", "leads"] {
            let whole = metric(&by.overall, name).0.unwrap_or(0.0);
            let parts: f64 = by.segments.iter().map(|x| metric(&x.report, name).0.unwrap_or(0.0)).sum();
            prop_assert!((whole - parts).abs() < 1e-6, "{} {}: {} vs {}", Dim::ALL[dim].name(), name, whole, parts);
        }
        let r = &by.overall;
        for name in ["win_rate", "grr", "logo_churn", "sla_breach_rate"] {
            if let Some(v) = metric(r, name).0 {
                prop_assert!((0.0..=1.0).contains(&v), "{} = {}", name, v);
            }
        }
    }
}

/// Numbers equal up to floating-point rounding (sums taken in another order).
fn json_close(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Result<(), String> {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            ((x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0))
                .then_some(())
                .ok_or(format!("{at}: {x} vs {y}"))
        }
        (V::Array(x), V::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(i, (x, y))| json_close(x, y, &format!("{at}[{i}]"))),
        (V::Object(x), V::Object(y)) if x.len() == y.len() => x.iter().try_for_each(|(k, v)| {
            json_close(
                v,
                y.get(k).ok_or(format!("{at}.{k} missing"))?,
                &format!("{at}.{k}"),
            )
        }),
        _ => (a == b).then_some(()).ok_or(format!("{at}: {a} vs {b}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Every report computed over k parts (each merged from its partial results) gives
    /// the one-part answer, to the last bit.
    #[test]
    fn any_split_into_parts_gives_the_whole_answer(seed in 0u64..1000, k in 2usize..9, dim in 0usize..7) {
        use revline_engine::part::Part;
        let s = build(&revline_demo_like(seed));
        let w = Window { from: t("2026-02-01"), to: t("2026-06-01"), as_of: t("2026-05-15") };
        let (one, many) = (Part::split(&s, 1), Part::split(&s, k));
        let seg = (dim < 6).then(|| revline_engine::slice::Segmentation::new(&s, Dim::ALL[dim]));
        let values = seg.as_ref().map_or(vec![], |g| g.values(&s));
        let scope = match (&seg, values.first()) {
            (Some(g), Some(v)) => Scope::of(g, *v),
            _ => Scope::ALL,
        };
        let j = |v: serde_json::Value| v;
        // Equal to the last bit: sums of money are whole numbers (of millionths of a
        // minor unit where a row's share is a fraction), so the split cannot show.
        let check = |name: &str, a: serde_json::Value, b: serde_json::Value| {
            (a == b)
                .then_some(())
                .ok_or_else(|| TestCaseError::fail(json_close(&a, &b, name).err().unwrap_or(format!("{name}: differs"))))
        };
        check("scorecard",
            j(serde_json::to_value(revline_engine::scorecard::scorecard_in(&s, &scope, &w, None, &one)).unwrap()),
            j(serde_json::to_value(revline_engine::scorecard::scorecard_in(&s, &scope, &w, None, &many)).unwrap()))?;
        check("sla",
            serde_json::to_value(revline_engine::sla::sla_in(&s, &scope, &w, &one)).unwrap(),
            serde_json::to_value(revline_engine::sla::sla_in(&s, &scope, &w, &many)).unwrap())?;
        check("cohorts",
            serde_json::to_value(revline_engine::cohorts::cohorts_in(&s, &scope, &w, &one)).unwrap(),
            serde_json::to_value(revline_engine::cohorts::cohorts_in(&s, &scope, &w, &many)).unwrap())?;
        let o = ForecastOptions { target: Some(5000.0) };
        check("forecast",
            serde_json::to_value(revline_engine::forecast::forecast_in(&s, &scope, &w, o, &one)).unwrap(),
            serde_json::to_value(revline_engine::forecast::forecast_in(&s, &scope, &w, o, &many)).unwrap())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The values of a dimension are those that occur on contacts, units, deals and
    /// revenue (checked against a set), sorted by name with `(none)` last; a
    /// segmentation made without touchpoint values agrees on everything else.
    #[test]
    fn a_dimension_lists_the_values_that_occur(seed in 0u64..1000, dim in 0usize..6) {
        use revline_engine::slice::Segmentation;
        let s = build(&revline_demo_like(seed));
        let full = Segmentation::new(&s, Dim::ALL[dim]);
        let lean = Segmentation::without_touches(&s, Dim::ALL[dim]);
        prop_assert_eq!(&full.contact, &lean.contact);
        prop_assert_eq!(&full.unit, &lean.unit);
        prop_assert_eq!(&full.deal, &lean.deal);
        prop_assert_eq!(&full.revenue, &lean.revenue);
        prop_assert!(lean.touch.is_empty());
        let occurring: std::collections::BTreeSet<u32> = full
            .contact.iter().chain(&full.unit).chain(&full.deal).chain(&full.revenue)
            .copied().collect();
        let mut want: Vec<&str> = occurring
            .iter()
            .filter(|&&v| v != revline_engine::snapshot::NONE)
            .map(|&v| s.names.name(v))
            .collect();
        want.sort();
        if occurring.contains(&revline_engine::snapshot::NONE) {
            want.push("(none)");
        }
        let got: Vec<&str> = lean.values(&s).into_iter().map(|v| s.names.name(v)).collect();
        prop_assert_eq!(got, want);
    }
}

/// A small random workspace: contacts on a few accounts and channels, deals, revenue.
fn revline_demo_like(seed: u64) -> Vec<Record> {
    use RecordKind::*;
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut out = Vec::new();
    for a in 0..4 {
        let id = format!("a{a}");
        let seg = ["smb", "mid", "ent"][next(3) as usize];
        out.push(record(
            Accounts,
            &[
                ("account_id", &id),
                ("segment", seg),
                ("owner", ["Ann", "Bob"][next(2) as usize]),
            ],
        ));
    }
    for c in 0..30 {
        let id = format!("c{c}");
        let account = if next(3) == 0 {
            String::new()
        } else {
            format!("a{}", next(4))
        };
        let day = 1 + next(170);
        let created = (chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
            + chrono::Days::new(day))
        .to_string();
        out.push(record(
            Contacts,
            &[
                ("contact_id", &id),
                ("account_id", &account),
                ("created_at", &created),
            ],
        ));
        if next(2) == 0 {
            let channel = ["search", "social", "events"][next(3) as usize];
            out.push(record(
                Touchpoints,
                &[
                    ("contact_id", &id),
                    ("occurred_at", &created),
                    ("channel", channel),
                    ("campaign", ["x", "y"][next(2) as usize]),
                ],
            ));
        }
        if next(2) == 0 {
            let mql = (chrono::NaiveDate::parse_from_str(&created, "%Y-%m-%d").unwrap()
                + chrono::Days::new(next(5)))
            .to_string();
            out.push(record(
                Stages,
                &[("contact_id", &id), ("stage", "mql"), ("occurred_at", &mql)],
            ));
            if next(3) > 0 {
                let call = format!("{mql}T{:02}:00:00Z", next(24));
                out.push(record(
                    Touchpoints,
                    &[
                        ("contact_id", &id),
                        ("occurred_at", &call),
                        ("channel", "outbound"),
                        ("kind", "call"),
                    ],
                ));
            }
        }
        if next(2) == 0 {
            let status = ["won", "lost", "open"][next(3) as usize];
            let closed = if status == "open" {
                String::new()
            } else {
                (chrono::NaiveDate::parse_from_str(&created, "%Y-%m-%d").unwrap()
                    + chrono::Days::new(next(20)))
                .to_string()
            };
            let amount = (100 + next(900)).to_string();
            out.push(record(
                Deals,
                &[
                    ("deal_id", &format!("d{c}")),
                    ("contact_id", &id),
                    ("created_at", &created),
                    ("status", status),
                    ("closed_at", &closed),
                    ("amount", &amount),
                    ("owner", ["Ann", "Cid", ""][next(3) as usize]),
                ],
            ));
            if status == "won" {
                for m in 0..next(4) {
                    let at = (chrono::NaiveDate::parse_from_str(&closed, "%Y-%m-%d").unwrap()
                        + chrono::Days::new(30 * m))
                    .to_string();
                    let kind = ["recurring", "refund"][usize::from(next(5) == 0)];
                    out.push(record(
                        Revenue,
                        &[
                            ("contact_id", &id),
                            ("deal_id", &format!("d{c}")),
                            ("occurred_at", &at),
                            ("amount", &amount),
                            ("kind", kind),
                        ],
                    ));
                }
            }
        }
    }
    for ch in ["search", "social"] {
        out.push(record(
            Spend,
            &[
                ("period_start", "2026-01-01"),
                ("period_end", "2026-06-30"),
                ("channel", ch),
                ("amount", "1000"),
            ],
        ));
    }
    out
}

#[test]
fn attribution_credits_bookings_and_what_the_customers_kept_paying() {
    use revline_engine::attribution::{AttributionQuery, Conversion, Model, attribute};
    let s = build(&fixture());
    let q = AttributionQuery {
        window: Window {
            from: t("2026-01-01"),
            to: t("2026-03-01"),
            as_of: t("2026-03-01"),
        },
        conversion: Conversion::Won,
        lookback_days: 180.0,
        half_life_days: 7.0,
        account_based: false,
        order: 1,
        by_campaign: false,
        marketing_only: false,
    };
    let r = attribute(&s, &Scope::ALL, &q, &[Model::Linear, Model::LastTouch]);
    let credit = |m: usize, ch: &str| {
        let c = r.models[m]
            .channels
            .iter()
            .find(|c| c.channel == ch)
            .unwrap();
        (c.conversions, c.value, c.retained_revenue.unwrap())
    };
    // d1 (a1) and d2 (a2) have no touches: (none); a1 paid 100 + 120 since, a2 200 - 50.
    assert_eq!(credit(0, "(none)"), (2.0, 300.0, 370.0));
    // d4 (c3, 300): a click on paid search, then a sales call; c3 paid 30 since.
    assert_eq!(credit(0, "paid_search"), (0.5, 150.0, 15.0));
    assert_eq!(credit(0, "outbound"), (0.5, 150.0, 15.0));
    assert_eq!(credit(1, "outbound"), (1.0, 300.0, 30.0));
    // Spend joins by channel: 280 of search spend in February over 0.5 conversions.
    let search = r.models[0]
        .channels
        .iter()
        .find(|c| c.channel == "paid_search")
        .unwrap();
    assert_eq!(search.spend, Some(280.0));
    assert_eq!(search.cost_per_conversion, Some(560.0));
    assert!((search.roas.unwrap() - 150.0 / 280.0).abs() < 1e-12);

    // Marketing's touches only: the sales call leaves d4's journey, so paid search
    // carries it whole under every model, and the call's channel gets nothing.
    let marketing = AttributionQuery {
        marketing_only: true,
        ..q
    };
    let r = attribute(
        &s,
        &Scope::ALL,
        &marketing,
        &[Model::Linear, Model::LastTouch],
    );
    for m in 0..2 {
        let search = r.models[m]
            .channels
            .iter()
            .find(|c| c.channel == "paid_search")
            .unwrap();
        assert_eq!(
            (search.conversions, search.value, search.retained_revenue),
            (1.0, 300.0, Some(30.0))
        );
        assert!(
            r.models[m]
                .channels
                .iter()
                .all(|c| c.channel != "outbound" || c.conversions == 0.0)
        );
    }
}

/// A workspace of won deals only, each recorded when it closed, without amounts, and
/// a lead that skipped mql (Olist's layout): what it did not record is no data.
fn won_only() -> Vec<Record> {
    use RecordKind::*;
    let mut out = Vec::new();
    for (c, created, stage) in [
        ("c1", "2026-02-02", "mql"),
        ("c2", "2026-02-03", "sql"),
        ("c3", "2026-02-04", "mql"),
    ] {
        out.push(record(
            Contacts,
            &[("contact_id", c), ("created_at", created)],
        ));
        out.push(record(
            Stages,
            &[
                ("contact_id", c),
                ("stage", stage),
                ("occurred_at", created),
            ],
        ));
        out.push(record(
            Touchpoints,
            &[
                ("contact_id", c),
                ("occurred_at", created),
                ("channel", "paid_search"),
                ("kind", "call"),
            ],
        ));
    }
    for (d, c, at) in [("d1", "c1", "2026-02-10"), ("d2", "c2", "2026-02-12")] {
        out.push(record(
            Deals,
            &[
                ("deal_id", d),
                ("contact_id", c),
                ("created_at", at),
                ("closed_at", at),
                ("status", "won"),
            ],
        ));
    }
    out
}

#[test]
fn a_workspace_of_won_deals_only_shows_no_win_rate_cycle_or_pipeline() {
    use revline_engine::scorecard::Missing;
    let s = build(&won_only());
    let r = scorecard(&s, &Scope::ALL, &february("2026-03-01"), None);
    let get = |name: &str| r.metrics.iter().find(|m| m.name == name).unwrap();
    let win = get("win_rate");
    assert_eq!(
        (win.value, win.count, win.reason_code),
        (None, Some(2), Some(Missing::NoLostDeals))
    );
    let cycle = get("sales_cycle_days");
    assert_eq!(
        (cycle.value, cycle.reason_code),
        (None, Some(Missing::CreatedAtClose))
    );
    let pipeline = get("pipeline_created");
    assert_eq!(
        (pipeline.value, pipeline.reason_code),
        (None, Some(Missing::NoDealAmounts))
    );
    assert_eq!(get("sales_velocity").value, None);
    // One lost deal anywhere makes losses recorded: the rate is measured again.
    let mut records = won_only();
    records.push(record(
        RecordKind::Deals,
        &[
            ("deal_id", "d3"),
            ("contact_id", "c3"),
            ("created_at", "2026-02-05"),
            ("closed_at", "2026-02-20"),
            ("status", "lost"),
            ("amount", "100"),
        ],
    ));
    let r = scorecard(&build(&records), &Scope::ALL, &february("2026-03-01"), None);
    let win = r.metrics.iter().find(|m| m.name == "win_rate").unwrap();
    assert!(near(win.value, 2.0 / 3.0) && win.count == Some(3));
    let pipeline = r
        .metrics
        .iter()
        .find(|m| m.name == "pipeline_created")
        .unwrap();
    assert!(near(pipeline.value, 100.0));
}

#[test]
fn an_mql_implied_by_a_later_stage_starts_no_sla_clock() {
    let s = build(&won_only());
    let r = sla(&s, &Scope::ALL, &february("2026-03-01"));
    // c2 entered sql directly: its mql entry is implied, so only c1 and c3 are handoffs.
    assert_eq!(r.leads, 2);
    let k = s.stages.len();
    let c2 = s.contact_ids.iter().position(|c| c == "c2").unwrap();
    let mql = s.stage_index("mql").unwrap();
    assert!(s.implied[c2 * k + mql] && !s.implied[c2 * k + mql + 1]);
    assert_eq!(
        s.entered[c2 * k + mql],
        t("2026-02-03"),
        "it still counts in the funnel"
    );
}

#[test]
fn a_contact_without_an_earlier_touch_came_by_its_source() {
    use RecordKind::*;
    use revline_engine::attribution::{AttributionQuery, Conversion, Credit, Model, attribute};
    let records = vec![
        // s1 has no touchpoint at all: its source is its first touch.
        record(
            Contacts,
            &[
                ("contact_id", "s1"),
                ("created_at", "2026-02-02"),
                ("source", "Paid Search"),
            ],
        ),
        // s2 has a touch before it became a lead: the touch wins over the source.
        record(
            Contacts,
            &[
                ("contact_id", "s2"),
                ("created_at", "2026-02-03"),
                ("source", "Paid Search"),
            ],
        ),
        record(
            Touchpoints,
            &[
                ("contact_id", "s2"),
                ("occurred_at", "2026-02-01"),
                ("channel", "webinar"),
            ],
        ),
        // s3: a touch only after the lead entry, and a source.
        record(
            Contacts,
            &[
                ("contact_id", "s3"),
                ("created_at", "2026-02-04"),
                ("source", "Referral"),
            ],
        ),
        record(
            Touchpoints,
            &[
                ("contact_id", "s3"),
                ("occurred_at", "2026-02-06"),
                ("channel", "email"),
            ],
        ),
    ];
    let mut with_deals = records.clone();
    for (d, c) in [("w1", "s1"), ("w2", "s2"), ("w3", "s3")] {
        with_deals.push(record(
            Deals,
            &[
                ("deal_id", d),
                ("contact_id", c),
                ("created_at", "2026-02-10"),
                ("closed_at", "2026-02-20"),
                ("status", "won"),
            ],
        ));
    }
    let s = build(&with_deals);
    let channel = |c: &str| {
        let i = s.contact_ids.iter().position(|x| x == c).unwrap();
        (
            s.names.name(s.contact.first_channel[i]).to_string(),
            s.names.name(s.contact.lead_channel[i]).to_string(),
        )
    };
    assert_eq!(channel("s1"), ("paid_search".into(), "paid_search".into()));
    assert_eq!(channel("s2"), ("webinar".into(), "webinar".into()));
    assert_eq!(channel("s3"), ("referral".into(), "referral".into()));
    let q = AttributionQuery {
        window: february("2026-03-01"),
        conversion: Conversion::Won,
        lookback_days: 180.0,
        half_life_days: 7.0,
        account_based: false,
        order: 1,
        by_campaign: false,
        marketing_only: false,
    };
    let r = attribute(&s, &Scope::ALL, &q, &[Model::FirstTouch, Model::LastTouch]);
    // No deal has an amount: the credit that means something is in conversions.
    assert_eq!(r.credit, Credit::Conversions);
    assert!(r.reason.is_some());
    let credit = |m: usize, ch: &str| {
        r.models[m]
            .channels
            .iter()
            .find(|c| c.channel == ch)
            .map_or(0.0, |c| c.conversions)
    };
    assert_eq!(
        (
            credit(0, "paid_search"),
            credit(0, "webinar"),
            credit(0, "referral")
        ),
        (1.0, 1.0, 1.0)
    );
    assert_eq!((credit(1, "referral"), credit(1, "email")), (0.0, 1.0));
    assert_eq!(credit(0, "(none)"), 0.0);
}

#[test]
fn a_merged_contact_counts_as_the_one_it_was_merged_into() {
    use RecordKind::*;
    let records = vec![
        record(
            Contacts,
            &[
                ("contact_id", "keep"),
                ("created_at", "2026-02-10"),
                ("owner", "Ann"),
            ],
        ),
        record(
            Contacts,
            &[
                ("contact_id", "dup"),
                ("created_at", "2026-02-03"),
                ("owner", "Bob"),
            ],
        ),
        record(
            Touchpoints,
            &[
                ("contact_id", "dup"),
                ("occurred_at", "2026-02-02"),
                ("channel", "webinar"),
            ],
        ),
        record(
            Stages,
            &[
                ("contact_id", "dup"),
                ("stage", "mql"),
                ("occurred_at", "2026-02-04"),
            ],
        ),
        record(
            Deals,
            &[
                ("deal_id", "d"),
                ("contact_id", "dup"),
                ("created_at", "2026-02-12"),
                ("closed_at", "2026-02-20"),
                ("status", "won"),
                ("amount", "500"),
            ],
        ),
    ];
    let mut b = SnapshotBuilder::new(&Settings::default());
    b.merge_contacts([("dup".to_string(), "keep".to_string())]);
    for r in &records {
        b.add(r);
    }
    let s = b.build();
    assert_eq!(s.contact_ids, vec!["keep".to_string()], "one person");
    let k = s.stages.len();
    // The earlier creation, the merged contact's stage and its deal are the survivor's.
    assert_eq!(s.entered[0], t("2026-02-03"));
    assert_eq!(s.entered[s.stage_index("mql").unwrap()], t("2026-02-04"));
    assert_eq!(s.entered[k - 1], t("2026-02-20"));
    assert_eq!(
        s.names.name(s.contact.owner[0]),
        "Ann",
        "its own attributes stay"
    );
    assert_eq!(s.names.name(s.contact.first_channel[0]), "webinar");
    let r = scorecard(&s, &Scope::ALL, &february("2026-03-01"), None);
    let leads = r.metrics.iter().find(|m| m.name == "leads").unwrap();
    assert_eq!(leads.value, Some(1.0));
    // Without the merge: two people, and the deal is the other one's.
    let apart = build(&records);
    assert_eq!(apart.contact_ids.len(), 2);
}

#[test]
fn a_stage_repeated_in_the_history_is_no_new_entry() {
    use RecordKind::*;
    let mut records = vec![
        record(Accounts, &[("account_id", "a")]),
        record(
            Deals,
            &[
                ("deal_id", "d"),
                ("account_id", "a"),
                ("created_at", "2026-01-01"),
                ("status", "open"),
            ],
        ),
    ];
    // OpportunityHistory: a row per change of amount or close date, each repeating
    // the stage; and one out of order.
    for (stage, at) in [
        ("prospecting", "2026-01-01"),
        ("prospecting", "2026-01-05"),
        ("proposal", "2026-01-10"),
        ("proposal", "2026-01-12"),
        ("prospecting", "2026-01-20"),
        ("prospecting", "2026-01-03"),
    ] {
        records.push(record(
            DealStages,
            &[("deal_id", "d"), ("stage", stage), ("occurred_at", at)],
        ));
    }
    let s = build(&records);
    let history: Vec<(&str, i64)> = (0..s.deal_stages.at.len())
        .map(|i| (s.names.name(s.deal_stages.stage[i]), s.deal_stages.at[i]))
        .collect();
    assert_eq!(
        history,
        vec![
            ("prospecting", t("2026-01-01")),
            ("proposal", t("2026-01-10")),
            ("prospecting", t("2026-01-20")),
        ]
    );
}

/// A `metric` alert rule may name exactly the scorecard's metrics: a name the scorecard
/// does not compute would never fire.
#[test]
fn alert_metrics_are_the_scorecards() {
    let s = build(&fixture());
    let r = scorecard(&s, &Scope::ALL, &february("2026-03-01"), None);
    let mut computed: Vec<&str> = r.metrics.iter().map(|m| m.name).collect();
    let mut allowed = revline_engine::alerts::METRICS.to_vec();
    computed.sort_unstable();
    allowed.sort_unstable();
    assert_eq!(allowed, computed);
}
