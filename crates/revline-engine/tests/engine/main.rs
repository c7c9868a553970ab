//! The engine against hand-computed fixtures, real datasets and properties.

mod alert_storms;
mod alerts;
mod attribution;
mod bands;
mod bottlenecks;
mod funnel;
mod incremental;
mod logistic;
mod mrr;
mod plan;
mod reports;
mod scores;
