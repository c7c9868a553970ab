//! The demo workspace: determinism, integrity against the data contract, sane volumes,
//! and the planted problems visible in the raw records (and absent without them).

use revline_core::money::format_minor;
use revline_core::time::{format_timestamp, parse_timestamp};
use revline_core::{
    Currency, FieldType, ParseOptions, Record, RecordKind, RowText, Value, parse_record,
};
use revline_demo::{DemoConfig, PLANTED_PROBLEMS, demo_settings, generate};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

fn config(contacts: u64, planted: bool) -> DemoConfig {
    DemoConfig {
        contacts,
        planted_problems: planted,
        ..DemoConfig::default()
    }
}

fn collect(config: &DemoConfig) -> Vec<Record> {
    let mut records = Vec::new();
    generate(config, &mut |r| records.push(r));
    records
}

/// 2,000 contacts with problems planted, shared by the integrity tests.
fn small() -> &'static [Record] {
    static SMALL: OnceLock<Vec<Record>> = OnceLock::new();
    SMALL.get_or_init(|| collect(&config(2_000, true)))
}

fn ms(date: &str) -> i64 {
    parse_timestamp(date, demo_settings().timezone).unwrap()
}

#[test]
fn same_config_gives_the_same_records_and_another_seed_differs() {
    let again = collect(&config(2_000, true));
    assert_eq!(small(), again.as_slice());
    let other = collect(&DemoConfig {
        seed: 7,
        ..config(2_000, true)
    });
    assert_ne!(small(), other.as_slice());
    let contacts = |rs: &[Record]| rs.iter().filter(|r| r.kind == RecordKind::Contacts).count();
    assert_eq!(contacts(&other), 2_000);
}

#[test]
fn contact_counts_are_exact() {
    for n in [0, 1, 3, 4, 7, 13, 101] {
        let records = collect(&config(n, true));
        let contacts = records
            .iter()
            .filter(|r| r.kind == RecordKind::Contacts)
            .count();
        assert_eq!(contacts as u64, n);
    }
    assert_eq!(
        small()
            .iter()
            .filter(|r| r.kind == RecordKind::Contacts)
            .count(),
        2_000
    );
}

#[test]
fn ids_are_unique_per_kind() {
    let mut seen: HashSet<(RecordKind, &str)> = HashSet::new();
    for r in small() {
        assert!(!r.id.is_empty(), "{r:?}");
        assert!(
            seen.insert((r.kind, r.id.as_str())),
            "duplicate {} id {}",
            r.kind,
            r.id
        );
    }
}

fn assert_references_point_backwards(records: &[Record]) {
    let mut emitted: HashMap<RecordKind, HashSet<&str>> = HashMap::new();
    for r in records {
        for (field, value) in r.kind.columns().zip(&r.values) {
            if let (Some(target), Value::Text(id)) = (field.refers, value) {
                let known = emitted
                    .get(&target)
                    .is_some_and(|ids| ids.contains(id.as_str()));
                assert!(known, "{} {} refers to unknown {target} {id}", r.kind, r.id);
            }
        }
        emitted.entry(r.kind).or_default().insert(&r.id);
    }
}

#[test]
fn every_reference_points_at_an_earlier_record() {
    assert_references_point_backwards(small());
}

/// The canonical text of a record, one entry per `kind.fields()`.
fn render(r: &Record) -> RowText<'static> {
    let currency = r
        .text("currency")
        .and_then(Currency::parse)
        .unwrap_or(demo_settings().currency);
    let fields = r
        .kind
        .fields()
        .iter()
        .map(|f| {
            if Some(f.name) == r.kind.id_field() {
                return Some(Cow::Owned(r.id.clone()));
            }
            let text = match (r.get(f.name), f.ty) {
                (Value::Null, _) => return None,
                (Value::Int(v), FieldType::Timestamp) => format_timestamp(*v),
                (Value::Int(v), FieldType::Amount) => format_minor(*v, currency.exponent()),
                (Value::Int(v), _) => v.to_string(),
                (Value::Text(s), _) => s.clone(),
            };
            Some(Cow::Owned(text))
        })
        .collect();
    RowText {
        fields,
        props: r.props.clone(),
    }
}

fn assert_canonical(records: &[Record]) {
    let settings = demo_settings();
    let options = ParseOptions::default();
    for r in records {
        assert_eq!(r.values.len(), r.kind.columns().count());
        let parsed = parse_record(r.kind, render(r), &settings, &options)
            .unwrap_or_else(|e| panic!("{} {} rejected: {e:?}", r.kind, r.id));
        assert_eq!(&parsed, r);
    }
}

/// Every instant in whole seconds within [start, end), but the expected close of
/// open deals, which may lie ahead.
fn assert_instants_within(records: &[Record], start: i64, end: i64) {
    for r in records {
        for (field, value) in r.kind.columns().zip(&r.values) {
            if let (FieldType::Timestamp, Value::Int(t)) = (field.ty, value) {
                assert_eq!(t % 1000, 0, "{} {}", r.kind, field.name);
                if field.name != "expected_close_at" {
                    let shown = format_timestamp(*t);
                    assert!(
                        *t >= start && *t < end,
                        "{} {}.{} = {shown}",
                        r.kind,
                        r.id,
                        field.name
                    );
                }
            }
            if let (FieldType::Date, Value::Text(d)) = (field.ty, value) {
                let t = ms(d);
                // An annual plan paid before the end covers the year after its payment.
                let service_end = r.kind == RecordKind::Revenue && field.name == "period_end";
                let limit = if service_end { end + 366 * DAY_MS } else { end };
                assert!(
                    t >= start - 366 * DAY_MS && t < limit,
                    "{} {}.{} = {d}",
                    r.kind,
                    r.id,
                    field.name
                );
            }
        }
    }
}

#[test]
fn records_are_what_parsing_their_canonical_text_gives() {
    assert_canonical(small());
}

#[test]
fn instants_lie_within_the_history_in_whole_seconds() {
    assert_instants_within(small(), ms("2024-05-01"), ms("2026-11-01"));
}

#[test]
fn the_demo_bills_annual_plans_for_a_year_ahead() {
    let annual: Vec<&Record> = small()
        .iter()
        .filter(|r| r.kind == RecordKind::Revenue && r.text("period_start").is_some())
        .collect();
    assert!(!annual.is_empty(), "some customers are on annual plans");
    for r in annual {
        let (a, b) = (
            r.text("period_start").unwrap(),
            r.text("period_end").unwrap(),
        );
        let (a, b) = (ms(a), ms(b));
        assert!(b > a, "{}: {a} - {b}", r.id);
        if r.text("kind") != Some("expansion") {
            // A year, give or take the billing day's clamp to the 28th.
            let days = (b - a) / DAY_MS + 1;
            assert!((362..=366).contains(&days), "{}: {days} days", r.id);
        }
    }
}

#[test]
fn any_end_date_works() {
    let config = DemoConfig {
        contacts: 400,
        seed: 3,
        planted_problems: true,
        end: chrono::NaiveDate::from_ymd_opt(2025, 2, 17).unwrap(),
    };
    let records = collect(&config);
    assert_canonical(&records);
    assert_references_point_backwards(&records);
    assert_instants_within(&records, ms("2022-08-01"), ms("2025-02-17"));
    let last_spend = records
        .iter()
        .filter(|r| r.kind == RecordKind::Spend)
        .filter_map(|r| r.text("period_end"))
        .max();
    assert_eq!(last_spend, Some("2025-02-16"));
    let customers = records
        .iter()
        .filter(|r| r.kind == RecordKind::Revenue)
        .count();
    assert!(customers > 0);
}

#[test]
fn volumes_are_sane() {
    let records = small();
    let count = |k: RecordKind| records.iter().filter(|r| r.kind == k).count();
    for kind in RecordKind::ALL {
        assert!(count(kind) > 0, "no {kind}");
    }
    let accounts = count(RecordKind::Accounts);
    assert!((420..=500).contains(&accounts), "{accounts} accounts");
    let won = records
        .iter()
        .filter(|r| {
            r.kind == RecordKind::Deals
                && r.text("status") == Some("won")
                && r.text("pipeline") == Some("new_business")
        })
        .count();
    assert!((150..=700).contains(&won), "{won} customers");
    assert!(
        count(RecordKind::Revenue) > 1_000,
        "{} revenue rows",
        count(RecordKind::Revenue)
    );
    let channels: HashSet<&str> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Touchpoints)
        .filter_map(|r| r.text("channel"))
        .collect();
    assert!(channels.len() > 10, "{channels:?}");
    let spend_channels: HashSet<&str> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Spend)
        .filter_map(|r| r.text("channel"))
        .collect();
    assert!(spend_channels.len() > 10, "{spend_channels:?}");
    let teams: HashSet<&str> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Touchpoints)
        .filter_map(|r| r.text("team"))
        .collect();
    assert_eq!(teams.len(), 3);
    let revenue_kinds: HashSet<&str> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Revenue)
        .filter_map(|r| r.text("kind"))
        .collect();
    for kind in ["new", "recurring", "expansion", "contraction", "one_off"] {
        assert!(revenue_kinds.contains(kind), "no {kind} revenue");
    }
    let stages: HashSet<&str> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Stages)
        .filter_map(|r| r.text("stage"))
        .collect();
    for s in ["lead", "mql", "sql", "opportunity", "customer", "churned"] {
        assert!(stages.contains(s), "no {s} stage rows");
    }
    let statuses: HashSet<&str> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Deals)
        .filter_map(|r| r.text("status"))
        .collect();
    assert_eq!(statuses.len(), 3);
    let per_contact = records.len() as f64 / 2_000.0;
    assert!(
        (8.0..=25.0).contains(&per_contact),
        "{per_contact} records per contact"
    );
}

#[test]
fn the_funnel_has_skipped_stages_and_rework() {
    let records = small();
    let mut rows: HashMap<&str, Vec<(i64, &str)>> = HashMap::new();
    for r in records.iter().filter(|r| r.kind == RecordKind::Stages) {
        rows.entry(r.text("contact_id").unwrap())
            .or_default()
            .push((r.int("occurred_at").unwrap(), r.text("stage").unwrap()));
    }
    let order = |s: &str| {
        ["lead", "mql", "sql", "opportunity", "customer"]
            .iter()
            .position(|x| *x == s)
    };
    let (mut rework, mut skipped) = (0, 0);
    for list in rows.values_mut() {
        list.sort();
        let mut best = None;
        for (_, s) in list.iter() {
            if let Some(i) = order(s) {
                if best.is_some_and(|b| i < b) {
                    rework += 1;
                }
                best = best.max(Some(i));
            }
        }
        let has = |s| list.iter().any(|(_, x)| *x == s);
        if has("opportunity") && !has("sql") || has("customer") && !has("opportunity") {
            skipped += 1;
        }
    }
    assert!(rework > 20, "{rework} rework rows");
    assert!(skipped > 10, "{skipped} contacts with skipped stages");
}

#[test]
fn planted_problems_are_documented() {
    assert!(PLANTED_PROBLEMS.len() >= 3);
    for p in PLANTED_PROBLEMS {
        assert!(!p.link.is_empty() && !p.slice.is_empty() && p.description.len() > 40);
    }
}

// ---------------------------------------------------------------------------------
// Statistics over 20,000 contacts, gathered while streaming.

#[derive(Default)]
struct Observed {
    records: u64,
    source: HashMap<String, String>,
    unit_of: HashMap<String, String>,
    segment: HashMap<String, String>,
    emails: HashMap<String, u32>,
    mql: HashMap<String, i64>,
    sales_touches: HashMap<String, Vec<i64>>,
    touches_by_channel: HashMap<String, u64>,
    spend_by_channel: HashMap<String, i64>,
    /// (owner, segment of the account, status) of closed new-business deals.
    closed_deals: Vec<(String, String, String)>,
    won_contacts: HashSet<String>,
    /// (unit, opened, category, csat)
    tickets: Vec<(String, i64, String, Option<i64>)>,
    first_revenue: HashMap<String, i64>,
    churned: HashMap<String, i64>,
}

impl Observed {
    fn see(&mut self, r: Record) {
        self.records += 1;
        let s = |c: &str| r.text(c).map(str::to_string);
        match r.kind {
            RecordKind::Accounts => {
                self.segment.insert(r.id.clone(), s("segment").unwrap());
            }
            RecordKind::Contacts => {
                self.source.insert(r.id.clone(), s("source").unwrap());
                self.unit_of
                    .insert(r.id.clone(), s("account_id").unwrap_or(r.id.clone()));
                *self.emails.entry(s("email").unwrap()).or_default() += 1;
            }
            RecordKind::Stages => {
                let contact = s("contact_id").unwrap();
                let at = r.int("occurred_at").unwrap();
                match r.text("stage").unwrap() {
                    "mql" => {
                        let e = self.mql.entry(contact).or_insert(at);
                        *e = (*e).min(at);
                    }
                    "churned" => {
                        self.churned.insert(self.unit_of[&contact].clone(), at);
                    }
                    _ => {}
                }
            }
            RecordKind::Touchpoints => {
                let channel = s("channel").unwrap();
                *self.touches_by_channel.entry(channel).or_default() += 1;
                if r.text("team") == Some("sales") {
                    self.sales_touches
                        .entry(s("contact_id").unwrap())
                        .or_default()
                        .push(r.int("occurred_at").unwrap());
                }
            }
            RecordKind::Deals => {
                let status = s("status").unwrap();
                if r.text("pipeline") == Some("new_business") && status != "open" {
                    let contact = s("contact_id").unwrap();
                    let segment = self
                        .segment
                        .get(&self.unit_of[&contact])
                        .cloned()
                        .unwrap_or("smb".into());
                    if status == "won" {
                        self.won_contacts.insert(contact);
                    }
                    self.closed_deals
                        .push((s("owner").unwrap(), segment, status));
                }
            }
            RecordKind::Revenue => {
                let unit = s("account_id").or(s("contact_id")).unwrap();
                let at = r.int("occurred_at").unwrap();
                let e = self.first_revenue.entry(unit).or_insert(at);
                *e = (*e).min(at);
            }
            RecordKind::Tickets => {
                let unit = s("account_id")
                    .unwrap_or_else(|| self.unit_of[r.text("contact_id").unwrap()].clone());
                self.tickets.push((
                    unit,
                    r.int("opened_at").unwrap(),
                    s("category").unwrap(),
                    r.int("csat"),
                ));
            }
            RecordKind::Spend => {
                *self
                    .spend_by_channel
                    .entry(s("channel").unwrap())
                    .or_default() += r.int("amount").unwrap();
            }
            _ => {}
        }
    }

    /// Median hours from entering mql to the first sales touch at or after it, for
    /// leads from `channel` and for all other leads.
    fn handoff_hours(&self, channel: &str) -> (f64, f64) {
        let (mut this, mut others) = (Vec::new(), Vec::new());
        for (contact, mql) in &self.mql {
            let first = self
                .sales_touches
                .get(contact)
                .and_then(|ts| ts.iter().filter(|t| **t >= *mql).min());
            if let Some(first) = first {
                let h = (first - mql) as f64 / HOUR_MS as f64;
                if self.source[contact] == channel {
                    this.push(h)
                } else {
                    others.push(h)
                }
            }
        }
        (median(this), median(others))
    }

    /// Win rate of closed new-business deals of `owner` and of the other owners of
    /// the same segment.
    fn win_rates(&self, owner: &str, segment: &str) -> (f64, f64) {
        let rate = |mine: bool| {
            let deals: Vec<_> = self
                .closed_deals
                .iter()
                .filter(|(o, s, _)| s == segment && (o == owner) == mine)
                .collect();
            deals.iter().filter(|(_, _, st)| st == "won").count() as f64 / deals.len().max(1) as f64
        };
        (rate(true), rate(false))
    }

    /// Mean CSAT of tickets in [from, to) of the category and of all others.
    fn csat(&self, category: &str, from: i64, to: i64) -> (f64, f64) {
        let mean = |mine: bool| {
            let scores: Vec<i64> = self
                .tickets
                .iter()
                .filter(|(_, t, c, _)| *t >= from && *t < to && (c == category) == mine)
                .filter_map(|(_, _, _, s)| *s)
                .collect();
            scores.iter().sum::<i64>() as f64 / scores.len().max(1) as f64
        };
        (mean(true), mean(false))
    }

    /// Churn within 120 days of a customer's first ticket of `category` in [from, to),
    /// against what the customers whose first ticket there was of another category
    /// churned in the 120 days after it, segment by segment: (observed, expected,
    /// exposed customers, others). Counting from a ticket means every customer counted
    /// was still there to open it; comparing within segments keeps the larger
    /// customers, who open more tickets and churn less, from hiding the effect.
    fn churn_after_tickets(&self, category: &str, from: i64, to: i64) -> (f64, f64, usize, usize) {
        // unit -> (first ticket of the category, first ticket of another category)
        let mut first: HashMap<&str, (Option<i64>, Option<i64>)> = HashMap::new();
        for (unit, t, c, _) in self
            .tickets
            .iter()
            .filter(|(_, t, _, _)| *t >= from && *t < to)
        {
            let e = first.entry(unit.as_str()).or_default();
            let slot = if c == category { &mut e.0 } else { &mut e.1 };
            *slot = Some(slot.map_or(*t, |s| s.min(*t)));
        }
        let segment = |unit: &str| match self.segment.get(unit).map(String::as_str) {
            Some("mid_market") => 1,
            Some("enterprise") => 2,
            _ => 0,
        };
        // [exposed?][segment] -> (customers, churned within 120 days)
        let mut n = [[(0usize, 0usize); 3]; 2];
        for (unit, (mine, other)) in first {
            let (group, t) = match (mine, other) {
                (Some(t), _) => (1, t),
                (None, Some(t)) => (0, t),
                (None, None) => continue,
            };
            let churned = self
                .churned
                .get(unit)
                .is_some_and(|g| *g > t && *g <= t + 120 * DAY_MS);
            let cell = &mut n[group][segment(unit)];
            cell.0 += 1;
            cell.1 += usize::from(churned);
        }
        let observed: usize = n[1].iter().map(|c| c.1).sum();
        let expected: f64 = (0..3)
            .map(|s| n[1][s].0 as f64 * n[0][s].1 as f64 / n[0][s].0.max(1) as f64)
            .sum();
        let count = |i: usize| n[i].iter().map(|c| c.0).sum::<usize>();
        (observed as f64, expected, count(1), count(0))
    }

    /// Customers per lead from `channel` and from all other channels.
    fn customers_per_lead(&self, channel: &str) -> (f64, f64) {
        let (mut leads, mut won) = ([0u64; 2], [0u64; 2]);
        for (contact, source) in &self.source {
            let i = usize::from(source == channel);
            leads[i] += 1;
            won[i] += u64::from(self.won_contacts.contains(contact));
        }
        (
            won[1] as f64 / leads[1].max(1) as f64,
            won[0] as f64 / leads[0].max(1) as f64,
        )
    }

    /// Share of leads that ever became an MQL: (this channel's, the other channels').
    fn mql_per_lead(&self, channel: &str) -> (f64, f64) {
        let (mut leads, mut mql) = ([0u64; 2], [0u64; 2]);
        for (contact, source) in &self.source {
            let i = usize::from(source == channel);
            leads[i] += 1;
            mql[i] += u64::from(self.mql.contains_key(contact));
        }
        (
            mql[1] as f64 / leads[1].max(1) as f64,
            mql[0] as f64 / leads[0].max(1) as f64,
        )
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty());
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn observe(planted: bool) -> &'static Observed {
    static PLANTED: OnceLock<Observed> = OnceLock::new();
    static NORMAL: OnceLock<Observed> = OnceLock::new();
    let cell = if planted { &PLANTED } else { &NORMAL };
    cell.get_or_init(|| {
        let mut o = Observed::default();
        generate(&config(20_000, planted), &mut |r| o.see(r));
        o
    })
}

#[test]
fn slow_webinar_handoff_only_when_planted() {
    let (webinar, others) = observe(true).handoff_hours("webinar");
    eprintln!("planted handoff median: webinar {webinar:.1} h, others {others:.1} h");
    assert!(webinar >= 5.0 * others, "webinar {webinar} vs {others}");
    assert!(webinar >= 48.0);
    let (webinar, others) = observe(false).handoff_hours("webinar");
    eprintln!("normal handoff median: webinar {webinar:.1} h, others {others:.1} h");
    assert!(webinar <= 2.0 * others, "webinar {webinar} vs {others}");
    assert!(others < 24.0);
}

#[test]
fn weak_owner_closes_far_worse_only_when_planted() {
    let owner = "Tomasz Wiśniewski";
    let (mine, others) = observe(true).win_rates(owner, "mid_market");
    eprintln!("planted win rate: {owner} {mine:.3}, other mid-market owners {others:.3}");
    assert!(mine < 0.5 * others, "{mine} vs {others}");
    let (mine, others) = observe(false).win_rates(owner, "mid_market");
    eprintln!("normal win rate: {owner} {mine:.3}, other mid-market owners {others:.3}");
    assert!(mine > 0.75 * others, "{mine} vs {others}");
}

#[test]
fn bad_integration_support_raises_churn_only_when_planted() {
    let (from, to) = (ms("2025-11-01"), ms("2026-05-01"));
    let (integration, rest) = observe(true).csat("integration", from, to);
    eprintln!("planted csat in window: integration {integration:.2}, other {rest:.2}");
    assert!(integration < 2.6 && rest > 3.5, "{integration} vs {rest}");
    let (observed, expected, ne, nu) = observe(true).churn_after_tickets("integration", from, to);
    eprintln!(
        "planted churn of exposed customers: {observed} against {expected:.1} expected (n={ne}, others n={nu})"
    );
    assert!(ne >= 100 && nu >= 100);
    assert!(observed >= 1.8 * expected, "{observed} vs {expected}");

    let (integration, rest) = observe(false).csat("integration", from, to);
    eprintln!("normal csat in window: integration {integration:.2}, other {rest:.2}");
    assert!(integration > 3.5 && rest > 3.5, "{integration} vs {rest}");
    let (observed, expected, ne, nu) = observe(false).churn_after_tickets("integration", from, to);
    eprintln!(
        "normal churn of exposed customers: {observed} against {expected:.1} expected (n={ne}, others n={nu})"
    );
    assert!(observed <= 1.4 * expected, "{observed} vs {expected}");
}

#[test]
fn display_reaches_far_but_converts_poorly_only_when_planted() {
    for planted in [true, false] {
        let o = observe(planted);
        let touches = |c: &str| o.touches_by_channel.get(c).copied().unwrap_or(0);
        assert!(touches("display") > touches("paid_search"), "display reach");
        let mut spend: Vec<(&String, &i64)> = o
            .spend_by_channel
            .iter()
            .filter(|(c, _)| *c != "sales")
            .collect();
        spend.sort_by_key(|(_, v)| std::cmp::Reverse(**v));
        assert!(
            spend[..3].iter().any(|(c, _)| *c == "display"),
            "display spend {spend:?}"
        );
    }
    let (display, others) = observe(true).customers_per_lead("display");
    eprintln!("planted customers per lead: display {display:.4}, others {others:.4}");
    assert!(display < 0.45 * others, "{display} vs {others}");
    let (display, others) = observe(false).customers_per_lead("display");
    eprintln!("normal customers per lead: display {display:.4}, others {others:.4}");
    assert!(display > 0.6 * others, "{display} vs {others}");
}

#[test]
fn a_handful_of_duplicate_emails() {
    let o = observe(true);
    let duplicates: u32 = o.emails.values().filter(|n| **n > 1).map(|n| n - 1).sum();
    eprintln!(
        "{duplicates} duplicate emails in 20,000 contacts, {} records",
        o.records
    );
    assert!((3..=100).contains(&duplicates), "{duplicates}");
}

#[test]
fn outbound_leads_qualify_worse_only_when_planted() {
    let (outbound, others) = observe(true).mql_per_lead("outbound");
    eprintln!("planted mql per lead: outbound {outbound:.3}, others {others:.3}");
    assert!(outbound < 0.8 * others, "{outbound} vs {others}");
    let (outbound, others) = observe(false).mql_per_lead("outbound");
    eprintln!("normal mql per lead: outbound {outbound:.3}, others {others:.3}");
    assert!(outbound > 0.9 * others, "{outbound} vs {others}");
}
