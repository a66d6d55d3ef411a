//! `GET /progress`: a learner's lessons (assigned ones first, by due date), each with its
//! status, best score, grade, attempts used and the way back in.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use crate::store::{Attempt, Class};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::identity::SignedIn;
use crate::web::standing::{day, standing};
use crate::web::templates::{ProgressPage, ProgressRow};
use crate::web::views::format_points;

pub fn router() -> Router<AppState> {
    Router::new().route("/progress", get(progress))
}

/// The earliest due date of each assigned lesson, and the classes that assign it.
fn assignments(classes: &[Class]) -> HashMap<&str, (Option<i64>, Vec<&str>)> {
    let mut assigned: HashMap<&str, (Option<i64>, Vec<&str>)> = HashMap::new();
    for class in classes {
        for lesson in &class.lessons {
            let entry = assigned.entry(lesson.lesson_id.as_str()).or_default();
            entry.0 = match (entry.0, lesson.due_ms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            entry.1.push(class.name.as_str());
        }
    }
    assigned
}

async fn progress(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Html<String>, AppError> {
    let learner = signed_in.account.id;
    let (classes, attempts) = state
        .with_store(move |s| {
            let accounts = s.accounts();
            Ok((
                accounts.learner_classes(learner)?,
                accounts.learner_attempts(learner)?,
            ))
        })
        .await?;
    let catalog = state.catalog();
    let assigned = assignments(&classes);
    let mut by_lesson: HashMap<&str, Vec<&Attempt>> = HashMap::new();
    for attempt in &attempts {
        by_lesson
            .entry(attempt.attempt.lesson_id.as_str())
            .or_default()
            .push(attempt);
    }
    let now = state.now_ms();
    let mut rows: Vec<(bool, Option<i64>, usize, ProgressRow)> = Vec::new();
    for (position, lesson) in catalog.lessons().iter().enumerate() {
        let Some(quiz) = &lesson.quiz else { continue };
        let (due_ms, in_classes) = assigned
            .get(lesson.id.as_str())
            .cloned()
            .unwrap_or_default();
        let is_assigned = !in_classes.is_empty();
        let tries = by_lesson.remove(lesson.id.as_str()).unwrap_or_default();
        let here = standing(&tries, quiz.grading, due_ms, now);
        let status = if here.open.is_some() {
            "In progress"
        } else if here.last_submitted.is_some() {
            "Submitted"
        } else {
            "Not started"
        };
        let percent =
            |p: Option<f64>| p.map_or_else(|| "—".into(), |p| format!("{}%", format_points(p)));
        rows.push((
            !is_assigned,
            due_ms,
            position,
            ProgressRow {
                lesson_id: lesson.id.clone(),
                title: lesson.title.clone(),
                classes: in_classes.join(", "),
                due: due_ms.map(day),
                overdue: due_ms.is_some_and(|d| d < now) && here.grade.is_none(),
                status,
                best: percent(here.best_percent),
                grade: percent(here.grade.map(|g| g.percent)),
                late: here.grade.is_some_and(|g| g.late),
                method: quiz.grading.name(),
                attempts: match quiz.max_attempts {
                    Some(max) => format!("{} of {max}", here.attempts),
                    None => here.attempts.to_string(),
                },
                passed: here.grade.map(|g| g.percent + 1e-9 >= quiz.pass_percent),
                resume: here.open.map(|a| a.attempt.token.clone()),
                review: here.last_submitted.map(|a| a.attempt.token.clone()),
            },
        ));
    }
    // Assigned first, soonest due first (undated after dated), then the course order.
    rows.sort_by_key(|(unassigned, due, position, _)| {
        (*unassigned, due.is_none(), *due, *position)
    });
    Ok(Html(
        ProgressPage {
            csrf: &signed_in.session.csrf,
            display_name: &signed_in.account.display_name,
            username: &signed_in.account.username,
            classes: classes.iter().map(|c| c.name.clone()).collect(),
            rows: rows.into_iter().map(|(_, _, _, row)| row).collect(),
        }
        .render()?,
    ))
}
