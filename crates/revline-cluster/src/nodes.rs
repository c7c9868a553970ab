//! Starting Ballista's scheduler and executors with Revline's codec, so every node can
//! decode and run the shard plan node.

use crate::codec::RevlineCodec;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// A node that could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NodeError(String);

/// How often executors report in, and how long the scheduler waits before it counts
/// a silent executor as lost and runs its tasks elsewhere. Ballista's defaults (60 s
/// and 180 s) suit long batch jobs; reports are interactive.
const HEARTBEAT_SECONDS: u64 = 2;
const EXECUTOR_TIMEOUT_SECONDS: u64 = 8;

/// Runs a scheduler on `addr` until it stops.
pub async fn run_scheduler(addr: SocketAddr) -> Result<(), NodeError> {
    let host = addr.ip().to_string();
    let config = SchedulerConfig {
        bind_host: host.clone(),
        bind_port: addr.port(),
        external_host: host,
        executor_timeout_seconds: EXECUTOR_TIMEOUT_SECONDS,
        expire_dead_executor_interval_seconds: 1,
        no_executors_grace_period_seconds: EXECUTOR_TIMEOUT_SECONDS,
        override_physical_codec: Some(Arc::new(RevlineCodec::default())),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| NodeError(format!("scheduler on {addr}: {e}")))?;
    ballista_scheduler::scheduler_process::start_server(cluster, addr, Arc::new(config))
        .await
        .map_err(|e| NodeError(format!("scheduler on {addr}: {e}")))
}

/// Where an executor listens and whom it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    pub scheduler: SocketAddr,
    /// Arrow Flight (results) on this address.
    pub addr: SocketAddr,
    /// The executor's own gRPC port (tasks from the scheduler).
    pub grpc_port: u16,
    /// Tasks run at once.
    pub cores: usize,
    /// Where task outputs wait until the client fetches them.
    pub work_dir: PathBuf,
}

/// Runs an executor until it stops.
pub async fn run_executor(options: ExecutorOptions) -> Result<(), NodeError> {
    let host = options.addr.ip().to_string();
    std::fs::create_dir_all(&options.work_dir)
        .map_err(|e| NodeError(format!("{}: {e}", options.work_dir.display())))?;
    let config = ExecutorProcessConfig {
        bind_host: host.clone(),
        external_host: Some(host),
        port: options.addr.port(),
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.ip().to_string(),
        scheduler_port: options.scheduler.port(),
        scheduler_connect_timeout_seconds: 30,
        vcores: options.cores.max(1),
        work_dir: Some(options.work_dir.display().to_string()),
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        print_thread_info: false,
        override_physical_codec: Some(Arc::new(RevlineCodec::default())),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| NodeError(format!("executor on {}: {e}", options.addr)))
}
