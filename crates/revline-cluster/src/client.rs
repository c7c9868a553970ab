//! Submitting a shard job to a scheduler and collecting one partial per shard.

use crate::codec::RevlineCodec;
use crate::plan::{ShardJob, ShardPartialExec, shards_schema};
use ballista_core::execution_plans::execute_physical_plan;
use ballista_core::extension::SessionConfigExt;
use datafusion::arrow::array::{Array, BinaryArray, RecordBatch, UInt32Array};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::PhysicalPlanNode;
use futures::TryStreamExt;
use revline_engine::shard::{ShardPartial, ShardTask};
use revline_files::Manifest;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A cluster query that gave no answer. Never a partial answer: a shard missing or
/// answered twice is an error too.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("the cluster at {cluster} failed the query: {message}")]
    Failed { cluster: String, message: String },
    #[error("the cluster at {cluster} did not answer within {seconds} s")]
    Timeout { cluster: String, seconds: u64 },
    #[error("the cluster at {cluster} answered wrongly: {message}")]
    Wrong { cluster: String, message: String },
}

/// Runs `task` on every shard of the files in `dir` (as `manifest` describes them) on
/// the cluster whose scheduler is `cluster` (HOST:PORT); one partial per shard, in
/// shard order.
pub async fn run(
    cluster: &str,
    dir: &Path,
    manifest: &Manifest,
    task: ShardTask,
    timeout: Duration,
) -> Result<Vec<ShardPartial>, ClusterError> {
    let failed = |message: String| ClusterError::Failed {
        cluster: cluster.to_string(),
        message,
    };
    let wrong = |message: String| ClusterError::Wrong {
        cluster: cluster.to_string(),
        message,
    };
    // Executors may run elsewhere: the path they read must not depend on our cwd.
    let dir = std::path::absolute(dir).map_err(|e| failed(format!("{}: {e}", dir.display())))?;
    let shards = manifest.shards as usize;
    let partitions: Vec<Vec<RecordBatch>> = (0..manifest.shards)
        .map(|i| {
            RecordBatch::try_new(shards_schema(), vec![Arc::new(UInt32Array::from(vec![i]))])
                .map(|b| vec![b])
        })
        .collect::<Result<_, _>>()
        .map_err(|e| failed(e.to_string()))?;
    let input = MemorySourceConfig::try_new_exec(&partitions, shards_schema(), None)
        .map_err(|e| failed(e.to_string()))?;
    let job = ShardJob {
        dir,
        generation: manifest.generation.clone(),
        task,
    };
    let plan = Arc::new(ShardPartialExec::new(input, job));
    // One shard per task, so shards spread over the executors and a lost executor
    // costs only its own shards.
    let session = SessionConfig::new_with_ballista()
        .set_usize("ballista.scheduler.max_partitions_per_task", 1)
        .with_ballista_job_name("revline report");
    let config = session.ballista_config();
    let codec = RevlineCodec::default();
    let session_id = format!(
        "revline-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let query = async {
        let stream = execute_physical_plan::<PhysicalPlanNode>(
            format!("http://{cluster}"),
            &config,
            plan,
            &codec,
            session_id,
            session,
        )
        .await?;
        stream.try_collect::<Vec<RecordBatch>>().await
    };
    let batches = tokio::time::timeout(timeout, query)
        .await
        .map_err(|_| ClusterError::Timeout {
            cluster: cluster.to_string(),
            seconds: timeout.as_secs(),
        })?
        .map_err(|e| failed(e.to_string()))?;
    collect(&batches, shards).map_err(wrong)
}

/// One shard's answer so far: its piece count and the pieces received.
type Pieces = (u32, Vec<Option<Vec<u8>>>);

/// Every shard's pieces put together and decoded; an error when a shard is missing,
/// answered twice or cut wrongly.
fn collect(batches: &[RecordBatch], shards: usize) -> Result<Vec<ShardPartial>, String> {
    let mut got: Vec<Option<Pieces>> = vec![None; shards];
    for b in batches {
        let u32s = |i: usize| b.column(i).as_any().downcast_ref::<UInt32Array>();
        let bytes = b.column(3).as_any().downcast_ref::<BinaryArray>();
        let (Some(shard), Some(piece), Some(pieces), Some(bytes)) =
            (u32s(0), u32s(1), u32s(2), bytes)
        else {
            return Err("a result of another shape".into());
        };
        for r in 0..b.num_rows() {
            let (i, piece, pieces) = (shard.value(r) as usize, piece.value(r), pieces.value(r));
            let slot = got
                .get_mut(i)
                .ok_or_else(|| format!("shard {i} of {shards}"))?;
            let (count, parts) = slot.get_or_insert_with(|| (pieces, vec![None; pieces as usize]));
            let cell = parts
                .get_mut(piece as usize)
                .filter(|_| *count == pieces)
                .ok_or_else(|| format!("shard {i}: piece {piece} of {pieces}"))?;
            if cell.is_some() {
                return Err(format!("shard {i} answered twice"));
            }
            *cell = Some(bytes.value(r).to_vec());
        }
    }
    got.into_iter()
        .enumerate()
        .map(|(i, parts)| {
            let (_, parts) = parts.ok_or_else(|| format!("shard {i} did not answer"))?;
            let whole = parts
                .into_iter()
                .collect::<Option<Vec<Vec<u8>>>>()
                .ok_or_else(|| format!("shard {i} answered in part"))?
                .concat();
            postcard::from_bytes(&whole).map_err(|e| format!("shard {i}: {e}"))
        })
        .collect()
}
