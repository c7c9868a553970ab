//! Breakdowns (`--by DIM`): every record gets the value of the dimension it belongs to,
//! and a `Scope` restricts a report to the records of one value. Reports take a scope
//! and need not know how the dimension is derived.
//!
//! How each record kind is placed (docs/reports.md):
//! - a contact: `channel` and `campaign` of its lead-creation touch, `first_touch_channel`
//!   of its first touchpoint, `segment` and `country` of its account, `owner` its own
//!   (else its account's);
//! - a customer unit: its account's segment, country and owner; channels of its first
//!   contact (the one that entered the funnel first);
//! - a deal: its own owner; the rest through its contact, else its unit;
//! - revenue: through its deal where it names one, else its unit;
//! - a touchpoint: its own channel and campaign; the rest through its contact;
//! - spend: its channel and campaign; it cannot be split by segment, owner or country;
//! - a ticket: through its contact, else its unit.
//!
//! `score_band` is a contact's band under the lead-scoring model (`bands`); it is not
//! held by the data, so it is made for a query (`Segmentation::with_contacts`) and is
//! placed like a channel: through the contact, a unit through its first contact.

use crate::snapshot::{DealStatus, NONE, Snapshot};
use serde::{Deserialize, Serialize};

/// A dimension reports break down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    Channel,
    FirstTouchChannel,
    Campaign,
    Segment,
    Owner,
    Country,
    /// The lead's score band; not in `ALL`, which lists what the data holds.
    ScoreBand,
}

impl Dim {
    pub const ALL: [Dim; 6] = [
        Dim::Channel,
        Dim::FirstTouchChannel,
        Dim::Campaign,
        Dim::Segment,
        Dim::Owner,
        Dim::Country,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dim::Channel => "channel",
            Dim::FirstTouchChannel => "first_touch_channel",
            Dim::Campaign => "campaign",
            Dim::Segment => "segment",
            Dim::Owner => "owner",
            Dim::Country => "country",
            Dim::ScoreBand => "score_band",
        }
    }

    pub fn parse(s: &str) -> Option<Dim> {
        Dim::ALL
            .into_iter()
            .chain([Dim::ScoreBand])
            .find(|d| d.name() == s.trim())
    }

    /// What `--by` and `--filter` take, for messages and pickers.
    pub const NAMES: &'static str =
        "channel, first_touch_channel, campaign, segment, owner, country, score_band";
}

/// The value of one dimension for every record of a snapshot (`NONE` = no value, shown
/// as `(none)`).
#[derive(Debug, Clone)]
pub struct Segmentation {
    pub dim: Dim,
    pub contact: Vec<u32>,
    pub unit: Vec<u32>,
    pub deal: Vec<u32>,
    pub revenue: Vec<u32>,
    pub touch: Vec<u32>,
    /// `None` when spend cannot be split by this dimension.
    pub spend: Option<Vec<u32>>,
    pub ticket: Vec<u32>,
}

impl Segmentation {
    pub fn new(s: &Snapshot, dim: Dim) -> Segmentation {
        Self::build(s, dim, true, None)
    }

    /// Like `new`, but without the value of each touchpoint (`touch` left empty): for
    /// counting people, deals and money, where ten million touchpoint values per
    /// dimension would be made for nothing. A `Scope` of it must not be asked about
    /// touchpoints.
    pub fn without_touches(s: &Snapshot, dim: Dim) -> Segmentation {
        Self::build(s, dim, false, None)
    }

    /// A dimension whose contact values the caller made (the score bands); every other
    /// record is placed through its contact as for a channel.
    pub fn with_contacts(
        s: &Snapshot,
        dim: Dim,
        contact: Vec<u32>,
        with_touches: bool,
    ) -> Segmentation {
        Self::build(s, dim, with_touches, Some(contact))
    }

    /// The segmentation on one contact shard (`crate::shard::Owned::Shard`), or on a
    /// cluster's client, which holds the shared tables without contacts: the contacts'
    /// values (and their touchpoints', when `with_touches`) made here, the customer
    /// units', deals' and tickets' values (`shared`, made on the whole workspace: a
    /// unit's first contact or a deal's contact may sit in another shard) given, and
    /// revenue placed through them.
    pub fn of_shard(
        s: &Snapshot,
        dim: Dim,
        shared: &SharedDims,
        with_touches: bool,
    ) -> Segmentation {
        let at = Dim::ALL
            .iter()
            .position(|d| *d == dim)
            .expect("a dimension the data holds");
        let contact = contact_values(s, dim);
        let unit = shared.unit[at].clone();
        let deal = shared.deal[at].clone();
        let revenue = revenue_values(s, &deal, &unit);
        let touch = touch_values(s, dim, &contact, with_touches);
        Segmentation {
            dim,
            contact,
            unit,
            deal,
            revenue,
            touch,
            spend: spend_values(s, dim),
            ticket: shared.ticket[at].clone(),
        }
    }

    fn build(s: &Snapshot, dim: Dim, with_touches: bool, given: Option<Vec<u32>>) -> Segmentation {
        let account_attr = |a: u32| account_value(s, dim, a);
        // Without given values, a score band is unknown (`new` cannot train a model).
        let contact: Vec<u32> = given.unwrap_or_else(|| contact_values(s, dim));
        let primary = primaries(s);
        let unit: Vec<u32> = (0..s.units())
            .map(|u| {
                let a = s.unit_account(u as u32);
                let from_contact = || {
                    let c = primary[u];
                    if c == NONE { NONE } else { contact[c as usize] }
                };
                match dim {
                    Dim::Channel | Dim::FirstTouchChannel | Dim::Campaign | Dim::ScoreBand => {
                        from_contact()
                    }
                    _ if a != NONE => {
                        let v = account_attr(a);
                        if v == NONE && dim == Dim::Owner {
                            from_contact()
                        } else {
                            v
                        }
                    }
                    _ => from_contact(),
                }
            })
            .collect();
        let of_unit = |u: u32| if u == NONE { NONE } else { unit[u as usize] };
        let d = &s.deals;
        let deal: Vec<u32> = (0..d.status.len())
            .map(|i| {
                if dim == Dim::Owner && d.owner[i] != NONE {
                    d.owner[i]
                } else if d.contact[i] != NONE && !matches!(dim, Dim::Segment | Dim::Country) {
                    contact[d.contact[i] as usize]
                } else {
                    of_unit(d.unit[i])
                }
            })
            .collect();
        let revenue = revenue_values(s, &deal, &unit);
        let touch = touch_values(s, dim, &contact, with_touches);
        let spend = spend_values(s, dim);
        let tk = &s.tickets;
        let ticket = (0..tk.ids.len())
            .map(|i| {
                if tk.contact[i] != NONE {
                    contact[tk.contact[i] as usize]
                } else {
                    of_unit(tk.unit[i])
                }
            })
            .collect();
        Segmentation {
            dim,
            contact,
            unit,
            deal,
            revenue,
            touch,
            spend,
            ticket,
        }
    }

    /// Score bands on one contact shard (`crate::shard::Owned::Shard`) or on a
    /// cluster's client: each contact's band from `bands` (a name id per contact of the
    /// workspace, which the client worked out), a unit's its first contact's
    /// (`SharedDims::primary`), a deal's and a ticket's their contact's, else their
    /// unit's, as `build` places them.
    pub fn of_shard_banded(
        s: &Snapshot,
        owned: crate::shard::Owned<'_>,
        shared: &SharedDims,
        bands: &[u32],
        with_touches: bool,
    ) -> Segmentation {
        let band = |c: u32| if c == NONE { NONE } else { bands[c as usize] };
        let contact: Vec<u32> = (0..s.contacts() as u32)
            .map(|c| band(owned.global(c)))
            .collect();
        let unit: Vec<u32> = shared.primary.iter().map(|&c| band(c)).collect();
        let of_unit = |u: u32| if u == NONE { NONE } else { unit[u as usize] };
        let d = &s.deals;
        let deal: Vec<u32> = (0..d.status.len())
            .map(|i| match d.contact[i] {
                NONE => of_unit(d.unit[i]),
                c => band(c),
            })
            .collect();
        let tk = &s.tickets;
        let ticket = (0..tk.ids.len())
            .map(|i| match tk.contact[i] {
                NONE => of_unit(tk.unit[i]),
                c => band(c),
            })
            .collect();
        let revenue = revenue_values(s, &deal, &unit);
        let touch = touch_values(s, Dim::ScoreBand, &contact, with_touches);
        Segmentation {
            dim: Dim::ScoreBand,
            contact,
            unit,
            deal,
            revenue,
            touch,
            spend: spend_values(s, Dim::ScoreBand),
            ticket,
        }
    }

    /// The values that occur, sorted by name, `(none)` last.
    pub fn values(&self, s: &Snapshot) -> Vec<u32> {
        // One flag per name (the last for `(none)`): millions of values, few distinct,
        // so a flag table beats a set (a `BTreeSet` here was a third of a bottleneck run).
        let none = s.names.len();
        let mut seen = vec![false; none + 1];
        for &v in self
            .contact
            .iter()
            .chain(&self.unit)
            .chain(&self.deal)
            .chain(&self.revenue)
        {
            seen[if v == NONE { none } else { v as usize }] = true;
        }
        let mut values: Vec<u32> = (0..=none)
            .filter(|&i| seen[i])
            .map(|i| if i == none { NONE } else { i as u32 })
            .collect();
        sort_by_name(s, &mut values);
        values
    }
}

/// The first contact of each customer unit, the one that entered the funnel first
/// (`NONE` for a unit without contacts): whose values a unit takes.
fn primaries(s: &Snapshot) -> Vec<u32> {
    let units = s.units();
    let mut primary = vec![NONE; units];
    let mut primary_at = vec![i64::MAX; units];
    let k = s.stages.len();
    for c in 0..s.contacts() {
        let u = s.unit_of(NONE, c as u32) as usize;
        let at = s.entered[c * k];
        if primary[u] == NONE || at < primary_at[u] {
            primary[u] = c as u32;
            primary_at[u] = at;
        }
    }
    primary
}

/// Values sorted as breakdowns list them: by name, `(none)` last.
pub(crate) fn sort_by_name(s: &Snapshot, values: &mut [u32]) {
    values.sort_by(|a, b| {
        (*a == NONE)
            .cmp(&(*b == NONE))
            .then_with(|| s.names.name(*a).cmp(s.names.name(*b)))
    });
}

/// The value of an account's attribute for `dim` (`NONE` without an account).
fn account_value(s: &Snapshot, dim: Dim, a: u32) -> u32 {
    if a == NONE {
        return NONE;
    }
    let a = a as usize;
    match dim {
        Dim::Segment => s.accounts.segment[a],
        Dim::Country => s.accounts.country[a],
        Dim::Owner => s.accounts.owner[a],
        _ => NONE,
    }
}

/// Every contact's value: its lead's channel and campaign, its first touch's channel,
/// its own owner, else its account's attributes. A score band is unknown here.
fn contact_values(s: &Snapshot, dim: Dim) -> Vec<u32> {
    (0..s.contacts())
        .map(|c| match dim {
            Dim::Channel => s.contact.lead_channel[c],
            Dim::FirstTouchChannel => s.contact.first_channel[c],
            Dim::Campaign => s.contact.lead_campaign[c],
            Dim::Owner if s.contact.owner[c] != NONE => s.contact.owner[c],
            Dim::ScoreBand => NONE,
            _ => account_value(s, dim, s.contact.account[c]),
        })
        .collect()
}

/// Revenue through its deal where it names one, else its unit.
fn revenue_values(s: &Snapshot, deal: &[u32], unit: &[u32]) -> Vec<u32> {
    let r = &s.revenue;
    (0..r.at.len())
        .map(|i| {
            let dl = r.deal[i];
            if dl != NONE && s.deals.status[dl as usize] != DealStatus::Unknown {
                deal[dl as usize]
            } else if r.unit[i] == NONE {
                NONE
            } else {
                unit[r.unit[i] as usize]
            }
        })
        .collect()
}

/// A touchpoint's own channel and campaign; the rest through its contact. None made
/// without `with_touches`.
fn touch_values(s: &Snapshot, dim: Dim, contact: &[u32], with_touches: bool) -> Vec<u32> {
    let t = &s.touchpoints;
    let touches = if with_touches { t.at.len() } else { 0 };
    (0..touches)
        .map(|i| match dim {
            Dim::Channel | Dim::FirstTouchChannel => t.channel[i],
            Dim::Campaign => t.campaign[i],
            _ => contact[t.contact[i] as usize],
        })
        .collect()
}

fn spend_values(s: &Snapshot, dim: Dim) -> Option<Vec<u32>> {
    match dim {
        Dim::Channel | Dim::FirstTouchChannel => Some(s.spend.channel.clone()),
        Dim::Campaign => Some(s.spend.campaign.clone()),
        _ => None,
    }
}

/// Each dimension's value (in `Dim::ALL` order) of every customer unit, deal and ticket,
/// made on the whole workspace: what a contact shard, which holds the shared tables but
/// not every contact, cannot make alone. Snapshot files keep it beside the shared
/// tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedDims {
    /// [dimension][customer unit]
    pub unit: Vec<Vec<u32>>,
    /// [dimension][deal]
    pub deal: Vec<Vec<u32>>,
    /// [dimension][ticket]
    pub ticket: Vec<Vec<u32>>,
    /// Each unit's first contact (its index in the workspace), whose score band the unit
    /// takes: bands come from a model trained at query time, so they cannot be kept.
    pub primary: Vec<u32>,
}

impl SharedDims {
    pub fn of(s: &Snapshot) -> SharedDims {
        let mut dims = SharedDims::default();
        for dim in Dim::ALL {
            let seg = Segmentation::without_touches(s, dim);
            dims.unit.push(seg.unit);
            dims.deal.push(seg.deal);
            dims.ticket.push(seg.ticket);
        }
        dims.primary = primaries(s);
        dims
    }
}

/// Which records a report counts: all of them, or those of one value of a dimension.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    slice: Option<(&'a Segmentation, u32)>,
}

impl<'a> Scope<'a> {
    pub const ALL: Scope<'static> = Scope { slice: None };

    pub fn of(segmentation: &'a Segmentation, value: u32) -> Scope<'a> {
        Scope {
            slice: Some((segmentation, value)),
        }
    }

    pub fn is_all(&self) -> bool {
        self.slice.is_none()
    }

    /// The account segment this scope is, when it slices by segment: its targets are
    /// the ones set for that segment (metrics.md "Periods and comparisons").
    pub fn segment<'s>(&self, s: &'s Snapshot) -> Option<&'s str> {
        let (seg, v) = self.slice?;
        (seg.dim == Dim::Segment && (v as usize) < s.names.len()).then(|| s.names.name(v))
    }

    fn test(&self, pick: impl Fn(&Segmentation) -> u32) -> bool {
        self.slice.is_none_or(|(s, v)| pick(s) == v)
    }

    pub fn contact(&self, c: usize) -> bool {
        self.test(|s| s.contact[c])
    }
    pub fn unit(&self, u: usize) -> bool {
        self.test(|s| s.unit[u])
    }
    pub fn deal(&self, d: usize) -> bool {
        self.test(|s| s.deal[d])
    }
    pub fn revenue(&self, r: usize) -> bool {
        self.test(|s| s.revenue[r])
    }
    pub fn touch(&self, t: usize) -> bool {
        self.test(|s| s.touch[t])
    }
    pub fn ticket(&self, t: usize) -> bool {
        self.test(|s| s.ticket[t])
    }
    /// Whether spend row `i` counts; `None` when spend cannot be split this way.
    pub fn spend(&self, i: usize) -> Option<bool> {
        match self.slice {
            None => Some(true),
            Some((s, v)) => s.spend.as_ref().map(|sp| sp[i] == v),
        }
    }
    /// Whether spend can be counted in this scope at all.
    pub fn has_spend(&self) -> bool {
        self.slice.is_none_or(|(s, _)| s.spend.is_some())
    }
}

/// A report with its breakdown: the overall fields, `by` and one entry per value
/// (interface.md "with `--by DIM`").
#[derive(Debug, Clone, Serialize)]
pub struct By<T: Serialize> {
    #[serde(flatten)]
    pub overall: T,
    pub by: &'static str,
    pub segments: Vec<SegmentOf<T>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentOf<T: Serialize> {
    pub value: String,
    #[serde(flatten)]
    pub report: T,
}

/// Runs `report` for everything and for every value of the dimension of `seg`.
pub fn by<T: Serialize + Send>(
    s: &Snapshot,
    seg: &Segmentation,
    report: impl Fn(Scope<'_>) -> T + Sync,
) -> By<T> {
    use rayon::prelude::*;
    let dim = seg.dim;
    let values = seg.values(s);
    let segments = values
        .par_iter()
        .map(|&v| SegmentOf {
            value: s.names.name(v).to_string(),
            report: report(Scope::of(seg, v)),
        })
        .collect();
    By {
        overall: report(Scope::ALL),
        by: dim.name(),
        segments,
    }
}
