//! `revline report`: builds the snapshot from the store, runs the engine, prints the
//! report as a table, one JSON document or CSV.

use crate::{Failure, FunnelView, ReportFormat, ReportName, ReportOptions, usage};
use revline_core::time::{MILLIS_PER_DAY, parse_timestamp};
use revline_core::{Millis, RecordKind, Settings};
use revline_engine::cohorts::CohortsReport;
use revline_engine::forecast::{ForecastOptions, ForecastReport};
use revline_engine::funnel::View;
use revline_engine::journeys::{JourneyReport, Subject};
use revline_engine::scorecard::ScorecardReport;
use revline_engine::sla::SlaReport;
use revline_engine::{
    By, Dim, FunnelQuery, FunnelReport, Scope, Snapshot, SnapshotBuilder, Window,
};
use revline_store::Store;
use serde::Serialize;

type Inputs<'a> = &'a [(RecordKind, &'static [&'static str])];

fn instant(text: &str, settings: &Settings, flag: &str) -> Result<Millis, Failure> {
    parse_timestamp(text, settings.timezone).map_err(|e| usage(format!("{flag}: {e}")))
}

/// Streams the records the reports read into a snapshot.
pub async fn snapshot(
    store: &dyn Store,
    settings: &Settings,
    inputs: Inputs<'_>,
) -> Result<Snapshot, Failure> {
    let mut builder = SnapshotBuilder::new(settings);
    for (kind, columns) in inputs {
        store
            .scan_columns(*kind, columns, &mut |row| builder.add(row))
            .await?;
    }
    Ok(builder.build())
}

/// The period of a report: explicit flags, else the report's default.
fn window(
    options: &ReportOptions,
    settings: &Settings,
    name: ReportName,
) -> Result<Window, Failure> {
    let as_of = match &options.as_of {
        Some(t) => instant(t, settings, "--as-of")?,
        None => chrono::Utc::now().timestamp_millis(),
    };
    let (default_from, default_to) = if name == ReportName::Forecast {
        // The plan covers the calendar year of the as-of time.
        let year = chrono::TimeZone::timestamp_millis_opt(&settings.timezone, as_of)
            .single()
            .map_or(1970, |t| chrono::Datelike::year(&t));
        let start = |y: i32| {
            revline_engine::snapshot::day_start(
                settings.timezone,
                chrono::NaiveDate::from_ymd_opt(y, 1, 1).expect("1 January"),
            )
        };
        (Some(start(year)), start(year + 1))
    } else {
        (None, as_of)
    };
    let to = match &options.to {
        Some(t) => instant(t, settings, "--to")?,
        None => default_to,
    };
    let from = match &options.from {
        Some(t) => instant(t, settings, "--from")?,
        None => default_from.unwrap_or(to - 365 * MILLIS_PER_DAY),
    };
    if from >= to {
        return Err(usage("--from must be before --to"));
    }
    Ok(Window { from, to, as_of })
}

pub async fn run(
    store: &dyn Store,
    name: ReportName,
    options: &ReportOptions,
) -> Result<u8, Failure> {
    let settings = store.settings().await?;
    let w = window(options, &settings, name)?;
    if name == ReportName::Attribution {
        return attribution(store, &settings, &w, options).await;
    }
    if options.window_days.is_some_and(|d| d.is_nan() || d < 0.0) {
        return Err(usage("--window-days must be a number of days, 0 or more"));
    }
    let by = match &options.by {
        None => None,
        Some(text) => Some(Dim::parse(text).ok_or_else(|| {
            usage(format!(
                "--by: unknown dimension '{text}' (channel, first_touch_channel, campaign, segment, owner, country)"
            ))
        })?),
    };
    if name == ReportName::Journeys && by.is_some() {
        return Err(usage("--by does not apply to journeys"));
    }
    let subject_id = match name {
        ReportName::Journeys => Some(journey_subject(store, options).await?),
        _ => None,
    };
    // Touchpoints are most of a workspace's rows: read them only for the reports and
    // breakdowns that look at them.
    let by_touch = matches!(
        by,
        Some(Dim::Channel | Dim::FirstTouchChannel | Dim::Campaign)
    );
    let inputs: Vec<_> = match name {
        ReportName::Funnel if by.is_none() => SnapshotBuilder::FUNNEL_INPUTS.to_vec(),
        ReportName::Cohorts | ReportName::Forecast | ReportName::Funnel if !by_touch => {
            SnapshotBuilder::ALL_INPUTS
                .iter()
                .filter(|(kind, _)| *kind != RecordKind::Touchpoints)
                .copied()
                .collect()
        }
        _ => SnapshotBuilder::ALL_INPUTS.to_vec(),
    };
    let snap = snapshot(store, &settings, &inputs).await?;
    let format = options.format;
    match name {
        ReportName::Funnel => {
            let query = FunnelQuery {
                from: w.from,
                to: w.to,
                as_of: w.as_of,
                window_days: options.window_days,
                view: match options.view {
                    FunnelView::Cohort => View::Cohort,
                    FunnelView::Flow => View::Flow,
                },
            };
            emit(&snap, by, format, |scope| {
                revline_engine::funnel::funnel_in(&snap, &query, &scope)
            });
        }
        ReportName::Scorecard => emit(&snap, by, format, |scope| {
            revline_engine::scorecard::scorecard(&snap, &scope, &w, None)
        }),
        ReportName::Sla => emit(&snap, by, format, |scope| {
            revline_engine::sla::sla(&snap, &scope, &w)
        }),
        ReportName::Cohorts => emit(&snap, by, format, |scope| {
            revline_engine::cohorts::cohorts(&snap, &scope, &w)
        }),
        ReportName::Forecast => {
            let opts = ForecastOptions {
                target: options.target,
            };
            emit(&snap, by, format, |scope| {
                revline_engine::forecast::forecast(&snap, &scope, &w, opts)
            })
        }
        ReportName::Attribution => unreachable!("handled above"),
        ReportName::Bottlenecks => {
            let mut query = revline_engine::bottlenecks::BottleneckQuery::new(w);
            if !(0.0..1.0).contains(&options.min_gap) {
                return Err(usage("--min-gap must be a share from 0 up to 1"));
            }
            if options.maturity_days.is_nan() || options.maturity_days <= 0.0 {
                return Err(usage("--maturity-days must be more than 0"));
            }
            query.min_gap = options.min_gap;
            query.maturity_days = options.maturity_days;
            if let Some(text) = &options.what_if {
                let (link, rate) = text
                    .rsplit_once('=')
                    .and_then(|(l, r)| Some((l.trim().to_string(), r.trim().parse::<f64>().ok()?)))
                    .filter(|(_, r)| (0.0..=1.0).contains(r))
                    .ok_or_else(|| {
                        usage(format!(
                            "--what-if: '{text}' (expected LINK=RATE, a rate from 0 to 1)"
                        ))
                    })?;
                query.what_if = Some((link, rate));
            }
            if by.is_some() {
                return Err(usage(
                    "--by does not apply to bottlenecks: every finding is drilled down by every dimension",
                ));
            }
            let report = revline_engine::bottlenecks::bottlenecks(&snap, &query);
            if let (Some((link, _)), Some(w)) = (&query.what_if, &report.what_if)
                && w.current.is_none()
            {
                return Err(usage(format!(
                    "--what-if: no link '{link}' (links: {})",
                    report
                        .links
                        .iter()
                        .map(|l| l.link.as_str())
                        .filter(|l| !l.starts_with("time:"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            print_one(&report, format);
        }
        ReportName::Journeys => {
            let (kind, id) = subject_id.expect("journeys has a subject");
            let subject = match kind {
                RecordKind::Accounts => snap.accounts.ids.get(&id).map(Subject::Account),
                _ => snap
                    .contact_ids
                    .iter()
                    .position(|c| *c == id)
                    .map(|c| Subject::Contact(c as u32)),
            }
            .ok_or_else(|| {
                usage(format!(
                    "no {} with id '{id}'",
                    kind.name().trim_end_matches('s')
                ))
            })?;
            let report = revline_engine::journeys::journey(&snap, subject);
            print_one(&report, format);
        }
    }
    Ok(0)
}

/// Which contact or account a journeys report is about (by id, or a contact by email).
async fn journey_subject(
    store: &dyn Store,
    options: &ReportOptions,
) -> Result<(RecordKind, String), Failure> {
    match (&options.contact, &options.email, &options.account) {
        (Some(id), None, None) => Ok((RecordKind::Contacts, id.trim().to_string())),
        (None, None, Some(id)) => Ok((RecordKind::Accounts, id.trim().to_string())),
        (None, Some(email), None) => {
            let email = revline_core::normalize::normalize_email(email)
                .ok_or_else(|| usage(format!("--email: '{email}' is not an address")))?;
            let found = store
                .contact_ids_by_email(std::slice::from_ref(&email))
                .await?;
            found
                .get(&email)
                .map(|id| (RecordKind::Contacts, id.clone()))
                .ok_or_else(|| usage(format!("no contact with email '{email}'")))
        }
        _ => Err(usage(
            "journeys needs exactly one of --contact ID, --email EMAIL or --account ID",
        )),
    }
}

/// A report that prints as a table and as CSV rows.
pub trait Printable: Serialize {
    fn table(&self) -> String;
    fn csv_header(&self) -> String;
    fn csv_rows(&self) -> Vec<String>;
}

fn emit<T: Printable + Send>(
    snap: &Snapshot,
    by: Option<Dim>,
    format: ReportFormat,
    report: impl Fn(Scope<'_>) -> T + Sync,
) {
    match by {
        None => print_one(&report(Scope::ALL), format),
        Some(dim) => print_by(&revline_engine::by(snap, dim, report), format),
    }
}

/// Writes a report to stdout in one go. A reader that went away (`revline report ... |
/// head`) is not an error: the rest is simply not wanted.
fn write_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: writing the report: {e}");
    }
}

fn json_text(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("reports serialise");
    text.push('\n');
    text
}

fn print_one<T: Printable>(report: &T, format: ReportFormat) {
    let text = match format {
        ReportFormat::Json => json_text(report),
        ReportFormat::Csv => {
            let mut out = report.csv_header() + "\n";
            for row in report.csv_rows() {
                out += &row;
                out.push('\n');
            }
            out
        }
        ReportFormat::Table => report.table(),
    };
    write_out(&text);
}

fn print_by<T: Printable>(report: &By<T>, format: ReportFormat) {
    let text = match format {
        ReportFormat::Json => json_text(report),
        ReportFormat::Csv => {
            let mut out = format!("{},{}\n", report.by, report.overall.csv_header());
            for row in report.overall.csv_rows() {
                out += &format!("(all),{row}\n");
            }
            for seg in &report.segments {
                for row in seg.report.csv_rows() {
                    out += &format!("{},{row}\n", csv_text(&seg.value));
                }
            }
            out
        }
        ReportFormat::Table => {
            let mut out = report.overall.table();
            for seg in &report.segments {
                out += &format!("\n== {} = {}\n", report.by, seg.value);
                out += &seg.report.table();
            }
            out
        }
    };
    write_out(&text);
}

fn csv_text(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn rate(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".to_string(), |d| format!("{d:.decimals$}"))
}

fn cell(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

fn interval(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("{:.1}-{:.1}%", l * 100.0, h * 100.0),
        _ => "-".to_string(),
    }
}

impl Printable for FunnelReport {
    fn table(&self) -> String {
        let mut out = String::new();
        match self.view {
            View::Cohort => {
                out += &format!(
                    "Funnel (cohort: entered {} in [{}, {}), as of {})\n",
                    self.stages.first().map_or("-", |s| s.stage.as_str()),
                    self.period.from,
                    self.period.to,
                    self.as_of
                )
            }
            View::Flow => {
                out += &format!(
                    "Funnel (flow: stage entries in [{}, {}), as of {})\n",
                    self.period.from, self.period.to, self.as_of
                )
            }
        }
        if let Some(w) = self.window_days {
            out += &format!("Conversion window: {w} days from the first stage\n");
        }
        out += &format!(
            "{:<14} {:>9} {:>8} {:>17} {:>10} {:>12} {:>10} {:>7}\n",
            "stage",
            "reached",
            "step",
            "step 90% interval",
            "cumulative",
            "median days",
            "p90 days",
            "rework"
        );
        for s in &self.stages {
            out += &format!(
                "{:<14} {:>9} {:>8} {:>17} {:>10} {:>12} {:>10} {:>7}\n",
                s.stage,
                s.reached,
                rate(s.step_conversion),
                interval(s.step_conversion_low, s.step_conversion_high),
                rate(s.cumulative_conversion),
                num(s.median_days_from_previous, 1),
                num(s.p90_days_from_previous, 1),
                s.rework
            );
        }
        out
    }

    fn csv_header(&self) -> String {
        "stage,reached,step_conversion,step_conversion_low,step_conversion_high,cumulative_conversion,median_days_from_previous,p90_days_from_previous,rework".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        self.stages
            .iter()
            .map(|s| {
                format!(
                    "{},{},{},{},{},{},{},{},{}",
                    s.stage,
                    s.reached,
                    cell(s.step_conversion),
                    cell(s.step_conversion_low),
                    cell(s.step_conversion_high),
                    cell(s.cumulative_conversion),
                    cell(s.median_days_from_previous),
                    cell(s.p90_days_from_previous),
                    s.rework
                )
            })
            .collect()
    }
}

fn metric_text(v: Option<f64>, unit: &str) -> String {
    match (v, unit) {
        (None, _) => "-".into(),
        (Some(x), "ratio") => format!("{:.1}%", x * 100.0),
        (Some(x), "count") => format!("{x:.0}"),
        (Some(x), "multiple") => format!("{x:.2}x"),
        (Some(x), "days" | "minutes") => format!("{x:.1}"),
        (Some(x), u) => format!("{x:.2} {u}"),
    }
}

impl Printable for ScorecardReport {
    fn table(&self) -> String {
        let mut out = format!(
            "Scorecard [{}, {}), as of {}; previous period [{}, {})\n",
            self.period.from,
            self.period.to,
            self.as_of,
            self.previous_period.from,
            self.previous_period.to
        );
        out += &format!(
            "{:<22} {:>18} {:>18} {:>18}\n",
            "metric", "value", "previous", "target"
        );
        for m in &self.metrics {
            out += &format!(
                "{:<22} {:>18} {:>18} {:>18}\n",
                m.name,
                metric_text(m.value, &m.unit),
                metric_text(m.previous, &m.unit),
                metric_text(m.target, &m.unit)
            );
        }
        if !self.reach.is_empty() {
            out += &format!(
                "\nReach and what it led to\n{:<16} {:>11} {:>9} {:>9} {:>9} {:>8} {:>9} {:>10} {:>14} {:>16}\n",
                "channel",
                "impressions",
                "clicks",
                "visits",
                "touches",
                "leads",
                "customers",
                "lead->cust",
                "spend",
                "cost/customer"
            );
            for r in &self.reach {
                out += &format!(
                    "{:<16} {:>11} {:>9} {:>9} {:>9} {:>8} {:>9} {:>10} {:>14} {:>16}\n",
                    r.channel,
                    r.impressions,
                    r.clicks,
                    r.visits,
                    r.touchpoints,
                    r.leads,
                    r.customers,
                    rate(r.conversion_to_customer),
                    num(r.spend, 2),
                    num(r.cost_per_customer, 2)
                );
            }
        }
        out += &unconverted_text(&self.unconverted);
        out
    }

    fn csv_header(&self) -> String {
        "metric,value,previous,target,unit".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        self.metrics
            .iter()
            .map(|m| {
                format!(
                    "{},{},{},{},{}",
                    m.name,
                    cell(m.value),
                    cell(m.previous),
                    cell(m.target),
                    m.unit
                )
            })
            .collect()
    }
}

fn unconverted_text(list: &[revline_engine::snapshot::Unconverted]) -> String {
    let mut out = String::new();
    for u in list {
        out += &format!(
            "Not counted: {} {} rows in {} (no exchange rate in fx_rates.csv)\n",
            u.rows, u.kind, u.currency
        );
    }
    out
}

impl Printable for SlaReport {
    fn table(&self) -> String {
        let mut out = format!(
            "Lead response (entered mql in [{}, {}), as of {}; SLA {} h)\n",
            self.period.from, self.period.to, self.as_of, self.sla_hours
        );
        out += &format!(
            "leads {}  responded {}  pending {}  median {} min  p90 {} min\n",
            self.leads,
            self.responded,
            self.pending,
            num(self.median_response_minutes, 1),
            num(self.p90_response_minutes, 1)
        );
        out += &format!(
            "breached {} ({}, 90% interval {})\n",
            self.breached,
            rate(self.breach_rate),
            interval(self.breach_rate_low, self.breach_rate_high)
        );
        let next = self.next_stage.as_deref().unwrap_or("-");
        for (label, g) in [
            ("within SLA", &self.within_sla),
            ("late or never", &self.late),
        ] {
            out += &format!(
                "{label:<14} leads {:>7}  reached {next} {:>7}  conversion {} ({})\n",
                g.leads,
                g.converted,
                rate(g.conversion),
                interval(g.conversion_low, g.conversion_high)
            );
        }
        out
    }

    fn csv_header(&self) -> String {
        "leads,responded,pending,median_response_minutes,p90_response_minutes,breached,breach_rate,within_sla_leads,within_sla_conversion,late_leads,late_conversion".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        vec![format!(
            "{},{},{},{},{},{},{},{},{},{},{}",
            self.leads,
            self.responded,
            self.pending,
            cell(self.median_response_minutes),
            cell(self.p90_response_minutes),
            self.breached,
            cell(self.breach_rate),
            self.within_sla.leads,
            cell(self.within_sla.conversion),
            self.late.leads,
            cell(self.late.conversion)
        )]
    }
}

impl Printable for CohortsReport {
    fn table(&self) -> String {
        let mut out = format!(
            "Cohorts (customers acquired in [{}, {}), as of {}): {} customers; NRR {}, GRR {}, logo churn {}\n",
            self.period.from,
            self.period.to,
            self.as_of,
            self.customers,
            rate(self.nrr),
            rate(self.grr),
            rate(self.logo_churn)
        );
        out += "Revenue retention by month since acquisition (month 0 = 100%)\n";
        out += &format!("{:<8} {:>9}", "cohort", "customers");
        let width = self.cohorts.first().map_or(0, |c| c.revenue.len()).min(13);
        for k in 0..width {
            out += &format!(" {:>6}", format!("m{k}"));
        }
        out += &format!(" {:>14}\n", "LTV to date");
        for c in &self.cohorts {
            out += &format!("{:<8} {:>9}", c.cohort, c.customers);
            for k in 0..width {
                out += &format!(
                    " {:>6}",
                    c.revenue_retention.get(k).map_or(String::new(), |r| r
                        .map_or("-".into(), |r| format!("{:.0}%", r * 100.0)))
                );
            }
            out += &format!(" {:>14.2}\n", c.ltv.last().copied().unwrap_or(0.0));
        }
        out += &unconverted_text(&self.unconverted);
        out
    }

    fn csv_header(&self) -> String {
        "cohort,customers,month,revenue,active,revenue_retention,logo_retention,ltv".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        let mut rows = Vec::new();
        for c in &self.cohorts {
            for k in 0..c.revenue.len() {
                rows.push(format!(
                    "{},{},{},{},{},{},{},{}",
                    c.cohort,
                    c.customers,
                    k,
                    c.revenue[k],
                    c.active[k],
                    cell(c.revenue_retention[k]),
                    cell(c.logo_retention[k]),
                    c.ltv[k]
                ));
            }
        }
        rows
    }
}

impl Printable for ForecastReport {
    fn table(&self) -> String {
        let c = &self.currency;
        let mut out = format!(
            "Forecast for [{}, {}), as of {}\n",
            self.period.from, self.period.to, self.as_of
        );
        out += &format!(
            "open deals {}  pipeline {:.2} {c}  weighted {:.2}  commit {:.2}  best case {:.2}\n",
            self.open_deals, self.pipeline, self.weighted_pipeline, self.commit, self.best_case
        );
        out += &format!(
            "revenue so far {:.2}  + weighted in period {:.2} = projected {:.2} {c}; target {}\n",
            self.revenue_so_far,
            self.weighted_in_period,
            self.projected_revenue,
            num(self.revenue_target, 2)
        );
        out += &format!(
            "run-rate {:.2} {c}/month ({:.2} a year)\n\n",
            self.run_rate_monthly, self.run_rate_annual
        );
        out += &format!(
            "{:<12} {:>6} {:>14} {:>14} {:>14} {:>14}\n",
            "close month", "deals", "pipeline", "weighted", "commit", "best case"
        );
        for m in &self.months {
            out += &format!(
                "{:<12} {:>6} {:>14.2} {:>14.2} {:>14.2} {:>14.2}{}\n",
                m.month,
                m.deals,
                m.pipeline,
                m.weighted,
                m.commit,
                m.best_case,
                if m.overdue { "  overdue" } else { "" }
            );
        }
        out += &format!(
            "\nReverse funnel (rates of [{}, {}); average won deal {})\n",
            self.rates_period.from,
            self.rates_period.to,
            num(self.average_value, 2)
        );
        out += &format!(
            "{:<14} {:>8} {:>14} {:>16} {:>10}\n",
            "stage", "step", "for target", "for remaining", "last 12m"
        );
        for s in &self.reverse_funnel {
            out += &format!(
                "{:<14} {:>8} {:>14} {:>16} {:>10}\n",
                s.stage,
                rate(s.step_conversion),
                num(s.required, 0),
                num(s.required_for_remaining, 0),
                s.current
            );
        }
        out
    }

    fn csv_header(&self) -> String {
        "month,overdue,deals,pipeline,weighted,commit,best_case".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        self.months
            .iter()
            .map(|m| {
                format!(
                    "{},{},{},{},{},{},{}",
                    m.month, m.overdue, m.deals, m.pipeline, m.weighted, m.commit, m.best_case
                )
            })
            .collect()
    }
}

impl Printable for JourneyReport {
    fn table(&self) -> String {
        let mut out = format!(
            "Journey of {} {} ({} contact(s), {} events)\n",
            self.subject,
            self.id,
            self.contacts.len(),
            self.events.len()
        );
        for e in &self.events {
            let mut detail = Vec::new();
            for v in [&e.channel, &e.campaign, &e.kind, &e.stage, &e.deal]
                .into_iter()
                .flatten()
            {
                detail.push(v.clone());
            }
            if let Some(a) = e.amount {
                detail.push(format!("{a:.2} {}", self.currency));
            }
            if let Some(c) = e.csat {
                detail.push(format!("csat {c}"));
            }
            out += &format!(
                "{:<22} {:<16} {:<10} {:<14} {}\n",
                e.at,
                e.event,
                e.team.unwrap_or(""),
                e.contact.as_deref().unwrap_or(""),
                detail.join("  ")
            );
        }
        out
    }

    fn csv_header(&self) -> String {
        "at,event,team,contact,channel,campaign,kind,stage,deal,amount,csat".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        let t = |v: &Option<String>| v.as_deref().map_or(String::new(), csv_text);
        self.events
            .iter()
            .map(|e| {
                format!(
                    "{},{},{},{},{},{},{},{},{},{},{}",
                    e.at,
                    e.event,
                    e.team.unwrap_or(""),
                    t(&e.contact),
                    t(&e.channel),
                    t(&e.campaign),
                    t(&e.kind),
                    t(&e.stage),
                    t(&e.deal),
                    cell(e.amount),
                    e.csat.map_or(String::new(), |c| c.to_string())
                )
            })
            .collect()
    }
}

/// `revline report attribution`, over the store's journeys or a path file.
async fn attribution(
    store: &dyn Store,
    settings: &Settings,
    w: &Window,
    options: &ReportOptions,
) -> Result<u8, Failure> {
    use revline_engine::attribution::{AttributionQuery, Conversion, Model};
    let models: Vec<Model> = if options.model == "all" {
        Model::ALL.to_vec()
    } else {
        vec![Model::parse(&options.model).ok_or_else(|| {
            usage(format!(
                "--model: unknown model '{}' (first_touch, last_touch, linear, time_decay, position_based, w_shaped, markov, all)",
                options.model
            ))
        })?]
    };
    let by_campaign = match options.by.as_deref() {
        Some("campaign") if options.paths.is_none() => true,
        Some("channel") | None => false,
        Some(other) => {
            return Err(usage(format!(
                "--by {other}: attribution credits channels (default) or campaigns (--by campaign, not with --paths)"
            )));
        }
    };
    if !(1..=4).contains(&options.order) {
        return Err(usage("--order must be 1, 2, 3 or 4"));
    }
    if options.half_life_days.is_nan() || options.half_life_days <= 0.0 {
        return Err(usage("--half-life-days must be more than 0"));
    }
    let report = if let Some(file) = &options.paths {
        let text =
            std::fs::read_to_string(file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
        let paths = revline_engine::attribution::parse_paths(&text)
            .map_err(|e| usage(format!("{}: {e}", file.display())))?;
        if models.len() == 1 && models[0].needs_times() {
            return Err(usage(format!(
                "--model {}: aggregated paths carry no touch times; use first_touch, last_touch, linear, position_based or markov",
                options.model
            )));
        }
        revline_engine::attribution::attribute_paths(&paths, &models, options.order)
    } else {
        let conversion = Conversion::parse(&options.conversion).ok_or_else(|| {
            usage(format!(
                "--conversion: '{}' (expected won, created or stage:NAME)",
                options.conversion
            ))
        })?;
        let query = AttributionQuery {
            window: *w,
            conversion,
            lookback_days: options
                .lookback_days
                .unwrap_or(f64::from(settings.lookback_days)),
            half_life_days: options.half_life_days,
            account_based: options.account_based,
            order: options.order,
            by_campaign,
        };
        let snap = snapshot(store, settings, SnapshotBuilder::ALL_INPUTS).await?;
        revline_engine::attribution::attribute(&snap, &Scope::ALL, &query, &models)
    };
    match (models.len(), options.format) {
        (1, ReportFormat::Json) => {
            let mut one = serde_json::to_value(&report.models[0]).expect("reports serialise");
            if let (Some(p), Some(a)) = (&report.period, &report.as_of) {
                one["period"] = serde_json::to_value(p).expect("serialise");
                one["as_of"] = serde_json::Value::String(a.clone());
            }
            write_out(&json_text(&one));
        }
        _ => print_one(&report, options.format),
    }
    Ok(0)
}

impl Printable for revline_engine::attribution::AttributionReport {
    fn table(&self) -> String {
        let mut out = match (&self.period, &self.as_of) {
            (Some(p), Some(a)) => format!(
                "Attribution of conversions in [{}, {}), as of {}\n",
                p.from, p.to, a
            ),
            _ => "Attribution of the given paths\n".to_string(),
        };
        for m in &self.models {
            out += &format!(
                "\n{}{}: {:.0} conversions, value {:.2}\n",
                m.model.name(),
                m.order.map_or(String::new(), |k| format!(" (order {k})")),
                m.conversions,
                m.value
            );
            out += &format!(
                "{:<18} {:>12} {:>16} {:>10} {:>14} {:>10}\n",
                "channel", "conversions", "value", "removal", "cost/conv", "ROAS"
            );
            for c in &m.channels {
                out += &format!(
                    "{:<18} {:>12.2} {:>16.2} {:>10} {:>14} {:>10}\n",
                    c.channel,
                    c.conversions,
                    c.value,
                    c.removal_effect
                        .map_or("-".into(), |r| format!("{:.1}%", r * 100.0)),
                    num(c.cost_per_conversion, 2),
                    num(c.roas, 2)
                );
            }
        }
        if self.models.len() > 1 {
            out += &format!(
                "\nRange across models (no model flatters a team)\n{:<18} {:>22} {:>30}\n",
                "channel", "conversions min-max", "value min-max"
            );
            for r in &self.ranges {
                out += &format!(
                    "{:<18} {:>22} {:>30}\n",
                    r.channel,
                    format!("{:.1}-{:.1}", r.conversions_min, r.conversions_max),
                    format!("{:.2}-{:.2}", r.value_min, r.value_max)
                );
            }
        }
        out
    }

    fn csv_header(&self) -> String {
        "model,order,channel,conversions,value,removal_effect,spend,cost_per_conversion,roas,retained_revenue".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        let mut rows = Vec::new();
        for m in &self.models {
            for c in &m.channels {
                rows.push(format!(
                    "{},{},{},{},{},{},{},{},{},{}",
                    m.model.name(),
                    m.order.map_or(String::new(), |k| k.to_string()),
                    csv_text(&c.channel),
                    c.conversions,
                    c.value,
                    cell(c.removal_effect),
                    cell(c.spend),
                    cell(c.cost_per_conversion),
                    cell(c.roas),
                    cell(c.retained_revenue)
                ));
            }
        }
        rows
    }
}

impl Printable for revline_engine::bottlenecks::BottlenecksReport {
    fn table(&self) -> String {
        let c = &self.currency;
        let mut out = format!(
            "Bottlenecks [{}, {}), as of {}; revenue {:.2} {c}\n",
            self.period.from, self.period.to, self.as_of, self.revenue
        );
        if self.findings.is_empty() {
            out += "No link is below its benchmark beyond its 90% interval by a material gap.\n";
        }
        for (i, f) in self.findings.iter().enumerate() {
            out += &format!(
                "\n{}. {}{}: {:.2} {c} at stake\n   {}\n",
                i + 1,
                f.link,
                f.segment
                    .as_deref()
                    .map_or(String::new(), |s| format!(" ({s})")),
                f.revenue_at_stake,
                f.evidence
            );
            for d in f.drill_down.iter().take(3) {
                out += &format!(
                    "   concentrated in {}={}: {} over {} ({:.0}% of the gap)\n",
                    d.dimension,
                    d.value,
                    rate(d.current),
                    d.volume,
                    d.share_of_gap * 100.0
                );
            }
        }
        out += &format!(
            "\nEvery link\n{:<28} {:>10} {:>17} {:>10} {:>9} {:>16}  {}\n",
            "link", "current", "90% interval", "benchmark", "volume", "at stake", "source"
        );
        for l in &self.links {
            let shown = |v: Option<f64>| {
                if l.kind == "stage_time" {
                    num(v, 1)
                } else {
                    rate(v)
                }
            };
            out += &format!(
                "{:<28} {:>10} {:>17} {:>10} {:>9} {:>16.2}  {}\n",
                l.link,
                shown(l.current),
                format!("{}-{}", shown(l.current_low), shown(l.current_high)),
                shown(l.benchmark),
                l.volume,
                l.revenue_at_stake,
                l.benchmark_source.as_deref().unwrap_or("-")
            );
        }
        if let Some(w) = &self.what_if {
            out += &format!(
                "\nWhat if {} were {}: revenue {:.2} -> {:.2} {c}; first-stage entries needed {:.0} -> {:.0}\n",
                w.link,
                rate(Some(w.rate)),
                w.revenue_before,
                w.revenue_after,
                w.required_before.first().copied().unwrap_or(0.0),
                w.required_after.first().copied().unwrap_or(0.0)
            );
        }
        out
    }

    fn csv_header(&self) -> String {
        "rank,link,kind,segment,current,current_low,current_high,benchmark,benchmark_source,revenue_at_stake,volume".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        self.findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                format!(
                    "{},{},{},{},{},{},{},{},{},{},{}",
                    i + 1,
                    f.link,
                    f.kind,
                    f.segment.as_deref().map_or(String::new(), csv_text),
                    f.current,
                    f.current_low,
                    f.current_high,
                    f.benchmark,
                    csv_text(&f.benchmark_source),
                    f.revenue_at_stake,
                    f.volume
                )
            })
            .collect()
    }
}
