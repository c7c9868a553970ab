//! The plan (metrics.md "Forecast and plan") against hand computations: what the target
//! is met by, the one reverse funnel with its latest dates, and the what-if through it.

use crate::reports::{build, record, t};
use revline_core::RecordKind;
use revline_engine::forecast::{ForecastOptions, PlanInputs, forecast};
use revline_engine::{Scope, SnapshotBuilder, Window};

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

#[test]
fn the_target_is_met_by_recognised_revenue_the_recurring_base_and_new_business() {
    // Ten annual plans of 12,000 from 2025; nine renew on 1 January 2026.
    let mut records = vec![record(
        RecordKind::Targets,
        &[
            ("period", "2026"),
            ("metric", "revenue"),
            ("value", "200000"),
        ],
    )];
    for i in 0..10 {
        let a = format!("a{i}");
        records.push(record(RecordKind::Accounts, &[("account_id", &a)]));
        for (year, kind) in [("2025", "new"), ("2026", "recurring")] {
            if year == "2026" && i == 9 {
                continue;
            }
            records.push(record(
                RecordKind::Revenue,
                &[
                    ("revenue_id", &format!("{a}-{year}")),
                    ("account_id", &a),
                    ("occurred_at", &format!("{year}-01-01")),
                    ("amount", "12000"),
                    ("kind", kind),
                    ("period_start", &format!("{year}-01-01")),
                    ("period_end", &format!("{year}-12-31")),
                ],
            ));
        }
    }
    let s = build(&records);
    let w = Window {
        from: t("2026-01-01"),
        to: t("2027-01-01"),
        as_of: t("2026-07-01"),
    };
    let f = forecast(&s, &Scope::ALL, &w, ForecastOptions::default());
    // Recognised: 9 x 12,000 over the 181 days of January to June, of 365.
    let so_far = 9.0 * 12_000.0 * 181.0 / 365.0;
    assert!(near(f.revenue_so_far, so_far), "{}", f.revenue_so_far);
    // MRR 9,000 on 30 June; 184 days left (1 July - 31 December).
    assert_eq!(f.mrr, 9_000.0);
    assert!(near(f.remaining_months, 184.0 / (365.25 / 12.0)));
    // Monthly GRR, July 2025 - June 2026: six months keeping 10,000 of 10,000, January
    // keeping 9,000 of 10,000, five months keeping 9,000 of 9,000.
    let grr = 114_000.0 / 115_000.0;
    assert!(near(f.monthly_grr.unwrap(), grr));
    let base = 9_000.0 * 184.0 / (365.25 / 12.0) * grr;
    assert!(near(f.recurring_base, base));
    assert!(near(f.projected_revenue, so_far + base));
    assert!(near(
        f.new_business_needed.unwrap(),
        200_000.0 - so_far - base
    ));
}

#[test]
fn the_reverse_funnel_gives_each_stage_its_volume_and_latest_date() {
    let plan = PlanInputs {
        target: Some(10_000.0),
        so_far: 2_000.0,
        mrr: 1_000.0,
        remaining_months: 2.0,
        monthly_grr: Some(0.5),
        weighted_in_period: 1_000.0,
        average_value: Some(100.0),
        steps: vec![None, Some(0.5), Some(0.4)],
        median_days: vec![None, Some(10.0), Some(20.0)],
        to: t("2026-12-31"),
        as_of: t("2026-12-05"),
    };
    // 10,000 - 2,000 - 1,000 x 2 x 0.5 - 1,000 = 6,000 of new business: 60 customers,
    // 150 at the middle stage, 300 at the first.
    assert_eq!(plan.new_business(), Some(6_000.0));
    let r = plan.reverse_funnel(&["a".into(), "b".into(), "c".into()], &[7, 8, 9]);
    let required: Vec<f64> = r.iter().map(|x| x.required.unwrap()).collect();
    assert!(near(required[0], 300.0) && near(required[1], 150.0) && near(required[2], 60.0));
    assert!(near(
        r[0].required_for_target.unwrap(),
        10_000.0 / 100.0 / 0.2
    ));
    // A customer by 31 December: c is entered 20 days after b, b 10 days after a.
    let latest: Vec<&str> = r
        .iter()
        .map(|x| x.latest_entry.as_deref().unwrap())
        .collect();
    assert_eq!(
        latest,
        vec![
            "2026-11-30T23:59:59Z",
            "2026-12-10T23:59:59Z",
            "2026-12-30T23:59:59Z"
        ]
    );
    // On 5 December a new entry into a can no longer close in time.
    assert_eq!(
        r.iter().map(|x| x.too_late).collect::<Vec<_>>(),
        vec![true, false, false]
    );
    assert_eq!(r[2].current, 9);
}

#[test]
fn bottlenecks_and_the_plan_ask_for_the_same_entries() {
    let config = revline_demo::DemoConfig {
        contacts: 3_000,
        ..revline_demo::DemoConfig::default()
    };
    let mut b = SnapshotBuilder::new(&revline_demo::demo_settings());
    revline_demo::generate(&config, &mut |r| b.add(&r));
    let s = b.build();
    let w = Window {
        from: t("2026-01-01"),
        to: t("2027-01-01"),
        as_of: t("2026-09-15"),
    };
    let plan = forecast(&s, &Scope::ALL, &w, ForecastOptions::default());
    let mut q = revline_engine::bottlenecks::BottleneckQuery::new(w);
    q.what_if = Some(("retention".into(), 0.999));
    let r = revline_engine::bottlenecks::bottlenecks(&s, &q);
    let wi = r.what_if.unwrap();
    let from_plan: Vec<f64> = plan
        .reverse_funnel
        .iter()
        .map(|x| x.required.unwrap_or(0.0))
        .collect();
    assert_eq!(wi.required_before, from_plan);
    // Keeping more of the base leaves less for new business: fewer entries at every stage.
    assert!(
        wi.required_after
            .iter()
            .zip(&wi.required_before)
            .all(|(a, b)| a <= b)
    );
    assert!(wi.required_after[0] < wi.required_before[0]);
    assert_eq!(wi.unchanged, None);
    // A period that is over has no base left to keep: the page is told why nothing moves.
    let over = Window {
        from: t("2025-07-01"),
        to: t("2026-07-01"),
        as_of: t("2026-09-15"),
    };
    let mut q = revline_engine::bottlenecks::BottleneckQuery::new(over);
    q.what_if = Some(("retention".into(), 0.999));
    let wi = revline_engine::bottlenecks::bottlenecks(&s, &q)
        .what_if
        .unwrap();
    assert_eq!(wi.required_after, wi.required_before);
    assert_eq!(
        wi.unchanged,
        Some(revline_engine::bottlenecks::Unchanged::PeriodOver)
    );
}
