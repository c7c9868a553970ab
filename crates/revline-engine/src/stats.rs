//! Small statistics shared by the reports.

/// z for a two-sided 90% interval.
pub const Z90: f64 = 1.644_853_626_951_472_2;

/// The standard normal quantile: the z with P(Z <= z) = `p`, for 0 < p < 1, found by
/// bisection on the normal distribution function (libm's `erfc`) to within 1e-12.
pub fn normal_quantile(p: f64) -> f64 {
    let cdf = |z: f64| 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
    let (mut lo, mut hi) = (-40.0, 40.0);
    while hi - lo > 1e-12 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// z for `comparisons` one-sided comparisons made at once whose chance of any false
/// finding stays that of one comparison at `Z90` (5% a side): Bonferroni's correction.
pub fn z_for_comparisons(comparisons: usize) -> f64 {
    if comparisons <= 1 {
        return Z90;
    }
    normal_quantile(1.0 - 0.05 / comparisons as f64)
}

/// The Wilson score interval of `successes` out of `n` at normal quantile `z`;
/// `None` when `n` is 0.
pub fn wilson(successes: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let denominator = 1.0 + z2 / n;
    Some((
        ((centre - spread) / denominator).max(0.0),
        ((centre + spread) / denominator).min(1.0),
    ))
}

/// The `p` quantile of sorted values, interpolated linearly between the closest ranks
/// (SQL's `percentile_cont`, numpy's default); `None` for no values.
pub fn percentile_cont(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(sorted[lo] + (rank - lo as f64) * (sorted[hi] - sorted[lo]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_the_tables() {
        assert!((normal_quantile(0.95) - Z90).abs() < 1e-9);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-9);
        assert!((z_for_comparisons(10) - 2.575_829_303_548_901).abs() < 1e-9);
        assert_eq!(z_for_comparisons(1), Z90);
    }

    #[test]
    fn wilson_matches_hand_computation() {
        // 8 of 10: centre 0.8 + z^2/20 = 0.935278, spread z * sqrt(0.016 + z^2/400)
        // = 0.248170, over 1 + z^2/10 = 1.270554 (as in published Wilson tables).
        let (lo, hi) = wilson(8, 10, Z90).unwrap();
        assert!((lo - 0.540_793).abs() < 1e-5, "{lo}");
        assert!((hi - 0.931_442).abs() < 1e-5, "{hi}");
        assert_eq!(wilson(0, 0, Z90), None);
        let (lo, hi) = wilson(0, 5, Z90).unwrap();
        assert_eq!(lo, 0.0);
        assert!(hi > 0.0 && hi < 1.0);
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_cont(&v, 0.5), Some(2.5));
        assert!((percentile_cont(&v, 0.9).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(percentile_cont(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile_cont(&[], 0.5), None);
    }
}
