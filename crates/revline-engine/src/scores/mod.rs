//! Lead scores learned from the workspace's own history (issue: lead scoring): each
//! lead is described only by what was known at its lead entry plus its first day, and
//! the model, trained on leads whose outcome had matured by `train_as_of`, gives the
//! probability of reaching `target` within `horizon` of the lead entry.
//!
//! No leakage: no stage after the lead entry is a feature, and every touch, channel or
//! recency is counted up to the cut (the lead entry plus one day) only. Categorical
//! values are one-hot with their own column for a missing value; values too rare in
//! the training leads to learn from share an "other" column.

mod layout;
mod lead;

pub use lead::{ColumnName, Lead, LeadsPartial, every_lead, leads, newest_lead_created};

use crate::logistic::{CalibrationBin, Logistic, auc, brier, calibration};
use crate::shard::Owned;
use crate::snapshot::{NEVER, Snapshot};
use layout::Layout;
use lead::{Column, Stages};
use revline_core::Millis;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const DAY: i64 = 86_400_000;
/// The reasons given per lead.
pub const REASONS: usize = 3;
/// The L2 penalty on the standardised weights.
const L2: f64 = 1.0;
/// Fewer training leads than this that reached the target, or that did not, and there
/// is nothing to learn: no lead is scored rather than every lead scored 0%.
pub const MIN_OUTCOMES: u64 = 10;

/// What to learn and what to score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Sales' capacity in leads per month for the threshold; default: the rate at
    /// which contacts entered the SQL stage over the three whole months before `as_of`.
    pub capacity: Option<f64>,
    /// Score only these contacts (by id), whenever they were created, instead of the
    /// period's: what the app's score column asks for a page of contacts.
    pub contacts: Option<Vec<String>>,
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
    /// Why no lead is scored: too few training leads of one outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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
    pub threshold: crate::threshold::Threshold,
    pub contacts: Vec<ContactScore>,
}

/// Whether a lead reached the target within the horizon, as known at `known_at`;
/// `None` while its horizon has not passed.
pub(crate) fn matured(lead: &Lead, q: &ScoresQuery, known_at: Millis) -> Option<bool> {
    let horizon = (q.horizon_days * DAY as f64) as i64;
    if lead.entry + horizon > known_at {
        return None;
    }
    let reached = lead.target_at;
    Some(reached != NEVER && reached <= lead.entry + horizon && reached <= known_at)
}

/// A model trained on the leads matured by `train_as_of`: what scores a lead, for the
/// report, the score bands and the app's score column alike.
pub struct Trained {
    layout: Layout,
    model: Logistic,
    /// First and last lead entry trained on.
    span: (Millis, Millis),
    /// Training leads and how many reached the target.
    contacts: u64,
    positives: u64,
    /// Why the model cannot score: too few leads of one outcome to learn from.
    unfit: Option<String>,
    /// The stages a lead's times are read at, to score a contact of a snapshot.
    stages: Stages,
}

impl Trained {
    /// Learns the layout and the weights from the leads of `s` whose outcome
    /// `q.train_as_of` knows.
    pub fn train(s: &Snapshot, q: &ScoresQuery) -> Trained {
        Trained::fit(s, q, &leads(s, q, Owned::Whole))
    }

    /// Learns from the training leads among `leads` (in contact order); `s` gives the
    /// names, stages and settings.
    pub(crate) fn fit(s: &Snapshot, q: &ScoresQuery, leads: &LeadsPartial) -> Trained {
        let mut train = Vec::new();
        let mut labels = Vec::new();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for lead in &leads.leads {
            if lead.entry > q.train_as_of {
                continue;
            }
            if let Some(y) = matured(lead, q, q.train_as_of) {
                train.push(lead);
                labels.push(y);
                first = first.min(lead.entry);
                last = last.max(lead.entry);
            }
        }
        let layout = Layout::learn(s, &leads.columns, &train);
        let rows: Vec<Vec<f64>> = train.iter().map(|lead| layout.row(s, lead)).collect();
        let model = Logistic::fit(&rows, &labels, L2);
        let contacts = train.len() as u64;
        let positives = labels.iter().filter(|&&y| y).count() as u64;
        let unfit = (positives < MIN_OUTCOMES || contacts - positives < MIN_OUTCOMES).then(|| {
            format!(
                "too few leads to learn from: {contacts} had their {} days by {}, {positives} of them reached {}; at least {MIN_OUTCOMES} that did and {MIN_OUTCOMES} that did not are needed (an earlier training date, a shorter horizon or an earlier stage gives more)",
                q.horizon_days,
                &revline_core::time::format_timestamp(q.train_as_of)[..10],
                s.stages[q.target]
            )
        });
        Trained {
            layout,
            model,
            span: (first, last),
            contacts,
            positives,
            unfit,
            stages: Stages {
                target: q.target,
                mql: crate::threshold::mql_stage(s),
            },
        }
    }

    /// A lead's features and score (`None` when the model cannot score).
    fn row_and_score(&self, s: &Snapshot, lead: &Lead) -> Option<(Vec<f64>, f64)> {
        if self.unfit.is_some() {
            return None;
        }
        let row = self.layout.row(s, lead);
        let score = self.model.predict(&row);
        Some((row, score))
    }

    /// Contact `c` of `s` as a lead, when it became one.
    fn lead(&self, s: &Snapshot, c: usize) -> Option<Lead> {
        Lead::of(s, &Column::all(s), self.stages, c, Owned::Whole)
    }

    /// A lead's score: the probability of reaching the target within the horizon.
    pub fn score(&self, s: &Snapshot, c: usize) -> Option<f64> {
        self.lead(s, c)
            .and_then(|lead| self.row_and_score(s, &lead))
            .map(|(_, p)| p)
    }

    /// A lead's score (`None` when the model cannot score).
    pub(crate) fn lead_score(&self, s: &Snapshot, lead: &Lead) -> Option<f64> {
        self.row_and_score(s, lead).map(|(_, p)| p)
    }

    /// The features that moved a lead's score most, strongest first.
    fn reasons(&self, row: &[f64]) -> Vec<Reason> {
        let mut reasons: Vec<Reason> = self
            .model
            .contributions(row)
            .into_iter()
            .enumerate()
            .filter(|(_, v)| v.abs() > 1e-9)
            .map(|(j, contribution)| Reason {
                feature: self.layout.names[j].clone(),
                value: row[j],
                contribution,
            })
            .collect();
        reasons.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        reasons.truncate(REASONS);
        reasons
    }

    /// The share of the training leads that reached the target (the average lead).
    pub fn base_rate(&self) -> Option<f64> {
        (self.contacts > 0).then(|| self.positives as f64 / self.contacts as f64)
    }

    /// Why the model cannot score, when it cannot.
    pub fn unfit(&self) -> Option<&str> {
        self.unfit.as_deref()
    }

    /// The scores and reasons of the named contacts that became leads, in the order
    /// asked: the same figures as the report's `contacts` (what the app shows beside a
    /// page of records without scoring every contact).
    pub fn contact_scores(&self, s: &Snapshot, ids: &[String]) -> Vec<ContactScore> {
        let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut found: HashMap<&str, ContactScore> = HashMap::new();
        for c in 0..s.contacts() {
            let id = s.contact_ids[c].as_str();
            if !wanted.contains(id) {
                continue;
            }
            if let Some((row, score)) = self
                .lead(s, c)
                .and_then(|lead| self.row_and_score(s, &lead))
            {
                found.insert(
                    id,
                    ContactScore {
                        contact_id: id.to_string(),
                        score,
                        reasons: self.reasons(&row),
                    },
                );
            }
        }
        ids.iter()
            .filter_map(|id| found.remove(id.as_str()))
            .collect()
    }
}

/// Trains on the leads matured by `train_as_of` and scores the leads of the period.
pub fn scores(s: &Snapshot, q: &ScoresQuery) -> ScoresReport {
    finish(s, q, leads(s, q, Owned::Whole))
}

/// The report from the leads of every contact (of one process, or every shard's put
/// together); `s` gives the names, stages and settings.
pub fn finish(s: &Snapshot, q: &ScoresQuery, mut leads: LeadsPartial) -> ScoresReport {
    leads.leads.sort_unstable_by_key(|lead| lead.contact);
    let trained = Trained::fit(s, q, &leads);
    let mut contacts = Vec::new();
    let (mut judged_scores, mut judged_labels) = (Vec::new(), Vec::new());
    let only: Option<std::collections::HashSet<&str>> = q
        .contacts
        .as_ref()
        .map(|ids| ids.iter().map(String::as_str).collect());
    for lead in &leads.leads {
        // The contacts asked for, else those created in the period (the lead entry
        // where no creation time is known).
        // The model is judged on the period's leads whichever contacts are listed, so
        // that its AUC does not depend on which page of contacts asked.
        let in_period = lead.created >= q.from && lead.created < q.to;
        let listed = match &only {
            Some(ids) => ids.contains(lead.id.as_str()),
            None => in_period,
        };
        if !(in_period || listed) {
            continue;
        }
        let Some((row, score)) = trained.row_and_score(s, lead) else {
            continue;
        };
        // Judged on: leads the model did not learn from (their outcome was not known
        // at training) whose outcome is known now.
        if in_period
            && matured(lead, q, q.train_as_of).is_none()
            && lead.entry <= q.as_of
            && let Some(y) = matured(lead, q, q.as_of)
        {
            judged_scores.push(score);
            judged_labels.push(y);
        }
        if listed {
            contacts.push(ContactScore {
                contact_id: lead.id.clone(),
                score,
                reasons: trained.reasons(&row),
            });
        }
    }
    contacts.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.contact_id.cmp(&b.contact_id))
    });
    let weights: &[f64] = if trained.unfit.is_some() {
        &[]
    } else {
        &trained.model.weights
    };
    let mut features: Vec<FeatureWeight> = trained
        .layout
        .names
        .iter()
        .zip(weights)
        .map(|(name, w)| FeatureWeight {
            name: name.clone(),
            importance: w.abs(),
        })
        .collect();
    features.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    let when =
        |t: i64| (t != i64::MAX && t != i64::MIN).then(|| revline_core::time::format_timestamp(t));
    let threshold = crate::threshold::threshold(s, q, &leads, |lead| {
        trained.row_and_score(s, lead).map(|(_, p)| p)
    });
    ScoresReport {
        model: ScoreModel {
            target: s.stages[q.target].clone(),
            horizon_days: q.horizon_days,
            trained_on: TrainedOn {
                from: when(trained.span.0),
                to: when(trained.span.1),
                contacts: trained.contacts,
                positives: trained.positives,
            },
            auc: auc(&judged_scores, &judged_labels),
            brier: brier(&judged_scores, &judged_labels),
            calibration: calibration(&judged_scores, &judged_labels, 10),
            judged_on: judged_scores.len() as u64,
            features,
            reason: trained.unfit.clone(),
        },
        threshold,
        contacts,
    }
}
