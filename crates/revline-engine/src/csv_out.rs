//! Reports as CSV: one definition of each report's columns, used by the command line
//! (`--format csv`), the API (`format=csv`) and the web app's downloads. Figures are
//! written plainly (rates as fractions, amounts in the currency's units, no thousands
//! separators); a figure without data is an empty cell, never 0.

use crate::By;
use crate::cohorts::CohortsReport;
use crate::forecast::ForecastReport;
use crate::funnel::FunnelReport;
use crate::journeys::JourneyReport;
use crate::mrr::MrrReport;
use crate::query::{MembersReport, Output, Sliced};
use crate::scorecard::ScorecardReport;
use crate::scores::ScoresReport;
use crate::sla::SlaReport;

/// A report's rows as CSV lines (cells quoted where they need it).
pub trait CsvTable {
    fn csv_header(&self) -> String;
    fn csv_rows(&self) -> Vec<String>;
}

/// A cell of text, quoted when it holds a delimiter, a quote or a line break.
pub fn csv_text(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A figure: empty without data.
fn cell(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

/// A whole report: its header, then its rows.
pub fn one<T: CsvTable>(report: &T) -> String {
    let mut out = report.csv_header() + "\n";
    for row in report.csv_rows() {
        out += &row;
        out.push('\n');
    }
    out
}

/// A report broken down: the dimension first, the whole as `(all)`, then each slice.
pub fn by<T: CsvTable + serde::Serialize>(report: &By<T>) -> String {
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

fn sliced<T: CsvTable + serde::Serialize>(report: &Sliced<T>) -> String {
    match report {
        Sliced::One(one) => self::one(one),
        Sliced::By(b) => by(b),
    }
}

impl Output {
    /// The report as CSV.
    pub fn to_csv(&self) -> String {
        match self {
            Output::Scorecard(r) => sliced(r),
            Output::Funnel(r) => sliced(r),
            Output::Sla(r) => sliced(r),
            Output::Cohorts(r) => sliced(r),
            Output::Forecast(r) => sliced(r),
            Output::Mrr(r) => sliced(r),
            Output::Journey(r) => one(r),
            Output::Attribution(r) => one(r),
            Output::Bottlenecks(r) => one(r),
            Output::Members(r) => one(r),
            Output::Scores(r) => one(r),
        }
    }
}

impl CsvTable for FunnelReport {
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

impl CsvTable for ScorecardReport {
    fn csv_header(&self) -> String {
        "metric,value,previous,target,pace,unit,count,reason".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        self.metrics
            .iter()
            .map(|m| {
                format!(
                    "{},{},{},{},{},{},{},{}",
                    m.name,
                    cell(m.value),
                    cell(m.previous),
                    cell(m.target),
                    cell(m.pace),
                    m.unit,
                    m.count.map_or(String::new(), |c| c.to_string()),
                    csv_text(m.reason.as_deref().unwrap_or(""))
                )
            })
            .collect()
    }
}

impl CsvTable for SlaReport {
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
            self.breached.map(|b| b.to_string()).unwrap_or_default(),
            cell(self.breach_rate),
            self.within_sla
                .as_ref()
                .map(|g| g.leads.to_string())
                .unwrap_or_default(),
            cell(self.within_sla.as_ref().and_then(|g| g.conversion)),
            self.late
                .as_ref()
                .map(|g| g.leads.to_string())
                .unwrap_or_default(),
            cell(self.late.as_ref().and_then(|g| g.conversion))
        )]
    }
}

impl CsvTable for CohortsReport {
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

impl CsvTable for ForecastReport {
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

impl CsvTable for JourneyReport {
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

impl CsvTable for crate::attribution::AttributionReport {
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

impl CsvTable for crate::bottlenecks::BottlenecksReport {
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
                    f.kind.name(),
                    f.segment.as_deref().map_or(String::new(), csv_text),
                    f.current,
                    f.current_low,
                    f.current_high,
                    f.benchmark,
                    csv_text(&f.benchmark_source.to_string()),
                    f.revenue_at_stake,
                    f.volume
                )
            })
            .collect()
    }
}

impl CsvTable for MrrReport {
    fn csv_header(&self) -> String {
        "month,starting,new,reactivation,expansion,contraction,churned,ending,customers,to_date"
            .into()
    }

    fn csv_rows(&self) -> Vec<String> {
        self.months
            .iter()
            .map(|m| {
                format!(
                    "{},{},{},{},{},{},{},{},{},{}",
                    m.month,
                    m.starting,
                    m.new,
                    m.reactivation,
                    m.expansion,
                    m.contraction,
                    m.churned,
                    m.ending,
                    m.customers,
                    m.to_date
                )
            })
            .collect()
    }
}

impl CsvTable for MembersReport {
    fn csv_header(&self) -> String {
        "contact_id,email,name,entered_at".into()
    }

    fn csv_rows(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| {
                format!(
                    "{},{},{},{}",
                    csv_text(&m.contact_id),
                    csv_text(m.email.as_deref().unwrap_or("")),
                    csv_text(m.name.as_deref().unwrap_or("")),
                    m.entered_at
                )
            })
            .collect()
    }
}

/// One row per scored contact, best first, with its top reasons.
impl CsvTable for ScoresReport {
    fn csv_header(&self) -> String {
        let mut h = String::from("contact_id,score");
        for i in 1..=crate::scores::REASONS {
            h += &format!(",reason_{i},reason_{i}_value,reason_{i}_contribution");
        }
        h
    }

    fn csv_rows(&self) -> Vec<String> {
        self.contacts
            .iter()
            .map(|c| {
                let mut row = format!("{},{}", csv_text(&c.contact_id), c.score);
                for i in 0..crate::scores::REASONS {
                    match c.reasons.get(i) {
                        Some(r) => {
                            row +=
                                &format!(",{},{},{}", csv_text(&r.feature), r.value, r.contribution)
                        }
                        None => row += ",,,",
                    }
                }
                row
            })
            .collect()
    }
}
