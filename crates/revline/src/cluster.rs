//! `revline cluster scheduler|executor`: Ballista nodes with Revline's plan node, and
//! `revline report --cluster`: a report's per-shard part run on them over the snapshot
//! files, merged here.

use crate::{ClusterAction, Failure, ReportFormat, usage};
use revline_engine::query::{ReportKind, ReportParams, ReportQuery};
use revline_engine::shard::{ShardTask, Step, Unfinished};
use revline_store::Store;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// How long a client waits for a cluster's answer: a lost executor is noticed and its
/// shards run elsewhere within seconds; a query still unanswered after this has failed.
const QUERY_TIMEOUT: Duration = Duration::from_secs(600);

/// How long a server waits: a page must not hang for ten minutes when no executor is
/// left (Ballista keeps a job queued until one registers).
pub const SERVER_QUERY_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run_node(action: &ClusterAction) -> Result<u8, Failure> {
    match action {
        ClusterAction::Scheduler { addr } => {
            eprintln!("cluster scheduler on {addr}");
            revline_cluster::run_scheduler(*addr).await?;
        }
        ClusterAction::Executor {
            scheduler,
            addr,
            grpc_port,
            cores,
            work_dir,
        } => {
            let grpc_port = match grpc_port {
                Some(p) => *p,
                None => addr.port().checked_add(1).ok_or_else(|| {
                    usage(format!("--addr {addr}: no port after it for --grpc-port"))
                })?,
            };
            let work_dir = match work_dir {
                Some(d) => d.clone(),
                None => std::env::temp_dir().join(format!("revline-executor-{}", addr.port())),
            };
            let cores = cores.map_or_else(
                || std::thread::available_parallelism().map_or(1, |n| n.get()),
                usize::from,
            );
            eprintln!(
                "cluster executor on {addr} (tasks on port {grpc_port}, {cores} at once), scheduler {scheduler}"
            );
            revline_cluster::run_executor(revline_cluster::ExecutorOptions {
                scheduler: resolve(scheduler)?,
                addr: *addr,
                grpc_port,
                cores,
                work_dir,
            })
            .await?;
        }
    }
    Ok(0)
}

fn resolve(addr: &str) -> Result<SocketAddr, Failure> {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| usage(format!("--scheduler {addr}: not a HOST:PORT")))
}

/// Runs the report of `p` on the cluster at `cluster` over the snapshot files in `dir`
/// (written from the store first when they do not reflect it) and prints it as the
/// in-memory path would.
pub async fn report(
    store: &dyn Store,
    cluster: &str,
    dir: Option<&Path>,
    kind: ReportKind,
    p: &ReportParams,
    now: i64,
    format: ReportFormat,
) -> Result<u8, Failure> {
    let dir = dir.ok_or_else(|| usage("--cluster reads snapshot files: give --snapshot DIR"))?;
    let settings = store.settings().await?;
    let parse =
        |now: i64| ReportQuery::parse(kind, p, &settings, now).map_err(crate::report::flag_error);
    let task = ShardTask::of(&parse(now)?).map_err(|e| usage(format!("--cluster: {e}")))?;
    let (manifest, start) = revline_web::start::current_files(store, &settings, dir).await?;
    if let Some(line) = start.describe(dir) {
        eprintln!("{line}");
    }
    let manifest = manifest.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no snapshot files to run on (see the warning)",
            dir.display()
        )
    })?;
    // Where the in-memory path opens a report without a period: the newest record of
    // the tables the report reads.
    let newest = if task.reads().touchpoints {
        manifest.newest_record_at
    } else {
        manifest.newest_record_at_besides_touchpoints
    };
    let mut q = parse(now)?;
    if p.from.is_none() && p.to.is_none() && p.as_of.is_none() {
        let opening = revline_engine::calendar::reporting_now(settings.timezone, now, newest);
        if opening != now {
            q = parse(opening)?;
        }
    }
    if let Some(t) = newest {
        eprintln!("data up to {}", revline_core::time::format_timestamp(t));
    }
    let mut task = ShardTask::of(&q).map_err(|e| usage(format!("--cluster: {e}")))?;
    // A report that looks across shards takes more than one round (`Step::Next`).
    let out = loop {
        let partials =
            revline_cluster::run(cluster, dir, &manifest, task.clone(), QUERY_TIMEOUT).await?;
        let shared =
            revline_files::read_shared(dir, &manifest.generation, task.finish_reads_tables())?;
        let dims = if task.finish_reads_dims() {
            revline_files::read_shared_dims(dir, &manifest.generation)?
        } else {
            Default::default()
        };
        let step = task
            .finish(&shared, &dims, manifest.contacts as usize, partials)
            .map_err(|e| match e {
                Unfinished::NotFound(e) => usage(e.0),
                Unfinished::Wrong(e) => anyhow::anyhow!("the cluster at {cluster}: {e}").into(),
            })?;
        match step {
            Step::Done(out) => break *out,
            Step::Next(next) => task = *next,
        }
    };
    let mut out = revline_engine::query::checked(&q, out).map_err(|e| usage(e.0))?;
    if let revline_engine::query::Output::Members(m) = &mut out {
        crate::report::fill_members(store, m).await?;
    }
    crate::report::print_output(&out, format);
    Ok(0)
}

/// The cluster whose scheduler is at `cluster` (HOST:PORT), as a server's shard runner.
pub struct Runner {
    pub cluster: String,
    pub timeout: Duration,
}

impl revline_web::cluster::ShardRunner for Runner {
    fn name(&self) -> String {
        format!("the cluster at {}", self.cluster)
    }

    fn run<'a>(
        &'a self,
        dir: &'a Path,
        manifest: &'a revline_files::Manifest,
        task: ShardTask,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<Vec<revline_engine::shard::ShardPartial>, String>,
                > + Send
                + 'a,
        >,
    > {
        Box::pin(async move {
            revline_cluster::run(&self.cluster, dir, manifest, task, self.timeout)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
