//! Student and educator accounts: sign-in and sign-out, joining a class with its code,
//! changing a password, setting one from a one-time link, and a learner's progress page.

use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::accounts::password::decoy_hash;
use crate::accounts::{
    ClassCode, DisplayName, Role, Username, check_new_password, hash_password, verify_password,
};
use crate::store::{Account, NewAccount, Store, StoreError};
use crate::web::AppState;
use crate::web::auth::ClientIp;
use crate::web::error::AppError;
use crate::web::form::CheckedForm;
use crate::web::identity::{self, SignedIn, Visitor, redirect_with_cookie, safe_next};
use crate::web::limits::Segment;
use crate::web::session::{Session, random_token};
use crate::web::templates::{FieldProblem, JoinPage, PasswordPage, SetPasswordPage, SignInPage};

/// Wrong passwords in a row after which an account's sign-ins wait [`THROTTLE_MS`].
pub const MAX_WRONG_PASSWORDS: u32 = 20;
/// How long sign-ins to an account wait after [`MAX_WRONG_PASSWORDS`] in a row.
pub const THROTTLE_MS: i64 = 15 * 60 * 1000;
/// How long a one-time password link works.
pub const LINK_VALID_MS: i64 = 24 * 60 * 60 * 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/join", get(join_form).post(join))
        .route(
            "/account/password",
            get(password_form).post(change_password),
        )
        .route(
            "/set-password/{token}",
            get(set_password_form).post(set_password),
        )
}

/// Where an account goes after signing in, unless it came from somewhere.
fn home(account: &Account) -> &'static str {
    match account.role {
        Role::Educator => "/educator",
        Role::Student => "/progress",
    }
}

/// The SHA-256 of a one-time link's token: the store never holds a usable link.
fn link_hash(token: &str) -> String {
    crate::sha256_hex(token)
}

/// Creates a one-time link to set `account_id`'s password, valid [`LINK_VALID_MS`]; returns
/// its path.
pub fn new_password_link(
    store: &dyn Store,
    account_id: i64,
    now_ms: i64,
) -> Result<String, StoreError> {
    let token = random_token();
    store.accounts().create_password_link(
        &link_hash(&token),
        account_id,
        now_ms + LINK_VALID_MS,
    )?;
    Ok(format!("/set-password/{token}"))
}

/// Why `lectern educator add|reset` could not make a link.
#[derive(Debug, thiserror::Error)]
pub enum EducatorLinkError {
    #[error("{0}")]
    Name(#[from] crate::accounts::NameProblem),
    #[error("the username {0} is taken: use `lectern educator reset {0}` for a new link")]
    Taken(String),
    #[error("there is no educator account {0}: use `lectern educator add {0}`")]
    NoSuchEducator(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `lectern educator add` (`create`) or `reset`: the path of a new one-time link to set the
/// educator's password.
pub fn educator_password_link(
    store: &dyn Store,
    username: &str,
    name: Option<&str>,
    create: bool,
) -> Result<String, EducatorLinkError> {
    let username = Username::parse(username)?;
    let now = now_ms();
    let id = if create {
        let display = DisplayName::parse(name.unwrap_or(username.as_str()))?;
        store
            .accounts()
            .create_account(&NewAccount {
                username: username.to_string(),
                display_name: display.as_str().to_string(),
                role: Role::Educator,
                password_hash: None,
                created_ms: now,
            })?
            .ok_or_else(|| EducatorLinkError::Taken(username.to_string()))?
    } else {
        match store.accounts().account_by_username(username.as_str())? {
            Some(account) if account.role == Role::Educator => account.id,
            _ => return Err(EducatorLinkError::NoSuchEducator(username.to_string())),
        }
    };
    Ok(new_password_link(store, id, now)?)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
    why: Option<String>,
}

fn render_sign_in(
    session: &Session,
    next: &str,
    username: &str,
    note: Option<&str>,
    problem: Option<&str>,
) -> Result<String, AppError> {
    Ok(SignInPage {
        csrf: &session.csrf,
        next,
        username,
        note,
        problem,
    }
    .render()?)
}

async fn sign_in_form(
    visitor: Visitor,
    Query(query): Query<SignInQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(query.next.as_deref(), "");
    if let Some(account) = &visitor.account {
        return Ok(Redirect::to(safe_next(Some(next), home(account))).into_response());
    }
    let note = (query.why.as_deref() == Some("quiz"))
        .then_some("Quizzes on this site need an account. Sign in, or join your class with the code your teacher gave you.");
    Ok(Html(render_sign_in(&visitor.session, next, "", note, None)?).into_response())
}

async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    form: CheckedForm,
) -> Result<Response, AppError> {
    let form = form.named(&["username", "password", "next"])?;
    let (typed, password) = (
        form.one("username").to_string(),
        form.one("password").to_string(),
    );
    let next = safe_next(Some(form.one("next")), "").to_string();
    if let Err(retry_after_secs) = state.address_failures.check(ip, Instant::now()) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let now = state.now_ms();
    let account = match Username::parse(&typed) {
        Ok(username) => {
            state
                .with_quick_read(move |s| s.accounts().account_by_username(username.as_str()))
                .await?
        }
        Err(_) => None,
    };
    if let Some(account) = &account
        && account.throttled_until_ms > now
    {
        let wait_secs = ((account.throttled_until_ms - now) / 1000).max(1);
        let minutes = (wait_secs + 59) / 60;
        let problem = format!(
            "There were too many wrong passwords for this account in a row, so signing in to it is paused. Try again in {minutes} minute{}, or ask your teacher for a link to set a new password.",
            if minutes == 1 { "" } else { "s" }
        );
        let page = render_sign_in(&session, &next, &typed, None, Some(&problem))?;
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, wait_secs.to_string())],
            Html(page),
        )
            .into_response());
    }
    // An unknown user costs the same hash as a wrong password, so timing tells nothing.
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let matches = state
        .hashing(move || match stored {
            Some(hash) => verify_password(&password, &hash),
            None => {
                verify_password(&password, decoy_hash());
                false
            }
        })
        .await?;
    match account {
        Some(account) if matches => {
            let cookie = identity::sign_in(&state, &session, &account).await?;
            Ok(redirect_with_cookie(
                safe_next(Some(&next), home(&account)),
                cookie,
            ))
        }
        account => {
            state.address_failures.fail(ip, Instant::now());
            if let Some(account) = account {
                state
                    .with_store(move |s| {
                        s.accounts().record_failed_sign_in(
                            account.id,
                            now,
                            MAX_WRONG_PASSWORDS,
                            THROTTLE_MS,
                        )
                    })
                    .await?;
            }
            let page = render_sign_in(
                &session,
                &next,
                &typed,
                None,
                Some(
                    "That username and password do not match an account. Check both and try again.",
                ),
            )?;
            Ok((StatusCode::UNAUTHORIZED, Html(page)).into_response())
        }
    }
}

async fn sign_out(
    State(state): State<AppState>,
    session: Session,
    form: CheckedForm,
) -> Result<Response, AppError> {
    form.without_fields()?;
    let cookie = identity::sign_out(&state, &session).await?;
    Ok(redirect_with_cookie("/", cookie))
}

#[derive(Deserialize)]
struct JoinQuery {
    code: Option<String>,
}

/// What a person typed into the join form, kept when it is shown again (never the passwords).
#[derive(Default)]
struct JoinTyped {
    code: String,
    display_name: String,
    username: String,
}

fn render_join(
    visitor: &Visitor,
    typed: &JoinTyped,
    problems: &[FieldProblem],
) -> Result<String, AppError> {
    Ok(JoinPage {
        csrf: &visitor.session.csrf,
        signed_in_as: visitor.account.as_ref().map(|a| a.display_name.as_str()),
        code: &typed.code,
        display_name: &typed.display_name,
        username: &typed.username,
        problems,
    }
    .render()?)
}

async fn join_form(
    visitor: Visitor,
    Query(query): Query<JoinQuery>,
) -> Result<Html<String>, AppError> {
    let typed = JoinTyped {
        code: query.code.unwrap_or_default().chars().take(20).collect(),
        ..JoinTyped::default()
    };
    Ok(Html(render_join(&visitor, &typed, &[])?))
}

fn problem(field: &'static str, message: impl ToString) -> FieldProblem {
    FieldProblem {
        field,
        message: message.to_string(),
    }
}

async fn join(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    visitor: Visitor,
    form: CheckedForm,
) -> Result<Response, AppError> {
    let form = form.named(&[
        "code",
        "display_name",
        "username",
        "password",
        "password_again",
    ])?;
    let typed = JoinTyped {
        code: form.one("code").trim().to_string(),
        display_name: form.one("display_name").to_string(),
        username: form.one("username").to_string(),
    };
    let again = |problems: Vec<FieldProblem>| -> Result<Response, AppError> {
        Ok((
            StatusCode::BAD_REQUEST,
            Html(render_join(&visitor, &typed, &problems)?),
        )
            .into_response())
    };
    if let Err(retry_after_secs) = state.address_failures.check(ip, Instant::now()) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    if visitor
        .account
        .as_ref()
        .is_some_and(|a| a.role == Role::Educator)
    {
        return Err(AppError::NotAllowed(
            "Educator accounts do not join classes. Sign out first to join as a student.".into(),
        ));
    }
    let mut problems = Vec::new();
    let class = match ClassCode::parse(&typed.code) {
        Err(e) => {
            problems.push(problem("code", e));
            None
        }
        Ok(code) => {
            let class = state
                .with_quick_read(move |s| s.accounts().class_by_code(code.as_str()))
                .await?;
            if class.is_none() {
                state.address_failures.fail(ip, Instant::now());
                problems.push(problem(
                    "code",
                    "No class is open for joining with that code. Check it with your teacher: it may have been closed or replaced.",
                ));
            }
            class
        }
    };
    if let Some(account) = &visitor.account {
        let Some(class) = class else {
            return again(problems);
        };
        let (class_id, learner, now) = (class.id, account.id, state.now_ms());
        state
            .with_store(move |s| s.accounts().join_class(class_id, learner, now))
            .await?;
        return Ok(Redirect::to("/progress").into_response());
    }
    let display_name = DisplayName::parse(&typed.display_name)
        .map_err(|e| problems.push(problem("display_name", e)))
        .ok();
    let username = Username::parse(&typed.username)
        .map_err(|e| problems.push(problem("username", e)))
        .ok();
    let password = form.one("password").to_string();
    if let Err(e) = check_new_password(&password, username.as_ref().map_or("", |u| u.as_str())) {
        problems.push(problem("password", e));
    } else if form.one("password_again") != password {
        problems.push(problem(
            "password_again",
            "The two passwords are not the same. Type the new password again in both boxes.",
        ));
    }
    let (Some(class), Some(display_name), Some(username), true) =
        (class, display_name, username, problems.is_empty())
    else {
        return again(problems);
    };
    let hash = state.hashing(move || hash_password(&password)).await?;
    let now = state.now_ms();
    let new = NewAccount {
        username: username.to_string(),
        display_name: display_name.as_str().to_string(),
        role: Role::Student,
        password_hash: Some(hash),
        created_ms: now,
    };
    let class_id = class.id;
    let created = state
        .with_store(move |s| {
            let accounts = s.accounts();
            let Some(id) = accounts.create_account(&new)? else {
                return Ok(None);
            };
            accounts.join_class(class_id, id, now)?;
            accounts.account(id)
        })
        .await?;
    let Some(account) = created else {
        return again(vec![problem(
            "username",
            "That username is taken. Choose another, or sign in if it is yours.",
        )]);
    };
    let cookie = identity::sign_in(&state, &visitor.session, &account).await?;
    Ok(redirect_with_cookie("/progress", cookie))
}

fn render_password(
    signed_in: &SignedIn,
    problems: &[FieldProblem],
    done: bool,
) -> Result<String, AppError> {
    Ok(PasswordPage {
        csrf: &signed_in.session.csrf,
        username: &signed_in.account.username,
        problems,
        done,
    }
    .render()?)
}

async fn password_form(signed_in: SignedIn) -> Result<Html<String>, AppError> {
    Ok(Html(render_password(&signed_in, &[], false)?))
}

async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedIn,
    form: CheckedForm,
) -> Result<Response, AppError> {
    let form = form.named(&["current", "password", "password_again"])?;
    if let Err(retry_after_secs) = state.address_failures.check(ip, Instant::now()) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let (current, new) = (
        form.one("current").to_string(),
        form.one("password").to_string(),
    );
    let mut problems = Vec::new();
    if let Err(e) = check_new_password(&new, &signed_in.account.username) {
        problems.push(problem("password", e));
    } else if form.one("password_again") != new {
        problems.push(problem(
            "password_again",
            "The two new passwords are not the same. Type it again in both boxes.",
        ));
    }
    let stored = signed_in.account.password_hash.clone().unwrap_or_default();
    let current_ok = state
        .hashing(move || verify_password(&current, &stored))
        .await?;
    if !current_ok {
        state.address_failures.fail(ip, Instant::now());
        problems.insert(0, problem("current", "That is not your current password."));
    }
    if !problems.is_empty() {
        let page = render_password(&signed_in, &problems, false)?;
        return Ok((StatusCode::BAD_REQUEST, Html(page)).into_response());
    }
    let hash = state.hashing(move || hash_password(&new)).await?;
    let (id, keep) = (
        signed_in.account.id,
        identity::session_hash(&signed_in.session.id),
    );
    state
        .with_store(move |s| s.accounts().set_password(id, &hash, Some(&keep)))
        .await?;
    Ok(Html(render_password(&signed_in, &[], true)?).into_response())
}

const LINK_GONE: &str = "This link to set a password has already been used or has expired (links work for 24 hours, once). Ask your teacher or administrator for a new one.";

/// The account of a one-time link that still works.
async fn link_account(state: &AppState, token: &str) -> Result<Account, AppError> {
    let well_formed = token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(AppError::NotFound);
    }
    let (hash, now) = (link_hash(token), state.now_ms());
    state
        .with_quick_read(move |s| s.accounts().password_link_account(&hash, now))
        .await?
        .ok_or_else(|| AppError::Gone(LINK_GONE.into()))
}

fn render_set_password(
    session: &Session,
    token: &str,
    account: &Account,
    problems: &[FieldProblem],
) -> Result<String, AppError> {
    Ok(SetPasswordPage {
        csrf: &session.csrf,
        token,
        username: &account.username,
        display_name: &account.display_name,
        problems,
    }
    .render()?)
}

async fn set_password_form(
    State(state): State<AppState>,
    Segment(token): Segment,
    session: Session,
) -> Result<Response, AppError> {
    let account = link_account(&state, &token).await?;
    // The link's token is in the address: keep it out of Referer headers and caches.
    let mut headers = HeaderMap::new();
    headers.insert(
        "referrer-policy",
        "no-referrer".parse().expect("a valid header"),
    );
    Ok((
        headers,
        Html(render_set_password(&session, &token, &account, &[])?),
    )
        .into_response())
}

async fn set_password(
    State(state): State<AppState>,
    Segment(token): Segment,
    session: Session,
    form: CheckedForm,
) -> Result<Response, AppError> {
    let form = form.named(&["password", "password_again"])?;
    let account = link_account(&state, &token).await?;
    let new = form.one("password").to_string();
    let mut problems = Vec::new();
    if let Err(e) = check_new_password(&new, &account.username) {
        problems.push(problem("password", e));
    } else if form.one("password_again") != new {
        problems.push(problem(
            "password_again",
            "The two passwords are not the same. Type it again in both boxes.",
        ));
    }
    if !problems.is_empty() {
        let page = render_set_password(&session, &token, &account, &problems)?;
        return Ok((StatusCode::BAD_REQUEST, Html(page)).into_response());
    }
    let hash = state.hashing(move || hash_password(&new)).await?;
    let (link, now) = (link_hash(&token), state.now_ms());
    let account = state
        .with_store(move |s| s.accounts().use_password_link(&link, now, &hash))
        .await?
        .ok_or_else(|| AppError::Gone(LINK_GONE.into()))?;
    let cookie = identity::sign_in(&state, &session, &account).await?;
    Ok(redirect_with_cookie(home(&account), cookie))
}
