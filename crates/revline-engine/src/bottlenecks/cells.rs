//! The counts of the bottleneck finder: one pass over a part of the snapshot adds each
//! contact's step cohorts, stage times and handoff, and each customer unit's kept
//! revenue, into cells of slot (a dimension's value) by stratum (an account segment).
//! The counts are integers, so parts and contact shards merge to exactly the whole; a
//! shard's cells are laid out by the values it saw and are moved into the layout of
//! all shards' values before they merge (`Acc::remap`).

use super::{BIN_DAYS, BINS, BottleneckQuery, MONTH_MS, MONTHS, SEGMENT};
use crate::funnel::FunnelPartial;
use crate::part::Part;
use crate::scorecard::{for_each_unit_where, ratio};
use crate::shard::Owned;
use crate::slice::{Dim, Scope, Segmentation, SharedDims, sort_by_name};
use crate::snapshot::{NEVER, NONE, Snapshot, Team};
use revline_core::time::MILLIS_PER_DAY;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Trials and successes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Rate {
    pub n: u64,
    pub k: u64,
}

impl Rate {
    pub(super) fn add(&mut self, success: bool) {
        self.n += 1;
        self.k += u64::from(success);
    }
    pub(super) fn merge(&mut self, o: Rate) {
        self.n += o.n;
        self.k += o.k;
    }
    pub(super) fn value(&self) -> Option<f64> {
        (self.n > 0).then(|| self.k as f64 / self.n as f64)
    }
}

/// The slots of a breakdown (slot 0: everything; then one per value of each dimension,
/// in `Dim::ALL` order, each dimension's values as `Segmentation::values` lists them)
/// and the strata: the account segments (with `(none)`), within which slices are
/// compared, so that an owner or channel working mostly with one segment is held to
/// that segment's standard.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Layout {
    /// Per slot after 0: (dimension, value name id).
    pub of: Vec<(Dim, u32)>,
}

impl Layout {
    /// The layout of each dimension's values (in `Dim::ALL` order).
    fn of_values(values: impl IntoIterator<Item = (Dim, Vec<u32>)>) -> Layout {
        let of = values
            .into_iter()
            .flat_map(|(dim, vs)| vs.into_iter().map(move |v| (dim, v)))
            .collect();
        Layout { of }
    }

    /// The layout holding the values of every one of `layouts`, as one made over all
    /// their records at once would list them.
    pub fn union<'a>(s: &Snapshot, layouts: impl IntoIterator<Item = &'a Layout>) -> Layout {
        let mut values: Vec<Vec<u32>> = vec![Vec::new(); Dim::ALL.len()];
        for layout in layouts {
            for &(dim, v) in &layout.of {
                values[dim_index(dim)].push(v);
            }
        }
        Layout::of_values(Dim::ALL.into_iter().zip(values).map(|(dim, mut vs)| {
            sort_by_name(s, &mut vs);
            vs.dedup();
            (dim, vs)
        }))
    }

    pub fn count(&self) -> usize {
        self.of.len() + 1
    }

    /// The segment values, one stratum each.
    fn segments(&self) -> impl Iterator<Item = u32> + '_ {
        self.of
            .iter()
            .filter(|(d, _)| *d == Dim::Segment)
            .map(|&(_, v)| v)
    }

    pub fn strata(&self) -> usize {
        self.segments().count().max(1)
    }

    pub fn cells(&self) -> usize {
        self.count() * self.strata()
    }
}

fn dim_index(dim: Dim) -> usize {
    Dim::ALL
        .iter()
        .position(|d| *d == dim)
        .expect("a dimension the data holds")
}

/// Where each record's values sit among the slots of a layout.
pub(super) struct Slots {
    pub layout: Layout,
    pub strata: usize,
    dims: Vec<Segmentation>,
    stratum: Vec<u32>,
    /// Per dimension: slot of each name (index = name id, last = `(none)`).
    slot: Vec<Vec<u32>>,
}

impl Slots {
    /// Every dimension the data holds, made on the whole snapshot.
    pub fn new(s: &Snapshot) -> Slots {
        Slots::of(
            s,
            Dim::ALL
                .iter()
                .map(|&dim| Segmentation::without_touches(s, dim))
                .collect(),
        )
    }

    /// Every dimension on one contact shard: the units' and deals' values made on the
    /// whole workspace (`SharedDims`).
    pub fn of_shard(s: &Snapshot, shared: &SharedDims) -> Slots {
        Slots::of(
            s,
            Dim::ALL
                .iter()
                .map(|&dim| Segmentation::of_shard(s, dim, shared, false))
                .collect(),
        )
    }

    fn of(s: &Snapshot, dims: Vec<Segmentation>) -> Slots {
        let layout = Layout::of_values(dims.iter().map(|seg| (seg.dim, seg.values(s))));
        let mut slot = vec![vec![u32::MAX; s.names.len() + 1]; dims.len()];
        let mut stratum = vec![0u32; s.names.len() + 1];
        let mut strata = 0;
        for (i, &(dim, v)) in layout.of.iter().enumerate() {
            let at = if v == NONE { s.names.len() } else { v as usize };
            slot[dim_index(dim)][at] = i as u32 + 1;
            if dim == Dim::Segment {
                stratum[at] = strata;
                strata += 1;
            }
        }
        Slots {
            strata: layout.strata(),
            layout,
            dims,
            stratum,
            slot,
        }
    }

    pub fn count(&self) -> usize {
        self.layout.count()
    }

    fn lookup(&self, d: usize, v: u32, names: usize) -> usize {
        let at = if v == NONE { names } else { v as usize };
        self.slot[d][at] as usize
    }

    fn stratum_of(&self, s: &Snapshot, v: u32) -> usize {
        self.stratum[if v == NONE { s.names.len() } else { v as usize }] as usize
    }

    /// The cells a contact counts in (slot x strata + stratum): the whole chain and one
    /// slot per dimension, all in the contact's account segment.
    fn contact(&self, s: &Snapshot, c: usize, out: &mut [usize; 7]) {
        let g = self.stratum_of(s, self.dims[SEGMENT].contact[c]);
        out[0] = g;
        for d in 0..self.dims.len() {
            out[d + 1] = self.lookup(d, self.dims[d].contact[c], s.names.len()) * self.strata + g;
        }
    }

    fn unit(&self, s: &Snapshot, u: usize, out: &mut [usize; 7]) {
        let g = self.stratum_of(s, self.dims[SEGMENT].unit[u]);
        out[0] = g;
        for d in 0..self.dims.len() {
            out[d + 1] = self.lookup(d, self.dims[d].unit[u], s.names.len()) * self.strata + g;
        }
    }

    pub fn cells(&self) -> usize {
        self.layout.cells()
    }
}

/// Everything the links need, added up over a part of the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Acc {
    /// [step][cell] (cell = slot x strata + account segment): mature cohort of the
    /// earlier stage, converted within the maturity.
    pub conv: Vec<Vec<Rate>>,
    pub conv_month: Vec<Vec<Rate>>,
    /// [step][slot]: histogram of days between the stages of the converted.
    pub dwell: Vec<Vec<Vec<u32>>>,
    pub dwell_month: Vec<Vec<Vec<u32>>>,
    /// [slot]: MQLs whose SLA is decided; success = answered within it.
    pub handoff: Vec<Rate>,
    pub handoff_month: Vec<Rate>,
    /// Reaching the stage after mql: answered within the SLA, late or never.
    pub within_next: Rate,
    pub late_next: Rate,
    /// [cell]: revenue kept month over month, pooled over the period's months.
    pub retention: Vec<Kept>,
    pub retention_month: Vec<Kept>,
}

impl Acc {
    pub(super) fn new(steps: usize, slots: usize, cells: usize) -> Acc {
        Acc {
            conv: vec![vec![Rate::default(); cells]; steps],
            conv_month: vec![vec![Rate::default(); MONTHS]; steps],
            dwell: vec![vec![Vec::new(); slots]; steps],
            dwell_month: vec![vec![Vec::new(); MONTHS]; steps],
            handoff: vec![Rate::default(); cells],
            handoff_month: vec![Rate::default(); MONTHS],
            within_next: Rate::default(),
            late_next: Rate::default(),
            retention: vec![Kept::default(); cells],
            retention_month: vec![Kept::default(); MONTHS],
        }
    }

    pub(super) fn merge(mut self, o: Acc) -> Acc {
        fn rates(a: &mut [Rate], b: &[Rate]) {
            a.iter_mut().zip(b).for_each(|(x, y)| x.merge(*y));
        }
        fn hists(a: &mut [Vec<u32>], b: Vec<Vec<u32>>) {
            for (x, y) in a.iter_mut().zip(b) {
                if x.is_empty() {
                    *x = y;
                } else if !y.is_empty() {
                    x.iter_mut().zip(y).for_each(|(p, q)| *p += q);
                }
            }
        }
        for s in 0..self.conv.len() {
            rates(&mut self.conv[s], &o.conv[s]);
            rates(&mut self.conv_month[s], &o.conv_month[s]);
        }
        for (a, b) in self.dwell.iter_mut().zip(o.dwell) {
            hists(a, b);
        }
        for (a, b) in self.dwell_month.iter_mut().zip(o.dwell_month) {
            hists(a, b);
        }
        rates(&mut self.handoff, &o.handoff);
        rates(&mut self.handoff_month, &o.handoff_month);
        self.within_next.merge(o.within_next);
        self.late_next.merge(o.late_next);
        for (a, b) in self.retention.iter_mut().zip(&o.retention) {
            a.merge(b);
        }
        for (a, b) in self.retention_month.iter_mut().zip(&o.retention_month) {
            a.merge(b);
        }
        self
    }
}

fn bin(days: f64) -> usize {
    ((days / BIN_DAYS) as usize).min(BINS - 1)
}

pub(super) fn hist_add(h: &mut Vec<u32>, days: f64) {
    if h.is_empty() {
        h.resize(BINS, 0);
    }
    h[bin(days.max(0.0))] += 1;
}

/// Gross revenue retention month over month (metrics.md's GRR): of the customer units
/// that paid in a month, the revenue they paid again the next month, each unit counted
/// up to what it paid before. Sums are kept in minor units as integers, so that parts
/// merge to exactly the whole; the squares give the ratio estimate's interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Kept {
    pub units: u64,
    /// Independent observations behind the squares: unit-months, or units when a unit's
    /// months are taken together (its months are not independent of each other).
    pub clusters: u64,
    pub churned: u64,
    pub before: i128,
    pub kept: i128,
    pub before_sq: i128,
    pub kept_sq: i128,
    pub cross: i128,
}

impl Kept {
    pub(super) fn add(&mut self, before: i64, now: i64) {
        if before <= 0 {
            return;
        }
        let (b, k) = (
            i128::from(before),
            i128::from(crate::scorecard::retained(before, now)),
        );
        self.units += 1;
        self.clusters += 1;
        self.churned += u64::from(now <= 0);
        self.before += b;
        self.kept += k;
        self.before_sq += b * b;
        self.kept_sq += k * k;
        self.cross += b * k;
    }

    /// One unit's months of the period as one observation: the interval of the ratio is
    /// then cluster-robust (a unit on an annual plan keeps its revenue eleven months
    /// running; counting those months as independent made the interval too narrow).
    pub(super) fn add_unit(&mut self, months: &Kept) {
        let (b, k) = (months.before, months.kept);
        self.units += months.units;
        self.clusters += 1;
        self.churned += months.churned;
        self.before += b;
        self.kept += k;
        self.before_sq += b * b;
        self.kept_sq += k * k;
        self.cross += b * k;
    }

    pub(super) fn merge(&mut self, o: &Kept) {
        self.units += o.units;
        self.clusters += o.clusters;
        self.churned += o.churned;
        self.before += o.before;
        self.kept += o.kept;
        self.before_sq += o.before_sq;
        self.kept_sq += o.kept_sq;
        self.cross += o.cross;
    }

    pub(super) fn grr(&self) -> Option<f64> {
        ratio(self.kept as f64, self.before as f64)
    }

    pub(super) fn logo_retention(&self) -> Option<f64> {
        ratio((self.units - self.churned) as f64, self.units as f64)
    }

    /// Variance of the ratio estimate kept / before over the units (delta method:
    /// the spread of kept - GRR x before, over the mean revenue before squared).
    fn variance(&self) -> Option<f64> {
        let r = self.grr()?;
        let n = self.clusters as f64;
        if self.clusters < 2 {
            return None;
        }
        let ss = self.kept_sq as f64 - 2.0 * r * self.cross as f64 + r * r * self.before_sq as f64;
        let mean_before = self.before as f64 / n;
        Some((ss / (n - 1.0)).max(0.0) / n / (mean_before * mean_before))
    }

    /// GRR with its interval at normal quantile `z` (normal approximation of the ratio
    /// estimate).
    pub(super) fn interval(&self, z: f64) -> Option<(f64, f64, f64)> {
        let r = self.grr()?;
        let se = self.variance()?.sqrt();
        Some((r, (r - z * se).max(0.0), (r + z * se).min(1.0)))
    }

    /// The estimate as binomial counts carrying the same information (Kish's effective
    /// sample size: n = GRR (1 - GRR) / variance), so that months and segments are
    /// shrunk, ranked and pooled for benchmarks exactly like the other links' rates.
    pub(super) fn as_rate(&self) -> Rate {
        let Some(r) = self.grr() else {
            return Rate::default();
        };
        let n = match self.variance() {
            Some(v) if v > 0.0 && r > 0.0 && r < 1.0 => (r * (1.0 - r) / v).round().max(1.0),
            _ => self.units as f64,
        };
        Rate {
            n: n as u64,
            k: (r * n).round() as u64,
        }
    }
}

/// One pass over a part: step cohorts, stage times and the handoff per contact, and
/// retention per unit.
pub(super) fn collect(
    s: &Snapshot,
    scope: &Scope<'_>,
    slots: &Slots,
    part: &Part,
    q: &BottleneckQuery,
    acc: &mut Acc,
) {
    let w = &q.window;
    let k = s.stages.len();
    let maturity = (q.maturity_days * MILLIS_PER_DAY as f64) as i64;
    let bench_end = w.as_of - maturity;
    let month_of = |t: i64, end: i64| -> Option<usize> {
        let back = end - t;
        (back > 0 && back <= MONTHS as i64 * MONTH_MS)
            .then(|| MONTHS - 1 - ((back - 1) / MONTH_MS) as usize)
    };
    let mql = s.stage_index("mql");
    let next = mql.filter(|m| m + 1 < k).map(|m| m + 1);
    let limit = (s.sla_hours * 3_600_000.0) as i64;
    let t = &s.touchpoints;
    let mut at = [0usize; 7];
    for c in part.contacts.clone() {
        if !scope.contact(c) {
            continue;
        }
        slots.contact(s, c, &mut at);
        let row = &s.entered[c * k..(c + 1) * k];
        for step in 1..k {
            let t0 = row[step - 1];
            if t0 == NEVER || t0 > bench_end {
                continue;
            }
            let t1 = row[step];
            let converted = t1 != NEVER && t1 - t0 <= maturity;
            let days = (t1.saturating_sub(t0)) as f64 / MILLIS_PER_DAY as f64;
            if w.contains(t0) {
                for &cell in &at {
                    acc.conv[step - 1][cell].add(converted);
                    if converted {
                        hist_add(&mut acc.dwell[step - 1][cell / slots.strata], days);
                    }
                }
            }
            if let Some(m) = month_of(t0, bench_end) {
                acc.conv_month[step - 1][m].add(converted);
                if converted {
                    hist_add(&mut acc.dwell_month[step - 1][m], days);
                }
            }
        }
        let Some(m) = mql else { continue };
        let t0 = row[m];
        if t0 == NEVER || t0 > w.as_of {
            continue;
        }
        let first = s
            .touches_of(c)
            .find(|&i| t.team[i] == Team::Sales && t.at[i] >= t0 && t.at[i] <= w.as_of);
        let within = match first {
            Some(i) => t.at[i] - t0 <= limit,
            None if w.as_of - t0 > limit => false,
            None => continue, // pending: the SLA has not run out
        };
        if w.contains(t0) {
            for &slot in &at {
                acc.handoff[slot].add(within);
            }
        }
        // What answering within the SLA is worth: the next-stage conversion of answered
        // and of late leads, over the mature MQLs of the year before (the benchmark's
        // history), each given the time to convert that step cohorts get. Judged on
        // the window's own leads, most of which had not had that time, the price swung
        // from nothing to millions with the hour of the day.
        if t0 <= bench_end && month_of(t0, bench_end).is_some() {
            let reached = next.is_some_and(|n| row[n] != NEVER && row[n] - t0 <= maturity);
            if within {
                acc.within_next.add(reached);
            } else {
                acc.late_next.add(reached);
            }
        }
        if let Some(mo) = month_of(t0, w.as_of) {
            acc.handoff_month[mo].add(within);
        }
    }
    // Retention: each unit's revenue by calendar month, the last twelve before the as-of
    // month and the one before them for a base.
    let zone = s.timezone;
    let day = |d| crate::calendar::day_start(zone, d);
    let this_month = crate::calendar::month_start(zone, w.as_of);
    let starts: Vec<i64> = (0..=MONTHS as u32 + 1)
        .rev()
        .map(|back| day(this_month - chrono::Months::new(back)))
        .collect();
    let windows: Vec<(i64, i64)> = starts.windows(2).map(|p| (p[0], p[1])).collect();
    // Subscription revenue only: a one-off fee or a refund not repeated next month is
    // not a customer lost. With recurring revenue, each unit's MRR on the last day of
    // each month (metrics.md, GRR on the MRR basis).
    let one_off = [s.names.get("one_off"), s.names.get("refund")];
    let recurring = |i: usize| !one_off.contains(&Some(s.revenue.kind[i]));
    let mut by_unit = |u: u32, v: &[i64]| {
        slots.unit(s, u as usize, &mut at);
        let mut own = Kept::default();
        for j in 1..v.len() {
            let month_start = windows[j].0;
            acc.retention_month[j - 1].add(v[j - 1], v[j]);
            if month_start >= w.from && month_start < w.end() {
                own.add(v[j - 1], v[j]);
            }
        }
        if own.units > 0 {
            for &cell in &at {
                acc.retention[cell].add_unit(&own);
            }
        }
    };
    if crate::scorecard::RetentionBasis::of(s) == crate::scorecard::RetentionBasis::Mrr {
        let days: Vec<i32> = windows
            .iter()
            .map(|&(_, b)| crate::calendar::day_of(zone, b - 1))
            .collect();
        crate::mrr::for_each_unit_mrr(s, scope, part, &days, |u, v, _| by_unit(u, v));
    } else {
        for_each_unit_where(s, scope, part, &windows, recurring, by_unit);
    }
}

impl Acc {
    /// These counts, laid out by `from`, moved into the cells of `to`, which holds every
    /// value of `from`.
    pub(super) fn remap(self, from: &Layout, to: &Layout) -> Acc {
        let at: HashMap<(Dim, u32), usize> =
            to.of.iter().enumerate().map(|(i, &k)| (k, i + 1)).collect();
        let slot: Vec<usize> = std::iter::once(0)
            .chain(from.of.iter().map(|k| at[k]))
            .collect();
        let to_segments: Vec<u32> = to.segments().collect();
        let mut stratum: Vec<usize> = from
            .segments()
            .map(|v| {
                to_segments
                    .iter()
                    .position(|&x| x == v)
                    .expect("the layout holds every segment")
            })
            .collect();
        if stratum.is_empty() {
            stratum.push(0);
        }
        let (fs, ts) = (from.strata(), to.strata());
        let cell = |c: usize| slot[c / fs] * ts + stratum[c % fs];
        let cells = |old: Vec<Rate>| {
            let mut new = vec![Rate::default(); to.cells()];
            for (c, r) in old.into_iter().enumerate() {
                new[cell(c)].merge(r);
            }
            new
        };
        let slots = |old: Vec<Vec<u32>>| {
            let mut new = vec![Vec::new(); to.count()];
            for (i, h) in old.into_iter().enumerate() {
                new[slot[i]] = h;
            }
            new
        };
        let mut retention = vec![Kept::default(); to.cells()];
        for (c, k) in self.retention.iter().enumerate() {
            retention[cell(c)].merge(k);
        }
        Acc {
            conv: self.conv.into_iter().map(cells).collect(),
            conv_month: self.conv_month,
            dwell: self.dwell.into_iter().map(slots).collect(),
            dwell_month: self.dwell_month,
            handoff: cells(self.handoff),
            handoff_month: self.handoff_month,
            within_next: self.within_next,
            late_next: self.late_next,
            retention,
            retention_month: self.retention_month,
        }
    }
}

/// One contact shard's share of the bottleneck finder (`crate::shard`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BottleneckPartial {
    layout: Layout,
    acc: Acc,
    /// The plan's rates funnel, counted for a what-if only.
    rates: Option<FunnelPartial>,
}

/// The counts of the contacts, touchpoints and cut of the shared tables `owned` holds,
/// in `scope` (a filter's records, or all).
pub fn shard_partial(
    s: &Snapshot,
    q: &BottleneckQuery,
    owned: Owned<'_>,
    scope: &Scope<'_>,
) -> BottleneckPartial {
    let slots = match owned {
        Owned::Whole => Slots::new(s),
        Owned::Shard { dims, .. } => Slots::of_shard(s, dims),
    };
    let steps = s.stages.len().saturating_sub(1);
    let mut acc = Acc::new(steps, slots.count(), slots.cells());
    collect(s, scope, &slots, &owned.part(s), q, &mut acc);
    let rates = q
        .what_if
        .is_some()
        .then(|| crate::funnel::counts(s, &crate::forecast::rates_funnel(s, &q.window), scope));
    BottleneckPartial {
        layout: slots.layout,
        acc,
        rates,
    }
}

/// The report of every shard's counts, as `bottlenecks_in` gives it on the whole
/// snapshot. `shared` holds the shared tables, numbered for `units` customer units;
/// `scope` is the filter's, made on the client from the shared tables.
pub fn finish_shards(
    shared: &Snapshot,
    scope: &Scope<'_>,
    units: usize,
    q: &BottleneckQuery,
    partials: Vec<BottleneckPartial>,
) -> super::BottlenecksReport {
    let layout = Layout::union(shared, partials.iter().map(|p| &p.layout));
    let steps = shared.stages.len().saturating_sub(1);
    let mut acc = Acc::new(steps, layout.count(), layout.cells());
    let mut rates = FunnelPartial::empty(shared.stages.len());
    for p in partials {
        acc = acc.merge(p.acc.remap(&p.layout, &layout));
        if let Some(r) = p.rates {
            rates = rates.merge(r);
        }
    }
    let rates = q.what_if.is_some().then(|| {
        crate::funnel::finish(
            &shared.stages,
            &crate::forecast::rates_funnel(shared, &q.window),
            rates,
        )
    });
    let counted = super::Counted {
        parts: crate::part::parts_of_units(shared, units),
        units,
    };
    super::judge(shared, scope, q, &layout, acc, &counted, rates)
}
