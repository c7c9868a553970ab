//! Records: contacts, accounts and deals as stored, with merges of duplicates.

use super::chrome::{Chrome, chrome};
use super::ui::Ui;
use super::{OrPage, PageError, PageResult, render, url_encode};
use crate::auth::{Page, Role, WebUser};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use revline_core::RecordKind;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "records.html")]
struct RecordsPage {
    c: Chrome,
    kind: String,
    kinds: Vec<(String, String)>,
    columns: Vec<(String, String)>,
    /// (id, cells, score): a contact's lead score, empty for other kinds.
    rows: Vec<(String, Vec<String>, String)>,
    q: String,
    sort: String,
    desc: bool,
    col: String,
    val: String,
    found: String,
    page: usize,
    prev_url: String,
    next_url: String,
    filter_columns: Vec<String>,
    /// Contacts sharing an email: (email, ids), the first id the one others merge into.
    duplicates: Vec<(String, Vec<String>)>,
    /// Recorded merges: (merged, survivor, when, by).
    merges: Vec<(String, String, String, String)>,
    can_edit: bool,
    message: String,
    /// Why the score column is empty (too little history to learn from).
    score_note: String,
}

const PAGE_SIZE: usize = 50;
const MAX_PAGE: usize = 1 << 32;

fn record_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Accounts => &[
            "name",
            "domain",
            "industry",
            "segment",
            "country",
            "owner",
            "created_at",
        ],
        RecordKind::Contacts => &[
            "email",
            "name",
            "title",
            "account_id",
            "owner",
            "source",
            "created_at",
        ],
        _ => &[
            "name",
            "account_id",
            "owner",
            "stage",
            "amount",
            "currency",
            "status",
            "expected_close_at",
        ],
    }
}

fn filter_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Accounts => &["segment", "country", "owner", "industry"],
        RecordKind::Contacts => &["owner", "source", "account_id"],
        _ => &["status", "stage", "owner", "account_id"],
    }
}

pub(super) async fn records(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    records_view(&state, &w, &ui, String::new()).await
}

async fn records_view(state: &AppState, w: &WebUser, ui: &Ui, message: String) -> PageResult {
    let tr = w.tr;
    {
        {
            let kind = match ui.kind.as_deref() {
                Some("accounts") => RecordKind::Accounts,
                Some("deals") => RecordKind::Deals,
                _ => RecordKind::Contacts,
            };
            let cols = record_columns(kind);
            let sort = ui
                .sort
                .clone()
                .filter(|s| s == "id" || cols.contains(&s.as_str()))
                .unwrap_or_else(|| "id".into());
            let desc = ui.desc.unwrap_or(false);
            let col = ui
                .col
                .clone()
                .filter(|c| filter_columns(kind).contains(&c.as_str()))
                .unwrap_or_default();
            let val = ui.val.clone().unwrap_or_default();
            // A page number past any table (`page=9223372036854775807`) shows an empty
            // page rather than overflowing.
            let page = ui.page.unwrap_or(0).min(MAX_PAGE);
            let q = ui.q.clone().unwrap_or_default();
            let search = revline_store::RecordSearch {
                text: Some(q.clone()).filter(|s| !s.trim().is_empty()),
                equals: if col.is_empty() || val.is_empty() {
                    vec![]
                } else {
                    vec![(col.clone(), val.clone())]
                },
                sort: Some(sort.clone()),
                descending: desc,
                offset: page * PAGE_SIZE,
                limit: PAGE_SIZE,
            };
            let (found, total) = state
                .store
                .search_records(kind, &search)
                .await
                .or_page(tr)?;
            let settings = state.settings();
            let fields = kind.fields();
            let rows = found
                .iter()
                .map(|r| {
                    let values = revline_ingest::export::render_fields(r, &settings);
                    let cells = cols
                        .iter()
                        .map(|c| {
                            let i = fields
                                .iter()
                                .position(|f| f.name == *c)
                                .expect("a column of the kind");
                            let v = &values[i];
                            if c.ends_with("_at") && !v.is_empty() {
                                tr.date(v)
                            } else {
                                v.clone()
                            }
                        })
                        .collect();
                    (r.id.clone(), cells)
                })
                .collect::<Vec<_>>();
            // Contacts show their lead score (a non-lead has none: "–").
            let scores = if kind == RecordKind::Contacts {
                let ids: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
                super::scores::scores_of(state, ui.as_of.clone().filter(|s| !s.is_empty()), &ids)
                    .await
                    .or_page(tr)?
            } else {
                super::scores::ScoresOf {
                    target: String::new(),
                    horizon_days: 0.0,
                    base_rate: None,
                    unfit: None,
                    by_id: Default::default(),
                }
            };
            let score_note = scores
                .unfit
                .as_ref()
                .map(|reason| format!("{} {reason}", tr.t("scores.unfit")))
                .unwrap_or_default();
            let rows = rows
                .into_iter()
                .map(|(id, cells)| {
                    let score = match (kind, scores.by_id.get(&id)) {
                        (RecordKind::Contacts, Some(c)) => tr.percent(c.score),
                        (RecordKind::Contacts, None) => "–".to_string(),
                        _ => String::new(),
                    };
                    (id, cells, score)
                })
                .collect();
            let url = |p: usize| {
                format!(
                    "/records?kind={}&q={}&sort={sort}&desc={desc}&col={col}&val={}&page={p}",
                    kind.name(),
                    url_encode(&q),
                    url_encode(&val)
                )
            };
            let pages = (total as usize).div_ceil(PAGE_SIZE);
            let (duplicates, merges) = if kind == RecordKind::Contacts {
                let dups = state.store.duplicate_emails().await.or_page(tr)?;
                let merges = state.store.contact_merges().await.or_page(tr)?;
                (
                    dups.into_iter().map(|d| (d.email, d.contact_ids)).collect(),
                    merges
                        .into_iter()
                        .map(|m| {
                            let when = revline_core::time::format_timestamp(m.merged_at);
                            (m.merged_id, m.survivor_id, tr.date(&when), m.merged_by)
                        })
                        .collect(),
                )
            } else {
                (Vec::new(), Vec::new())
            };
            let page_view = RecordsPage {
                c: chrome(state, w, ui, "records", "nav.records", None, false),
                kind: kind.name().to_string(),
                kinds: ["contacts", "accounts", "deals"]
                    .iter()
                    .map(|k| (k.to_string(), tr.label("records", k)))
                    .collect(),
                columns: cols
                    .iter()
                    .map(|c| (c.to_string(), c.replace('_', " ")))
                    .collect(),
                rows,
                found: tr
                    .t("records.found")
                    .replace("{n}", &tr.count(total as f64)),
                prev_url: if page > 0 {
                    url(page - 1)
                } else {
                    String::new()
                },
                next_url: if page + 1 < pages {
                    url(page + 1)
                } else {
                    String::new()
                },
                filter_columns: filter_columns(kind).iter().map(|c| c.to_string()).collect(),
                q,
                sort,
                desc,
                col,
                val,
                page: page + 1,
                duplicates,
                merges,
                can_edit: w.can_edit(),
                message,
                score_note,
            };
            render(&page_view).or_page(tr)
        }
    }
}

#[derive(Deserialize)]
pub(super) struct MergeForm {
    merged: String,
    #[serde(default)]
    into: String,
}

/// Merges one contact into another (the same person under two ids) and reads the
/// workspace again so that every page counts them once.
pub(super) async fn merge_contacts(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<MergeForm>,
) -> PageResult {
    merge_change(&state, &w, form, true).await
}

pub(super) async fn unmerge_contact(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<MergeForm>,
) -> PageResult {
    merge_change(&state, &w, form, false).await
}

async fn merge_change(state: &AppState, w: &WebUser, form: MergeForm, merge: bool) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let message = if merge {
        match revline_store::merge_contacts(
            state.store.as_ref(),
            &form.merged,
            &form.into,
            &w.user.email,
            state.clock.now(),
        )
        .await
        {
            Ok(_) => tr
                .t("records.merged")
                .replace("{merged}", &form.merged)
                .replace("{into}", &form.into),
            Err(revline_store::MergeError::Refused(why)) => {
                return Err(PageError::new(AppError::bad(why), tr));
            }
            Err(revline_store::MergeError::Store(e)) => return Err(PageError::new(e, tr)),
        }
    } else {
        if !state
            .store
            .unmerge_contact(&form.merged)
            .await
            .or_page(tr)?
        {
            return Err(PageError::new(
                AppError::NotFound(format!("contact {} is not merged", form.merged)),
                tr,
            ));
        }
        tr.t("records.unmerged").replace("{merged}", &form.merged)
    };
    state
        .live
        .rebuild(state.store.as_ref(), &state.settings(), "merge")
        .await
        .or_page(tr)?;
    let ui = Ui {
        kind: Some("contacts".into()),
        ..Ui::default()
    };
    records_view(state, w, &ui, message).await
}
