//! Attribution: one model's credit per channel beside the range across all.

use super::chrome::{Chrome, chrome, csv_download};
use super::ui::Ui;
use super::{OrPage, PageResult, render};
use crate::AppState;
use crate::auth::{Page, WebUser};
use askama::Template;
use axum::extract::{Query, State};
use revline_engine::attribution::{AttributionReport, ChannelCredit, Credit, Model, ModelReport};
use revline_engine::query::ReportKind;
use serde_json::json;

pub struct AttrRow {
    pub channel: String,
    /// The credit under the model chosen for the table.
    pub credit: String,
    pub range: String,
    pub removal: String,
    pub spend: String,
    pub cac: String,
    pub roas: String,
    pub retained: String,
}

#[derive(Template)]
#[template(path = "attribution.html")]
struct AttributionPage {
    c: Chrome,
    /// (key, label) of every model, and the one whose credit the table shows (the
    /// chart shows them all).
    models: Vec<(String, String)>,
    shown_model: String,
    shown_label: String,
    marketing_only: bool,
    rows: Vec<AttrRow>,
    chart: String,
    by_campaign: bool,
    /// No conversion carries a value: the credit shown is in conversions.
    in_conversions: bool,
    no_conversions: bool,
}

pub(super) async fn attribution(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    attribution_inner(&state, &w, &ui).await
}

pub(super) async fn attribution_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "last_12_months");
    let mut params = ui.params(&period);
    params.model = Some("all".into());
    // Sales calls and service contacts can be left out of the journeys, so that the
    // models credit marketing's channels for what they began.
    let marketing_only = ui.touches.as_deref() == Some("marketing");
    if marketing_only {
        params.touches = Some("marketing".into());
    }
    let by_campaign = ui.by.as_deref() == Some("campaign");
    if by_campaign {
        params.by = Some("campaign".into());
    }
    let csv = csv_download(&tr, "nav.attribution", ReportKind::Attribution, &params);
    let report = crate::reports::run::<AttributionReport>(state, params)
        .await
        .or_page(tr)?;
    let currency = state.settings().currency.to_string();
    let models = &report.models;
    // Conversions without a value (deals without amounts) are credited in conversions.
    let in_conversions = report.credit == Credit::Conversions;
    let credit_unit = if in_conversions {
        "conversions"
    } else {
        currency.as_str()
    };
    let credit_of = |c: &ChannelCredit| {
        if in_conversions {
            c.conversions
        } else {
            c.value
        }
    };
    let no_conversions = models.iter().all(|m| m.conversions == 0.0);
    let markov = models.iter().find(|m| m.model == Model::Markov);
    // The table shows one model's credit (Markov, the data-driven one, unless another
    // is chosen) beside the range across all, so that it fits a laptop's width.
    let shown_model = ui
        .model
        .as_deref()
        .and_then(|k| models.iter().find(|m| m.model.name() == k))
        .or(markov)
        .map_or(Model::Markov, |m| m.model);
    let shown = models.iter().find(|m| m.model == shown_model);
    let mut rows: Vec<AttrRow> = models
        .first()
        .map_or(&[][..], |m| &m.channels)
        .iter()
        .map(|c| {
            let name = c.channel.as_str();
            let range = report.ranges.iter().find(|r| r.channel == name);
            AttrRow {
                credit: shown
                    .and_then(|m| credited(m, name))
                    .map(|x| tr.value(Some(credit_of(x)), credit_unit))
                    .unwrap_or_else(|| "–".into()),
                range: range
                    .map(|r| {
                        let (low, high) = if in_conversions {
                            (r.conversions_min, r.conversions_max)
                        } else {
                            (r.value_min, r.value_max)
                        };
                        format!(
                            "{} – {}",
                            tr.value(Some(low), credit_unit),
                            tr.value(Some(high), credit_unit)
                        )
                    })
                    .unwrap_or_default(),
                removal: markov
                    .and_then(|m| credited(m, name))
                    .map(|x| tr.value(x.removal_effect, "ratio"))
                    .unwrap_or_else(|| "–".into()),
                spend: tr.value(c.spend, &currency),
                cac: tr.value(c.cost_per_conversion, &currency),
                roas: c
                    .roas
                    .map(|r| format!("{}×", tr.number(r, 2)))
                    .unwrap_or_else(|| "–".into()),
                retained: tr.value(c.retained_revenue, &currency),
                channel: name.to_string(),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.channel.cmp(&b.channel));
    let names: Vec<&str> = rows.iter().map(|r| r.channel.as_str()).collect();
    let series: Vec<serde_json::Value> = models
        .iter()
        .map(|m| {
            let data: Vec<f64> = names
                .iter()
                .map(|n| {
                    credited(m, n).map_or(0.0, |x| {
                        let v = credit_of(x);
                        if in_conversions {
                            (v * 10.0).round() / 10.0
                        } else {
                            v.round()
                        }
                    })
                })
                .collect();
            json!({"name": tr.label("model", m.model.name()), "type": "bar", "data": data})
        })
        .collect();
    let chart = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 70, "right": 20, "top": 40, "bottom": 70},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 30}},
        "yAxis": {"type": "value"},
        "series": series
    })
    .to_string();
    let page = AttributionPage {
        c: chrome(
            state,
            w,
            ui,
            "attribution",
            "nav.attribution",
            Some(&period),
            true,
        )
        .downloads(vec![csv]),
        models: models
            .iter()
            .map(|m| {
                (
                    m.model.name().to_string(),
                    tr.label("model", m.model.name()),
                )
            })
            .collect(),
        shown_label: tr.label("model", shown_model.name()),
        shown_model: shown_model.name().to_string(),
        marketing_only,
        rows,
        chart,
        by_campaign,
        in_conversions,
        no_conversions,
    };
    render(&page).or_page(tr)
}

/// A model's credit for one channel (or campaign: by campaign, `channel` names it).
fn credited<'m>(model: &'m ModelReport, name: &str) -> Option<&'m ChannelCredit> {
    model.channels.iter().find(|c| c.channel == name)
}
