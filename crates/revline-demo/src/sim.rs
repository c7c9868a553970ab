//! The simulation behind `generate`.
//!
//! Order of emission (every reference points at a record emitted before it):
//! 1. all accounts (each regenerated from its own random stream, nothing kept);
//! 2. account by account: its contacts, then per contact its touchpoints, stage rows and
//!    new-business deal with its stage history, then the account's life as a customer
//!    (revenue, tickets, service touches, expansion deals, churn);
//! 3. monthly spend, targets and a few currency rates, from small monthly counters.
//!
//! Memory is the plans of the contacts of one account plus counters per month and
//! channel: nothing grows with the number of contacts.
//!
//! Every entity draws from its own stream (`Rng::stream(seed, tag, index)`) and draws
//! the same numbers whether problems are planted or not, so the two variants are the
//! same company: the planted problems only change the rates the numbers are held to.

use crate::DemoConfig;
use crate::catalog::*;
use crate::clock::*;
use crate::emit::{
    CURRENCY, Movement, Out, Touch, decimal_text, instant, opt_instant, opt_text, text,
};
use crate::rng::{Rng, weighted_pick};
use revline_core::{Record, RecordKind, Value};

const TAG_ACCOUNT: u64 = 0xACC0;
const TAG_CONTACT: u64 = 0xC047;
const TAG_TOUCH: u64 = 0x70C4;
const TAG_LIFE: u64 = 0x11FE;
const TAG_PLAN: u64 = 0x9A7E;
const TAG_SPEND: u64 = 0x5BE4;
const TAG_FX: u64 = 0xF0F0;

/// The contacts at which the catalog's fixed monthly budgets apply.
const REFERENCE_CONTACTS: f64 = 20_000.0;
/// Lead volume at the end of the history relative to its start.
const GROWTH: f64 = 2.2;
/// Share of accounts that are single people without a company (no account row).
const PERSONAL_SHARE: f64 = 0.03;
/// Chance that a further contact of an account is the first one entered again under
/// the same address (a duplicate for identity resolution to find).
const DUPLICATE_EMAIL_SHARE: f64 = 0.0015;

const MARKETING: &str = "marketing";
const SALES: &str = "sales";
const SERVICE: &str = "service";

/// Base rates of the funnel steps before channel and segment factors.
const LEAD_TO_MQL: f64 = 0.7;
const MQL_TO_SQL: f64 = 0.74;
const SQL_TO_OPPORTUNITY: f64 = 0.88;
/// Share of MQLs that sales ever touches.
const MQL_TOUCHED: f64 = 0.93;
/// Hours of waiting after which an MQL's chance of becoming an SQL is halved.
const HANDOFF_HALF_LIFE_HOURS: f64 = 100.0;

/// Extra churn hazard per bad service experience in the last 90 days (up to three).
const BAD_SERVICE_CHURN: f64 = 4.0;

/// Sales team cost per month at 20,000 contacts, and per opportunity worked, by segment.
const SALES_TEAM_MONTHLY: [f64; 3] = [26_000.0, 32_000.0, 38_000.0];
const SALES_COST_PER_OPPORTUNITY: [f64; 3] = [900.0, 3_200.0, 9_500.0];
const SALES_TEAMS: [&str; 3] = ["SMB team", "Mid-market team", "Enterprise team"];

/// The planted problems as parameters. `normal()` holds every link at its usual rate.
struct Effects {
    /// (1) Slow handoff: median hours from MQL to the first sales touch for leads
    /// from `webinar` (the usual handoff of the channel when `None`). The general rule
    /// that waiting lowers the MQL-to-SQL rate then makes these leads convert worse.
    webinar_handoff_hours: Option<f64>,
    /// (2) Weak stage: win-rate factor of the weak owner's opportunities.
    weak_owner_skill: f64,
    /// (3) Service incident: integration tickets in the incident window are answered
    /// late and rated low. The general rule that bad service raises the churn hazard
    /// then lifts churn among the customers who hit it.
    service_incident: bool,
    /// (4) Reach without revenue: MQL-to-SQL and win-rate factors of `display` leads.
    display_sql: f64,
    display_win: f64,
    /// (5) Replies without intent: lead-to-MQL factor of `outbound` leads.
    outbound_mql: f64,
}

impl Effects {
    fn new(planted: bool) -> Effects {
        if planted {
            Effects {
                webinar_handoff_hours: Some(80.0),
                weak_owner_skill: 0.3,
                service_incident: true,
                display_sql: 0.25,
                display_win: 0.5,
                outbound_mql: 0.7,
            }
        } else {
            Effects {
                webinar_handoff_hours: None,
                weak_owner_skill: OWNERS[WEAK_OWNER].skill,
                service_incident: false,
                display_sql: CHANNELS[DISPLAY].sql,
                display_win: CHANNELS[DISPLAY].win,
                outbound_mql: CHANNELS[OUTBOUND].mql,
            }
        }
    }
}

pub(crate) fn run(config: &DemoConfig, sink: &mut dyn FnMut(Record)) {
    Generator::new(config, sink).run();
}

/// What an account is, regenerated identically whenever it is needed.
struct Profile {
    index: u64,
    /// A single person without a company: no account row, the contact is the customer unit.
    personal: bool,
    segment: usize,
    industry: usize,
    country: usize,
    owner: usize,
    created: i64,
    /// Share of the contacts beyond the first one.
    weight: f64,
    employees: u64,
}

/// An account while its contacts are simulated.
struct AccountCtx<'a> {
    profile: &'a Profile,
    id: Option<&'a str>,
    name: &'a str,
    domain: &'a str,
}

/// Random numbers of a contact's possible deal, drawn up front.
struct DealDraws {
    cycle_days: f64,
    u_win: f64,
    amount: i64,
    u_lost_stage: f64,
    u_expect: f64,
    u_rework: f64,
    u_probability: f64,
    lost_reason: usize,
}

/// A contact's journey up to the opportunity, before the account decides whether it
/// gets a deal of its own.
struct ContactPlan {
    index: u64,
    id: String,
    created: i64,
    channel: usize,
    slot: Option<usize>,
    mql: Option<i64>,
    hand_raiser: bool,
    first_sales: Option<i64>,
    sql: Option<i64>,
    /// When the opportunity would be opened if the account is free for a new deal.
    opportunity: Option<i64>,
    draws: DealDraws,
    u_recycle: f64,
    recycle_days: f64,
    skips: [f64; 5],
    deal: Option<DealPlan>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    Won,
    Lost,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Won => "won",
            Status::Lost => "lost",
        }
    }
}

struct DealPlan {
    id: String,
    created: i64,
    expected_close: i64,
    /// Stage history: (index into DEAL_STAGE_NAMES, instant), at most 6 rows.
    rows: [(u8, i64); 6],
    n_rows: usize,
    closed: Option<i64>,
    status: Status,
    amount: i64,
    lost_reason: Option<usize>,
    probability: Option<&'static str>,
}

/// Contacts of one account already used (first, last) so addresses stay unique.
#[derive(Default)]
struct NameBook {
    used: Vec<(usize, usize)>,
    first: Option<(String, usize, usize)>,
}

/// Bad service experiences of one customer: instants of the most recent ones.
struct BadTickets {
    at: [i64; 8],
    next: usize,
}

impl BadTickets {
    fn new() -> BadTickets {
        BadTickets {
            at: [i64::MIN; 8],
            next: 0,
        }
    }
    fn push(&mut self, t: i64) {
        self.at[self.next] = t;
        self.next = (self.next + 1) % self.at.len();
    }
    fn within(&self, from: i64, to: i64) -> usize {
        self.at.iter().filter(|t| **t > from && **t <= to).count()
    }
}

/// Monthly counters from which spend and targets are derived at the end.
struct Stats {
    months: usize,
    slots: usize,
    /// Leads by source channel, campaign slot and month of creation.
    leads: Vec<u32>,
    mql: Vec<u32>,
    opportunities: Vec<[u32; 3]>,
    pipeline: Vec<i64>,
    new_customers: Vec<u32>,
    revenue: Vec<[i64; 3]>,
}

impl Stats {
    fn new(months: usize) -> Stats {
        let slots = CHANNELS
            .iter()
            .map(|c| c.campaigns.len().max(1))
            .max()
            .unwrap_or(1);
        Stats {
            months,
            slots,
            leads: vec![0; CHANNELS.len() * slots * months],
            mql: vec![0; months],
            opportunities: vec![[0; 3]; months],
            pipeline: vec![0; months],
            new_customers: vec![0; months],
            revenue: vec![[0; 3]; months],
        }
    }
    fn lead_cell(&self, channel: usize, slot: usize, month: usize) -> usize {
        (channel * self.slots + slot) * self.months + month
    }
}

struct Generator<'s> {
    seed: u64,
    contacts: u64,
    fx: Effects,
    tl: Timeline,
    out: Out<'s>,
    stats: Stats,
    /// Fixed budgets scale with the size of the workspace.
    scale: f64,
    /// The service incident: integration tickets opened in [from, to).
    incident: (i64, i64),
    plans: Vec<ContactPlan>,
    order: Vec<usize>,
    names: NameBook,
}

pub fn account_id(index: u64) -> String {
    format!("acc-{:06}", index + 1)
}

pub fn contact_id(index: u64) -> String {
    format!("con-{:07}", index + 1)
}

/// Name and domain of the company behind account `index`: distinct names for the
/// first 32,768 accounts, then the same names again with numbered domains.
fn company(index: u64, country: usize) -> (String, String) {
    const COMBOS: u64 = 64 * 64 * 8;
    let generation = index / COMBOS;
    // An odd multiplier permutes the residues, so neighbours get unrelated names.
    let k = ((index % COMBOS) * 20_011 + 4_099) % COMBOS;
    let prefix = COMPANY_PREFIX[(k % 64) as usize];
    let core = COMPANY_CORE[((k / 64) % 64) as usize];
    let suffix = COMPANY_SUFFIX[(k / 4096) as usize];
    let name = format!("{prefix}{core}{suffix}");
    let slug: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let tld = COUNTRIES[country].1;
    let domain = if generation == 0 {
        format!("{slug}.{tld}")
    } else {
        format!("{slug}{generation}.{tld}")
    };
    (name, domain)
}

fn cents_of_dollars(dollars: f64) -> i64 {
    (dollars * 100.0).round() as i64
}

/// Whole hundreds of dollars, at least `min` dollars, in cents.
fn round_hundreds(dollars: f64, min: f64) -> i64 {
    ((dollars / 100.0).round() * 100.0).max(min) as i64 * 100
}

fn weighted_by<T>(r: &mut Rng, items: &[T], weight: impl Fn(&T) -> f64) -> usize {
    let total: f64 = items.iter().map(&weight).sum();
    let mut target = r.f64() * total;
    for (i, item) in items.iter().enumerate() {
        let w = weight(item);
        if target < w {
            return i;
        }
        target -= w;
    }
    items.iter().rposition(|i| weight(i) > 0.0).unwrap_or(0)
}

impl<'s> Generator<'s> {
    fn new(config: &DemoConfig, sink: &'s mut dyn FnMut(Record)) -> Generator<'s> {
        let tl = Timeline::new(config.end);
        let months = tl.history_months();
        let incident = (
            tl.month_start(months.saturating_sub(12)),
            tl.month_start(months.saturating_sub(6)),
        );
        Generator {
            seed: config.seed,
            contacts: config.contacts,
            fx: Effects::new(config.planted_problems),
            stats: Stats::new(months),
            scale: config.contacts as f64 / REFERENCE_CONTACTS,
            incident,
            tl,
            out: Out::new(sink),
            plans: Vec::new(),
            order: Vec::new(),
            names: NameBook::default(),
        }
    }

    fn run(&mut self) {
        if self.contacts > 0 {
            let accounts = (self.contacts / 4).max(1);
            // Pass 1: the total weight, to share the contacts out in one streaming pass.
            let total_weight: f64 = (0..accounts)
                .map(|i| self.profile(i, accounts).weight)
                .sum();
            // Pass 2: every account row first.
            for i in 0..accounts {
                let p = self.profile(i, accounts);
                if !p.personal {
                    self.emit_account(&p);
                }
            }
            // Pass 3: account by account, everything about its contacts.
            let extra = self.contacts - accounts;
            let (mut cumulative, mut assigned, mut next_contact) = (0.0, 0u64, 0u64);
            for i in 0..accounts {
                let p = self.profile(i, accounts);
                cumulative += p.weight;
                let target = if i + 1 == accounts {
                    extra
                } else {
                    ((extra as f64 * cumulative / total_weight).floor() as u64)
                        .clamp(assigned, extra)
                };
                let count = 1 + target - assigned;
                assigned = target;
                self.account(&p, next_contact, count);
                next_contact += count;
            }
        }
        self.spend();
        self.targets();
        self.fx_rates();
    }

    fn profile(&self, index: u64, accounts: u64) -> Profile {
        let mut r = Rng::stream(self.seed, TAG_ACCOUNT, index);
        // The last account is never personal, so it can take the rounding remainder.
        let personal = r.f64() < PERSONAL_SHARE && index + 1 < accounts;
        let drawn_segment = r.weighted(&SEGMENT_WEIGHTS);
        let segment = if personal { SMB } else { drawn_segment };
        let industry = r.index(INDUSTRIES.len());
        let country = weighted_by(&mut r, COUNTRIES, |c| c.3);
        let owners = owners_of(segment);
        let owner = owners.start + r.index(owners.len());
        // Accounts arrive at a growing pace: density proportional to exp(k t) with
        // exp(k L) = GROWTH, sampled by inverting its distribution function.
        let span = (self.tl.span() - 3 * DAY) as f64;
        let u = r.f64();
        let t = span * (1.0 + u * (GROWTH - 1.0)).ln() / GROWTH.ln();
        let day = self.tl.start + t as i64;
        let created = next_workday(at_office_hours(day, r.f64()), r.f64());
        let size = r.lognormal(1.0, 0.5);
        let weight = if personal {
            0.0
        } else {
            CONTACT_WEIGHT[segment] * size
        };
        let employees = r.lognormal(EMPLOYEES[segment], 0.6).max(2.0) as u64;
        Profile {
            index,
            personal,
            segment,
            industry,
            country,
            owner,
            created,
            weight,
            employees,
        }
    }

    fn emit_account(&mut self, p: &Profile) {
        let (name, domain) = company(p.index, p.country);
        let mut r = self.out.blank(RecordKind::Accounts);
        r.id = account_id(p.index);
        r.set("name", Value::Text(name));
        r.set("domain", Value::Text(domain));
        r.set("industry", text(INDUSTRIES[p.industry]));
        r.set("segment", text(SEGMENTS[p.segment]));
        r.set("country", text(COUNTRIES[p.country].0));
        r.set("owner", text(OWNERS[p.owner].name));
        r.set("created_at", instant(p.created));
        r.props.insert("employees".into(), p.employees.to_string());
        self.out.send(r);
    }

    fn account(&mut self, p: &Profile, first_contact: u64, count: u64) {
        let id = (!p.personal).then(|| account_id(p.index));
        let (name, domain) = company(p.index, p.country);
        let ctx = AccountCtx {
            profile: p,
            id: id.as_deref(),
            name: &name,
            domain: &domain,
        };
        let mut plans = std::mem::take(&mut self.plans);
        let mut names = std::mem::take(&mut self.names);
        plans.clear();
        names.used.clear();
        names.first = None;
        for ordinal in 0..count {
            plans.push(self.contact(&ctx, first_contact + ordinal, ordinal, &mut names));
        }
        let won = self.assign_deals(p, &mut plans);
        for plan in plans.iter_mut() {
            self.journey(&ctx, plan);
        }
        if let Some(w) = won {
            self.customer_life(&ctx, &plans, w);
        }
        self.plans = plans;
        self.names = names;
    }

    /// Creates one contact: emits its row and plans its way through the funnel up to
    /// the point where a deal would be opened.
    fn contact(
        &mut self,
        a: &AccountCtx<'_>,
        index: u64,
        ordinal: u64,
        book: &mut NameBook,
    ) -> ContactPlan {
        let p = a.profile;
        let end = self.tl.end;
        let mut r = Rng::stream(self.seed, TAG_CONTACT, index);

        // When: the first contact opens the account, the others follow over months.
        let u_when = r.f64();
        let spread = r.exponential(CONTACT_SPREAD_DAYS[p.segment]);
        let (u_hour, u_monday) = (r.f64(), r.f64());
        let created = if ordinal == 0 {
            p.created + (u_when * HOUR as f64) as i64
        } else {
            let t = next_workday(at_office_hours(p.created + days(spread), u_hour), u_monday);
            if t < end - HOUR {
                t
            } else {
                p.created + (u_when * (end - HOUR - p.created) as f64) as i64
            }
        };

        // Who.
        let mut first = r.index(FIRST_NAMES.len());
        let mut last = r.index(LAST_NAMES.len());
        let title = weighted_by(&mut r, TITLES, |t| t.1);
        let u_phone = r.f64();
        let phone = 100_000_000 + r.below(900_000_000);
        let u_duplicate = r.f64();

        // Where from.
        let channel = weighted_by(&mut r, CHANNELS, |c| c.mix[p.segment]);
        let ch = &CHANNELS[channel];
        let u_slot = r.f64();
        let month = self.tl.month_of(created);
        let slot = match ch.campaigns.len() {
            0 => None,
            n if ch.rotating => Some(month % n),
            n => Some(((u_slot * n as f64) as usize).min(n - 1)),
        };

        // The funnel. Every number is drawn whatever happens, so both variants of the
        // workspace see the same ones.
        let (u_mql, u_hand, z_mql, u_webinar) = (r.f64(), r.f64(), r.normal(), r.f64());
        let (u_touched, z_handoff, u_handoff) = (r.f64(), r.normal(), r.f64());
        let (u_sql, z_sql) = (r.f64(), r.normal());
        let (u_opp, z_opp) = (r.f64(), r.normal());
        let draws = DealDraws {
            cycle_days: CYCLE_DAYS[p.segment] * (0.45 * r.normal()).exp(),
            u_win: r.f64(),
            amount: round_hundreds(ACV_MEDIAN[p.segment] * (0.5 * r.normal()).exp(), 1_200.0),
            u_lost_stage: r.f64(),
            u_expect: r.f64(),
            u_rework: r.f64(),
            u_probability: r.f64(),
            lost_reason: r.index(LOST_REASONS.len()),
        };
        let u_recycle = r.f64();
        let recycle_days = 25.0 * (0.6 * r.normal()).exp();
        let skips = [r.f64(), r.f64(), r.f64(), r.f64(), r.f64()];

        let channel_mql = if channel == OUTBOUND {
            self.fx.outbound_mql
        } else {
            ch.mql
        };
        let p_mql = (LEAD_TO_MQL * channel_mql * SEGMENT_MQL[p.segment]).min(0.95);
        let mut mql = None;
        let mut hand_raiser = false;
        if u_mql < p_mql {
            let t = if channel == WEBINAR {
                // Registering creates the lead; attending days later makes it an MQL.
                created + days((2.0 + 8.0 * u_webinar).floor()) + hours(1.0 + 2.0 * u_hand)
            } else if u_hand < 0.3 {
                // A demo request: scored as an MQL within half an hour.
                hand_raiser = true;
                created + (u_webinar * 1_800.0) as i64
            } else {
                created + days((8.0 * z_mql.exp()).min(180.0))
            };
            mql = (t < end).then_some(t);
        }

        let mut first_sales = None;
        if let Some(m) = mql
            && u_touched < MQL_TOUCHED
        {
            // (1) Planted: webinar leads wait days for their first sales touch.
            let (median, sigma) = match (channel, self.fx.webinar_handoff_hours) {
                (WEBINAR, Some(h)) => (h, 0.45),
                _ => (ch.handoff_hours, 0.9),
            };
            let t = next_workday(
                m + hours(median * (sigma * z_handoff).exp()).max(MINUTE),
                u_handoff,
            );
            first_sales = (t < end).then_some(t);
        }

        let mut sql = None;
        if let (Some(m), Some(f)) = (mql, first_sales) {
            let waited = (f - m) as f64 / HOUR as f64;
            let patience = 1.0 / (1.0 + waited / HANDOFF_HALF_LIFE_HOURS);
            // (4) Planted: display leads are mostly unqualified.
            let quality = if channel == DISPLAY {
                self.fx.display_sql
            } else {
                ch.sql
            };
            let p_sql = (MQL_TO_SQL * quality * patience).min(0.95);
            if u_sql < p_sql {
                let t = f + days(2.0 * (0.8 * z_sql).exp()).max(HOUR);
                sql = (t < end).then_some(t);
            }
        }

        let mut opportunity = None;
        if let Some(s) = sql
            && u_opp < SQL_TO_OPPORTUNITY
        {
            let t = s + days(6.0 * (0.7 * z_opp).exp()).max(HOUR);
            opportunity = (t < end).then_some(t);
        }

        // The contact row.
        let id = contact_id(index);
        let email = match &book.first {
            Some((email, f, l)) if ordinal > 0 && u_duplicate < DUPLICATE_EMAIL_SHARE => {
                // The first contact of the account entered a second time.
                (first, last) = (*f, *l);
                email.clone()
            }
            _ => {
                let (fa, la) = (FIRST_NAMES[first].1, LAST_NAMES[last].1);
                if a.id.is_none() {
                    format!(
                        "{fa}.{la}{}@{}",
                        index + 1,
                        FREEMAIL[(index % FREEMAIL.len() as u64) as usize]
                    )
                } else {
                    let seen = book.used.iter().filter(|n| **n == (first, last)).count();
                    book.used.push((first, last));
                    if seen == 0 {
                        format!("{fa}.{la}@{}", a.domain)
                    } else {
                        format!("{fa}.{la}{}@{}", seen + 1, a.domain)
                    }
                }
            }
        };
        if ordinal == 0 {
            book.first = Some((email.clone(), first, last));
        }
        let mut rec = self.out.blank(RecordKind::Contacts);
        rec.id = id.clone();
        rec.set("email", Value::Text(email));
        rec.set(
            "name",
            Value::Text(format!("{} {}", FIRST_NAMES[first].0, LAST_NAMES[last].0)),
        );
        if u_phone < 0.45 {
            rec.set(
                "phone",
                Value::Text(format!("{} {phone}", COUNTRIES[p.country].2)),
            );
        }
        rec.set("title", text(TITLES[title].0));
        rec.set("account_id", opt_text(a.id));
        rec.set("owner", text(OWNERS[p.owner].name));
        rec.set("source", text(ch.name));
        rec.set("created_at", instant(created));
        self.out.send(rec);

        let cell = self.stats.lead_cell(channel, slot.unwrap_or(0), month);
        self.stats.leads[cell] += 1;
        if let Some(m) = mql {
            self.stats.mql[self.tl.month_of(m)] += 1;
        }

        ContactPlan {
            index,
            id,
            created,
            channel,
            slot,
            mql,
            hand_raiser,
            first_sales,
            sql,
            opportunity,
            draws,
            u_recycle,
            recycle_days,
            skips,
            deal: None,
        }
    }

    /// Walks the account's would-be opportunities in time order: a contact gets a deal
    /// of its own only while the account has no open deal and is not yet a customer
    /// (else it joins the buying group already at work). Returns the plan whose deal
    /// was won.
    fn assign_deals(&mut self, p: &Profile, plans: &mut [ContactPlan]) -> Option<usize> {
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend((0..plans.len()).filter(|i| plans[*i].opportunity.is_some()));
        order.sort_by_key(|i| (plans[*i].opportunity, *i));
        let mut free_from = i64::MIN;
        let mut won = None;
        for &k in &order {
            let at = plans[k].opportunity.expect("filtered");
            if won.is_some() || at < free_from {
                continue;
            }
            let deal = self.plan_deal(p, &plans[k], at);
            free_from = deal.closed.unwrap_or(i64::MAX);
            if deal.status == Status::Won {
                won = Some(k);
            }
            plans[k].deal = Some(deal);
        }
        self.order = order;
        won
    }

    fn plan_deal(&self, p: &Profile, c: &ContactPlan, created: i64) -> DealPlan {
        let d = &c.draws;
        let end = self.tl.end;
        // (2) Planted: one owner's opportunities close far worse;
        // (4) and display-sourced deals win less often.
        let skill = if p.owner == WEAK_OWNER {
            self.fx.weak_owner_skill
        } else {
            OWNERS[p.owner].skill
        };
        let channel_win = if c.channel == DISPLAY {
            self.fx.display_win
        } else {
            CHANNELS[c.channel].win
        };
        let p_win = (WIN_BASE[p.segment] * skill * channel_win).min(0.9);
        let won = d.u_win < p_win;
        let cycle = days(d.cycle_days).max(3 * DAY) as f64;
        let at = |share: f64| created + (cycle * share) as i64;
        let (reached, close) = if won {
            (4, at(1.0))
        } else {
            let last = weighted_pick(&LOST_AT_STAGE, d.u_lost_stage);
            (last + 1, at(DEAL_STAGE_AT[last] + 0.15))
        };
        let mut rows = [(0u8, 0i64); 6];
        let mut n = 0;
        for (s, share) in DEAL_STAGE_AT.iter().enumerate().take(reached) {
            rows[n] = (s as u8, at(*share));
            n += 1;
        }
        if reached == 4 && d.u_rework < 0.07 {
            // Back from negotiation to a revised proposal: rework in the deal history.
            let negotiation = rows[n - 1].1;
            rows[n] = (2, negotiation + (close - negotiation) / 2);
            n += 1;
        }
        rows[n] = (if won { CLOSED_WON } else { CLOSED_LOST }, close);
        n += 1;
        let (status, closed) = match (close < end, won) {
            (false, _) => (Status::Open, None),
            (true, true) => (Status::Won, Some(close)),
            (true, false) => (Status::Lost, Some(close)),
        };
        let current = rows[..n]
            .iter()
            .rev()
            .find(|(_, t)| *t < end)
            .map_or(0, |(s, _)| *s);
        let probability = match status {
            Status::Open if d.u_probability < 0.7 => {
                Some(DEAL_STAGE_PROBABILITY[current.min(3) as usize])
            }
            Status::Won if d.u_probability < 0.15 => Some("1"),
            Status::Lost if d.u_probability < 0.15 => Some("0"),
            _ => None,
        };
        DealPlan {
            id: String::new(),
            created,
            expected_close: created + days(CYCLE_DAYS[p.segment] * (0.8 + 0.45 * d.u_expect)),
            rows,
            n_rows: n,
            closed,
            status,
            amount: d.amount,
            lost_reason: (status == Status::Lost).then_some(d.lost_reason),
            probability,
        }
    }

    fn touch(
        &mut self,
        contact_id: &str,
        at: i64,
        channel: &str,
        campaign: Option<&str>,
        kind: &str,
        team: &str,
    ) {
        if at >= self.tl.start && at < self.tl.end {
            self.out.touch(&Touch {
                contact_id,
                at,
                channel,
                campaign,
                kind,
                team,
                cost: None,
            });
        }
    }

    /// The campaign a touch of `channel` at `at` belongs to.
    fn campaign_at(&self, channel: usize, at: i64, u: f64) -> Option<&'static str> {
        let ch = &CHANNELS[channel];
        match ch.campaigns.len() {
            0 => None,
            n if ch.rotating => Some(ch.campaigns[self.tl.month_of(at) % n]),
            n => Some(ch.campaigns[((u * n as f64) as usize).min(n - 1)]),
        }
    }

    /// Emits everything about one contact: touchpoints of marketing and sales, stage
    /// rows (with skipped stages and rework) and its new-business deal.
    fn journey(&mut self, a: &AccountCtx<'_>, c: &mut ContactPlan) {
        let mut r = Rng::stream(self.seed, TAG_TOUCH, c.index);
        let end = self.tl.end;
        let ch = &CHANNELS[c.channel];
        let campaign = c.slot.map(|s| ch.campaigns[s]);
        let id = c.id.as_str();

        // Before the lead: activity stitched to the person once they identify themselves.
        for &(kind, lo, hi, max_days) in ch.pre {
            let n = lo + r.below(u64::from(hi - lo + 1)) as u32;
            for _ in 0..n {
                let at = c.created - 1 - (r.f64() * max_days * DAY as f64) as i64;
                let cost = match (kind, ch.cost_per_click) {
                    ("click", Some(median)) => Some(cents_of_dollars(r.lognormal(median, 0.4))),
                    _ => None,
                };
                if at >= self.tl.start {
                    let t = Touch {
                        contact_id: id,
                        at,
                        channel: ch.name,
                        campaign,
                        kind,
                        team: MARKETING,
                        cost,
                    };
                    self.out.touch(&t);
                }
            }
        }
        // Sometimes an earlier touch from another channel (multi-channel journeys).
        if r.bernoulli(0.3) {
            let (other, kind, _) = NURTURE[weighted_by(&mut r, NURTURE, |n| n.2)];
            let at = c.created - days(r.uniform(1.0, 30.0));
            let camp = self.campaign_at(other, at, r.f64());
            self.touch(id, at, CHANNELS[other].name, camp, kind, MARKETING);
        }
        // The touch that made the lead.
        self.touch(id, c.created, ch.name, campaign, ch.lead_kind, MARKETING);

        // Nurture until MQL (or for three months).
        let nurture_end = c.mql.unwrap_or(c.created + 90 * DAY).min(end);
        let n = r.poisson(if c.mql.is_some() { 1.6 } else { 0.8 });
        for _ in 0..n {
            let (other, kind, _) = NURTURE[weighted_by(&mut r, NURTURE, |n| n.2)];
            let at = c.created + ((nurture_end - c.created) as f64 * r.f64()) as i64;
            let camp = self.campaign_at(other, at, r.f64());
            if at > c.created {
                self.touch(id, at, CHANNELS[other].name, camp, kind, MARKETING);
            }
        }

        // The touch that crossed the MQL threshold.
        if let Some(m) = c.mql {
            let u = r.f64();
            if c.channel == WEBINAR {
                let at = m - hours(1.0 + u);
                let camp = self.campaign_at(WEBINAR, at, 0.0);
                self.touch(id, at, ch.name, camp, "webinar", MARKETING);
            } else if c.hand_raiser {
                self.touch(id, m, ch.name, campaign, "form", MARKETING);
            } else {
                let other = [CONTENT, ORGANIC, DIRECT, EMAIL][((u * 4.0) as usize).min(3)];
                let camp = self.campaign_at(other, m, r.f64());
                let kind = if other == EMAIL {
                    "email_click"
                } else {
                    "form"
                };
                self.touch(id, m, CHANNELS[other].name, camp, kind, MARKETING);
            }
        }

        // Sales picks the MQL up: a first call, follow-up attempts, a discovery meeting.
        if let Some(f) = c.first_sales {
            self.touch(id, f, SALES_CHANNEL, None, "call", SALES);
            for _ in 0..r.below(2) {
                let at = next_workday(f + days(r.uniform(1.0, 6.0)), r.f64());
                self.touch(id, at, SALES_CHANNEL, None, "call", SALES);
            }
        }
        if let Some(s) = c.sql {
            self.touch(id, s, SALES_CHANNEL, None, "meeting", SALES);
        }

        // Stage rows: some stages are skipped (implied by a later one), some are reworked.
        let has_deal = c.deal.is_some();
        if c.skips[0] >= 0.08 {
            self.out.stage(id, "lead", c.created);
        }
        if let Some(m) = c.mql
            && !(c.sql.is_some() && c.skips[1] < 0.04)
        {
            self.out.stage(id, "mql", m);
        }
        if let Some(s) = c.sql {
            if !(has_deal && c.skips[2] < 0.06) {
                self.out.stage(id, "sql", s);
            }
            if !has_deal && c.u_recycle < 0.25 {
                // Sales hands the lead back to nurture: an earlier stage after a later one.
                let at = s + days(c.recycle_days);
                if at < end {
                    self.out.stage(id, "mql", at);
                }
            }
        }

        if let Some(mut deal) = c.deal.take() {
            self.emit_deal(a, c, &mut deal, &mut r);
            if c.skips[3] >= 0.15 {
                self.out.stage(id, "opportunity", deal.created);
            }
            match (deal.status, deal.closed) {
                (Status::Won, Some(t)) => {
                    if c.skips[4] >= 0.1 {
                        self.out.stage(id, "customer", t);
                    }
                    // Kick-off with customer success.
                    let at = next_workday(t + 3 * DAY, r.f64());
                    self.touch(id, at, SUPPORT_CHANNEL, None, "meeting", SERVICE);
                }
                (Status::Lost, Some(t)) if c.u_recycle < 0.35 => {
                    let at = t + days(c.recycle_days);
                    if at < end {
                        self.out.stage(id, "mql", at);
                    }
                }
                _ => {}
            }
            c.deal = Some(deal);
        }
    }

    fn emit_deal(&mut self, a: &AccountCtx<'_>, c: &ContactPlan, deal: &mut DealPlan, r: &mut Rng) {
        let p = a.profile;
        let end = self.tl.end;
        deal.id = self.out.next_deal_id();
        let current = deal.rows[..deal.n_rows]
            .iter()
            .rev()
            .find(|(_, t)| *t < end)
            .map_or(0, |(s, _)| *s);
        let mut rec = self.out.blank(RecordKind::Deals);
        rec.id = deal.id.clone();
        rec.set("contact_id", text(&c.id));
        rec.set("account_id", opt_text(a.id));
        rec.set(
            "name",
            Value::Text(format!("{} - {}", a.name, PLAN[p.segment])),
        );
        rec.set("owner", text(OWNERS[p.owner].name));
        rec.set("pipeline", text("new_business"));
        rec.set("stage", text(DEAL_STAGE_NAMES[current as usize]));
        rec.set("amount", Value::Int(deal.amount));
        rec.set("currency", text(CURRENCY));
        rec.set("created_at", instant(deal.created));
        rec.set("expected_close_at", instant(deal.expected_close));
        rec.set("closed_at", opt_instant(deal.closed));
        rec.set("status", text(deal.status.name()));
        rec.set(
            "lost_reason",
            opt_text(deal.lost_reason.map(|i| LOST_REASONS[i])),
        );
        rec.set("probability", opt_text(deal.probability));
        self.out.send(rec);

        let month = self.tl.month_of(deal.created);
        self.stats.opportunities[month][p.segment] += 1;
        self.stats.pipeline[month] += deal.amount;
        if let (Status::Won, Some(t)) = (deal.status, deal.closed) {
            self.stats.new_customers[self.tl.month_of(t)] += 1;
        }

        let rows = deal.rows;
        for &(stage, at) in &rows[..deal.n_rows] {
            if at >= end {
                break;
            }
            self.out
                .deal_stage(&deal.id, DEAL_STAGE_NAMES[stage as usize], at);
            let kind = match stage {
                1 => "demo",
                2 => "meeting",
                3 => "call",
                CLOSED_WON => "meeting",
                _ => continue,
            };
            let at = next_workday(at, r.f64());
            self.touch(&c.id, at, SALES_CHANNEL, None, kind, SALES);
        }
    }

    /// An upsell closed on an existing customer: a won deal in the expansion pipeline.
    fn expansion_deal(
        &mut self,
        a: &AccountCtx<'_>,
        buyer: &ContactPlan,
        created: i64,
        won: i64,
        amount: i64,
    ) -> String {
        let p = a.profile;
        let id = self.out.next_deal_id();
        let mut rec = self.out.blank(RecordKind::Deals);
        rec.id = id.clone();
        rec.set("contact_id", text(&buyer.id));
        rec.set("account_id", opt_text(a.id));
        rec.set("name", Value::Text(format!("{} - expansion", a.name)));
        rec.set("owner", text(OWNERS[p.owner].name));
        rec.set("pipeline", text("expansion"));
        rec.set("stage", text(DEAL_STAGE_NAMES[CLOSED_WON as usize]));
        rec.set("amount", Value::Int(amount));
        rec.set("currency", text(CURRENCY));
        rec.set("created_at", instant(created));
        rec.set("expected_close_at", instant(won));
        rec.set("closed_at", instant(won));
        rec.set("status", text("won"));
        self.out.send(rec);
        self.stats.pipeline[self.tl.month_of(created)] += amount;
        self.out.deal_stage(&id, "discovery", created);
        self.out
            .deal_stage(&id, "proposal", created + (won - created) / 2);
        self.out.deal_stage(&id, "closed_won", won);
        self.touch(&buyer.id, created, SALES_CHANNEL, None, "meeting", SALES);
        id
    }

    fn revenue(
        &mut self,
        a: &AccountCtx<'_>,
        buyer: &ContactPlan,
        deal_id: Option<&str>,
        at: i64,
        amount: i64,
        kind: &str,
    ) {
        self.revenue_for(a, buyer, deal_id, at, amount, kind, None);
    }

    /// A payment that covers the service period `period` (first and last day).
    #[allow(clippy::too_many_arguments)]
    fn revenue_for(
        &mut self,
        a: &AccountCtx<'_>,
        buyer: &ContactPlan,
        deal_id: Option<&str>,
        at: i64,
        amount: i64,
        kind: &str,
        period: Option<(i64, i64)>,
    ) {
        let contact_id = if a.id.is_none() {
            Some(buyer.id.as_str())
        } else {
            None
        };
        let m = Movement {
            account_id: a.id,
            contact_id,
            deal_id,
            at,
            amount,
            kind,
            period,
        };
        self.out.revenue(&m);
        self.stats.revenue[self.tl.month_of(at)][a.profile.segment] += amount;
    }

    /// Life as a customer: monthly billing, tickets, expansion, contraction, refunds,
    /// and churn whose hazard rises with recent bad service.
    fn customer_life(&mut self, a: &AccountCtx<'_>, plans: &[ContactPlan], won: usize) {
        let p = a.profile;
        let seg = p.segment;
        let end = self.tl.end;
        let buyer = &plans[won];
        let deal = buyer.deal.as_ref().expect("the won plan has a deal");
        let t0 = deal.closed.expect("a won deal is closed");
        let acv = deal.amount;
        let deal_id = deal.id.clone();
        let mut r = Rng::stream(self.seed, TAG_LIFE, p.index);

        let mut mrr = (acv / 12).max(100);
        // Annual plans, paid up front for the year, are common among larger accounts.
        let annual = Rng::stream(self.seed, TAG_PLAN, p.index).f64() < ANNUAL_SHARE[seg];
        // Billing on the same day each month (the 28th at the latest).
        let m0 = self.tl.month_of(t0);
        let into = t0 - self.tl.month_start(m0);
        let offset = (into / DAY).min(27) * DAY + into % DAY;
        // The day before the bill `k` months after the first: the end of a term.
        let first_month = crate::clock::date_of(self.tl.month_start(m0));
        let term_end = |k: usize| -> i64 {
            let month = first_month + chrono::Months::new(k as u32);
            crate::clock::day_secs(month) + offset - DAY
        };
        if annual {
            let period = Some((t0, term_end(12)));
            self.revenue_for(a, buyer, Some(&deal_id), t0, mrr * 12, "new", period);
        } else {
            self.revenue(a, buyer, Some(&deal_id), t0, mrr, "new");
        }
        let u_onboarding = r.f64();
        if u_onboarding < [0.0, 0.5, 0.9][seg] && t0 + 7 * DAY < end {
            let fee = round_hundreds(acv as f64 / 100.0 * 0.08, 500.0);
            self.revenue(a, buyer, Some(&deal_id), t0 + 7 * DAY, fee, "one_off");
        }

        let mut bad = BadTickets::new();
        let mut previous = t0;
        for k in 1.. {
            let m = m0 + k;
            if m >= self.tl.table_months() {
                break;
            }
            let bill = self.tl.month_start(m) + offset;
            for _ in 0..r.poisson(TICKET_RATE[seg]) {
                self.ticket(a, plans, won, &mut r, (previous, bill), &mut bad);
            }
            let (u_churn, u_expand, u_expand_size, u_expand_day) =
                (r.f64(), r.f64(), r.f64(), r.f64());
            let (u_expand_deal, u_expand_lead) = (r.f64(), r.f64());
            let (u_contract, u_contract_size, u_contract_day) = (r.f64(), r.f64(), r.f64());
            let (u_refund, u_refund_size, u_refund_day) = (r.f64(), r.f64(), r.f64());
            if bill >= end {
                break;
            }
            let recent_bad = bad.within(bill - 90 * DAY, bill).min(3) as f64;
            let early = if k <= 3 { 1.4 } else { 1.0 };
            let hazard = CHURN_BASE[seg] * (1.0 + BAD_SERVICE_CHURN * recent_bad) * early;
            if annual && k % 12 != 0 {
                // Mid-term on an annual plan: no bill and no way out, but an expansion
                // is billed for the rest of the term.
                if u_expand < 0.03 {
                    let delta = (mrr as f64 * (0.1 + 0.4 * u_expand_size)).round() as i64;
                    let at = bill + days(1.0 + 19.0 * u_expand_day);
                    let renewal = term_end((k / 12 + 1) * 12);
                    if at < end && at < renewal && delta > 0 {
                        let months_left = (12 - k % 12) as i64;
                        let period = Some((at, renewal));
                        self.revenue_for(
                            a,
                            buyer,
                            None,
                            at,
                            delta * months_left,
                            "expansion",
                            period,
                        );
                        mrr += delta;
                    }
                }
                previous = bill;
                continue;
            }
            // An annual plan is renewed or lost once a year: the year's hazard.
            let hazard = if annual {
                1.0 - (1.0 - hazard.min(1.0)).powi(12)
            } else {
                hazard
            };
            if u_churn < hazard {
                // The subscription is not renewed: recurring revenue stops here.
                self.out.stage(&buyer.id, "churned", bill);
                break;
            }
            if annual {
                let period = Some((bill, term_end(k + 12)));
                self.revenue_for(
                    a,
                    buyer,
                    Some(&deal_id),
                    bill,
                    mrr * 12,
                    "recurring",
                    period,
                );
                previous = bill;
                continue;
            }
            self.revenue(a, buyer, Some(&deal_id), bill, mrr, "recurring");
            if k >= 3 && u_expand < 0.03 {
                let delta = (mrr as f64 * (0.1 + 0.4 * u_expand_size)).round() as i64;
                let at = bill + days(1.0 + 19.0 * u_expand_day);
                if at < end && delta > 0 {
                    let upsell = (u_expand_deal < 0.6).then(|| {
                        let created = at - days(15.0 + 25.0 * u_expand_lead);
                        self.expansion_deal(a, buyer, created, at, delta * 12)
                    });
                    self.revenue(a, buyer, upsell.as_deref(), at, delta, "expansion");
                    mrr += delta;
                }
            } else if u_contract < 0.012 * (1.0 + recent_bad) {
                let delta = (mrr as f64 * (0.1 + 0.2 * u_contract_size)).round() as i64;
                let at = bill + days(1.0 + 19.0 * u_contract_day);
                if at < end && delta > 0 {
                    self.revenue(a, buyer, None, at, -delta, "contraction");
                    mrr -= delta;
                }
            }
            if u_refund < 0.004 {
                let amount = (mrr as f64 * (0.2 + 0.8 * u_refund_size)).round() as i64;
                let at = bill + days(1.0 + 24.0 * u_refund_day);
                if at < end && amount > 0 {
                    self.revenue(a, buyer, Some(&deal_id), at, -amount, "refund");
                }
            }
            previous = bill;
        }
    }

    /// One support ticket of a customer opened within `window`, with its service touches.
    fn ticket(
        &mut self,
        a: &AccountCtx<'_>,
        plans: &[ContactPlan],
        buyer: usize,
        r: &mut Rng,
        window: (i64, i64),
        bad: &mut BadTickets,
    ) {
        let end = self.tl.end;
        let u_open = r.f64();
        let category = r.weighted(&TICKET_WEIGHTS);
        let (z_response, z_resolution, z_csat) = (r.normal(), r.normal(), r.normal());
        let (u_answer, u_who, u_chat, u_chat_minutes, u_monday) =
            (r.f64(), r.f64(), r.f64(), r.f64(), r.f64());
        // Customers write in on workdays; support answers around the clock.
        let opened = next_workday(
            window.0 + ((window.1 - window.0) as f64 * u_open) as i64,
            u_monday,
        );
        if opened >= end {
            return;
        }
        // (3) The planted incident: integration tickets in the window wait and sour.
        let incident = self.fx.service_incident
            && category == INTEGRATION
            && opened >= self.incident.0
            && opened < self.incident.1;
        let response_hours = if incident {
            36.0 * (0.6 * z_response).exp()
        } else {
            2.5 * z_response.exp()
        };
        let first_response = opened + hours(response_hours).max(2 * MINUTE);
        let waited = (first_response - opened) as f64 / HOUR as f64;
        let resolution_hours = (if incident { 80.0 } else { 20.0 }) * (1.2 * z_resolution).exp();
        let resolved = first_response + hours(resolution_hours).max(5 * MINUTE);
        let csat = if resolved < end && u_answer < 0.65 {
            let mut score = 4.3 - 0.5 * (1.0 + waited / 8.0).ln() + 1.1 * z_csat;
            if incident {
                score -= 1.5;
            }
            Some(score.round().clamp(1.0, 5.0) as i64)
        } else {
            None
        };
        // Bad service as the customer lives it: a low score or a day without an answer.
        if csat.is_some_and(|s| s <= 2) || waited > 24.0 {
            bad.push(opened);
        }
        let pick = ((u_who * plans.len() as f64) as usize).min(plans.len() - 1);
        let who = if plans[pick].created <= opened {
            &plans[pick]
        } else {
            &plans[buyer]
        };

        let id = self.out.next_ticket_id();
        let mut rec = self.out.blank(RecordKind::Tickets);
        rec.id = id;
        rec.set("contact_id", text(&who.id));
        rec.set("account_id", opt_text(a.id));
        rec.set("opened_at", instant(opened));
        rec.set(
            "first_response_at",
            opt_instant((first_response < end).then_some(first_response)),
        );
        rec.set(
            "resolved_at",
            opt_instant((resolved < end).then_some(resolved)),
        );
        rec.set("csat", csat.map_or(Value::Null, Value::Int));
        rec.set("category", text(TICKET_CATEGORIES[category]));
        self.out.send(rec);

        if u_chat < 0.3 {
            let at = opened - MINUTE * (2 + (u_chat_minutes * 28.0) as i64);
            self.touch(&who.id, at, SUPPORT_CHANNEL, None, "chat", SERVICE);
        }
        self.touch(&who.id, opened, SUPPORT_CHANNEL, None, "ticket", SERVICE);
    }

    /// Relative volume of month `m` on the growth curve (about 1 on average).
    fn growth(&self, m: usize) -> f64 {
        let mid = (self.tl.month_start(m) + self.tl.month_end(m)) / 2 - self.tl.start;
        let x = mid as f64 / self.tl.span() as f64;
        GROWTH.powf(x) * GROWTH.ln() / (GROWTH - 1.0)
    }

    fn spend_row(
        &mut self,
        m: usize,
        channel: &str,
        campaign: Option<&str>,
        dollars: f64,
        team: &str,
    ) {
        let amount = (dollars.round() as i64) * 100;
        if amount <= 0 {
            return;
        }
        let start = self.tl.month_start(m);
        let last_day = self.tl.month_end(m).min(self.tl.end) - DAY;
        let mut rec = self.out.blank(RecordKind::Spend);
        rec.set("period_start", Value::Text(date_text(start)));
        rec.set("period_end", Value::Text(date_text(last_day.max(start))));
        rec.set("channel", text(channel));
        rec.set("campaign", opt_text(campaign));
        rec.set("amount", Value::Int(amount));
        rec.set("currency", text(CURRENCY));
        rec.set("team", text(team));
        self.out.send_derived(rec);
    }

    /// Monthly spend: marketing per channel and campaign (a fixed budget plus a cost per
    /// lead actually produced), and the sales teams (channel `sales`, team sales).
    fn spend(&mut self) {
        let mut r = Rng::stream(self.seed, TAG_SPEND, 0);
        for m in 0..self.tl.history_months() {
            let growth = self.growth(m);
            for (c, ch) in CHANNELS.iter().enumerate() {
                if ch.base_monthly == 0.0 && ch.cost_per_lead == 0.0 {
                    continue;
                }
                let slots = ch.campaigns.len().max(1);
                let active = if ch.rotating {
                    m % slots..m % slots + 1
                } else {
                    0..slots
                };
                let share = 1.0 / active.len() as f64;
                for s in active {
                    let leads = f64::from(self.stats.leads[self.stats.lead_cell(c, s, m)]);
                    let noise = r.lognormal(1.0, 0.08);
                    let dollars = (ch.base_monthly * self.scale * growth * share
                        + leads * ch.cost_per_lead)
                        * noise;
                    let campaign = ch.campaigns.get(s).copied();
                    self.spend_row(m, ch.name, campaign, dollars, MARKETING);
                }
            }
            for seg in 0..3 {
                let opportunities = f64::from(self.stats.opportunities[m][seg]);
                let dollars = (SALES_TEAM_MONTHLY[seg] * self.scale * growth
                    + opportunities * SALES_COST_PER_OPPORTUNITY[seg])
                    * r.lognormal(1.0, 0.04);
                self.spend_row(m, SALES_CHANNEL, Some(SALES_TEAMS[seg]), dollars, SALES);
            }
            let sdr = (8_000.0 * self.scale * growth + f64::from(self.stats.mql[m]) * 60.0)
                * r.lognormal(1.0, 0.04);
            self.spend_row(m, SALES_CHANNEL, Some("SDR team"), sdr, SALES);
        }
    }

    fn target(&mut self, period: &str, metric: &str, value: String, segment: Option<&str>) {
        let mut rec = self.out.blank(RecordKind::Targets);
        rec.set("period", text(period));
        rec.set("metric", text(metric));
        rec.set("value", Value::Text(value));
        rec.set("segment", opt_text(segment));
        self.out.send_derived(rec);
    }

    /// Targets as a plan would set them: a little above the trend of the actuals, for
    /// the last 18 months and the next 3.
    fn targets(&mut self) {
        let h = self.stats.months;
        if h == 0 {
            return;
        }
        let ahead = 3;
        let from = h.saturating_sub(18);
        // Each monthly series extended by a projection of its last three months.
        let extend = |values: Vec<f64>| -> Vec<f64> {
            let tail = &values[h.saturating_sub(3)..];
            let base = tail.iter().sum::<f64>() / tail.len() as f64;
            let mut all = values;
            all.extend((1..=ahead).map(|k| base * 1.03f64.powi(k as i32)));
            all
        };
        let revenue = extend(
            self.stats
                .revenue
                .iter()
                .map(|r| r.iter().sum::<i64>() as f64 / 100.0)
                .collect(),
        );
        let segment_revenue: Vec<Vec<f64>> = (0..3)
            .map(|s| {
                extend(
                    self.stats
                        .revenue
                        .iter()
                        .map(|r| r[s] as f64 / 100.0)
                        .collect(),
                )
            })
            .collect();
        let mql = extend(self.stats.mql.iter().map(|v| f64::from(*v)).collect());
        let customers = extend(
            self.stats
                .new_customers
                .iter()
                .map(|v| f64::from(*v))
                .collect(),
        );
        let pipeline = extend(
            self.stats
                .pipeline
                .iter()
                .map(|v| *v as f64 / 100.0)
                .collect(),
        );

        for m in from..h + ahead {
            let (y, mo) = self.tl.label(m);
            let period = format!("{y:04}-{mo:02}");
            // Smoothed over the neighbouring months, then the stretch.
            let lo = m.saturating_sub(1);
            let hi = (m + 1).min(h + ahead - 1);
            let smooth = |s: &[f64]| s[lo..=hi].iter().sum::<f64>() / (hi - lo + 1) as f64;
            let rev = (smooth(&revenue) * 1.07 / 1_000.0).round() * 1_000.0;
            if rev > 0.0 {
                self.target(&period, "revenue", decimal_text(rev, 0), None);
            }
            let leads = (smooth(&mql) * 1.05).round();
            if leads > 0.0 {
                self.target(&period, "mql", decimal_text(leads, 0), None);
            }
        }

        // Quarters that start within the range.
        let mut m = from;
        while m < h + ahead {
            let (y, mo) = self.tl.label(m);
            let q = (mo - 1) / 3 + 1;
            let months_left = (3 - (mo - 1) % 3) as usize;
            let stop = (m + months_left).min(h + ahead);
            let period = format!("{y:04}-Q{q}");
            // Only whole quarters get a target.
            if (mo - 1) % 3 == 0 && stop - m == 3 {
                let sum = |s: &[f64]| s[m..stop].iter().sum::<f64>();
                let nc = (sum(&customers) * 1.1).round().max(1.0);
                self.target(&period, "new_customers", decimal_text(nc, 0), None);
                let pipe = (sum(&pipeline) * 1.1 / 1_000.0).round() * 1_000.0;
                if pipe > 0.0 {
                    self.target(&period, "pipeline", decimal_text(pipe, 0), None);
                }
                if m + 12 >= h {
                    for (s, series) in segment_revenue.iter().enumerate() {
                        let v = (sum(series) * 1.08 / 1_000.0).round() * 1_000.0;
                        if v > 0.0 {
                            self.target(&period, "revenue", decimal_text(v, 0), Some(SEGMENTS[s]));
                        }
                    }
                }
            }
            m = stop;
        }

        // Yearly rates.
        let first_year = self.tl.label(from).0;
        let last_year = self.tl.label(h + ahead - 1).0;
        for y in first_year..=last_year {
            let period = format!("{y:04}");
            self.target(&period, "win_rate", "0.35".into(), None);
            self.target(&period, "nrr", "1.05".into(), None);
            self.target(&period, "conversion:mql->sql", "0.5".into(), None);
            self.target(&period, "conversion:sql->opportunity", "0.55".into(), None);
        }
    }

    /// Reference rates for EUR and GBP on the first day of the last six months.
    fn fx_rates(&mut self) {
        let mut r = Rng::stream(self.seed, TAG_FX, 0);
        let h = self.tl.history_months();
        for (code, mut rate) in [("EUR", 1.085), ("GBP", 1.27)] {
            for m in h.saturating_sub(6)..h {
                rate *= r.lognormal(1.0, 0.012);
                let mut rec = self.out.blank(RecordKind::FxRates);
                rec.set("date", Value::Text(date_text(self.tl.month_start(m))));
                rec.set("currency", text(code));
                rec.set("rate", Value::Text(decimal_text(rate, 4)));
                self.out.send_derived(rec);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn company_domains_are_distinct() {
        let mut seen = HashSet::new();
        for i in 0..70_000 {
            let (_, domain) = company(i, 0);
            assert!(seen.insert(domain.clone()), "{domain} twice");
            assert!(
                domain
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.')
            );
        }
    }

    #[test]
    fn bad_tickets_count_within_a_window() {
        let mut b = BadTickets::new();
        for t in [10, 20, 30] {
            b.push(t);
        }
        assert_eq!(b.within(15, 30), 2);
        assert_eq!(b.within(30, 40), 0);
    }
}
