//! `ShardPartialExec`: the plan node that computes one shard's partial. Its input is a
//! built-in memory source with one partition per shard holding that shard's number, so
//! that Ballista makes one task per shard; a leaf node of our own would be run whole by
//! every task.

use datafusion::arrow::array::{Array, BinaryArray, RecordBatch, UInt32Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties, SendableRecordBatchStream,
};
use futures::TryStreamExt;
use revline_engine::shard::ShardTask;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// What every task of a job is told: where the files are, which generation the client
/// planned with, and what to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardJob {
    pub dir: PathBuf,
    pub generation: String,
    pub task: ShardTask,
}

/// The memory source's schema: one row per partition, the shard number.
pub(crate) fn shards_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(
        "shard",
        DataType::UInt32,
        false,
    )]))
}

/// The node's output: each shard's partial (postcard: compact, floats bit for bit) cut
/// into pieces of at most `PIECE` bytes, one batch each, so no message outgrows gRPC's
/// limit however many contacts a shard holds.
pub(crate) fn partials_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("shard", DataType::UInt32, false),
        Field::new("piece", DataType::UInt32, false),
        Field::new("pieces", DataType::UInt32, false),
        Field::new("bytes", DataType::Binary, false),
    ]))
}

pub(crate) const PIECE: usize = 4 << 20;

#[derive(Debug)]
pub struct ShardPartialExec {
    input: Arc<dyn ExecutionPlan>,
    pub(crate) job: ShardJob,
    properties: Arc<PlanProperties>,
}

impl ShardPartialExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, job: ShardJob) -> ShardPartialExec {
        // One output partition per input partition: a shard's partial stays in its task.
        let partitions = input.output_partitioning().partition_count();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(partials_schema()),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        ShardPartialExec {
            input,
            job,
            properties: Arc::new(properties),
        }
    }
}

impl DisplayAs for ShardPartialExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "ShardPartialExec: {}", self.job.dir.display())
    }
}

impl ExecutionPlan for ShardPartialExec {
    fn name(&self) -> &str {
        "ShardPartialExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return Err(DataFusionError::Internal(
                "ShardPartialExec takes one input".into(),
            ));
        }
        Ok(Arc::new(ShardPartialExec::new(
            children.swap_remove(0),
            self.job.clone(),
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let job = self.job.clone();
        let out = futures::stream::once(async move {
            let batches: Vec<RecordBatch> = input.try_collect().await?;
            let mut shards = Vec::new();
            for b in &batches {
                let column = b
                    .column(0)
                    .as_any()
                    .downcast_ref::<UInt32Array>()
                    .ok_or_else(|| DataFusionError::Internal("shard numbers".into()))?;
                shards.extend(column.iter().flatten());
            }
            let delay = std::env::var(crate::TASK_DELAY_ENV)
                .ok()
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(ms) = delay {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            let computed = tokio::task::spawn_blocking(move || partials(&job, &shards))
                .await
                .map_err(|e| DataFusionError::Execution(format!("shard task: {e}")))??;
            Ok::<_, DataFusionError>(futures::stream::iter(
                computed.into_iter().map(Ok::<RecordBatch, DataFusionError>),
            ))
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            partials_schema(),
            out,
        )))
    }
}

/// Reads each shard and computes its partial, as batches of pieces.
fn partials(job: &ShardJob, shards: &[u32]) -> Result<Vec<RecordBatch>> {
    let mut out = Vec::new();
    for &shard in shards {
        let failed =
            |e: &dyn std::fmt::Display| DataFusionError::Execution(format!("shard {shard}: {e}"));
        let files = revline_files::read_shard(&job.dir, &job.generation, shard, job.task.reads())
            .map_err(|e| failed(&e))?;
        let partial = job.task.partial(&files.snapshot, files.owned());
        let bytes = postcard::to_allocvec(&partial).map_err(|e| failed(&e))?;
        let pieces: Vec<&[u8]> = bytes.chunks(PIECE).collect();
        let count = pieces.len() as u32;
        for (i, piece) in pieces.into_iter().enumerate() {
            out.push(RecordBatch::try_new(
                partials_schema(),
                vec![
                    Arc::new(UInt32Array::from(vec![shard])),
                    Arc::new(UInt32Array::from(vec![i as u32])),
                    Arc::new(UInt32Array::from(vec![count])),
                    Arc::new(BinaryArray::from_iter_values([piece])),
                ],
            )?);
        }
    }
    Ok(out)
}
