//! Getting data into and out of a Revline store: importers for folders of canonical CSV
//! files, single CSV / NDJSON / XLSX files, CRM export presets and custom mappings;
//! and the canonical CSV export that imports back losslessly.

pub mod digests;
pub mod export;
pub mod framing;
pub mod import;
pub mod mapping;
pub mod presets;
pub mod source;
pub mod summary;

pub use import::{
    ImportError, ImportOptions, JsonObject, NoProgress, Progress, import_objects, import_path,
};
pub use mapping::Mapping;
pub use summary::ImportSummary;
