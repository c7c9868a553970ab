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
/// The reasons given per lead.
pub const REASONS: usize = 3;
/// The L2 penalty on the standardised weights.
const L2: f64 = 1.0;
/// Fewer training leads than this that reached the target, or that did not, and there
/// is nothing to learn: no lead is scored rather than every lead scored 0%.
pub const MIN_OUTCOMES: u64 = 10;

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

/// When a contact became a lead: its entry into the first stage, else its creation.
pub(crate) fn lead_entry(s: &Snapshot, c: usize) -> Option<Millis> {
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

/// The fixed categorical attributes: account firmographics, the contact's source, and
/// the channel of its first touch up to the cut.
const FIXED: [(&str, Attribute); 4] = [
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

/// Where a descriptive column comes from.
#[derive(Debug, Clone, Copy)]
enum Column {
    Fixed(&'static str, Attribute),
    /// A contact attribute (title, a custom property), by key number.
    Contact(usize),
    /// An account attribute (industry, a custom property), by key number.
    Account(usize),
}

impl Column {
    /// Every column the snapshot describes leads by.
    fn all(s: &Snapshot) -> Vec<Column> {
        let mut out: Vec<Column> = FIXED.iter().map(|&(n, f)| Column::Fixed(n, f)).collect();
        out.extend((0..s.contact.attributes.keys.len()).map(Column::Contact));
        out.extend((0..s.accounts.attributes.keys.len()).map(Column::Account));
        out
    }

    fn name(self, s: &Snapshot) -> String {
        match self {
            Column::Fixed(name, _) => name.to_string(),
            Column::Contact(k) => s.contact.attributes.keys[k].clone(),
            Column::Account(k) => match s.accounts.attributes.keys[k].as_str() {
                "industry" => "industry".to_string(),
                key => format!("account.{key}"),
            },
        }
    }

    /// Attributes are as last imported: the firmographics and properties a CRM
    /// export gives, read as known at the lead's entry.
    fn value(self, s: &Snapshot, c: usize, cut: Millis) -> u32 {
        match self {
            Column::Fixed(_, f) => f(s, c, cut),
            Column::Contact(k) => s.contact.attributes.get(k, c),
            Column::Account(k) => {
                account_of(s, c).map_or(NONE, |a| s.accounts.attributes.get(k, a))
            }
        }
    }
}

/// How a column enters the model.
enum Encoding {
    /// One-hot: the values with a column of their own, then "(other)" and "(none)".
    Categorical(Vec<u32>),
    /// Its value as a number, and "(none)" for a missing one. A missing value takes
    /// the training leads' mean, so that the number adds nothing and the "(none)"
    /// column alone carries what missing means (a reason never reads "employees: 0").
    Numeric(f64),
}

/// A column is numeric when every value it has is a number and there are this many
/// different ones; fewer are one-hot categories (a 1-5 rating, a yes/no as 0/1).
const MIN_NUMERIC_VALUES: usize = 10;

/// The feature layout, learned from the training leads.
struct Layout {
    columns: Vec<(Column, Encoding)>,
    /// Touch channels counted as features.
    channels: Vec<u32>,
    names: Vec<String>,
    /// The hours since the last touch an untouched lead is given (see `learn`).
    hours_fill: f64,
}

fn number(s: &Snapshot, v: u32) -> Option<f64> {
    s.names
        .name(v)
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

impl Layout {
    fn learn(s: &Snapshot, leads: &[(usize, Millis)]) -> Layout {
        let mut columns = Vec::new();
        let mut names = Vec::new();
        for column in Column::all(s) {
            let mut counts: HashMap<u32, usize> = HashMap::new();
            for &(c, cut) in leads {
                *counts.entry(column.value(s, c, cut)).or_default() += 1;
            }
            counts.remove(&NONE);
            // A property none of the training leads has teaches nothing.
            if counts.is_empty() && !matches!(column, Column::Fixed(..)) {
                continue;
            }
            let name = column.name(s);
            if counts.len() >= MIN_NUMERIC_VALUES && counts.keys().all(|&v| number(s, v).is_some())
            {
                let (sum, n) = counts.iter().fold((0.0, 0usize), |(sum, n), (&v, &k)| {
                    (sum + number(s, v).unwrap_or(0.0) * k as f64, n + k)
                });
                names.push(name.clone());
                names.push(format!("{name}=(none)"));
                columns.push((column, Encoding::Numeric(sum / n.max(1) as f64)));
                continue;
            }
            let mut kept: Vec<u32> = counts
                .into_iter()
                .filter(|&(_, n)| n >= MIN_VALUE_COUNT)
                .map(|(v, _)| v)
                .collect();
            kept.sort_by(|a, b| s.names.name(*a).cmp(s.names.name(*b)));
            for &v in &kept {
                names.push(format!("{name}={}", s.names.name(v)));
            }
            names.push(format!("{name}=(other)"));
            names.push(format!("{name}=(none)"));
            columns.push((column, Encoding::Categorical(kept)));
        }
        let t = &s.touchpoints;
        let mut counts: HashMap<u32, usize> = HashMap::new();
        // The mean hours since the last touch of the leads touched by their cut: what
        // an untouched lead's hours are taken to be (its "no touch" column says the rest).
        let (mut hours, mut touched) = (0.0, 0usize);
        for &(c, cut) in leads {
            let mut last = None;
            for i in s.touches_of(c).filter(|&i| t.at[i] <= cut) {
                *counts.entry(t.channel[i]).or_default() += 1;
                last = last.max(Some(t.at[i]));
            }
            if let Some(last) = last {
                hours += (cut - last) as f64 / 3_600_000.0;
                touched += 1;
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
            columns,
            channels,
            names,
            hours_fill: hours / touched.max(1) as f64,
        }
    }

    /// A lead's features as known at `cut`.
    fn row(&self, s: &Snapshot, c: usize, cut: Millis) -> Vec<f64> {
        let mut row = Vec::with_capacity(self.names.len());
        let flag = |b: bool| f64::from(u8::from(b));
        for (column, encoding) in &self.columns {
            let v = column.value(s, c, cut);
            match encoding {
                Encoding::Categorical(kept) => {
                    for &k in kept {
                        row.push(flag(v == k));
                    }
                    row.push(flag(v != NONE && !kept.contains(&v)));
                    row.push(flag(v == NONE));
                }
                Encoding::Numeric(fill) => {
                    // A value that is not a number counts as missing.
                    let x = (v != NONE).then(|| number(s, v)).flatten();
                    row.push(x.unwrap_or(*fill));
                    row.push(flag(x.is_none()));
                }
            }
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
                row.push(self.hours_fill);
                row.push(1.0);
            }
        }
        row
    }
}

/// Whether a lead reached the target within the horizon, as known at `known_at`;
/// `None` while its horizon has not passed.
pub(crate) fn outcome(
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
}

impl Trained {
    /// Learns the layout and the weights from the leads whose outcome `q.train_as_of`
    /// knows.
    pub fn train(s: &Snapshot, q: &ScoresQuery) -> Trained {
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
        }
    }

    /// A lead's features and score (`None` for a contact that never became a lead).
    fn row_and_score(&self, s: &Snapshot, c: usize) -> Option<(Vec<f64>, f64)> {
        if self.unfit.is_some() {
            return None;
        }
        let entry = lead_entry(s, c)?;
        let row = self.layout.row(s, c, entry + DAY);
        let score = self.model.predict(&row);
        Some((row, score))
    }

    /// A lead's score: the probability of reaching the target within the horizon.
    pub fn score(&self, s: &Snapshot, c: usize) -> Option<f64> {
        self.row_and_score(s, c).map(|(_, p)| p)
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
}

impl Trained {
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
            if let Some((row, score)) = self.row_and_score(s, c) {
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
    let trained = Trained::train(s, q);

    let mut contacts = Vec::new();
    let (mut judged_scores, mut judged_labels) = (Vec::new(), Vec::new());
    let only: Option<std::collections::HashSet<&str>> = q
        .contacts
        .as_ref()
        .map(|ids| ids.iter().map(String::as_str).collect());
    for c in 0..s.contacts() {
        let Some(entry) = lead_entry(s, c) else {
            continue;
        };
        // The contacts asked for, else those created in the period (the lead entry
        // where no creation time is known).
        let created = match s.contact.created_at.get(c) {
            Some(&t) if t != NEVER => t,
            _ => entry,
        };
        // The model is judged on the period's leads whichever contacts are listed, so
        // that its AUC does not depend on which page of contacts asked.
        let in_period = created >= q.from && created < q.to;
        let listed = match &only {
            Some(ids) => ids.contains(s.contact_ids[c].as_str()),
            None => in_period,
        };
        if !(in_period || listed) {
            continue;
        }
        let Some((row, score)) = trained.row_and_score(s, c) else {
            continue;
        };
        // Judged on: leads the model did not learn from (their outcome was not known
        // at training) whose outcome is known now.
        if in_period
            && outcome(s, c, entry, q, q.train_as_of).is_none()
            && entry <= q.as_of
            && let Some(y) = outcome(s, c, entry, q, q.as_of)
        {
            judged_scores.push(score);
            judged_labels.push(y);
        }
        if listed {
            contacts.push(ContactScore {
                contact_id: s.contact_ids[c].clone(),
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
    let threshold = crate::threshold::threshold(s, q, |c, entry| {
        trained.unfit.is_none().then(|| {
            trained
                .model
                .predict(&trained.layout.row(s, c, entry + DAY))
        })
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
