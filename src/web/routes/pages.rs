//! Read-only pages: the index, a reading, the stylesheet and the health check.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::lesson::{Lesson, is_valid_id};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::session::Session;
use crate::web::templates::{IndexPage, LessonPage, QuizFacts};
use crate::web::views::{format_points, points_label};

/// The stylesheet, compiled into the binary.
const STYLE_CSS: &str = include_str!("../../../static/style.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(style))
        .route("/lessons/{id}", get(lesson))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
}

async fn index(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let catalog = state.catalog();
    Ok(Html(
        IndexPage {
            lessons: catalog.lessons(),
        }
        .render()?,
    ))
}

/// A quiz's settings as shown to students, for a lesson's current version.
pub fn quiz_facts(lesson: &Lesson) -> Option<QuizFacts> {
    let quiz = lesson.quiz.as_ref()?;
    // Points vary with the draw when questions differ in weight; show the typical total.
    let mean_points =
        quiz.questions.iter().map(|q| q.points).sum::<f64>() / quiz.questions.len() as f64;
    Some(QuizFacts {
        questions: quiz.draw,
        points: points_label(mean_points * quiz.draw as f64),
        pass_percent: format_points(quiz.pass_percent),
        time_limit_minutes: quiz.time_limit_minutes,
        max_attempts: quiz.max_attempts,
    })
}

async fn lesson(
    State(state): State<AppState>,
    Path(id): Path<String>,
    session: Session,
) -> Result<Html<String>, AppError> {
    if !is_valid_id(&id) {
        return Err(AppError::NotFound);
    }
    let catalog = state.catalog();
    let lesson = catalog.lesson(&id).ok_or(AppError::NotFound)?;
    let page = LessonPage {
        lesson,
        csrf: &session.csrf,
        quiz: quiz_facts(lesson),
    };
    Ok(Html(page.render()?))
}
