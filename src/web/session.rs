//! Browser sessions and CSRF protection. A session is a random id in an HttpOnly cookie; its
//! CSRF token is derived from it with the server key (HMAC), so neither needs server memory
//! and both survive a restart.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::AppState;
use super::error::AppError;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "lectern_session";
/// The hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The requesting browser's session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    /// The token every POST form of this session must carry.
    pub csrf: String,
}

/// The server key and what is derived from it.
pub struct Keys {
    /// HMAC-SHA256 already keyed with the server key: cloning it skips hashing the key pads
    /// again on every request.
    mac: Hmac<Sha256>,
}

impl Keys {
    pub fn new(key: [u8; 32]) -> Keys {
        Keys {
            mac: <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("any key length"),
        }
    }

    /// Hex HMAC-SHA256 of `purpose` and `value` under the server key.
    pub fn sign(&self, purpose: &str, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    pub fn session(&self, id: String) -> Session {
        Session {
            csrf: self.sign("csrf", &id),
            id,
        }
    }
}

pub use crate::hex;

/// 128 random bits as 32 hex characters: session ids and attempt tokens.
pub fn random_token() -> String {
    hex(&rand::random::<[u8; 16]>())
}

fn is_token(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The value of cookie `name` in the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// Builds a `Set-Cookie` value with the attributes every lectern cookie has.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: u64,
    same_site: &str,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are hex")
}

/// Middleware: finds or starts the session and sets the cookie on a new one.
pub async fn session_layer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let existing = cookie(request.headers(), COOKIE_NAME)
        .filter(|v| is_token(v))
        .map(str::to_string);
    let is_new = existing.is_none();
    let session = state.keys.session(existing.unwrap_or_else(random_token));
    request.extensions_mut().insert(session.clone());
    let mut response = next.run(request).await;
    if is_new {
        response.headers_mut().append(
            SET_COOKIE,
            set_cookie(
                COOKIE_NAME,
                &session.id,
                60 * 60 * 24 * 365,
                "Lax",
                state.config.behind_https,
            ),
        );
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| AppError::Internal("session layer missing".into()))
    }
}

/// Compares in constant time (for equal lengths), so timing does not reveal a prefix.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses a POST that comes from another site or lacks this session's CSRF token.
pub fn check_csrf(
    headers: &HeaderMap,
    expected: &str,
    given: Option<&str>,
) -> Result<(), AppError> {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(AppError::Forbidden(
            "This form was sent from another website, so it was not accepted.".into(),
        ));
    }
    match given {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(AppError::Forbidden(
            "The form's security token is missing or out of date (cookies may be blocked, or the page is old). Go back, reload the page and try again.".into(),
        )),
    }
}
