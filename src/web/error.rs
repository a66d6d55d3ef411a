//! The web layer's one error type, rendered as our own HTML page. Internal details are logged,
//! never shown.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::templates::ErrorPage;
use crate::store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// The request was malformed; the message says how, in words for a person.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A POST without a valid CSRF token, or from another site.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The student may not do this (e.g. no attempts left); the message says why.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// A one-time link that was used or has expired; the message says what to do.
    #[error("gone: {0}")]
    Gone(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("request body too large")]
    PayloadTooLarge,
    /// Too many requests from this client; try again after this many seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The database could not be written or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An LTI login or launch failed one of its checks; the message names it.
    #[error("LTI: {0}")]
    Lti(#[from] crate::lti::LtiError),
    /// A bug: logged with its detail, shown as a generic page.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The status code this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Lti(crate::lti::LtiError::UnknownLesson(_)) => StatusCode::NOT_FOUND,
            AppError::Lti(_) => StatusCode::BAD_REQUEST,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) | AppError::NotAllowed(_) => StatusCode::FORBIDDEN,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(StoreError::Corrupt(_)) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn page(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => (
                "Page not found",
                "There is no page at this address. It may have been moved, or the link may be mistyped.".into(),
            ),
            AppError::BadRequest(why) => ("Something is wrong with that request", why.clone()),
            AppError::Lti(why) => ("The launch from your course was refused", why.to_string()),
            AppError::Forbidden(why) => ("That request was refused", why.clone()),
            AppError::NotAllowed(why) => ("Not allowed", why.clone()),
            AppError::Gone(why) => ("This link no longer works", why.clone()),
            AppError::UnsupportedMediaType => (
                "Unsupported form encoding",
                "Forms must be sent as application/x-www-form-urlencoded.".into(),
            ),
            AppError::PayloadTooLarge => (
                "Request too large",
                "The form sent was larger than lectern accepts. Shorten your answers and try again.".into(),
            ),
            AppError::TooManyRequests { retry_after_secs } => (
                "Too many requests",
                format!("Please wait {retry_after_secs} seconds before trying again."),
            ),
            AppError::Store(StoreError::Unavailable(_)) => (
                "Could not save",
                "The server could not save this right now, so nothing was recorded. Your answers are not lost if you go back: please try again in a moment.".into(),
            ),
            AppError::Store(StoreError::Corrupt(_)) | AppError::Internal(_) => (
                "Something went wrong",
                "The server hit an unexpected problem. It has been logged; please try again.".into(),
            ),
        }
    }
}

/// Renders an error page with `status`, `title` and `message`.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendering the error page failed: {e}");
            (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                title.to_string(),
            )
                .into_response()
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!("{self}");
        }
        let (title, message) = self.page();
        let mut response = error_page(status, title, &message);
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
        }
        response
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}
