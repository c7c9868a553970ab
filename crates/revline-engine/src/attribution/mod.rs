//! Attribution of conversions and their value to channels (metrics.md "Attribution"):
//! the rule-based models and the exact, data-driven Markov model, side by side, over the
//! workspace's journeys or over a file of aggregated paths.

use crate::funnel::Period;
pub use crate::markov::{MarkovResult, NullPaths, markov};
mod accounts;

use crate::markov::markov_with;
use crate::scorecard::{SpendOf, spend_in};
use crate::shard::Owned;
use crate::slice::Scope;
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot, Team};
use crate::window::{Window, major};
pub use accounts::{
    Ask, ConversionsPartial, JourneysPartial, conversions as account_conversions,
    journeys_of as account_journeys_of,
};
use revline_core::time::MILLIS_PER_DAY;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// The channel of a journey without touchpoints.
pub const NO_CHANNEL: &str = "(none)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    FirstTouch,
    LastTouch,
    Linear,
    TimeDecay,
    PositionBased,
    WShaped,
    Markov,
}

impl Model {
    pub const ALL: [Model; 7] = [
        Model::FirstTouch,
        Model::LastTouch,
        Model::Linear,
        Model::TimeDecay,
        Model::PositionBased,
        Model::WShaped,
        Model::Markov,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Model::FirstTouch => "first_touch",
            Model::LastTouch => "last_touch",
            Model::Linear => "linear",
            Model::TimeDecay => "time_decay",
            Model::PositionBased => "position_based",
            Model::WShaped => "w_shaped",
            Model::Markov => "markov",
        }
    }

    pub fn parse(s: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.name() == s.trim())
    }

    /// Whether the model needs touch times and key moments, which aggregated paths lack.
    pub fn needs_times(self) -> bool {
        matches!(self, Model::TimeDecay | Model::WShaped)
    }
}

/// What counts as a conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Conversion {
    /// A won deal at its close, valued at its amount (the default).
    Won,
    /// A deal created (pipeline), valued at its amount.
    Created,
    /// A contact entering a stage, value 0.
    Stage(String),
}

impl Conversion {
    pub fn parse(s: &str) -> Option<Conversion> {
        match s.trim() {
            "won" => Some(Conversion::Won),
            "created" => Some(Conversion::Created),
            other => other
                .strip_prefix("stage:")
                .filter(|n| !n.is_empty())
                .map(|n| Conversion::Stage(revline_core::normalize::snake_case(n))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionQuery {
    pub window: Window,
    pub conversion: Conversion,
    pub lookback_days: f64,
    /// Half-life of the time-decay model, in days.
    pub half_life_days: f64,
    /// Journeys of every contact of the converting contact's account.
    pub account_based: bool,
    /// Markov order, 1 to 4.
    pub order: usize,
    /// Credit campaigns instead of channels.
    pub by_campaign: bool,
    /// Only marketing's touches make up journeys: sales calls and service contacts are
    /// left out, so that the models credit marketing's channels for what they began.
    pub marketing_only: bool,
}

/// One touch of a journey.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Touch {
    pub channel: u32,
    pub at: i64,
}

/// A converting journey: its touches in time order and what the rules need to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    pub touches: Vec<Touch>,
    pub converted_at: i64,
    /// Minor units.
    pub value: i64,
    /// When the contact entered `mql` and when the deal was created (w_shaped).
    pub mql_at: i64,
    pub deal_at: i64,
    /// What the converted customer unit paid from the conversion up to the as-of time
    /// (minor units): the revenue the journey's channels brought and kept.
    pub retained: i64,
}

/// The journeys of a window: converting ones, and the channel paths of contacts that did
/// not convert by the as-of time, counted as the Markov model of the query's order
/// takes them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Journeys {
    pub converting: Vec<Journey>,
    pub nulls: NullPaths,
}

fn touches_in(
    s: &Snapshot,
    contacts: &[u32],
    from: i64,
    to: i64,
    q: &AttributionQuery,
) -> Vec<Touch> {
    let by_campaign = q.by_campaign;
    let t = &s.touchpoints;
    // A touch without a campaign is credited to the `(none)` slot past every name.
    let none = s.names.len() as u32;
    let mut out: Vec<Touch> = Vec::new();
    let k = s.stages.len();
    for &c in contacts {
        // A contact without a touch up to its lead entry came by its source: a touch
        // on that channel at the lead entry (metrics.md). Campaigns have no such touch.
        let source = s.contact.source_channel[c as usize];
        let lead_at = s.entered[c as usize * k];
        if !by_campaign && source != NONE && lead_at >= from && lead_at <= to {
            out.push(Touch {
                channel: source,
                at: lead_at,
            });
        }
        for i in s.touches_of(c as usize) {
            if q.marketing_only && t.team[i] != Team::Marketing {
                continue;
            }
            if t.at[i] >= from && t.at[i] <= to {
                let key = if by_campaign {
                    t.campaign[i]
                } else {
                    t.channel[i]
                };
                out.push(Touch {
                    channel: if key == NONE { none } else { key },
                    at: t.at[i],
                });
            }
        }
    }
    if contacts.len() > 1 {
        out.sort_by_key(|x| (x.at, x.channel));
    }
    out
}

/// What unit `u` paid in [from, to] (minor units); revenue is stored in unit order.
fn paid_since(s: &Snapshot, u: u32, from: i64, to: i64) -> i64 {
    if u == NONE {
        return 0;
    }
    let r = &s.revenue;
    let lo = r.unit.partition_point(|&x| x < u);
    let hi = r.unit.partition_point(|&x| x <= u);
    (lo..hi)
        .filter(|&i| r.at[i] >= from && r.at[i] <= to)
        .map(|i| r.amount[i])
        .sum()
}

/// The journeys one shard of contacts holds (`crate::shard`), each converting journey
/// with its place in the whole snapshot's order (the deal's index, or the contact's
/// for a stage conversion), so that shards merged give the journeys of the whole in the
/// same order and every credit sums in the same order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AttributionPartial {
    pub converting: Vec<(u64, Journey)>,
    pub nulls: NullPaths,
}

impl AttributionPartial {
    pub fn merge(mut self, other: AttributionPartial) -> AttributionPartial {
        self.converting.extend(other.converting);
        self.nulls = self.nulls.merge(other.nulls);
        self
    }

    /// The journeys in the whole snapshot's order.
    pub fn into_journeys(mut self) -> Journeys {
        self.converting.sort_by_key(|(key, _)| *key);
        Journeys {
            converting: self.converting.into_iter().map(|(_, j)| j).collect(),
            nulls: self.nulls,
        }
    }
}

/// Collects the journeys of the conversions in the window.
pub fn journeys(s: &Snapshot, scope: &Scope<'_>, q: &AttributionQuery) -> Journeys {
    if q.account_based {
        return accounts::journeys(s, scope, q);
    }
    journeys_of(s, scope, q, Owned::Whole).into_journeys()
}

/// The journeys of the conversions in the window among the contacts `owned` names, each
/// journey its one person's; a deal goes with its contact, a deal without one with the
/// first shard. Account-based journeys gather an account's people, who may sit in
/// several shards: `accounts` collects them in two rounds.
pub fn journeys_of(
    s: &Snapshot,
    scope: &Scope<'_>,
    q: &AttributionQuery,
    owned: Owned<'_>,
) -> AttributionPartial {
    debug_assert!(!q.account_based, "account-based journeys are `accounts`'");
    let w = &q.window;
    let lookback = (q.lookback_days * MILLIS_PER_DAY as f64) as i64;
    let k = s.stages.len();
    let mql = s.stage_index("mql");
    let person = |contact: u32| -> Vec<u32> {
        if contact == NONE {
            Vec::new()
        } else {
            vec![contact]
        }
    };
    let mql_of = |c: u32| match (mql, c) {
        (Some(m), c) if c != NONE => s.entered[c as usize * k + m],
        _ => NEVER,
    };
    // A contact's own customer unit comes after the accounts, by its workspace index.
    let unit_of_contact = |c: u32| match s.contact.account[c as usize] {
        NONE => s.accounts.ids.len() as u32 + owned.global(c),
        a => a,
    };
    let mut converting = Vec::new();
    let mut converted = vec![false; s.contacts()];
    let d = &s.deals;
    match &q.conversion {
        Conversion::Won | Conversion::Created => {
            let won = q.conversion == Conversion::Won;
            for i in 0..d.status.len() {
                if d.status[i] == DealStatus::Unknown || !scope.deal(i) {
                    continue;
                }
                let Some(contact) = owned.local(d.contact[i]) else {
                    continue;
                };
                let at = if won {
                    if d.status[i] != DealStatus::Won {
                        continue;
                    }
                    d.closed_at[i]
                } else {
                    d.created_at[i]
                };
                if at > w.as_of {
                    continue;
                }
                let who = person(contact);
                for &c in &who {
                    converted[c as usize] = true;
                }
                if !w.contains(at) {
                    continue;
                }
                let journey = Journey {
                    touches: touches_in(s, &who, at - lookback, at, q),
                    converted_at: at,
                    value: d.amount[i],
                    mql_at: mql_of(contact),
                    deal_at: d.created_at[i],
                    retained: paid_since(s, d.unit[i], at, w.as_of),
                };
                converting.push((i as u64, journey));
            }
        }
        Conversion::Stage(name) => {
            if let Some(st) = s.stage_index(name) {
                for c in 0..s.contacts() {
                    let at = s.entered[c * k + st];
                    if at == NEVER || at > w.as_of || !scope.contact(c) {
                        continue;
                    }
                    converted[c] = true;
                    if !w.contains(at) {
                        continue;
                    }
                    let who = person(c as u32);
                    let journey = Journey {
                        touches: touches_in(s, &who, at - lookback, at, q),
                        converted_at: at,
                        value: 0,
                        mql_at: mql_of(c as u32),
                        deal_at: at,
                        retained: paid_since(s, unit_of_contact(c as u32), at, w.as_of),
                    };
                    converting.push((u64::from(owned.global(c as u32)), journey));
                }
            }
        }
    }
    // Non-converting contacts with touchpoints in the window are null paths.
    AttributionPartial {
        nulls: accounts::null_paths(s, scope, q, &converted),
        converting,
    }
}

/// Credit of one channel under one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelCredit {
    pub channel: String,
    pub conversions: f64,
    pub value: f64,
    /// Markov only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removal_effect: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_removal_effect: Option<f64>,
    /// Spend of the channel in the period (store journeys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spend: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_conversion: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roas: Option<f64>,
    /// What the customers credited to the channel paid from their conversion up to the
    /// as-of time, credited the same way (store journeys only; absent when the workspace
    /// records no revenue at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retained_revenue: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelReport {
    pub model: Model,
    /// The Markov order; `null` for the rule-based models.
    pub order: Option<usize>,
    pub conversions: f64,
    pub value: f64,
    pub channels: Vec<ChannelCredit>,
}

/// Per channel, the lowest and highest credit any model gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRange {
    pub channel: String,
    pub conversions_min: f64,
    pub conversions_max: f64,
    pub value_min: f64,
    pub value_max: f64,
}

/// What the models' credit is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credit {
    Value,
    /// No conversion carries a value (deals without amounts, stage conversions): the
    /// credit that means something is the conversions' (metrics.md).
    Conversions,
}

/// How to read a report's credit, and why when there is little to read.
fn credit_of(conversions: f64, value: f64) -> (Credit, Option<String>) {
    if conversions <= 0.0 {
        (
            Credit::Value,
            Some("no conversion in the period".to_string()),
        )
    } else if value == 0.0 {
        (
            Credit::Conversions,
            Some(
                "no conversion carries a value (no amounts): credit is in conversions".to_string(),
            ),
        )
    } else {
        (Credit::Value, None)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// `value`, or `conversions` when no conversion carries a value.
    pub credit: Credit,
    /// Why the credit is in conversions, or why there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub models: Vec<ModelReport>,
    pub ranges: Vec<ChannelRange>,
    /// Null paths (journeys that did not convert) taken into the Markov model.
    pub null_paths: u64,
}

/// Aggregated paths: channel sequences with their conversions, value and nulls
/// (the format of the ChannelAttribution package).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Paths {
    pub names: Vec<String>,
    pub rows: Vec<PathRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PathRow {
    pub path: Vec<u32>,
    pub conversions: f64,
    /// In currency units (not minor units).
    pub value: f64,
    pub nulls: f64,
}

/// Weights of the touches of one journey under a rule-based model; they sum to 1.
pub fn rule_weights(model: Model, j: &Journey, half_life_days: f64) -> Vec<f64> {
    let n = j.touches.len();
    let mut w = vec![0.0; n];
    if n == 0 {
        return w;
    }
    match model {
        Model::FirstTouch => w[0] = 1.0,
        Model::LastTouch => w[n - 1] = 1.0,
        Model::Linear => w.iter_mut().for_each(|x| *x = 1.0 / n as f64),
        Model::TimeDecay => {
            let h = half_life_days * MILLIS_PER_DAY as f64;
            for (x, t) in w.iter_mut().zip(&j.touches) {
                *x = (-((j.converted_at - t.at) as f64) / h).exp2();
            }
            let sum: f64 = w.iter().sum();
            w.iter_mut().for_each(|x| *x /= sum);
        }
        Model::PositionBased => position_based(&mut w),
        Model::WShaped => {
            let last_at_or_before = |t: i64| j.touches.iter().rposition(|x| x.at <= t);
            let first = 0;
            // A key moment without a touch before it falls back to the key before it.
            let lead = last_at_or_before(j.mql_at).unwrap_or(first);
            let opportunity = last_at_or_before(j.deal_at).unwrap_or(lead);
            let keys = [first, lead, opportunity];
            for k in keys {
                w[k] += 0.3;
            }
            let others: Vec<usize> = (0..n).filter(|i| !keys.contains(i)).collect();
            if others.is_empty() {
                for k in keys {
                    w[k] += 0.1 / 3.0;
                }
            } else {
                for i in &others {
                    w[*i] += 0.1 / others.len() as f64;
                }
            }
        }
        Model::Markov => unreachable!("markov is not a rule"),
    }
    w
}

fn position_based(w: &mut [f64]) {
    let n = w.len();
    match n {
        1 => w[0] = 1.0,
        2 => {
            w[0] = 0.5;
            w[1] = 0.5;
        }
        _ => {
            w[0] = 0.4;
            w[n - 1] = 0.4;
            for x in &mut w[1..n - 1] {
                *x = 0.2 / (n - 2) as f64;
            }
        }
    }
}

/// Weights of a bare path (no times) under a rule that needs none.
fn path_weights(model: Model, n: usize) -> Vec<f64> {
    let mut w = vec![0.0; n];
    match model {
        Model::FirstTouch => w[0] = 1.0,
        Model::LastTouch => w[n - 1] = 1.0,
        Model::Linear => w.iter_mut().for_each(|x| *x = 1.0 / n as f64),
        Model::PositionBased => position_based(&mut w),
        _ => unreachable!("needs touch times"),
    }
    w
}

/// Credits per channel slot: (conversions, value).
type Credits = BTreeMap<u32, (f64, f64)>;

fn credit_rules(
    model: Model,
    journeys: &[Journey],
    half_life: f64,
    none: u32,
    value_of: impl Fn(&Journey) -> i64,
) -> Credits {
    let mut out = Credits::new();
    for j in journeys {
        let value = value_of(j) as f64;
        if j.touches.is_empty() {
            let e = out.entry(none).or_default();
            e.0 += 1.0;
            e.1 += value;
            continue;
        }
        for (t, w) in j.touches.iter().zip(rule_weights(model, j, half_life)) {
            let e = out.entry(t.channel).or_default();
            e.0 += w;
            e.1 += w * value;
        }
    }
    out
}

fn credit_markov(
    paths: &[PathRow],
    nulls: &NullPaths,
    order: usize,
    conversions: f64,
    value: f64,
) -> (Credits, BTreeMap<u32, (f64, f64)>) {
    let m = markov_with(paths, nulls, order);
    let sum_re: f64 = m.removal_effects.values().map(|x| x.0).sum();
    let sum_rev: f64 = m.removal_effects.values().map(|x| x.1).sum();
    let mut credits = Credits::new();
    for (&c, &(re, rev)) in &m.removal_effects {
        credits.insert(
            c,
            (
                if sum_re > 0.0 {
                    conversions * re / sum_re
                } else {
                    0.0
                },
                if sum_rev > 0.0 {
                    value * rev / sum_rev
                } else {
                    0.0
                },
            ),
        );
    }
    (credits, m.removal_effects)
}

/// Turns converting journeys into aggregated paths (values in minor units become
/// currency units with `to_major`); the null paths come counted beside them.
pub fn aggregate(
    journeys: &Journeys,
    none: u32,
    value_of: impl Fn(&Journey) -> i64,
    to_major: impl Fn(i64) -> f64,
) -> Vec<PathRow> {
    let mut by: BTreeMap<Vec<u32>, (f64, f64, f64)> = BTreeMap::new();
    for j in &journeys.converting {
        let path: Vec<u32> = if j.touches.is_empty() {
            vec![none]
        } else {
            j.touches.iter().map(|t| t.channel).collect()
        };
        let e = by.entry(path).or_default();
        e.0 += 1.0;
        e.1 += to_major(value_of(j));
    }
    by.into_iter()
        .map(|(path, (conversions, value, nulls))| PathRow {
            path,
            conversions,
            value,
            nulls,
        })
        .collect()
}

/// Every contact's channel path, aggregated (the input of the Markov model and of
/// ChannelAttribution): a contact that entered `stage` by the as-of time converts with
/// its touchpoints before that instant; any other contact with touchpoints is a null path
/// of all of them up to the as-of time.
///
/// Touchpoints are stored per contact in time order, so a path is a slice of the channel
/// column; most paths are unique, so instead of a map keyed by paths the slices are
/// hashed (in parallel), sorted by hash and counted run by run, comparing the slices
/// themselves so that a hash collision never merges two paths.
pub fn distinct_paths(s: &Snapshot, stage: usize, as_of: i64) -> Vec<PathRow> {
    use rayon::prelude::*;
    use std::hash::BuildHasher;
    let k = s.stages.len();
    let t = &s.touchpoints;
    let hasher = foldhash::fast::FixedState::with_seed(0x5eed);
    // (hash, start, end, converted) per contact with a path.
    let mut keys: Vec<(u64, u32, u32, bool)> = (0..s.contacts())
        .into_par_iter()
        .filter_map(|c| {
            let range = s.touches_of(c);
            let won = s.entered[c * k + stage];
            let converted = won != NEVER && won <= as_of;
            let until = if converted {
                won
            } else {
                as_of.saturating_add(1)
            };
            let end = range.start + t.at[range.clone()].partition_point(|&at| at < until);
            (end > range.start).then(|| {
                let path = &t.channel[range.start..end];
                (
                    hasher.hash_one(path),
                    range.start as u32,
                    end as u32,
                    converted,
                )
            })
        })
        .collect();
    let path = |k: &(u64, u32, u32, bool)| &t.channel[k.1 as usize..k.2 as usize];
    keys.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| path(a).cmp(path(b))));
    let mut rows: Vec<PathRow> = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let mut j = i;
        let (mut conversions, mut nulls) = (0.0, 0.0);
        while j < keys.len() && keys[j].0 == keys[i].0 && path(&keys[j]) == path(&keys[i]) {
            if keys[j].3 {
                conversions += 1.0;
            } else {
                nulls += 1.0;
            }
            j += 1;
        }
        rows.push(PathRow {
            path: path(&keys[i]).to_vec(),
            conversions,
            value: 0.0,
            nulls,
        });
        i = j;
    }
    rows.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
    rows
}

/// The models' reports over journeys of the store.
pub fn attribute(
    s: &Snapshot,
    scope: &Scope<'_>,
    q: &AttributionQuery,
    models: &[Model],
) -> AttributionReport {
    credit(s, scope, q, models, journeys(s, scope, q))
}

/// The models' reports over the journeys `js` of `q`'s conversions; `s` gives the
/// names, the currency and the spend (what a cluster's client reads besides the
/// shards' journeys).
pub fn credit(
    s: &Snapshot,
    scope: &Scope<'_>,
    q: &AttributionQuery,
    models: &[Model],
    js: Journeys,
) -> AttributionReport {
    let none = s.names.len() as u32; // a slot past every name: `(none)`
    let name = |c: u32| {
        if c == none || c == NONE {
            NO_CHANNEL.to_string()
        } else {
            s.names.name(c).to_string()
        }
    };
    let total_conversions = js.converting.len() as f64;
    let total_value = major(s, js.converting.iter().map(|j| j.value).sum::<i64>() as f64);
    let total_retained = major(
        s,
        js.converting.iter().map(|j| j.retained).sum::<i64>() as f64,
    );
    let paths = aggregate(&js, none, |j| j.value, |v| major(s, v as f64));
    let revenue_recorded = !s.revenue.at.is_empty();
    let w = &q.window;
    let mut reports = Vec::new();
    for &model in models {
        // Bookings and the revenue kept since, credited the same way.
        let (credits, retained, effects) = if model == Model::Markov {
            let (c, e) = credit_markov(&paths, &js.nulls, q.order, total_conversions, total_value);
            let kept = aggregate(&js, none, |j| j.retained, |v| major(s, v as f64));
            let (r, _) =
                credit_markov(&kept, &js.nulls, q.order, total_conversions, total_retained);
            (c, r, Some(e))
        } else {
            let mut c = credit_rules(model, &js.converting, q.half_life_days, none, |j| j.value);
            c.values_mut().for_each(|x| x.1 = major(s, x.1));
            let mut r = credit_rules(model, &js.converting, q.half_life_days, none, |j| {
                j.retained
            });
            r.values_mut().for_each(|x| x.1 = major(s, x.1));
            (c, r, None)
        };
        let channels = credits
            .into_iter()
            .map(|(c, (conversions, value))| {
                let only = if q.by_campaign {
                    SpendOf::Campaign(c)
                } else {
                    SpendOf::Channel(c)
                };
                let spend = (c != none)
                    .then(|| spend_in(s, scope, 0..s.spend.amount.len(), w.from, w.end(), only))
                    .flatten()
                    .map(|v| major(s, v))
                    .filter(|v| *v > 0.0);
                ChannelCredit {
                    channel: name(c),
                    conversions,
                    value,
                    removal_effect: effects.as_ref().map(|e| e.get(&c).map_or(0.0, |x| x.0)),
                    value_removal_effect: effects.as_ref().map(|e| e.get(&c).map_or(0.0, |x| x.1)),
                    spend,
                    cost_per_conversion: spend
                        .filter(|_| conversions > 0.0)
                        .map(|sp| sp / conversions),
                    // No value recorded is no return, not a return of 0.
                    roas: spend.filter(|_| total_value != 0.0).map(|sp| value / sp),
                    // A workspace that records no revenue kept nothing we know of: no
                    // data, not 0.
                    retained_revenue: revenue_recorded
                        .then(|| retained.get(&c).map_or(0.0, |x| x.1)),
                }
            })
            .collect();
        reports.push(ModelReport {
            model,
            order: (model == Model::Markov).then_some(q.order),
            conversions: total_conversions,
            value: total_value,
            channels,
        });
    }
    let (credit, reason) = credit_of(total_conversions, total_value);
    AttributionReport {
        period: Some(w.period()),
        as_of: Some(w.as_of_text()),
        credit,
        reason,
        ranges: ranges(&reports),
        models: reports,
        null_paths: js.nulls.count,
    }
}

/// The models' reports over a file of aggregated paths. Models that need touch times
/// (time_decay, w_shaped) cannot run on paths and are left out.
pub fn attribute_paths(paths: &Paths, models: &[Model], order: usize) -> AttributionReport {
    let conversions: f64 = paths.rows.iter().map(|r| r.conversions).sum();
    let value: f64 = paths.rows.iter().map(|r| r.value).sum();
    let mut reports = Vec::new();
    for &model in models {
        if model.needs_times() {
            continue;
        }
        let (credits, effects) = if model == Model::Markov {
            let (c, e) = credit_markov(
                &paths.rows,
                &NullPaths::default(),
                order,
                conversions,
                value,
            );
            (c, Some(e))
        } else {
            let mut c = Credits::new();
            for r in &paths.rows {
                if r.path.is_empty() || r.conversions <= 0.0 {
                    continue;
                }
                for (ch, w) in r.path.iter().zip(path_weights(model, r.path.len())) {
                    let e = c.entry(*ch).or_default();
                    e.0 += w * r.conversions;
                    e.1 += w * r.value;
                }
            }
            (c, None)
        };
        reports.push(ModelReport {
            model,
            order: (model == Model::Markov).then_some(order),
            conversions,
            value,
            channels: credits
                .into_iter()
                .map(|(c, (conversions, value))| ChannelCredit {
                    channel: paths.names[c as usize].clone(),
                    conversions,
                    value,
                    removal_effect: effects.as_ref().map(|e| e.get(&c).map_or(0.0, |x| x.0)),
                    value_removal_effect: effects.as_ref().map(|e| e.get(&c).map_or(0.0, |x| x.1)),
                    spend: None,
                    cost_per_conversion: None,
                    roas: None,
                    retained_revenue: None,
                })
                .collect(),
        });
    }
    let (credit, reason) = credit_of(conversions, value);
    AttributionReport {
        period: None,
        as_of: None,
        credit,
        reason,
        ranges: ranges(&reports),
        models: reports,
        null_paths: paths.rows.iter().map(|r| r.nulls).sum::<f64>() as u64,
    }
}

fn ranges(reports: &[ModelReport]) -> Vec<ChannelRange> {
    let mut by: BTreeMap<String, ChannelRange> = BTreeMap::new();
    let mut all: Vec<&str> = reports
        .iter()
        .flat_map(|r| r.channels.iter().map(|c| c.channel.as_str()))
        .collect();
    all.sort_unstable();
    all.dedup();
    for ch in all {
        let credit = |r: &ModelReport| {
            r.channels
                .iter()
                .find(|c| c.channel == ch)
                .map_or((0.0, 0.0), |c| (c.conversions, c.value))
        };
        let values: Vec<(f64, f64)> = reports.iter().map(credit).collect();
        by.insert(
            ch.to_string(),
            ChannelRange {
                channel: ch.to_string(),
                conversions_min: values.iter().map(|v| v.0).fold(f64::INFINITY, f64::min),
                conversions_max: values.iter().map(|v| v.0).fold(f64::NEG_INFINITY, f64::max),
                value_min: values.iter().map(|v| v.1).fold(f64::INFINITY, f64::min),
                value_max: values.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max),
            },
        );
    }
    by.into_values().collect()
}

/// Reads a path file: header `path,total_conversions,total_conversion_value,total_null`
/// (any order, other columns ignored), paths written `a > b > c`, fields separated by
/// commas or, as in ChannelAttribution's own sample `Data.csv`, by semicolons.
pub fn parse_paths(text: &str) -> Result<Paths, String> {
    let mut reader = csv_lite(text);
    let header = reader.next().ok_or("the path file is empty")?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("line 1: missing column '{name}'"))
    };
    // Without a value column (DuckDB's and many exports) every value is 0.
    let (cp, cc, cv, cn) = (
        col("path")?,
        col("total_conversions")?,
        col("total_conversion_value").unwrap_or(usize::MAX),
        col("total_null")?,
    );
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32, foldhash::fast::RandomState> = HashMap::default();
    let mut rows = Vec::new();
    for (i, row) in reader.enumerate() {
        let line = i + 2;
        let num = |c: usize, name: &str| -> Result<f64, String> {
            let v = row.get(c).map_or("", |s| s.trim());
            if v.is_empty() {
                return Ok(0.0);
            }
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    format!("line {line}, column {name}: '{v}' is not a count or amount")
                })
        };
        let path: Vec<u32> = row
            .get(cp)
            .map_or("", |s| s.as_ref())
            .split('>')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| match index.get(name) {
                Some(&i) => i,
                None => {
                    names.push(name.to_string());
                    index.insert(name.to_string(), names.len() as u32 - 1);
                    names.len() as u32 - 1
                }
            })
            .collect();
        if path.is_empty() {
            return Err(format!("line {line}, column path: empty path"));
        }
        rows.push(PathRow {
            path,
            conversions: num(cc, "total_conversions")?,
            value: num(cv, "total_conversion_value")?,
            nulls: num(cn, "total_null")?,
        });
    }
    Ok(Paths { names, rows })
}

/// A minimal RFC 4180 reader (quotes, doubled quotes, CRLF), enough for path files.
/// Lines without quotes, the usual case, are split directly. The separator is the
/// header's: a semicolon when the header has one and no comma.
fn csv_lite(text: &str) -> Box<dyn Iterator<Item = Vec<Cow<'_, str>>> + '_> {
    let text = text.trim_start_matches('\u{feff}');
    let header = text.lines().next().unwrap_or("");
    let sep = if header.contains(';') && !header.contains(',') {
        ';'
    } else {
        ','
    };
    if !text.contains('"') {
        return Box::new(text.lines().filter(|l| !l.is_empty()).map(move |l| {
            l.trim_end_matches('\r')
                .split(sep)
                .map(Cow::Borrowed)
                .collect()
        }));
    }
    Box::new(csv_quoted(text, sep).map(|row| row.into_iter().map(Cow::Owned).collect()))
}

fn csv_quoted(text: &str, sep: char) -> impl Iterator<Item = Vec<String>> + '_ {
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    std::iter::from_fn(move || {
        chars.peek()?;
        let mut row = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') => quoted = true,
                (false, c) if c == sep => row.push(std::mem::take(&mut field)),
                (false, '\r') => {}
                (false, '\n') => break,
                (false, c) => field.push(c),
            }
        }
        row.push(field);
        Some(row)
    })
}
