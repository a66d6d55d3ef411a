//! Every route, merged from one module per area.

pub mod account;
pub mod attempts;
pub mod classes;
pub mod educator;
pub mod lti;
pub mod pages;
pub mod progress;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{AppError, error_page};

/// All routes, with our own 404 and 405 pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(pages::router())
        .merge(attempts::router())
        .merge(account::router())
        .merge(progress::router())
        .merge(classes::router())
        .merge(educator::router())
        .merge(lti::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> Response {
    error_page(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "This address does not accept that kind of request.",
    )
    .into_response()
}
