//! `revline report`: builds the snapshot from the store, runs the engine, prints the
//! report as a table, one JSON document or CSV.

use crate::{Failure, FunnelView, ReportFormat, ReportName, ReportOptions, usage};
use revline_engine::calendar::Basis;
use revline_engine::cohorts::CohortsReport;
use revline_engine::forecast::ForecastReport;
use revline_engine::funnel::View;
use revline_engine::journeys::JourneyReport;
use revline_engine::mrr::MrrReport;
use revline_engine::query::MembersReport;
use revline_engine::query::{Output, ParamError, ReportKind, ReportParams, ReportQuery, Sliced};
use revline_engine::scorecard::ScorecardReport;
use revline_engine::sla::SlaReport;
use revline_engine::{By, FunnelReport};
use revline_store::Store;
use serde::Serialize;

/// The command line's flags as the report parameters the HTTP API takes too.
fn params(options: &ReportOptions) -> ReportParams {
    ReportParams {
        from: options.from.clone(),
        to: options.to.clone(),
        as_of: options.as_of.clone(),
        by: options.by.clone(),
        view: Some(match options.view {
            FunnelView::Cohort => "cohort".into(),
            FunnelView::Flow => "flow".into(),
        }),
        window_days: options.window_days,
        contact: options.contact.clone(),
        account: options.account.clone(),
        email: None,
        target: options.target.clone(),
        horizon_days: options.horizon_days,
        train_as_of: options.train_as_of.clone(),
        capacity: options.capacity,
        contacts: options.contacts.clone(),
        model: Some(options.model.clone()),
        order: Some(options.order),
        lookback_days: options.lookback_days,
        half_life_days: Some(options.half_life_days),
        conversion: Some(options.conversion.clone()),
        account_based: Some(options.account_based),
        what_if: options.what_if.clone(),
        min_gap: Some(options.min_gap),
        maturity_days: Some(options.maturity_days),
        filter: options.filter.clone(),
        stage: options.stage.clone(),
        touches: options.touches.clone(),
    }
}

/// A parameter error as the flag a user typed.
pub(crate) fn flag_error(e: ParamError) -> Failure {
    usage(format!("--{}: {}", e.param.replace('_', "-"), e.message))
}

pub async fn run(
    store: &dyn Store,
    name: ReportName,
    options: &ReportOptions,
    files: Option<&std::path::Path>,
) -> Result<u8, Failure> {
    let settings = store.settings().await?;
    let kind = ReportKind::parse(&format!("{name:?}").to_lowercase()).expect("every report name");
    let mut p = params(options);
    if kind == ReportKind::Journeys {
        p.contact = journey_contact(store, options).await?;
    }
    let now = chrono::Utc::now().timestamp_millis();
    let q = ReportQuery::parse(kind, &p, &settings, now).map_err(flag_error)?;
    let format = options.format;
    if let Some(file) = &options.paths {
        if kind != ReportKind::Attribution {
            return Err(usage("--paths goes with report attribution"));
        }
        if q.by.is_some() {
            return Err(usage(
                "--by campaign needs the store's journeys, not --paths",
            ));
        }
        let text =
            std::fs::read_to_string(file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
        let paths = revline_engine::attribution::parse_paths(&text)
            .map_err(|e| usage(format!("{}: {e}", file.display())))?;
        if q.models.len() == 1 && q.models[0].needs_times() {
            return Err(usage(format!(
                "--model {}: aggregated paths carry no touch times; use first_touch, last_touch, linear, position_based or markov",
                options.model
            )));
        }
        let report =
            revline_engine::attribution::attribute_paths(&paths, &q.models, q.attribution.order);
        print_output(&Output::Attribution(report), format);
        return Ok(0);
    }
    if let Some(cluster) = &options.cluster {
        #[cfg(feature = "cluster")]
        return crate::cluster::report(store, cluster, files, kind, &p, now, format).await;
        #[cfg(not(feature = "cluster"))]
        {
            let _ = cluster;
            return Err(crate::without_cluster());
        }
    }
    let (snap, start) =
        revline_web::start::load_snapshot_from(store, &settings, &q.inputs(), files).await?;
    if let Some(line) = files.and_then(|d| start.describe(d)) {
        eprintln!("{line}");
    }
    // A workspace whose data ended before the default period opens on the last period
    // with data, as the web app does.
    let newest = snap.newest_record_at();
    let mut q = q;
    if p.from.is_none() && p.to.is_none() && p.as_of.is_none() {
        let opening = revline_engine::calendar::reporting_now(settings.timezone, now, newest);
        if opening != now {
            q = ReportQuery::parse(kind, &p, &settings, opening).map_err(flag_error)?;
        }
    }
    if let Some(t) = newest {
        eprintln!("data up to {}", revline_core::time::format_timestamp(t));
    }
    let mut out = revline_engine::query::run(&snap, &q).map_err(|e| usage(e.0))?;
    if let Output::Members(m) = &mut out {
        fill_members(store, m).await?;
    }
    print_output(&out, format);
    Ok(0)
}

/// Emails and names of the listed members, read from the store (the snapshot holds
/// neither).
pub(crate) async fn fill_members(
    store: &dyn Store,
    report: &mut revline_engine::query::MembersReport,
) -> Result<(), Failure> {
    report.label(revline_store::contact_labels(store, &report.contact_ids()).await?);
    Ok(())
}

pub(crate) fn print_output(out: &Output, format: ReportFormat) {
    if format == ReportFormat::Json {
        write_out(&json_text(&out.to_json()));
        return;
    }
    match out {
        Output::Scorecard(r) => print_sliced(r, format),
        Output::Funnel(r) => print_sliced(r, format),
        Output::Sla(r) => print_sliced(r, format),
        Output::Cohorts(r) => print_sliced(r, format),
        Output::Forecast(r) => print_sliced(r, format),
        Output::Journey(r) => print_one(r, format),
        Output::Attribution(r) => print_one(r, format),
        Output::Bottlenecks(r) => print_one(r, format),
        Output::Mrr(r) => print_sliced(r, format),
        Output::Members(r) => print_one(r, format),
        Output::Scores(r) => print_one(r, format),
    }
}

fn print_sliced<T: Printable>(r: &Sliced<T>, format: ReportFormat) {
    match r {
        Sliced::One(one) => print_one(one, format),
        Sliced::By(by) => print_by(by, format),
    }
}

/// The contact of `--email`, looked up in the store; else `--contact` as given.
async fn journey_contact(
    store: &dyn Store,
    options: &ReportOptions,
) -> Result<Option<String>, Failure> {
    let Some(email) = &options.email else {
        return Ok(options.contact.clone());
    };
    if options.contact.is_some() || options.account.is_some() {
        return Err(usage(
            "journeys needs exactly one of --contact ID, --email EMAIL or --account ID",
        ));
    }
    use revline_store::EmailLookupError as Lookup;
    match revline_store::contact_with_email(store, email).await {
        Ok(id) => Ok(Some(id)),
        Err(e @ Lookup::NotAnAddress(_)) => Err(usage(format!("--email: {e}"))),
        Err(e @ Lookup::NoContact(_)) => Err(usage(e.to_string())),
        Err(Lookup::Store(e)) => Err(e.into()),
    }
}

/// A report that prints as a table and as CSV rows.
/// A report as a table for people; its CSV is the engine's (`csv_out`).
pub trait Printable: Serialize + revline_engine::csv_out::CsvTable {
    fn table(&self) -> String;
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
        ReportFormat::Csv => revline_engine::csv_out::one(report),
        ReportFormat::Table => report.table(),
    };
    write_out(&text);
}

fn print_by<T: Printable>(report: &By<T>, format: ReportFormat) {
    let text = match format {
        ReportFormat::Json => json_text(report),
        ReportFormat::Csv => revline_engine::csv_out::by(report),
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

fn rate(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".to_string(), |d| format!("{d:.decimals$}"))
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
            "{:<14} {:>9} {:>8} {:>8} {:>17} {:>10} {:>12} {:>10} {:>7}\n",
            "stage",
            "reached",
            "implied",
            "step",
            "step 90% interval",
            "cumulative",
            "median days",
            "p90 days",
            "rework"
        );
        for s in &self.stages {
            out += &format!(
                "{:<14} {:>9} {:>8} {:>8} {:>17} {:>10} {:>12} {:>10} {:>7}\n",
                s.stage,
                s.reached,
                s.implied,
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
        let basis = match self.previous_period.basis {
            Basis::ToDate => "to date",
            Basis::Full => "whole period",
        };
        let mut out = format!(
            "Scorecard [{}, {}), as of {}; compared with [{}, {}) ({basis})\n",
            self.period.from,
            self.period.to,
            self.as_of,
            self.previous_period.from,
            self.previous_period.to
        );
        out += &format!(
            "Retention (NRR, GRR, logo churn, LTV) on the {} basis\n",
            self.retention_basis.name()
        );
        out += &format!(
            "{:<22} {:>18} {:>18} {:>18} {:>18} {:>9}  {}\n",
            "metric", "value", "previous", "target", "pace", "count", "note"
        );
        for m in &self.metrics {
            out += &format!(
                "{:<22} {:>18} {:>18} {:>18} {:>18} {:>9}  {}\n",
                m.name,
                metric_text(m.value, &m.unit),
                metric_text(m.previous, &m.unit),
                metric_text(m.target, &m.unit),
                metric_text(m.pace, &m.unit),
                m.count.map_or(String::new(), |c| c.to_string()),
                m.reason
                    .as_deref()
                    .map_or(String::new(), |r| format!("no data: {r}"))
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
        let (Some(breached), Some(within), Some(late)) =
            (self.breached, &self.within_sla, &self.late)
        else {
            out += &format!(
                "SLA: no data: {}\n",
                self.reason.as_deref().unwrap_or("not measurable")
            );
            return out;
        };
        out += &format!(
            "breached {} ({}, 90% interval {})\n",
            breached,
            rate(self.breach_rate),
            interval(self.breach_rate_low, self.breach_rate_high)
        );
        let next = self.next_stage.as_deref().unwrap_or("-");
        for (label, g) in [("within SLA", within), ("late or never", late)] {
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
            match c.ltv.last() {
                Some(ltv) => out += &format!(" {ltv:>14.2}\n"),
                None => out += &format!(" {:>14}\n", "-"),
            }
        }
        if let Some(why) = self.reason {
            out += &format!("Revenue, retention and LTV: no data ({why})\n");
        }
        out += &unconverted_text(&self.unconverted);
        out
    }
}

impl Printable for ForecastReport {
    fn table(&self) -> String {
        let c = &self.currency;
        let mut out = format!(
            "Forecast for [{}, {}), as of {}\n",
            self.period.from, self.period.to, self.as_of
        );
        // Figures below that read 0 only because their inputs were never recorded.
        for (field, why) in &self.no_data {
            out += &format!("{field}: no data: {}\n", why.sentence());
        }
        out += &format!(
            "open deals {}  pipeline {:.2} {c}  weighted {:.2}  commit {:.2}  best case {:.2}\n",
            self.open_deals, self.pipeline, self.weighted_pipeline, self.commit, self.best_case
        );
        out += &format!(
            "recognised so far {:.2}  + recurring base {:.2} (MRR {:.2} x {:.1} months x monthly GRR {})  + weighted in period {:.2}\n= projected {:.2} {c}; target {}; new business still needed {}\n",
            self.revenue_so_far,
            self.recurring_base,
            self.mrr,
            self.remaining_months,
            rate(self.monthly_grr),
            self.weighted_in_period,
            self.projected_revenue,
            num(self.revenue_target, 2),
            num(self.new_business_needed, 2)
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
            "{:<14} {:>8} {:>14} {:>16} {:>22} {:>10}\n",
            "stage", "step", "needed", "whole target", "latest entry", "last 12m"
        );
        for s in &self.reverse_funnel {
            out += &format!(
                "{:<14} {:>8} {:>14} {:>16} {:>22} {:>10}{}\n",
                s.stage,
                rate(s.step_conversion),
                num(s.required, 0),
                num(s.required_for_target, 0),
                s.latest_entry.as_deref().unwrap_or("-"),
                s.current,
                if s.too_late { "  too late" } else { "" }
            );
        }
        out
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
        use revline_engine::attribution::Credit;
        let valued = self.credit == Credit::Value;
        if let Some(why) = &self.reason {
            out += &format!("Value: no data: {why}\n");
        }
        let money = |v: f64, places: usize| {
            if valued {
                format!("{v:.places$}")
            } else {
                "-".to_string()
            }
        };
        for m in &self.models {
            out += &format!(
                "\n{}{}: {:.0} conversions, value {}\n",
                m.model.name(),
                m.order.map_or(String::new(), |k| format!(" (order {k})")),
                m.conversions,
                money(m.value, 2)
            );
            out += &format!(
                "{:<18} {:>12} {:>16} {:>10} {:>14} {:>10}\n",
                "channel", "conversions", "value", "removal", "cost/conv", "ROAS"
            );
            for c in &m.channels {
                out += &format!(
                    "{:<18} {:>12.2} {:>16} {:>10} {:>14} {:>10}\n",
                    c.channel,
                    c.conversions,
                    money(c.value, 2),
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
                    if valued {
                        format!("{:.2}-{:.2}", r.value_min, r.value_max)
                    } else {
                        "-".to_string()
                    }
                );
            }
        }
        out
    }
}

impl Printable for revline_engine::bottlenecks::BottlenecksReport {
    fn table(&self) -> String {
        let c = &self.currency;
        let mut out = format!(
            "Bottlenecks [{}, {}), as of {}; revenue {:.2} {c}\n",
            self.period.from, self.period.to, self.as_of, self.revenue
        );
        if !self.judged {
            out += "Nothing to judge: nobody entered the funnel in the period.\n";
        } else if self.findings.is_empty() {
            out += "No link is below its benchmark beyond its 90% interval by a material gap.\n";
        }
        if let Some(why) = &self.reason {
            out += &format!("Ranked by conversions lost: {why}\n");
        }
        let by_conversions = self.ranked_by == "conversions";
        for (i, f) in self.findings.iter().enumerate() {
            let weight = if by_conversions {
                format!(
                    "about {:.0} customers lost per period",
                    f.conversions_lost.unwrap_or(0.0)
                )
            } else {
                format!("{:.2} {c} at stake", f.revenue_at_stake)
            };
            out += &format!(
                "\n{}. {}{}: {weight}\n   {}\n",
                i + 1,
                f.link,
                f.segment
                    .as_deref()
                    .map_or(String::new(), |s| format!(" ({s})")),
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
                if l.kind == revline_engine::link::LinkKind::StageTime {
                    num(v, 1)
                } else {
                    rate(v)
                }
            };
            out += &format!(
                "{:<28} {:>10} {:>17} {:>10} {:>9} {:>16}  {}\n",
                l.link,
                shown(l.current),
                format!("{}-{}", shown(l.current_low), shown(l.current_high)),
                shown(l.benchmark),
                l.volume,
                if by_conversions {
                    "-".to_string()
                } else {
                    format!("{:.2}", l.revenue_at_stake)
                },
                l.benchmark_source
                    .map_or("-".to_string(), |s| s.to_string())
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
}

impl Printable for MrrReport {
    fn table(&self) -> String {
        let mut out = format!(
            "MRR [{}, {}), as of {} ({})\n",
            self.period.from, self.period.to, self.as_of, self.currency
        );
        if let Some(reason) = &self.reason {
            out += &format!("no data: {reason}\n");
            return out;
        }
        out += &format!(
            "MRR {}  ARR {}  customers {}\n",
            num(self.mrr, 2),
            num(self.arr, 2),
            self.customers
        );
        if self.rows_paid_yearly > 0 {
            out += &format!(
                "note: {} of {} recurring revenue rows name no service period, so they are read as paying for one month each, yet their customer paid again only a year later; if they pay for a year, give them period_start and period_end\n",
                self.rows_paid_yearly, self.recurring_rows
            );
        }
        out += &format!(
            "{:<9} {:>14} {:>12} {:>13} {:>12} {:>12} {:>12} {:>14} {:>9}\n",
            "month",
            "starting",
            "new",
            "reactivation",
            "expansion",
            "contraction",
            "churned",
            "ending",
            "customers"
        );
        for m in &self.months {
            out += &format!(
                "{:<9} {:>14.2} {:>12.2} {:>13.2} {:>12.2} {:>12.2} {:>12.2} {:>14.2} {:>9}{}\n",
                m.month,
                m.starting,
                m.new,
                m.reactivation,
                m.expansion,
                m.contraction,
                m.churned,
                m.ending,
                m.customers,
                if m.to_date { "  (to date)" } else { "" }
            );
        }
        out
    }
}

impl Printable for MembersReport {
    fn table(&self) -> String {
        let mut out = format!(
            "{} people counted at stage {} ({:?} view, [{}, {}), as of {})\n",
            self.count, self.stage, self.view, self.period.from, self.period.to, self.as_of
        );
        out += &format!(
            "{:<24} {:<32} {:<24} {}\n",
            "contact_id", "email", "name", "entered_at"
        );
        for m in &self.members {
            out += &format!(
                "{:<24} {:<32} {:<24} {}\n",
                m.contact_id,
                m.email.as_deref().unwrap_or("-"),
                m.name.as_deref().unwrap_or("-"),
                m.entered_at
            );
        }
        out
    }
}
