//! Attribution: rule-based models against hand-computed weights, and the exact Markov
//! model against an independent dense solve of the same absorbing chain.

use proptest::prelude::*;
use revline_engine::attribution::{
    Journey, Model, PathRow, Paths, Touch, attribute_paths, markov, parse_paths, rule_weights,
};
use revline_engine::markov::{NullCounter, markov_with};

const DAY: i64 = 86_400_000;

fn journey(days_before: &[i64], mql_at: i64, deal_at: i64) -> Journey {
    Journey {
        touches: days_before
            .iter()
            .enumerate()
            .map(|(i, d)| Touch {
                channel: i as u32,
                at: -d * DAY,
            })
            .collect(),
        converted_at: 0,
        value: 1000,
        mql_at,
        deal_at,
        retained: 0,
    }
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
}

#[test]
fn rule_models_match_the_hand_computation() {
    // Touches 21, 14, 7 and 0 days before the conversion; mql after the second touch,
    // deal created after the third.
    let j = journey(&[21, 14, 7, 0], -10 * DAY, -3 * DAY);
    let w = |m| rule_weights(m, &j, 7.0);
    assert!(close(&w(Model::FirstTouch), &[1.0, 0.0, 0.0, 0.0]));
    assert!(close(&w(Model::LastTouch), &[0.0, 0.0, 0.0, 1.0]));
    assert!(close(&w(Model::Linear), &[0.25; 4]));
    // 2^-3, 2^-2, 2^-1, 1 over their sum 1.875.
    assert!(close(
        &w(Model::TimeDecay),
        &[0.125 / 1.875, 0.25 / 1.875, 0.5 / 1.875, 1.0 / 1.875]
    ));
    assert!(close(&w(Model::PositionBased), &[0.4, 0.1, 0.1, 0.4]));
    // 30% first, 30% lead-creation touch (the second), 30% the opportunity touch (the
    // third), 10% to the rest (the fourth).
    assert!(close(&w(Model::WShaped), &[0.3, 0.3, 0.3, 0.1]));
    // Coinciding key touches add up: the first touch is also the lead-creation and the
    // opportunity touch here, the other touch takes the 10%.
    let early = journey(&[5, 1], -3 * DAY, -2 * DAY);
    assert!(close(
        &rule_weights(Model::WShaped, &early, 7.0),
        &[0.9, 0.1]
    ));
    // With no touch besides the key ones the 10% goes to the three keys equally.
    let short = journey(&[5, 1], -3 * DAY, -DAY / 2);
    let ws = rule_weights(Model::WShaped, &short, 7.0);
    assert!(close(&ws, &[0.6 + 0.2 / 3.0, 0.3 + 0.1 / 3.0]), "{ws:?}");
    assert!(close(
        &rule_weights(Model::PositionBased, &short, 7.0),
        &[0.5, 0.5]
    ));
    let one = journey(&[3], 0, 0);
    assert!(close(
        &rule_weights(Model::PositionBased, &one, 7.0),
        &[1.0]
    ));
    // A half-life of 14 days halves the weight every two weeks.
    let td = rule_weights(Model::TimeDecay, &journey(&[14, 0], 0, 0), 14.0);
    assert!(close(&td, &[1.0 / 3.0, 2.0 / 3.0]));
}

/// The textbook example: c1 > c2 > c3 converts, c1 fails, c2 > c3 fails.
#[test]
fn markov_matches_the_worked_example() {
    let paths = parse_paths(
        "path,total_conversions,total_conversion_value,total_null\n\
         c1 > c2 > c3,1,100,0\nc1,0,0,1\nc2 > c3,0,0,1\n",
    )
    .unwrap();
    let m = markov(&paths.rows, 1);
    // start -> c1 (2/3), c2 (1/3); c1 -> c2 (1/2), null (1/2); c2 -> c3; c3 -> conv (1/2).
    // P = 2/3 * 1/2 * 1/2 + 1/3 * 1/2 = 1/3.
    assert!((m.probability - 1.0 / 3.0).abs() < 1e-12);
    // Without c1: 1/3 * 1/2 = 1/6 -> RE 0.5; without c2 or c3: 0 -> RE 1.
    let re: Vec<f64> = m.removal_effects.values().map(|x| x.0).collect();
    assert!(close(&re, &[0.5, 1.0, 1.0]), "{re:?}");
    let report = attribute_paths(
        &paths,
        &[Model::Markov, Model::LastTouch, Model::TimeDecay],
        1,
    );
    assert_eq!(report.models.len(), 2, "time_decay needs touch times");
    let markov = &report.models[0];
    let credit: Vec<f64> = markov.channels.iter().map(|c| c.conversions).collect();
    assert!(close(&credit, &[0.2, 0.4, 0.4]));
    let value: Vec<f64> = markov.channels.iter().map(|c| c.value).collect();
    assert!(close(&value, &[20.0, 40.0, 40.0]), "{value:?}");
    let c1 = report.ranges.iter().find(|r| r.channel == "c1").unwrap();
    assert_eq!((c1.conversions_min, c1.conversions_max), (0.0, 0.2));
}

#[test]
fn a_bad_path_file_names_the_line_and_column() {
    let e = parse_paths("path,total_conversions\nA,1\n").unwrap_err();
    assert!(e.contains("total_null"), "{e}");
    // The value column may be left out: every value is then 0.
    let p = parse_paths("path,total_conversions,total_null\nA > B,2,1\n").unwrap();
    assert_eq!(
        (p.rows[0].conversions, p.rows[0].value, p.rows[0].nulls),
        (2.0, 0.0, 1.0)
    );
    let e = parse_paths("path,total_conversions,total_conversion_value,total_null\nA > B,x,0,0\n")
        .unwrap_err();
    assert_eq!(
        e,
        "line 2, column total_conversions: 'x' is not a count or amount"
    );
}

/// Absorption in conversion from (start), solved densely by Gaussian elimination on
/// (I - Q) p = r: an independent check of the sparse iteration.
fn dense_probability(rows: &[PathRow], order: usize, removed: Option<u32>) -> f64 {
    use std::collections::HashMap;
    let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut counts: HashMap<(usize, usize), f64> = HashMap::new();
    let (start, conv, null) = (0usize, 1usize, 2usize);
    let mut states: Vec<Vec<u32>> = vec![vec![], vec![], vec![]];
    for r in rows {
        let w = r.conversions + r.nulls;
        let wins: Vec<Vec<u32>> = if r.path.len() <= order {
            vec![r.path.clone()]
        } else {
            r.path.windows(order).map(|x| x.to_vec()).collect()
        };
        let mut seq: Vec<usize> = Vec::new();
        for win in wins {
            let n = states.len();
            let id = *index.entry(win.clone()).or_insert(n);
            if id == n {
                states.push(win);
            }
            if seq.last() != Some(&id) {
                seq.push(id);
            }
        }
        let mut prev = start;
        for s in seq {
            *counts.entry((prev, s)).or_default() += w;
            prev = s;
        }
        *counts.entry((prev, conv)).or_default() += r.conversions;
        *counts.entry((prev, null)).or_default() += r.nulls;
    }
    let n = states.len();
    let mut total = vec![0.0; n];
    for ((a, _), c) in &counts {
        total[*a] += c;
    }
    let gone = |s: usize| s >= 3 && removed.is_some_and(|c| states[s].contains(&c));
    // Unknowns: start and the channel states.
    let unknowns: Vec<usize> = std::iter::once(start).chain(3..n).collect();
    let pos = |s: usize| unknowns.iter().position(|&u| u == s).unwrap();
    let m = unknowns.len();
    let mut a = vec![vec![0.0; m + 1]; m];
    for (i, &s) in unknowns.iter().enumerate() {
        a[i][i] = 1.0;
        if gone(s) || total[s] == 0.0 {
            continue;
        }
        for ((x, y), c) in &counts {
            if *x != s {
                continue;
            }
            let p = c / total[s];
            if *y == conv {
                a[i][m] += p;
            } else if *y != null && !gone(*y) {
                a[i][pos(*y)] -= p;
            }
        }
    }
    for col in 0..m {
        let pivot = (col..m)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        for row in 0..m {
            if row != col && a[row][col] != 0.0 {
                let f = a[row][col] / a[col][col];
                let pivot_row = a[col].clone();
                for (x, p) in a[row].iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    a[0][m] / a[0][0]
}

fn arb_paths() -> impl Strategy<Value = Vec<PathRow>> {
    prop::collection::vec(
        (
            prop::collection::vec(0u32..4, 1..6),
            0u32..4,
            0u32..4,
            0u32..50,
        ),
        1..12,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .filter(|(_, c, n, _)| c + n > 0)
            .map(|(path, c, n, v)| PathRow {
                path,
                conversions: f64::from(c),
                value: f64::from(c * v),
                nulls: f64::from(n),
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn markov_equals_a_dense_solve(rows in arb_paths(), order in 1usize..4) {
        prop_assume!(rows.iter().any(|r| r.conversions > 0.0));
        let m = markov(&rows, order);
        let p = dense_probability(&rows, order, None);
        prop_assert!((m.probability - p).abs() < 1e-9, "{} vs {}", m.probability, p);
        for (&c, &(re, _)) in &m.removal_effects {
            let without = dense_probability(&rows, order, Some(c));
            prop_assert!((re - (1.0 - without / p)).abs() < 1e-9, "channel {}: {} vs {}", c, re, 1.0 - without / p);
        }
    }

    #[test]
    fn null_paths_counted_apart_or_rows_in_any_order_give_the_same_model_to_the_bit(
        rows in arb_paths(),
        order in 1usize..4,
        rotate in 0usize..12,
    ) {
        prop_assume!(rows.iter().any(|r| r.conversions > 0.0));
        let whole = markov(&rows, order);
        // The same rows in another order: states are numbered by their channels.
        let mut turned = rows.clone();
        let k = rotate % turned.len();
        turned.rotate_left(k);
        prop_assert_eq!(&markov(&turned, order), &whole);
        // Null paths as counted transitions (what a cluster's shards send), split in two.
        let converting: Vec<PathRow> = rows
            .iter()
            .map(|r| PathRow { nulls: 0.0, ..r.clone() })
            .collect();
        let (mut one, mut two) = (NullCounter::new(order), NullCounter::new(order));
        for (i, r) in rows.iter().enumerate() {
            for _ in 0..r.nulls as usize {
                if i % 2 == 0 { one.add(&r.path) } else { two.add(&r.path) }
            }
        }
        let nulls = one.finish().merge(two.finish());
        let total: f64 = rows.iter().map(|r| r.nulls).sum();
        prop_assert_eq!(nulls.count as f64, total);
        prop_assert_eq!(&markov_with(&converting, &nulls, order), &whole);
    }

    #[test]
    fn credits_sum_to_the_totals(rows in arb_paths(), order in 1usize..5) {
        prop_assume!(rows.iter().any(|r| r.conversions > 0.0 && r.value > 0.0));
        let names = (0..4).map(|i| format!("ch{i}")).collect();
        let paths = Paths { names, rows };
        let report = attribute_paths(&paths, &Model::ALL, order);
        for m in &report.models {
            let conv: f64 = m.channels.iter().map(|c| c.conversions).sum();
            let value: f64 = m.channels.iter().map(|c| c.value).sum();
            prop_assert!((conv - m.conversions).abs() < 1e-6, "{:?}: {} vs {}", m.model, conv, m.conversions);
            prop_assert!((value - m.value).abs() < 1e-6, "{:?}: {} vs {}", m.model, value, m.value);
        }
    }
}

#[test]
fn distinct_paths_count_each_contacts_touches_before_it_converts() {
    use revline_core::parse::{ParseOptions, RowText, parse_record};
    use revline_core::{RecordKind, Settings};
    let record = |kind, pairs: &[(&str, &str)]| {
        parse_record(
            kind,
            RowText::from_pairs(kind, pairs),
            &Settings::default(),
            &ParseOptions::default(),
        )
        .unwrap()
    };
    let mut b = revline_engine::SnapshotBuilder::new(&Settings::default());
    let touches = [
        ("c1", "2026-01-01", "search"),
        ("c1", "2026-01-03", "email"),
        ("c1", "2026-01-09", "events"), // after c1 became a customer: not in its path
        ("c2", "2026-01-02", "search"),
        ("c2", "2026-01-04", "email"), // the same path as c1's, not converted
        ("c3", "2026-01-02", "search"),
        ("c3", "2026-01-05", "email"),
        ("c4", "2026-01-01", "social"),
    ];
    for c in ["c1", "c2", "c3", "c4", "c5"] {
        b.add(&record(
            RecordKind::Contacts,
            &[("contact_id", c), ("created_at", "2026-01-01")],
        ));
    }
    for (c, at, ch) in touches {
        b.add(&record(
            RecordKind::Touchpoints,
            &[("contact_id", c), ("occurred_at", at), ("channel", ch)],
        ));
    }
    for (c, at) in [
        ("c1", "2026-01-05"),
        ("c3", "2026-01-06"),
        ("c5", "2026-01-02"),
    ] {
        b.add(&record(
            RecordKind::Stages,
            &[
                ("contact_id", c),
                ("stage", "customer"),
                ("occurred_at", at),
            ],
        ));
    }
    let s = b.build();
    let customer = s.stage_index("customer").unwrap();
    let as_of = revline_core::time::parse_timestamp("2026-02-01", chrono_tz::Tz::UTC).unwrap();
    let rows = revline_engine::attribution::distinct_paths(&s, customer, as_of);
    let named: Vec<(Vec<&str>, f64, f64)> = rows
        .iter()
        .map(|r| {
            (
                r.path.iter().map(|&c| s.names.name(c)).collect(),
                r.conversions,
                r.nulls,
            )
        })
        .collect();
    // c5 converted without any touch: no path. c1 and c3 converted on search > email, c2
    // did not; c4 did not on social.
    let mut want = vec![
        (vec!["search", "email"], 2.0, 1.0),
        (vec!["social"], 0.0, 1.0),
    ];
    want.sort_by(|a, b| {
        let id = |p: &Vec<&str>| {
            p.iter()
                .map(|n| s.names.get(n).unwrap())
                .collect::<Vec<_>>()
        };
        id(&a.0).cmp(&id(&b.0))
    });
    assert_eq!(named, want);
}

/// ChannelAttribution's own sample (`Data.csv`) separates its fields with semicolons.
#[test]
fn a_semicolon_path_file_reads_like_a_comma_one() {
    let comma = "path,total_conversions,total_conversion_value,total_null\n\
                 eta > iota > alpha > eta,1,0.244,3\n\"a, b > c\",2,3.5,6\n";
    let semicolon = "path;total_conversions;total_conversion_value;total_null\n\
                     eta > iota > alpha > eta;1;0.244;3\n\"a, b > c\";2;3.5;6\n";
    let (a, b) = (parse_paths(comma).unwrap(), parse_paths(semicolon).unwrap());
    assert_eq!(a.names, b.names);
    assert_eq!(a.names, ["eta", "iota", "alpha", "a, b", "c"]);
    for (x, y) in a.rows.iter().zip(&b.rows) {
        assert_eq!(
            (&x.path, x.conversions, x.value, x.nulls),
            (&y.path, y.conversions, y.value, y.nulls)
        );
    }
}
