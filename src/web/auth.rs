//! Educator access: the educator token (the built-in administrator), its signed
//! `lectern_educator` cookie, the [`Educator`] extractor that also admits educator accounts, and
//! the limits on failed sign-ins per client address.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::identity::{Scope, Visitor, is_educator};
use super::session::{Keys, constant_time_eq, cookie, random_token};

/// The educator cookie's name.
pub const EDUCATOR_COOKIE: &str = "lectern_educator";
/// How long a sign-in lasts.
pub const EDUCATOR_SESSION_SECS: i64 = 12 * 60 * 60;
/// Failed educator-token sign-ins allowed per client per [`FAILURE_WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The window failed educator-token sign-ins are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Wrong account passwords (and join codes) allowed per client address per
/// [`ADDRESS_FAILURE_WINDOW`]: generous, because a whole school may share one address.
pub const MAX_ADDRESS_FAILURES: usize = 100;
/// The window wrong account passwords are counted in per address.
pub const ADDRESS_FAILURE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Whether `given` is the educator token (constant time over the token's hash). An empty
/// configured token matches nothing.
pub fn token_matches(expected: &str, given: &str) -> bool {
    !expected.is_empty()
        && constant_time_eq(
            &Sha256::digest(expected.as_bytes()),
            &Sha256::digest(given.as_bytes()),
        )
}

fn signed_part(expires: i64, nonce: &str, token: &str) -> String {
    // The token's hash is signed in, so changing the token ends every educator sign-in.
    format!("{expires}.{nonce}.{}", crate::sha256_hex(token))
}

/// A new educator cookie value valid until `now_secs + EDUCATOR_SESSION_SECS`.
pub fn educator_cookie_value(keys: &Keys, token: &str, now_secs: i64) -> String {
    let expires = now_secs + EDUCATOR_SESSION_SECS;
    let nonce = random_token();
    let signature = keys.sign("educator", &signed_part(expires, &nonce, token));
    format!("{expires}.{nonce}.{signature}")
}

/// Whether a cookie value is a valid, unexpired educator sign-in.
pub fn educator_cookie_valid(keys: &Keys, token: &str, value: &str, now_secs: i64) -> bool {
    let mut parts = value.splitn(3, '.');
    let (Some(expires), Some(nonce), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(expires) = expires.parse::<i64>() else {
        return false;
    };
    let expected = keys.sign("educator", &signed_part(expires, nonce, token));
    expires > now_secs && constant_time_eq(expected.as_bytes(), signature.as_bytes())
}

/// A signed-in educator: the administrator (educator token cookie) or an educator account;
/// extracting it redirects everyone else to the sign-in form.
#[derive(Debug, Clone, Copy)]
pub struct Educator {
    /// The classes this educator may see.
    pub scope: Scope,
}

impl FromRequestParts<AppState> for Educator {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let now = state.now_ms() / 1000;
        if let Some(value) = cookie(&parts.headers, EDUCATOR_COOKIE)
            && educator_cookie_valid(&state.keys, &state.config.educator_token, value, now)
        {
            return Ok(Educator {
                scope: Scope::Everything,
            });
        }
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match visitor.account {
            Some(account) if is_educator(&account) => Ok(Educator {
                scope: Scope::OwnClasses(account.id),
            }),
            _ => Err(Redirect::to("/educator/sign-in").into_response()),
        }
    }
}

/// The client's address, or the unspecified address when the server was not told it (tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

/// Counts failed sign-ins per client address in a sliding window.
pub struct FailureLimiter {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    /// Failures allowed per window.
    max: usize,
    window: Duration,
}

impl Default for FailureLimiter {
    /// [`MAX_FAILURES`] per [`FAILURE_WINDOW`]: for the educator token.
    fn default() -> Self {
        FailureLimiter::new(MAX_FAILURES, FAILURE_WINDOW)
    }
}

/// Bound on tracked addresses, so a flood of addresses cannot grow memory without end.
const MAX_TRACKED: usize = 10_000;

impl FailureLimiter {
    /// A limiter allowing `max` failures per `window` and address.
    pub fn new(max: usize, window: Duration) -> FailureLimiter {
        FailureLimiter {
            failures: Mutex::default(),
            max,
            window,
        }
    }

    /// `Err(seconds to wait)` when `ip` has used up its failures.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = failures.get_mut(&ip) else {
            return Ok(());
        };
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
        match list.front() {
            Some(oldest) if list.len() >= self.max => {
                let wait = self.window.saturating_sub(now.duration_since(*oldest));
                Err(wait.as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Records a failed sign-in.
    pub fn fail(&self, ip: IpAddr, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_TRACKED && !failures.contains_key(&ip) {
            failures.retain(|_, list| {
                list.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
            if failures.len() >= MAX_TRACKED {
                // Still full of active offenders: count this one against the shared unknown slot.
                failures
                    .entry(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
                    .or_default()
                    .push_back(now);
                return;
            }
        }
        failures.entry(ip).or_default().push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_valid_until_it_expires_or_the_token_changes() {
        let keys = Keys::new([7; 32]);
        let value = educator_cookie_value(&keys, "secret", 1000);
        assert!(educator_cookie_valid(&keys, "secret", &value, 1000));
        assert!(!educator_cookie_valid(
            &keys,
            "secret",
            &value,
            1000 + EDUCATOR_SESSION_SECS
        ));
        assert!(!educator_cookie_valid(&keys, "other", &value, 1000));
        assert!(!educator_cookie_valid(
            &Keys::new([8; 32]),
            "secret",
            &value,
            1000
        ));
        let forged = value.replacen(&(1000 + EDUCATOR_SESSION_SECS).to_string(), "9999999999", 1);
        assert!(!educator_cookie_valid(&keys, "secret", &forged, 1000));
        assert!(!educator_cookie_valid(&keys, "secret", "garbage", 1000));
    }

    #[test]
    fn five_failures_a_minute_then_the_client_waits() {
        let limiter = FailureLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(limiter.check(ip, start).is_ok(), "failure {i}");
            limiter.fail(ip, start);
        }
        let wait = limiter
            .check(ip, start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, 50);
        assert!(limiter.check(other, start).is_ok());
        assert!(limiter.check(ip, start + FAILURE_WINDOW).is_ok());
    }
}
