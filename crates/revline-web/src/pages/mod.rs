//! The pages of the revenue room, one module per page plus the frame they share
//! (`chrome`), the URL state (`ui`) and the bottleneck findings three pages show
//! (`findings`). Each handler checks the caller's role, runs the reports it shows
//! through the same runner as the API, and renders a template from the engine's typed
//! results, with figures already written for the reader's language. Charts are ECharts
//! options built here and embedded as JSON; `assets/app.js` draws them.

mod alerts;
mod attribution;
mod bottlenecks;
mod chrome;
mod findings;
mod funnel;
mod home;
mod import;
mod journeys;
mod plan;
mod records;
mod retention;
mod scores;
mod settings;
mod sign_in;
mod ui;

pub use crate::url::url_encode;
pub(crate) use chrome::{Chrome, chrome_for, page_paths, page_title};
pub(crate) use findings::{link_label, rate_of, slice_label};
pub(crate) use home::warm;
pub use ui::Ui;

use crate::AppError;
use crate::error::error_page;
use crate::i18n::Tr;
use askama::Template;
use axum::Router;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/funnel", get(funnel::funnel))
        .route("/funnel/people", get(funnel::funnel_people))
        .route("/bottlenecks", get(bottlenecks::bottlenecks))
        .route("/attribution", get(attribution::attribution))
        .route("/plan", get(plan::plan))
        .route("/retention", get(retention::retention))
        .route("/scores", get(scores::scores))
        .route("/journeys", get(journeys::journeys))
        .route("/records", get(records::records))
        .route("/records/merge", post(records::merge_contacts))
        .route("/records/unmerge", post(records::unmerge_contact))
        .route("/import", get(import::import_page))
        .route("/import/preview", post(import::import_preview))
        .route("/import/{id}/run", post(import::import_run))
        .route("/import/{id}", get(import::import_status))
        .route("/settings", get(settings::settings_page))
        .route("/settings/workspace", post(settings::save_workspace))
        .route("/settings/targets", post(settings::add_target))
        .route("/settings/users", post(settings::add_user))
        .route("/settings/users/{id}/role", post(settings::set_role))
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/settings/language", post(settings::set_language))
        .route(
            "/settings/alerts",
            get(alerts::alerts_page).post(alerts::create_rule),
        )
        .route("/settings/alerts/{id}", post(alerts::save_rule))
        .route("/settings/alerts/{id}/edit", get(alerts::edit_rule))
        .route("/settings/alerts/{id}/mute", post(alerts::mute_rule))
        .route("/settings/alerts/{id}/delete", post(alerts::remove_rule))
        .route("/settings/alerts/{id}/test", post(alerts::try_rule))
        .route("/login", get(sign_in::login_page).post(sign_in::login))
        .route("/logout", post(sign_in::logout))
        .route("/setup", get(sign_in::setup_page).post(sign_in::setup))
}

/// Renders a page's template.
pub(crate) fn render(t: &impl Template) -> Result<Response, AppError> {
    let html = t
        .render()
        .map_err(|e| AppError::internal(format!("rendering the page failed: {e}")))?;
    Ok(Html(html).into_response())
}

/// A page's failure: shown as an error page in the reader's language.
pub(crate) struct PageError {
    error: AppError,
    tr: Tr,
}

impl PageError {
    pub(crate) fn new(error: impl Into<AppError>, tr: Tr) -> PageError {
        PageError {
            error: error.into(),
            tr,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.error, self.tr)
    }
}

/// A number typed into a page's field, in either language's format: `None` for an
/// empty field, a 400 naming the field for text that is not a number.
pub(crate) fn typed_number(
    tr: Tr,
    field: &str,
    text: Option<&str>,
) -> Result<Option<f64>, PageError> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    crate::i18n::parse_number_input(t)
        .map(Some)
        .ok_or_else(|| PageError::new(AppError::bad(format!("{field}: '{t}' is not a number")), tr))
}

/// A page handler's result, so that handlers use `?`.
pub(crate) type PageResult = Result<Response, PageError>;

/// Turns any failure into a page error in the reader's language.
pub(crate) trait OrPage<T> {
    fn or_page(self, tr: Tr) -> Result<T, PageError>;
}

impl<T, E: Into<AppError>> OrPage<T> for Result<T, E> {
    fn or_page(self, tr: Tr) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(e, tr))
    }
}
