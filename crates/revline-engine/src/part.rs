//! Splitting the work: a `Part` is a share of every table of the snapshot (ranges of
//! contacts with their touchpoints, of customer units, deals, revenue cut at unit
//! boundaries, spend and tickets). Reports compute a partial result per part; partial
//! results merge associatively, so parts run in parallel and any split gives the answer
//! of the whole (a property test checks every report).

use crate::snapshot::Snapshot;
use rayon::prelude::*;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub contacts: Range<usize>,
    /// The touchpoints of `contacts`.
    pub touches: Range<usize>,
    pub units: Range<usize>,
    pub deals: Range<usize>,
    /// Whole units only: revenue rows are stored in unit order and cut between units.
    pub revenue: Range<usize>,
    pub spend: Range<usize>,
    pub tickets: Range<usize>,
    pub deal_stages: Range<usize>,
}

fn cut(n: usize, k: usize, i: usize) -> Range<usize> {
    (n * i / k)..(n * (i + 1) / k)
}

impl Part {
    /// The whole snapshot as one part.
    pub fn whole(s: &Snapshot) -> Part {
        Part::split(s, 1).pop().expect("one part")
    }

    /// `k` parts of about equal size (k >= 1) that together cover every row once.
    pub fn split(s: &Snapshot, k: usize) -> Vec<Part> {
        Part::split_units(s, k, s.units())
    }

    /// Part `index` of `of` of a contact shard's snapshot (`crate::shard::Owned`): all
    /// of its own contacts and touchpoints, and the `index`-th cut of the shared tables,
    /// which every shard holds whole in the workspace's numbering (`units` customer
    /// units). Over every shard each row is taken once.
    pub fn of_shard(s: &Snapshot, index: usize, of: usize, units: usize) -> Part {
        let mut part = Part::split_units(s, of, units).swap_remove(index);
        part.contacts = 0..s.contacts();
        part.touches = 0..s.touchpoints.at.len();
        part
    }

    /// `split` for a snapshot that holds some or none of the workspace's contacts but
    /// its shared tables whole, numbered for `units` customer units.
    pub fn split_units(s: &Snapshot, k: usize, units: usize) -> Vec<Part> {
        let k = k.max(1);
        let n = s.contacts();
        let rev = &s.revenue;
        // Revenue cut points moved forward to the next change of unit.
        let mut cuts: Vec<usize> = (0..=k).map(|i| rev.at.len() * i / k).collect();
        for c in cuts.iter_mut().take(k).skip(1) {
            while *c > 0 && *c < rev.unit.len() && rev.unit[*c] == rev.unit[*c - 1] {
                *c += 1;
            }
        }
        for i in 1..cuts.len() {
            cuts[i] = cuts[i].max(cuts[i - 1]);
        }
        (0..k)
            .map(|i| {
                let contacts = cut(n, k, i);
                let touch_at = |c: usize| s.touchpoints.start.get(c).map_or(0, |&x| x as usize);
                Part {
                    touches: touch_at(contacts.start)..touch_at(contacts.end),
                    contacts,
                    units: cut(units, k, i),
                    deals: cut(s.deals.status.len(), k, i),
                    revenue: cuts[i]..cuts[i + 1],
                    spend: cut(s.spend.amount.len(), k, i),
                    tickets: cut(s.tickets.ids.len(), k, i),
                    deal_stages: cut(s.deal_stages.at.len(), k, i),
                }
            })
            .collect()
    }
}

/// How many parts a report is split into: enough for every core to have work.
pub fn parts(s: &Snapshot) -> Vec<Part> {
    Part::split(s, part_count())
}

fn part_count() -> usize {
    (rayon::current_num_threads() * 2).max(1)
}

/// `parts` of a snapshot whose shared tables number `units` customer units (a
/// cluster's client, which holds them without the contacts).
pub fn parts_of_units(s: &Snapshot, units: usize) -> Vec<Part> {
    Part::split_units(s, part_count(), units)
}

/// Computes `partial` over the parts in parallel and merges the results.
pub fn map_merge<P: Send>(
    parts: &[Part],
    partial: impl Fn(&Part) -> P + Sync,
    merge: impl Fn(P, P) -> P + Sync + Send,
) -> Option<P> {
    parts.par_iter().map(&partial).reduce_with(&merge)
}
