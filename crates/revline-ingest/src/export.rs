//! The canonical CSV export: one file per record kind, contract columns in contract
//! order, then custom properties in name order, rows in id order, values in their
//! canonical text. Importing an export and exporting again gives the same bytes.

use revline_core::money::format_minor;
use revline_core::time::format_timestamp;
use revline_core::{Currency, FieldType, Record, RecordKind, Settings, Value};
use revline_store::{Store, StoreError};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

const PAGE: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The contract columns of a kind as they appear in its file.
pub fn contract_header(kind: RecordKind) -> Vec<&'static str> {
    kind.fields().iter().map(|f| f.name).collect()
}

/// The canonical text of each contract field of a record, aligned with `contract_header`.
pub fn render_fields(record: &Record, settings: &Settings) -> Vec<String> {
    let kind = record.kind;
    let currency = record
        .text("currency")
        .and_then(Currency::parse)
        .unwrap_or(settings.currency);
    let mut out = Vec::with_capacity(kind.fields().len());
    let mut values = record.values.iter();
    for field in kind.fields() {
        if Some(field.name) == kind.id_field() {
            out.push(record.id.clone());
            continue;
        }
        let value = values.next().expect("values align with columns");
        out.push(match (value, field.ty) {
            (Value::Null, _) => String::new(),
            (Value::Int(ms), FieldType::Timestamp) => format_timestamp(*ms),
            (Value::Int(minor), FieldType::Amount) => format_minor(*minor, currency.exponent()),
            (Value::Int(i), _) => i.to_string(),
            (Value::Text(s), _) => s.clone(),
        });
    }
    out
}

/// Writes one kind's file row by row.
pub struct CanonicalWriter {
    writer: csv::Writer<BufWriter<File>>,
    props: Vec<String>,
    row: Vec<String>,
    pub rows: u64,
}

impl CanonicalWriter {
    pub fn create(
        dir: &Path,
        kind: RecordKind,
        props: Vec<String>,
    ) -> Result<CanonicalWriter, ExportError> {
        let path = dir.join(format!("{}.csv", kind.name()));
        let file = File::create(&path).map_err(|source| ExportError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(BufWriter::new(file));
        let mut header: Vec<String> = contract_header(kind)
            .into_iter()
            .map(str::to_string)
            .collect();
        header.extend(props.iter().cloned());
        writer.write_record(&header)?;
        Ok(CanonicalWriter {
            writer,
            props,
            row: Vec::new(),
            rows: 0,
        })
    }

    pub fn write(&mut self, record: &Record, settings: &Settings) -> Result<(), ExportError> {
        self.row = render_fields(record, settings);
        for key in &self.props {
            self.row
                .push(record.props.get(key).cloned().unwrap_or_default());
        }
        self.writer.write_record(&self.row)?;
        self.rows += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<u64, ExportError> {
        self.writer.flush().map_err(|source| ExportError::Io {
            path: "export".into(),
            source,
        })?;
        Ok(self.rows)
    }
}

/// Exports the whole store into `dir` (created if needed): `settings.toml` and one CSV
/// per kind that has records. Returns the rows written per kind.
pub async fn export_store(
    store: &dyn Store,
    dir: &Path,
) -> Result<Vec<(RecordKind, u64)>, ExportError> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let settings = store.settings().await?;
    let settings_path = dir.join("settings.toml");
    std::fs::write(&settings_path, settings.to_toml()).map_err(|source| ExportError::Io {
        path: settings_path.display().to_string(),
        source,
    })?;
    let mut written = Vec::new();
    for kind in RecordKind::ALL {
        let stale = dir.join(format!("{}.csv", kind.name()));
        if store.count(kind).await? == 0 {
            // An old file would be imported back as if it were current.
            if stale.exists() {
                std::fs::remove_file(&stale).map_err(|source| ExportError::Io {
                    path: stale.display().to_string(),
                    source,
                })?;
            }
            continue;
        }
        let props = store.prop_keys(kind).await?;
        let mut writer = CanonicalWriter::create(dir, kind, props)?;
        let mut after: Option<String> = None;
        loop {
            let page = store.read_page(kind, after.as_deref(), PAGE).await?;
            for r in &page {
                writer.write(r, &settings)?;
            }
            if page.len() < PAGE {
                break;
            }
            after = page.last().map(|r| r.id.clone());
        }
        written.push((kind, writer.finish()?));
    }
    Ok(written)
}
