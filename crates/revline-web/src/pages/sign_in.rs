//! Sign-in, sign-out and the first run's set-up.

use super::render;
use super::ui::Ui;
use crate::auth::Page;
use crate::error::error_page;
use crate::i18n::Tr;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    next: String,
    email: String,
    error: String,
    setup: bool,
    asset_version: &'static str,
}

/// Where to go after signing in: only a path of this site. Never "//elsewhere",
/// "/\\elsewhere" or a scheme, and no control character or space anywhere, since
/// browsers drop a tab or newline and would read "/\t/evil.example" as
/// "//evil.example" (and a newline cannot go into a `Location` header).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(|c| c.is_control() || c.is_whitespace())
    })
    .unwrap_or("/")
    .to_string()
}

pub(super) async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(ui): Query<Ui>,
) -> Response {
    let tr = Tr::new(crate::auth::lang_for(None, &headers));
    match state.store.users().await {
        Ok(u) if u.is_empty() => return Redirect::to("/setup").into_response(),
        Err(e) => return error_page(e.into(), tr),
        _ => {}
    }
    let page = LoginPage {
        tr,
        next: safe_next(ui.next.as_deref()),
        email: String::new(),
        error: String::new(),
        setup: false,
        asset_version: crate::assets::version(),
    };
    render(&page).unwrap_or_else(|e| error_page(e, tr))
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
    crate::auth::ClientAddr(client): crate::auth::ClientAddr,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let tr = Tr::new(crate::auth::lang_for(None, &headers));
    if !crate::auth::same_origin(&headers) {
        return error_page(AppError::Forbidden("sign-in from another site".into()), tr);
    }
    let email = form.email.trim().to_lowercase();
    let now = state.clock.now();
    let again = |error: &str, status: StatusCode| {
        let page = LoginPage {
            tr,
            next: safe_next(Some(&form.next)),
            email: email.clone(),
            error: tr.t(error).to_string(),
            setup: false,
            asset_version: crate::assets::version(),
        };
        (status, render(&page).unwrap_or_else(|e| error_page(e, tr))).into_response()
    };
    // Counted before the slow password check, so that parallel attempts cannot all
    // pass the limit while none has been counted yet.
    let attempt =
        match crate::auth::sign_in_limit::attempt(&*state.store, &email, client, now).await {
            Ok(a) if a.allowed => a,
            Ok(_) => return again("login.limited", StatusCode::TOO_MANY_REQUESTS),
            Err(e) => return error_page(e.into(), tr),
        };
    let user = match state.store.user_by_email(&email).await {
        Ok(u) => u,
        Err(e) => return error_page(e.into(), tr),
    };
    // Verify against a fixed hash when the user is unknown, so timing does not tell
    // which addresses have accounts; off the async threads, since it is slow on purpose.
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let known = user.as_ref().is_some_and(|u| u.password_hash.is_some());
    let password = form.password.clone();
    let valid = tokio::task::spawn_blocking(move || {
        crate::access::verify_password(&password, &hash) && known
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| valid) else {
        return again("login.failed", StatusCode::UNAUTHORIZED);
    };
    if let Err(e) = crate::auth::sign_in_limit::succeeded(&*state.store, &attempt).await {
        return error_page(e.into(), tr);
    }
    signed_in(&state, &user, &headers, &safe_next(Some(&form.next))).await
}

/// A real hash of nothing anyone knows, made once.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        crate::access::hash_password("no user has this password").unwrap_or_default()
    })
}

async fn signed_in(
    state: &AppState,
    user: &revline_store::User,
    headers: &HeaderMap,
    next: &str,
) -> Response {
    let tr = Tr::new(crate::auth::lang_for(Some(user), headers));
    match crate::auth::start_session(state, user, crate::auth::over_tls(state, headers)).await {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response(),
        Err(e) => error_page(e, tr),
    }
}

pub(super) async fn logout(
    State(state): State<AppState>,
    Page(w): Page,
    headers: HeaderMap,
) -> Response {
    match crate::auth::end_session(&state, &headers).await {
        Ok(cookie) => crate::auth::redirect(&headers, "/", Some(cookie)),
        Err(e) => error_page(e, w.tr),
    }
}

pub(super) async fn setup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let tr = Tr::new(crate::auth::lang_for(None, &headers));
    match state.store.users().await {
        Ok(u) if !u.is_empty() => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.into(), tr),
        _ => {}
    }
    let page = LoginPage {
        tr,
        next: "/".into(),
        email: String::new(),
        error: String::new(),
        setup: true,
        asset_version: crate::assets::version(),
    };
    render(&page).unwrap_or_else(|e| error_page(e, tr))
}

/// The first admin, while no user exists (afterwards this answers 403).
pub(super) async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let tr = Tr::new(crate::auth::lang_for(None, &headers));
    if !crate::auth::same_origin(&headers) {
        return error_page(AppError::Forbidden("set-up from another site".into()), tr);
    }
    // One statement decides, so that several set-ups at once make one admin.
    match crate::auth::create_user(
        state.store.as_ref(),
        crate::auth::NewUser::First,
        &form.email,
        "admin",
        Some(&form.password),
        state.clock.now(),
    )
    .await
    {
        Ok(Some(user)) => signed_in(&state, &user, &headers, "/").await,
        Ok(None) => error_page(
            AppError::Forbidden("the first admin exists already; sign in".into()),
            tr,
        ),
        Err(e) => error_page(e.into(), tr),
    }
}
