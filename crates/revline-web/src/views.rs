//! Saved views: a page with its period, filter and breakdown, saved under a name for
//! the whole workspace and opened by anyone signed in (`/views`). Anyone signed in may
//! save one; the one who saved it or an admin may delete it.

use crate::auth::{Page, Role};
use crate::pages::{Chrome, PageError, PageResult, Ui, chrome_for, render};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/views", get(list).post(save))
        .route("/views/delete", post(delete))
}

pub struct ViewRow {
    pub name: String,
    pub href: String,
    pub page: String,
    pub saved_by: String,
    pub saved_at: String,
    pub deletable: bool,
}

#[derive(Template)]
#[template(path = "views.html")]
struct ViewsPage {
    c: Chrome,
    views: Vec<ViewRow>,
    message: String,
}

async fn list(State(state): State<AppState>, Page(w): Page, Query(ui): Query<Ui>) -> PageResult {
    list_page(&state, &w, &ui, String::new()).await
}

async fn list_page(
    state: &AppState,
    w: &crate::auth::WebUser,
    ui: &Ui,
    message: String,
) -> PageResult {
    let tr = w.tr;
    let views = state
        .store
        .saved_views()
        .await
        .map_err(|e| PageError::new(AppError::from(e), tr))?;
    let rows = views
        .into_iter()
        .map(|v| ViewRow {
            href: if v.query.is_empty() {
                v.path.clone()
            } else {
                format!("{}?{}", v.path, v.query)
            },
            page: crate::pages::page_title(&tr, &v.path),
            deletable: w.is_admin() || v.saved_by == w.user.email,
            saved_at: tr.datetime(&revline_core::time::format_timestamp(v.saved_at)),
            saved_by: v.saved_by,
            name: v.name,
        })
        .collect();
    let page = ViewsPage {
        c: chrome_for(state, w, ui, "views", "nav.views"),
        views: rows,
        message,
    };
    render(&page).map_err(|e| PageError::new(e, tr))
}

#[derive(Deserialize)]
struct SaveForm {
    name: String,
    path: String,
    #[serde(default)]
    query: String,
}

/// Only pages of this app, with a plain query string.
fn checked(path: &str, query: &str) -> Option<(String, String)> {
    let query = query.trim_start_matches('?');
    let known = crate::pages::page_paths().contains(&path);
    let plain = |s: &str| !s.chars().any(|c| c.is_control() || c.is_whitespace());
    (known && plain(query) && query.len() <= 2_000).then(|| (path.to_string(), query.to_string()))
}

async fn save(
    State(state): State<AppState>,
    Page(w): Page,
    headers: HeaderMap,
    axum::Form(form): axum::Form<SaveForm>,
) -> axum::response::Response {
    let tr = w.tr;
    let name = form.name.trim();
    let result = async {
        w.require(Role::Viewer)?;
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::bad("a view needs a name of 1 to 100 characters"));
        }
        let (path, query) = checked(&form.path, &form.query)
            .ok_or_else(|| AppError::bad("only a page of this app can be saved as a view"))?;
        state
            .store
            .save_view(&revline_store::SavedView {
                name: name.to_string(),
                path,
                query,
                saved_by: w.user.email.clone(),
                saved_at: state.clock.now(),
            })
            .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => crate::auth::redirect(&headers, "/views", None),
        Err(e) => crate::error::error_page(e, tr),
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    name: String,
}

async fn delete(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
    axum::Form(form): axum::Form<DeleteForm>,
) -> PageResult {
    let tr = w.tr;
    let views = state
        .store
        .saved_views()
        .await
        .map_err(|e| PageError::new(e, tr))?;
    let Some(view) = views.iter().find(|v| v.name == form.name) else {
        return Err(PageError::new(
            AppError::NotFound(format!("no view '{}'", form.name)),
            tr,
        ));
    };
    if !(w.is_admin() || view.saved_by == w.user.email) {
        return Err(PageError::new(
            AppError::Forbidden("only who saved a view, or an admin, deletes it".into()),
            tr,
        ));
    }
    state
        .store
        .delete_view(&form.name)
        .await
        .map_err(|e| PageError::new(e, tr))?;
    let message = tr.t("views.deleted").replace("{name}", &form.name);
    list_page(&state, &w, &ui, message).await
}
