//! Lead scores learned from the workspace's own history (issue: lead scoring): each
//! lead is described only by what was known at its lead entry plus its first day, and
//! the model, trained on leads whose outcome had matured by `train_as_of`, gives the
//! probability of reaching `target` within `horizon` of the lead entry.
//!
//! No leakage: no stage after the lead entry is a feature, and every touch, channel or
//! recency is counted up to the cut (the lead entry plus one day) only. Categorical
//! values are one-hot with their own column for a missing value; values too rare in
//! the training leads to learn from share an "other" column.

use crate::logistic::{CalibrationBin, Logistic, auc, brier, calibration};
use crate::snapshot::{NEVER, NONE, Snapshot, Team};

use revline_core::Millis;
use serde::Serialize;
use std::collections::HashMap;

const DAY: i64 = 86_400_000;
/// A categorical value seen on fewer training leads than this goes to "other".
const MIN_VALUE_COUNT: usize = 20;
/// The L2 penalty on the standardised weights.
const L2: f64 = 1.0;

/// What to learn and what to score.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoresQuery {
    /// The funnel stage to predict (index into the snapshot's stages).
    pub target: usize,
    pub horizon_days: f64,
    /// Training sees only what was known then; its leads entered at least the horizon
    /// before it.
    pub train_as_of: Millis,
    /// The leads scored: those whose lead entry falls in `[from, to)`.
    pub from: Millis,
    pub to: Millis,
    /// Now: scored leads whose horizon has passed by then are the held-out set the
    /// model is judged on.
    pub as_of: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainedOn {
    pub from: Option<String>,
    pub to: Option<String>,
    pub contacts: u64,
    pub positives: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureWeight {
    pub name: String,
    /// The size of its standardised weight.
    pub importance: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreModel {
    pub target: String,
    pub horizon_days: f64,
    pub trained_on: TrainedOn,
    /// On the scored leads whose outcome is known by the as-of time (out of time);
    /// null without both outcomes among them.
    pub auc: Option<f64>,
    pub brier: Option<f64>,
    pub calibration: Vec<CalibrationBin>,
    /// How many scored leads had a known outcome (what auc, brier and calibration are
    /// computed on).
    pub judged_on: u64,
    pub features: Vec<FeatureWeight>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub feature: String,
    pub value: f64,
    /// Its share of the lead's log-odds against the average lead.
    pub contribution: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactScore {
    pub contact_id: String,
    pub score: f64,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoresReport {
    pub model: ScoreModel,
    pub contacts: Vec<ContactScore>,
}

/// When a contact became a lead: its entry into the first stage, else its creation.
fn lead_entry(s: &Snapshot, c: usize) -> Option<Millis> {
    let k = s.stages.len();
    let first = s.entered[c * k];
    if first != NEVER {
        Some(first)
    } else if s.contact.loaded[c] && s.contact.created_at[c] != NEVER {
        Some(s.contact.created_at[c])
    } else {
        None
    }
}

/// One categorical attribute of a lead, as known at its cut.
type Attribute = fn(&Snapshot, usize, Millis) -> u32;

fn account_of(s: &Snapshot, c: usize) -> Option<usize> {
    let a = s.contact.account[c];
    (a != NONE).then_some(a as usize)
}

/// The categorical attributes: account firmographics, the contact's source, and the
/// channel of its first touch up to the cut.
const ATTRIBUTES: [(&str, Attribute); 4] = [
    ("segment", |s, c, _| {
        account_of(s, c).map_or(NONE, |a| s.accounts.segment[a])
    }),
    ("country", |s, c, _| {
        account_of(s, c).map_or(NONE, |a| s.accounts.country[a])
    }),
    ("source", |s, c, _| s.contact.source[c]),
    ("first_touch_channel", |s, c, cut| {
        let t = &s.touchpoints;
        s.touches_of(c)
            .filter(|&i| t.at[i] <= cut)
            .min_by_key(|&i| t.at[i])
            .map_or(NONE, |i| t.channel[i])
    }),
];

/// The feature layout, learned from the training leads.
struct Layout {
    /// Per attribute, the values with a column of their own.
    values: Vec<Vec<u32>>,
    /// Touch channels counted as features.
    channels: Vec<u32>,
    names: Vec<String>,
}

impl Layout {
    fn learn(s: &Snapshot, leads: &[(usize, Millis)]) -> Layout {
        let mut values = Vec::new();
        let mut names = Vec::new();
        for (name, attribute) in ATTRIBUTES {
            let mut counts: HashMap<u32, usize> = HashMap::new();
            for &(c, cut) in leads {
                *counts.entry(attribute(s, c, cut)).or_default() += 1;
            }
            let mut kept: Vec<u32> = counts
                .into_iter()
                .filter(|&(v, n)| v != NONE && n >= MIN_VALUE_COUNT)
                .map(|(v, _)| v)
                .collect();
            kept.sort_by(|a, b| s.names.name(*a).cmp(s.names.name(*b)));
            for &v in &kept {
                names.push(format!("{name}={}", s.names.name(v)));
            }
            names.push(format!("{name}=(other)"));
            names.push(format!("{name}=(none)"));
            values.push(kept);
        }
        let t = &s.touchpoints;
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for &(c, cut) in leads {
            for i in s.touches_of(c).filter(|&i| t.at[i] <= cut) {
                *counts.entry(t.channel[i]).or_default() += 1;
            }
        }
        let mut channels: Vec<u32> = counts
            .into_iter()
            .filter(|&(v, n)| v != NONE && n >= MIN_VALUE_COUNT)
            .map(|(v, _)| v)
            .collect();
        channels.sort_by(|a, b| s.names.name(*a).cmp(s.names.name(*b)));
        for &ch in &channels {
            names.push(format!("touches:{}", s.names.name(ch)));
        }
        names.extend(
            [
                "touches",
                "touches:marketing",
                "touches:sales",
                "hours_since_last_touch",
                "no_touch",
            ]
            .map(String::from),
        );
        Layout {
            values,
            channels,
            names,
        }
    }

    /// A lead's features as known at `cut`.
    fn row(&self, s: &Snapshot, c: usize, cut: Millis) -> Vec<f64> {
        let mut row = Vec::with_capacity(self.names.len());
        for ((_, attribute), kept) in ATTRIBUTES.iter().zip(&self.values) {
            let v = attribute(s, c, cut);
            for &k in kept {
                row.push(f64::from(u8::from(v == k)));
            }
            row.push(f64::from(u8::from(v != NONE && !kept.contains(&v))));
            row.push(f64::from(u8::from(v == NONE)));
        }
        let t = &s.touchpoints;
        let before: Vec<usize> = s.touches_of(c).filter(|&i| t.at[i] <= cut).collect();
        for &ch in &self.channels {
            row.push(before.iter().filter(|&&i| t.channel[i] == ch).count() as f64);
        }
        let team = |x: Team| before.iter().filter(|&&i| t.team[i] == x).count() as f64;
        row.push(before.len() as f64);
        row.push(team(Team::Marketing));
        row.push(team(Team::Sales));
        match before.iter().map(|&i| t.at[i]).max() {
            Some(last) => {
                row.push((cut - last) as f64 / 3_600_000.0);
                row.push(0.0);
            }
            // No touch: recency is its own indicator, not zero hours.
            None => {
                row.push(0.0);
                row.push(1.0);
            }
        }
        row
    }
}

/// Whether a lead reached the target within the horizon, as known at `known_at`;
/// `None` while its horizon has not passed.
fn outcome(
    s: &Snapshot,
    c: usize,
    entry: Millis,
    q: &ScoresQuery,
    known_at: Millis,
) -> Option<bool> {
    let horizon = (q.horizon_days * DAY as f64) as i64;
    if entry + horizon > known_at {
        return None;
    }
    let k = s.stages.len();
    let reached = s.entered[c * k + q.target];
    Some(reached != NEVER && reached <= entry + horizon && reached <= known_at)
}

/// Trains on the leads matured by `train_as_of` and scores the leads of the period.
pub fn scores(s: &Snapshot, q: &ScoresQuery) -> ScoresReport {
    let mut train = Vec::new();
    let mut labels = Vec::new();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for c in 0..s.contacts() {
        let Some(entry) = lead_entry(s, c) else {
            continue;
        };
        if entry > q.train_as_of {
            continue;
        }
        if let Some(y) = outcome(s, c, entry, q, q.train_as_of) {
            train.push((c, entry + DAY));
            labels.push(y);
            first = first.min(entry);
            last = last.max(entry);
        }
    }
    let layout = Layout::learn(s, &train);
    let rows: Vec<Vec<f64>> = train
        .iter()
        .map(|&(c, cut)| layout.row(s, c, cut))
        .collect();
    let model = Logistic::fit(&rows, &labels, L2);

    let mut contacts = Vec::new();
    let (mut judged_scores, mut judged_labels) = (Vec::new(), Vec::new());
    for c in 0..s.contacts() {
        let Some(entry) = lead_entry(s, c) else {
            continue;
        };
        if entry < q.from || entry >= q.to {
            continue;
        }
        let row = layout.row(s, c, entry + DAY);
        let score = model.predict(&row);
        if entry > q.train_as_of
            && let Some(y) = outcome(s, c, entry, q, q.as_of)
        {
            judged_scores.push(score);
            judged_labels.push(y);
        }
        let mut reasons: Vec<Reason> = model
            .contributions(&row)
            .into_iter()
            .enumerate()
            .filter(|(_, v)| v.abs() > 1e-9)
            .map(|(j, contribution)| Reason {
                feature: layout.names[j].clone(),
                value: row[j],
                contribution,
            })
            .collect();
        reasons.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        reasons.truncate(3);
        contacts.push(ContactScore {
            contact_id: s.contact_ids[c].clone(),
            score,
            reasons,
        });
    }
    contacts.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.contact_id.cmp(&b.contact_id))
    });
    let mut features: Vec<FeatureWeight> = layout
        .names
        .iter()
        .zip(&model.weights)
        .map(|(name, w)| FeatureWeight {
            name: name.clone(),
            importance: w.abs(),
        })
        .collect();
    features.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    let when =
        |t: i64| (t != i64::MAX && t != i64::MIN).then(|| revline_core::time::format_timestamp(t));
    ScoresReport {
        model: ScoreModel {
            target: s.stages[q.target].clone(),
            horizon_days: q.horizon_days,
            trained_on: TrainedOn {
                from: when(first),
                to: when(last),
                contacts: train.len() as u64,
                positives: labels.iter().filter(|&&y| y).count() as u64,
            },
            auc: auc(&judged_scores, &judged_labels),
            brier: brier(&judged_scores, &judged_labels),
            calibration: calibration(&judged_scores, &judged_labels, 10),
            judged_on: judged_scores.len() as u64,
            features,
        },
        contacts,
    }
}
