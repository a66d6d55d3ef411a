//! Quiz attempts: start (POST → 303), show the form or the result, submit (POST → 303), and
//! retry the missed questions. An anonymous attempt is visible only to the browser session
//! that started it, a learner's only to that learner (signed in on any device).

use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::post;

use crate::lesson::{Lesson, is_valid_id};
use crate::quiz::form::FormProblem;
use crate::quiz::{Response as Answer, decode_answers, grade_attempt};
use crate::store::{Attempt, NewAttempt, Submission};
use crate::web::AppState;
use crate::web::auth::ClientIp;
use crate::web::error::AppError;
use crate::web::form::CheckedForm;
use crate::web::identity::{self, Visitor, encode_next};
use crate::web::limits::{ClientKey, Segment};
use crate::web::session::{Session, random_token};
use crate::web::templates::{QuizFacts, QuizPage, ResultPage};
use crate::web::views::{format_points, points_label, quiz_questions, result_questions};

/// A submission this long after the deadline still counts (slow networks, a last click).
const DEADLINE_GRACE_MS: i64 = 30_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/lessons/{id}/attempts", post(start))
        .route("/attempts/{token}", post(submit).get(show))
        .route("/attempts/{token}/retry", post(retry))
}

/// The attempt with this token, if it belongs to whoever holds this session. Anything else is
/// a 404, so tokens cannot be probed.
async fn owned_attempt(
    state: &AppState,
    token: &str,
    session: &Session,
) -> Result<Attempt, AppError> {
    let well_formed = token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(AppError::NotFound);
    }
    let token = token.to_string();
    let attempt = state
        .with_quick_read(move |s| s.attempt(&token))
        .await?
        .ok_or(AppError::NotFound)?;
    if identity::owns(state, session, &attempt.attempt).await? {
        Ok(attempt)
    } else {
        Err(AppError::NotFound)
    }
}

/// The rate-limit bucket of an attempt's owner: the learner's, else the client address's.
fn owner_key(attempt: &Attempt, ip: std::net::IpAddr) -> ClientKey {
    attempt
        .attempt
        .learner_id
        .map_or(ClientKey::Address(ip), ClientKey::Account)
}

/// The rate-limit bucket of a visitor: the account's when signed in, else the address's.
fn visitor_key(visitor: &Visitor, ip: std::net::IpAddr) -> ClientKey {
    visitor
        .learner_id()
        .map_or(ClientKey::Address(ip), ClientKey::Account)
}

/// How far back unsubmitted attempts count towards `open_attempts_per_session`.
const OPEN_ATTEMPT_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Draws and saves a new attempt; `only` limits it to those question ids (a retry).
async fn start_attempt(
    state: &AppState,
    visitor: &Visitor,
    lesson: &Lesson,
    only: Option<&[String]>,
) -> Result<Response, AppError> {
    let session = &visitor.session;
    let quiz = lesson.quiz.as_ref().ok_or(AppError::NotFound)?;
    if state.config.require_sign_in && visitor.account.is_none() {
        // Back to the reading afterwards, where the start button is.
        let next = encode_next(&format!("/lessons/{}#quiz", lesson.id));
        return Ok(Redirect::to(&format!("/sign-in?next={next}&why=quiz")).into_response());
    }
    let started_ms = state.now_ms();
    let cap = state.config.open_attempts_per_session;
    if cap > 0 {
        let (owner, since_ms) = (visitor.owner(), started_ms - OPEN_ATTEMPT_WINDOW_MS);
        let open = state
            .with_quick_read(move |s| s.open_attempts(&owner, since_ms))
            .await?;
        // Checked before the insert, not in it: parallel starts from one session can pass
        // together, but the per-client rate limit bounds how many.
        if open >= cap {
            return Err(AppError::NotAllowed(format!(
                "You have {open} quizzes started in the last day and not submitted. \
                 Submit one of them before starting another."
            )));
        }
    }
    let attempt = NewAttempt::draw(
        lesson,
        &session.id,
        visitor.learner_id(),
        random_token(),
        rand::random(),
        started_ms,
        only,
    )
    .ok_or(AppError::NotFound)?;
    let max = quiz.max_attempts;
    let token = attempt.token.clone();
    // Rendered now, so the GET that follows the redirect needs no decoding or rendering.
    let drawn = Attempt {
        attempt,
        submission: None,
    };
    let form = render_quiz(&drawn, &[], &[], session)?;
    let created = state
        .with_store(move |s| s.create_attempt(&drawn.attempt, max))
        .await?;
    if created {
        state.quiz_pages.insert(&token, &session.id, form.into());
    }
    if !created {
        return Err(AppError::NotAllowed(format!(
            "You have used all {} attempts allowed on this quiz.",
            max.unwrap_or(0)
        )));
    }
    Ok(Redirect::to(&format!("/attempts/{token}")).into_response())
}

async fn start(
    State(state): State<AppState>,
    Segment(id): Segment,
    ClientIp(ip): ClientIp,
    visitor: Visitor,
    form: CheckedForm,
) -> Result<Response, AppError> {
    state
        .start_limiter
        .take(visitor_key(&visitor, ip), Instant::now())?;
    form.without_fields()?;
    if !is_valid_id(&id) {
        return Err(AppError::NotFound);
    }
    let catalog = state.catalog();
    let lesson = catalog.lesson(&id).ok_or(AppError::NotFound)?;
    start_attempt(&state, &visitor, lesson, None).await
}

async fn show(
    State(state): State<AppState>,
    Segment(token): Segment,
    session: Session,
) -> Result<Response, AppError> {
    if let Some(page) = state.quiz_pages.get(&token, &session.id) {
        // The form is kept; whether the attempt is still open is always the store's word.
        let asked = token.clone();
        match state
            .with_quick_read(move |s| s.is_submitted(&asked))
            .await?
        {
            Some(false) => return Ok(Html(page).into_response()),
            _ => state.quiz_pages.remove(&token),
        }
    }
    let attempt = owned_attempt(&state, &token, &session).await?;
    let page = match &attempt.submission {
        Some(submission) => render_result(&attempt, submission, &session, None)?,
        None => {
            let page = render_quiz(&attempt, &[], &[], &session)?;
            state
                .quiz_pages
                .insert(&token, &session.id, page.clone().into());
            page
        }
    };
    Ok(Html(page).into_response())
}

fn render_quiz(
    attempt: &Attempt,
    responses: &[Answer],
    problems: &[FormProblem],
    session: &Session,
) -> Result<String, AppError> {
    let a = &attempt.attempt;
    let possible: f64 = a.questions.iter().map(|q| q.points).sum();
    let page = QuizPage {
        lesson_title: &a.lesson_title,
        lesson_id: &a.lesson_id,
        token: &a.token,
        csrf: &session.csrf,
        facts: QuizFacts {
            questions: a.questions.len(),
            points: points_label(possible),
            pass_percent: format_points(a.pass_percent),
            time_limit_minutes: a.deadline_ms.map(|d| ((d - a.started_ms) / 60_000) as u32),
            max_attempts: None,
        },
        deadline: a.deadline_ms.map(|d| {
            let at = jiff::Timestamp::from_millisecond(d).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            format!("Submit by {} UTC", at.strftime("%H:%M"))
        }),
        questions: quiz_questions(&a.questions, responses, problems),
        form_problems: problems
            .iter()
            .filter(|p| p.question.is_none())
            .map(|p| p.message.clone())
            .collect(),
        has_problems: !problems.is_empty(),
    };
    Ok(page.render()?)
}

/// The result page of a submitted attempt; `reviewed_learner` names the learner when an
/// educator reviews it (then it has no buttons).
pub fn render_result(
    attempt: &Attempt,
    submission: &Submission,
    session: &Session,
    reviewed_learner: Option<&str>,
) -> Result<String, AppError> {
    let a = &attempt.attempt;
    let questions = result_questions(&a.questions, submission);
    let missed = questions.iter().filter(|q| q.section.is_some()).count();
    let page = ResultPage {
        reviewed_learner,
        lesson_title: &a.lesson_title,
        lesson_id: &a.lesson_id,
        token: &a.token,
        csrf: &session.csrf,
        earned: format_points(submission.score.earned),
        possible: format_points(submission.score.possible),
        percent: format_points(submission.score.percent()),
        passed: submission.score.passed(a.pass_percent),
        pass_percent: format_points(a.pass_percent),
        late: submission.late,
        questions,
        missed,
    };
    Ok(page.render()?)
}

async fn submit(
    State(state): State<AppState>,
    Segment(token): Segment,
    ClientIp(ip): ClientIp,
    session: Session,
    CheckedForm(fields): CheckedForm,
) -> Result<Response, AppError> {
    let attempt = owned_attempt(&state, &token, &session).await?;
    state
        .submit_limiter
        .take(owner_key(&attempt, ip), Instant::now())?;
    let redirect = Redirect::to(&format!("/attempts/{}", attempt.attempt.token)).into_response();
    if attempt.submission.is_some() {
        // Graded once: a resubmission changes nothing and shows the result.
        return Ok(redirect);
    }
    let questions = &attempt.attempt.questions;
    let decoded = decode_answers(questions, &fields);
    let submitted_ms = state.now_ms();
    let late = attempt
        .attempt
        .deadline_ms
        .is_some_and(|d| submitted_ms > d + DEADLINE_GRACE_MS);
    if !decoded.problems.is_empty() && !late {
        let page = render_quiz(&attempt, &decoded.responses, &decoded.problems, &session)?;
        return Ok((StatusCode::BAD_REQUEST, Html(page)).into_response());
    }
    let responses: Vec<Answer> = if late {
        questions.iter().map(Answer::unanswered).collect()
    } else {
        decoded.responses
    };
    let (points, score) = grade_attempt(questions, &responses);
    let submission = Submission {
        submitted_ms,
        responses,
        points,
        score,
        late,
    };
    state.submit(token.clone(), submission).await?;
    state.quiz_pages.remove(&token);
    Ok(redirect)
}

async fn retry(
    State(state): State<AppState>,
    Segment(token): Segment,
    ClientIp(ip): ClientIp,
    visitor: Visitor,
    form: CheckedForm,
) -> Result<Response, AppError> {
    state
        .start_limiter
        .take(visitor_key(&visitor, ip), Instant::now())?;
    form.without_fields()?;
    let attempt = owned_attempt(&state, &token, &visitor.session).await?;
    let Some(submission) = &attempt.submission else {
        return Ok(Redirect::to(&format!("/attempts/{}", attempt.attempt.token)).into_response());
    };
    let catalog = state.catalog();
    let lesson = catalog
        .lesson(&attempt.attempt.lesson_id)
        .ok_or(AppError::NotFound)?;
    let pool = lesson.quiz.as_ref().ok_or(AppError::NotFound)?;
    let missed: Vec<String> = attempt
        .attempt
        .questions
        .iter()
        .zip(&submission.points)
        .filter(|(q, earned)| **earned < q.points - 1e-9)
        .map(|(q, _)| q.id.clone())
        .filter(|id| pool.questions.iter().any(|q| &q.id == id))
        .collect();
    if missed.is_empty() {
        return Err(AppError::NotAllowed(
            "There is nothing to retry: every question of that attempt was answered correctly, or the missed ones are no longer in the lesson.".into(),
        ));
    }
    start_attempt(&state, &visitor, lesson, Some(&missed)).await
}
