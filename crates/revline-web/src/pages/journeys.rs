//! One person's or account's journey on one timeline.

use super::chrome::{Chrome, chrome};
use super::ui::Ui;
use super::{OrPage, PageError, PageResult, render};
use crate::auth::Page;
use crate::i18n::Tr;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use revline_engine::journeys::{Event, JourneyReport};
use revline_engine::query::ReportParams;

pub struct Step {
    pub when: String,
    pub team: String,
    pub team_class: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "journeys.html")]
struct JourneysPage {
    c: Chrome,
    q: String,
    subject: String,
    steps: Vec<Step>,
    message: String,
    /// A contact's lead score and its strongest reasons: (score, reasons), or why none.
    why: Option<(String, Vec<(bool, String)>)>,
    why_intro: String,
    /// Why a contact has no score: it never became a lead, or there is too little
    /// history to learn from.
    why_none: String,
}

pub(super) async fn journeys(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    let tr = w.tr;
    let q = ui.q.clone().unwrap_or_default().trim().to_string();
    let mut steps = Vec::new();
    let mut subject = String::new();
    let mut message = String::new();
    let mut why = None;
    let mut why_intro = String::new();
    let mut why_none = tr.t("scores.no_score").to_string();
    if !q.is_empty() {
        let mut params = ReportParams {
            as_of: ui.as_of.clone().filter(|s| !s.is_empty()),
            ..Default::default()
        };
        if q.contains('@') {
            params.email = Some(q.clone());
        } else if state.snapshot().accounts.ids.get(&q).is_some() {
            params.account = Some(q.clone());
        } else {
            params.contact = Some(q.clone());
        }
        match crate::reports::run::<JourneyReport>(&state, params).await {
            Ok(j) => {
                subject = format!("{} {}", j.subject, j.id);
                if j.subject == "contact" {
                    let as_of = ui.as_of.clone().filter(|s| !s.is_empty());
                    let found =
                        super::scores::scores_of(&state, as_of, std::slice::from_ref(&j.id))
                            .await
                            .map_err(|e| PageError::new(e, tr))?;
                    why_intro = tr
                        .t("scores.why_intro")
                        .replace("{target}", &tr.label("stage", &found.target))
                        .replace("{days}", &tr.number(found.horizon_days, 0))
                        .replace("{average}", &tr.value(found.base_rate, "ratio"));
                    why = Some(match found.by_id.get(&j.id) {
                        Some(c) => super::scores::why(&tr, c),
                        None => (String::new(), Vec::new()),
                    });
                    // Nobody is scored without enough history: say so, not "never a lead".
                    if let Some(reason) = found.unfit {
                        why_none = format!("{} {reason}", tr.t("scores.unfit"));
                    }
                }
                let of_account = j.subject == "account";
                steps = j
                    .events
                    .iter()
                    .map(|e| step(&tr, e, &j.currency, of_account))
                    .collect();
            }
            Err(AppError::NotFound(m)) => message = m,
            Err(e) => return Err(PageError::new(e, tr)),
        }
    }
    let page = JourneysPage {
        c: chrome(&state, &w, &ui, "journeys", "nav.journeys", None, false),
        q,
        subject,
        steps,
        message,
        why,
        why_intro,
        why_none,
    };
    render(&page).or_page(tr)
}

/// One event of the timeline as a line: what happened, with its figures.
fn step(tr: &Tr, e: &Event, currency: &str, of_account: bool) -> Step {
    let mut what = vec![e.event.replace('_', " ")];
    what.extend(
        [&e.stage, &e.channel, &e.campaign, &e.kind, &e.deal]
            .into_iter()
            .flatten()
            .filter(|v| !v.is_empty())
            .cloned(),
    );
    if let Some(a) = e.amount {
        what.push(tr.money(a, currency));
    }
    if let Some(c) = e.csat {
        what.push(format!("CSAT {c}"));
    }
    // A deal's stage changes and records of the account itself name no person.
    if of_account && let Some(contact) = e.contact.as_deref().filter(|c| !c.is_empty()) {
        what.push(format!("({contact})"));
    }
    Step {
        when: tr.datetime(&e.at),
        team: e.team.map_or(String::new(), |t| tr.label("team", t)),
        team_class: e.team.unwrap_or("revenue").to_string(),
        what: what.join(" · "),
    }
}
