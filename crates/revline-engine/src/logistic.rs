//! L2-regularised logistic regression for lead scoring (issue: lead scoring), with the
//! measures a scored model is judged by: AUC, the Brier score and calibration by bins.
//!
//! Written here rather than taken from linfa-logistic: a lead model has tens of
//! features, so Newton's method (iteratively reweighted least squares) on the
//! standardised features converges in a handful of steps with one small Cholesky solve
//! each, needs no linear-algebra crate, and gives the same optimum every run, which
//! keeps scores reproducible. linfa would bring ndarray and argmin for the same fit.

use rayon::prelude::*;

/// Rows summed together before the partial sums are added up in order.
const CHUNK: usize = 8_192;

/// The standardisation of the features: `z = (x - mean) / scale`, 0 where the scale is.
struct Scaled<'a> {
    mean: &'a [f64],
    scale: &'a [f64],
}

impl Scaled<'_> {
    /// The weights on the standardised scale as an offset and per-feature weights on
    /// the raw values: `eta = offset + sum(per[j] * x[j])`.
    fn raw_weights(&self, beta: &[f64]) -> (f64, Vec<f64>) {
        let mut offset = beta[0];
        let per: Vec<f64> = (0..self.mean.len())
            .map(|j| {
                if self.scale[j] > 0.0 {
                    let w = beta[j + 1] / self.scale[j];
                    offset -= w * self.mean[j];
                    w
                } else {
                    0.0
                }
            })
            .collect();
        (offset, per)
    }
}

/// One Newton step's sums over the raw nonzero values: the weights `w`, residuals `r`
/// and, per feature, `sum r x`, `sum w x` and (lower triangle) `sum w x x'`.
struct Sums {
    p: usize,
    w: f64,
    r: f64,
    rx: Vec<f64>,
    wx: Vec<f64>,
    wxx: Vec<f64>,
}

impl Sums {
    fn new(p: usize) -> Sums {
        Sums {
            p,
            w: 0.0,
            r: 0.0,
            rx: vec![0.0; p],
            wx: vec![0.0; p],
            wxx: vec![0.0; p * p],
        }
    }

    fn add(&mut self, row: &[(u32, f64)], w: f64, r: f64) {
        self.w += w;
        self.r += r;
        for (i, &(a, va)) in row.iter().enumerate() {
            let a = a as usize;
            self.rx[a] += r * va;
            self.wx[a] += w * va;
            // Rows list their features in order: `b <= a` for the lower triangle.
            for &(b, vb) in &row[..=i] {
                self.wxx[a * self.p + b as usize] += w * va * vb;
            }
        }
    }

    fn merge(mut self, other: Sums) -> Sums {
        self.w += other.w;
        self.r += other.r;
        for (a, b) in self.rx.iter_mut().zip(&other.rx) {
            *a += b;
        }
        for (a, b) in self.wx.iter_mut().zip(&other.wx) {
            *a += b;
        }
        for (a, b) in self.wxx.iter_mut().zip(&other.wxx) {
            *a += b;
        }
        self
    }

    /// The gradient and the (symmetric) Hessian over `[1, z]`, `z` the standardised
    /// features: `sum w z_a z_b = (sum w x_a x_b - m_a sum w x_b - m_b sum w x_a +
    /// m_a m_b sum w) / (s_a s_b)`, and likewise for the rest.
    fn moments(&self, s: &Scaled<'_>) -> (Vec<f64>, Vec<f64>) {
        let (p, d) = (self.p, self.p + 1);
        let mut grad = vec![0.0; d];
        let mut hess = vec![0.0; d * d];
        grad[0] = self.r;
        hess[0] = self.w;
        for a in 0..p {
            if s.scale[a] <= 0.0 {
                continue;
            }
            let (ma, sa) = (s.mean[a], s.scale[a]);
            grad[a + 1] = (self.rx[a] - ma * self.r) / sa;
            let h0 = (self.wx[a] - ma * self.w) / sa;
            hess[(a + 1) * d] = h0;
            hess[a + 1] = h0;
            for b in 0..=a {
                if s.scale[b] <= 0.0 {
                    continue;
                }
                let (mb, sb) = (s.mean[b], s.scale[b]);
                let h = (self.wxx[a * p + b] - ma * self.wx[b] - mb * self.wx[a]
                    + ma * mb * self.w)
                    / (sa * sb);
                hess[(a + 1) * d + b + 1] = h;
                hess[(b + 1) * d + a + 1] = h;
            }
        }
        (grad, hess)
    }
}

/// A fitted model: weights on the standardised features, so their sizes compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// Per feature, on the standardised scale (a change of one standard deviation).
    pub weights: Vec<f64>,
    pub bias: f64,
    mean: Vec<f64>,
    scale: Vec<f64>,
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Solves `a x = b` for a symmetric positive definite `a` (row-major `n × n`) by
/// Cholesky; `None` when `a` is not positive definite.
fn cholesky_solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum <= 0.0 {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * n + i];
    }
    Some(x)
}

impl Logistic {
    /// Fits `rows` (one feature vector each, all the same length) to `labels`, with an
    /// L2 penalty `l2` on the standardised weights (not on the bias). A constant
    /// feature gets weight 0.
    pub fn fit(rows: &[Vec<f64>], labels: &[bool], l2: f64) -> Logistic {
        let p = rows.first().map_or(0, Vec::len);
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0.0; p];
        for r in rows {
            for (m, v) in mean.iter_mut().zip(r) {
                *m += v / n;
            }
        }
        let mut scale = vec![0.0; p];
        for r in rows {
            for ((s, v), m) in scale.iter_mut().zip(r).zip(&mean) {
                *s += (v - m).powi(2) / n;
            }
        }
        let scale: Vec<f64> = scale
            .into_iter()
            .map(|v| if v > 1e-12 { v.sqrt() } else { 0.0 })
            .collect();
        // Parameters: the bias first, then the weights.
        let d = p + 1;
        let mut beta = vec![0.0; d];
        let positives = labels.iter().filter(|&&y| y).count() as f64;
        let base = ((positives + 0.5) / (n - positives + 0.5)).ln();
        beta[0] = base;
        // Lead rows are mostly zeros (one-hot values, touch counts of other channels),
        // while their standardised values are not: the sums are taken over the raw
        // nonzero values and moved to the standardised scale after (`Sums::moments`).
        // A column that is mostly nonzero (a number such as employees) gains nothing
        // from that and would lose precision to it when its mean is large next to its
        // spread, so it is summed centred on its mean.
        let mut nonzero = vec![0usize; p];
        for r in rows {
            for (j, &v) in r.iter().enumerate() {
                nonzero[j] += usize::from(v != 0.0);
            }
        }
        let shift: Vec<f64> = (0..p)
            .map(|j| {
                if 2 * nonzero[j] > rows.len() {
                    mean[j]
                } else {
                    0.0
                }
            })
            .collect();
        let sparse: Vec<Vec<(u32, f64)>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(j, &v)| (j, v - shift[j]))
                    .filter(|&(j, v)| v != 0.0 && scale[j] > 0.0)
                    .map(|(j, v)| (j as u32, v))
                    .collect()
            })
            .collect();
        let shifted_mean: Vec<f64> = mean.iter().zip(&shift).map(|(m, c)| m - c).collect();
        let scaled = Scaled {
            mean: &shifted_mean,
            scale: &scale,
        };
        // The penalised log-likelihood the steps climb.
        let objective = |beta: &[f64]| -> f64 {
            let (offset, per) = scaled.raw_weights(beta);
            // Summed per fixed chunk, then in order: the same total however the chunks
            // fall on threads, so a fit is reproducible to the last bit.
            let sum: f64 = sparse
                .par_chunks(CHUNK)
                .zip(labels.par_chunks(CHUNK))
                .map(|(rows, labels)| {
                    rows.iter()
                        .zip(labels)
                        .map(|(r, &y)| {
                            let eta =
                                offset + r.iter().map(|&(j, v)| per[j as usize] * v).sum::<f64>();
                            // log(1 + e^eta), without overflow for large eta.
                            let softplus = eta.max(0.0) + (-eta.abs()).exp().ln_1p();
                            (if y { eta } else { 0.0 }) - softplus
                        })
                        .sum::<f64>()
                })
                .collect::<Vec<f64>>()
                .into_iter()
                .sum();
            sum - 0.5 * l2 * beta[1..].iter().map(|b| b * b).sum::<f64>()
        };
        for _ in 0..50 {
            let (offset, per) = scaled.raw_weights(&beta);
            let sums = sparse
                .par_chunks(CHUNK)
                .zip(labels.par_chunks(CHUNK))
                .map(|(rows, labels)| {
                    let mut acc = Sums::new(p);
                    for (r, &y) in rows.iter().zip(labels) {
                        let eta = offset + r.iter().map(|&(j, v)| per[j as usize] * v).sum::<f64>();
                        let mu = sigmoid(eta);
                        acc.add(r, (mu * (1.0 - mu)).max(1e-10), f64::from(u8::from(y)) - mu);
                    }
                    acc
                })
                .collect::<Vec<Sums>>()
                .into_iter()
                .fold(Sums::new(p), Sums::merge);
            let (mut grad, mut hess) = sums.moments(&scaled);
            for a in 1..d {
                grad[a] -= l2 * beta[a];
                hess[a * d + a] += l2;
            }
            // A tiny ridge keeps the step defined when a feature never varies.
            for a in 0..d {
                hess[a * d + a] += 1e-9;
            }
            let Some(step) = cholesky_solve(&hess, &grad, d) else {
                break;
            };
            // Newton's full step can overshoot when a rare value nearly separates the
            // classes (standardised, it takes large values): halve it until the
            // penalised likelihood does not fall, so every iteration improves the fit.
            let before = objective(&beta);
            let mut factor = 1.0;
            let mut tried = beta.clone();
            loop {
                for ((t, b), s) in tried.iter_mut().zip(&beta).zip(&step) {
                    *t = b + factor * s;
                }
                if objective(&tried) >= before - 1e-12 || factor < 1e-6 {
                    break;
                }
                factor /= 2.0;
            }
            let change = step.iter().map(|s| (factor * s).abs()).fold(0.0, f64::max);
            beta = tried;
            if change < 1e-8 {
                break;
            }
        }
        Logistic {
            weights: beta[1..].to_vec(),
            bias: beta[0],
            mean,
            scale,
        }
    }

    /// Each feature's share of the score's log-odds for `row`: weight × standardised
    /// value (what a reason says).
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        self.weights
            .iter()
            .enumerate()
            .map(|(j, w)| {
                if self.scale[j] > 0.0 {
                    w * (row[j] - self.mean[j]) / self.scale[j]
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The probability of the positive class.
    pub fn predict(&self, row: &[f64]) -> f64 {
        sigmoid(self.bias + self.contributions(row).iter().sum::<f64>())
    }
}

/// The area under the ROC curve: the chance that a random positive scores above a
/// random negative (ties count half); `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mid-ranks over ties (Mann–Whitney U).
    let mut rank = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            rank[order[k]] = mid;
        }
        i = j + 1;
    }
    let positives = labels.iter().filter(|&&y| y).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let rank_sum: f64 = rank
        .iter()
        .zip(labels)
        .filter(|(_, y)| **y)
        .map(|(r, _)| r)
        .sum();
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// The mean squared gap between predicted probability and outcome.
pub fn brier(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let sum: f64 = scores
        .iter()
        .zip(labels)
        .map(|(p, &y)| (p - f64::from(u8::from(y))).powi(2))
        .sum();
    Some(sum / scores.len() as f64)
}

/// One bin of a calibration table: the mean predicted probability against the share
/// that reached the target.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CalibrationBin {
    pub bin: usize,
    pub predicted: f64,
    pub observed: f64,
    pub count: u64,
}

/// Calibration by `bins` equal-count bins of the score (deciles for 10).
pub fn calibration(scores: &[f64], labels: &[bool], bins: usize) -> Vec<CalibrationBin> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n = order.len();
    (0..bins)
        .filter_map(|b| {
            let (from, to) = (b * n / bins, (b + 1) * n / bins);
            let members = &order[from..to];
            if members.is_empty() {
                return None;
            }
            let count = members.len() as f64;
            Some(CalibrationBin {
                bin: b + 1,
                predicted: members.iter().map(|&i| scores[i]).sum::<f64>() / count,
                observed: members.iter().filter(|&&i| labels[i]).count() as f64 / count,
                count: members.len() as u64,
            })
        })
        .collect()
}
