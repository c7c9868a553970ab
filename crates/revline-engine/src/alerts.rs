//! Alert conditions (alerts.md "Rules") judged over a snapshot, and the life of one
//! alert: it fires when its condition becomes true, resolves once it has been false for
//! two evaluations in a row, and fires again only after it resolved.
//!
//! Every judgement is made from the same reports the pages show (the scorecard, the
//! bottleneck finder), so an alert never says a number the app does not. Summaries name
//! the link and the figures, never a team.

use crate::calendar::named_period;
use crate::link::{Link, LinkKind};
use crate::query::{Output, ReportKind, ReportParams, ReportQuery, run};
use crate::snapshot::{NEVER, Snapshot, Team};
use revline_core::{Millis, RecordKind, Settings};
use serde::{Deserialize, Serialize};
use serde_json::json;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// MQLs older than this are not waiting any more but lost: `lead_waiting` looks at the
/// last 30 days, so that years-old leads nobody called do not keep an alert up forever.
pub const LEAD_WAITING_DAYS: i64 = 30;

/// A `metric` rule on a rate or an average fires only once it is computed from at least
/// this many records (its `n`).
pub const MIN_METRIC_COUNT: u64 = 20;

/// The bottleneck finder's window for `bottleneck` rules (alerts.md): trailing 90 days.
pub const BOTTLENECK_DAYS: i64 = 90;

/// What a rule watches (alerts.md "Rules").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    LeadWaiting {
        /// Default: the workspace's `sla_hours`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hours: Option<f64>,
        #[serde(default = "one")]
        min_count: u64,
    },
    Metric {
        metric: String,
        period: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        below: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        above: Option<f64>,
        /// A fraction of the target's pace.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        below_pace: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
    },
    Bottleneck {
        min_at_stake: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
    },
    Freshness {
        kind: String,
        hours: f64,
    },
}

fn one() -> u64 {
    1
}

/// The periods a `metric` rule may watch.
pub const PERIODS: [&str; 3] = ["this_month", "this_quarter", "last_12_months"];

/// The scorecard metrics a `metric` rule may watch (metrics.md).
pub const METRICS: [&str; 20] = [
    "revenue",
    "new_customers",
    "pipeline_created",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
    "sales_velocity",
    "pipeline_coverage",
    "cac",
    "nrr",
    "grr",
    "logo_churn",
    "ltv",
    "ltv_cac",
    "lead_response_minutes",
    "sla_breach_rate",
    "leads",
    "mql",
    "sql",
    "opportunities",
];

impl Condition {
    /// Checks a condition as a person wrote it, saying what is wrong in their terms.
    pub fn check(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name}: must be a number above 0"))
            }
        };
        match self {
            Condition::LeadWaiting { hours, min_count } => {
                if let Some(h) = hours {
                    positive("hours", *h)?;
                }
                if *min_count == 0 {
                    return Err("min_count: must be 1 or more".into());
                }
                Ok(())
            }
            Condition::Metric {
                metric,
                period,
                below,
                above,
                below_pace,
                filter,
            } => {
                check_filter(filter.as_deref())?;
                if !METRICS.contains(&metric.as_str()) {
                    return Err(format!("metric: one of {}", METRICS.join(", ")));
                }
                if !PERIODS.contains(&period.as_str()) {
                    return Err(format!("period: one of {}", PERIODS.join(", ")));
                }
                match (below, above, below_pace) {
                    (Some(_), None, None) | (None, Some(_), None) => Ok(()),
                    (None, None, Some(p)) => positive("below_pace", *p),
                    _ => Err("give exactly one of below, above or below_pace".into()),
                }
            }
            Condition::Bottleneck {
                min_at_stake,
                filter,
            } => {
                check_filter(filter.as_deref())?;
                if min_at_stake.is_finite() && *min_at_stake >= 0.0 {
                    Ok(())
                } else {
                    Err("min_at_stake: must be an amount, 0 or more".into())
                }
            }
            Condition::Freshness { kind, hours } => {
                positive("hours", *hours)?;
                if fresh_times(kind).is_none() {
                    return Err(format!(
                        "kind: one of {}",
                        FRESHNESS_KINDS.map(|k| k.name()).join(", ")
                    ));
                }
                Ok(())
            }
        }
    }
}

/// A slice as the reports take it (`channel:webinar`), checked by the reports' own
/// parser: a rule with a filter no report reads would never fire.
fn check_filter(filter: Option<&str>) -> Result<(), String> {
    let Some(filter) = filter else { return Ok(()) };
    let params = ReportParams {
        filter: Some(filter.to_string()),
        ..Default::default()
    };
    ReportQuery::parse(ReportKind::Scorecard, &params, &Settings::default(), 0)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// What a summary says, as figures: the presentation writes the sentence in the
/// workspace's language (it names the link and the figures, never a team).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "about", rename_all = "snake_case")]
pub enum Facts {
    /// MQLs of the handoff link left without a sales touch for longer than `hours`.
    LeadWaiting { waiting: u64, hours: f64 },
    Metric {
        metric: String,
        period: String,
        value: Option<f64>,
        unit: String,
        /// How many records the value is computed from, where it is a rate.
        count: Option<u64>,
        bound: Bound,
    },
    /// A finding of the bottleneck report of the trailing 90 days.
    Bottleneck {
        link: Link,
        kind: LinkKind,
        segment: Option<String>,
        current: f64,
        benchmark: f64,
        revenue_at_stake: f64,
        currency: String,
    },
    /// The newest record of a kind, by its own time.
    Freshness {
        kind: String,
        newest: Option<Millis>,
        hours_since: Option<f64>,
        hours: f64,
    },
    /// A subject with a state that the rule no longer observes (a bottleneck that
    /// went away).
    Gone,
}

/// The bound a metric is held to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Bound {
    Below {
        value: f64,
    },
    Above {
        value: f64,
    },
    /// A share of the pace to the period's target.
    BelowPace {
        share: f64,
        pace: f64,
    },
    /// `below_pace` without a target for the period: nothing to compare with.
    NoTarget {
        share: f64,
    },
}

/// One subject of a rule, judged now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// `workspace`, a link and segment (`conversion:mql->sql|segment=smb`), or a kind.
    pub subject: String,
    pub holds: bool,
    /// What the summary sentence says.
    pub facts: Facts,
    /// The numbers behind the summary.
    pub figures: serde_json::Value,
    /// The page that shows it, with its period and filter.
    pub link: String,
}

/// Judges a condition over the snapshot as of `now`. A subject with no data is never
/// judged true ("no data never fires").
pub fn evaluate(
    s: &Snapshot,
    settings: &Settings,
    condition: &Condition,
    now: Millis,
) -> Vec<Observation> {
    match condition {
        Condition::LeadWaiting { hours, min_count } => {
            vec![lead_waiting(
                s,
                hours.unwrap_or(s.sla_hours),
                *min_count,
                now,
            )]
        }
        Condition::Metric {
            metric,
            period,
            below,
            above,
            below_pace,
            filter,
        } => metric_rule(
            s,
            settings,
            MetricRule {
                metric,
                period,
                below: *below,
                above: *above,
                below_pace: *below_pace,
                filter: filter.as_deref(),
            },
            now,
        )
        .into_iter()
        .collect(),
        Condition::Bottleneck {
            min_at_stake,
            filter,
        } => bottleneck_rule(s, settings, *min_at_stake, filter.as_deref(), now),
        Condition::Freshness { kind, hours } => {
            freshness(s, kind, *hours, now).into_iter().collect()
        }
    }
}

/// Contacts that entered `mql` explicitly more than `hours` ago (within the last
/// `LEAD_WAITING_DAYS`), with no sales touch since and no later stage reached.
fn lead_waiting(s: &Snapshot, hours: f64, min_count: u64, now: Millis) -> Observation {
    let mut waiting: Vec<(&str, Millis)> = Vec::new();
    if let Some(mql) = s.stage_index("mql") {
        let k = s.stages.len();
        let t = &s.touchpoints;
        let due = now - (hours * HOUR as f64) as i64;
        let oldest = now - LEAD_WAITING_DAYS * DAY;
        for c in 0..s.contacts() {
            let at = s.entered[c * k + mql];
            if at == NEVER || s.implied[c * k + mql] || at > due || at < oldest {
                continue;
            }
            let moved_on = (mql + 1..k).any(|st| {
                let e = s.entered[c * k + st];
                e != NEVER && e <= now
            });
            let answered = s
                .touches_of(c)
                .any(|i| t.team[i] == Team::Sales && t.at[i] >= at && t.at[i] <= now);
            if !moved_on && !answered {
                waiting.push((&s.contact_ids[c], at));
            }
        }
    }
    waiting.sort_by_key(|(id, at)| (*at, *id));
    let count = waiting.len() as u64;
    let listed: Vec<_> = waiting
        .iter()
        .take(50)
        .map(|(id, at)| json!({"contact_id": id, "mql_at": revline_core::time::format_timestamp(*at)}))
        .collect();
    Observation {
        subject: "workspace".into(),
        holds: count >= min_count,
        facts: Facts::LeadWaiting {
            waiting: count,
            hours,
        },
        figures: json!({"waiting": count, "hours": hours, "min_count": min_count, "contacts": listed}),
        link: "/retention#sla".into(),
    }
}

struct MetricRule<'a> {
    metric: &'a str,
    period: &'a str,
    below: Option<f64>,
    above: Option<f64>,
    below_pace: Option<f64>,
    filter: Option<&'a str>,
}

fn metric_rule(
    s: &Snapshot,
    settings: &Settings,
    rule: MetricRule<'_>,
    now: Millis,
) -> Option<Observation> {
    let (from, to) = named_period(s.timezone, rule.period, now)?;
    let params = ReportParams {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        filter: rule.filter.map(str::to_string),
        ..Default::default()
    };
    let query = ReportQuery::parse(ReportKind::Scorecard, &params, settings, now).ok()?;
    // The current figures and pace only: the comparison and reach cost as much again.
    let card = crate::query::run_scorecard_current(s, &query, rule.below_pace.is_some());
    let card = card.overall();
    let m = card.metrics.iter().find(|m| m.name == rule.metric)?;
    let value = m.value;
    let (holds, bound) = match (rule.below, rule.above, rule.below_pace) {
        (Some(b), _, _) => (value.is_some_and(|v| v < b), Bound::Below { value: b }),
        (_, Some(a), _) => (value.is_some_and(|v| v > a), Bound::Above { value: a }),
        (_, _, Some(share)) => match m.pace {
            Some(pace) => (
                value.is_some_and(|v| v < pace * share),
                Bound::BelowPace { share, pace },
            ),
            // Without a target there is no pace: no data never fires.
            None => (false, Bound::NoTarget { share }),
        },
        // `check` refuses a metric rule without a bound.
        _ => return None,
    };
    // Minimum volume: a rate or an average of a handful of records (a win rate on the
    // quarter's first two deals) says nothing yet, and would fire on every new quarter.
    let holds = holds && m.count.is_none_or(|n| n >= MIN_METRIC_COUNT);
    let link = format!(
        "/?period={}{}",
        rule.period,
        rule.filter.map_or(String::new(), |f| format!(
            "&filter={}",
            revline_core::url::url_encode(f)
        ))
    );
    Some(Observation {
        subject: rule
            .filter
            .map_or("workspace".to_string(), |f| format!("filter={f}")),
        holds,
        facts: Facts::Metric {
            metric: rule.metric.to_string(),
            period: rule.period.to_string(),
            value,
            unit: m.unit.to_string(),
            count: m.count,
            bound,
        },
        figures: json!({"metric": rule.metric, "value": value, "unit": m.unit, "pace": m.pace,
                        "target": m.target, "count": m.count, "period": {"from": from.to_string(), "to": to.to_string()}}),
        link,
    })
}

fn bottleneck_rule(
    s: &Snapshot,
    settings: &Settings,
    min_at_stake: f64,
    filter: Option<&str>,
    now: Millis,
) -> Vec<Observation> {
    let from = crate::calendar::date_of(s.timezone, now - BOTTLENECK_DAYS * DAY);
    let to = crate::calendar::date_of(s.timezone, now) + chrono::Days::new(1);
    // The finder searches every slice itself; a filter keeps the findings of one
    // (`channel:webinar` is the finding segment `channel=webinar`).
    let segment = filter
        .and_then(|f| f.split_once(':'))
        .map(|(dim, value)| format!("{}={}", dim.trim(), value.trim()));
    let params = ReportParams {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        ..Default::default()
    };
    let Ok(query) = ReportQuery::parse(ReportKind::Bottlenecks, &params, settings, now) else {
        return Vec::new();
    };
    let Ok(Output::Bottlenecks(report)) = run(s, &query) else {
        return Vec::new();
    };
    report
        .findings
        .iter()
        .filter(|f| f.revenue_at_stake >= min_at_stake)
        .filter(|f| segment.is_none() || f.segment == segment)
        .map(|f| Observation {
            subject: format!("{}|{}", f.link, f.segment.as_deref().unwrap_or("all")),
            holds: true,
            facts: Facts::Bottleneck {
                link: f.link.clone(),
                kind: f.kind,
                segment: f.segment.clone(),
                current: f.current,
                benchmark: f.benchmark,
                revenue_at_stake: f.revenue_at_stake,
                currency: report.currency.to_string(),
            },
            figures: json!({"link": f.link, "segment": f.segment, "current": f.current,
                            "benchmark": f.benchmark, "revenue_at_stake": f.revenue_at_stake,
                            "currency": report.currency, "volume": f.volume}),
            link: format!("/bottlenecks?from={from}&to={to}"),
        })
        .collect()
}

/// Kinds a `freshness` rule may watch: those whose rows carry their own time.
pub const FRESHNESS_KINDS: [RecordKind; 6] = [
    RecordKind::Contacts,
    RecordKind::Touchpoints,
    RecordKind::Stages,
    RecordKind::Deals,
    RecordKind::Revenue,
    RecordKind::Tickets,
];

/// The instants of a kind's rows, by name.
fn fresh_times(kind: &str) -> Option<RecordKind> {
    FRESHNESS_KINDS.into_iter().find(|k| k.name() == kind)
}

/// The newest of a kind's records, read by its own time (when it happened): a CRM export
/// that arrives again with old rows is not fresh data.
fn newest(s: &Snapshot, kind: RecordKind) -> Option<Millis> {
    let max = |v: &[i64]| v.iter().copied().filter(|&t| t != NEVER).max();
    match kind {
        RecordKind::Contacts => max(&s.contact.created_at),
        RecordKind::Touchpoints => max(&s.touchpoints.at),
        RecordKind::Stages => s.stage_rows.iter().map(|r| r.2).max(),
        RecordKind::Deals => max(&s.deals.created_at),
        RecordKind::Revenue => max(&s.revenue.at),
        RecordKind::Tickets => max(&s.tickets.opened_at),
        _ => None,
    }
}

fn freshness(s: &Snapshot, kind: &str, hours: f64, now: Millis) -> Option<Observation> {
    let kind = fresh_times(kind)?;
    let last = newest(s, kind);
    let quiet = last.map(|t| (now - t) as f64 / HOUR as f64);
    Some(Observation {
        subject: kind.name().to_string(),
        // A kind that never had a record is not "stale": no data never fires.
        holds: quiet.is_some_and(|q| q > hours),
        facts: Facts::Freshness {
            kind: kind.name().to_string(),
            newest: last,
            hours_since: quiet,
            hours,
        },
        figures: json!({"kind": kind.name(), "newest": last.map(revline_core::time::format_timestamp),
                        "hours_since": quiet, "hours": hours}),
        link: format!("/records?kind={}", kind.name()),
    })
}

/// The stored state of one rule and subject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    pub firing: bool,
    /// Evaluations in a row that found the condition false while firing.
    pub false_streak: u8,
}

/// What one evaluation did to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Fired,
    Resolved,
}

impl AlertState {
    /// The next state after an evaluation that found the condition `holds`: fire when it
    /// becomes true, resolve after two false evaluations in a row, no repeats between.
    pub fn step(self, holds: bool) -> (AlertState, Option<Transition>) {
        match (self.firing, holds) {
            (false, true) => (
                AlertState {
                    firing: true,
                    false_streak: 0,
                },
                Some(Transition::Fired),
            ),
            (false, false) => (AlertState::default(), None),
            (true, true) => (
                AlertState {
                    firing: true,
                    false_streak: 0,
                },
                None,
            ),
            (true, false) if self.false_streak >= 1 => {
                (AlertState::default(), Some(Transition::Resolved))
            }
            (true, false) => (
                AlertState {
                    firing: true,
                    false_streak: 1,
                },
                None,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_fires_once_and_resolves_after_two_false_evaluations() {
        let mut state = AlertState::default();
        let mut seen = Vec::new();
        for holds in [false, true, true, false, true, false, false, false, true] {
            let (next, t) = state.step(holds);
            state = next;
            seen.push(t);
        }
        use Transition::*;
        assert_eq!(
            seen,
            [
                None,
                Some(Fired),
                None,
                None,
                None,
                None,
                Some(Resolved),
                None,
                Some(Fired)
            ]
        );
    }

    #[test]
    fn conditions_read_as_alerts_md_writes_them_and_are_checked() {
        let c: Condition = serde_json::from_str(
            r#"{"type":"metric","metric":"win_rate","period":"this_quarter","below_pace":0.8}"#,
        )
        .unwrap();
        assert!(c.check().is_ok());
        let two: Condition = serde_json::from_str(
            r#"{"type":"metric","metric":"win_rate","period":"this_quarter","below":0.2,"above":0.9}"#,
        )
        .unwrap();
        assert!(two.check().unwrap_err().contains("exactly one"));
        let lw: Condition = serde_json::from_str(r#"{"type":"lead_waiting"}"#).unwrap();
        assert_eq!(
            lw,
            Condition::LeadWaiting {
                hours: None,
                min_count: 1
            }
        );
        assert!(
            serde_json::from_str::<Condition>(r#"{"type":"freshness","kind":"spend","hours":2}"#)
                .unwrap()
                .check()
                .unwrap_err()
                .starts_with("kind:")
        );
        assert!(serde_json::from_str::<Condition>(r#"{"type":"weather"}"#).is_err());
    }
}
