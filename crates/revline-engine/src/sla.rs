//! The marketing-to-sales handoff (metrics.md "lead_response_minutes"): how long leads
//! that entered `mql` in the period waited for their first sales touchpoint, how many
//! waited longer than the workspace SLA, and how leads answered within the SLA converted
//! to the next stage against those answered late or never.

use crate::funnel::Period;
use crate::scorecard::responses;
use crate::slice::Scope;
use crate::snapshot::{NEVER, Snapshot};
use crate::stats::{Z90, percentile_cont, wilson};
use crate::window::Window;
use serde::Serialize;

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
    /// Answered after the SLA, or not answered when it ran out.
    pub breached: u64,
    /// breached / (leads - pending).
    pub breach_rate: Option<f64>,
    pub breach_rate_low: Option<f64>,
    pub breach_rate_high: Option<f64>,
    /// The stage after `mql` whose conversion the two groups compare.
    pub next_stage: Option<String>,
    pub within_sla: Group,
    pub late: Group,
}

pub fn sla(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> SlaReport {
    let limit = s.sla_hours * 60.0;
    let mql = s.stage_index("mql");
    let next = mql.and_then(|m| (m + 1 < s.stages.len()).then_some(m + 1));
    let k = s.stages.len();
    let (mut responded, mut pending, mut breached) = (0u64, 0u64, 0u64);
    let (mut kept_n, mut kept_conv, mut late_n, mut late_conv) = (0u64, 0u64, 0u64, 0u64);
    let mut minutes = Vec::new();
    let mut leads = 0u64;
    if let (Some(m), Some(r)) = (mql, responses(s, scope, w)) {
        leads = r.entered.len() as u64;
        minutes = r.minutes;
        for (j, &c) in r.entered.iter().enumerate() {
            let at = s.entered[c * k + m];
            let converted = next.is_some_and(|n| {
                let t = s.entered[c * k + n];
                t != NEVER && t <= w.as_of
            });
            let late = match r.response[j] {
                Some(mins) => {
                    responded += 1;
                    mins > limit
                }
                None if (w.as_of - at) as f64 / 60_000.0 > limit => true,
                None => {
                    pending += 1;
                    continue;
                }
            };
            if late {
                breached += 1;
                late_n += 1;
                late_conv += u64::from(converted);
            } else {
                kept_n += 1;
                kept_conv += u64::from(converted);
            }
        }
    }
    let decided = leads - pending;
    let ci = wilson(breached, decided, Z90);
    SlaReport {
        period: w.period(),
        as_of: w.as_of_text(),
        sla_hours: s.sla_hours,
        leads,
        responded,
        pending,
        median_response_minutes: percentile_cont(&minutes, 0.5),
        p90_response_minutes: percentile_cont(&minutes, 0.9),
        breached,
        breach_rate: (decided > 0).then(|| breached as f64 / decided as f64),
        breach_rate_low: ci.map(|c| c.0),
        breach_rate_high: ci.map(|c| c.1),
        next_stage: next.map(|n| s.stages[n].clone()),
        within_sla: Group::new(kept_n, kept_conv),
        late: Group::new(late_n, late_conv),
    }
}
