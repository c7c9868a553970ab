//! One person's or one account's whole timeline: touches of every team, stage entries,
//! deals and their stages, revenue and service tickets, in time order.

use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot};
use crate::window::major;
use revline_core::time::format_timestamp;
use serde::Serialize;

/// Whose journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Contact(u32),
    Account(u32),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub at: String,
    #[serde(skip)]
    pub at_ms: i64,
    /// created, touchpoint, stage, deal_created, deal_stage, deal_won, deal_lost,
    /// revenue, ticket_opened, ticket_resolved.
    pub event: &'static str,
    /// marketing, sales or service where the event is a team's work.
    pub team: Option<&'static str>,
    pub contact: Option<String>,
    pub channel: Option<String>,
    pub campaign: Option<String>,
    /// Touchpoint kind, revenue kind or ticket category.
    pub kind: Option<String>,
    pub stage: Option<String>,
    pub deal: Option<String>,
    pub amount: Option<f64>,
    pub csat: Option<u8>,
}

impl Event {
    fn new(at: i64, event: &'static str) -> Event {
        Event {
            at: format_timestamp(at),
            at_ms: at,
            event,
            team: None,
            contact: None,
            channel: None,
            campaign: None,
            kind: None,
            stage: None,
            deal: None,
            amount: None,
            csat: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyReport {
    /// `contact` or `account`.
    pub subject: &'static str,
    pub id: String,
    pub contacts: Vec<String>,
    pub currency: String,
    pub events: Vec<Event>,
}

fn opt_name(s: &Snapshot, i: u32) -> Option<String> {
    (i != NONE).then(|| s.names.name(i).to_string())
}

pub fn journey(s: &Snapshot, subject: Subject) -> JourneyReport {
    let (kind, id, members): (&'static str, String, Vec<u32>) = match subject {
        Subject::Contact(c) => ("contact", s.contact_ids[c as usize].clone(), vec![c]),
        Subject::Account(a) => (
            "account",
            s.accounts.ids.list[a as usize].clone(),
            (0..s.contacts() as u32)
                .filter(|&c| s.contact.account[c as usize] == a)
                .collect(),
        ),
    };
    let account = match subject {
        Subject::Account(a) => a,
        Subject::Contact(_) => NONE,
    };
    let is_member = |c: u32| c != NONE && members.contains(&c);
    let mine = |acc: u32, c: u32| is_member(c) || (account != NONE && acc == account);
    let cid = |c: u32| (c != NONE).then(|| s.contact_ids[c as usize].clone());
    let mut events = Vec::new();
    for &c in &members {
        let at = s.contact.created_at[c as usize];
        if at != NEVER {
            let mut e = Event::new(at, "created");
            e.contact = cid(c);
            events.push(e);
        }
        let t = &s.touchpoints;
        for i in s.touches_of(c as usize) {
            let mut e = Event::new(t.at[i], "touchpoint");
            e.team = Some(t.team[i].name());
            e.contact = cid(c);
            e.channel = opt_name(s, t.channel[i]);
            e.campaign = opt_name(s, t.campaign[i]);
            e.kind = opt_name(s, t.kind[i]);
            events.push(e);
        }
    }
    for &(c, stage, at) in &s.stage_rows {
        if is_member(c) {
            let mut e = Event::new(at, "stage");
            e.contact = cid(c);
            e.stage = opt_name(s, stage);
            events.push(e);
        }
    }
    let d = &s.deals;
    let deal_label = |i: usize| Some(d.ids.list[i].clone());
    let mut my_deals = vec![false; d.status.len()];
    for i in 0..d.status.len() {
        if d.status[i] == DealStatus::Unknown || !mine(d.account[i], d.contact[i]) {
            continue;
        }
        my_deals[i] = true;
        let amount = d.has_amount[i].then(|| major(s, d.amount[i] as f64));
        let mut e = Event::new(d.created_at[i], "deal_created");
        e.team = Some("sales");
        e.contact = cid(d.contact[i]);
        e.deal = deal_label(i);
        e.amount = amount;
        events.push(e);
        if d.closed_at[i] != NEVER {
            let name = if d.status[i] == DealStatus::Won {
                "deal_won"
            } else {
                "deal_lost"
            };
            let mut e = Event::new(d.closed_at[i], name);
            e.team = Some("sales");
            e.contact = cid(d.contact[i]);
            e.deal = deal_label(i);
            e.amount = amount;
            events.push(e);
        }
    }
    let ds = &s.deal_stages;
    for i in 0..ds.at.len() {
        if my_deals[ds.deal[i] as usize] {
            let mut e = Event::new(ds.at[i], "deal_stage");
            e.team = Some("sales");
            e.deal = deal_label(ds.deal[i] as usize);
            e.stage = opt_name(s, ds.stage[i]);
            events.push(e);
        }
    }
    let r = &s.revenue;
    for i in 0..r.at.len() {
        if mine(r.account[i], r.contact[i]) {
            let mut e = Event::new(r.at[i], "revenue");
            e.contact = cid(r.contact[i]);
            e.deal = (r.deal[i] != NONE).then(|| d.ids.list[r.deal[i] as usize].clone());
            e.kind = opt_name(s, r.kind[i]);
            e.amount = Some(major(s, r.amount[i] as f64));
            events.push(e);
        }
    }
    let tk = &s.tickets;
    for i in 0..tk.ids.len() {
        if !mine(tk.account[i], tk.contact[i]) {
            continue;
        }
        if tk.opened_at[i] != NEVER {
            let mut e = Event::new(tk.opened_at[i], "ticket_opened");
            e.team = Some("service");
            e.contact = cid(tk.contact[i]);
            e.kind = opt_name(s, tk.category[i]);
            events.push(e);
        }
        if tk.resolved_at[i] != NEVER {
            let mut e = Event::new(tk.resolved_at[i], "ticket_resolved");
            e.team = Some("service");
            e.contact = cid(tk.contact[i]);
            e.kind = opt_name(s, tk.category[i]);
            e.csat = (tk.csat[i] > 0).then_some(tk.csat[i]);
            events.push(e);
        }
    }
    // Time order; at one instant, the order the journey is told in.
    events.sort_by_key(|e| (e.at_ms, rank(e.event)));
    JourneyReport {
        subject: kind,
        id,
        contacts: members
            .iter()
            .map(|&c| s.contact_ids[c as usize].clone())
            .collect(),
        currency: s.currency.code().to_string(),
        events,
    }
}

fn rank(event: &str) -> u8 {
    match event {
        "created" => 0,
        "touchpoint" => 1,
        "stage" => 2,
        "deal_created" => 3,
        "deal_stage" => 4,
        "deal_won" | "deal_lost" => 5,
        "revenue" => 6,
        "ticket_opened" => 7,
        _ => 8,
    }
}
