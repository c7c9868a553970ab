//! The physical codec every node uses: Revline's plan node, and Ballista's own for the
//! rest.

use crate::plan::{ShardJob, ShardPartialExec};
use ballista_core::serde::BallistaPhysicalExtensionCodec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use std::sync::Arc;

/// Marks an encoded `ShardPartialExec` among Ballista's own nodes.
const MAGIC: &[u8] = b"revline.shard_partial.v1:";

#[derive(Debug, Default)]
pub struct RevlineCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for RevlineCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(job) = buf.strip_prefix(MAGIC) else {
            return self.ballista.try_decode(buf, inputs, ctx, converter);
        };
        let job: ShardJob = serde_json::from_slice(job)
            .map_err(|e| DataFusionError::Internal(format!("a shard job: {e}")))?;
        let [input] = inputs else {
            return Err(DataFusionError::Internal(format!(
                "a shard job has one input, not {}",
                inputs.len()
            )));
        };
        Ok(Arc::new(ShardPartialExec::new(input.clone(), job)))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let Some(exec) = node.downcast_ref::<ShardPartialExec>() else {
            return self.ballista.try_encode(node, buf, converter);
        };
        buf.extend_from_slice(MAGIC);
        serde_json::to_writer(buf, &exec.job)
            .map_err(|e| DataFusionError::Internal(format!("a shard job: {e}")))
    }
}
