//! Who is asking: a web session (cookie) or an API token, and what their role allows.
//!
//! - Sessions: a random token in an HttpOnly, SameSite=Lax cookie (Secure behind TLS),
//!   stored in the store as its digest with the session's CSRF token, for 14 days at
//!   most and ended after 8 hours without use.
//! - CSRF: every state-changing request made with a session cookie must carry the
//!   session's token in `X-CSRF-Token` (the pages send it on every htmx request); the
//!   sign-in form, made before any session exists, must come from our own origin.
//! - Roles: viewer < editor < admin, checked on the server by every handler.
//! - Sign-in attempts are limited per account and client address, and per client
//!   address across accounts; they are counted before the password is checked.

use crate::i18n::{Lang, Tr};
use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use revline_store::User;

pub const SESSION_COOKIE: &str = "revline_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
const SESSION_DAYS: i64 = 14;
const DAY_MS: i64 = 86_400_000;
/// A session unused this long ends (a shared or forgotten computer).
pub const SESSION_IDLE_MS: i64 = 8 * 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    /// Every role's name, the most trusted first.
    pub const NAMES: [&'static str; 3] = ["admin", "editor", "viewer"];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

/// Why a user could not be added, in words for the person who typed it.
#[derive(Debug, thiserror::Error)]
pub enum NewUserError {
    #[error("'{0}' is not an email address")]
    Email(String),
    #[error("role: one of {}", Role::NAMES.join(", "))]
    Role,
    #[error("{0}")]
    Password(String),
    #[error(transparent)]
    Store(#[from] revline_store::StoreError),
}

impl From<NewUserError> for AppError {
    fn from(e: NewUserError) -> AppError {
        match e {
            NewUserError::Store(e) => AppError::Store(e),
            other => AppError::bad(other.to_string()),
        }
    }
}

/// Which users may be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewUser {
    /// Another user (Settings, `revline user add`): an email already taken is a conflict.
    Another,
    /// The first admin of the first run: made only while no user exists, in one store
    /// statement, so that several set-ups at once make one.
    First,
}

/// The one way a user is made (the first-run set-up, Settings and `revline user add`):
/// the email normalised, the role one of `Role::NAMES`, the password by the one rule and
/// hashed with argon2 off the async threads. Without a password the user signs in only
/// with API tokens. `None` when `First` finds a user already there.
pub async fn create_user(
    store: &dyn revline_store::Store,
    which: NewUser,
    email: &str,
    role: &str,
    password: Option<&str>,
    now: i64,
) -> Result<Option<User>, NewUserError> {
    let address = revline_core::normalize::normalize_email(email)
        .ok_or_else(|| NewUserError::Email(email.to_string()))?;
    let role = Role::parse(role).ok_or(NewUserError::Role)?.name();
    let hash = match password {
        None => None,
        Some(p) => {
            crate::access::check_password(p).map_err(NewUserError::Password)?;
            let p = p.to_string();
            let hashed = tokio::task::spawn_blocking(move || crate::access::hash_password(&p))
                .await
                .map_err(|e| NewUserError::Password(e.to_string()))?;
            Some(hashed.map_err(NewUserError::Password)?)
        }
    };
    Ok(match which {
        NewUser::Another => Some(
            store
                .create_user(&address, role, hash.as_deref(), now)
                .await?,
        ),
        NewUser::First => {
            store
                .create_first_user(&address, role, hash.as_deref(), now)
                .await?
        }
    })
}

fn role_of(user: &User) -> Role {
    Role::parse(&user.role).unwrap_or(Role::Viewer)
}

/// Refuses a caller whose role is below `needed`.
pub fn require(user: &User, needed: Role) -> Result<(), AppError> {
    if role_of(user) >= needed {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "this needs the {} role; {} is {}",
            needed.name(),
            user.email,
            user.role
        )))
    }
}

/// The value of the request's cookie `name` (read by the `cookie` crate).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The user's language: their choice, else the browser's.
pub fn lang_for(user: Option<&User>, headers: &HeaderMap) -> Lang {
    user.and_then(|u| u.lang.as_deref())
        .and_then(Lang::parse)
        .unwrap_or_else(|| {
            Lang::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

/// A signed-in person in the web app.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub user: User,
    pub csrf: String,
    pub tr: Tr,
}

impl WebUser {
    pub fn require(&self, needed: Role) -> Result<(), AppError> {
        require(&self.user, needed)
    }

    pub fn role(&self) -> Role {
        role_of(&self.user)
    }

    pub fn can_edit(&self) -> bool {
        self.role() >= Role::Editor
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }
}

/// The session behind the request's cookie, with the CSRF check for state changes.
async fn session(parts: &Parts, state: &AppState) -> Result<Option<WebUser>, AppError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let Some((user, csrf)) = state
        .store
        .session(&crate::access::digest(&token), now, now - SESSION_IDLE_MS)
        .await?
    else {
        return Ok(None);
    };
    if !is_safe(&parts.method) {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), csrf.as_bytes())) {
            return Err(AppError::Forbidden(
                "the request lacks this session's CSRF token (X-CSRF-Token)".into(),
            ));
        }
    }
    let tr = Tr::new(lang_for(Some(&user), &parts.headers));
    Ok(Some(WebUser { user, csrf, tr }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// A page's caller: without a session, the page sends the browser to sign in.
pub struct Page(pub WebUser);

pub enum PageRejection {
    SignIn {
        setup: bool,
        next: String,
        htmx: bool,
    },
    Error(AppError, Tr),
}

/// A redirect that htmx follows too: an htmx request gets `HX-Redirect` on a 200 (the
/// browser's XMLHttpRequest would follow a 303 itself and swap the target page into
/// the form), a plain request a 303.
pub fn redirect(headers: &HeaderMap, to: &str, cookie: Option<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut r = if headers.contains_key("hx-request") {
        let mut r = axum::http::StatusCode::OK.into_response();
        if let Ok(v) = to.parse() {
            r.headers_mut().insert("HX-Redirect", v);
        }
        r
    } else {
        axum::response::Redirect::to(to).into_response()
    };
    if let Some(c) = cookie.and_then(|c| c.parse().ok()) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

impl axum::response::IntoResponse for PageRejection {
    fn into_response(self) -> axum::response::Response {
        match self {
            PageRejection::SignIn { setup, next, htmx } => {
                let target = if setup {
                    "/setup".to_string()
                } else {
                    format!("/login?next={}", crate::url::url_encode(&next))
                };
                let mut headers = HeaderMap::new();
                if htmx {
                    headers.insert("hx-request", axum::http::HeaderValue::from_static("true"));
                }
                redirect(&headers, &target, None)
            }
            PageRejection::Error(e, tr) => crate::error::error_page(e, tr),
        }
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Page, PageRejection> {
        let tr = Tr::new(lang_for(None, &parts.headers));
        match session(parts, state).await {
            Ok(Some(w)) => Ok(Page(w)),
            Ok(None) => {
                let setup = match state.store.users().await {
                    Ok(users) => users.is_empty(),
                    Err(e) => return Err(PageRejection::Error(e.into(), tr)),
                };
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .filter(|_| is_safe(&parts.method))
                    .unwrap_or_else(|| "/".into());
                Err(PageRejection::SignIn {
                    setup,
                    next,
                    htmx: parts.headers.contains_key("hx-request"),
                })
            }
            Err(e) => Err(PageRejection::Error(e, tr)),
        }
    }
}

/// An API caller: a token (`Authorization: Bearer rvl_...`) or a web session.
pub struct Caller(pub User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, AppError> {
        let Some(header) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return match session(parts, state).await? {
                Some(w) => Ok(Caller(w.user)),
                None => Err(AppError::Unauthorized(
                    "an API token is needed (Authorization: Bearer ...)".into(),
                )),
            };
        };
        // The scheme is case-insensitive (RFC 9110): "bearer" is "Bearer".
        let token = header
            .trim()
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorized("the Authorization header must be 'Bearer TOKEN'".into())
            })?;
        state
            .store
            .user_by_token(&crate::access::digest(token), state.clock.now())
            .await?
            .map(Caller)
            .ok_or_else(|| AppError::Unauthorized("unknown API token".into()))
    }
}

/// A new session for `user`: the `Set-Cookie` value.
pub async fn start_session(
    state: &AppState,
    user: &User,
    secure: bool,
) -> Result<String, AppError> {
    let (token, digest) = crate::access::new_token();
    let (csrf, _) = crate::access::new_token();
    let now = state.clock.now();
    state
        .store
        .create_session(&digest, user.id, &csrf, now, now + SESSION_DAYS * DAY_MS)
        .await?;
    Ok(format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_DAYS * 86_400,
        if secure { "; Secure" } else { "" }
    ))
}

pub async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<String, AppError> {
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        state
            .store
            .delete_session(&crate::access::digest(&token), state.clock.now())
            .await?;
    }
    Ok(format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ))
}

/// Served over TLS (directly or behind a proxy that says so): cookies get `Secure`.
pub fn over_tls(state: &AppState, headers: &HeaderMap) -> bool {
    state.tls
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A form posted before any session exists must come from this site: the `Origin`
/// header, when the browser sends one, must name our own host.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
}

/// Sign-in attempts, counted in the store before the password is checked, so that a
/// restart forgets nothing, every server of a team (one PostgreSQL) counts alike, and a
/// burst of parallel attempts cannot all pass before any is counted.
///
/// An account is limited per client address (`MAX_ATTEMPTS` within `WINDOW_MS`), so
/// that guessing from one address slows that address down without locking the
/// account's owner out elsewhere; a client address is limited across accounts
/// (`MAX_CLIENT_ATTEMPTS`). A success forgets the account's attempts from that address
/// and does not count against the client.
pub mod sign_in_limit {
    use revline_store::{Result, Store};
    use std::net::IpAddr;

    const MAX_ATTEMPTS: u64 = 5;
    const MAX_CLIENT_ATTEMPTS: u64 = 20;
    const WINDOW_MS: i64 = 15 * 60 * 1000;

    /// One attempt, counted: `allowed` says whether it may go on to the password check.
    pub struct Attempt {
        account: String,
        client: Option<String>,
        at: i64,
        pub allowed: bool,
    }

    pub async fn attempt(
        store: &dyn Store,
        email: &str,
        client: Option<IpAddr>,
        now: i64,
    ) -> Result<Attempt> {
        let account = match client {
            Some(c) => format!("{email} from {c}"),
            None => email.to_string(),
        };
        let client = client.map(|c| format!("client {c}"));
        let mut keys = vec![account.as_str()];
        keys.extend(client.as_deref());
        let counts = store.sign_in_attempted(&keys, now, now - WINDOW_MS).await?;
        let allowed =
            counts[0] <= MAX_ATTEMPTS && counts.get(1).is_none_or(|&n| n <= MAX_CLIENT_ATTEMPTS);
        Ok(Attempt {
            account,
            client,
            at: now,
            allowed,
        })
    }

    pub async fn succeeded(store: &dyn Store, attempt: &Attempt) -> Result<()> {
        store.clear_sign_in_failures(&attempt.account, None).await?;
        if let Some(client) = &attempt.client {
            store
                .clear_sign_in_failures(client, Some(attempt.at))
                .await?;
        }
        Ok(())
    }
}

/// The client's address, where the server knows it (`ConnectInfo`); in-process tests
/// have none.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
