//! The bottleneck findings as home, bottlenecks and retention show them: the engine's
//! typed findings written in the reader's language.

use crate::i18n::Tr;
use crate::{AppError, AppState};
use revline_engine::bottlenecks::{BottlenecksReport, Evidence, Finding as Found};
use revline_engine::link::{BenchmarkSource, Link, LinkKind};
use revline_engine::query::ReportParams;

pub struct Finding {
    pub rank: usize,
    pub link: String,
    pub segment: String,
    pub stake: String,
    pub current: String,
    pub benchmark: String,
    pub summary: String,
    pub evidence: String,
    pub drill: Vec<(String, String, String, String)>,
}

pub(crate) fn link_label(tr: &Tr, link: &Link) -> String {
    match link {
        Link::Conversion { from, to } => format!(
            "{} {} → {}",
            tr.t("funnel.step"),
            tr.label("stage", from),
            tr.label("stage", to)
        ),
        Link::StageTime { stage } => format!(
            "{}: {}",
            tr.t("funnel.median_days"),
            tr.label("stage", stage)
        ),
        Link::Handoff => tr.t("sla.title").to_string(),
        Link::Retention => tr.t("nav.retention").to_string(),
    }
}

/// A benchmark's source in the reader's language.
fn source_label(tr: &Tr, source: Option<BenchmarkSource>) -> String {
    let by_dim = |key: &str, dim: &str| {
        tr.t(key)
            .replace("{dim}", &tr.label("dim", dim).to_lowercase())
    };
    match source {
        None => "–".into(),
        Some(BenchmarkSource::Target) => tr.t("src.target").to_string(),
        Some(BenchmarkSource::BestMonths) => tr.t("src.best_months").to_string(),
        Some(BenchmarkSource::BestSegments) => tr.t("src.best_segments").to_string(),
        Some(BenchmarkSource::BestValues(dim)) => by_dim("src.best_values", dim),
        Some(BenchmarkSource::BestValuesBySegment(dim)) => {
            by_dim("src.best_values_by_segment", dim)
        }
    }
}

/// A slice `channel=webinar` as `Channel: webinar` / `Kanał: webinar`.
pub(crate) fn slice_label(tr: &Tr, slice: &str) -> String {
    match slice.split_once('=') {
        Some((dim, value)) => format!("{}: {value}", tr.label("dim", dim)),
        None => slice.to_string(),
    }
}

/// Fills a translated sentence's `{name}` slots.
fn fill(tr: &Tr, key: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(tr.t(key).to_string(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), v)
    })
}

/// A finding's evidence written from its figures in the reader's language, with
/// numbers, money and stage names as the rest of the page writes them.
fn evidence_text(tr: &Tr, facts: &Evidence) -> String {
    let pct = |v: f64| tr.value(Some(v), "ratio");
    let opt_pct = |v: Option<f64>| tr.value(v, "ratio");
    let count = |v: f64| tr.value(Some(v), "count");
    let days = |v: f64| tr.number(v, 1);
    let stage = |s: &str| tr.label("stage", s);
    let in_slice = |s: &Option<String>| {
        s.as_deref()
            .map_or(String::new(), |x| format!(" ({})", slice_label(tr, x)))
    };
    match facts {
        Evidence::Conversion {
            from,
            to,
            slice,
            entered,
            reached,
            within_days,
            rate,
            low,
            high,
            benchmark,
            source,
            more,
            revenue,
            currency,
        } => fill(
            tr,
            if revenue.is_none() {
                "ev.conversion_unpriced"
            } else {
                "ev.conversion"
            },
            &[
                ("entered", count(*entered as f64)),
                ("from", stage(from)),
                ("slice", in_slice(slice)),
                ("reached", count(*reached as f64)),
                ("to", stage(to)),
                ("days", tr.number(*within_days, 0)),
                ("rate", pct(*rate)),
                ("low", pct(*low)),
                ("high", pct(*high)),
                ("benchmark", opt_pct(*benchmark)),
                ("source", source_label(tr, *source)),
                ("more", count(*more)),
                ("revenue", tr.value(*revenue, currency)),
            ],
        ),
        Evidence::StageTime {
            from,
            to,
            slice,
            median_days,
            low,
            high,
            benchmark,
            source,
            revenue,
            currency,
        } => fill(
            tr,
            "ev.stage_time",
            &[
                ("slice", in_slice(slice)),
                ("median", days(*median_days)),
                ("from", stage(from)),
                ("to", stage(to)),
                ("low", days(*low)),
                ("high", days(*high)),
                ("benchmark", benchmark.map_or("–".into(), days)),
                ("source", source_label(tr, *source)),
                ("revenue", tr.value(Some(*revenue), currency)),
            ],
        ),
        Evidence::Handoff {
            slice,
            rate,
            mqls,
            sla_hours,
            low,
            high,
            benchmark,
            source,
            next_stage,
            within,
            late,
        } => fill(
            tr,
            "ev.handoff",
            &[
                ("rate", pct(*rate)),
                ("mqls", count(*mqls as f64)),
                ("slice", in_slice(slice)),
                ("sla", tr.number(*sla_hours, 0)),
                ("low", pct(*low)),
                ("high", pct(*high)),
                ("benchmark", opt_pct(*benchmark)),
                ("source", source_label(tr, *source)),
                ("next", next_stage.as_deref().map_or("–".into(), stage)),
                ("within", opt_pct(*within)),
                ("late", opt_pct(*late)),
            ],
        ),
        Evidence::Retention {
            slice,
            grr,
            low,
            high,
            logo_retention,
            benchmark,
            source,
            lost,
            currency,
            service,
        } => {
            let kept = fill(
                tr,
                "ev.retention",
                &[
                    ("slice", in_slice(slice)),
                    ("grr", pct(*grr)),
                    ("low", pct(*low)),
                    ("high", pct(*high)),
                    ("logo", opt_pct(*logo_retention)),
                    ("benchmark", opt_pct(*benchmark)),
                    ("source", source_label(tr, *source)),
                    ("lost", tr.value(Some(*lost), currency)),
                ],
            );
            match service {
                Some(s) => {
                    let poor = fill(
                        tr,
                        "ev.service",
                        &[
                            ("bad", pct(s.churn_after_poor_service)),
                            ("months", count(s.months_after_poor_service as f64)),
                            ("other", pct(s.churn_otherwise)),
                            ("category", s.top_category.clone()),
                        ],
                    );
                    format!("{kept} {poor}")
                }
                None => kept,
            }
        }
    }
}

/// A link's rate as its kind reads: days for a stage time, else a share.
pub(crate) fn rate_of(tr: &Tr, kind: LinkKind, v: Option<f64>) -> String {
    if kind == LinkKind::StageTime {
        tr.value(v, "days")
    } else {
        tr.value(v, "ratio")
    }
}

fn finding(tr: &Tr, report: &BottlenecksReport, rank: usize, f: &Found) -> Finding {
    let rate = |v: Option<f64>| rate_of(tr, f.kind, v);
    let summary = tr
        .t("bn.summary")
        .replace("{current}", &rate(Some(f.current)))
        .replace("{low}", &rate(Some(f.current_low)))
        .replace("{high}", &rate(Some(f.current_high)))
        .replace("{benchmark}", &rate(Some(f.benchmark)))
        .replace("{source}", &source_label(tr, Some(f.benchmark_source)))
        .replace("{volume}", &tr.value(Some(f.volume as f64), "count"));
    // Without a price on anything, a finding's weight is the customers it loses.
    let stake = if report.ranked_by == "conversions" {
        tr.t("bn.customers_lost")
            .replace("{n}", &tr.value(f.conversions_lost, "count"))
    } else {
        tr.value(Some(f.revenue_at_stake), &report.currency)
    };
    Finding {
        rank,
        link: link_label(tr, &f.link),
        segment: f
            .segment
            .as_deref()
            .map_or(String::new(), |x| slice_label(tr, x)),
        stake,
        current: rate(Some(f.current)),
        benchmark: rate(Some(f.benchmark)),
        summary,
        evidence: evidence_text(tr, &f.facts),
        drill: f
            .drill_down
            .iter()
            .map(|d| {
                (
                    format!("{}: {}", tr.label("dim", d.dimension), d.value),
                    rate(d.current),
                    tr.value(Some(d.volume as f64), "count"),
                    tr.value(Some(d.share_of_gap), "ratio"),
                )
            })
            .collect(),
    }
}

/// The report's findings of the kinds `keep` accepts, ranked as the engine ranks them.
pub(super) fn findings(
    tr: &Tr,
    report: &BottlenecksReport,
    limit: usize,
    keep: impl Fn(LinkKind) -> bool,
) -> Vec<Finding> {
    report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| keep(f.kind))
        .take(limit)
        .map(|(i, f)| finding(tr, report, i + 1, f))
        .collect()
}

/// The bottleneck report that the home and retention pages show whatever their period:
/// the finder judges mature cohorts, so it looks at the twelve months before the as-of
/// time. It keeps the page's filter: a channel's page shows that channel's links.
pub(super) async fn whole_chain(
    state: &AppState,
    params: &ReportParams,
) -> Result<crate::reports::Shown<BottlenecksReport>, AppError> {
    let chain = ReportParams {
        as_of: params.as_of.clone(),
        filter: params.filter.clone(),
        ..Default::default()
    };
    crate::reports::run(state, chain).await
}
