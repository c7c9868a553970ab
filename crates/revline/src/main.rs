//! The `revline` command line: wires the stores, the importers and the demo together.
//!
//! Exit codes: 0 success; 1 a failure while working (database, disk); 2 unusable input
//! or a usage error; 3 an import where some rows were rejected (the good ones landed).

mod alerts;
#[cfg(feature = "cluster")]
mod cluster;
mod commands;
mod contacts;
mod report;
mod scores_table;
mod snapshot;

// Importing allocates and frees many small strings on two threads; mimalloc does that
// markedly faster than glibc's allocator (docs/benchmarks.md has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "revline",
    version,
    about = "The shared revenue room: one journey, one scorecard, one set of revenue numbers"
)]
pub struct Cli {
    /// The embedded SQLite store (created and migrated on first use).
    #[arg(long, global = true, env = "REVLINE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// A PostgreSQL store, e.g. postgres://user:pass@host/db (used when --db is not given).
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Snapshot files to start reports and the server from when they reflect the store
    /// (written there when they do not); see `revline snapshot`.
    #[arg(long, global = true, env = "REVLINE_SNAPSHOT", value_name = "DIR")]
    pub snapshot: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum SnapshotAction {
    /// Write the store's workspace into DIR (replacing what is there).
    Write {
        dir: PathBuf,
        /// Contact shards (files per table): a hash of the contact id picks the shard.
        #[arg(long, default_value_t = revline_files::DEFAULT_SHARDS, value_parser = clap::value_parser!(u32).range(1..=4096))]
        shards: u32,
    },
    /// The manifest of DIR and whether it reflects the store.
    Show {
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClusterAction {
    /// Run a scheduler: it plans cluster queries and hands their tasks to executors.
    Scheduler {
        #[arg(long, default_value = "127.0.0.1:50050")]
        addr: std::net::SocketAddr,
    },
    /// Run an executor: it runs tasks over the snapshot files, which must be at the
    /// same path on every node.
    Executor {
        /// The scheduler's HOST:PORT.
        #[arg(long, value_name = "HOST:PORT")]
        scheduler: String,
        /// Where clients fetch results (Arrow Flight).
        #[arg(long, default_value = "127.0.0.1:50051")]
        addr: std::net::SocketAddr,
        /// Where the scheduler sends tasks (default: the port after --addr's).
        #[arg(long, value_name = "PORT")]
        grpc_port: Option<u16>,
        /// Tasks run at once (default: the machine's cores).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        cores: Option<u16>,
        /// Where results wait until fetched (default: a folder in the temp directory
        /// named after the port).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FunnelView {
    Cohort,
    Flow,
}

/// The reports (metrics.md).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportName {
    /// Revenue-linked KPIs against the previous period and the targets.
    Scorecard,
    /// Cohort or flow funnel: conversion and time between stages.
    Funnel,
    /// Lead response time and the marketing-to-sales SLA.
    Sla,
    /// Customers by acquisition month: revenue retention, NRR/GRR, cohort LTV.
    Cohorts,
    /// Weighted pipeline, commit / best case, run-rate and the reverse funnel.
    Forecast,
    /// One contact's or account's whole timeline.
    Journeys,
    /// Revenue credited to channels: rule-based models and the exact Markov model.
    Attribution,
    /// Every link of the revenue chain against its benchmark, ranked by revenue at stake.
    Bottlenecks,
    /// Subscription revenue: MRR and ARR, and each month's movements.
    Mrr,
    /// The people behind one funnel stage's count (--stage), with the funnel's flags.
    Members,
    /// Lead scores learned from the workspace's history, their accuracy and the threshold.
    Scores,
}

/// Options of `revline report`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportOptions {
    /// Start of the period (date or date-time, workspace time zone); default: the 12
    /// whole months before the as-of month, or 12 months before --to (forecast: the
    /// start of the as-of year).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// End of the period, exclusive; default: the start of the as-of month, or the
    /// as-of time when only --from is given (forecast: the end of the as-of year).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Members: the funnel stage whose people to list.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// Pin "now" (default: the current time).
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Break down by channel, first_touch_channel, campaign, segment, owner, country or
    /// score_band (the band of the lead score: top 0–10%, ..., top 50–100%).
    #[arg(long, value_name = "DIM")]
    pub by: Option<String>,
    /// Count only one slice, DIM:VALUE (e.g. channel:paid_search, segment:enterprise,
    /// "score_band:top 0–10%"); every report but journeys and scores.
    #[arg(long, value_name = "DIM:VALUE")]
    pub filter: Option<String>,
    /// Funnel: count a stage only when reached within this many days of the first.
    #[arg(long, value_name = "DAYS")]
    pub window_days: Option<f64>,
    /// Funnel: follow the period's new leads (cohort) or count the period's stage
    /// entries (flow).
    #[arg(long, value_enum, default_value_t = FunnelView::Cohort)]
    pub view: FunnelView,
    /// Journeys: the contact whose timeline to show.
    #[arg(long, value_name = "ID")]
    pub contact: Option<String>,
    /// Journeys: the contact with this email.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Journeys: the account whose timeline (all its contacts) to show.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Attribution: first_touch, last_touch, linear, time_decay, position_based, w_shaped,
    /// markov, or all (default: all, side by side).
    #[arg(long, value_name = "MODEL", default_value = "all")]
    pub model: String,
    /// Attribution: Markov order, 1 to 4.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub order: usize,
    /// Attribution: touches this many days before a conversion count (default: the
    /// workspace's lookback_days).
    #[arg(long, value_name = "DAYS")]
    pub lookback_days: Option<f64>,
    /// Attribution: half-life of the time-decay model in days.
    #[arg(long, value_name = "DAYS", default_value_t = 7.0)]
    pub half_life_days: f64,
    /// Attribution: what converts: won, created or stage:NAME.
    #[arg(long, value_name = "KIND", default_value = "won")]
    pub conversion: String,
    /// Attribution: journeys of every contact of the account.
    #[arg(long)]
    pub account_based: bool,
    /// Attribution: which touches make up journeys: all (default) or marketing (sales
    /// and service touches left out).
    #[arg(long, value_name = "WHICH")]
    pub touches: Option<String>,
    /// Attribution: a CSV of aggregated paths (path, total_conversions,
    /// total_conversion_value, total_null) instead of the store.
    #[arg(long, value_name = "FILE")]
    pub paths: Option<std::path::PathBuf>,
    /// Bottlenecks: recompute revenue and the reverse funnel with one link lifted,
    /// e.g. conversion:mql->sql=0.6, handoff=0.95 or retention=0.99.
    #[arg(long, value_name = "LINK=RATE")]
    pub what_if: Option<String>,
    /// Bottlenecks: the smallest gap worth reporting, as a share of the benchmark.
    #[arg(long, value_name = "SHARE", default_value_t = 0.25)]
    pub min_gap: f64,
    /// Bottlenecks: a step counts as converted when the next stage follows within this
    /// many days; younger cohorts are not judged yet.
    #[arg(long, value_name = "DAYS", default_value_t = 90.0)]
    pub maturity_days: f64,
    /// Forecast: plan for this revenue target instead of the one in targets.csv.
    /// Scores: the stage to predict (default: customer).
    #[arg(long, value_name = "AMOUNT|STAGE")]
    pub target: Option<String>,
    /// Scores: the target counts when reached within this many days of the lead entry.
    #[arg(long, value_name = "DAYS")]
    pub horizon_days: Option<f64>,
    /// Scores: train on what was known at this time (default: the as-of time).
    #[arg(long, value_name = "TIME")]
    pub train_as_of: Option<String>,
    /// Scores: sales' capacity in leads per month for the threshold (default: the
    /// current rate of SQLs per month).
    #[arg(long, value_name = "LEADS")]
    pub capacity: Option<f64>,
    /// Scores: only these contacts (comma-separated ids), whenever they were created.
    #[arg(long, value_name = "ID,ID")]
    pub contacts: Option<String>,
    /// Run the report on a Revline cluster (its scheduler's HOST:PORT) over the snapshot
    /// files of --snapshot, shard by shard, with the in-memory report's figures.
    #[arg(long, value_name = "HOST:PORT")]
    pub cluster: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate a realistic demo workspace into the store, or as canonical CSV files.
    Demo {
        /// Number of contacts.
        #[arg(long, default_value_t = 20_000)]
        contacts: u64,
        /// Seed: the same seed gives the same workspace.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write canonical CSV files into this folder instead of the store.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The generated history ends just before this day (default: today).
        #[arg(long, value_name = "DATE")]
        end: Option<chrono::NaiveDate>,
        /// Generate the workspace without its planted problems.
        #[arg(long)]
        no_problems: bool,
    },
    /// Import a folder of canonical CSV files, or one CSV, NDJSON or XLSX file.
    Import {
        path: PathBuf,
        /// A TOML mapping: column renames, constants, date formats, value maps, file kinds.
        #[arg(long, value_name = "FILE")]
        map: Option<PathBuf>,
        /// Standard export columns of a CRM: hubspot, salesforce or pipedrive.
        #[arg(long, value_name = "NAME")]
        preset: Option<String>,
        /// Validate and count, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Create placeholder accounts, contacts and deals for unknown references.
        #[arg(long)]
        create_missing: bool,
        /// Text encoding of the files (windows-1250, iso-8859-2, ...); default UTF-8.
        #[arg(long, value_name = "NAME")]
        encoding: Option<String>,
        /// Amounts are written with a decimal comma (1 234,50).
        #[arg(long)]
        decimal_comma: bool,
        /// The record kind of a single file whose name does not tell it.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Rows per transaction (default: what the store handles best).
        #[arg(long, hide = true)]
        batch_size: Option<usize>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write the whole store as canonical CSV files (re-importable losslessly).
    Export { dir: PathBuf },
    /// Make a consistent copy of the store while it is in use.
    Backup { file: PathBuf },
    /// Show or change workspace settings.
    Settings {
        #[command(subcommand)]
        action: Option<SettingsAction>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Compute a report from the store.
    Report {
        name: ReportName,
        #[command(flatten)]
        options: Box<ReportOptions>,
    },
    /// Columnar snapshot files: the workspace as Parquet by contact shard.
    Snapshot {
        #[command(subcommand)]
        action: SnapshotAction,
    },
    /// Nodes of a Revline cluster (Apache DataFusion Ballista) for reports over snapshot
    /// files that one machine cannot hold.
    Cluster {
        #[command(subcommand)]
        action: ClusterAction,
    },
    /// Serve the web app (the revenue room) and the HTTP API under /api/v1.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Fill an empty store with the demo workspace first.
        #[arg(long)]
        demo: bool,
        /// Pin "now" for every page and report (reviews of a past day, and tests).
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        /// Let webhooks reach loopback and private addresses (refused by default).
        #[arg(long)]
        allow_private_webhooks: bool,
        /// Answer the reports that run shard by shard (funnel, attribution, sla) from a
        /// Revline cluster (its scheduler's HOST:PORT) over the files of --snapshot.
        #[arg(long, value_name = "HOST:PORT")]
        cluster: Option<String>,
    },
    /// Rules that watch the revenue chain and tell people when a link degrades.
    Alerts {
        #[command(subcommand)]
        action: alerts::AlertsAction,
    },
    /// The digest (alerts.md): the scorecard against pace, the top bottlenecks and the
    /// alerts since the last one. `--preview` prints it; `--send` sends it now.
    Digest {
        #[arg(long, required_unless_present = "send")]
        preview: bool,
        #[arg(long, conflicts_with = "preview")]
        send: bool,
        /// Let webhooks reach loopback and private addresses (refused by default).
        #[arg(long)]
        allow_private_webhooks: bool,
    },
    /// Manage the people who use the web app and the API.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// API tokens for scripts.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Duplicate emails, and merging contacts that are one person.
    Contacts {
        #[command(subcommand)]
        action: contacts::ContactsAction,
    },
    /// The log of import runs, newest first.
    Imports {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Create a user. The password is read from stdin with --password-stdin, else
    /// asked for on the terminal; an empty one makes a user who signs in with API tokens
    /// only.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = revline_web::auth::Role::NAMES)]
        role: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users.
    List,
}

#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Print a new API token for the user, alone on the last line (shown only once).
    Create {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SettingsAction {
    /// Print every setting.
    Show,
    /// Change one setting: currency, timezone, stages, sla_hours, gross_margin, lookback_days.
    Set { key: String, value: String },
}

/// An error with the exit code it should produce.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: 1,
            error: e.into(),
        }
    }
}

/// What a binary built without the cluster says when asked for it.
#[cfg(not(feature = "cluster"))]
pub fn without_cluster() -> Failure {
    usage(
        "this revline was built without the cluster; build it with `cargo build --release --features cluster` (docs/scale.md)",
    )
}

pub fn usage(message: impl std::fmt::Display) -> Failure {
    Failure {
        code: 2,
        error: anyhow::anyhow!("{message}"),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Warnings (a delivery that failed, a change other servers were not told of) on
    // stderr, so that a report's stdout stays clean; `RUST_LOG=info` shows more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(Failure { code, error }) => {
            eprintln!("error: {error:#}");
            ExitCode::from(code)
        }
    }
}
