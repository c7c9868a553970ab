//! The engine against hand-computed fixtures, real datasets and properties.

mod attribution;
mod funnel;
mod reports;
