//! Account-based journeys (`--account-based`): a conversion's journey gathers the
//! touches of every person of its account, and those people may sit in several contact
//! shards. So the journeys are collected in two rounds, which one process runs the same
//! way over its whole snapshot:
//!
//! 1. `conversions`: each shard lists its contacts' stage conversions that belong to an
//!    account, and which of the accounts the deal conversions name have people here.
//!    (Deals are in the shared tables, which every shard reads whole.)
//! 2. `journeys`: told which accounts have people anywhere (`Ask`), each shard sends the
//!    conversions it owns, its people's touches for every conversion of their account,
//!    and the paths of its contacts that did not convert.
//!
//! The client puts each conversion's touches together (`finish`): sorted by time and
//! channel when the account has more than one person, as one process gathers them.

use super::{AttributionQuery, Conversion, Journey, Journeys, Touch, paid_since, touches_in};
use crate::markov::{NullCounter, NullPaths};
use crate::shard::Owned;
use crate::slice::Scope;
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot, Team};
use revline_core::time::MILLIS_PER_DAY;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A stage conversion whose journey gathers its account's people: the contact's index
/// in the workspace (the journey's place in the report), its account and when.
pub type StageConversion = (u64, u32, i64);

/// Round one, of one shard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversionsPartial {
    pub stage: Vec<StageConversion>,
    /// The accounts that deal conversions name with people here, ascending.
    pub peopled: Vec<u32>,
}

impl ConversionsPartial {
    pub fn merge(mut self, other: ConversionsPartial) -> ConversionsPartial {
        self.stage.extend(other.stage);
        self.peopled.extend(other.peopled);
        self
    }

    /// What every shard is asked in round two.
    pub fn into_ask(mut self) -> Ask {
        self.stage.sort_unstable();
        self.peopled.sort_unstable();
        self.peopled.dedup();
        Ask {
            stage: self.stage,
            peopled: self.peopled,
        }
    }
}

/// Round two's question: the stage conversions that gather an account's people, and the
/// accounts named by deal conversions that have people in some shard (a deal whose
/// account has none is its own contact's journey, as in one process).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ask {
    pub stage: Vec<StageConversion>,
    pub peopled: Vec<u32>,
}

/// One person's or several people's touches for a conversion: its key, how many of
/// the account's people this shard holds, and their touches in the lookback.
type Gathered = (u64, u32, Vec<Touch>);

/// Round two, of one shard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneysPartial {
    /// The conversions this shard owns (a deal's with its contact, a deal without one
    /// with the first shard, a stage entry with its contact), each with whether its
    /// touches are gathered from the account's people (else they are given here).
    pub owned: Vec<(u64, Journey, bool)>,
    pub gathered: Vec<Gathered>,
    pub nulls: NullPaths,
}

impl JourneysPartial {
    pub fn merge(mut self, other: JourneysPartial) -> JourneysPartial {
        self.owned.extend(other.owned);
        self.gathered.extend(other.gathered);
        self.nulls = self.nulls.merge(other.nulls);
        self
    }

    /// The journeys in the whole snapshot's order, each with its account's touches.
    pub fn finish(self) -> Journeys {
        let mut people: HashMap<u64, (u32, Vec<Touch>)> = HashMap::new();
        for (key, count, touches) in self.gathered {
            let entry = people.entry(key).or_default();
            entry.0 += count;
            entry.1.extend(touches);
        }
        let mut owned = self.owned;
        owned.sort_by_key(|(key, _, _)| *key);
        let converting = owned
            .into_iter()
            .map(|(key, mut journey, gathered)| {
                if gathered && let Some((count, mut touches)) = people.remove(&key) {
                    if count > 1 {
                        touches.sort_by_key(|x| (x.at, x.channel));
                    }
                    journey.touches = touches;
                }
                journey
            })
            .collect();
        Journeys {
            converting,
            nulls: self.nulls,
        }
    }
}

/// The account-based journeys of the whole snapshot: both rounds in one process.
pub fn journeys(s: &Snapshot, scope: &Scope<'_>, q: &AttributionQuery) -> Journeys {
    let ask = conversions(s, scope, q, Owned::Whole).into_ask();
    journeys_of(s, scope, q, &ask, Owned::Whole).finish()
}

/// A deal conversion up to the as-of time: the deal, when, and the account whose
/// people make its journey (the deal's, else its contact's; `NONE` for neither).
fn deal_conversions<'s>(
    s: &'s Snapshot,
    scope: &'s Scope<'_>,
    q: &'s AttributionQuery,
) -> impl Iterator<Item = (usize, i64, u32)> + 's {
    let d = &s.deals;
    let won = q.conversion == Conversion::Won;
    let deals = match q.conversion {
        Conversion::Won | Conversion::Created => d.status.len(),
        Conversion::Stage(_) => 0,
    };
    (0..deals).filter_map(move |i| {
        if d.status[i] == DealStatus::Unknown || !scope.deal(i) {
            return None;
        }
        let at = if won {
            if d.status[i] != DealStatus::Won {
                return None;
            }
            d.closed_at[i]
        } else {
            d.created_at[i]
        };
        (at <= q.window.as_of).then(|| (i, at, s.unit_account(d.unit[i])))
    })
}

/// A stage conversion of a contact here, up to the as-of time: the contact and when.
fn stage_conversions<'s>(
    s: &'s Snapshot,
    scope: &'s Scope<'_>,
    q: &'s AttributionQuery,
) -> impl Iterator<Item = (usize, i64)> + 's {
    let k = s.stages.len();
    let stage = match &q.conversion {
        Conversion::Stage(name) => s.stage_index(name),
        _ => None,
    };
    let contacts = if stage.is_some() { s.contacts() } else { 0 };
    (0..contacts).filter_map(move |c| {
        let at = s.entered[c * k + stage?];
        (at != NEVER && at <= q.window.as_of && scope.contact(c)).then_some((c, at))
    })
}

/// The contacts here of each account.
fn people_here(s: &Snapshot) -> HashMap<u32, Vec<u32>> {
    let mut people: HashMap<u32, Vec<u32>> = HashMap::new();
    for c in 0..s.contacts() {
        let a = s.contact.account[c];
        if a != NONE {
            people.entry(a).or_default().push(c as u32);
        }
    }
    people
}

/// Round one over the contacts `owned` names.
pub fn conversions(
    s: &Snapshot,
    scope: &Scope<'_>,
    q: &AttributionQuery,
    owned: Owned<'_>,
) -> ConversionsPartial {
    let accounts_here: HashSet<u32> = s
        .contact
        .account
        .iter()
        .copied()
        .filter(|&a| a != NONE)
        .collect();
    let mut peopled: Vec<u32> = deal_conversions(s, scope, q)
        .map(|(_, _, a)| a)
        .filter(|a| accounts_here.contains(a))
        .collect();
    peopled.sort_unstable();
    peopled.dedup();
    let stage = stage_conversions(s, scope, q)
        .filter(|&(_, at)| q.window.contains(at))
        .filter_map(|(c, at)| {
            let a = s.contact.account[c];
            (a != NONE).then(|| (u64::from(owned.global(c as u32)), a, at))
        })
        .collect();
    ConversionsPartial { stage, peopled }
}

/// Round two over the contacts `owned` names.
pub fn journeys_of(
    s: &Snapshot,
    scope: &Scope<'_>,
    q: &AttributionQuery,
    ask: &Ask,
    owned: Owned<'_>,
) -> JourneysPartial {
    let w = &q.window;
    let lookback = (q.lookback_days * MILLIS_PER_DAY as f64) as i64;
    let k = s.stages.len();
    let mql = s.stage_index("mql");
    let mql_of = |c: u32| match mql {
        Some(m) if c != NONE => s.entered[c as usize * k + m],
        _ => NEVER,
    };
    let people = people_here(s);
    let touches_of = |who: &[u32], at: i64| touches_in(s, who, at - lookback, at, q);
    let mut out = JourneysPartial::default();
    let mut converted = vec![false; s.contacts()];
    let d = &s.deals;
    for (i, at, account) in deal_conversions(s, scope, q) {
        let peopled = account != NONE && ask.peopled.binary_search(&account).is_ok();
        let contact = owned.local(d.contact[i]);
        if peopled {
            if let Some(here) = people.get(&account) {
                for &c in here {
                    converted[c as usize] = true;
                }
                if w.contains(at) {
                    out.gathered
                        .push((i as u64, here.len() as u32, touches_of(here, at)));
                }
            }
        } else if let Some(c) = contact.filter(|&c| c != NONE) {
            converted[c as usize] = true;
        }
        // The deal's own shard tells the conversion.
        let Some(contact) = contact else { continue };
        if !w.contains(at) {
            continue;
        }
        let touches = if peopled || contact == NONE {
            Vec::new()
        } else {
            touches_of(&[contact], at)
        };
        let journey = Journey {
            touches,
            converted_at: at,
            value: d.amount[i],
            mql_at: mql_of(contact),
            deal_at: d.created_at[i],
            retained: paid_since(s, d.unit[i], at, w.as_of),
        };
        out.owned.push((i as u64, journey, peopled));
    }
    for (c, at) in stage_conversions(s, scope, q) {
        converted[c] = true;
        if !w.contains(at) {
            continue;
        }
        let account = s.contact.account[c];
        // A contact's own customer unit comes after the accounts, by its workspace index.
        let unit = match account {
            NONE => s.accounts.ids.len() as u32 + owned.global(c as u32),
            a => a,
        };
        let journey = Journey {
            touches: if account == NONE {
                touches_of(&[c as u32], at)
            } else {
                Vec::new()
            },
            converted_at: at,
            value: 0,
            mql_at: mql_of(c as u32),
            deal_at: at,
            retained: paid_since(s, unit, at, w.as_of),
        };
        out.owned
            .push((u64::from(owned.global(c as u32)), journey, account != NONE));
    }
    for &(key, account, at) in &ask.stage {
        if let Some(here) = people.get(&account) {
            out.gathered
                .push((key, here.len() as u32, touches_of(here, at)));
        }
    }
    out.nulls = null_paths(s, scope, q, &converted);
    out
}

/// The paths of the contacts here that did not convert, with touchpoints in the window.
pub(super) fn null_paths(
    s: &Snapshot,
    scope: &Scope<'_>,
    q: &AttributionQuery,
    converted: &[bool],
) -> NullPaths {
    let w = &q.window;
    let t = &s.touchpoints;
    let none = s.names.len() as u32;
    let mut nulls = NullCounter::new(q.order);
    let mut path: Vec<u32> = Vec::new();
    for c in 0..s.contacts() {
        if converted[c] || !scope.contact(c) {
            continue;
        }
        path.clear();
        path.extend(
            s.touches_of(c)
                .filter(|&i| w.contains(t.at[i]))
                .filter(|&i| !q.marketing_only || t.team[i] == Team::Marketing)
                .map(|i| {
                    if q.by_campaign {
                        t.campaign[i]
                    } else {
                        t.channel[i]
                    }
                })
                .map(|x| if x == NONE { none } else { x }),
        );
        nulls.add(&path);
    }
    nulls.finish()
}
