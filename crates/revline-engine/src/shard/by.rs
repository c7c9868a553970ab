//! Breakdowns (`--by DIM`) on shards: every shard sends a partial for each value its
//! records have, and the client finishes one report per value of the whole workspace.
//! A value only some shards' contacts have reaches the client with them, so each shard
//! also says which values it has in the sense of `Segmentation::values` (contacts,
//! units, deals, revenue): the union of those is the list one process breaks down by.

use super::NotSharded;
use crate::query::{Output, Sliced};
use crate::slice::{By, Dim, SegmentOf, Segmentation};
use crate::snapshot::{NONE, Snapshot};

/// The values of `seg` here as `Segmentation::values` lists them, and every value any
/// record here has (touchpoints, tickets and spend too), for which a partial is sent:
/// a shard whose contacts have no `email` lead may still hold email touchpoints that
/// the workspace's `email` slice counts.
pub(super) fn values_here(s: &Snapshot, seg: &Segmentation) -> (Vec<u32>, Vec<u32>) {
    let mut seen = vec![false; s.names.len() + 1];
    for values in [&seg.contact, &seg.unit, &seg.deal, &seg.revenue] {
        flag(&mut seen, values);
    }
    let listed = set(&seen);
    for values in [&seg.touch, &seg.ticket] {
        flag(&mut seen, values);
    }
    if let Some(spend) = &seg.spend {
        flag(&mut seen, spend);
    }
    (listed, set(&seen))
}

/// Marks each of `values` in a table of one flag per name, the last for `(none)`.
fn flag(seen: &mut [bool], values: &[u32]) {
    let none = seen.len() - 1;
    for &v in values {
        seen[if v == NONE { none } else { v as usize }] = true;
    }
}

fn set(seen: &[bool]) -> Vec<u32> {
    let none = seen.len() - 1;
    (0..=none)
        .filter(|&i| seen[i])
        .map(|i| if i == none { NONE } else { i as u32 })
        .collect()
}

/// The breakdown of `overall` by `dim`, from one finished report per value.
pub(super) fn combine(
    dim: Dim,
    overall: Output,
    segments: Vec<(String, Output)>,
) -> Result<Output, NotSharded> {
    let wrong = || NotSharded("a slice finished as another report".into());
    macro_rules! by {
        ($variant:ident, $overall:expr) => {{
            let segments = segments
                .into_iter()
                .map(|(value, out)| match out {
                    Output::$variant(Sliced::One(report)) => Ok(SegmentOf { value, report }),
                    _ => Err(wrong()),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Output::$variant(Sliced::By(By {
                overall: $overall,
                by: dim.name(),
                segments,
            }))
        }};
    }
    Ok(match overall {
        Output::Funnel(Sliced::One(o)) => by!(Funnel, o),
        Output::Sla(Sliced::One(o)) => by!(Sla, o),
        Output::Scorecard(Sliced::One(o)) => by!(Scorecard, o),
        Output::Cohorts(Sliced::One(o)) => by!(Cohorts, o),
        Output::Mrr(Sliced::One(o)) => by!(Mrr, o),
        Output::Forecast(Sliced::One(o)) => by!(Forecast, o),
        _ => return Err(NotSharded("this report has no breakdown".into())),
    })
}
