//! `revline snapshot write|show`: the workspace as columnar snapshot files.

use crate::commands::open_store;
use crate::{Cli, Failure, Format, SnapshotAction};
use revline_engine::SnapshotBuilder;
use std::path::Path;
use std::time::Instant;

pub async fn run(cli: &Cli, action: &SnapshotAction) -> Result<u8, Failure> {
    let store = open_store(cli).await?;
    let code = match action {
        SnapshotAction::Write { dir, shards } => write(&*store, dir, *shards).await,
        SnapshotAction::Show { dir, format } => show(&*store, dir, *format).await,
    };
    store.close().await;
    code
}

async fn write(store: &dyn revline_store::Store, dir: &Path, shards: u32) -> Result<u8, Failure> {
    let started = Instant::now();
    // The version first: rows written while the snapshot is read make the files out of
    // date (read again next time), never current with rows missing.
    let version = store.data_version().await?;
    let settings = store.settings().await?;
    let snapshot =
        revline_web::live::load_snapshot(store, &settings, SnapshotBuilder::ALL_INPUTS).await?;
    let read = started.elapsed();
    let owned = dir.to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || {
        revline_files::write(&snapshot, &owned, shards, version)
    })
    .await
    .expect("writing snapshot files does not panic")?;
    let bytes = size_of(&dir.join(&manifest.generation));
    println!(
        "wrote {} contacts and {} touchpoints in {} shards to {} (store version {}): \
         {:.1} MB; read the store in {:.2} s, wrote in {:.2} s",
        manifest.contacts,
        manifest.touchpoints,
        manifest.shards,
        dir.display(),
        manifest.store_version,
        bytes as f64 / 1e6,
        read.as_secs_f64(),
        (started.elapsed() - read).as_secs_f64(),
    );
    Ok(0)
}

/// Bytes under `path`.
fn size_of(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return std::fs::metadata(path).map_or(0, |m| m.len());
    };
    entries.flatten().map(|e| size_of(&e.path())).sum()
}

async fn show(store: &dyn revline_store::Store, dir: &Path, format: Format) -> Result<u8, Failure> {
    let manifest = revline_files::Manifest::read(dir)?.ok_or_else(|| {
        Failure::from(anyhow::anyhow!(
            "{}: no snapshot here; write one with `revline snapshot write {}`",
            dir.join("manifest.json").display(),
            dir.display()
        ))
    })?;
    let version = store.data_version().await?;
    let current = manifest.is_current(version);
    match format {
        Format::Json => {
            let out = serde_json::json!({
                "manifest": manifest,
                "store_version": version,
                "current": current,
            });
            println!("{}", serde_json::to_string_pretty(&out).expect("json"));
        }
        Format::Table => {
            println!(
                "files          {}",
                dir.join(&manifest.generation).display()
            );
            println!("contacts       {}", manifest.contacts);
            println!("touchpoints    {}", manifest.touchpoints);
            println!("shards         {}", manifest.shards);
            println!("files version  {}", manifest.store_version);
            println!("store version  {version}");
            println!(
                "state          {}",
                if current {
                    "current: reports start from these files"
                } else {
                    "out of date: the next report with --snapshot reads the store and writes them again"
                }
            );
        }
    }
    Ok(0)
}
