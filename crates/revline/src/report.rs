//! `revline report`: builds the snapshot from the store, runs the engine, prints.

use crate::{Failure, ReportFormat, ReportName, usage};
use revline_core::time::{MILLIS_PER_DAY, parse_timestamp};
use revline_core::{Millis, Settings};
use revline_engine::{FunnelQuery, FunnelReport, SnapshotBuilder};
use revline_store::Store;

pub struct ReportArgs<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub as_of: Option<&'a str>,
    pub window_days: Option<f64>,
    pub view: revline_engine::funnel::View,
    pub format: ReportFormat,
}

fn instant(text: &str, settings: &Settings, flag: &str) -> Result<Millis, Failure> {
    parse_timestamp(text, settings.timezone).map_err(|e| usage(format!("{flag}: {e}")))
}

/// Streams the records that place contacts in the funnel into a snapshot.
pub async fn snapshot(
    store: &dyn Store,
    settings: &Settings,
) -> Result<revline_engine::Snapshot, Failure> {
    const PAGE: usize = 50_000;
    let mut builder = SnapshotBuilder::new(settings);
    for (kind, columns) in SnapshotBuilder::INPUTS {
        let mut after: Option<String> = None;
        loop {
            let page = store
                .read_columns(*kind, columns, after.as_deref(), PAGE)
                .await?;
            for r in &page {
                builder.add(r);
            }
            if page.len() < PAGE {
                break;
            }
            after = page.last().map(|r| r.id.clone());
        }
    }
    Ok(builder.build())
}

pub async fn run(store: &dyn Store, name: ReportName, args: ReportArgs<'_>) -> Result<u8, Failure> {
    let settings = store.settings().await?;
    let as_of = match args.as_of {
        Some(t) => instant(t, &settings, "--as-of")?,
        None => chrono::Utc::now().timestamp_millis(),
    };
    let to = match args.to {
        Some(t) => instant(t, &settings, "--to")?,
        None => as_of,
    };
    let from = match args.from {
        Some(t) => instant(t, &settings, "--from")?,
        None => to - 365 * MILLIS_PER_DAY,
    };
    if from >= to {
        return Err(usage("--from must be before --to"));
    }
    if args.window_days.is_some_and(|w| w.is_nan() || w < 0.0) {
        return Err(usage("--window-days must be a number of days, 0 or more"));
    }
    match name {
        ReportName::Funnel => {
            let snap = snapshot(store, &settings).await?;
            let report = revline_engine::funnel(
                &snap,
                &FunnelQuery {
                    from,
                    to,
                    as_of,
                    window_days: args.window_days,
                    view: args.view,
                },
            );
            print_funnel(&report, args.format);
        }
    }
    Ok(0)
}

fn rate(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn days(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |d| format!("{d:.1}"))
}

fn csv_cell(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

fn print_funnel(report: &FunnelReport, format: ReportFormat) {
    match format {
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(report).expect("reports serialise")
        ),
        ReportFormat::Csv => {
            println!(
                "stage,reached,step_conversion,step_conversion_low,step_conversion_high,cumulative_conversion,median_days_from_previous,p90_days_from_previous,rework"
            );
            for s in &report.stages {
                println!(
                    "{},{},{},{},{},{},{},{},{}",
                    s.stage,
                    s.reached,
                    csv_cell(s.step_conversion),
                    csv_cell(s.step_conversion_low),
                    csv_cell(s.step_conversion_high),
                    csv_cell(s.cumulative_conversion),
                    csv_cell(s.median_days_from_previous),
                    csv_cell(s.p90_days_from_previous),
                    s.rework
                );
            }
        }
        ReportFormat::Table => {
            match report.view {
                revline_engine::funnel::View::Cohort => println!(
                    "Funnel (cohort: entered {} in [{}, {}), as of {})",
                    report.stages.first().map_or("-", |s| s.stage.as_str()),
                    report.period.from,
                    report.period.to,
                    report.as_of
                ),
                revline_engine::funnel::View::Flow => println!(
                    "Funnel (flow: stage entries in [{}, {}), as of {})",
                    report.period.from, report.period.to, report.as_of
                ),
            }
            if let Some(w) = report.window_days {
                println!("Conversion window: {w} days from the first stage");
            }
            println!(
                "{:<14} {:>9} {:>8} {:>17} {:>10} {:>12} {:>10} {:>7}",
                "stage",
                "reached",
                "step",
                "step 90% interval",
                "cumulative",
                "median days",
                "p90 days",
                "rework"
            );
            for s in &report.stages {
                let interval = match (s.step_conversion_low, s.step_conversion_high) {
                    (Some(l), Some(h)) => format!("{:.1}-{:.1}%", l * 100.0, h * 100.0),
                    _ => "-".to_string(),
                };
                println!(
                    "{:<14} {:>9} {:>8} {:>17} {:>10} {:>12} {:>10} {:>7}",
                    s.stage,
                    s.reached,
                    rate(s.step_conversion),
                    interval,
                    rate(s.cumulative_conversion),
                    days(s.median_days_from_previous),
                    days(s.p90_days_from_previous),
                    s.rework
                );
            }
        }
    }
}
