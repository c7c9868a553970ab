//! One way to run a report for the API and for the pages: the engine's query object
//! and runner on the warm snapshot, off the threads that serve requests.
//!
//! Results are cached per snapshot version and parameters. A report asked for without
//! `as_of` is computed as of the start of the current minute, so that repeated requests
//! within a minute share one result; new records (a new snapshot version) clear the cache.

use crate::{AppError, AppState};
use revline_engine::query::{Output, ReportKind, ReportOutput, ReportParams, ReportQuery};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A computed report: the engine's typed result, and its JSON made once when asked.
pub struct Report {
    pub output: Output,
    json: OnceLock<Arc<Value>>,
}

impl Report {
    pub fn json(&self) -> Arc<Value> {
        self.json
            .get_or_init(|| Arc::new(self.output.to_json()))
            .clone()
    }
}

const CAPACITY: usize = 256;

/// One report's place in the cache: filled once, by whichever request gets there
/// first, while the others asking for the same report wait for it.
type Slot = Arc<tokio::sync::OnceCell<Arc<Report>>>;

/// Reports per snapshot version and parameters. Requests for a report being computed
/// share that one computation: after new records arrive, a burst of readers used to
/// compute the same report each, taking every core from the writes.
#[derive(Default)]
pub struct ReportCache {
    inner: Mutex<(u64, HashMap<String, Slot>)>,
}

impl ReportCache {
    fn slot(&self, version: u64, key: &str) -> Slot {
        let mut inner = self.inner.lock().expect("cache lock");
        if version < inner.0 {
            // A request that read an older snapshot: computed for it alone.
            return Slot::default();
        }
        if version > inner.0 || (inner.1.len() >= CAPACITY && !inner.1.contains_key(key)) {
            inner.1.clear();
            inner.0 = version;
        }
        inner.1.entry(key.to_string()).or_default().clone()
    }
}

/// A cached report as its own struct: what the pages read (`Deref` to the report).
pub struct Shown<T> {
    report: Arc<Report>,
    kind: std::marker::PhantomData<T>,
}

impl<T: ReportOutput> std::ops::Deref for Shown<T> {
    type Target = T;
    fn deref(&self) -> &T {
        T::of(&self.report.output).expect("checked when the report was run")
    }
}

/// Runs the report whose result is `T`.
pub async fn run<T: ReportOutput>(
    state: &AppState,
    params: ReportParams,
) -> Result<Shown<T>, AppError> {
    let report = run_report(state, T::KIND, params).await?;
    if T::of(&report.output).is_none() {
        return Err(AppError::internal(format!(
            "the {} report answered another kind",
            T::KIND.name()
        )));
    }
    Ok(Shown {
        report,
        kind: std::marker::PhantomData,
    })
}

pub async fn run_report(
    state: &AppState,
    kind: ReportKind,
    mut params: ReportParams,
) -> Result<Arc<Report>, AppError> {
    if let Some(email) = params.email.take() {
        use revline_store::EmailLookupError as Lookup;
        let id = revline_store::contact_with_email(state.store.as_ref(), &email)
            .await
            .map_err(|e| match e {
                Lookup::NotAnAddress(_) => AppError::bad(format!("email: {e}")),
                Lookup::NoContact(_) => AppError::NotFound(e.to_string()),
                Lookup::Store(e) => AppError::Store(e),
            })?;
        params.contact = Some(id);
    }
    let settings = state.settings();
    let now = state.reporting_now();
    let query = ReportQuery::parse(kind, &params, &settings, now)?;
    // Read the version before the snapshot: a result is never filed under a newer
    // version than the data it was computed from.
    let version = state.live.version();
    let key = format!(
        "{}|{now}|{}",
        kind.name(),
        serde_json::to_string(&params).expect("parameters serialise")
    );
    let slot = state.reports.slot(version, &key);
    let report = slot
        .get_or_try_init(|| async {
            let mut out = match crate::cluster::run(state, &query).await? {
                Some(out) => out,
                None => {
                    let snapshot = state.snapshot();
                    tokio::task::spawn_blocking(move || {
                        revline_engine::query::run(&snapshot, &query)
                    })
                    .await
                    .map_err(|e| AppError::internal(format!("the report failed: {e}")))?
                    .map_err(|e| AppError::NotFound(e.0))?
                }
            };
            if let Output::Members(m) = &mut out {
                m.label(
                    revline_store::contact_labels(state.store.as_ref(), &m.contact_ids()).await?,
                );
            }
            Ok::<_, AppError>(Arc::new(Report {
                output: out,
                json: OnceLock::new(),
            }))
        })
        .await?
        .clone();
    Ok(report)
}
