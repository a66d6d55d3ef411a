//! The educator's classes: create one, its join code (new, closed, reopened), the lessons it
//! assigns with due dates, its roster (remove a learner, a one-time password link), the
//! gradebook (learners × lessons, sortable without JavaScript) and its CSV, and each learner's
//! attempts with their review pages. An educator sees only classes they made (the
//! administrator sees all): anything else is a 404.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HOST};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::accounts::{AccountId, ClassCode, ClassId};
use crate::catalog::Catalog;
use crate::store::{Account, Attempt, Class, ClassLesson, Member, NewClass};
use crate::web::AppState;
use crate::web::auth::Educator;
use crate::web::error::AppError;
use crate::web::form::{CheckedForm, NamedFields};
use crate::web::identity::Scope;
use crate::web::limits::Segment;
use crate::web::routes::account::new_password_link;
use crate::web::routes::attempts::render_result;
use crate::web::routes::educator::csv_cell;
use crate::web::session::Session;
use crate::web::standing::{self, date_input, day, moment, standing};
use crate::web::templates::{
    AssignRow, ClassPage, ClassSummary, ClassesPage, GradeCell, GradebookRow, LearnerAttemptRow,
    LearnerPage, PassbackRow, ResetLinkPage, RosterRow, SortLink,
};
use crate::web::views::format_points;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/educator/classes", get(classes).post(create_class))
        .route("/educator/classes/{id}", get(class_page))
        .route("/educator/classes/{id}/code", post(change_code))
        .route("/educator/classes/{id}/settings", post(update_class))
        .route("/educator/classes/{id}/grades.csv", get(grades_csv))
        .route(
            "/educator/classes/{id}/learners/{learner}",
            get(learner_page),
        )
        .route(
            "/educator/classes/{id}/learners/{learner}/remove",
            post(remove_learner),
        )
        .route(
            "/educator/classes/{id}/learners/{learner}/reset",
            post(reset_link),
        )
        .route("/educator/attempts/{token}", get(review_attempt))
}

/// An educator's view of a submitted attempt: any for the administrator, else only those of
/// learners in the educator's classes.
async fn review_attempt(
    educator: Educator,
    State(state): State<AppState>,
    Segment(token): Segment,
    session: Session,
) -> Result<Html<String>, AppError> {
    let well_formed = token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(AppError::NotFound);
    }
    let attempt = state
        .with_quick_read(move |s| s.attempt(&token))
        .await?
        .ok_or(AppError::NotFound)?;
    let learner = match (
        learners_in_scope(&state, educator.scope).await?,
        attempt.attempt.learner_id,
    ) {
        (None, None) => None,
        (None, Some(id)) => {
            state
                .with_quick_read(move |s| s.accounts().account(id))
                .await?
        }
        (Some(learners), Some(id)) => Some(learners.get(&id).cloned().ok_or(AppError::NotFound)?),
        (Some(_), None) => return Err(AppError::NotFound),
    };
    let submission = attempt.submission.as_ref().ok_or(AppError::NotFound)?;
    let name = learner.map_or_else(
        || "an anonymous visitor".to_string(),
        |a| format!("{} ({})", a.display_name, a.username),
    );
    Ok(Html(render_result(
        &attempt,
        submission,
        &session,
        Some(&name),
    )?))
}

/// A class id from the path; anything else names nothing.
fn class_id(segment: &str) -> Result<ClassId, AppError> {
    segment
        .parse::<ClassId>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

/// The class, if this educator may see it (else 404: its existence is not told).
pub async fn class_in_scope(
    state: &AppState,
    scope: Scope,
    id: ClassId,
) -> Result<Class, AppError> {
    let class = state
        .with_quick_read(move |s| s.accounts().class(id))
        .await?
        .ok_or(AppError::NotFound)?;
    if scope.may_see(class.owner_id) {
        return Ok(class);
    }
    // Another instructor of the LMS course the class comes from.
    match scope {
        Scope::OwnClasses(me)
            if state
                .with_store(move |s| s.lti().co_teaches(id, me))
                .await? =>
        {
            Ok(class)
        }
        _ => Err(AppError::NotFound),
    }
}

/// The learners of every class this educator may see, by id; `None` for the administrator,
/// who sees every attempt, anonymous ones included.
pub async fn learners_in_scope(
    state: &AppState,
    scope: Scope,
) -> Result<Option<HashMap<AccountId, Account>>, AppError> {
    let Scope::OwnClasses(owner) = scope else {
        return Ok(None);
    };
    state
        .with_store(move |s| {
            let accounts = s.accounts();
            let mut learners = HashMap::new();
            for class in accounts.classes(Some(owner))? {
                for member in accounts.members(class.id)? {
                    learners.insert(member.account.id, member.account);
                }
            }
            Ok(Some(learners))
        })
        .await
}

/// The lessons a form assigns: ticked `lesson` boxes, each with the `due` date typed on its
/// row (rows are `due_for` + `due` pairs, one per catalog lesson, in order).
fn assigned_lessons(form: &NamedFields, catalog: &Catalog) -> Result<Vec<ClassLesson>, String> {
    let ticked = form.all("lesson");
    let dues: HashMap<&str, &str> = form
        .all("due_for")
        .into_iter()
        .zip(form.all("due"))
        .collect();
    let mut lessons = Vec::new();
    for lesson in catalog.lessons() {
        if !ticked.contains(&lesson.id.as_str()) {
            continue;
        }
        let due_ms = match dues.get(lesson.id.as_str()).map(|d| d.trim()) {
            None | Some("") => None,
            Some(date) => Some(standing::end_of_day(date).ok_or_else(|| {
                format!(
                    "The due date of “{}” is not a date: use the date picker or write it as 2026-12-31.",
                    lesson.title
                )
            })?),
        };
        lessons.push(ClassLesson {
            lesson_id: lesson.id.clone(),
            due_ms,
        });
    }
    if let Some(unknown) = ticked.iter().find(|id| catalog.lesson(id).is_none()) {
        return Err(format!(
            "The lesson “{}” is no longer in the catalogue; reload the page.",
            unknown.chars().take(60).collect::<String>()
        ));
    }
    Ok(lessons)
}

/// A class name from a form: 1–100 characters after trimming.
fn class_name(typed: &str) -> Result<String, String> {
    let name = typed.split_whitespace().collect::<Vec<_>>().join(" ");
    if (1..=100).contains(&name.chars().count()) && !name.chars().any(char::is_control) {
        Ok(name)
    } else {
        Err(
            "Give the class a name of 1 to 100 characters, for example “History 10B, spring”."
                .into(),
        )
    }
}

/// Rows of the lesson-assignment fieldset: every lesson with a quiz, ticked and dated as
/// `class` has it.
fn assign_rows(catalog: &Catalog, class: Option<&Class>) -> Vec<AssignRow> {
    catalog
        .lessons()
        .iter()
        .filter(|l| l.quiz.is_some())
        .map(|lesson| {
            let assigned = class.and_then(|c| c.lessons.iter().find(|a| a.lesson_id == lesson.id));
            AssignRow {
                id: lesson.id.clone(),
                title: lesson.title.clone(),
                checked: assigned.is_some(),
                due: assigned
                    .and_then(|a| a.due_ms)
                    .map(date_input)
                    .unwrap_or_default(),
            }
        })
        .collect()
}

async fn classes(
    educator: Educator,
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, AppError> {
    render_classes(&state, educator, &session, "", None).await
}

async fn render_classes(
    state: &AppState,
    educator: Educator,
    session: &Session,
    name: &str,
    problem: Option<String>,
) -> Result<Html<String>, AppError> {
    let owner = educator.scope.owner();
    let list = state
        .with_store(move |s| {
            let accounts = s.accounts();
            accounts
                .classes(owner)?
                .into_iter()
                .map(|c| {
                    let learners = accounts.members(c.id)?.len();
                    Ok((c, learners))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    let catalog = state.catalog();
    Ok(Html(
        ClassesPage {
            csrf: &session.csrf,
            classes: list
                .into_iter()
                .map(|(c, learners)| ClassSummary {
                    id: c.id,
                    name: c.name,
                    code: c.join_code.as_deref().map(shown_code),
                    learners,
                    lessons: c.lessons.len(),
                })
                .collect(),
            name,
            lessons: assign_rows(&catalog, None),
            problem,
        }
        .render()?,
    ))
}

/// `ABCD-EFGH` from a stored code.
fn shown_code(stored: &str) -> String {
    ClassCode::parse(stored).map_or_else(|_| stored.to_string(), |c| c.to_string())
}

async fn create_class(
    educator: Educator,
    State(state): State<AppState>,
    session: Session,
    form: CheckedForm,
) -> Result<Response, AppError> {
    let form = form.named(&["name", "lesson", "due_for", "due"])?;
    let catalog = state.catalog();
    let typed = form.one("name").to_string();
    let checked =
        class_name(&typed).and_then(|name| Ok((name, assigned_lessons(&form, &catalog)?)));
    let (name, lessons) = match checked {
        Ok(ok) => ok,
        Err(problem) => {
            let page = render_classes(&state, educator, &session, &typed, Some(problem)).await?;
            return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let new = NewClass {
        name,
        owner_id: educator.scope.owner(),
        join_code: String::new(),
        created_ms: state.now_ms(),
        lessons,
    };
    let id = state
        .with_store(move |s| {
            // A fresh code until one is free: with 31^8 codes a second try is already rare.
            for _ in 0..8 {
                let class = NewClass {
                    join_code: ClassCode::generate().as_str().to_string(),
                    ..new.clone()
                };
                if let Some(id) = s.accounts().create_class(&class)? {
                    return Ok(id);
                }
            }
            Err(crate::store::StoreError::Unavailable(
                "no free join code was found".into(),
            ))
        })
        .await?;
    Ok(Redirect::to(&format!("/educator/classes/{id}")).into_response())
}

#[derive(Deserialize)]
struct SortQuery {
    sort: Option<String>,
}

/// The class's lessons as the gradebook shows them: assigned ones, or every lesson with a
/// quiz when none is assigned.
fn gradebook_lessons(class: &Class, catalog: &Catalog) -> Vec<(String, String, Option<i64>)> {
    if class.lessons.is_empty() {
        return catalog
            .lessons()
            .iter()
            .filter(|l| l.quiz.is_some())
            .map(|l| (l.id.clone(), l.title.clone(), None))
            .collect();
    }
    class
        .lessons
        .iter()
        .map(|a| {
            let title = catalog
                .lesson(&a.lesson_id)
                .map_or_else(|| a.lesson_id.clone(), |l| l.title.clone());
            (a.lesson_id.clone(), title, a.due_ms)
        })
        .collect()
}

/// Every learner's grade on every gradebook lesson: `grades[learner][lesson]`.
fn grades(
    members: &[Member],
    lessons: &[(String, String, Option<i64>)],
    attempts: &[Attempt],
    catalog: &Catalog,
    now_ms: i64,
) -> Vec<Vec<Option<crate::quiz::gradebook::Grade>>> {
    let mut by_key: HashMap<(AccountId, &str), Vec<&Attempt>> = HashMap::new();
    for attempt in attempts {
        if let Some(learner) = attempt.attempt.learner_id {
            by_key
                .entry((learner, attempt.attempt.lesson_id.as_str()))
                .or_default()
                .push(attempt);
        }
    }
    members
        .iter()
        .map(|m| {
            lessons
                .iter()
                .map(|(id, _, due)| {
                    let tries = by_key
                        .get(&(m.account.id, id.as_str()))
                        .cloned()
                        .unwrap_or_default();
                    let method = standing::method(catalog.lesson(id).map(|l| l.as_ref()));
                    standing(&tries, method, *due, now_ms).grade
                })
                .collect()
        })
        .collect()
}

/// The class, its learners, the gradebook's lessons and every grade.
struct Gradebook {
    class: Class,
    members: Vec<Member>,
    lessons: Vec<(String, String, Option<i64>)>,
    grades: Vec<Vec<Option<crate::quiz::gradebook::Grade>>>,
}

async fn gradebook(
    state: &AppState,
    educator: Educator,
    id: ClassId,
) -> Result<Gradebook, AppError> {
    let class = class_in_scope(state, educator.scope, id).await?;
    let (members, attempts) = state
        .with_store(move |s| {
            let accounts = s.accounts();
            Ok((accounts.members(id)?, accounts.class_attempts(id)?))
        })
        .await?;
    let catalog = state.catalog();
    let lessons = gradebook_lessons(&class, &catalog);
    let grades = grades(&members, &lessons, &attempts, &catalog, state.now_ms());
    Ok(Gradebook {
        class,
        members,
        lessons,
        grades,
    })
}

fn percent(grade: Option<crate::quiz::gradebook::Grade>) -> String {
    grade.map_or_else(String::new, |g| format_points(g.percent))
}

async fn class_page(
    educator: Educator,
    State(state): State<AppState>,
    Segment(id): Segment,
    Query(query): Query<SortQuery>,
    session: Session,
) -> Result<Html<String>, AppError> {
    let id = class_id(&id)?;
    let book = gradebook(&state, educator, id).await?;
    let catalog = state.catalog();
    let sort = query.sort.unwrap_or_else(|| "name".into());
    let sorted_lesson = book
        .lessons
        .iter()
        .position(|(lesson, _, _)| *lesson == sort);
    let mut order: Vec<usize> = (0..book.members.len()).collect();
    if let Some(column) = sorted_lesson {
        // Highest grade first; no grade last; ties by name.
        order.sort_by(|&a, &b| {
            let (ga, gb) = (book.grades[a][column], book.grades[b][column]);
            gb.map(|g| g.percent)
                .partial_cmp(&ga.map(|g| g.percent))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    let rows = order
        .iter()
        .map(|&i| {
            let member = &book.members[i];
            GradebookRow {
                learner_id: member.account.id,
                name: member.account.display_name.clone(),
                username: member.account.username.clone(),
                cells: book.grades[i]
                    .iter()
                    .zip(&book.lessons)
                    .map(|(grade, (lesson, _, _))| GradeCell {
                        lesson_id: lesson.clone(),
                        percent: grade.map(|g| format!("{}%", format_points(g.percent))),
                        late: grade.is_some_and(|g| g.late),
                    })
                    .collect(),
            }
        })
        .collect();
    let columns = book
        .lessons
        .iter()
        .map(|(lesson, title, due)| SortLink {
            key: lesson.clone(),
            label: title.clone(),
            due: due.map(day),
            method: standing::method(catalog.lesson(lesson).map(|l| l.as_ref())).name(),
            sorted: sort == *lesson,
        })
        .collect();
    let roster = book
        .members
        .iter()
        .map(|m| RosterRow {
            id: m.account.id,
            name: m.account.display_name.clone(),
            username: m.account.username.clone(),
            joined: moment(m.joined_ms),
            last_activity: moment(m.last_activity_ms),
        })
        .collect();
    let mut passbacks: Vec<PassbackRow> = state
        .with_store(move |s| s.lti().class_passbacks(id))
        .await?
        .into_iter()
        .map(|p| {
            let learner = book
                .members
                .iter()
                .find(|m| m.account.id == p.account_id)
                .map_or_else(String::new, |m| m.account.display_name.clone());
            let lesson = catalog
                .lesson(&p.lesson_id)
                .map_or_else(|| p.lesson_id.clone(), |l| l.title.clone());
            let status = if p.failed {
                "refused by the LMS".to_string()
            } else if p.pending && p.tries > 0 {
                format!(
                    "waiting: {} failed tries, next {}",
                    p.tries,
                    moment(p.next_try_ms)
                )
            } else if p.pending {
                "being sent".to_string()
            } else {
                "delivered".to_string()
            };
            PassbackRow {
                learner,
                lesson,
                status,
                delivered: !p.pending && !p.failed,
                sent: p
                    .sent_score
                    .zip(p.sent_ms)
                    .map(|(score, at)| format!("{}% at {}", format_points(score), moment(at))),
                error: p.last_error.unwrap_or_default(),
            }
        })
        .collect();
    passbacks.sort_by_key(|p| p.delivered);
    Ok(Html(
        ClassPage {
            csrf: &session.csrf,
            passbacks,
            id: book.class.id,
            name: &book.class.name,
            code: book.class.join_code.as_deref().map(shown_code),
            raw_code: book.class.join_code.clone().unwrap_or_default(),
            columns,
            sorted_by_name: sorted_lesson.is_none(),
            rows,
            roster,
            lessons: assign_rows(&catalog, Some(&book.class)),
            problem: None,
        }
        .render()?,
    ))
}

async fn change_code(
    educator: Educator,
    State(state): State<AppState>,
    Segment(id): Segment,
    form: CheckedForm,
) -> Result<Response, AppError> {
    let id = class_id(&id)?;
    class_in_scope(&state, educator.scope, id).await?;
    let form = form.named(&["action"])?;
    let close = match form.one("action") {
        "close" => true,
        "new" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose to make a new join code or to close joining.".into(),
            ));
        }
    };
    state
        .with_store(move |s| {
            if close {
                return s.accounts().set_join_code(id, None).map(|_| ());
            }
            for _ in 0..8 {
                if s.accounts()
                    .set_join_code(id, Some(ClassCode::generate().as_str()))?
                {
                    return Ok(());
                }
            }
            Err(crate::store::StoreError::Unavailable(
                "no free join code was found".into(),
            ))
        })
        .await?;
    Ok(Redirect::to(&format!("/educator/classes/{id}#join-code")).into_response())
}

async fn update_class(
    educator: Educator,
    State(state): State<AppState>,
    Segment(id): Segment,
    form: CheckedForm,
) -> Result<Response, AppError> {
    let id = class_id(&id)?;
    class_in_scope(&state, educator.scope, id).await?;
    let form = form.named(&["name", "lesson", "due_for", "due"])?;
    let catalog = state.catalog();
    let (name, lessons) = class_name(form.one("name"))
        .and_then(|name| Ok((name, assigned_lessons(&form, &catalog)?)))
        .map_err(AppError::BadRequest)?;
    state
        .with_store(move |s| s.accounts().update_class(id, &name, &lessons))
        .await?;
    Ok(Redirect::to(&format!("/educator/classes/{id}")).into_response())
}

async fn grades_csv(
    educator: Educator,
    State(state): State<AppState>,
    Segment(id): Segment,
) -> Result<Response, AppError> {
    let id = class_id(&id)?;
    let book = gradebook(&state, educator, id).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut header = vec!["display_name".to_string(), "username".to_string()];
    header.extend(book.lessons.iter().map(|(_, title, _)| csv_cell(title)));
    writer.write_record(&header).map_err(csv_error)?;
    for (member, grades) in book.members.iter().zip(&book.grades) {
        let mut row = vec![
            csv_cell(&member.account.display_name),
            csv_cell(&member.account.username),
        ];
        row.extend(grades.iter().map(|g| percent(*g)));
        writer.write_record(&row).map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    let file: String = book
        .class
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-grades.csv\"",
                    file.trim_matches('-')
                ),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The class and the learner, when this educator may see the class and the learner is in it.
async fn learner_in_class(
    state: &AppState,
    educator: Educator,
    id: &str,
    learner: &str,
) -> Result<(Class, Member), AppError> {
    let class = class_in_scope(state, educator.scope, class_id(id)?).await?;
    let learner: AccountId = learner.parse().map_err(|_| AppError::NotFound)?;
    let class_id = class.id;
    let member = state
        .with_quick_read(move |s| s.accounts().members(class_id))
        .await?
        .into_iter()
        .find(|m| m.account.id == learner)
        .ok_or(AppError::NotFound)?;
    Ok((class, member))
}

/// Both path segments of a learner route.
#[derive(Deserialize)]
struct LearnerPath {
    id: String,
    learner: String,
}

async fn learner_page(
    educator: Educator,
    State(state): State<AppState>,
    axum::extract::Path(path): axum::extract::Path<LearnerPath>,
    session: Session,
) -> Result<Html<String>, AppError> {
    let (class, member) = learner_in_class(&state, educator, &path.id, &path.learner).await?;
    let learner = member.account.id;
    let attempts = state
        .with_store(move |s| s.accounts().learner_attempts(learner))
        .await?;
    let due: HashMap<&str, Option<i64>> = class
        .lessons
        .iter()
        .map(|l| (l.lesson_id.as_str(), l.due_ms))
        .collect();
    let rows = attempts
        .iter()
        .rev()
        .map(|a| {
            let submitted = a.submission.as_ref();
            let due_ms = due.get(a.attempt.lesson_id.as_str()).copied().flatten();
            LearnerAttemptRow {
                token: a.attempt.token.clone(),
                lesson: a.attempt.lesson_title.clone(),
                started: moment(a.attempt.started_ms),
                submitted: submitted.map(|s| moment(s.submitted_ms)),
                score: submitted.map(|s| format!("{}%", format_points(s.score.percent()))),
                after_due: submitted
                    .zip(due_ms)
                    .is_some_and(|(s, due)| s.submitted_ms > due),
                practice: a.attempt.practice,
            }
        })
        .collect();
    Ok(Html(
        LearnerPage {
            csrf: &session.csrf,
            class_id: class.id,
            class_name: &class.name,
            name: &member.account.display_name,
            username: &member.account.username,
            rows,
        }
        .render()?,
    ))
}

async fn remove_learner(
    educator: Educator,
    State(state): State<AppState>,
    axum::extract::Path(path): axum::extract::Path<LearnerPath>,
    form: CheckedForm,
) -> Result<Response, AppError> {
    form.without_fields()?;
    let (class, member) = learner_in_class(&state, educator, &path.id, &path.learner).await?;
    let (class_id, learner) = (class.id, member.account.id);
    state
        .with_store(move |s| s.accounts().remove_member(class_id, learner))
        .await?;
    Ok(Redirect::to(&format!("/educator/classes/{class_id}#roster")).into_response())
}

async fn reset_link(
    educator: Educator,
    State(state): State<AppState>,
    axum::extract::Path(path): axum::extract::Path<LearnerPath>,
    headers: HeaderMap,
    session: Session,
    form: CheckedForm,
) -> Result<Html<String>, AppError> {
    form.without_fields()?;
    let (class, member) = learner_in_class(&state, educator, &path.id, &path.learner).await?;
    let (learner, now) = (member.account.id, state.now_ms());
    let link = state
        .with_store(move |s| new_password_link(s, learner, now))
        .await?;
    // The address the educator reached us at, so the link works when pasted to the learner.
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("127.0.0.1:3000");
    let scheme = if state.config.behind_https {
        "https"
    } else {
        "http"
    };
    Ok(Html(
        ResetLinkPage {
            csrf: &session.csrf,
            class_id: class.id,
            name: &member.account.display_name,
            username: &member.account.username,
            link: format!("{scheme}://{host}{link}"),
        }
        .render()?,
    ))
}
