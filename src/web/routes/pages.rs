//! Read-only pages: the index, a reading, the stylesheet and the health check. Reading pages
//! are rendered once per lesson version and only the session's CSRF token is spliced in per
//! request (see [`reading_page`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock, Weak};

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::lesson::{Lesson, is_valid_id};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::limits::Segment;
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
    Segment(id): Segment,
    session: Session,
) -> Result<Html<String>, AppError> {
    if !is_valid_id(&id) {
        return Err(AppError::NotFound);
    }
    let catalog = state.catalog();
    let lesson = catalog.lesson(&id).ok_or(AppError::NotFound)?;
    Ok(Html(reading_page(lesson, &session.csrf)?))
}

/// Stands for the CSRF token while a reading page is pre-rendered. Letters only, so HTML
/// escaping leaves it (like the hex token) unchanged.
const TOKEN_MARK: &str = "lecternCsrfTokenSplicePoint";
/// A second token, to check a split page once.
const CHECK_MARK: &str = "lecternCsrfTokenCheck";

/// A lesson's reading page rendered once, split around its only per-session part: the start
/// form's CSRF token.
struct Reading {
    /// The lesson version rendered. A reload makes new `Lesson`s, so a stale page never matches
    /// (a `Weak` keeps the address from being reused while the entry exists).
    lesson: Weak<Lesson>,
    /// The page before the token and, when the page has a start form, after it.
    head: String,
    tail: Option<String>,
}

/// Pre-rendered reading pages by lesson id. Each entry is replaced when its lesson changes, so
/// it holds at most one page per lesson id ever served.
static READINGS: LazyLock<RwLock<HashMap<String, Arc<Reading>>>> = LazyLock::new(Default::default);

fn render_reading(lesson: &Lesson, csrf: &str) -> Result<String, AppError> {
    let page = LessonPage {
        lesson,
        csrf,
        quiz: quiz_facts(lesson),
    };
    Ok(page.render()?)
}

/// The reading page of `lesson` for a session with this CSRF token: byte for byte what
/// rendering the template would give, but the template runs once per lesson version and each
/// request only splices its token in.
pub fn reading_page(lesson: &Arc<Lesson>, csrf: &str) -> Result<String, AppError> {
    // The pre-rendered parts are HTML; only a token that escaping would leave alone (the hex
    // HMAC always is) may be spliced in raw.
    if !csrf.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return render_reading(lesson, csrf);
    }
    let cached = READINGS
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&lesson.id)
        .filter(|r| std::ptr::eq(r.lesson.as_ptr(), Arc::as_ptr(lesson)))
        .cloned();
    let reading = match cached {
        Some(reading) => reading,
        None => {
            let marked = render_reading(lesson, TOKEN_MARK)?;
            let mut parts = marked.split(TOKEN_MARK);
            let head = parts.next().unwrap_or_default().to_string();
            let tail = parts.next().map(str::to_string);
            // Splicing must give exactly what rendering gives, whatever the lesson's own text
            // holds (the mark itself, say): check once with another token.
            let check = format!("{head}{CHECK_MARK}{}", tail.as_deref().unwrap_or_default());
            let exact = match &tail {
                Some(_) => check == render_reading(lesson, CHECK_MARK)?,
                None => true,
            };
            if parts.next().is_some() || !exact {
                return render_reading(lesson, csrf);
            }
            let reading = Arc::new(Reading {
                lesson: Arc::downgrade(lesson),
                head,
                tail,
            });
            READINGS
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(lesson.id.clone(), reading.clone());
            reading
        }
    };
    Ok(match &reading.tail {
        None => reading.head.clone(),
        Some(tail) => {
            let mut page = String::with_capacity(reading.head.len() + csrf.len() + tail.len());
            page.push_str(&reading.head);
            page.push_str(csrf);
            page.push_str(tail);
            page
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::validate_lesson;

    const ALL_KINDS: &str = include_str!("../../../tests/fixtures/good/all-kinds.toml");
    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn lesson(source: &str) -> Arc<Lesson> {
        Arc::new(validate_lesson(source, "pages-test").expect("a valid lesson"))
    }

    #[test]
    fn the_pre_rendered_reading_page_is_byte_identical_to_rendering_it() {
        let lesson = lesson(ALL_KINDS);
        for token in [
            TOKEN,
            "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
        ] {
            // Twice: the first call fills the cache, the second splices into it.
            for _ in 0..2 {
                assert_eq!(
                    reading_page(&lesson, token).unwrap(),
                    render_reading(&lesson, token).unwrap()
                );
            }
        }
    }

    #[test]
    fn a_changed_lesson_is_rendered_afresh() {
        let first = lesson(ALL_KINDS);
        assert!(
            reading_page(&first, TOKEN)
                .unwrap()
                .contains("Fixture: every kind")
        );
        let edited = lesson(&ALL_KINDS.replace("Fixture: every kind", "Edited title"));
        let page = reading_page(&edited, TOKEN).unwrap();
        assert!(page.contains("Edited title"));
        assert!(!page.contains("Fixture: every kind"));
    }

    #[test]
    fn a_lesson_whose_text_contains_the_mark_is_still_rendered_exactly() {
        let lesson = lesson(&ALL_KINDS.replace("Fixture: every kind", TOKEN_MARK));
        assert_eq!(
            reading_page(&lesson, TOKEN).unwrap(),
            render_reading(&lesson, TOKEN).unwrap()
        );
    }

    #[test]
    fn a_lesson_without_a_quiz_whose_text_contains_the_mark_once_is_rendered_exactly() {
        let start = ALL_KINDS.find("[quiz]").unwrap();
        let lesson = lesson(&ALL_KINDS[..start].replace("Fixture: every kind", TOKEN_MARK));
        assert_eq!(
            reading_page(&lesson, TOKEN).unwrap(),
            render_reading(&lesson, TOKEN).unwrap()
        );
    }

    #[test]
    fn a_lesson_without_a_quiz_has_no_token_to_splice() {
        let start = ALL_KINDS.find("[quiz]").unwrap();
        let lesson = lesson(&ALL_KINDS[..start]);
        let page = reading_page(&lesson, TOKEN).unwrap();
        assert!(!page.contains(TOKEN));
        assert_eq!(page, render_reading(&lesson, TOKEN).unwrap());
    }
}
