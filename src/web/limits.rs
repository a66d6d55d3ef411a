//! Request limits: per-client rate limits on costly POSTs, a time limit per request, and the
//! rewriting of any framework-made error response into our own page.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{AppError, error_page};
use crate::accounts::AccountId;

/// How long one request may take before it gets a 408 page.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Who a rate limit counts: a signed-in account wherever it connects from (so a class
/// behind one school address is not throttled as one client), else the client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Address(IpAddr),
    Account(AccountId),
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        ClientKey::Address(ip)
    }
}

/// A token bucket per client: `burst` requests at once, refilled at `per_minute`.
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<ClientKey, (f64, Instant)>>,
}

/// Bound on tracked addresses; idle (full) buckets are dropped past it.
const MAX_TRACKED: usize = 50_000;

impl RateLimiter {
    /// A limiter allowing `burst` requests at once and `per_minute` on average; `per_minute`
    /// of 0 turns it off.
    pub fn new(burst: u32, per_minute: u32) -> RateLimiter {
        RateLimiter {
            burst: f64::from(burst.max(1)),
            per_second: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the client's bucket, or says how many seconds until one is
    /// free.
    pub fn take(&self, client: impl Into<ClientKey>, now: Instant) -> Result<(), AppError> {
        let ip = client.into();
        if self.per_second == 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&ip) {
            let (burst, rate) = (self.burst, self.per_second);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / self.per_second).ceil() as u64;
            Err(AppError::TooManyRequests {
                retry_after_secs: wait.max(1),
            })
        }
    }
}

/// The response, or our 408 page when it takes longer than the configured limit
/// ([`REQUEST_TIMEOUT`] by default).
pub async fn within_time_limit(
    state: &AppState,
    response: impl std::future::Future<Output = Response>,
) -> Response {
    let limit = match state.config.request_timeout {
        d if d.is_zero() => REQUEST_TIMEOUT,
        d => d,
    };
    match tokio::time::timeout(limit, response).await {
        Ok(response) => response,
        Err(_) => error_page(
            StatusCode::REQUEST_TIMEOUT,
            "Request timed out",
            "The request took too long. Nothing was saved; please try again.",
        ),
    }
}

/// An error response that is not one of our HTML pages (a framework rejection) is replaced by
/// our page for its status, so no internal message reaches the client.
pub fn own_error_page(response: Response) -> Response {
    let status = response.status();
    let is_ours = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_ours {
        return response;
    }
    let mut page = match status {
        StatusCode::NOT_FOUND => AppError::NotFound.into_response(),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge.into_response(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType.into_response(),
        s if s.is_server_error() => {
            tracing::error!("a {s} response without our page was replaced");
            error_page(
                s,
                "Something went wrong",
                "The server hit an unexpected problem. Please try again.",
            )
        }
        s => error_page(
            s,
            "Something is wrong with that request",
            "The server could not understand that request.",
        ),
    };
    // Keep headers that matter to the client (Retry-After, Allow).
    for name in [axum::http::header::RETRY_AFTER, axum::http::header::ALLOW] {
        if let Some(v) = response.headers().get(&name) {
            page.headers_mut().insert(name, v.clone());
        }
    }
    page
}

/// A path segment as text; a segment that cannot be decoded names nothing, so it is a 404.
pub struct Segment(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(s)| Segment(s))
            .map_err(|_| AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let limiter = RateLimiter::new(3, 60);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(ip, t).is_ok());
        }
        match limiter.take(ip, t) {
            Err(AppError::TooManyRequests { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            other => panic!("{other:?}"),
        }
        assert!(limiter.take(ip, t + Duration::from_secs(1)).is_ok());
        assert!(
            limiter
                .take("192.0.2.2".parse::<IpAddr>().unwrap(), t)
                .is_ok()
        );
        // An account has its own bucket, whatever address it comes from.
        assert!(limiter.take(ClientKey::Account(7), t).is_ok());
        let off = RateLimiter::new(1, 0);
        for _ in 0..100 {
            assert!(off.take(ip, t).is_ok());
        }
    }
}
