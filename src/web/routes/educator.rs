//! The educator area: sign-in and sign-out, the dashboard, per-lesson statistics, the pool
//! preview and the CSV export. Every page but the sign-in form needs an [`Educator`].

use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::lesson::{Lesson, is_valid_id};
use crate::quiz::draw::draw_question;
use crate::quiz::stats::{
    GradedAttempt, LessonSummary, MIN_ATTEMPTS, histogram, lesson_summary, question_stats,
};
use std::collections::HashMap;

use crate::accounts::AccountId;
use crate::store::{Account, Attempt};
use crate::web::AppState;
use crate::web::auth::{
    ClientIp, EDUCATOR_COOKIE, EDUCATOR_SESSION_SECS, Educator, educator_cookie_value,
    token_matches,
};
use crate::web::error::AppError;
use crate::web::form::CheckedForm;
use crate::web::limits::Segment;
use crate::web::routes::classes::learners_in_scope;
use crate::web::session::{Session, set_cookie};
use crate::web::templates::{
    DashboardPage, DashboardRow, HistogramBar, LessonStatsPage, PreviewPage, PreviewQuestion,
    QuestionRow, TokenSignInPage,
};
use crate::web::views::{describe, format_points};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/educator", get(dashboard))
        .route("/educator/sign-in", get(sign_in_form).post(sign_in))
        .route("/educator/sign-out", post(sign_out))
        .route("/educator/lessons/{id}", get(lesson_stats))
        .route("/educator/lessons/{id}/preview", get(preview))
        .route("/educator/lessons/{id}/attempts.csv", get(attempts_csv))
}

fn render_sign_in(session: &Session, problem: Option<&str>) -> Result<String, AppError> {
    Ok(TokenSignInPage {
        csrf: &session.csrf,
        problem,
    }
    .render()?)
}

async fn sign_in_form(
    educator: Result<Educator, Response>,
    session: Session,
) -> Result<Response, AppError> {
    if educator.is_ok() {
        return Ok(Redirect::to("/educator").into_response());
    }
    Ok(Html(render_sign_in(&session, None)?).into_response())
}

async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    CheckedForm(fields): CheckedForm,
) -> Result<Response, AppError> {
    if let Err(retry_after_secs) = state.sign_in_failures.check(ip, Instant::now()) {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let mut token = None;
    for (name, value) in fields {
        match name.as_str() {
            "token" if token.is_none() => token = Some(value),
            _ => {
                return Err(AppError::BadRequest(
                    "The sign-in form has an unexpected field.".into(),
                ));
            }
        }
    }
    let given = token.unwrap_or_default();
    if !token_matches(&state.config.educator_token, given.trim()) {
        state.sign_in_failures.fail(ip, Instant::now());
        let page = render_sign_in(
            &session,
            Some("That is not the educator token. Check it and try again."),
        )?;
        return Ok((StatusCode::UNAUTHORIZED, Html(page)).into_response());
    }
    let value = educator_cookie_value(
        &state.keys,
        &state.config.educator_token,
        state.now_ms() / 1000,
    );
    let cookie = set_cookie(
        EDUCATOR_COOKIE,
        &value,
        EDUCATOR_SESSION_SECS as u64,
        "Strict",
        state.config.behind_https,
    );
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/educator")).into_response())
}

async fn sign_out(State(state): State<AppState>, form: CheckedForm) -> Result<Response, AppError> {
    form.without_fields()?;
    let cookie = set_cookie(EDUCATOR_COOKIE, "", 0, "Strict", state.config.behind_https);
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/")).into_response())
}

/// Submitted attempts as the statistics need them.
fn graded(attempts: &[Attempt]) -> Vec<GradedAttempt<'_>> {
    attempts
        .iter()
        .filter_map(|a| {
            let s = a.submission.as_ref()?;
            Some(GradedAttempt {
                questions: &a.attempt.questions,
                responses: &s.responses,
                points: &s.points,
                score: s.score,
                passed: s.score.passed(a.attempt.pass_percent),
            })
        })
        .collect()
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{}%", format_points(v)))
}

/// A lesson's attempts this educator may see: every one for the administrator, else only
/// those of learners in the educator's classes.
async fn visible_attempts(
    state: &AppState,
    educator: Educator,
    lesson_id: &str,
) -> Result<(Vec<Attempt>, HashMap<AccountId, Account>), AppError> {
    let learners = learners_in_scope(state, educator.scope).await?;
    let id = lesson_id.to_string();
    let attempts = state.with_store(move |s| s.lesson_attempts(&id)).await?;
    match learners {
        Some(learners) => Ok((
            attempts
                .into_iter()
                .filter(|a| {
                    a.attempt
                        .learner_id
                        .is_some_and(|l| learners.contains_key(&l))
                })
                .collect(),
            learners,
        )),
        None => {
            // The administrator: names of every learner who made one of these attempts.
            let mut ids: Vec<AccountId> = attempts
                .iter()
                .filter_map(|a| a.attempt.learner_id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let names = state
                .with_store(move |s| {
                    let mut names = HashMap::new();
                    for id in ids {
                        if let Some(account) = s.accounts().account(id)? {
                            names.insert(id, account);
                        }
                    }
                    Ok(names)
                })
                .await?;
            Ok((attempts, names))
        }
    }
}

async fn dashboard(
    educator: Educator,
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, AppError> {
    let catalog = state.catalog();
    let mut rows = Vec::new();
    for lesson in catalog.lessons() {
        let (attempts, _) = visible_attempts(&state, educator, &lesson.id).await?;
        let LessonSummary {
            started,
            submitted,
            mean_percent,
            pass_rate,
        } = lesson_summary(attempts.len(), &graded(&attempts));
        rows.push(DashboardRow {
            id: lesson.id.clone(),
            title: lesson.title.clone(),
            started,
            submitted,
            mean: percent(mean_percent),
            pass_rate: percent(pass_rate.map(|r| r * 100.0)),
            problems: catalog.problems_for(&lesson.id).len(),
        });
    }
    let problems: Vec<String> = catalog.problems().iter().map(|p| p.to_string()).collect();
    Ok(Html(
        DashboardPage {
            csrf: &session.csrf,
            rows,
            problems,
        }
        .render()?,
    ))
}

fn find_lesson(state: &AppState, id: &str) -> Result<std::sync::Arc<Lesson>, AppError> {
    if !is_valid_id(id) {
        return Err(AppError::NotFound);
    }
    state
        .catalog()
        .lesson(id)
        .cloned()
        .ok_or(AppError::NotFound)
}

async fn lesson_stats(
    educator: Educator,
    State(state): State<AppState>,
    Segment(id): Segment,
    session: Session,
) -> Result<Html<String>, AppError> {
    let lesson = find_lesson(&state, &id)?;
    let (attempts, _) = visible_attempts(&state, educator, &lesson.id).await?;
    let graded = graded(&attempts);
    let summary = lesson_summary(attempts.len(), &graded);
    let percents: Vec<f64> = graded.iter().map(|a| a.score.percent()).collect();
    let counts = histogram(&percents, 10);
    let tallest = counts.iter().copied().max().unwrap_or(0).max(1);
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let height = (count * 150).div_ceil(tallest);
            HistogramBar {
                label: if i == 9 {
                    "90–100%".into()
                } else {
                    format!("{}–{}%", i * 10, i * 10 + 9)
                },
                count,
                x: 40 + i * 52,
                y: 170 - height,
                height,
            }
        })
        .collect();
    let questions = question_stats(&graded)
        .into_iter()
        .map(|q| {
            let enough = q.drawn >= MIN_ATTEMPTS;
            QuestionRow {
                flags: q.flags().iter().map(|f| f.to_string()).collect(),
                facility: q
                    .facility
                    .map_or_else(|| "not enough data".into(), |f| format!("{f:.2}")),
                discrimination: match (enough, q.discrimination) {
                    (false, _) => "not enough data".into(),
                    (true, None) => "no variation".into(),
                    (true, Some(d)) => format!("{d:.2}"),
                },
                choices: q
                    .choices
                    .iter()
                    .map(|c| {
                        format!(
                            "{}{}: {}",
                            c.text,
                            if c.correct { " (right)" } else { "" },
                            c.picked
                        )
                    })
                    .collect(),
                id: q.id,
                prompt: q.prompt,
                drawn: q.drawn,
            }
        })
        .collect();
    Ok(Html(
        LessonStatsPage {
            csrf: &session.csrf,
            lesson: &lesson,
            started: summary.started,
            submitted: summary.submitted,
            mean: percent(summary.mean_percent),
            pass_rate: percent(summary.pass_rate.map(|r| r * 100.0)),
            bars,
            questions,
            problems: state
                .catalog()
                .problems_for(&lesson.id)
                .iter()
                .map(|p| p.to_string())
                .collect(),
        }
        .render()?,
    ))
}

async fn preview(
    _: Educator,
    State(state): State<AppState>,
    Segment(id): Segment,
    session: Session,
) -> Result<Html<String>, AppError> {
    let lesson = find_lesson(&state, &id)?;
    let questions = lesson
        .quiz
        .iter()
        .flat_map(|quiz| &quiz.questions)
        .map(|q| {
            let drawn = draw_question(q, false, 0);
            let (_, right, feedback) = describe(&drawn, &crate::quiz::Response::unanswered(&drawn));
            let choices = match &drawn.kind {
                crate::quiz::DrawnKind::Single { choices }
                | crate::quiz::DrawnKind::Multiple { choices } => choices
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {}",
                            if c.correct {
                                "✓ right:"
                            } else {
                                "✗ distractor:"
                            },
                            c.text
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            PreviewQuestion {
                id: q.id.clone(),
                kind: q.kind.name(),
                section: q.section.clone(),
                prompt: q.prompt.clone(),
                points: format_points(q.points),
                explanation: q.explanation.clone(),
                right,
                choices,
                feedback,
                objectives: q
                    .objectives
                    .iter()
                    .filter_map(|id| lesson.objective(id))
                    .map(|o| o.text.clone())
                    .collect(),
            }
        })
        .collect();
    Ok(Html(
        PreviewPage {
            csrf: &session.csrf,
            lesson: &lesson,
            questions,
        }
        .render()?,
    ))
}

/// Neutralises a spreadsheet formula: a cell that starts with `=`, `+`, `-`, `@`, tab or
/// carriage return is prefixed with `'` so spreadsheets show it as text.
pub fn csv_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(
        |_| String::new(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

async fn attempts_csv(
    educator: Educator,
    State(state): State<AppState>,
    Segment(id): Segment,
) -> Result<Response, AppError> {
    let lesson = find_lesson(&state, &id)?;
    let (attempts, learners) = visible_attempts(&state, educator, &lesson.id).await?;
    // Columns: the current pool's questions in file order, then ids only older versions had.
    let mut ids: Vec<String> = lesson
        .quiz
        .iter()
        .flat_map(|q| &q.questions)
        .map(|q| q.id.clone())
        .collect();
    for a in &attempts {
        for q in &a.attempt.questions {
            if !ids.contains(&q.id) {
                ids.push(q.id.clone());
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "attempt",
        "learner_name",
        "learner_username",
        "started",
        "submitted",
        "duration_seconds",
        "earned",
        "possible",
        "percent",
        "passed",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(ids.iter().map(|id| csv_cell(id)));
    let csv_error = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    writer.write_record(&header).map_err(csv_error)?;
    for a in &attempts {
        let Some(s) = &a.submission else { continue };
        let learner = a.attempt.learner_id.and_then(|id| learners.get(&id));
        let mut row = vec![
            a.attempt.token.clone(),
            learner.map_or_else(String::new, |l| l.display_name.clone()),
            learner.map_or_else(String::new, |l| l.username.clone()),
            timestamp(a.attempt.started_ms),
            timestamp(s.submitted_ms),
            format!(
                "{:.0}",
                (s.submitted_ms - a.attempt.started_ms) as f64 / 1000.0
            ),
            format_points(s.score.earned),
            format_points(s.score.possible),
            format_points(s.score.percent()),
            s.score.passed(a.attempt.pass_percent).to_string(),
        ];
        for id in &ids {
            let points = a
                .attempt
                .questions
                .iter()
                .position(|q| &q.id == id)
                .and_then(|i| s.points.get(i))
                .map(|p| format_points(*p))
                .unwrap_or_default();
            row.push(points);
        }
        let row: Vec<String> = row.iter().map(|v| csv_cell(v)).collect();
        writer.write_record(&row).map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-attempts.csv\"", lesson.id),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
