//! The lead-scoring model on data from a known true model: it recovers the model's
//! ranking of features, its AUC on held-out rows comes close to the true model's own
//! (the ceiling), and its probabilities are calibrated. AUC and the Brier score are
//! checked on cases worked out by hand.

use revline_engine::logistic::{Logistic, auc, brier, calibration};

/// A small deterministic generator (xorshift64*), with normal draws by Box–Muller.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Rows of five features: two strong, one weak, one harmful, one noise; a binary one
/// (like a one-hot channel) among them.
fn draw(rng: &mut Rng, n: usize) -> (Vec<Vec<f64>>, Vec<bool>, Vec<f64>) {
    let truth = [1.5, -1.0, 0.4, 0.0, 1.2];
    let bias = -1.2;
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut true_p = Vec::new();
    for _ in 0..n {
        let row = vec![
            rng.normal(),
            rng.normal(),
            rng.normal(),
            rng.normal(),
            f64::from(u8::from(rng.uniform() < 0.3)),
        ];
        let p = sigmoid(bias + row.iter().zip(truth).map(|(x, w)| x * w).sum::<f64>());
        labels.push(rng.uniform() < p);
        true_p.push(p);
        rows.push(row);
    }
    (rows, labels, true_p)
}

#[test]
fn recovers_a_known_model_and_reaches_its_auc_out_of_sample() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (train_x, train_y, _) = draw(&mut rng, 20_000);
    let (test_x, test_y, test_true) = draw(&mut rng, 20_000);
    let model = Logistic::fit(&train_x, &train_y, 1.0);

    // The ranking of the features by the size of their (standardised) weights, and
    // their signs, are the true model's.
    let mut by_size: Vec<usize> = (0..5).collect();
    by_size.sort_by(|&a, &b| model.weights[b].abs().total_cmp(&model.weights[a].abs()));
    // Standardised, the binary feature (sd 0.46) weighs 1.2 × 0.46 = 0.55.
    assert_eq!(by_size, [0, 1, 4, 2, 3], "{:?}", model.weights);
    assert!(model.weights[0] > 0.0 && model.weights[1] < 0.0 && model.weights[2] > 0.0);
    assert!(
        model.weights[3].abs() < 0.05,
        "noise gets ~0: {:?}",
        model.weights
    );
    // Recovered on the original scale: a standardised weight over the feature's scale.
    assert!((model.weights[0] - 1.5).abs() < 0.1, "{:?}", model.weights);

    let scores: Vec<f64> = test_x.iter().map(|r| model.predict(r)).collect();
    let ceiling = auc(&test_true, &test_y).unwrap();
    let got = auc(&scores, &test_y).unwrap();
    assert!(
        got > ceiling - 0.005,
        "AUC {got} against the true model's {ceiling}"
    );
    // Calibrated: each decile's mean prediction is within 3 points of what happened.
    for bin in calibration(&scores, &test_y, 10) {
        assert_eq!(bin.count, 2_000);
        assert!(
            (bin.predicted - bin.observed).abs() < 0.03,
            "decile {}: predicted {} observed {}",
            bin.bin,
            bin.predicted,
            bin.observed
        );
    }
    let b = brier(&scores, &test_y).unwrap();
    let b_true = brier(&test_true, &test_y).unwrap();
    assert!(b < b_true + 0.002, "Brier {b} against {b_true}");
    // Reasons add up to the log-odds.
    let row = &test_x[0];
    let logit = model.bias + model.contributions(row).iter().sum::<f64>();
    assert!((sigmoid(logit) - model.predict(row)).abs() < 1e-12);
}

#[test]
fn auc_and_brier_on_cases_worked_by_hand() {
    // Positives 0.9 and 0.4, negatives 0.4 and 0.1: pairs (0.9>0.4, 0.9>0.1, 0.4=0.4
    // half, 0.4>0.1) = 3.5 of 4.
    let scores = [0.9, 0.4, 0.4, 0.1];
    let labels = [true, true, false, false];
    assert_eq!(auc(&scores, &labels), Some(0.875));
    // (0.01 + 0.36 + 0.16 + 0.01) / 4
    assert!((brier(&scores, &labels).unwrap() - 0.135).abs() < 1e-12);
    assert_eq!(auc(&[0.5, 0.6], &[true, true]), None, "one class: no AUC");
    // A constant feature gets no weight and the bias is the base rate's log-odds.
    let rows = vec![vec![1.0]; 4];
    let model = Logistic::fit(&rows, &[true, false, false, false], 1.0);
    assert_eq!(model.weights, [0.0]);
    assert!((model.predict(&[1.0]) - 0.25).abs() < 1e-6);
}

/// The API's scores differed from the runner's in the last digits on one store and not
/// the other: the Newton sums were added in whatever order threads finished. Fitted on
/// one thread or three, the weights are now the same to the last bit.
#[test]
fn a_fit_is_the_same_to_the_bit_on_any_number_of_threads() {
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut x: u64 = 7;
    for i in 0..30_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let a = (x >> 33) % 5;
        let b = ((x >> 20) % 1000) as f64 / 100.0;
        let row = vec![f64::from(a == 1), f64::from(a == 2), b, (i % 7) as f64];
        labels.push((x >> 40) % 100 < 20 + 10 * a);
        rows.push(row);
    }
    let fit_on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| Logistic::fit(&rows, &labels, 1.0))
    };
    let (one, three) = (fit_on(1), fit_on(3));
    assert_eq!(one.bias.to_bits(), three.bias.to_bits());
    let bits = |m: &Logistic| -> Vec<u64> { m.weights.iter().map(|w| w.to_bits()).collect() };
    assert_eq!(bits(&one), bits(&three));
}

/// Weights are on the standardised scale, so a number far from zero (a year, a large
/// count) fits as the same number moved to zero: the sums keep their precision.
#[test]
fn a_feature_far_from_zero_fits_like_the_same_feature_near_it() {
    let mut rng = Rng(11);
    let (rows, labels, _) = draw(&mut rng, 5_000);
    let moved: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r[0] += 1.0e7;
            r
        })
        .collect();
    let near = Logistic::fit(&rows, &labels, 1.0);
    let far = Logistic::fit(&moved, &labels, 1.0);
    for (a, b) in near.weights.iter().zip(&far.weights) {
        assert!((a - b).abs() < 1e-8, "{a} vs {b}");
    }
    // The bias moves only by the rounding of the far column's mean (about 1e-8 here);
    // summed uncentred, the weights were off by 1e-5.
    assert!(
        (near.bias - far.bias).abs() < 1e-6,
        "{} vs {}",
        near.bias,
        far.bias
    );
}
