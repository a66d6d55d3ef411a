//! Who is asking, and with which role: the one place that turns a request's cookies into an
//! identity. Routes take one extractor per role and re-implement no check:
//!
//! - [`Visitor`]: anyone; carries the signed-in account when there is one.
//! - [`SignedIn`]: any account; everyone else is sent to the sign-in page.
//! - [`Educator`](super::auth::Educator): an educator account or the administrator (the
//!   educator token), with the classes it may see ([`Scope`]).
//!
//! A signed-in session is the `lectern_session` cookie's random id, recorded (as its SHA-256)
//! in the store with the account and an expiry. Signing in or out issues a new id, so an id
//! fixed by someone else before sign-in is worth nothing after it.

use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::AppError;
use super::session::{COOKIE_NAME, Session, random_token, set_cookie};
use crate::accounts::{AccountId, Role};
use crate::store::{Account, NewAttempt, Owner};

/// How long a sign-in lasts.
pub const SIGN_IN_DAYS: i64 = 14;

/// The store key of a session id: its SHA-256, so the database never holds a usable id.
pub fn session_hash(session_id: &str) -> String {
    crate::sha256_hex(session_id)
}

/// The account signed in on `session`, if any (one short read).
pub async fn account_of(state: &AppState, session: &Session) -> Result<Option<Account>, AppError> {
    let (hash, now) = (session_hash(&session.id), state.now_ms());
    state
        .with_quick_read(move |s| s.accounts().session_account(&hash, now))
        .await
}

/// Anyone, signed in or not.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub session: Session,
    pub account: Option<Account>,
}

impl Visitor {
    /// The learner attempts started now belong to.
    pub fn learner_id(&self) -> Option<AccountId> {
        self.account.as_ref().map(|a| a.id)
    }

    /// Whose attempts this visitor's count with.
    pub fn owner(&self) -> Owner {
        match &self.account {
            Some(account) => Owner::Learner(account.id),
            None => Owner::Session(self.session.id.clone()),
        }
    }
}

/// Whether `attempt` belongs to whoever holds `session`: a learner's attempt to that learner
/// signed in anywhere, an anonymous one to the browser session that started it. Reads the
/// signed-in account only for a learner's attempt, so anonymous practice costs no extra read.
pub async fn owns(
    state: &AppState,
    session: &Session,
    attempt: &NewAttempt,
) -> Result<bool, AppError> {
    Ok(match attempt.learner_id {
        None => attempt.session_id == session.id,
        Some(learner) => account_of(state, session)
            .await?
            .is_some_and(|a| a.id == learner),
    })
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = Session::from_request_parts(parts, state).await?;
        let account = account_of(state, &session).await?;
        Ok(Visitor { session, account })
    }
}

/// A signed-in account of any role; extracting it sends everyone else to the sign-in page,
/// which brings them back here afterwards.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub account: Account,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match visitor.account {
            Some(account) => Ok(SignedIn {
                session: visitor.session,
                account,
            }),
            None => {
                let back = parts.uri.path();
                Err(Redirect::to(&format!("/sign-in?next={}", encode_next(back))).into_response())
            }
        }
    }
}

/// Which classes an educator may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The administrator (signed in with the educator token): every class.
    Everything,
    /// A named educator: the classes this account made.
    OwnClasses(AccountId),
}

impl Scope {
    /// The owner whose classes to list (`None`: all of them).
    pub fn owner(self) -> Option<AccountId> {
        match self {
            Scope::Everything => None,
            Scope::OwnClasses(id) => Some(id),
        }
    }

    /// Whether a class with this owner is in scope.
    pub fn may_see(self, owner: Option<AccountId>) -> bool {
        match self {
            Scope::Everything => true,
            Scope::OwnClasses(id) => owner == Some(id),
        }
    }
}

/// Whether an account has a role.
pub fn is_educator(account: &Account) -> bool {
    account.role == Role::Educator
}

/// Signs `account` in on a new session id: moves the attempts the old session made to the
/// account, records the sign-in, and returns the `Set-Cookie` of the new id. The old id is
/// forgotten, so whoever knew it (a fixation attack) is not signed in.
pub async fn sign_in(
    state: &AppState,
    old: &Session,
    account: &Account,
) -> Result<HeaderValue, AppError> {
    let new_id = start_signed_in_session(state, old, account).await?;
    Ok(session_cookie(state, &new_id))
}

/// [`sign_in`] without the cookie: returns the new session id, for a caller that sets the
/// cookie with other attributes (an LTI launch inside an LMS frame).
pub async fn start_signed_in_session(
    state: &AppState,
    old: &Session,
    account: &Account,
) -> Result<String, AppError> {
    let new_id = random_token();
    let now = state.now_ms();
    let (old_id, new_hash, learner) = (old.id.clone(), session_hash(&new_id), account.id);
    let expires = now + SIGN_IN_DAYS * 24 * 60 * 60 * 1000;
    state
        .with_store(move |s| {
            let accounts = s.accounts();
            accounts.claim_attempts(&old_id, learner)?;
            accounts.start_account_session(&new_hash, learner, now, expires)
        })
        .await?;
    Ok(new_id)
}

/// Signs the session out and returns the `Set-Cookie` of a fresh anonymous session id.
pub async fn sign_out(state: &AppState, session: &Session) -> Result<HeaderValue, AppError> {
    let hash = session_hash(&session.id);
    state
        .with_store(move |s| s.accounts().end_account_session(&hash))
        .await?;
    Ok(session_cookie(state, &random_token()))
}

/// `Set-Cookie` of a session id, with the attributes the session layer gives a new one.
pub fn session_cookie(state: &AppState, id: &str) -> HeaderValue {
    set_cookie(
        COOKIE_NAME,
        id,
        60 * 60 * 24 * 365,
        "Lax",
        state.config.behind_https,
    )
}

/// A redirect that also sets a cookie.
pub fn redirect_with_cookie(to: &str, cookie: HeaderValue) -> Response {
    ([(SET_COOKIE, cookie)], Redirect::to(to)).into_response()
}

/// Percent-encodes a local path for a `next=` parameter.
pub fn encode_next(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Where to go after signing in: `next` when it is a path on this site (never another
/// site: `//host` and `/\host` are refused), else `fallback`.
pub fn safe_next<'a>(next: Option<&'a str>, fallback: &'a str) -> &'a str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 512
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/progress"), "/"), "/progress");
        assert_eq!(safe_next(Some("/lessons/a?x=1"), "/"), "/lessons/a?x=1");
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(evil), "/fallback"), "/fallback", "{evil}");
        }
        assert_eq!(safe_next(None, "/fallback"), "/fallback");
    }

    #[test]
    fn a_scope_sees_its_own_classes_and_the_administrator_every_class() {
        assert!(Scope::Everything.may_see(None));
        assert!(Scope::Everything.may_see(Some(3)));
        assert!(Scope::OwnClasses(3).may_see(Some(3)));
        assert!(!Scope::OwnClasses(3).may_see(Some(4)));
        assert!(!Scope::OwnClasses(3).may_see(None));
    }
}
