//! One function per command; each opens the store it needs and prints its result.

use crate::{Cli, Command, Failure, Format, SettingsAction, usage};
use indicatif::{ProgressBar, ProgressStyle};
use revline_core::{Record, RecordKind};
use revline_ingest::{ImportError, ImportOptions, Mapping, Progress, import_path};
use revline_store::{PgStore, SqliteStore, Store};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const DEFAULT_DB: &str = "revline.db";

/// `--db` (or `REVLINE_DB`) selects SQLite; otherwise `--database-url` (or
/// `DATABASE_URL`) selects PostgreSQL; otherwise `./revline.db`.
pub async fn open_store(cli: &Cli) -> Result<Box<dyn Store>, Failure> {
    match (&cli.db, &cli.database_url) {
        (None, Some(url)) => Ok(Box::new(PgStore::connect(url).await.map_err(|e| {
            Failure::from(anyhow::anyhow!("cannot open the PostgreSQL store: {e}"))
        })?)),
        (db, _) => {
            let path = db.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DB));
            let store = SqliteStore::open(&path).await.map_err(|e| {
                Failure::from(anyhow::anyhow!(
                    "cannot open the store {}: {e}",
                    path.display()
                ))
            })?;
            Ok(Box::new(store))
        }
    }
}

pub async fn run(cli: Cli) -> Result<u8, Failure> {
    match &cli.command {
        Command::Demo {
            contacts,
            seed,
            out,
            end,
            no_problems,
        } => {
            let config = revline_demo::DemoConfig {
                contacts: *contacts,
                seed: *seed,
                planted_problems: !no_problems,
                end: end.unwrap_or_else(today),
            };
            demo(&cli, config, out.as_deref()).await
        }
        Command::Import {
            path,
            map,
            preset,
            dry_run,
            create_missing,
            encoding,
            decimal_comma,
            kind,
            batch_size,
            format,
        } => {
            let mut mapping = match map {
                Some(file) => Mapping::load(file).map_err(usage)?,
                None => Mapping::default(),
            };
            if let Some(name) = preset {
                let p = revline_ingest::presets::preset(name).ok_or_else(|| {
                    usage(format!(
                        "unknown preset '{name}' (known: {})",
                        revline_ingest::presets::PRESETS.join(", ")
                    ))
                })?;
                mapping.merge(p);
            }
            let encoding = match encoding {
                Some(label) => Some(
                    encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                        usage(format!(
                            "unknown encoding '{label}' (e.g. utf-8, windows-1250, iso-8859-2)"
                        ))
                    })?,
                ),
                None => None,
            };
            let kind = match kind {
                Some(k) => Some(RecordKind::from_name(k).ok_or_else(|| {
                    usage(format!(
                        "unknown kind '{k}' (known: {})",
                        RecordKind::ALL.map(|k| k.name()).join(", ")
                    ))
                })?),
                None => None,
            };
            let options = ImportOptions {
                mapping,
                dry_run: *dry_run,
                create_missing: *create_missing,
                encoding,
                decimal_comma: *decimal_comma,
                kind,
                batch_size: *batch_size,
                now: chrono::Utc::now().timestamp_millis(),
                source: None,
            };
            let store = open_store(&cli).await?;
            let code = import(&*store, path, &options, *format).await;
            store.close().await;
            code
        }
        Command::Export { dir } => {
            let store = open_store(&cli).await?;
            let written = revline_ingest::export::export_store(&*store, dir).await?;
            for (kind, rows) in &written {
                println!(
                    "{:<12} {rows:>10} rows -> {}",
                    kind.name(),
                    dir.join(format!("{}.csv", kind.name())).display()
                );
            }
            println!("settings    -> {}", dir.join("settings.toml").display());
            store.close().await;
            Ok(0)
        }
        Command::Backup { file } => {
            let store = open_store(&cli).await?;
            store
                .backup(file)
                .await
                .map_err(|e| Failure::from(anyhow::anyhow!("backup failed: {e}")))?;
            println!("backed up {} to {}", store.location(), file.display());
            Ok(0)
        }
        Command::Settings { action, format } => {
            let store = open_store(&cli).await?;
            let mut settings = store.settings().await?;
            if let Some(SettingsAction::Set { key, value }) = action {
                settings.set(key, value).map_err(usage)?;
                store.save_settings(&settings).await?;
                tell_servers(&*store, "settings changed", true).await;
                store.close().await;
            }
            match format {
                Format::Json => {
                    let map: serde_json::Map<String, serde_json::Value> = settings
                        .to_pairs()
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&map).expect("json"));
                }
                Format::Table => {
                    for (k, v) in settings.to_pairs() {
                        println!("{k:<14} {v}");
                    }
                }
            }
            Ok(0)
        }
        Command::Snapshot { action } => crate::snapshot::run(&cli, action).await,
        #[cfg(feature = "cluster")]
        Command::Cluster { action } => crate::cluster::run_node(action).await,
        #[cfg(not(feature = "cluster"))]
        Command::Cluster { .. } => Err(crate::without_cluster()),
        Command::Report { name, options } => {
            let store = open_store(&cli).await?;
            let code = crate::report::run(&*store, *name, options, cli.snapshot.as_deref()).await;
            store.close().await;
            code
        }
        Command::Serve {
            addr,
            demo,
            as_of,
            allow_private_webhooks,
            cluster,
        } => {
            let cluster = cluster_reports(cluster.as_deref(), cli.snapshot.as_deref())?;
            let store: std::sync::Arc<dyn Store> = std::sync::Arc::from(open_store(&cli).await?);
            if *demo && store.count(RecordKind::Contacts).await? == 0 {
                eprintln!("Filling the empty store with the demo workspace...");
                // The history runs up to today, as `revline demo` writes it: with an end in
                // the past, the days since looked like customers lost (a monthly bill of
                // the 1st not yet there on the 3rd) and recent periods were empty.
                let config = revline_demo::DemoConfig {
                    end: today(),
                    ..revline_demo::DemoConfig::default()
                };
                load_demo(&*store, &config).await?;
            }
            let clock: std::sync::Arc<dyn revline_core::Clock> = match as_of {
                None => std::sync::Arc::new(revline_core::SystemClock),
                Some(t) => {
                    let tz = store.settings().await?.timezone;
                    let at = revline_core::time::parse_timestamp(t, tz)
                        .map_err(|e| crate::usage(format!("--as-of: {e}")))?;
                    std::sync::Arc::new(revline_core::FixedClock(at))
                }
            };
            eprintln!("Loading the workspace into memory...");
            let mut state =
                revline_web::AppState::load_from(store.clone(), clock, cli.snapshot.as_deref())
                    .await
                    .map_err(|e| Failure::from(anyhow::anyhow!("{e}")))?;
            if let Some(line) = cli
                .snapshot
                .as_deref()
                .and_then(|d| state.live.start.describe(d))
            {
                eprintln!("{line}");
            }
            state.allow_private_webhooks = *allow_private_webhooks;
            state.cluster = cluster;
            let first_run = store.users().await?.is_empty();
            println!(
                "Revline on http://{addr} ({})\n\
                 {}\n\
                 The HTTP API is under /api/v1 (reports at /api/v1/reports/NAME); scripts sign in \
                 with a token from Settings or `revline token create --email YOU`.",
                store.location(),
                if first_run {
                    format!(
                        "First run: open http://{addr}/ and create the admin (or `revline user add --email YOU --role admin`)."
                    )
                } else {
                    format!("Sign in at http://{addr}/login.")
                }
            );
            revline_web::serve(state, *addr).await?;
            Ok(0)
        }
        Command::User { action } => {
            let store = open_store(&cli).await?;
            let code = user(&*store, action).await;
            store.close().await;
            code
        }
        Command::Token {
            action: crate::TokenAction::Create { email },
        } => {
            let store = open_store(&cli).await?;
            let email = revline_core::normalize::normalize_email(email)
                .ok_or_else(|| usage(format!("--email: '{email}' is not an address")))?;
            let Some(user) = store.user_by_email(&email).await? else {
                return Err(usage(format!(
                    "no user {email}: create one with revline user add --email {email} --role viewer"
                )));
            };
            let (token, digest) = revline_web::access::new_token();
            store
                .create_token(user.id, &digest, chrono::Utc::now().timestamp_millis())
                .await?;
            store.close().await;
            println!(
                "API token for {} ({}); it is shown only this once:",
                user.email, user.role
            );
            println!("{token}");
            Ok(0)
        }
        Command::Alerts { action } => {
            let store = open_store(&cli).await?;
            let now = chrono::Utc::now().timestamp_millis();
            crate::alerts::run(&*store, action, now).await
        }
        Command::Digest {
            send,
            allow_private_webhooks,
            ..
        } => {
            let store = open_store(&cli).await?;
            let now = chrono::Utc::now().timestamp_millis();
            crate::alerts::digest(&*store, *send, *allow_private_webhooks, now).await
        }
        Command::Contacts { action } => {
            let store = open_store(&cli).await?;
            let now = chrono::Utc::now().timestamp_millis();
            crate::contacts::run(&*store, action, now).await
        }
        Command::Imports { limit, format } => {
            let store = open_store(&cli).await?;
            let runs = store.import_runs(*limit).await?;
            match format {
                Format::Json => {
                    let list: Vec<serde_json::Value> = runs
                        .iter()
                        .map(|r| {
                            serde_json::json!({
                                "id": r.id, "source": r.source, "dry_run": r.dry_run,
                                "started_at": revline_core::time::format_timestamp(r.started_at),
                                "finished_at": r.finished_at.map(revline_core::time::format_timestamp),
                                "status": r.shown_status(),
                                "summary": r.summary.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()),
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list).expect("json"));
                }
                Format::Table => {
                    println!("{:>5}  {:<20}  {:<9}  source", "run", "started", "status");
                    for r in runs {
                        let dry = if r.dry_run { " (dry run)" } else { "" };
                        println!(
                            "{:>5}  {:<20}  {:<9}  {}{dry}",
                            r.id,
                            revline_core::time::format_timestamp(r.started_at),
                            r.shown_status(),
                            r.source
                        );
                    }
                }
            }
            Ok(0)
        }
    }
}

/// The demo's history ends just before today (00:00 UTC): everything up to yesterday.
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A progress bar on stderr, only when stderr is a terminal.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new() -> Bar {
        Bar(std::io::stderr().is_terminal().then(ProgressBar::no_length))
    }
}

impl Progress for Bar {
    fn begin(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
            b.set_style(
                ProgressStyle::with_template("{msg:24!} [{bar:40}] {bytes}/{total_bytes} ({eta})")
                    .expect("template")
                    .progress_chars("=> "),
            );
        }
    }
    fn file(&self, label: &str) {
        if let Some(b) = &self.0 {
            b.set_message(label.to_string());
        }
    }
    fn position(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.set_position(bytes);
        }
    }
    fn end(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

async fn import(
    store: &dyn Store,
    path: &Path,
    options: &ImportOptions,
    format: Format,
) -> Result<u8, Failure> {
    let started = std::time::Instant::now();
    let summary = match import_path(store, path, options, &Bar::new()).await {
        Ok(s) => s,
        Err(ImportError::Unusable(m)) => return Err(usage(m)),
        Err(ImportError::Mapping(m)) => return Err(usage(m)),
        Err(e) => return Err(e.into()),
    };
    if !options.dry_run {
        tell_servers(store, &format!("import of {}", path.display()), false).await;
    }
    match format {
        Format::Json => println!("{}", summary.to_json()),
        Format::Table => print!(
            "{}\n{}",
            summary.to_table(),
            summary.throughput_line(started.elapsed())
        ),
    }
    Ok(summary.exit_code() as u8)
}

async fn demo(
    cli: &Cli,
    config: revline_demo::DemoConfig,
    out: Option<&Path>,
) -> Result<u8, Failure> {
    let started = Instant::now();
    if let Some(dir) = out {
        // The CSV files are the export of a store holding the demo, so they are
        // canonical and import back exactly by construction.
        let temp = tempfile::tempdir()?;
        let store = SqliteStore::open(&temp.path().join("demo.db")).await?;
        let counts = load_demo(&store, &config).await?;
        let written = revline_ingest::export::export_store(&store, dir).await?;
        println!(
            "Wrote a demo workspace (seed {}, {} contacts) to {}:",
            config.seed,
            config.contacts,
            dir.display()
        );
        for (kind, rows) in written {
            println!("  {:<12} {rows:>10}", format!("{}.csv", kind.name()));
        }
        let _ = counts;
        println!("in {:.1} s", started.elapsed().as_secs_f64());
        return Ok(0);
    }
    let store = open_store(cli).await?;
    let counts = load_demo(&*store, &config).await?;
    print_demo_report(&*store, &config, &counts, started.elapsed().as_secs_f64()).await?;
    store.close().await;
    Ok(0)
}

/// Streams the generator into the store in batches, one transaction each.
async fn load_demo(
    store: &dyn Store,
    config: &revline_demo::DemoConfig,
) -> Result<HashMap<RecordKind, u64>, Failure> {
    store.save_settings(&revline_demo::demo_settings()).await?;
    const BATCH: usize = 5_000;
    type Batch = (RecordKind, Vec<Record>, Vec<i64>);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(4);
    // Written batches go back to the generating thread, which frees the records it
    // allocated (cheaper there than across threads) and reuses the vectors.
    let (spent, returned) = std::sync::mpsc::channel::<Vec<Record>>();
    let generator = {
        let config = config.clone();
        std::thread::spawn(move || {
            let mut buffers: HashMap<RecordKind, Vec<Record>> = HashMap::new();
            let mut open = true;
            let send = |kind: RecordKind, records: Vec<Record>| {
                // Hashed here, on the generating thread, not on the writing one.
                let hashes = records.iter().map(Record::content_hash).collect();
                tx.blocking_send((kind, records, hashes)).is_ok()
            };
            revline_demo::generate(&config, &mut |record: Record| {
                let kind = record.kind;
                let buffer = buffers
                    .entry(kind)
                    .or_insert_with(|| Vec::with_capacity(BATCH));
                buffer.push(record);
                if open && buffer.len() >= BATCH {
                    let next = match returned.try_recv() {
                        Ok(mut v) => {
                            v.clear();
                            v
                        }
                        Err(_) => Vec::with_capacity(BATCH),
                    };
                    open = send(kind, std::mem::replace(buffer, next));
                }
            });
            for kind in RecordKind::ALL {
                if let Some(rest) = buffers.remove(&kind).filter(|b| !b.is_empty()) {
                    send(kind, rest);
                }
            }
        })
    };
    let bar = Bar::new();
    if let Some(b) = &bar.0 {
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} {pos} records ({per_sec})")
                .expect("template"),
        );
        b.set_message("generating demo workspace:");
    }
    let mut counts: HashMap<RecordKind, u64> = HashMap::new();
    // Kinds that start empty take the plain insert path; a demo loaded again over
    // itself upserts and changes nothing.
    let mut fresh: HashMap<RecordKind, bool> = HashMap::new();
    for kind in RecordKind::ALL {
        fresh.insert(kind, store.is_empty(kind).await?);
    }
    while let Some((kind, batch, hashes)) = rx.recv().await {
        if fresh[&kind] {
            let skipped = store.insert_new_hashed(kind, &batch, &hashes).await?;
            if !skipped.is_empty() {
                return Err(anyhow::anyhow!(
                    "the demo generator repeated {} {kind} ids",
                    skipped.len()
                )
                .into());
            }
        } else {
            store.write_batch(kind, &batch).await?;
        }
        *counts.entry(kind).or_default() += batch.len() as u64;
        if let Some(b) = &bar.0 {
            b.inc(batch.len() as u64);
        }
        // The generator may have finished; then the batch is freed here.
        let _ = spent.send(batch);
    }
    bar.end();
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("the demo generator failed"))?;
    Ok(counts)
}

async fn print_demo_report(
    store: &dyn Store,
    config: &revline_demo::DemoConfig,
    counts: &HashMap<RecordKind, u64>,
    seconds: f64,
) -> Result<(), Failure> {
    println!(
        "Loaded a demo workspace into {} ({}) in {seconds:.1} s: seed {}, {} contacts, history up to {}.",
        store.location(),
        store.backend(),
        config.seed,
        config.contacts,
        config.end
    );
    println!();
    println!("{:<12} {:>10} {:>12}", "records", "generated", "in store");
    for kind in RecordKind::ALL {
        let generated = counts.get(&kind).copied().unwrap_or(0);
        println!(
            "{:<12} {generated:>10} {:>12}",
            kind.name(),
            store.count(kind).await?
        );
    }
    let settings = store.settings().await?;
    println!();
    println!(
        "Settings: currency {}, time zone {}, funnel {}, SLA {} h.",
        settings.currency,
        settings.timezone.name(),
        settings.stages.join(" -> "),
        settings.sla_hours
    );
    if config.planted_problems {
        println!();
        println!("Planted problems (what the bottleneck finder should surface):");
        for p in revline_demo::PLANTED_PROBLEMS {
            println!("  - {} [{}]: {}", p.link, p.slice, p.description);
        }
    }
    println!();
    println!(
        "Next: revline report scorecard (or funnel, bottlenecks, attribution, cohorts, forecast), revline serve, revline export DIR"
    );
    Ok(())
}

async fn user(store: &dyn Store, action: &crate::UserAction) -> Result<u8, Failure> {
    match action {
        crate::UserAction::List => {
            for u in store.users().await? {
                println!(
                    "{:<40} {:<7} {}",
                    u.email,
                    u.role,
                    if u.password_hash.is_some() {
                        "password"
                    } else {
                        "tokens only"
                    }
                );
            }
            Ok(0)
        }
        crate::UserAction::Add {
            email,
            role,
            password_stdin,
        } => {
            use std::io::{BufRead, Write};
            if !*password_stdin && std::io::stdin().is_terminal() {
                eprint!("Password for {email} (empty: API tokens only): ");
                std::io::stderr().flush()?;
            }
            // One line: piped with --password-stdin, or typed at the prompt.
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let user = revline_web::auth::create_user(
                store,
                revline_web::auth::NewUser::Another,
                email,
                role,
                Some(password).filter(|p| !p.is_empty()),
                chrono::Utc::now().timestamp_millis(),
            )
            .await
            .map_err(|e| match e {
                revline_web::auth::NewUserError::Store(revline_store::StoreError::Conflict(m)) => {
                    usage(m)
                }
                revline_web::auth::NewUserError::Store(other) => Failure::from(other),
                other => usage(other.to_string()),
            })?
            .expect("another user is always made");
            println!("Created {} ({})", user.email, user.role);
            Ok(0)
        }
    }
}

/// Tells servers running on the same database (PostgreSQL) to read the workspace again
/// (and its settings, when they changed); a failure to tell is a warning, not a failure
/// of what was done.
pub(crate) async fn tell_servers(store: &dyn Store, what: &str, settings: bool) {
    let note = revline_store::ChangeNote {
        origin: format!("cli {}", revline_store::runner_id()),
        what: what.to_string(),
        written: Vec::new(),
        rebuild: true,
        settings,
    };
    if let Err(e) = store.announce(&note).await {
        eprintln!("warning: running servers were not told ({what}): {e}");
    }
}

/// A server's cluster (`serve --cluster H:P`), which reads the files of `--snapshot`.
fn cluster_reports(
    cluster: Option<&str>,
    files: Option<&std::path::Path>,
) -> Result<Option<std::sync::Arc<revline_web::cluster::ClusterReports>>, Failure> {
    let Some(cluster) = cluster else {
        return Ok(None);
    };
    let dir =
        files.ok_or_else(|| crate::usage("--cluster reads snapshot files: give --snapshot DIR"))?;
    #[cfg(feature = "cluster")]
    return Ok(Some(std::sync::Arc::new(
        revline_web::cluster::ClusterReports::new(
            std::sync::Arc::new(crate::cluster::Runner {
                cluster: cluster.to_string(),
                timeout: crate::cluster::SERVER_QUERY_TIMEOUT,
            }),
            dir.to_path_buf(),
        ),
    )));
    #[cfg(not(feature = "cluster"))]
    {
        let _ = (cluster, dir);
        Err(crate::without_cluster())
    }
}
