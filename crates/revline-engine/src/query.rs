//! One query object for every report and one runner, shared by the command line and the
//! HTTP API so that both take the same parameters and give the same JSON.
//!
//! `ReportParams` holds the parameters as text (flags or a query string);
//! `ReportQuery::parse` checks them against the workspace settings; `inputs` names what
//! the snapshot must hold for the query; `run` computes the report.

use crate::attribution::{AttributionQuery, AttributionReport, Conversion, Model};
use crate::bottlenecks::{BottleneckQuery, BottlenecksReport};
use crate::cohorts::CohortsReport;
use crate::forecast::{ForecastOptions, ForecastReport};
use crate::funnel::{FunnelQuery, FunnelReport, View};
use crate::journeys::JourneyReport;
use crate::mrr::MrrReport;
use crate::scorecard::ScorecardReport;
use crate::scores::{ScoresQuery, ScoresReport};
use crate::sla::SlaReport;
use crate::slice::{By, Dim, Scope, Segmentation};
use crate::snapshot::{Snapshot, SnapshotBuilder};
use crate::window::Window;
use revline_core::time::parse_timestamp;
use revline_core::{Millis, RecordKind, Settings};
use serde::{Deserialize, Serialize};

/// The reports (metrics.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Scorecard,
    Funnel,
    Sla,
    Cohorts,
    Forecast,
    Journeys,
    Attribution,
    Bottlenecks,
    Mrr,
    Members,
    Scores,
}

impl ReportKind {
    pub const ALL: [ReportKind; 11] = [
        ReportKind::Scorecard,
        ReportKind::Funnel,
        ReportKind::Sla,
        ReportKind::Cohorts,
        ReportKind::Forecast,
        ReportKind::Journeys,
        ReportKind::Attribution,
        ReportKind::Bottlenecks,
        ReportKind::Mrr,
        ReportKind::Members,
        ReportKind::Scores,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Scorecard => "scorecard",
            ReportKind::Funnel => "funnel",
            ReportKind::Sla => "sla",
            ReportKind::Cohorts => "cohorts",
            ReportKind::Forecast => "forecast",
            ReportKind::Journeys => "journeys",
            ReportKind::Attribution => "attribution",
            ReportKind::Bottlenecks => "bottlenecks",
            ReportKind::Mrr => "mrr",
            ReportKind::Members => "members",
            ReportKind::Scores => "scores",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// A parameter that cannot be used, with the parameter's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {message}")]
pub struct ParamError {
    pub param: &'static str,
    pub message: String,
}

fn bad(param: &'static str, message: impl Into<String>) -> ParamError {
    ParamError {
        param,
        message: message.into(),
    }
}

/// Every report parameter as given (command-line flags or an HTTP query string).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub as_of: Option<String>,
    pub by: Option<String>,
    pub view: Option<String>,
    pub window_days: Option<f64>,
    pub contact: Option<String>,
    pub account: Option<String>,
    pub email: Option<String>,
    /// Forecast: a revenue target (a number); scores: the stage to predict.
    pub target: Option<String>,
    /// Scores: the days after the lead entry within which the target counts.
    pub horizon_days: Option<f64>,
    /// Scores: train on what was known at this time (default: the as-of time).
    pub train_as_of: Option<String>,
    /// Scores: sales' capacity in leads per month for the threshold (default: the
    /// current rate of SQLs per month).
    pub capacity: Option<f64>,
    /// Scores: only these contacts (ids, comma-separated), whenever they were created.
    pub contacts: Option<String>,
    pub model: Option<String>,
    pub order: Option<usize>,
    pub lookback_days: Option<f64>,
    pub half_life_days: Option<f64>,
    pub conversion: Option<String>,
    pub account_based: Option<bool>,
    pub what_if: Option<String>,
    pub min_gap: Option<f64>,
    pub maturity_days: Option<f64>,
    /// `DIM:VALUE`: count only the records of that slice (`channel:paid_search`).
    pub filter: Option<String>,
    /// The funnel stage whose members are listed (members).
    pub stage: Option<String>,
    /// Attribution: `all` touches (default) or `marketing` only.
    pub touches: Option<String>,
}

/// Whose journey: a contact or an account id (an email is resolved by the caller, who
/// can ask the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubjectId {
    Contact(String),
    Account(String),
}

/// A checked query.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportQuery {
    pub kind: ReportKind,
    pub window: Window,
    pub by: Option<Dim>,
    /// Only this slice: a dimension and a value's name.
    pub filter: Option<(Dim, String)>,
    pub view: View,
    pub window_days: Option<f64>,
    pub forecast: ForecastOptions,
    pub subject: Option<SubjectId>,
    pub models: Vec<Model>,
    pub attribution: AttributionQuery,
    pub bottlenecks: BottleneckQuery,
    /// The funnel stage (index) whose members are listed.
    pub stage: Option<usize>,
    pub scores: ScoresQuery,
}

fn instant(text: &str, settings: &Settings, param: &'static str) -> Result<Millis, ParamError> {
    parse_timestamp(text, settings.timezone).map_err(|e| bad(param, e.to_string()))
}

fn window(
    p: &ReportParams,
    settings: &Settings,
    kind: ReportKind,
    now: Millis,
) -> Result<Window, ParamError> {
    let as_of = match &p.as_of {
        Some(t) => instant(t, settings, "as_of")?,
        None => now,
    };
    let zone = settings.timezone;
    // The plan covers the calendar year of the as-of time; every other report the 12
    // whole months before the as-of month (metrics.md "Periods and comparisons").
    let (default_from, default_to) = if kind == ReportKind::Forecast {
        crate::calendar::year_of(zone, as_of)
    } else {
        crate::calendar::default_period(zone, as_of)
    };
    let to = match &p.to {
        Some(t) => instant(t, settings, "to")?,
        None if p.from.is_some() && kind != ReportKind::Forecast => as_of,
        None => default_to,
    };
    let from = match &p.from {
        Some(t) => instant(t, settings, "from")?,
        None if p.to.is_some() => {
            // The 12 months before the given end.
            let end = crate::calendar::date_of(zone, to);
            crate::calendar::day_start(zone, crate::calendar::add_months(end, -12))
        }
        None => default_from,
    };
    if from >= to {
        return Err(bad("from", "must be before to"));
    }
    Ok(Window { from, to, as_of })
}

/// The stage a score predicts when none is named: becoming a customer (HubSpot's
/// "likelihood to close"), else the funnel's last stage.
fn default_score_target(settings: &Settings) -> usize {
    settings
        .stages
        .iter()
        .position(|s| s == "customer")
        .unwrap_or(settings.stages.len().saturating_sub(1))
}

fn scores_query(
    kind: ReportKind,
    p: &ReportParams,
    settings: &Settings,
    w: &Window,
) -> Result<ScoresQuery, ParamError> {
    let target = match (&p.target, kind) {
        (Some(name), ReportKind::Scores) => {
            let name = revline_core::normalize::snake_case(name.trim());
            settings
                .stages
                .iter()
                .position(|s| *s == name)
                .filter(|&i| i > 0)
                .ok_or_else(|| {
                    bad(
                        "target",
                        format!(
                            "no stage '{name}' after the first ({})",
                            settings.stages[1..].join(", ")
                        ),
                    )
                })?
        }
        _ => default_score_target(settings),
    };
    let horizon_days = p.horizon_days.unwrap_or(90.0);
    if horizon_days.is_nan() || horizon_days <= 0.0 {
        return Err(bad("horizon_days", "must be more than 0"));
    }
    let train_as_of = match &p.train_as_of {
        Some(t) => instant(t, settings, "train_as_of")?,
        None => w.as_of,
    };
    if train_as_of > w.as_of {
        return Err(bad("train_as_of", "must not be after the as-of time"));
    }
    if p.capacity.is_some_and(|c| c.is_nan() || c < 0.0) {
        return Err(bad(
            "capacity",
            "must be a number of leads per month, 0 or more",
        ));
    }
    Ok(ScoresQuery {
        target,
        horizon_days,
        train_as_of,
        from: w.from,
        to: w.to,
        as_of: w.as_of,
        capacity: p.capacity,
        contacts: p.contacts.as_ref().map(|text| {
            text.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(String::from)
                .collect()
        }),
    })
}

impl ReportQuery {
    /// Checks the parameters of `kind`; `now` is the as-of time when none is given.
    pub fn parse(
        kind: ReportKind,
        p: &ReportParams,
        settings: &Settings,
        now: Millis,
    ) -> Result<ReportQuery, ParamError> {
        let w = window(p, settings, kind, now)?;
        if p.window_days.is_some_and(|d| d.is_nan() || d < 0.0) {
            return Err(bad("window_days", "must be a number of days, 0 or more"));
        }
        let by = match &p.by {
            None => None,
            Some(text) => Some(Dim::parse(text).ok_or_else(|| {
                bad("by", format!("unknown dimension '{text}' ({})", Dim::NAMES))
            })?),
        };
        let filter = match &p.filter {
            None => None,
            Some(text) => {
                let (dim, value) = text
                    .split_once(':')
                    .and_then(|(d, v)| Some((Dim::parse(d.trim())?, v.trim().to_string())))
                    .filter(|(_, v)| !v.is_empty())
                    .ok_or_else(|| {
                        bad(
                            "filter",
                            format!("'{text}' (expected DIM:VALUE, DIM one of {})", Dim::NAMES),
                        )
                    })?;
                // Attribution's `by` groups credit (by campaign); it is not a breakdown.
                if by.is_some() && kind != ReportKind::Attribution {
                    return Err(bad("filter", "give a filter or a breakdown (by), not both"));
                }
                if !matches!(
                    kind,
                    ReportKind::Scorecard
                        | ReportKind::Funnel
                        | ReportKind::Sla
                        | ReportKind::Cohorts
                        | ReportKind::Forecast
                        | ReportKind::Mrr
                        | ReportKind::Members
                        | ReportKind::Attribution
                        | ReportKind::Bottlenecks
                ) {
                    return Err(bad("filter", format!("does not apply to {}", kind.name())));
                }
                Some((dim, value))
            }
        };
        let view = match p.view.as_deref() {
            None | Some("cohort") => View::Cohort,
            Some("flow") => View::Flow,
            Some(other) => return Err(bad("view", format!("'{other}' (cohort or flow)"))),
        };
        let subject = match (&p.contact, &p.account) {
            (Some(c), None) => Some(SubjectId::Contact(c.trim().to_string())),
            (None, Some(a)) => Some(SubjectId::Account(a.trim().to_string())),
            (None, None) => None,
            _ => return Err(bad("contact", "give a contact or an account, not both")),
        };
        match kind {
            ReportKind::Journeys if subject.is_none() => {
                return Err(bad(
                    "contact",
                    "journeys needs exactly one of contact, email or account",
                ));
            }
            ReportKind::Journeys | ReportKind::Bottlenecks if by.is_some() => {
                return Err(bad(
                    "by",
                    format!(
                        "does not apply to {} (bottlenecks drill down by every dimension)",
                        kind.name()
                    ),
                ));
            }
            ReportKind::Attribution
                if by.is_some_and(|d| !matches!(d, Dim::Channel | Dim::Campaign)) =>
            {
                return Err(bad(
                    "by",
                    "attribution credits channels (default) or campaigns (by=campaign)",
                ));
            }
            _ => {}
        }
        let models = match p.model.as_deref() {
            None | Some("all") => Model::ALL.to_vec(),
            Some(m) => vec![Model::parse(m).ok_or_else(|| {
                bad(
                    "model",
                    format!(
                        "unknown model '{m}' (first_touch, last_touch, linear, time_decay, position_based, w_shaped, markov, all)"
                    ),
                )
            })?],
        };
        let order = p.order.unwrap_or(1);
        if !(1..=4).contains(&order) {
            return Err(bad("order", "must be 1, 2, 3 or 4"));
        }
        let half_life_days = p.half_life_days.unwrap_or(7.0);
        if half_life_days.is_nan() || half_life_days <= 0.0 {
            return Err(bad("half_life_days", "must be more than 0"));
        }
        let conversion = match p.conversion.as_deref() {
            None => Conversion::Won,
            Some(c) => Conversion::parse(c)
                .ok_or_else(|| bad("conversion", format!("'{c}' (won, created or stage:NAME)")))?,
        };
        let attribution = AttributionQuery {
            window: w,
            conversion,
            lookback_days: p.lookback_days.unwrap_or(f64::from(settings.lookback_days)),
            half_life_days,
            account_based: p.account_based.unwrap_or(false),
            order,
            by_campaign: by == Some(Dim::Campaign),
            marketing_only: match p.touches.as_deref() {
                None | Some("all") => false,
                Some("marketing") => true,
                Some(other) => {
                    return Err(bad("touches", format!("'{other}' (all or marketing)")));
                }
            },
        };
        let mut bottlenecks = BottleneckQuery::new(w);
        if let Some(g) = p.min_gap {
            if !(0.0..1.0).contains(&g) {
                return Err(bad("min_gap", "must be a share from 0 up to 1"));
            }
            bottlenecks.min_gap = g;
        }
        if let Some(m) = p.maturity_days {
            if m.is_nan() || m <= 0.0 {
                return Err(bad("maturity_days", "must be more than 0"));
            }
            bottlenecks.maturity_days = m;
        }
        if let Some(text) = &p.what_if {
            let (link, rate) = text
                .rsplit_once('=')
                .and_then(|(l, r)| Some((l.trim().to_string(), r.trim().parse::<f64>().ok()?)))
                .filter(|(_, r)| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    bad(
                        "what_if",
                        format!("'{text}' (expected LINK=RATE, a rate from 0 to 1)"),
                    )
                })?;
            bottlenecks.what_if = Some((link, rate));
        }
        let stage = match (&p.stage, kind) {
            (None, ReportKind::Members) => {
                return Err(bad(
                    "stage",
                    format!("members needs a stage ({})", settings.stages.join(", ")),
                ));
            }
            (None, _) => None,
            (Some(name), _) => {
                let name = revline_core::normalize::snake_case(name.trim());
                Some(
                    settings
                        .stages
                        .iter()
                        .position(|s| *s == name)
                        .ok_or_else(|| {
                            bad(
                                "stage",
                                format!("no stage '{name}' ({})", settings.stages.join(", ")),
                            )
                        })?,
                )
            }
        };
        let forecast = ForecastOptions {
            target: match (&p.target, kind) {
                (Some(t), ReportKind::Forecast) => Some(
                    t.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v >= 0.0)
                        .ok_or_else(|| bad("target", format!("'{t}' (a revenue amount)")))?,
                ),
                _ => None,
            },
        };
        let scores = scores_query(kind, p, settings, &w)?;
        if kind == ReportKind::Scores && (by.is_some() || filter.is_some()) {
            return Err(bad("by", "scores are per contact; no breakdown or filter"));
        }
        if kind == ReportKind::Members && by.is_some() {
            return Err(bad("by", "members lists one slice; give a filter instead"));
        }
        Ok(ReportQuery {
            kind,
            window: w,
            by,
            filter,
            view,
            window_days: p.window_days,
            forecast,
            scores,
            subject,
            models,
            attribution,
            bottlenecks,
            stage,
        })
    }

    /// The records and columns the snapshot must hold for this query. Touchpoints are
    /// most of a workspace's rows: they are read only for reports and breakdowns that
    /// look at them.
    pub fn inputs(&self) -> Vec<(RecordKind, &'static [&'static str])> {
        let sliced_by = self.by.or(self.filter.as_ref().map(|(d, _)| *d));
        let by_touch = matches!(
            sliced_by,
            // The score model counts each lead's touches.
            Some(Dim::Channel | Dim::FirstTouchChannel | Dim::Campaign | Dim::ScoreBand)
        );
        match self.kind {
            ReportKind::Funnel if sliced_by.is_none() => SnapshotBuilder::FUNNEL_INPUTS.to_vec(),
            // Members name each person's lead channel, which the touchpoints give.
            ReportKind::Members => SnapshotBuilder::ALL_INPUTS.to_vec(),
            ReportKind::Cohorts | ReportKind::Forecast | ReportKind::Funnel | ReportKind::Mrr
                if !by_touch =>
            {
                SnapshotBuilder::ALL_INPUTS
                    .iter()
                    .filter(|(kind, _)| *kind != RecordKind::Touchpoints)
                    .copied()
                    .collect()
            }
            _ => SnapshotBuilder::ALL_INPUTS.to_vec(),
        }
    }
}

/// A report for everything, or broken down.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Sliced<T: Serialize> {
    One(T),
    By(By<T>),
}

/// What `run` computed.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Output {
    Scorecard(Sliced<ScorecardReport>),
    Funnel(Sliced<FunnelReport>),
    Sla(Sliced<SlaReport>),
    Cohorts(Sliced<CohortsReport>),
    Forecast(Sliced<ForecastReport>),
    Journey(JourneyReport),
    Attribution(AttributionReport),
    Bottlenecks(BottlenecksReport),
    Mrr(Sliced<MrrReport>),
    Members(MembersReport),
    Scores(ScoresReport),
}

/// The people behind one stage's count of the funnel with the same parameters.
#[derive(Debug, Clone, Serialize)]
pub struct MembersReport {
    pub period: crate::funnel::Period,
    pub as_of: String,
    pub view: View,
    pub stage: String,
    /// Equals the funnel's `reached` for this stage.
    pub count: u64,
    pub members: Vec<Member>,
}

impl MembersReport {
    /// The report of `members` (in contact order) counted at `stage` by the funnel `fq`.
    pub fn of(s: &Snapshot, fq: &FunnelQuery, stage: usize, members: Vec<Member>) -> MembersReport {
        MembersReport {
            period: crate::funnel::Period {
                from: revline_core::time::format_timestamp(fq.from),
                to: revline_core::time::format_timestamp(fq.to),
            },
            as_of: revline_core::time::format_timestamp(fq.as_of),
            view: fq.view,
            stage: s.stages.get(stage).cloned().unwrap_or_default(),
            count: members.len() as u64,
            members,
        }
    }

    /// The listed contacts' ids, for the caller to look their emails and names up.
    pub fn contact_ids(&self) -> Vec<String> {
        self.members.iter().map(|m| m.contact_id.clone()).collect()
    }

    /// Writes in the emails and names the store gave, by contact id.
    pub fn label(
        &mut self,
        mut labels: std::collections::HashMap<String, (Option<String>, Option<String>)>,
    ) {
        for m in &mut self.members {
            if let Some((email, name)) = labels.remove(&m.contact_id) {
                (m.email, m.name) = (email, name);
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub contact_id: String,
    /// Filled in by the caller from the store (the snapshot holds no emails or names).
    pub email: Option<String>,
    pub name: Option<String>,
    pub entered_at: String,
    /// The channel of the touch that made the contact a lead (`(none)` without one).
    pub channel: String,
    pub owner: Option<String>,
}

impl Member {
    /// Contact `c` of `s`, which entered the stage at `entered_at`.
    pub fn of(s: &Snapshot, c: usize, entered_at: i64) -> Member {
        Member {
            contact_id: s.contact_ids[c].to_string(),
            email: None,
            name: None,
            entered_at: revline_core::time::format_timestamp(entered_at),
            channel: s.names.name(s.contact.lead_channel[c]).to_string(),
            owner: (s.contact.owner[c] != crate::snapshot::NONE)
                .then(|| s.names.name(s.contact.owner[c]).to_string()),
        }
    }
}

impl<T: Serialize> Sliced<T> {
    /// The figures for everything (the overall figures of a breakdown).
    pub fn overall(&self) -> &T {
        match self {
            Sliced::One(t) => t,
            Sliced::By(b) => &b.overall,
        }
    }

    /// One entry per value of the breakdown's dimension; none without a breakdown.
    pub fn segments(&self) -> &[crate::slice::SegmentOf<T>] {
        match self {
            Sliced::One(_) => &[],
            Sliced::By(b) => &b.segments,
        }
    }
}

/// A report's typed result, and where `run` puts it in an `Output`: what lets a caller
/// that asked for one kind hold that kind's struct, never its JSON.
pub trait ReportOutput: Sized {
    const KIND: ReportKind;
    fn of(out: &Output) -> Option<&Self>;
}

macro_rules! report_output {
    ($ty:ty, $kind:ident, $variant:ident) => {
        impl ReportOutput for $ty {
            const KIND: ReportKind = ReportKind::$kind;
            fn of(out: &Output) -> Option<&Self> {
                match out {
                    Output::$variant(r) => Some(r),
                    _ => None,
                }
            }
        }
    };
}

report_output!(Sliced<ScorecardReport>, Scorecard, Scorecard);
report_output!(Sliced<FunnelReport>, Funnel, Funnel);
report_output!(Sliced<SlaReport>, Sla, Sla);
report_output!(Sliced<CohortsReport>, Cohorts, Cohorts);
report_output!(Sliced<ForecastReport>, Forecast, Forecast);
report_output!(JourneyReport, Journeys, Journey);
report_output!(AttributionReport, Attribution, Attribution);
report_output!(BottlenecksReport, Bottlenecks, Bottlenecks);
report_output!(Sliced<MrrReport>, Mrr, Mrr);
report_output!(MembersReport, Members, Members);
report_output!(ScoresReport, Scores, Scores);

impl Output {
    /// The report's JSON document (interface.md): a single attribution model is printed
    /// as that model's object, with the period and as-of time beside it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Output::Attribution(a) if a.models.len() == 1 => {
                let mut one = serde_json::to_value(&a.models[0]).expect("reports serialise");
                if let (Some(p), Some(at)) = (&a.period, &a.as_of) {
                    one["period"] = serde_json::to_value(p).expect("reports serialise");
                    one["as_of"] = serde_json::Value::String(at.clone());
                }
                one
            }
            other => serde_json::to_value(other).expect("reports serialise"),
        }
    }
}

/// A query the snapshot cannot answer (an unknown contact, an unknown what-if link).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotFound(pub String);

/// Which records a report asks its scope about: the scorecard counts touchpoints per
/// slice; the other reports count people, deals and money, and a breakdown for them is
/// made without ten million touchpoint values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    Touches,
    People,
}

fn segmentation(s: &Snapshot, q: &ReportQuery, dim: Dim, reads: Reads) -> Segmentation {
    match (dim, reads) {
        // The bands of the model the scores report would train for this query.
        (Dim::ScoreBand, _) => Segmentation::with_contacts(
            s,
            dim,
            crate::bands::score_bands(s, &q.scores),
            reads == Reads::Touches,
        ),
        (_, Reads::Touches) => Segmentation::new(s, dim),
        (_, Reads::People) => Segmentation::without_touches(s, dim),
    }
}

/// The records a filter selects, everything without one.
fn filtered<T>(
    s: &Snapshot,
    q: &ReportQuery,
    reads: Reads,
    report: impl FnOnce(Scope<'_>) -> T,
) -> T {
    let Some((dim, value)) = &q.filter else {
        return report(Scope::ALL);
    };
    let seg = segmentation(s, q, *dim, reads);
    // A value no record has (an unknown name) selects nothing.
    let v = match value.as_str() {
        "(none)" => crate::snapshot::NONE,
        name => s.names.get(name).unwrap_or(crate::snapshot::NONE - 1),
    };
    report(Scope::of(&seg, v))
}

fn sliced<T: Serialize + Send>(
    s: &Snapshot,
    q: &ReportQuery,
    reads: Reads,
    report: impl Fn(Scope<'_>) -> T + Sync,
) -> Sliced<T> {
    if q.filter.is_some() {
        return Sliced::One(filtered(s, q, reads, &report));
    }
    match q.by {
        None => Sliced::One(report(Scope::ALL)),
        Some(dim) => Sliced::By(crate::slice::by(s, &segmentation(s, q, dim, reads), report)),
    }
}

/// The scorecard of `q` (its period and filter) without the comparison and reach
/// (`scorecard::scorecard_current`, with the pace or not): what alert rules read.
pub fn run_scorecard_current(s: &Snapshot, q: &ReportQuery, pace: bool) -> Sliced<ScorecardReport> {
    sliced(s, q, Reads::Touches, |scope| {
        crate::scorecard::scorecard_current(s, &scope, &q.window, None, pace)
    })
}

impl ReportQuery {
    /// The funnel (and members) counting of this query.
    pub fn funnel(&self) -> FunnelQuery {
        FunnelQuery {
            from: self.window.from,
            to: self.window.to,
            as_of: self.window.as_of,
            window_days: self.window_days,
            view: self.view,
        }
    }
}

/// Computes the report of `q` on `s`.
pub fn run(s: &Snapshot, q: &ReportQuery) -> Result<Output, NotFound> {
    let w = &q.window;
    Ok(match q.kind {
        ReportKind::Scores => Output::Scores(crate::scores::scores(s, &q.scores)),
        ReportKind::Funnel => {
            let fq = q.funnel();
            Output::Funnel(sliced(s, q, Reads::People, |scope| {
                crate::funnel::funnel_in(s, &fq, &scope)
            }))
        }
        ReportKind::Mrr => Output::Mrr(sliced(s, q, Reads::People, |scope| {
            crate::mrr::mrr(s, &scope, w)
        })),
        ReportKind::Members => {
            let fq = q.funnel();
            let stage = q.stage.unwrap_or(0);
            // `by` is refused for members: the one slice is the filter's, or everything.
            let found = match sliced(s, q, Reads::People, |scope| {
                crate::funnel::members(s, &fq, &scope, stage)
            }) {
                Sliced::One(found) => found,
                Sliced::By(by) => by.overall,
            };
            let members = found
                .into_iter()
                .map(|(c, t)| Member::of(s, c, t))
                .collect();
            Output::Members(MembersReport::of(s, &fq, stage, members))
        }
        ReportKind::Scorecard => Output::Scorecard(sliced(s, q, Reads::Touches, |scope| {
            crate::scorecard::scorecard(s, &scope, w, None)
        })),
        ReportKind::Sla => Output::Sla(sliced(s, q, Reads::People, |scope| {
            crate::sla::sla(s, &scope, w)
        })),
        ReportKind::Cohorts => Output::Cohorts(sliced(s, q, Reads::People, |scope| {
            crate::cohorts::cohorts(s, &scope, w)
        })),
        ReportKind::Forecast => Output::Forecast(sliced(s, q, Reads::People, |scope| {
            crate::forecast::forecast(s, &scope, w, q.forecast)
        })),
        ReportKind::Journeys => {
            let subject = match &q.subject {
                Some(id) => crate::journeys::resolve(s, id)?,
                None => return Err(NotFound("journeys needs a contact or an account".into())),
            };
            Output::Journey(crate::journeys::journey(s, subject))
        }
        ReportKind::Attribution => Output::Attribution(filtered(s, q, Reads::Touches, |scope| {
            crate::attribution::attribute(s, &scope, &q.attribution, &q.models)
        })),
        ReportKind::Bottlenecks => {
            return checked(
                q,
                Output::Bottlenecks(filtered(s, q, Reads::People, |scope| {
                    crate::bottlenecks::bottlenecks_in(s, &q.bottlenecks, &scope)
                })),
            );
        }
    })
}

/// `out`, unless the query asked for something the report does not hold: a what-if of
/// a link the bottleneck finder does not have. Every way of computing a report (one
/// process, a cluster) answers through it.
pub fn checked(q: &ReportQuery, out: Output) -> Result<Output, NotFound> {
    if let (Output::Bottlenecks(report), Some((link, _))) = (&out, &q.bottlenecks.what_if)
        && report.what_if.as_ref().is_some_and(|w| w.current.is_none())
    {
        return Err(NotFound(format!(
            "what_if: no link '{link}' (links: {})",
            report
                .links
                .iter()
                .filter(|l| l.kind != crate::link::LinkKind::StageTime)
                .map(|l| l.link.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(out)
}
