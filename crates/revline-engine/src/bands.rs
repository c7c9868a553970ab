//! Score bands: every lead placed by its rank among all the workspace's leads under
//! the model the scores report trains, so that the funnel, attribution and bottlenecks
//! can be read for the best leads apart from the rest (`--by score_band`,
//! `--filter score_band:VALUE`).
//!
//! Bands are by rank, not by probability: with a target a few percent reach, bands of
//! probability would put nearly every lead in the lowest one. A lead the model learned
//! from is scored like any other (in-sample); the scores report's AUC is the honest
//! measure of how well the bands separate.

use crate::scores::{LeadsPartial, ScoresQuery, Trained};
use crate::shard::Owned;
use crate::snapshot::{NONE, Snapshot};
use serde::{Deserialize, Serialize};

/// The bands, best first, with the share of leads above each one's lower edge. Their
/// names sort in this order, as every breakdown lists its values by name.
pub const SCORE_BANDS: [(&str, f64); 4] = [
    ("top 0–10%", 0.10),
    ("top 10–25%", 0.25),
    ("top 25–50%", 0.50),
    ("top 50–100%", 1.0),
];

/// Each contact's band (a name id), `NONE` for a contact that never became a lead.
pub fn score_bands(s: &Snapshot, q: &ScoresQuery) -> Vec<u32> {
    let leads = crate::scores::every_lead(s, q, Owned::Whole);
    contact_bands(s, q, leads, s.contacts()).name_ids(s)
}

/// Every contact of the workspace's band, by its index in the workspace: an index into
/// `SCORE_BANDS`, `NO_BAND` for a contact that never became a lead. One byte a
/// contact, as a cluster's client sends them to every shard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactBands(pub Vec<u8>);

pub const NO_BAND: u8 = u8::MAX;

impl ContactBands {
    /// The bands as name ids, `NONE` for no band.
    pub fn name_ids(&self, s: &Snapshot) -> Vec<u32> {
        let ids: Vec<u32> = SCORE_BANDS
            .iter()
            .map(|(name, _)| band_name(s, name))
            .collect();
        self.0
            .iter()
            .map(|&b| ids.get(b as usize).copied().unwrap_or(NONE))
            .collect()
    }
}

fn band_name(s: &Snapshot, name: &str) -> u32 {
    s.names
        .get(name)
        .expect("band names are interned by the builder")
}

/// The bands of `contacts` contacts from every lead among them (one process's, or every
/// shard's put together): the model the scores report trains, fitted on those leads
/// whose outcome `q.train_as_of` knows, scores each lead; `s` gives the names, stages
/// and settings.
pub fn contact_bands(
    s: &Snapshot,
    q: &ScoresQuery,
    mut leads: LeadsPartial,
    contacts: usize,
) -> ContactBands {
    leads.leads.sort_unstable_by_key(|lead| lead.contact);
    let trained = Trained::fit(s, q, &leads);
    let mut scores: Vec<Option<f64>> = vec![None; contacts];
    for lead in &leads.leads {
        scores[lead.contact as usize] = trained.lead_score(s, lead);
    }
    ContactBands(band_indices(&scores))
}

/// Bands from scores, as name ids (see `band_indices`).
pub fn band_of_scores(s: &Snapshot, scores: &[Option<f64>]) -> Vec<u32> {
    ContactBands(band_indices(scores)).name_ids(s)
}

/// Bands from scores: the cut of each band is the score at its share of the ranked
/// leads, and a lead tied with a cut goes to the better band.
fn band_indices(scores: &[Option<f64>]) -> Vec<u8> {
    let mut ranked: Vec<f64> = scores.iter().flatten().copied().collect();
    ranked.sort_by(|a, b| b.total_cmp(a));
    let cuts: Vec<f64> = SCORE_BANDS
        .iter()
        .map(|&(_, share)| {
            let at = ((share * ranked.len() as f64).ceil() as usize).clamp(1, ranked.len().max(1));
            ranked.get(at - 1).copied().unwrap_or(f64::NEG_INFINITY)
        })
        .collect();
    let last = (SCORE_BANDS.len() - 1) as u8;
    scores
        .iter()
        .map(|score| match score {
            None => NO_BAND,
            Some(p) => cuts
                .iter()
                .position(|&cut| *p >= cut)
                .map_or(last, |b| b as u8),
        })
        .collect()
}
