//! Score bands: every lead placed by its rank among all the workspace's leads under
//! the model the scores report trains, so that the funnel, attribution and bottlenecks
//! can be read for the best leads apart from the rest (`--by score_band`,
//! `--filter score_band:VALUE`).
//!
//! Bands are by rank, not by probability: with a target a few percent reach, bands of
//! probability would put nearly every lead in the lowest one. A lead the model learned
//! from is scored like any other (in-sample); the scores report's AUC is the honest
//! measure of how well the bands separate.

use crate::scores::{ScoresQuery, Trained};
use crate::snapshot::{NONE, Snapshot};

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
    let trained = Trained::train(s, q);
    let scores: Vec<Option<f64>> = (0..s.contacts()).map(|c| trained.score(s, c)).collect();
    band_of_scores(s, &scores)
}

/// Bands from scores: the cut of each band is the score at its share of the ranked
/// leads, and a lead tied with a cut goes to the better band.
pub fn band_of_scores(s: &Snapshot, scores: &[Option<f64>]) -> Vec<u32> {
    let mut ranked: Vec<f64> = scores.iter().flatten().copied().collect();
    ranked.sort_by(|a, b| b.total_cmp(a));
    let cuts: Vec<(u32, f64)> = SCORE_BANDS
        .iter()
        .map(|&(name, share)| {
            let at = ((share * ranked.len() as f64).ceil() as usize).clamp(1, ranked.len().max(1));
            let id = s
                .names
                .get(name)
                .expect("band names are interned by the builder");
            (id, ranked.get(at - 1).copied().unwrap_or(f64::NEG_INFINITY))
        })
        .collect();
    scores
        .iter()
        .map(|score| match score {
            None => NONE,
            Some(p) => cuts
                .iter()
                .find(|&&(_, cut)| *p >= cut)
                .map_or(cuts[cuts.len() - 1].0, |&(id, _)| id),
        })
        .collect()
}
