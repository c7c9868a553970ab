//! The integration tests of revline-ingest, in one binary.

mod import;
mod presets;
