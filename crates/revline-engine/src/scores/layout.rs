//! The feature layout, learned from the training leads: which columns are numbers and
//! which one-hot categories (and which of their values have a column of their own),
//! which touch channels are counted, and a lead's row of features.

use super::lead::{ColumnName, Lead};
use crate::snapshot::{NONE, Snapshot};
use std::collections::HashMap;

/// A categorical value seen on fewer training leads than this goes to "other".
const MIN_VALUE_COUNT: usize = 20;

/// A column is numeric when every value it has is a number and there are this many
/// different ones; fewer are one-hot categories (a 1-5 rating, a yes/no as 0/1).
const MIN_NUMERIC_VALUES: usize = 10;

/// How a column enters the model.
enum Encoding {
    /// One-hot: the values with a column of their own, then "(other)" and "(none)".
    Categorical(Vec<u32>),
    /// Its value as a number, and "(none)" for a missing one. A missing value takes
    /// the training leads' mean, so that the number adds nothing and the "(none)"
    /// column alone carries what missing means (a reason never reads "employees: 0").
    Numeric(f64),
}

pub(super) struct Layout {
    /// Per column of the leads' values (by position), how it enters; `None`: left out.
    columns: Vec<Option<Encoding>>,
    /// Touch channels counted as features.
    channels: Vec<u32>,
    pub names: Vec<String>,
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
    /// `s` gives the names of the values.
    pub(super) fn learn(s: &Snapshot, columns: &[ColumnName], leads: &[&Lead]) -> Layout {
        let mut encodings = Vec::new();
        let mut names = Vec::new();
        for (j, column) in columns.iter().enumerate() {
            let mut counts: HashMap<u32, usize> = HashMap::new();
            for lead in leads {
                *counts.entry(lead.values[j]).or_default() += 1;
            }
            counts.remove(&NONE);
            // A property none of the training leads has teaches nothing.
            if counts.is_empty() && !column.fixed {
                encodings.push(None);
                continue;
            }
            let name = &column.name;
            if counts.len() >= MIN_NUMERIC_VALUES && counts.keys().all(|&v| number(s, v).is_some())
            {
                // Summed in the order of the values, so that the mean is the same to
                // the last bit however the leads arrived.
                let mut values: Vec<(u32, usize)> = counts.into_iter().collect();
                values.sort_unstable();
                let (sum, n) = values.iter().fold((0.0, 0usize), |(sum, n), &(v, k)| {
                    (sum + number(s, v).unwrap_or(0.0) * k as f64, n + k)
                });
                names.push(name.clone());
                names.push(format!("{name}=(none)"));
                encodings.push(Some(Encoding::Numeric(sum / n.max(1) as f64)));
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
            encodings.push(Some(Encoding::Categorical(kept)));
        }
        let mut counts: HashMap<u32, usize> = HashMap::new();
        // The mean hours since the last touch of the leads touched by their cut: what
        // an untouched lead's hours are taken to be (its "no touch" column says the rest).
        let (mut hours, mut touched) = (0.0, 0usize);
        for lead in leads {
            for &(channel, n) in &lead.channels {
                *counts.entry(channel).or_default() += n as usize;
            }
            if let Some(last) = lead.last_touch {
                hours += (lead.cut() - last) as f64 / 3_600_000.0;
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
            columns: encodings,
            channels,
            names,
            hours_fill: hours / touched.max(1) as f64,
        }
    }

    /// A lead's features as known at its cut; `s` gives the names of the values.
    pub(super) fn row(&self, s: &Snapshot, lead: &Lead) -> Vec<f64> {
        let mut row = Vec::with_capacity(self.names.len());
        let flag = |b: bool| f64::from(u8::from(b));
        for (&v, encoding) in lead.values.iter().zip(&self.columns) {
            match encoding {
                None => {}
                Some(Encoding::Categorical(kept)) => {
                    for &k in kept {
                        row.push(flag(v == k));
                    }
                    row.push(flag(v != NONE && !kept.contains(&v)));
                    row.push(flag(v == NONE));
                }
                Some(Encoding::Numeric(fill)) => {
                    // A value that is not a number counts as missing.
                    let x = (v != NONE).then(|| number(s, v)).flatten();
                    row.push(x.unwrap_or(*fill));
                    row.push(flag(x.is_none()));
                }
            }
        }
        for &ch in &self.channels {
            let n = lead
                .channels
                .binary_search_by_key(&ch, |e| e.0)
                .map_or(0, |at| lead.channels[at].1);
            row.push(f64::from(n));
        }
        row.push(f64::from(lead.touches));
        row.push(f64::from(lead.marketing));
        row.push(f64::from(lead.sales));
        match lead.last_touch {
            Some(last) => {
                row.push((lead.cut() - last) as f64 / 3_600_000.0);
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
