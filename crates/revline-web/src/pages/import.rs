//! Import from the browser: upload, preview, run, status.

use super::chrome::{Chrome, chrome};
use super::ui::Ui;
use super::{OrPage, PageError, PageResult, render};
use crate::auth::{Page, Role};
use crate::i18n::Tr;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use revline_core::RecordKind;
use revline_ingest::summary::{ImportSummary, RowError};

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    kinds: Vec<String>,
    runs: Vec<(String, String, String, String)>,
}

pub(super) async fn import_page(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let runs = state
        .store
        .import_runs(10)
        .await
        .or_page(tr)?
        .into_iter()
        .map(|r| {
            (
                tr.datetime(&revline_core::time::format_timestamp(r.started_at)),
                r.source
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or("")
                    .to_string(),
                tr.label("run_status", r.shown_status()),
                if r.dry_run {
                    tr.t("action.preview").to_string()
                } else {
                    String::new()
                },
            )
        })
        .collect();
    let page = ImportPage {
        c: chrome(&state, &w, &ui, "import", "nav.import", None, false),
        kinds: crate::ingest::BATCH_KINDS
            .iter()
            .map(|k| k.name().to_string())
            .collect(),
        runs,
    };
    render(&page).or_page(tr)
}

pub struct FileView {
    pub file: String,
    pub kind: String,
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub rejected: u64,
    /// Rejected rows grouped by reason and column: (count, column, the first row's
    /// reason, its first lines), largest group first.
    pub errors: Vec<(String, String, String, String)>,
    /// Rows that landed changed (an amount rounded, control characters removed),
    /// grouped as `errors` are, and how many there are in all.
    pub warnings: Vec<(String, String, String, String)>,
    pub warnings_total: u64,
}

/// How many line numbers a group of rejected rows shows.
const LINES_PER_GROUP: usize = 8;

/// Rows of a summary (`errors`, `warnings`) as the CLI groups them: per reason, the
/// count, the column, the first row's reason and the group's first lines.
fn grouped_rows(rows: &[RowError]) -> Vec<(String, String, String, String)> {
    revline_ingest::summary::group_rows(rows)
        .into_iter()
        .map(|g| {
            let mut lines: Vec<String> = g
                .rows
                .iter()
                .take(LINES_PER_GROUP)
                .map(|r| r.line.to_string())
                .collect();
            if g.rows.len() > LINES_PER_GROUP {
                lines.push("…".into());
            }
            (
                g.rows.len().to_string(),
                g.column.unwrap_or_default().to_string(),
                g.rows[0].reason.clone(),
                lines.join(", "),
            )
        })
        .collect()
}

fn file_views(summary: &ImportSummary) -> Vec<FileView> {
    summary
        .files
        .iter()
        .map(|f| FileView {
            file: f.file.rsplit(['/', '\\']).next().unwrap_or("").to_string(),
            kind: f.kind.clone(),
            read: f.read,
            inserted: f.inserted,
            updated: f.updated,
            rejected: f.rejected,
            errors: grouped_rows(&f.errors),
            warnings: grouped_rows(&f.warnings),
            warnings_total: f.warnings.len() as u64 + f.warnings_omitted,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct ImportJobView {
    tr: Tr,
    id: u64,
    file: String,
    state: &'static str,
    percent: u32,
    files: Vec<FileView>,
    columns: Vec<(String, String)>,
    message: String,
    /// Contacts that share an email after this import: (email, ids).
    duplicates: Vec<(String, String)>,
    /// "Recognised as a HubSpot export", when a preset reads the file.
    recognised: String,
}

/// The summary's duplicate emails, as (email, ids).
fn duplicate_views(summary: &ImportSummary) -> Vec<(String, String)> {
    summary
        .duplicate_emails
        .iter()
        .map(|d| (d.email.clone(), d.contact_ids.join(", ")))
        .collect()
}

/// The header of an uploaded CSV against the kind's contract columns.
fn column_mapping(job: &crate::ingest::ImportJob, tr: &Tr) -> Vec<(String, String)> {
    let kind = job
        .kind
        .or_else(|| RecordKind::from_name(&revline_ingest::source::kind_stem(&job.path())));
    let Ok(bytes) = std::fs::read(job.path()) else {
        return Vec::new();
    };
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let delimiter = revline_ingest::source::detect_delimiter(first);
    let lower = job.file_name.to_lowercase();
    if !(lower.ends_with(".csv") || lower.ends_with(".txt")) {
        return Vec::new();
    }
    let line = String::from_utf8_lossy(first);
    line.trim_start_matches('\u{feff}')
        .trim_end()
        .split(delimiter as char)
        .map(|h| {
            let name = h.trim().trim_matches('"').to_string();
            let known = kind.is_some_and(|k| {
                k.fields()
                    .iter()
                    .any(|f| f.name.eq_ignore_ascii_case(&name))
                    || (k == RecordKind::Touchpoints && name.eq_ignore_ascii_case("email"))
            });
            let target = if known {
                format!("→ {}", name.to_lowercase())
            } else {
                format!("→ {}", tr.t("import.custom_property"))
            };
            (name, target)
        })
        .collect()
}

/// What the import read from each column, as its summary says (`columns` and
/// `properties`): `source → field` per file, then the columns kept as properties.
fn summary_columns(summary: &ImportSummary, tr: &Tr) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in &summary.files {
        for c in &f.columns {
            out.push((c.column.clone(), format!("→ {}.{}", f.kind, c.field)));
        }
        for p in &f.properties {
            out.push((
                p.clone(),
                format!("→ {}: {}", f.kind, tr.t("import.property")),
            ));
        }
    }
    out
}

pub(super) async fn import_preview(
    State(state): State<AppState>,
    Page(w): Page,
    mut form: Multipart,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut kind: Option<RecordKind> = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| PageError::new(AppError::from(e), tr))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let data = field
                    .bytes()
                    .await
                    .map_err(|e| PageError::new(AppError::from(e), tr))?;
                file = Some((name, data.to_vec()));
            }
            Some("kind") => {
                let v = field.text().await.unwrap_or_default();
                kind = RecordKind::from_name(v.trim());
            }
            _ => {}
        }
    }
    let (name, data) = file
        .filter(|(_, d)| !d.is_empty())
        .ok_or_else(|| PageError::new(AppError::bad("choose a file to import"), tr))?;
    let (id, job) = state.imports.add(&name, kind, &data).or_page(tr)?;
    let mut duplicates = Vec::new();
    let mut columns = column_mapping(&job, &tr);
    let (files, message, st) = match crate::ingest::preview(&state, &job).await {
        Ok(summary) => {
            duplicates = duplicate_views(&summary);
            if job.preset.is_some() {
                columns = summary_columns(&summary, &tr);
            }
            (file_views(&summary), String::new(), "preview")
        }
        Err(AppError::Store(e)) => return Err(PageError::new(AppError::Store(e), tr)),
        Err(e) => (Vec::new(), e.to_string(), "failed"),
    };
    let view = ImportJobView {
        tr,
        id,
        file: job.file_name.clone(),
        state: st,
        percent: 0,
        columns,
        files,
        message,
        duplicates,
        recognised: job.preset.map_or(String::new(), |p| {
            tr.t("import.recognised")
                .replace("{crm}", &tr.label("crm", p))
        }),
    };
    render(&view).or_page(tr)
}

pub(super) async fn import_run(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<u64>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let job = state
        .imports
        .get(id)
        .ok_or_else(|| PageError::new(AppError::NotFound(format!("no import {id}")), tr))?;
    crate::ingest::start(state.clone(), job);
    job_view(&state, id, tr)
}

fn job_view(state: &AppState, id: u64, tr: Tr) -> PageResult {
    let job = state
        .imports
        .get(id)
        .ok_or_else(|| PageError::new(AppError::NotFound(format!("no import {id}")), tr))?;
    let outcome = job.outcome.lock().expect("job lock").clone();
    let total = job
        .total_bytes
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(1);
    let done = job.done_bytes.load(std::sync::atomic::Ordering::Relaxed);
    let (st, files, message, duplicates) = match outcome {
        None => ("running", Vec::new(), String::new(), Vec::new()),
        Some(Ok(summary)) => (
            "done",
            file_views(&summary),
            String::new(),
            duplicate_views(&summary),
        ),
        Some(Err(m)) => ("failed", Vec::new(), m, Vec::new()),
    };
    let view = ImportJobView {
        tr,
        id,
        file: job.file_name.clone(),
        state: st,
        percent: ((done as f64 / total as f64) * 100.0).min(100.0) as u32,
        files,
        columns: Vec::new(),
        message,
        duplicates,
        recognised: String::new(),
    };
    render(&view).or_page(tr)
}

pub(super) async fn import_status(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<u64>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    job_view(&state, id, tr)
}
