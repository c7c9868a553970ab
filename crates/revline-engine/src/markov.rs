//! The exact Markov model (metrics.md "markov"): the absorbing chain of order-k states
//! built from aggregated paths, and the removal effect of every channel.
//!
//! The chain's states are numbered in the order of their channels, whatever order the
//! paths came in, so that the same paths give the same solve to the last bit however
//! they were gathered (in one process, or shard by shard on a cluster). Paths that did
//! not convert may come as their transitions already counted (`NullPaths`): whole
//! numbers, which add up exactly in any order.

use crate::attribution::PathRow;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

type Fast<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The exact Markov model over aggregated paths (metrics.md "markov").
#[derive(Debug, Clone, PartialEq)]
pub struct MarkovResult {
    /// Probability that (start) is absorbed in conversion.
    pub probability: f64,
    /// Per channel: removal effect, value-weighted removal effect.
    pub removal_effects: BTreeMap<u32, (f64, f64)>,
    pub states: usize,
}

const START: usize = 0;
const CONV: usize = 1;
const NULL: usize = 2;

/// The states a path passes through at `order`: its windows of `order` channels (the
/// whole path when shorter), a window repeated at once counted once.
fn windows(path: &[u32], order: usize) -> impl Iterator<Item = &[u32]> {
    let whole = path.len() <= order;
    let size = if whole { path.len().max(1) } else { order };
    path.windows(size)
}

/// The transitions of paths that did not convert, at one Markov order, counted:
/// `(from, to)` states, where an empty `from` is (start) and an empty `to` is (null).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NullPaths {
    /// How many paths.
    pub count: u64,
    pub transitions: BTreeMap<(Vec<u32>, Vec<u32>), u64>,
}

impl NullPaths {
    pub fn merge(mut self, other: NullPaths) -> NullPaths {
        self.count += other.count;
        for (edge, n) in other.transitions {
            *self.transitions.entry(edge).or_default() += n;
        }
        self
    }
}

/// Counts the transitions of null paths one path at a time, states interned so that a
/// window is looked up without being copied.
pub struct NullCounter {
    order: usize,
    ids: Fast<Vec<u32>, u32>,
    states: Vec<Vec<u32>>,
    edges: Fast<(u32, u32), u64>,
    count: u64,
}

/// (start) as a source and (null) as a target, among interned state ids.
const OUTSIDE: u32 = u32::MAX;

impl NullCounter {
    pub fn new(order: usize) -> NullCounter {
        NullCounter {
            order: order.max(1),
            ids: Fast::default(),
            states: Vec::new(),
            edges: Fast::default(),
            count: 0,
        }
    }

    /// Adds one non-empty path.
    pub fn add(&mut self, path: &[u32]) {
        if path.is_empty() {
            return;
        }
        self.count += 1;
        let mut prev = OUTSIDE;
        for win in windows(path, self.order) {
            let id = match self.ids.get(win) {
                Some(&id) => id,
                None => {
                    let id = self.states.len() as u32;
                    self.states.push(win.to_vec());
                    self.ids.insert(win.to_vec(), id);
                    id
                }
            };
            if id != prev {
                *self.edges.entry((prev, id)).or_default() += 1;
                prev = id;
            }
        }
        *self.edges.entry((prev, OUTSIDE)).or_default() += 1;
    }

    pub fn finish(self) -> NullPaths {
        let state = |id: u32| {
            if id == OUTSIDE {
                Vec::new()
            } else {
                self.states[id as usize].clone()
            }
        };
        NullPaths {
            count: self.count,
            transitions: self
                .edges
                .iter()
                .map(|(&(a, b), &n)| ((state(a), state(b)), n))
                .collect(),
        }
    }
}

/// The transition graph of order-k states.
struct Chain {
    /// Per state, outgoing (target, probability).
    out: Vec<Vec<(usize, f64)>>,
    /// Per state, the channels it contains.
    channels: Vec<Vec<u32>>,
    /// Per state, total value and conversions of paths whose last state it is.
    value: Vec<(f64, f64)>,
}

/// Counts of transitions, gathered path by path.
struct ChainBuilder {
    order: usize,
    index: Fast<Vec<u32>, usize>,
    channels: Vec<Vec<u32>>,
    edges: Fast<(usize, usize), f64>,
    value: Vec<(f64, f64)>,
}

impl ChainBuilder {
    fn new(order: usize) -> ChainBuilder {
        ChainBuilder {
            order: order.max(1),
            index: Fast::default(),
            channels: vec![Vec::new(); 3],
            edges: Fast::default(),
            value: vec![(0.0, 0.0); 3],
        }
    }

    fn state(&mut self, win: &[u32]) -> usize {
        // Looked up by slice first: most windows are known states.
        match self.index.get(win) {
            Some(&id) => id,
            None => {
                self.channels.push(win.to_vec());
                self.value.push((0.0, 0.0));
                self.index.insert(win.to_vec(), self.channels.len() - 1);
                self.channels.len() - 1
            }
        }
    }

    fn add_row(&mut self, p: &PathRow) {
        let weight = p.conversions + p.nulls;
        if weight <= 0.0 || p.path.is_empty() {
            return;
        }
        let mut prev = START;
        for win in windows(&p.path, self.order) {
            let st = self.state(win);
            if st != prev {
                *self.edges.entry((prev, st)).or_default() += weight;
                prev = st;
            }
        }
        if p.conversions > 0.0 {
            *self.edges.entry((prev, CONV)).or_default() += p.conversions;
            self.value[prev].0 += p.value;
            self.value[prev].1 += p.conversions;
        }
        if p.nulls > 0.0 {
            *self.edges.entry((prev, NULL)).or_default() += p.nulls;
        }
    }

    fn add_nulls(&mut self, nulls: &NullPaths) {
        for ((from, to), &n) in &nulls.transitions {
            let a = if from.is_empty() {
                START
            } else {
                self.state(from)
            };
            let b = if to.is_empty() { NULL } else { self.state(to) };
            *self.edges.entry((a, b)).or_default() += n as f64;
        }
    }

    /// The chain, its states numbered in the order of their channels.
    fn finish(self) -> Chain {
        let n = self.channels.len();
        let mut by_channels: Vec<usize> = (3..n).collect();
        by_channels.sort_by(|&a, &b| self.channels[a].cmp(&self.channels[b]));
        let mut renamed: Vec<usize> = (0..n).collect();
        for (i, &old) in by_channels.iter().enumerate() {
            renamed[old] = 3 + i;
        }
        let mut channels = vec![Vec::new(); n];
        let mut value = vec![(0.0, 0.0); n];
        for old in 0..n {
            channels[renamed[old]] = self.channels[old].clone();
            value[renamed[old]] = self.value[old];
        }
        let mut sorted: Vec<((usize, usize), f64)> = self
            .edges
            .into_iter()
            .map(|((a, b), c)| ((renamed[a], renamed[b]), c))
            .collect();
        sorted.sort_by_key(|((a, b), _)| (*a, *b));
        let mut out = vec![Vec::new(); n];
        for ((a, b), c) in sorted {
            out[a].push((b, c));
        }
        // Counts to probabilities.
        for row in &mut out {
            let total: f64 = row.iter().map(|(_, c)| c).sum();
            row.iter_mut().for_each(|(_, c)| *c /= total);
        }
        Chain {
            out,
            channels,
            value,
        }
    }
}

impl Chain {
    /// Probability of absorption in conversion from every state, with the states in
    /// `removed` sent to null; Gauss-Seidel to a tolerance of 1e-12.
    fn absorption(&self, removed: &[bool]) -> Vec<f64> {
        let n = self.out.len();
        let mut p = vec![0.0; n];
        p[CONV] = 1.0;
        for _ in 0..100_000 {
            let mut delta: f64 = 0.0;
            for s in (3..n).chain([START]) {
                if removed[s] {
                    continue;
                }
                let v: f64 = self.out[s]
                    .iter()
                    .map(|&(t, pr)| if removed[t] { 0.0 } else { pr * p[t] })
                    .sum();
                delta = delta.max((v - p[s]).abs());
                p[s] = v;
            }
            if delta < 1e-13 {
                break;
            }
        }
        p
    }

    /// Expected visits to every state from (start), with `removed` states cut off.
    fn visits(&self, removed: &[bool]) -> Vec<f64> {
        let n = self.out.len();
        let mut into: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for (a, row) in self.out.iter().enumerate() {
            for &(b, pr) in row {
                into[b].push((a, pr));
            }
        }
        let mut v = vec![0.0; n];
        v[START] = 1.0;
        for _ in 0..100_000 {
            let mut delta: f64 = 0.0;
            for s in 3..n {
                if removed[s] {
                    continue;
                }
                let x: f64 = into[s]
                    .iter()
                    .map(|&(a, pr)| if removed[a] { 0.0 } else { v[a] * pr })
                    .sum();
                delta = delta.max((x - v[s]).abs());
                v[s] = x;
            }
            if delta < 1e-13 {
                break;
            }
        }
        v
    }

    /// Expected conversion value: sum over states of visits x P(convert next) x mean value.
    fn expected_value(&self, visits: &[f64], removed: &[bool]) -> f64 {
        let mut total = 0.0;
        for s in 3..self.out.len() {
            if removed[s] || self.value[s].1 <= 0.0 {
                continue;
            }
            let r: f64 = self.out[s]
                .iter()
                .filter(|(t, _)| *t == CONV)
                .map(|(_, p)| p)
                .sum();
            total += visits[s] * r * (self.value[s].0 / self.value[s].1);
        }
        total
    }
}

/// The model over aggregated paths.
pub fn markov(paths: &[PathRow], order: usize) -> MarkovResult {
    markov_with(paths, &NullPaths::default(), order)
}

/// The model over aggregated paths and the counted transitions of more null paths.
pub fn markov_with(paths: &[PathRow], nulls: &NullPaths, order: usize) -> MarkovResult {
    let mut builder = ChainBuilder::new(order);
    for p in paths {
        builder.add_row(p);
    }
    builder.add_nulls(nulls);
    let chain = builder.finish();
    let n = chain.out.len();
    let none = vec![false; n];
    let p = chain.absorption(&none)[START];
    let visits = chain.visits(&none);
    let value = chain.expected_value(&visits, &none);
    let mut all: Vec<u32> = chain.channels.iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    let removal_effects = all
        .into_iter()
        .map(|c| {
            let removed: Vec<bool> = chain.channels.iter().map(|ch| ch.contains(&c)).collect();
            let p_without = chain.absorption(&removed)[START];
            let re = if p > 0.0 { 1.0 - p_without / p } else { 0.0 };
            let v_without = chain.expected_value(&chain.visits(&removed), &removed);
            let rev = if value > 0.0 {
                1.0 - v_without / value
            } else {
                0.0
            };
            (c, (re, rev))
        })
        .collect();
    MarkovResult {
        probability: p,
        removal_effects,
        states: n - 3,
    }
}
