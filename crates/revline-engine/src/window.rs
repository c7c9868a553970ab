//! The period a report covers, its as-of time, and the targets set for it.

use crate::funnel::Period;
use crate::snapshot::{Snapshot, Target};
use revline_core::Millis;
use revline_core::time::format_timestamp;

/// A report period [from, to) seen at `as_of`: nothing after `as_of` is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub from: Millis,
    pub to: Millis,
    pub as_of: Millis,
}

impl Window {
    /// The exclusive end of what is counted: the period's end or just after the as-of time.
    pub fn end(&self) -> Millis {
        self.to.min(self.as_of.saturating_add(1))
    }

    pub fn contains(&self, t: Millis) -> bool {
        t >= self.from && t < self.end()
    }

    pub fn period(&self) -> Period {
        Period {
            from: format_timestamp(self.from),
            to: format_timestamp(self.to),
        }
    }

    pub fn as_of_text(&self) -> String {
        format_timestamp(self.as_of)
    }
}

/// How targets of several periods combine into one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Amounts and counts add up (revenue of three months is the quarter's).
    Sum,
    /// Rates are averaged over the periods.
    Mean,
}

/// The target for `metric` over [from, to): a targets.csv row of exactly that period,
/// else rows of one granularity (months, quarters or years) that tile the period
/// exactly, combined. `segment` picks rows set for one segment; `None` the overall ones.
pub fn target(
    s: &Snapshot,
    metric: &str,
    from: Millis,
    to: Millis,
    segment: Option<&str>,
    combine: Combine,
) -> Option<f64> {
    let rows: Vec<&Target> = s
        .targets
        .iter()
        .filter(|t| t.metric == metric && t.segment.as_deref() == segment)
        .filter(|t| t.start >= from && t.end <= to)
        .collect();
    if let Some(exact) = rows.iter().find(|t| t.start == from && t.end == to) {
        return Some(exact.value);
    }
    let granularity = |p: &str| {
        if p.contains('Q') {
            1
        } else if p.contains('-') {
            0
        } else {
            2
        }
    };
    for g in 0..3 {
        let mut tiles: Vec<&&Target> = rows
            .iter()
            .filter(|t| granularity(&t.period) == g)
            .collect();
        tiles.sort_by_key(|t| t.start);
        tiles.dedup_by_key(|t| t.start);
        let covers = !tiles.is_empty()
            && tiles.first().is_some_and(|t| t.start == from)
            && tiles.last().is_some_and(|t| t.end == to)
            && tiles.windows(2).all(|w| w[0].end == w[1].start);
        if covers {
            let sum: f64 = tiles.iter().map(|t| t.value).sum();
            return Some(match combine {
                Combine::Sum => sum,
                Combine::Mean => sum / tiles.len() as f64,
            });
        }
    }
    None
}

/// Minor units of the workspace currency as a decimal amount of it.
pub fn major(s: &Snapshot, minor: f64) -> f64 {
    minor / 10f64.powi(s.currency.exponent() as i32)
}
