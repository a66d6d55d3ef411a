//! HTTP: the router, shared state, sessions, security headers and the pages. The only module
//! that knows HTTP.

pub mod auth;
pub mod error;
pub mod form;
pub mod hashing;
pub mod identity;
pub mod limits;
pub mod quiz_pages;
pub mod routes;
pub mod session;
pub mod standing;
pub mod templates;
pub mod views;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::catalog::Catalog;
use crate::store::{Store, StoreError};
use error::AppError;
use session::Keys;

/// Largest request body accepted (a full quiz form is a few KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Settings the web layer needs.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (lectern runs behind an https proxy).
    pub behind_https: bool,
    /// The token educators sign in with.
    pub educator_token: String,
    /// Attempts a client address may start per minute (and at once); 0 means no limit.
    pub starts_per_minute: u32,
    /// Submissions a client address may make per minute (and at once); 0 means no limit.
    pub submits_per_minute: u32,
    /// Unsubmitted attempts one session may have started in the last day, over all lessons;
    /// 0 means no limit. Bounds what one session can make the database hold.
    pub open_attempts_per_session: u32,
    /// How long a request may take before it gets a 408 page; zero means
    /// [`limits::REQUEST_TIMEOUT`].
    pub request_timeout: std::time::Duration,
    /// Quizzes need an account (anonymous visitors may still read).
    pub require_sign_in: bool,
}

/// Password hashes computed at once, at most: each takes a core for tens of milliseconds, so a
/// burst of sign-ins waits its turn instead of taking every core from page serving.
pub fn concurrent_hashes() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// Shared, cheaply cloned state of every request.
#[derive(Clone)]
pub struct AppState {
    catalog: Arc<RwLock<Arc<Catalog>>>,
    pub store: Arc<dyn Store>,
    pub keys: Arc<Keys>,
    pub config: Arc<WebConfig>,
    /// Failed educator-token sign-ins per client.
    pub sign_in_failures: Arc<auth::FailureLimiter>,
    /// Wrong account passwords and join codes per client address.
    pub address_failures: Arc<auth::FailureLimiter>,
    /// Low-priority threads for password hashing ([`concurrent_hashes`] of them).
    hash_pool: Arc<hashing::HashPool>,
    /// Attempt starts per client.
    pub start_limiter: Arc<limits::RateLimiter>,
    /// Submissions per client.
    pub submit_limiter: Arc<limits::RateLimiter>,
    /// Rendered forms of open attempts.
    pub quiz_pages: Arc<quiz_pages::QuizPages>,
    /// Added to the system clock: lets tests move time forward (time limits).
    clock_offset_ms: Arc<AtomicI64>,
    /// Calls to LTI platforms, with their key and token caches.
    pub lti_client: Arc<crate::lti::client::PlatformClient>,
    /// The Content-Security-Policy that lets registered LTI platforms frame lectern, once
    /// any is registered (`web::routes::lti::refresh_frame_ancestors`).
    pub framing_policy: Arc<RwLock<Option<HeaderValue>>>,
}

impl AppState {
    /// Builds the state; reads (or creates) the server key from the store.
    pub fn new(
        catalog: Catalog,
        store: Arc<dyn Store>,
        config: WebConfig,
    ) -> Result<AppState, StoreError> {
        let keys = Keys::new(store.server_key()?);
        let start_limiter =
            limits::RateLimiter::new(config.starts_per_minute, config.starts_per_minute);
        let submit_limiter =
            limits::RateLimiter::new(config.submits_per_minute, config.submits_per_minute);
        Ok(AppState {
            catalog: Arc::new(RwLock::new(Arc::new(catalog))),
            store,
            keys: Arc::new(keys),
            config: Arc::new(config),
            sign_in_failures: Arc::new(auth::FailureLimiter::default()),
            address_failures: Arc::new(auth::FailureLimiter::new(
                auth::MAX_ADDRESS_FAILURES,
                auth::ADDRESS_FAILURE_WINDOW,
            )),
            hash_pool: Arc::new(hashing::HashPool::new(concurrent_hashes())),
            start_limiter: Arc::new(start_limiter),
            submit_limiter: Arc::new(submit_limiter),
            quiz_pages: Arc::default(),
            clock_offset_ms: Arc::new(AtomicI64::new(0)),
            lti_client: Arc::default(),
            framing_policy: Arc::default(),
        })
    }

    /// Milliseconds since the Unix epoch, as this server sees them.
    pub fn now_ms(&self) -> i64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        system + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Moves this server's clock forward by `ms` (for tests of time limits).
    pub fn advance_clock(&self, ms: i64) {
        self.clock_offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// The lessons being served now.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the lessons being served (hot reload).
    pub fn set_catalog(&self, catalog: Catalog) {
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(catalog);
    }

    /// Reloads the lessons from `dir`; a file that became invalid keeps serving its last good
    /// version. Returns the problems found (empty when every file is valid).
    pub fn reload_lessons(&self, dir: &std::path::Path) -> std::io::Result<Vec<String>> {
        let catalog = Catalog::reload(dir, &self.catalog())?;
        let problems = catalog.problems().iter().map(|p| p.to_string()).collect();
        self.set_catalog(catalog);
        Ok(problems)
    }

    /// Runs a short read: right here when the store's reads are quick (an embedded file),
    /// else on the blocking pool. Saves two thread switches on the hottest page.
    pub async fn with_quick_read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        if self.store.reads_are_quick() {
            f(self.store.as_ref()).map_err(AppError::from)
        } else {
            self.with_store(f).await
        }
    }

    /// Runs a blocking store call on the blocking pool.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| AppError::Internal(format!("store task failed: {e}")))?
            .map_err(AppError::from)
    }
}

impl AppState {
    /// Runs password hashing (or verifying) on the low-priority hashing threads, at most
    /// [`concurrent_hashes`] at once, so it never holds up an async worker or page serving.
    pub async fn hashing<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.hash_pool
            .run(f)
            .await
            .ok_or_else(|| AppError::Internal("a password-hashing thread stopped".into()))
    }

    /// Stores a graded submission; resolves once it is durable. A batching store answers from
    /// its writer thread, so submissions waiting for one commit hold no threads.
    pub async fn submit(
        &self,
        token: String,
        submission: crate::store::Submission,
    ) -> Result<bool, AppError> {
        let (done, outcome) = tokio::sync::oneshot::channel();
        let done: crate::store::SubmitDone = Box::new(move |result| {
            let _ = done.send(result);
        });
        if self.store.queues_submissions() {
            // Only a hand-over to the writer thread: no need for a blocking-pool thread.
            self.store.submit_then(&token, submission, done);
        } else {
            self.with_store(move |s| {
                s.submit_then(&token, submission, done);
                Ok(())
            })
            .await?;
        }
        outcome
            .await
            .map_err(|_| AppError::Internal("the store dropped a submission's outcome".into()))?
            .map_err(AppError::from)
    }
}

/// The Content-Security-Policy of every page: no script at all, no framing.
pub const CSP_NOT_FRAMED: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers on every response: a strict CSP (no script at all), no sniffing, no framing, no
/// referrer beyond this site, no caching of pages that carry a session's token.
const SECURITY_HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CSP_NOT_FRAMED),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::CACHE_CONTROL, "no-store"),
];

/// Middleware around everything: the time limit, our own page for any error the framework
/// answers by itself, and the security headers. One layer rather than seven: each layer costs
/// a boxed clone of the service below it on every request.
async fn every_response(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = limits::within_time_limit(&state, next.run(request)).await;
    let mut response = limits::own_error_page(response);
    let framing = state
        .framing_policy
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let headers = response.headers_mut();
    if let Some(policy) = framing {
        // Registered LMSs may show lectern in a frame: their origins replace 'none', and
        // X-Frame-Options (which cannot list origins) is left out.
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// The whole application: every route, the session layer and the security headers.
pub fn router(state: AppState) -> Router {
    routes::router()
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::session_layer,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            every_response,
        ))
        .with_state(state)
}
