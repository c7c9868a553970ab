//! The marketing-to-sales handoff (metrics.md "lead_response_minutes"): how long leads
//! that entered `mql` in the period waited for their first sales touchpoint, how many
//! waited longer than the workspace SLA, and how leads answered within the SLA converted
//! to the next stage against those answered late or never.

use crate::funnel::Period;
use crate::part::{Part, map_merge, parts};
use crate::slice::Scope;
use crate::snapshot::{NEVER, Snapshot, Team};
use crate::stats::{Z90, percentile_cont, wilson};
use crate::window::Window;
use serde::{Deserialize, Serialize};

/// Leads of one side of the SLA and how many reached the next stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub leads: u64,
    pub converted: u64,
    pub conversion: Option<f64>,
    pub conversion_low: Option<f64>,
    pub conversion_high: Option<f64>,
}

impl Group {
    fn new(leads: u64, converted: u64) -> Group {
        let ci = wilson(converted, leads, Z90);
        Group {
            leads,
            converted,
            conversion: (leads > 0).then(|| converted as f64 / leads as f64),
            conversion_low: ci.map(|c| c.0),
            conversion_high: ci.map(|c| c.1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaReport {
    pub period: Period,
    pub as_of: String,
    pub sla_hours: f64,
    /// Leads that entered `mql` in the period.
    pub leads: u64,
    /// Of those, the ones a sales touchpoint reached by the as-of time.
    pub responded: u64,
    /// Not answered yet, with the SLA not yet over at the as-of time: neither kept nor
    /// breached.
    pub pending: u64,
    pub median_response_minutes: Option<f64>,
    pub p90_response_minutes: Option<f64>,
    /// Answered after the SLA, or not answered when it ran out; null (with `reason`)
    /// when no lead could ever be answered.
    pub breached: Option<u64>,
    /// breached / (leads - pending).
    pub breach_rate: Option<f64>,
    pub breach_rate_low: Option<f64>,
    pub breach_rate_high: Option<f64>,
    /// The stage after `mql` whose conversion the two groups compare.
    pub next_stage: Option<String>,
    pub within_sla: Option<Group>,
    pub late: Option<Group>,
    /// Why the breach rate is no data: without any sales touchpoint in the workspace a
    /// lead can never be answered, and 100% breached would be an artefact of the import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The counts of one part; parts merge by adding counts and joining the minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlaPartial {
    /// The part holds a sales touchpoint: without any in the workspace, no lead could
    /// ever be answered.
    pub answerable: bool,
    pub leads: u64,
    pub responded: u64,
    pub pending: u64,
    pub breached: u64,
    /// Minutes to the first sales touch of the leads that were answered.
    pub minutes: Vec<f64>,
    pub kept: u64,
    pub kept_converted: u64,
    pub late: u64,
    pub late_converted: u64,
}

impl SlaPartial {
    pub fn merge(mut self, o: SlaPartial) -> SlaPartial {
        self.answerable |= o.answerable;
        self.leads += o.leads;
        self.responded += o.responded;
        self.pending += o.pending;
        self.breached += o.breached;
        self.minutes.extend(o.minutes);
        self.kept += o.kept;
        self.kept_converted += o.kept_converted;
        self.late += o.late;
        self.late_converted += o.late_converted;
        self
    }
}

/// The leads of one part: contacts that entered `mql` in the window.
pub fn sla_partial(s: &Snapshot, scope: &Scope<'_>, part: &Part, w: &Window) -> SlaPartial {
    let t = &s.touchpoints;
    let mut p = SlaPartial {
        answerable: t.team[part.touches.clone()].contains(&Team::Sales),
        ..SlaPartial::default()
    };
    let Some(mql) = s.stage_index("mql") else {
        return p;
    };
    let limit = s.sla_hours * 60.0;
    let next = (mql + 1 < s.stages.len()).then_some(mql + 1);
    let k = s.stages.len();
    for c in part.contacts.clone() {
        let at = s.entered[c * k + mql];
        // A lead that entered mql only because a later stage implies it was never
        // handed to sales as an MQL: no clock starts (metrics.md).
        if at == NEVER || s.implied[c * k + mql] || !w.contains(at) || !scope.contact(c) {
            continue;
        }
        p.leads += 1;
        let first = s
            .touches_of(c)
            .find(|&i| t.team[i] == Team::Sales && t.at[i] >= at && t.at[i] <= w.as_of);
        let converted = next.is_some_and(|n| {
            let e = s.entered[c * k + n];
            e != NEVER && e <= w.as_of
        });
        let late = match first {
            Some(i) => {
                let minutes = (t.at[i] - at) as f64 / 60_000.0;
                p.responded += 1;
                p.minutes.push(minutes);
                minutes > limit
            }
            None if (w.as_of - at) as f64 / 60_000.0 > limit => true,
            None => {
                p.pending += 1;
                continue;
            }
        };
        if late {
            p.breached += 1;
            p.late += 1;
            p.late_converted += u64::from(converted);
        } else {
            p.kept += 1;
            p.kept_converted += u64::from(converted);
        }
    }
    p
}

/// Turns the merged counts into the report.
pub fn finish(s: &Snapshot, w: &Window, mut p: SlaPartial) -> SlaReport {
    p.minutes.sort_by(f64::total_cmp);
    let mql = s.stage_index("mql");
    let next = mql.and_then(|m| (m + 1 < s.stages.len()).then_some(m + 1));
    let decided = p.leads - p.pending;
    let answerable = p.answerable;
    let ci = wilson(p.breached, decided, Z90).filter(|_| answerable);
    SlaReport {
        period: w.period(),
        as_of: w.as_of_text(),
        sla_hours: s.sla_hours,
        leads: p.leads,
        responded: p.responded,
        pending: p.pending,
        median_response_minutes: percentile_cont(&p.minutes, 0.5),
        p90_response_minutes: percentile_cont(&p.minutes, 0.9),
        breached: answerable.then_some(p.breached),
        breach_rate: (decided > 0 && answerable).then(|| p.breached as f64 / decided as f64),
        breach_rate_low: ci.map(|c| c.0),
        breach_rate_high: ci.map(|c| c.1),
        next_stage: next.map(|n| s.stages[n].clone()),
        within_sla: answerable.then(|| Group::new(p.kept, p.kept_converted)),
        late: answerable.then(|| Group::new(p.late, p.late_converted)),
        reason: (!answerable).then(|| "no sales touchpoint recorded".to_string()),
    }
}

/// The report for one scope, its parts counted in parallel.
pub fn sla(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> SlaReport {
    sla_in(s, scope, w, &parts(s))
}

/// The report computed part by part over `parts` and merged.
pub fn sla_in(s: &Snapshot, scope: &Scope<'_>, w: &Window, parts: &[Part]) -> SlaReport {
    let merged =
        map_merge(parts, |p| sla_partial(s, scope, p, w), SlaPartial::merge).unwrap_or_default();
    finish(s, w, merged)
}
