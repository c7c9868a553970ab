//! The import pipeline, as named steps:
//! discover (which files, which kinds) -> decode (source.rs) -> map (mapping.rs) ->
//! validate (revline_core::parse) -> resolve (emails, duplicates, references) ->
//! write (one transaction per batch).
//!
//! Reading and validating run on their own thread and hand batches to the writer, so
//! parsing and database work overlap on two cores.

use crate::digests::DigestTable;
use crate::mapping::{ColumnPlan, FileMapping, Mapping, MappingError, plan};
use crate::source::{
    CsvSource, Format, NdjsonSource, ObjectSource, RawRow, RowSource, SheetSource, SourceError,
    TextOptions,
};
use crate::summary::{
    DuplicateContacts, FileSummary, ImportSummary, RowError, SkippedFile, UsedColumn,
};
use encoding_rs::Encoding;
use revline_core::normalize::normalize_email;
use revline_core::parse::{ParseOptions, RowText, derive_id, parse_record_noting};
use revline_core::record::derived_id;
use revline_core::{
    DecimalStyle, FieldError, FieldType, Millis, Record, RecordKind, RejectReason, Settings, Value,
};
use revline_core::{FieldWarning, WarningReason};
use revline_store::{Store, StoreError, WriteCounts};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `--map` entries followed by the preset's; empty when neither is given.
    pub mapping: Mapping,
    pub dry_run: bool,
    pub create_missing: bool,
    pub encoding: Option<&'static Encoding>,
    pub decimal_comma: bool,
    /// The kind of a single file whose name does not tell it.
    pub kind: Option<RecordKind>,
    /// Rows per transaction; `None`: what the store handles best (`Store::batch_size`).
    pub batch_size: Option<usize>,
    pub now: Millis,
    /// What the log of import runs names as the source; the path when `None` (a file
    /// sent to the server lives in a temporary folder whose path means nothing).
    pub source: Option<String>,
}

/// Where progress goes (a terminal bar in the CLI, nothing in tests).
pub trait Progress: Send + Sync {
    fn begin(&self, _total_bytes: u64) {}
    fn file(&self, _label: &str) {}
    fn position(&self, _bytes: u64) {}
    fn end(&self) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input cannot be used at all (exit code 2).
    #[error("{0}")]
    Unusable(String),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One (file or sheet, record kind) pair to import.
#[derive(Debug, Clone)]
struct Job {
    path: PathBuf,
    sheet: Option<String>,
    format: Format,
    label: String,
    kind: RecordKind,
    entry: Option<FileMapping>,
    bytes: u64,
    /// The header as discovery read it.
    header: Option<Vec<String>>,
    /// How its text is read when not as the run's options say (a fallback encoding).
    text: Option<TextOptions>,
    /// Objects already in memory (an API batch), read instead of `path`.
    objects: Option<Arc<Vec<JsonObject>>>,
}

/// One record as a JSON object, keys the contract's field names.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// What discovery found: the settings file, the jobs, and files it could not place.
type Discovered = (Option<PathBuf>, Vec<Job>, Vec<SkippedFile>);

/// Step "discover": the files of a folder (or the one file) and what they hold.
fn discover(
    path: &Path,
    options: &ImportOptions,
    text: TextOptions,
) -> Result<Discovered, ImportError> {
    let mut files = Vec::new();
    let mut settings_file = None;
    let single = path.is_file();
    if single {
        files.push(path.to_path_buf());
    } else if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| {
                ImportError::Unusable(format!("{}: cannot list the folder: {e}", path.display()))
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for p in entries {
            if p.file_name().is_some_and(|n| n == "settings.toml") {
                settings_file = Some(p);
            } else {
                files.push(p);
            }
        }
    } else {
        return Err(ImportError::Unusable(format!(
            "{}: no such file or folder",
            path.display()
        )));
    }

    let mut jobs = Vec::new();
    let mut skipped = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let label = if single {
            file.display().to_string()
        } else {
            name.clone()
        };
        let Some(format) = Format::from_path(&file) else {
            skipped.push(SkippedFile {
                file: label,
                reason: "not a CSV, NDJSON or XLSX file".into(),
            });
            continue;
        };
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let stem = crate::source::kind_stem(&file);
        let sheets: Vec<Option<String>> = match format {
            Format::Xlsx => crate::source::sheet_names(&file)
                .map_err(|e| ImportError::Unusable(format!("{label}: {e}")))?
                .into_iter()
                .map(Some)
                .collect(),
            _ => vec![None],
        };
        let sheet_count = sheets.len();
        for sheet in sheets {
            let fallback = fallback_text(&file, format, options, text)?;
            let header = read_header(&file, format, sheet.as_deref(), fallback.unwrap_or(text));
            let job_label = match &sheet {
                Some(s) if sheet_count > 1 => format!("{label}#{s}"),
                _ => label.clone(),
            };
            let entries: Vec<&FileMapping> = options
                .mapping
                .matching(&name, header.as_deref())
                .into_iter()
                .filter(|e| match (&e.sheet, &sheet) {
                    (Some(want), Some(have)) => want.eq_ignore_ascii_case(have),
                    _ => true,
                })
                .collect();
            if !entries.is_empty() {
                for entry in entries {
                    jobs.push(Job {
                        path: file.clone(),
                        sheet: sheet.clone(),
                        format,
                        label: job_label.clone(),
                        kind: entry.kind(),
                        entry: Some(entry.clone()),
                        bytes,
                        header: header.clone(),
                        text: fallback,
                        objects: None,
                    });
                }
                continue;
            }
            let by_name = sheet
                .as_deref()
                .and_then(RecordKind::from_name)
                .or_else(|| RecordKind::from_name(&stem))
                .or(options.kind);
            match by_name {
                Some(kind) => jobs.push(Job { path: file.clone(), sheet, format, label: job_label, kind, entry: None, bytes, header, text: fallback, objects: None }),
                None => skipped.push(SkippedFile {
                    file: job_label,
                    reason: format!(
                        "cannot tell which records it holds: name it after a kind ({}), pass --kind, or map it with --map",
                        RecordKind::ALL.map(|k| k.name()).join(", ")
                    ),
                }),
            }
        }
    }
    jobs.sort_by(|a, b| (a.kind, &a.label).cmp(&(b.kind, &b.label)));
    Ok((settings_file, jobs, skipped))
}

/// The mapping's fallback encoding for a CSV file that is not valid UTF-8, when the
/// run reads UTF-8 by default (no `--encoding`, none in the mapping).
fn fallback_text(
    path: &Path,
    format: Format,
    options: &ImportOptions,
    text: TextOptions,
) -> Result<Option<TextOptions>, ImportError> {
    let Some(label) = &options.mapping.fallback_encoding else {
        return Ok(None);
    };
    if format != Format::Csv || text.encoding != encoding_rs::UTF_8 {
        return Ok(None);
    }
    let valid = crate::source::is_valid_utf8(path)
        .map_err(|e| ImportError::Unusable(format!("{}: {e}", path.display())))?;
    if valid {
        return Ok(None);
    }
    let encoding = Encoding::for_label(label.as_bytes())
        .ok_or_else(|| ImportError::Unusable(format!("unknown encoding '{label}'")))?;
    Ok(Some(TextOptions { encoding, ..text }))
}

/// The built-in preset whose entries recognise this CSV or XLSX file by its header (a
/// CRM export uploaded as it came), if exactly one does.
pub fn recognised_preset(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_string_lossy().to_string();
    let format = Format::from_path(path)?;
    let headers: Vec<Vec<String>> = match format {
        Format::Csv => {
            let mut text = TextOptions::default();
            if !crate::source::is_valid_utf8(path).ok()? {
                text.encoding = encoding_rs::WINDOWS_1252;
            }
            vec![read_header(path, format, None, text)?]
        }
        Format::Xlsx => crate::source::sheet_names(path)
            .ok()?
            .iter()
            .filter_map(|sheet| read_header(path, format, Some(sheet), TextOptions::default()))
            .collect(),
        Format::Ndjson => return None,
    };
    let mut found = crate::presets::PRESETS.iter().filter(|p| {
        crate::presets::preset(p).is_some_and(|m| {
            headers
                .iter()
                .any(|h| !m.matching(&name, Some(h)).is_empty())
        })
    });
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

fn read_header(
    path: &Path,
    format: Format,
    sheet: Option<&str>,
    text: TextOptions,
) -> Option<Vec<String>> {
    let counter = Arc::new(AtomicU64::new(0));
    match format {
        Format::Csv => CsvSource::open(path, text, counter)
            .ok()
            .map(|s| s.header().as_ref().clone()),
        Format::Ndjson => {
            let mut s = NdjsonSource::open(path, counter).ok()?;
            s.next_row()?.ok()?;
            Some(s.header().as_ref().clone())
        }
        Format::Xlsx => SheetSource::open(path, sheet?, counter)
            .ok()
            .map(|s| s.header().as_ref().clone()),
    }
}

fn text_options(options: &ImportOptions) -> Result<TextOptions, ImportError> {
    let encoding = match (options.encoding, &options.mapping.encoding) {
        (Some(e), _) => e,
        (None, Some(label)) => Encoding::for_label(label.as_bytes())
            .ok_or_else(|| ImportError::Unusable(format!("unknown encoding '{label}'")))?,
        (None, None) => encoding_rs::UTF_8,
    };
    let delimiter = match options.mapping.delimiter.as_deref() {
        None => None,
        Some("tab") | Some("\\t") | Some("\t") => Some(b'\t'),
        Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
        Some(d) => {
            return Err(ImportError::Unusable(format!(
                "delimiter must be one character or `tab`, not '{d}'"
            )));
        }
    };
    Ok(TextOptions {
        encoding,
        delimiter,
    })
}

/// Imports a folder or a file into the store and returns the summary.
pub async fn import_path(
    store: &dyn Store,
    path: &Path,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let text = text_options(options)?;
    let (settings_file, jobs, skipped) = discover(path, options, text)?;
    let mut settings = store.settings().await?;
    if let Some(sf) = &settings_file {
        let toml = std::fs::read_to_string(sf)
            .map_err(|e| ImportError::Unusable(format!("{}: {e}", sf.display())))?;
        settings
            .apply_toml(&toml)
            .map_err(|e| ImportError::Unusable(format!("{}: {e}", sf.display())))?;
        if !options.dry_run {
            store.save_settings(&settings).await?;
        }
    }
    if jobs.is_empty() {
        let why = skipped
            .iter()
            .map(|s| format!("{}: {}", s.file, s.reason))
            .collect::<Vec<_>>()
            .join("; ");
        if settings_file.is_some() && skipped.is_empty() {
            return Ok(ImportSummary {
                dry_run: options.dry_run,
                ..Default::default()
            });
        }
        return Err(ImportError::Unusable(format!(
            "{}: nothing to import{}{why}",
            path.display(),
            if why.is_empty() { "" } else { ": " }
        )));
    }

    let source = options
        .source
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    run_jobs(store, &source, jobs, skipped, &settings, options, progress).await
}

/// Imports records already in memory (a batch posted to the API) as one file of
/// `kind` named `name` would be: the same steps, checks and summary, no file.
pub async fn import_objects(
    store: &dyn Store,
    kind: RecordKind,
    name: &str,
    objects: Arc<Vec<JsonObject>>,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let settings = store.settings().await?;
    let job = Job {
        path: PathBuf::from(name),
        sheet: None,
        format: Format::Ndjson,
        label: name.to_string(),
        kind,
        entry: None,
        bytes: objects.len() as u64,
        header: None,
        text: None,
        objects: Some(objects),
    };
    let source = options.source.clone().unwrap_or_else(|| name.to_string());
    run_jobs(
        store,
        &source,
        vec![job],
        Vec::new(),
        &settings,
        options,
        progress,
    )
    .await
}

/// Step "run": every job in turn under one import run, then the duplicates and the
/// run's record.
async fn run_jobs(
    store: &dyn Store,
    source: &str,
    jobs: Vec<Job>,
    skipped: Vec<SkippedFile>,
    settings: &revline_core::Settings,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let text = text_options(options)?;
    // The run ends as long after `now` as it took (`now` may be pinned, as in tests).
    let started = std::time::Instant::now();
    let run = store
        .start_import_run(source, options.dry_run, options.now)
        .await?;
    let total: u64 = jobs.iter().map(|j| j.bytes).sum();
    progress.begin(total);
    let mut summary = ImportSummary {
        skipped,
        dry_run: options.dry_run,
        ..Default::default()
    };
    let mut run_state = RunState::default();
    let mut done_bytes = 0;
    let mut outcome = Ok(());
    for job in &jobs {
        progress.file(&job.label);
        match import_job(
            store,
            job,
            options,
            text,
            settings,
            &mut run_state,
            &mut summary,
            progress,
            done_bytes,
        )
        .await
        {
            Ok(file) => summary.files.push(file),
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
        done_bytes += job.bytes;
    }
    progress.end();
    if outcome.is_ok() && jobs.iter().any(|j| j.kind == RecordKind::Contacts) {
        summary.duplicate_emails = if options.dry_run {
            previewed_duplicates(store, &run_state.email_ids).await?
        } else {
            store
                .duplicate_emails()
                .await?
                .into_iter()
                .map(|d| DuplicateContacts {
                    email: d.email,
                    contact_ids: d.contact_ids,
                })
                .collect()
        };
    }
    let landed: u64 = summary
        .files
        .iter()
        .map(|f| f.inserted + f.updated + f.unchanged)
        .sum();
    // A run that landed rows and refused others is partial, not rejected.
    let status = match (&outcome, summary.exit_code()) {
        (Err(_), _) => "failed",
        (Ok(()), 0) => "ok",
        (Ok(()), _) if landed > 0 => "partial",
        (Ok(()), _) => "rejected",
    };
    store
        .finish_import_run(
            run,
            status,
            &summary.to_json(),
            options.now + started.elapsed().as_millis() as i64,
        )
        .await?;
    outcome.map(|()| summary)
}

/// What an import remembers across files: ids accepted in this run (a dry run writes
/// nothing, so later files must still see them) and counts of created records.
#[derive(Default)]
struct RunState {
    /// Digests of account, contact and deal ids known to exist (stored, or written or
    /// accepted in this run), so that references are looked up once per id.
    known: HashMap<RecordKind, DigestSet>,
    /// Emails of contacts accepted by a dry run.
    emails: HashMap<String, String>,
    /// Every contact id per email accepted by a dry run (its duplicates preview).
    email_ids: HashMap<String, Vec<String>>,
    /// Kinds whose stored ids were all read into `known`.
    preloaded: HashSet<RecordKind>,
}

/// A set of id digests. They are hashes already, so they are their own hash: SipHash
/// over 10M lookups per file was a measurable part of an import.
type DigestSet = HashSet<u64, std::hash::BuildHasherDefault<DigestHasher>>;

#[derive(Default)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn id_digest(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

/// What one job remembers from batch to batch.
struct JobState {
    /// The kind held no records when the job began: rows are inserted without
    /// comparing, and the store refuses repeated ids.
    fresh: bool,
    /// Digests of ids seen in this file, with how often (numbering identical events).
    seen: HashMap<u64, u32>,
    /// Written batches, back to the reader thread to be freed.
    spent: std::sync::mpsc::Sender<Vec<Record>>,
}

/// Referenced kinds up to this size are read into memory once (as id digests) instead
/// of being looked up batch by batch.
const PRELOAD_LIMIT: u64 = 5_000_000;

/// Files smaller than this look their references up batch by batch instead.
const PRELOAD_MIN_BYTES: u64 = 1 << 20;

/// Learns every stored id of the kinds this job refers to, so that reference checks
/// need the store only for ids it has not seen (about 8 bytes per id).
async fn preload_known(
    store: &dyn Store,
    kind: RecordKind,
    run: &mut RunState,
) -> Result<(), StoreError> {
    for target in kind.fields().iter().filter_map(|f| f.refers) {
        if !run.preloaded.insert(target) || store.count(target).await? > PRELOAD_LIMIT {
            continue;
        }
        let known = run.known.entry(target).or_default();
        // Streamed as borrowed rows: a page of owned strings per 50,000 ids cost about
        // a second per million ids before the first row of the file was read.
        store
            .scan_columns(target, &[], &mut |row| {
                known.insert(id_digest(row.id));
            })
            .await?;
    }
    Ok(())
}

/// One row after validation.
struct Prepared {
    line: u64,
    outcome: Result<Record, Vec<RowError>>,
    /// contact_id holds an email to resolve (touchpoints given by email).
    email_ref: bool,
    /// The row carried its own id (else it was derived from its content).
    id_given: bool,
    /// `content_hash` of the record.
    hash: i64,
    /// Every record it refers to was known to exist when the job began.
    refs_known: bool,
    /// What the contract changed in a row that lands.
    warnings: Vec<RowError>,
    /// The row is not for this mapping entry (see `FileMapping::only`).
    not_for_entry: bool,
}

impl Prepared {
    fn rejected(line: u64, errors: Vec<RowError>) -> Prepared {
        Prepared {
            line,
            outcome: Err(errors),
            email_ref: false,
            id_given: false,
            hash: 0,
            refs_known: false,
            warnings: Vec::new(),
            not_for_entry: false,
        }
    }
}

enum Message {
    Batch(Vec<Prepared>),
    /// The header lacks required columns: the file is rejected whole.
    MissingColumns {
        columns: Vec<String>,
        rows: u64,
    },
    Stopped(SourceError),
}

fn label_for(plan: &ColumnPlan, column: &str) -> String {
    match plan.kind.fields().iter().position(|f| f.name == column) {
        Some(i) if plan.field_labels[i] != column => format!("{} ({column})", plan.field_labels[i]),
        _ => column.to_string(),
    }
}

fn row_error(line: u64, column: Option<String>, reason: &RejectReason) -> RowError {
    RowError {
        line,
        column,
        reason: reason.to_string(),
        code: reason.code().to_string(),
    }
}

fn prepare(
    raw: &mut RawRow,
    plan: &ColumnPlan,
    settings: &Settings,
    parse: &ParseOptions,
) -> Prepared {
    let kind = plan.kind;
    if let Some((column, reason)) = raw.problem.take() {
        return Prepared::rejected(raw.line, vec![row_error(raw.line, column, &reason)]);
    }
    if !plan.wants(&raw.fields) {
        return Prepared {
            not_for_entry: true,
            ..Prepared::rejected(raw.line, Vec::new())
        };
    }
    let mut fields: Vec<_> = (0..kind.fields().len())
        .map(|i| plan.field_text(i, &raw.fields))
        .collect();
    let nonempty =
        |v: &Option<std::borrow::Cow<'_, str>>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let id_given = kind
        .id_field()
        .and_then(|id| kind.fields().iter().position(|f| f.name == id))
        .is_some_and(|i| nonempty(&fields[i]));
    let mut email_ref = false;
    if let Some(col) = plan.email {
        let contact = kind
            .fields()
            .iter()
            .position(|f| f.name == "contact_id")
            .expect("touchpoints have contact_id");
        if !nonempty(&fields[contact]) {
            let text = raw.fields.get(col).map(String::as_str).unwrap_or("");
            if !text.trim().is_empty() {
                match normalize_email(text) {
                    Some(email) => {
                        fields[contact] = Some(std::borrow::Cow::Owned(email));
                        email_ref = true;
                    }
                    None => {
                        let reason = RejectReason::BadEmail(text.to_string());
                        return Prepared::rejected(
                            raw.line,
                            vec![row_error(raw.line, Some("email".into()), &reason)],
                        );
                    }
                }
            }
        }
    }
    let mut props: BTreeMap<String, String> = plan
        .props
        .iter()
        .filter_map(|(name, i)| {
            raw.fields
                .get(*i)
                .filter(|v| !v.is_empty())
                .map(|v| (name.clone(), v.clone()))
        })
        .collect();
    let mut noted = Vec::new();
    // A CRM association list (`1;2;3`): the first id is the primary one; the whole
    // list stays on the record.
    for cell in plan.list_cells(&raw.fields) {
        noted.push(FieldWarning {
            column: kind.fields()[cell.field].name.to_string(),
            reason: WarningReason::FirstOfSeveral {
                count: cell.count,
                kept_as: cell.column.clone(),
            },
        });
        props.insert(cell.column, cell.text);
    }
    let outcome = parse_record_noting(kind, RowText { fields, props }, settings, parse, &mut noted)
        .map_err(|errors| {
            errors
                .iter()
                .map(|FieldError { column, reason }| {
                    row_error(raw.line, Some(label_for(plan, column)), reason)
                })
                .collect()
        });
    let warnings = noted
        .into_iter()
        .map(|w| RowError {
            line: raw.line,
            column: Some(label_for(plan, &w.column)),
            reason: w.reason.to_string(),
            code: w.reason.code().to_string(),
        })
        .collect();
    // Hashed here, while the row is in this thread's cache: a row given by email
    // changes on the writing side and is hashed again there.
    let hash = outcome.as_ref().map_or(0, Record::content_hash);
    Prepared {
        line: raw.line,
        outcome,
        email_ref,
        id_given,
        hash,
        refs_known: false,
        warnings,
        not_for_entry: false,
    }
}

fn open_source(
    job: &Job,
    text: TextOptions,
    counter: Arc<AtomicU64>,
) -> Result<Box<dyn RowSource>, SourceError> {
    if let Some(objects) = &job.objects {
        return Ok(Box::new(ObjectSource::new(objects.clone())));
    }
    Ok(match job.format {
        Format::Csv => Box::new(CsvSource::open(&job.path, text, counter)?),
        Format::Ndjson => Box::new(NdjsonSource::open(&job.path, counter)?),
        Format::Xlsx => Box::new(SheetSource::open(
            &job.path,
            job.sheet.as_deref().unwrap_or_default(),
            counter,
        )?),
    })
}

/// The plan for the current header (NDJSON headers change from row to row).
type CurrentPlan = (
    Arc<Vec<String>>,
    Result<ColumnPlan, Vec<String>>,
    ParseOptions,
);

/// The reading and validating side of one job, run on its own thread.
/// What the reading thread of one job needs.
struct Reader {
    job: Job,
    text: TextOptions,
    settings: Settings,
    decimal: DecimalStyle,
    batch_size: usize,
    counter: Arc<AtomicU64>,
    /// Per referring column, the digests of the ids known to exist when the job began.
    known: Vec<(usize, Arc<DigestTable>)>,
}

/// Marks the rows of a batch whose references were all known when the job began, in
/// two passes per referring column: digests and prefetches first, comparisons after
/// (see `DigestTable`).
fn vouch(batch: &mut [Prepared], known: &[(usize, Arc<DigestTable>)]) {
    for p in batch.iter_mut() {
        p.refs_known = p.outcome.is_ok() && !p.email_ref;
    }
    let mut digests: Vec<Option<u64>> = Vec::with_capacity(batch.len());
    for (column, table) in known {
        digests.clear();
        digests.extend(batch.iter().map(|p| match &p.outcome {
            Ok(r) if p.refs_known => r.values[*column].as_text().map(id_digest),
            _ => None,
        }));
        for d in digests.iter().flatten() {
            table.prefetch(*d);
        }
        for (p, d) in batch.iter_mut().zip(&digests) {
            if let Some(d) = d {
                p.refs_known &= table.contains(*d);
            }
        }
    }
}

fn produce(
    reader: Reader,
    tx: tokio::sync::mpsc::Sender<Message>,
    freed: &std::sync::mpsc::Receiver<Vec<Record>>,
) {
    let Reader {
        job,
        text,
        settings,
        decimal,
        batch_size,
        counter,
        known,
    } = reader;
    let mut source = match open_source(&job, text, counter) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.blocking_send(Message::Stopped(e));
            return;
        }
    };
    let mut current: Option<CurrentPlan> = None;
    let mut batch = Vec::with_capacity(batch_size);
    let per_row_header = job.format == Format::Ndjson;
    let mut missing_rows = 0u64;
    let mut missing_columns = None;
    // One row read into again and again: the CSV source reuses its cells' strings.
    let mut raw = RawRow::empty();
    while let Some(next) = source.read_row(&mut raw) {
        match next {
            Ok(()) => {}
            Err(e) => {
                if !batch.is_empty() {
                    vouch(&mut batch, &known);
                    let _ = tx.blocking_send(Message::Batch(std::mem::take(&mut batch)));
                }
                let _ = tx.blocking_send(Message::Stopped(e));
                return;
            }
        };
        let header = source.header();
        if current
            .as_ref()
            .is_none_or(|(h, _, _)| !Arc::ptr_eq(h, header))
        {
            let p = plan(job.kind, header, job.entry.as_ref());
            let parse = ParseOptions {
                decimal,
                date_formats: p
                    .as_ref()
                    .map(|p| p.date_formats.clone())
                    .unwrap_or_default(),
            };
            current = Some((header.clone(), p, parse));
        }
        let (_, p, parse) = current.as_ref().expect("set above");
        match p {
            Ok(p) => batch.push(prepare(&mut raw, p, &settings, parse)),
            Err(columns) if per_row_header => {
                let errors = columns
                    .iter()
                    .map(|c| row_error(raw.line, Some(c.clone()), &RejectReason::MissingValue))
                    .collect();
                batch.push(Prepared::rejected(raw.line, errors));
            }
            Err(columns) => {
                missing_rows += 1;
                missing_columns = Some(columns.clone());
                continue;
            }
        }
        if batch.len() >= batch_size {
            vouch(&mut batch, &known);
            if tx
                .blocking_send(Message::Batch(std::mem::take(&mut batch)))
                .is_err()
            {
                return;
            }
            while let Ok(written) = freed.try_recv() {
                drop(written);
            }
        }
    }
    if !batch.is_empty() {
        vouch(&mut batch, &known);
        let _ = tx.blocking_send(Message::Batch(batch));
    }
    // A header without rows: its columns are checked all the same.
    if missing_columns.is_none()
        && current.is_none()
        && !per_row_header
        && let Err(columns) = plan(job.kind, source.header(), job.entry.as_ref())
    {
        missing_columns = Some(columns);
    }
    if let Some(columns) = missing_columns {
        let _ = tx.blocking_send(Message::MissingColumns {
            columns,
            rows: missing_rows,
        });
    }
}

#[allow(clippy::too_many_arguments)]
async fn import_job(
    store: &dyn Store,
    job: &Job,
    options: &ImportOptions,
    text: TextOptions,
    settings: &Settings,
    run: &mut RunState,
    summary: &mut ImportSummary,
    progress: &dyn Progress,
    done_bytes: u64,
) -> Result<FileSummary, ImportError> {
    let text = job.text.unwrap_or(text);
    let mut file = FileSummary {
        file: job.label.clone(),
        kind: job.kind.name().to_string(),
        encoding: job.text.map(|t| {
            format!(
                "{}: the file is not valid UTF-8, so it was read in the encoding its export uses",
                t.encoding.name()
            )
        }),
        ..Default::default()
    };
    if let Some(Ok(p)) = job
        .header
        .as_ref()
        .map(|h| plan(job.kind, h, job.entry.as_ref()))
    {
        file.columns = p
            .used_columns()
            .into_iter()
            .map(|(field, column)| UsedColumn { field, column })
            .collect();
        file.properties = p.props.iter().map(|(name, _)| name.clone()).collect();
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let (spent, freed) = std::sync::mpsc::channel::<Vec<Record>>();
    let counter = Arc::new(AtomicU64::new(0));
    let decimal = if options.decimal_comma || options.mapping.decimal_comma == Some(true) {
        DecimalStyle::Comma
    } else {
        DecimalStyle::Point
    };
    // A small file (an API batch, a track call) asks the store about the few ids it
    // names; reading every id of a million contacts first took the better part of a
    // second per request.
    if job.bytes >= PRELOAD_MIN_BYTES {
        preload_known(store, job.kind, run).await?;
    }
    // What is known now stays known: the reader checks references against a copy, and
    // this side looks up only the rows it could not vouch for.
    let known = job
        .kind
        .fields()
        .iter()
        .filter_map(|f| {
            let target = f.refers?;
            let column = job.kind.column_index(f.name)?;
            let ids = run.known.get(&target);
            let digests = ids.into_iter().flatten().copied();
            Some((
                column,
                Arc::new(DigestTable::new(digests.collect::<Vec<_>>().into_iter())),
            ))
        })
        .collect();
    let producer = {
        let reader = Reader {
            job: job.clone(),
            text,
            settings: settings.clone(),
            decimal,
            batch_size: options
                .batch_size
                .unwrap_or_else(|| store.batch_size())
                .max(1),
            counter: counter.clone(),
            known,
        };
        std::thread::Builder::new()
            .name("revline-read".into())
            .spawn(move || produce(reader, tx, &freed))
            .map_err(|e| ImportError::Unusable(format!("cannot start a reader thread: {e}")))?
    };
    let mut state = JobState {
        fresh: !options.dry_run && store.is_empty(job.kind).await?,
        seen: HashMap::new(),
        spent,
    };
    let mut result = Ok(());
    while let Some(message) = rx.recv().await {
        match message {
            Message::Batch(batch) => {
                if let Err(e) = write_prepared(
                    store, job.kind, batch, options, run, &mut state, &mut file, summary,
                )
                .await
                {
                    result = Err(e);
                    break;
                }
                progress.position(done_bytes + counter.load(Ordering::Relaxed).min(job.bytes));
            }
            Message::MissingColumns { columns, rows } => {
                for c in &columns {
                    file.push_error(RowError {
                        line: 1,
                        column: Some(c.clone()),
                        reason: format!(
                            "missing required column '{c}': the file is rejected whole"
                        ),
                        code: "missing_column".into(),
                    });
                }
                file.read += rows;
                file.rejected += rows;
                if rows == 0 {
                    file.stopped = Some(format!(
                        "missing required column(s): {}",
                        columns.join(", ")
                    ));
                }
            }
            Message::Stopped(e) => {
                if e.line() > 0 {
                    file.push_error(RowError {
                        line: e.line(),
                        column: None,
                        reason: e.to_string(),
                        code: match e {
                            SourceError::BadEncoding { .. } => "bad_encoding".into(),
                            _ => "malformed".into(),
                        },
                    });
                }
                file.stopped = Some(match &e {
                    SourceError::Empty | SourceError::NoObjects => e.to_string(),
                    other if other.line() > 0 => {
                        format!("{other}; rows from line {} on were not read", other.line())
                    }
                    other => other.to_string(),
                });
            }
        }
    }
    drop(rx);
    let _ = producer.join();
    result.map(|()| file)
}

/// Steps "resolve" and "write" for one batch. The rows stay where they are in one
/// vector, with `keep` marking the ones still to write: on 10M-row files moving and
/// re-collecting records cost as much as SQLite's own insert.
#[allow(clippy::too_many_arguments)]
async fn write_prepared(
    store: &dyn Store,
    kind: RecordKind,
    batch: Vec<Prepared>,
    options: &ImportOptions,
    run: &mut RunState,
    state: &mut JobState,
    file: &mut FileSummary,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    file.read += batch.len() as u64;
    let n = batch.len();
    let (mut lines, mut records) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut email_ref, mut id_given) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut hashes, mut vouched) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for p in batch {
        if p.not_for_entry {
            file.read -= 1;
            file.not_for_entry += 1;
            continue;
        }
        for w in p.warnings {
            file.push_warning(w);
        }
        match p.outcome {
            Ok(r) => {
                lines.push(p.line);
                records.push(r);
                hashes.push(p.hash);
                vouched.push(p.refs_known);
                email_ref.push(p.email_ref);
                id_given.push(p.id_given);
            }
            Err(errors) => {
                file.rejected += 1;
                for e in errors {
                    file.push_error(e);
                }
            }
        }
    }
    let mut keep = vec![true; records.len()];
    let mut stubs: HashMap<RecordKind, HashMap<String, Record>> = HashMap::new();

    // Touchpoints given by email: find their contacts.
    if email_ref.contains(&true) {
        let emails: Vec<String> = records
            .iter()
            .zip(&email_ref)
            .filter(|(_, e)| **e)
            .filter_map(|(r, _)| r.text("contact_id").map(str::to_string))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut found = store.contact_ids_by_email(&emails).await?;
        for e in &emails {
            if let Some(id) = run.emails.get(e) {
                found.entry(e.clone()).or_insert_with(|| id.clone());
            }
        }
        for i in (0..records.len()).filter(|&i| email_ref[i]) {
            let record = &mut records[i];
            let email = record.text("contact_id").unwrap_or_default().to_string();
            let contact = match found.get(&email) {
                Some(id) => id.clone(),
                None if options.create_missing => {
                    let id = derived_id(RecordKind::Contacts, &[&Value::Text(email.clone())]);
                    let stub = stub_record(RecordKind::Contacts, &id, record, Some(&email));
                    stubs
                        .entry(RecordKind::Contacts)
                        .or_default()
                        .entry(id.clone())
                        .or_insert(stub);
                    id
                }
                None => {
                    let reason = RejectReason::UnknownReference {
                        kind: RecordKind::Contacts,
                        id: email,
                    };
                    file.reject(row_error(lines[i], Some("email".into()), &reason));
                    keep[i] = false;
                    continue;
                }
            };
            record.set("contact_id", Value::Text(contact));
            if !id_given[i] {
                record.id = derive_id(record);
            }
            hashes[i] = record.content_hash();
        }
    }

    // Duplicates within the file; identical events without ids are numbered instead.
    // Into a kind that was empty when the job began, the store itself refuses repeated
    // ids (see `write`), so only derived content ids need remembering here.
    let content_ids = kind.natural_key().is_none();
    for i in 0..records.len() {
        let derived_from_content = content_ids && !id_given[i];
        if !keep[i] || (state.fresh && !derived_from_content) {
            continue;
        }
        let record = &mut records[i];
        let count = state.seen.entry(id_digest(&record.id)).or_insert(0);
        *count += 1;
        if *count > 1 {
            if derived_from_content {
                let mut identifying: Vec<&Value> = record.values.iter().collect();
                let occurrence = Value::Int(i64::from(*count - 1));
                identifying.push(&occurrence);
                record.id = derived_id(kind, &identifying);
            } else {
                file.reject(row_error(
                    lines[i],
                    kind.id_field().map(str::to_string),
                    &RejectReason::DuplicateId {
                        id: record.id.clone(),
                    },
                ));
                keep[i] = false;
            }
        }
    }

    // References to records that must exist.
    for field in kind.fields().iter().filter(|f| f.refers.is_some()) {
        let target = field.refers.expect("filtered");
        let column = kind.column_index(field.name).expect("a column of its kind");
        let known = run.known.entry(target).or_default();
        let mut to_ask: Vec<&str> = records
            .iter()
            .zip(keep.iter().zip(&vouched))
            .filter(|(_, (k, v))| **k && !**v)
            .filter_map(|(r, _)| r.values[column].as_text())
            .filter(|id| !known.contains(&id_digest(id)))
            .collect();
        if to_ask.is_empty() {
            continue;
        }
        to_ask.sort_unstable();
        to_ask.dedup();
        let to_ask: Vec<String> = to_ask.into_iter().map(str::to_string).collect();
        let found = store.existing_ids(target, &to_ask).await?;
        known.extend(found.iter().map(|id| id_digest(id)));
        let unknown: HashSet<String> = to_ask
            .into_iter()
            .filter(|id| !found.contains(id))
            .collect();
        if unknown.is_empty() {
            continue;
        }
        for i in 0..records.len() {
            let Some(id) = records[i].values[column].as_text() else {
                continue;
            };
            if !keep[i] || !unknown.contains(id) {
                continue;
            }
            if options.create_missing {
                let stub = stub_record(target, id, &records[i], None);
                stubs
                    .entry(target)
                    .or_default()
                    .entry(id.to_string())
                    .or_insert(stub);
            } else if optional_link(&records[i], field) {
                // An optional association (a deal's buyer, a contact's company): a CRM
                // export imported before the records it names lands whole, the
                // association kept to be linked by a later import.
                let id = id.to_string();
                let kept_as = format!("unresolved {}", field.name);
                let record = &mut records[i];
                record.values[column] = Value::Null;
                record.props.insert(kept_as.clone(), id.clone());
                hashes[i] = record.content_hash();
                file.push_warning(RowError {
                    line: lines[i],
                    column: Some(field.name.to_string()),
                    reason: format!(
                        "no {} with id '{id}' is stored or in this import: the row lands without it (kept in property '{kept_as}'); import the {}, then this file again, to link it",
                        target.name().trim_end_matches('s'),
                        target.name(),
                    ),
                    code: "unresolved_reference".into(),
                });
            } else {
                let reason = RejectReason::UnknownReference {
                    kind: target,
                    id: id.to_string(),
                };
                file.reject(row_error(lines[i], Some(field.name.to_string()), &reason));
                keep[i] = false;
            }
        }
    }
    if keep.contains(&false) {
        let mut at = 0;
        records.retain(|_| {
            at += 1;
            keep[at - 1]
        });
        let mut at = 0;
        lines.retain(|_| {
            at += 1;
            keep[at - 1]
        });
        let mut at = 0;
        hashes.retain(|_| {
            at += 1;
            keep[at - 1]
        });
    }
    if kind == RecordKind::Deals {
        warn_deals_before_contacts(store, &records, &lines, file).await?;
    }

    for target in RecordKind::ALL {
        let Some(made) = stubs.remove(&target) else {
            continue;
        };
        let mut made: Vec<Record> = made.into_values().collect();
        made.sort_by(|a, b| a.id.cmp(&b.id));
        let counts = write(store, target, &made, options.dry_run).await?;
        *summary
            .created_missing
            .entry(target.name().to_string())
            .or_default() += counts.inserted;
        remember(run, target, &made, options.dry_run);
    }
    let counts = if state.fresh {
        let skipped = store.insert_new_hashed(kind, &records, &hashes).await?;
        for &i in &skipped {
            let reason = RejectReason::DuplicateId {
                id: records[i].id.clone(),
            };
            file.reject(row_error(
                lines[i],
                kind.id_field().map(str::to_string),
                &reason,
            ));
        }
        WriteCounts {
            inserted: (records.len() - skipped.len()) as u64,
            ..Default::default()
        }
    } else {
        write(store, kind, &records, options.dry_run).await?
    };
    remember(run, kind, &records, options.dry_run);
    file.inserted += counts.inserted;
    file.updated += counts.updated;
    file.unchanged += counts.unchanged;
    // Freed by the reader thread that allocated them, which is cheaper there and takes
    // the work off this one, the writer of the pipeline.
    if let Err(back) = state.spent.send(records) {
        drop(back.0);
    }
    Ok(())
}

/// Deals created or closed before their contact was created land as given, with a
/// warning: usually a time-zone shift or a back-dated CRM entry worth a look.
async fn warn_deals_before_contacts(
    store: &dyn Store,
    records: &[Record],
    lines: &[u64],
    file: &mut FileSummary,
) -> Result<(), StoreError> {
    let ids: Vec<String> = records
        .iter()
        .filter_map(|r| r.text("contact_id").map(str::to_string))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let created = store.contact_created_at(&ids).await?;
    for (record, line) in records.iter().zip(lines) {
        let Some(contact_created) = record.text("contact_id").and_then(|c| created.get(c)) else {
            continue;
        };
        for column in ["created_at", "closed_at"] {
            if let Some(t) = record.int(column).filter(|t| t < contact_created) {
                let verb = if column == "closed_at" {
                    "closed"
                } else {
                    "created"
                };
                file.push_warning(RowError {
                    line: *line,
                    column: Some(column.to_string()),
                    reason: format!(
                        "deal {} was {verb} at {} before its contact was created ({})",
                        record.id,
                        revline_core::time::format_timestamp(t),
                        revline_core::time::format_timestamp(*contact_created)
                    ),
                    code: format!("{verb}_before_contact"),
                });
                break;
            }
        }
    }
    Ok(())
}

async fn write(
    store: &dyn Store,
    kind: RecordKind,
    records: &[Record],
    dry_run: bool,
) -> Result<WriteCounts, StoreError> {
    if dry_run {
        let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        let stored = store.stored_hashes(kind, &ids).await?;
        Ok(revline_store::classify(records, &stored).1)
    } else {
        store.write_batch(kind, records).await
    }
}

/// Whether a record may land without this reference: the field is optional, and a
/// record that must name one of several (revenue: a contact or an account) still names
/// another.
fn optional_link(record: &Record, field: &revline_core::Field) -> bool {
    if field.required {
        return false;
    }
    let one_of = record.kind.one_of();
    !one_of.contains(&field.name)
        || one_of
            .iter()
            .any(|other| *other != field.name && !record.get(other).is_null())
}

/// The duplicates a dry run would make: contacts of the files that share an email with
/// each other or with a stored contact of another id.
async fn previewed_duplicates(
    store: &dyn Store,
    email_ids: &HashMap<String, Vec<String>>,
) -> Result<Vec<DuplicateContacts>, ImportError> {
    let emails: Vec<String> = email_ids.keys().cloned().collect();
    let mut stored = HashMap::new();
    for chunk in emails.chunks(5_000) {
        stored.extend(store.contact_ids_by_email(chunk).await?);
    }
    let mut out: Vec<DuplicateContacts> = email_ids
        .iter()
        .filter_map(|(email, ids)| {
            let mut all = ids.clone();
            if let Some(s) = stored.get(email)
                && !all.contains(s)
            {
                all.push(s.clone());
            }
            all.sort();
            (all.len() > 1).then(|| DuplicateContacts {
                email: email.clone(),
                contact_ids: all,
            })
        })
        .collect();
    out.sort_by(|a, b| a.email.cmp(&b.email));
    Ok(out)
}

/// Later rows and files need not look up this run's records again; in a dry run,
/// which stores nothing, they could not.
fn remember(run: &mut RunState, kind: RecordKind, records: &[Record], dry_run: bool) {
    if !matches!(
        kind,
        RecordKind::Accounts | RecordKind::Contacts | RecordKind::Deals
    ) {
        return;
    }
    let set = run.known.entry(kind).or_default();
    for r in records {
        set.insert(id_digest(&r.id));
        if dry_run
            && kind == RecordKind::Contacts
            && let Some(e) = r.text("email")
        {
            run.emails
                .entry(e.to_string())
                .or_insert_with(|| r.id.clone());
            let ids = run.email_ids.entry(e.to_string()).or_default();
            if !ids.contains(&r.id) {
                ids.push(r.id.clone());
            }
        }
    }
}

/// A placeholder for a record that a row points at but nobody imported
/// (`--create-missing`): its id, and the referring row's time as its creation time.
fn stub_record(kind: RecordKind, id: &str, referrer: &Record, email: Option<&str>) -> Record {
    let time = referrer
        .kind
        .columns()
        .zip(&referrer.values)
        .find(|(f, v)| f.ty == FieldType::Timestamp && !v.is_null())
        .and_then(|(_, v)| v.as_int());
    let mut stub = Record {
        kind,
        id: id.to_string(),
        values: vec![Value::Null; kind.columns().count()],
        props: [(
            "created_by".to_string(),
            "revline import --create-missing".to_string(),
        )]
        .into(),
    };
    match kind {
        RecordKind::Contacts => {
            stub.set("created_at", time.map_or(Value::Null, Value::Int));
            if let Some(e) = email {
                stub.set("email", Value::Text(e.to_string()));
            }
        }
        RecordKind::Deals => {
            stub.set("created_at", time.map_or(Value::Null, Value::Int));
            stub.set("status", Value::Text("open".into()));
        }
        _ => {}
    }
    stub
}
