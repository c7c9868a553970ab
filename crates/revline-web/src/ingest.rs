//! Records that arrive over HTTP: batches at `/api/v1/{kind}`, Segment-style
//! `track` / `identify` / `group`, and file uploads from the import page. All of them go
//! through the importer (`revline import`'s validation and summary), then into the
//! live snapshot.

use crate::auth::{Caller, Role, require};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use revline_core::{Record, RecordKind};
use revline_ingest::import::{ImportOptions, NoProgress, Progress, import_path};
use revline_ingest::summary::ImportSummary;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The kinds a batch endpoint takes (interface.md).
pub const BATCH_KINDS: [RecordKind; 10] = [
    RecordKind::Accounts,
    RecordKind::Contacts,
    RecordKind::Touchpoints,
    RecordKind::Stages,
    RecordKind::Deals,
    RecordKind::DealStages,
    RecordKind::Revenue,
    RecordKind::Spend,
    RecordKind::Tickets,
    RecordKind::Targets,
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/track", post(track))
        .route("/api/v1/identify", post(identify))
        .route("/api/v1/group", post(group))
        .route(
            "/api/v1/{kind}",
            post(batch).get(|| async { AppError::NotFound("no such route".into()) }),
        )
}

/// Rows of a JSON array, of NDJSON, or one JSON object.
fn json_rows(body: &[u8]) -> Result<Vec<Map<String, Value>>, AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| AppError::bad(format!("the body is not UTF-8 text: {e}")))?;
    let trimmed = text.trim_start();
    let values: Vec<Value> = if trimmed.starts_with('[') {
        serde_json::from_str(trimmed).map_err(|e| AppError::bad(format!("JSON array: {e}")))?
    } else {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            out.push(
                serde_json::from_str(line)
                    .map_err(|e| AppError::bad(format!("line {}: {e}", i + 1)))?,
            );
        }
        out
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(m) => Ok(m),
            _ => Err(AppError::bad(format!("row {}: not a JSON object", i + 1))),
        })
        .collect()
}

/// Imports rows of one kind straight from memory, as a file of them would be.
async fn import_rows(
    state: &AppState,
    kind: RecordKind,
    rows: &Arc<Vec<Map<String, Value>>>,
) -> Result<ImportSummary, AppError> {
    let options = ImportOptions {
        kind: Some(kind),
        now: state.clock.now(),
        source: Some(format!("{}.ndjson (API)", kind.name())),
        ..Default::default()
    };
    let name = format!("{}.ndjson", kind.name());
    let summary = revline_ingest::import_objects(
        &*state.store,
        kind,
        &name,
        rows.clone(),
        &options,
        &NoProgress,
    )
    .await;
    summary.map_err(|e| match e {
        revline_ingest::ImportError::Store(s) => AppError::Store(s),
        other => AppError::Unprocessable(other.to_string()),
    })
}

/// How an arriving file is read: its kind, or the preset that recognised it.
struct Upload {
    kind: Option<RecordKind>,
    preset: Option<&'static str>,
}

fn preset_mapping(preset: Option<&str>) -> revline_ingest::Mapping {
    preset
        .and_then(revline_ingest::presets::preset)
        .unwrap_or_default()
}

/// `source` says how the file came, for the log of import runs: `API`, `upload`.
async fn import_file(
    state: &AppState,
    path: &std::path::Path,
    upload: Upload,
    source: &str,
    progress: &dyn Progress,
) -> Result<ImportSummary, AppError> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string());
    let options = ImportOptions {
        kind: upload.kind,
        mapping: preset_mapping(upload.preset),
        now: state.clock.now(),
        source: name.map(|n| format!("{n} ({source})")),
        ..Default::default()
    };
    let summary = import_path(&*state.store, path, &options, progress).await;
    in_words_of_the_request(summary, path)
}

/// Files that arrive in a request or an upload are imported from a temporary folder,
/// whose path means nothing to the sender: summaries and errors name the file alone.
fn in_words_of_the_request(
    outcome: Result<ImportSummary, revline_ingest::import::ImportError>,
    path: &std::path::Path,
) -> Result<ImportSummary, AppError> {
    let folder = path.parent().unwrap_or(path);
    let strip = |label: &str| -> String {
        let prefix = format!("{}{}", folder.display(), std::path::MAIN_SEPARATOR);
        label.replace(&prefix, "")
    };
    match outcome {
        Ok(mut summary) => {
            for f in &mut summary.files {
                f.file = strip(&f.file);
            }
            for f in &mut summary.skipped {
                f.file = strip(&f.file);
            }
            Ok(summary)
        }
        Err(revline_ingest::import::ImportError::Store(s)) => Err(AppError::Store(s)),
        Err(other) => Err(AppError::Unprocessable(strip(&other.to_string()))),
    }
}

/// `3 touchpoints, 1 contacts` for what the summary says landed.
fn what_landed(summary: &ImportSummary) -> String {
    let parts: Vec<String> = summary
        .files
        .iter()
        .filter(|f| f.inserted + f.updated > 0)
        .map(|f| format!("{} {}", f.inserted + f.updated, f.kind))
        .collect();
    if parts.is_empty() {
        "nothing new".into()
    } else {
        parts.join(", ")
    }
}

/// Tells the snapshot about rows just imported: by id where every row had one.
async fn take_in(
    state: &AppState,
    kind: RecordKind,
    rows: &[Map<String, Value>],
    summary: &ImportSummary,
) -> Result<(), AppError> {
    let landed: u64 = summary.files.iter().map(|f| f.inserted + f.updated).sum();
    if landed == 0 {
        return Ok(());
    }
    let what = what_landed(summary);
    let settings = state.settings();
    let ids: Option<Vec<String>> = kind.id_field().and_then(|field| {
        rows.iter()
            .map(|r| {
                r.get(field)
                    .and_then(|v| match v {
                        Value::String(s) => Some(s.trim().to_string()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .filter(|s| !s.is_empty())
            })
            .collect()
    });
    match ids {
        Some(ids) => {
            let fresh = summary
                .files
                .iter()
                .all(|f| f.updated == 0 && f.unchanged == 0 && f.rejected == 0);
            state
                .live
                .arrived(&*state.store, &settings, &[(kind, ids, fresh)], &what)
                .await?;
        }
        None => {
            state.live.rebuild(&*state.store, &settings, &what).await?;
        }
    }
    Ok(())
}

/// Imports rows of one kind and takes them into the snapshot (the settings page's
/// targets use it).
pub async fn import_and_take_in(
    state: &AppState,
    kind: RecordKind,
    rows: Vec<Map<String, Value>>,
) -> Result<ImportSummary, AppError> {
    let rows = Arc::new(rows);
    let summary = import_rows(state, kind, &rows).await?;
    take_in(state, kind, &rows, &summary).await?;
    Ok(summary)
}

fn summary_response(summary: &ImportSummary) -> Response {
    let status = if summary.rejected() > 0 {
        // Some rows were refused, the good ones landed (the CLI's exit code 3).
        StatusCode::MULTI_STATUS
    } else {
        StatusCode::OK
    };
    let body = serde_json::to_value(summary).expect("summaries serialise");
    (status, Json(body)).into_response()
}

fn csv_rows(body: &[u8]) -> Result<Vec<Map<String, Value>>, AppError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::bad(format!("CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| AppError::bad(format!("CSV line {}: {e}", i + 2)))?;
        let mut m = Map::new();
        for (h, v) in header.iter().zip(row.iter()) {
            if !v.is_empty() {
                m.insert(h.clone(), Value::String(v.to_string()));
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// `POST /api/v1/{kind}`: a batch of records (NDJSON, a JSON array, or CSV with
/// `Content-Type: text/csv`), validated as `revline import` validates a file.
async fn batch(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let kind = RecordKind::from_name(&kind)
        .filter(|k| BATCH_KINDS.contains(k))
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no record kind '{kind}' (accounts, contacts, touchpoints, stages, deals, deal_stages, revenue, spend, tickets, targets)"
            ))
        })?;
    require(&user, Role::Editor)?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/csv"));
    let rows = if is_csv {
        csv_rows(&body)?
    } else {
        json_rows(&body)?
    };
    if rows.is_empty() {
        return Err(AppError::bad("the batch holds no records"));
    }
    let rows = Arc::new(rows);
    let summary = import_rows(&state, kind, &rows).await?;
    take_in(&state, kind, &rows, &summary).await?;
    Ok(summary_response(&summary))
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn required(call: &Map<String, Value>, key: &str, what: &str) -> Result<String, AppError> {
    text_of(call.get(key)).ok_or_else(|| AppError::BadRequest {
        message: format!("{what} needs '{key}'"),
        details: json!({ "field": key }),
    })
}

fn object<'a>(call: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    call.get(key).and_then(Value::as_object)
}

/// The stored record as canonical text, so that a call naming only some fields keeps
/// the others.
async fn stored_row(
    state: &AppState,
    kind: RecordKind,
    id: &str,
) -> Result<Map<String, Value>, AppError> {
    let found: Vec<Record> = state.store.records_by_id(kind, &[id.to_string()]).await?;
    let mut row = Map::new();
    if let Some(r) = found.first() {
        let settings = state.settings();
        let values = revline_ingest::export::render_fields(r, &settings);
        for (field, v) in kind.fields().iter().zip(values) {
            if !v.is_empty() {
                row.insert(field.name.to_string(), Value::String(v));
            }
        }
        for (k, v) in &r.props {
            row.insert(k.clone(), Value::String(v.clone()));
        }
    }
    Ok(row)
}

fn calls(body: &[u8]) -> Result<Vec<Map<String, Value>>, AppError> {
    let rows = json_rows(body)?;
    // Segment's batch form: {"batch": [...]}.
    if rows.len() == 1
        && let Some(Value::Array(items)) = rows[0].get("batch")
    {
        return items
            .iter()
            .map(|v| {
                v.as_object()
                    .cloned()
                    .ok_or_else(|| AppError::bad("batch: every item must be an object"))
            })
            .collect();
    }
    Ok(rows)
}

fn timestamp(call: &Map<String, Value>, state: &AppState) -> String {
    text_of(call.get("timestamp"))
        .or_else(|| text_of(call.get("sentAt")))
        .unwrap_or_else(|| revline_core::time::format_timestamp(state.clock.now()))
}

/// Segment's camelCase trait names as the contract's columns.
fn contract_key(key: &str) -> String {
    match key {
        "createdAt" => "created_at".into(),
        "firstName" | "lastName" => key.to_string(),
        other => other.to_string(),
    }
}

/// `POST /api/v1/track`: an event of a known person becomes a touchpoint. `event` names
/// the kind when it is one (`webinar`, `demo`, ...; else `other`, the name kept as the
/// `event` property); the channel is `properties.channel`, else the campaign source.
async fn track(
    State(state): State<AppState>,
    Caller(user): Caller,
    body: Bytes,
) -> Result<Response, AppError> {
    require(&user, Role::Editor)?;
    let mut rows = Vec::new();
    for call in calls(&body)? {
        let contact = required(&call, "userId", "track")?;
        let event = required(&call, "event", "track")?;
        let props = object(&call, "properties").cloned().unwrap_or_default();
        let campaign = object(&call, "context").and_then(|c| object(c, "campaign"));
        let channel = text_of(props.get("channel"))
            .or_else(|| campaign.and_then(|c| text_of(c.get("source"))))
            .ok_or_else(|| AppError::BadRequest {
                message: "track needs properties.channel or context.campaign.source".into(),
                details: json!({ "field": "properties.channel" }),
            })?;
        let occurred_at = timestamp(&call, &state);
        let kind_name = revline_core::normalize::snake_case(&event);
        let kinds = [
            "impression",
            "click",
            "visit",
            "form",
            "email_open",
            "email_click",
            "webinar",
            "event",
            "call",
            "meeting",
            "demo",
            "chat",
            "ticket",
            "other",
        ];
        let mut row = Map::new();
        let id = text_of(call.get("messageId")).unwrap_or_else(|| {
            let key = format!("{contact}\u{1f}{event}\u{1f}{occurred_at}\u{1f}{channel}");
            format!("trk-{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
        });
        row.insert("touchpoint_id".into(), Value::String(id));
        row.insert("contact_id".into(), Value::String(contact));
        row.insert("occurred_at".into(), Value::String(occurred_at));
        row.insert("channel".into(), Value::String(channel));
        if let Some(c) =
            text_of(props.get("campaign")).or_else(|| campaign.and_then(|c| text_of(c.get("name"))))
        {
            row.insert("campaign".into(), Value::String(c));
        }
        let kind = if kinds.contains(&kind_name.as_str()) {
            kind_name
        } else {
            row.insert("event".into(), Value::String(event));
            "other".into()
        };
        row.insert("kind".into(), Value::String(kind));
        for key in ["team", "cost"] {
            if let Some(v) = text_of(props.get(key)) {
                row.insert(key.into(), Value::String(v));
            }
        }
        rows.push(row);
    }
    let rows = Arc::new(rows);
    let summary = import_rows(&state, RecordKind::Touchpoints, &rows).await?;
    take_in(&state, RecordKind::Touchpoints, &rows, &summary).await?;
    Ok(summary_response(&summary))
}

/// `POST /api/v1/identify`: a person and their traits become (or update) a contact;
/// fields the call does not name keep their stored values.
async fn identify(
    State(state): State<AppState>,
    Caller(user): Caller,
    body: Bytes,
) -> Result<Response, AppError> {
    require(&user, Role::Editor)?;
    let mut rows = Vec::new();
    for call in calls(&body)? {
        let id = required(&call, "userId", "identify")?;
        let mut row = stored_row(&state, RecordKind::Contacts, &id).await?;
        row.insert("contact_id".into(), Value::String(id));
        let traits = object(&call, "traits").cloned().unwrap_or_default();
        let name = text_of(traits.get("name")).or_else(|| {
            let first = text_of(traits.get("firstName"));
            let last = text_of(traits.get("lastName"));
            match (first, last) {
                (None, None) => None,
                (f, l) => Some([f, l].into_iter().flatten().collect::<Vec<_>>().join(" ")),
            }
        });
        if let Some(n) = name {
            row.insert("name".into(), Value::String(n));
        }
        for (k, v) in &traits {
            let key = contract_key(k);
            if matches!(k.as_str(), "name" | "firstName" | "lastName" | "company") {
                continue;
            }
            if let Some(text) = text_of(Some(v)) {
                row.insert(key, Value::String(text));
            }
        }
        if !row.contains_key("created_at") {
            row.insert("created_at".into(), Value::String(timestamp(&call, &state)));
        }
        rows.push(row);
    }
    let rows = Arc::new(rows);
    let summary = import_rows(&state, RecordKind::Contacts, &rows).await?;
    take_in(&state, RecordKind::Contacts, &rows, &summary).await?;
    Ok(summary_response(&summary))
}

/// `POST /api/v1/group`: a company (`groupId` and traits) becomes (or updates) an
/// account; with a `userId`, that contact joins the account.
async fn group(
    State(state): State<AppState>,
    Caller(user): Caller,
    body: Bytes,
) -> Result<Response, AppError> {
    require(&user, Role::Editor)?;
    let mut accounts = Vec::new();
    let mut members = Vec::new();
    for call in calls(&body)? {
        let id = required(&call, "groupId", "group")?;
        let mut row = stored_row(&state, RecordKind::Accounts, &id).await?;
        row.insert("account_id".into(), Value::String(id.clone()));
        for (k, v) in object(&call, "traits").cloned().unwrap_or_default() {
            if let Some(text) = text_of(Some(&v)) {
                row.insert(contract_key(&k), Value::String(text));
            }
        }
        accounts.push(row);
        if let Some(contact) = text_of(call.get("userId")) {
            let mut c = stored_row(&state, RecordKind::Contacts, &contact).await?;
            if c.is_empty() {
                return Err(AppError::NotFound(format!(
                    "no contact '{contact}': identify the person before grouping them"
                )));
            }
            c.insert("account_id".into(), Value::String(id));
            members.push(c);
        }
    }
    let accounts = Arc::new(accounts);
    let mut summary = import_rows(&state, RecordKind::Accounts, &accounts).await?;
    take_in(&state, RecordKind::Accounts, &accounts, &summary).await?;
    if !members.is_empty() {
        let members = Arc::new(members);
        let more = import_rows(&state, RecordKind::Contacts, &members).await?;
        take_in(&state, RecordKind::Contacts, &members, &more).await?;
        summary.files.extend(more.files);
    }
    Ok(summary_response(&summary))
}

/// File imports started from the import page, by job number.
#[derive(Default)]
pub struct Imports {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Arc<ImportJob>>>,
}

pub struct ImportJob {
    pub file_name: String,
    pub kind: Option<RecordKind>,
    /// A CRM export recognised by its header (when no kind was chosen): its preset
    /// maps it, as `revline import --preset` would.
    pub preset: Option<&'static str>,
    /// The folder that holds the uploaded file (removed with the job).
    dir: tempfile::TempDir,
    pub total_bytes: AtomicU64,
    pub done_bytes: AtomicU64,
    pub outcome: Mutex<Option<Result<Arc<ImportSummary>, String>>>,
    pub started: std::sync::atomic::AtomicBool,
}

impl ImportJob {
    pub fn path(&self) -> PathBuf {
        self.dir.path().join(&self.file_name)
    }
}

impl Progress for ImportJob {
    fn begin(&self, total_bytes: u64) {
        self.total_bytes.store(total_bytes, Ordering::Relaxed);
    }
    fn position(&self, bytes: u64) {
        self.done_bytes.store(bytes, Ordering::Relaxed);
    }
}

impl Imports {
    /// Keeps an uploaded file for a preview and then an import.
    pub fn add(
        &self,
        file_name: &str,
        kind: Option<RecordKind>,
        data: &[u8],
    ) -> Result<(u64, Arc<ImportJob>), AppError> {
        // Only the last path component, and nothing that climbs out of the folder.
        let clean: String = file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("upload")
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        let clean = if clean.trim_matches('.').is_empty() {
            "upload.csv".to_string()
        } else {
            clean
        };
        let dir = tempfile::tempdir().map_err(AppError::internal)?;
        std::fs::write(dir.path().join(&clean), data).map_err(AppError::internal)?;
        let preset = kind
            .is_none()
            .then(|| revline_ingest::import::recognised_preset(&dir.path().join(&clean)))
            .flatten();
        let job = Arc::new(ImportJob {
            file_name: clean,
            kind,
            preset,
            dir,
            total_bytes: AtomicU64::new(data.len() as u64),
            done_bytes: AtomicU64::new(0),
            outcome: Mutex::new(None),
            started: Default::default(),
        });
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut jobs = self.jobs.lock().expect("jobs lock");
        // Keep the latest few; an abandoned preview is dropped with its file.
        if jobs.len() >= 32
            && let Some(oldest) = jobs.keys().min().copied()
        {
            jobs.remove(&oldest);
        }
        jobs.insert(id, job.clone());
        Ok((id, job))
    }

    pub fn get(&self, id: u64) -> Option<Arc<ImportJob>> {
        self.jobs.lock().expect("jobs lock").get(&id).cloned()
    }
}

/// A dry run of an uploaded file: what the import would do.
pub async fn preview(state: &AppState, job: &ImportJob) -> Result<ImportSummary, AppError> {
    let options = ImportOptions {
        kind: job.kind,
        mapping: preset_mapping(job.preset),
        dry_run: true,
        now: state.clock.now(),
        source: Some(format!("{} (upload)", job.file_name)),
        ..Default::default()
    };
    let summary = import_path(&*state.store, &job.path(), &options, &NoProgress).await;
    in_words_of_the_request(summary, &job.path())
}

/// Runs the import of an uploaded file in the background; the page polls the job.
pub fn start(state: AppState, job: Arc<ImportJob>) {
    if job.started.swap(true, Ordering::SeqCst) {
        return;
    }
    tokio::spawn(async move {
        let upload = Upload {
            kind: job.kind,
            preset: job.preset,
        };
        let outcome = match import_file(&state, &job.path(), upload, "upload", &*job).await {
            Ok(summary) => {
                let what = what_landed(&summary);
                let settings = state.settings();
                if let Err(e) = state.live.rebuild(&*state.store, &settings, &what).await {
                    tracing::error!("refreshing the snapshot after an import: {e}");
                }
                Ok(Arc::new(summary))
            }
            Err(e) => Err(e.to_string()),
        };
        *job.outcome.lock().expect("job lock") = Some(outcome);
    });
}
