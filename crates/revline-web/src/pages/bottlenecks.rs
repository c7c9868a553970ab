//! The bottleneck finder's page, with the what-if of one link.

use super::chrome::{Chrome, chrome, csv_download};
use super::findings::{Finding, findings, link_label};
use super::ui::Ui;
use super::{OrPage, PageResult, render, typed_number};
use crate::AppState;
use crate::auth::{Page, WebUser};
use askama::Template;
use axum::extract::{Query, State};
use revline_engine::bottlenecks::{BottlenecksReport, Unchanged};
use revline_engine::link::Link;
use revline_engine::query::ReportKind;

#[derive(Template)]
#[template(path = "bottlenecks.html")]
struct BottlenecksPage {
    c: Chrome,
    findings: Vec<Finding>,
    judged: bool,
    links: Vec<(String, String)>,
    what_if_link: String,
    what_if_rate: String,
    what_if: Option<WhatIf>,
}

pub struct WhatIf {
    pub sentence: String,
    /// Why the reverse funnel does not move with this link, when it cannot.
    pub unchanged: String,
    pub rows: Vec<(String, String, String)>,
}

pub(super) async fn bottlenecks(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    bottlenecks_inner(&state, &w, &ui).await
}

pub(super) async fn bottlenecks_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "last_12_months");
    let mut params = ui.params(&period);
    let link = ui.what_if_link.clone().filter(|l| !l.is_empty());
    let rate = ui.what_if_rate.clone().filter(|r| !r.is_empty());
    if let (Some(l), Some(rate)) = (&link, typed_number(tr, "rate", rate.as_deref())?) {
        params.what_if = Some(format!("{l}={rate}"));
    }
    let csv = csv_download(&tr, "nav.bottlenecks", ReportKind::Bottlenecks, &params);
    let report = crate::reports::run::<BottlenecksReport>(state, params)
        .await
        .or_page(tr)?;
    let settings = state.settings();
    let mut links = vec![Link::Handoff];
    links.extend(settings.stages.windows(2).map(|pair| Link::Conversion {
        from: pair[0].clone(),
        to: pair[1].clone(),
    }));
    links.push(Link::Retention);
    let links = links
        .iter()
        .map(|l| (l.to_string(), link_label(&tr, l)))
        .collect();
    let currency = report.currency.as_str();
    let what_if = report.what_if.as_ref().map(|wi| {
        let count = |v: Option<&f64>| v.map(|v| tr.count(*v)).unwrap_or_default();
        WhatIf {
            sentence: tr
                .t("bn.what_if_result")
                .replace("{before}", &tr.value(Some(wi.revenue_before), currency))
                .replace("{after}", &tr.value(Some(wi.revenue_after), currency))
                .replace(
                    "{link}",
                    &Link::parse(&wi.link).map_or_else(|| wi.link.clone(), |l| link_label(&tr, &l)),
                )
                .replace("{rate}", &tr.percent(wi.rate)),
            unchanged: match wi.unchanged {
                Some(Unchanged::PeriodOver) => tr.t("bn.what_if_period_over").to_string(),
                None => String::new(),
            },
            rows: settings
                .stages
                .iter()
                .enumerate()
                .map(|(i, st)| {
                    (
                        tr.label("stage", st),
                        count(wi.required_before.get(i)),
                        count(wi.required_after.get(i)),
                    )
                })
                .collect(),
        }
    });
    let page = BottlenecksPage {
        c: chrome(
            state,
            w,
            ui,
            "bottlenecks",
            "nav.bottlenecks",
            Some(&period),
            true,
        )
        .downloads(vec![csv]),
        findings: findings(&tr, &report, usize::MAX, |_| true),
        judged: report.judged,
        links,
        what_if_link: link.unwrap_or_default(),
        what_if_rate: rate.unwrap_or_default(),
        what_if,
    };
    render(&page).or_page(tr)
}
