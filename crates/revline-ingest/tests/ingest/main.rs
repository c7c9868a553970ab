//! The integration tests of revline-ingest, in one binary.

mod crm_exports;
mod import;
mod presets;
