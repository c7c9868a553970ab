//! Reports a server answers from a Revline cluster (`revline serve --cluster H:P
//! --snapshot DIR`): those that run shard by shard (`revline_engine::shard`) are
//! computed on the cluster's executors over the snapshot files, brought up to date with
//! the store first; every other report is computed in memory as without a cluster. The
//! cluster's client lives in the binary (`ShardRunner`), so this crate does not build
//! the distributed engine.

use crate::{AppError, AppState};
use futures::future::BoxFuture;
use revline_engine::query::{Output, ReportQuery};
use revline_engine::shard::{ShardPartial, ShardTask, Step, Unfinished};
use revline_files::Manifest;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs a shard task over every shard of the files in a directory, somewhere else.
pub trait ShardRunner: Send + Sync {
    /// What the runner is, for messages: "the cluster at H:P".
    fn name(&self) -> String;
    /// One partial per shard of `manifest`, or why not.
    fn run<'a>(
        &'a self,
        dir: &'a Path,
        manifest: &'a Manifest,
        task: ShardTask,
    ) -> BoxFuture<'a, Result<Vec<ShardPartial>, String>>;
}

/// A server's cluster: the runner and the snapshot files its nodes read.
pub struct ClusterReports {
    runner: Arc<dyn ShardRunner>,
    dir: PathBuf,
    /// One writer of the files at a time: two requests after a change would otherwise
    /// both write a generation and remove the other's.
    writing: tokio::sync::Mutex<()>,
}

impl ClusterReports {
    pub fn new(runner: Arc<dyn ShardRunner>, dir: PathBuf) -> ClusterReports {
        ClusterReports {
            runner,
            dir,
            writing: tokio::sync::Mutex::new(()),
        }
    }
}

/// The report of `query` from the server's cluster, or `None` when the server has no
/// cluster or the report does not run on one.
pub(crate) async fn run(state: &AppState, query: &ReportQuery) -> Result<Option<Output>, AppError> {
    let Some(cluster) = &state.cluster else {
        return Ok(None);
    };
    let Ok(task) = ShardTask::of(query) else {
        return Ok(None);
    };
    let manifest = {
        let _one = cluster.writing.lock().await;
        let settings = state.settings();
        let (manifest, start) =
            crate::start::current_files(state.store.as_ref(), &settings, &cluster.dir).await?;
        if let crate::start::Start::Rewritten { .. } = start
            && let Some(line) = start.describe(&cluster.dir)
        {
            tracing::info!("{line}");
        }
        manifest.ok_or_else(|| {
            AppError::internal(format!(
                "{}: no snapshot files for the cluster (see the warning)",
                cluster.dir.display()
            ))
        })?
    };
    let name = cluster.runner.name();
    // A report that looks across shards takes more than one round (`Step::Next`).
    let mut task = task;
    let out = loop {
        let partials = cluster
            .runner
            .run(&cluster.dir, &manifest, task.clone())
            .await
            .map_err(AppError::Cluster)?;
        let dir = cluster.dir.clone();
        let name = name.clone();
        let manifest = manifest.clone();
        let round = task.clone();
        let step = tokio::task::spawn_blocking(move || {
            finish_round(&dir, &manifest, &round, partials, &name)
        })
        .await
        .map_err(|e| AppError::internal(format!("the report failed: {e}")))??;
        match step {
            Step::Done(out) => break *out,
            Step::Next(next) => task = *next,
        }
    };
    revline_engine::query::checked(query, out)
        .map_err(|e| AppError::NotFound(e.0))
        .map(Some)
}

/// A round's partials finished with the files' shared tables: the report, or the next
/// round's task.
fn finish_round(
    dir: &Path,
    manifest: &Manifest,
    task: &ShardTask,
    partials: Vec<ShardPartial>,
    name: &str,
) -> Result<Step, AppError> {
    let shared = revline_files::read_shared(dir, &manifest.generation, task.finish_reads_tables())
        .map_err(|e| AppError::internal(e.to_string()))?;
    let dims = if task.finish_reads_dims() {
        revline_files::read_shared_dims(dir, &manifest.generation)
            .map_err(|e| AppError::internal(e.to_string()))?
    } else {
        Default::default()
    };
    task.finish(&shared, &dims, manifest.contacts as usize, partials)
        .map_err(|e| match e {
            Unfinished::NotFound(e) => AppError::NotFound(e.0),
            Unfinished::Wrong(e) => AppError::Cluster(format!("{name}: {e}")),
        })
}
