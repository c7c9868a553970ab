//! Reading a store on one core while the rows are used on the other.

use crate::{Result, Store};
use revline_core::{RecordKind, RowBatch, RowView};
use std::sync::mpsc;

/// Rows per batch handed across: large enough that the hand-over costs nothing, small
/// enough that the batches in flight stay in the cache.
const BATCH_ROWS: usize = 8_192;
/// Batches read ahead of the consuming thread.
const IN_FLIGHT: usize = 4;

/// Scans each kind of `inputs` (with its columns, in the order given) on the calling
/// task, while `visit` runs on a thread of its own over the rows, copied in batches;
/// returns `state` once every row has been visited. A snapshot build used to step
/// SQLite and file every row on one core; this way the two share the machine's two.
pub async fn scan_overlapped<S: Send + 'static>(
    store: &dyn Store,
    inputs: &[(RecordKind, &'static [&'static str])],
    mut state: S,
    visit: fn(&mut S, &RowView<'_>),
) -> Result<S> {
    let (full, to_visit) = mpsc::sync_channel::<RowBatch>(IN_FLIGHT);
    let (spent, mut reuse) = mpsc::channel::<RowBatch>();
    let consumer = std::thread::Builder::new()
        .name("revline-rows".into())
        .spawn(move || {
            for batch in to_visit {
                batch.for_each(&mut |row| visit(&mut state, row));
                // The reader may have finished; then the batch is simply freed.
                let _ = spent.send(batch);
            }
            state
        })?;
    let mut outcome = Ok(());
    for &(kind, columns) in inputs {
        let mut batch = fresh(&mut reuse, kind, columns);
        let scanned = store
            .scan_columns(kind, columns, &mut |row| {
                batch.push(row);
                if batch.len() >= BATCH_ROWS {
                    let next = fresh(&mut reuse, kind, columns);
                    // Fails only when the consumer stopped (it panicked): joined below.
                    let _ = full.send(std::mem::replace(&mut batch, next));
                }
            })
            .await;
        if !batch.is_empty() {
            let _ = full.send(batch);
        }
        if let Err(e) = scanned {
            outcome = Err(e);
            break;
        }
    }
    drop(full);
    let state = tokio::task::spawn_blocking(move || consumer.join())
        .await
        .expect("joining does not panic")
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    outcome.map(|()| state)
}

fn fresh(
    reuse: &mut mpsc::Receiver<RowBatch>,
    kind: RecordKind,
    columns: &'static [&'static str],
) -> RowBatch {
    match reuse.try_recv() {
        Ok(mut b) => {
            b.clear(kind, columns);
            b
        }
        Err(_) => RowBatch::new(kind, columns),
    }
}
