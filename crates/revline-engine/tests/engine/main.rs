//! The engine against hand-computed fixtures, real datasets and properties.

mod funnel;
mod reports;
