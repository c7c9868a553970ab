//! The engine against hand-computed fixtures, real datasets and properties.

mod alerts;
mod attribution;
mod bottlenecks;
mod funnel;
mod incremental;
mod mrr;
mod plan;
mod reports;
