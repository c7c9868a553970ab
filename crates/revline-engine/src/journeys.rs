//! One person's or one account's whole timeline: touches of every team, stage entries,
//! deals and their stages, revenue and service tickets, in time order.
//!
//! A journey is told in two steps so that contact shards can tell theirs apart: `part`
//! gives the events of the subject's contacts held here and of the shared records
//! (deals, revenue, tickets) whose contact is held here; `finish` puts the parts of
//! every shard together. The order is by time, then by what each event says, so that
//! it does not depend on which shard told which event.

use crate::query::{NotFound, SubjectId};
use crate::shard::Owned;
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot};
use crate::window::major;
use revline_core::time::format_timestamp;
use serde::{Deserialize, Deserializer, Serialize};

/// Whose journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Contact(u32),
    Account(u32),
}

/// The subject `id` names in `s`: a loaded contact or account.
pub fn resolve(s: &Snapshot, id: &SubjectId) -> Result<Subject, NotFound> {
    match id {
        SubjectId::Account(id) => s
            .accounts
            .ids
            .get(id)
            .filter(|&a| s.accounts.loaded[a as usize])
            .map(Subject::Account),
        SubjectId::Contact(id) => s
            .contact_ids
            .iter()
            .position(|c| c == id)
            .filter(|&c| s.contact.loaded[c])
            .map(|c| Subject::Contact(c as u32)),
    }
    .ok_or_else(|| missing(id))
}

/// The answer for a subject the workspace does not have.
pub fn missing(id: &SubjectId) -> NotFound {
    NotFound(match id {
        SubjectId::Account(id) => format!("no account with id '{id}'"),
        SubjectId::Contact(id) => format!("no contact with id '{id}'"),
    })
}

/// One of a fixed set of names. An alias, because serde's derive reads a `&'static
/// str` field as borrowed from the input, which a shard's bytes are not; the names are
/// looked up instead (`event_name`, `team_name`).
pub type Name = &'static str;

const EVENTS: [&str; 10] = [
    "created",
    "touchpoint",
    "stage",
    "deal_created",
    "deal_stage",
    "deal_won",
    "deal_lost",
    "revenue",
    "ticket_opened",
    "ticket_resolved",
];
const TEAMS: [&str; 3] = ["marketing", "sales", "service"];

/// An event's name read back from a shard, as the one of `EVENTS` it is.
fn event_name<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let name = String::deserialize(d)?;
    EVENTS
        .into_iter()
        .find(|e| *e == name)
        .ok_or_else(|| serde::de::Error::custom(format!("no event '{name}'")))
}

fn team_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(name) => TEAMS
            .into_iter()
            .find(|t| *t == name)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("no team '{name}'"))),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: String,
    /// Not in the report; a shard sends it beside the event (`JourneyPart`).
    #[serde(skip)]
    pub at_ms: i64,
    /// created, touchpoint, stage, deal_created, deal_stage, deal_won, deal_lost,
    /// revenue, ticket_opened, ticket_resolved.
    #[serde(deserialize_with = "event_name")]
    pub event: Name,
    /// marketing, sales or service where the event is a team's work.
    #[serde(deserialize_with = "team_name")]
    pub team: Option<Name>,
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

/// The events of one computation's share of a journey, and the subject's contacts it
/// holds (each with its index in the workspace).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneyPart {
    pub contacts: Vec<(u32, String)>,
    /// Each event with its instant (`Event::at_ms`, which the report leaves out).
    pub events: Vec<(i64, Event)>,
}

impl JourneyPart {
    pub fn merge(mut self, other: JourneyPart) -> JourneyPart {
        self.contacts.extend(other.contacts);
        self.events.extend(other.events);
        self
    }
}

/// The whole journey of `subject` in `s`.
pub fn journey(s: &Snapshot, subject: Subject) -> JourneyReport {
    let id = match subject {
        Subject::Contact(c) => SubjectId::Contact(s.contact_ids[c as usize].clone()),
        Subject::Account(a) => SubjectId::Account(s.accounts.ids.list[a as usize].clone()),
    };
    finish(s, &id, part(s, Some(subject), Owned::Whole))
}

/// The share of the journey of `subject` that the contacts of `s` make (`owned` saying
/// which they are): their own records, and the shared records whose contact is one of
/// them (or, for records without a contact, that `s` holds those). `None`: the subject
/// is a contact held elsewhere.
pub fn part(s: &Snapshot, subject: Option<Subject>, owned: Owned<'_>) -> JourneyPart {
    let Some(subject) = subject else {
        return JourneyPart::default();
    };
    let (members, account): (Vec<u32>, u32) = match subject {
        Subject::Contact(c) => (vec![c], NONE),
        Subject::Account(a) => (
            (0..s.contacts() as u32)
                .filter(|&c| s.contact.account[c as usize] == a)
                .collect(),
            a,
        ),
    };
    // Shared records name contacts by their index in the workspace.
    let workspace: Vec<u32> = members.iter().map(|&c| owned.global(c)).collect();
    let is_member = |c: u32| c != NONE && workspace.contains(&c);
    let mine = |acc: u32, c: u32| is_member(c) || (account != NONE && acc == account);
    let local_id = |c: u32| (c != NONE).then(|| s.contact_ids[c as usize].clone());
    // A shared record is told by the shard holding its contact: its id is known there.
    let held = |c: u32| owned.local(c).map(local_id);
    let mut events = Vec::new();
    for &c in &members {
        let at = s.contact.created_at[c as usize];
        if at != NEVER {
            let mut e = Event::new(at, "created");
            e.contact = local_id(c);
            events.push(e);
        }
        let t = &s.touchpoints;
        for i in s.touches_of(c as usize) {
            let mut e = Event::new(t.at[i], "touchpoint");
            e.team = Some(t.team[i].name());
            e.contact = local_id(c);
            e.channel = opt_name(s, t.channel[i]);
            e.campaign = opt_name(s, t.campaign[i]);
            e.kind = opt_name(s, t.kind[i]);
            events.push(e);
        }
    }
    for &(c, stage, at) in &s.stage_rows {
        if c != NONE && members.contains(&c) {
            let mut e = Event::new(at, "stage");
            e.contact = local_id(c);
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
        let Some(contact) = held(d.contact[i]) else {
            continue;
        };
        my_deals[i] = true;
        let amount = d.has_amount[i].then(|| major(s, d.amount[i] as f64));
        let mut e = Event::new(d.created_at[i], "deal_created");
        e.team = Some("sales");
        e.contact = contact.clone();
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
            e.contact = contact;
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
        if !mine(r.account[i], r.contact[i]) {
            continue;
        }
        if let Some(contact) = held(r.contact[i]) {
            let mut e = Event::new(r.at[i], "revenue");
            e.contact = contact;
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
        let Some(contact) = held(tk.contact[i]) else {
            continue;
        };
        if tk.opened_at[i] != NEVER {
            let mut e = Event::new(tk.opened_at[i], "ticket_opened");
            e.team = Some("service");
            e.contact = contact.clone();
            e.kind = opt_name(s, tk.category[i]);
            events.push(e);
        }
        if tk.resolved_at[i] != NEVER {
            let mut e = Event::new(tk.resolved_at[i], "ticket_resolved");
            e.team = Some("service");
            e.contact = contact;
            e.kind = opt_name(s, tk.category[i]);
            e.csat = (tk.csat[i] > 0).then_some(tk.csat[i]);
            events.push(e);
        }
    }
    JourneyPart {
        contacts: members
            .iter()
            .zip(&workspace)
            .map(|(&c, &g)| (g, s.contact_ids[c as usize].clone()))
            .collect(),
        events: events.into_iter().map(|e| (e.at_ms, e)).collect(),
    }
}

/// The journey of `subject` from every share of it; `shared` gives the currency.
pub fn finish(shared: &Snapshot, subject: &SubjectId, part: JourneyPart) -> JourneyReport {
    let mut contacts = part.contacts;
    contacts.sort_unstable_by_key(|c| c.0);
    let mut events: Vec<Event> = part
        .events
        .into_iter()
        .map(|(at, mut e)| {
            e.at_ms = at;
            e
        })
        .collect();
    // Time order; at one instant, the order the journey is told in, then what the
    // events say (events alike in all of it are interchangeable).
    events.sort_by(|a, b| {
        (a.at_ms, rank(a.event), &a.contact, &a.deal, &a.stage)
            .cmp(&(b.at_ms, rank(b.event), &b.contact, &b.deal, &b.stage))
            .then_with(|| {
                (&a.channel, &a.campaign, &a.kind).cmp(&(&b.channel, &b.campaign, &b.kind))
            })
            .then_with(|| (a.team, a.csat).cmp(&(b.team, b.csat)))
            .then_with(|| {
                let amount = |e: &Event| e.amount.unwrap_or(f64::NEG_INFINITY);
                amount(a).total_cmp(&amount(b))
            })
    });
    JourneyReport {
        subject: match subject {
            SubjectId::Contact(_) => "contact",
            SubjectId::Account(_) => "account",
        },
        id: match subject {
            SubjectId::Contact(id) | SubjectId::Account(id) => id.clone(),
        },
        contacts: contacts.into_iter().map(|c| c.1).collect(),
        currency: shared.currency.code().to_string(),
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
