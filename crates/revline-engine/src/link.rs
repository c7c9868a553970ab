//! The links of the revenue chain and where their benchmarks come from, as types: the
//! bottleneck finder names them, the pages and alerts write them in the reader's
//! language from these, never by parsing the engine's English.
//!
//! Both serialise as the strings interface.md documents (`conversion:mql->sql`,
//! `best quartile of segments`), so the JSON is the same whoever reads it.

use serde::{Serialize, Serializer};
use std::fmt;

/// How a link's rates read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A share of one stage's entrants reaching the next.
    Conversion,
    /// The median days from the stage before (lower is better).
    StageTime,
    /// The share of MQLs answered within the SLA.
    Handoff,
    /// Gross revenue kept month over month.
    Retention,
}

impl LinkKind {
    pub fn name(self) -> &'static str {
        match self {
            LinkKind::Conversion => "conversion",
            LinkKind::StageTime => "stage_time",
            LinkKind::Handoff => "handoff",
            LinkKind::Retention => "retention",
        }
    }
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Link {
    /// `conversion:FROM->TO`.
    Conversion {
        from: String,
        to: String,
    },
    /// `time:STAGE`: the days it takes to reach STAGE from the stage before.
    StageTime {
        stage: String,
    },
    Handoff,
    Retention,
}

impl Link {
    pub fn kind(&self) -> LinkKind {
        match self {
            Link::Conversion { .. } => LinkKind::Conversion,
            Link::StageTime { .. } => LinkKind::StageTime,
            Link::Handoff => LinkKind::Handoff,
            Link::Retention => LinkKind::Retention,
        }
    }

    /// Reads a link as `Display` writes it.
    pub fn parse(text: &str) -> Option<Link> {
        if let Some(step) = text.strip_prefix("conversion:") {
            let (from, to) = step.split_once("->")?;
            return Some(Link::Conversion {
                from: from.to_string(),
                to: to.to_string(),
            });
        }
        if let Some(stage) = text.strip_prefix("time:") {
            return Some(Link::StageTime {
                stage: stage.to_string(),
            });
        }
        match text {
            "handoff" => Some(Link::Handoff),
            "retention" => Some(Link::Retention),
            _ => None,
        }
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Padded as a string is, so that tables can align it.
        f.pad(&match self {
            Link::Conversion { from, to } => format!("conversion:{from}->{to}"),
            Link::StageTime { stage } => format!("time:{stage}"),
            Link::Handoff => "handoff".into(),
            Link::Retention => "retention".into(),
        })
    }
}

impl PartialEq<&str> for Link {
    fn eq(&self, other: &&str) -> bool {
        Link::parse(other).is_some_and(|l| &l == self)
    }
}

impl Serialize for Link {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a link was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BenchmarkSource {
    /// The workspace's own target for the link.
    Target,
    /// The pooled rate of the link's best 3 of the last 12 months.
    BestMonths,
    /// The best quartile of account segments.
    BestSegments,
    /// The best quartile of one dimension's values (named by `Dim::name`).
    BestValues(&'static str),
    /// The same, compared within each account segment and mixed by the slice's segments.
    BestValuesBySegment(&'static str),
}

impl fmt::Display for BenchmarkSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&match self {
            BenchmarkSource::Target => "target".into(),
            BenchmarkSource::BestMonths => "best 3 of the last 12 months".into(),
            BenchmarkSource::BestSegments => "best quartile of segments".into(),
            BenchmarkSource::BestValues(dim) => format!("best quartile of {dim} values"),
            BenchmarkSource::BestValuesBySegment(dim) => {
                format!("best quartile of {dim} values, segment by segment")
            }
        })
    }
}

impl Serialize for BenchmarkSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back_as_written() {
        for link in [
            Link::Conversion {
                from: "mql".into(),
                to: "sql".into(),
            },
            Link::StageTime {
                stage: "won".into(),
            },
            Link::Handoff,
            Link::Retention,
        ] {
            assert_eq!(Link::parse(&link.to_string()), Some(link.clone()));
            // Tables align it like a string.
            assert_eq!(format!("{link:<30}").len(), 30.max(link.to_string().len()));
        }
        assert_eq!(Link::parse("conversion:mql"), None);
        assert_eq!(Link::parse("speed"), None);
    }
}
