//! The askama templates (files in `templates/`) and the data each one shows.

use askama::Template;

use super::views::{QuestionView, ResultView};
use crate::lesson::Lesson;

/// `GET /`.
#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage<'a> {
    pub lessons: &'a [std::sync::Arc<Lesson>],
}

/// `GET /lessons/{id}`.
#[derive(Template)]
#[template(path = "lesson.html")]
pub struct LessonPage<'a> {
    pub lesson: &'a Lesson,
    pub csrf: &'a str,
    /// `(questions per attempt, pool size, pass percent)` when the lesson has a quiz.
    pub quiz: Option<QuizFacts>,
}

/// A quiz's settings in words, for the reading and the quiz page.
pub struct QuizFacts {
    pub questions: usize,
    pub points: String,
    pub pass_percent: String,
    pub time_limit_minutes: Option<u32>,
    pub max_attempts: Option<u32>,
}

/// `GET /attempts/{token}` before submission (also re-rendered with problems on a 400).
#[derive(Template)]
#[template(path = "quiz.html")]
pub struct QuizPage<'a> {
    pub lesson_title: &'a str,
    pub lesson_id: &'a str,
    pub token: &'a str,
    pub csrf: &'a str,
    pub facts: QuizFacts,
    /// "Submit by 14:05 UTC", when there is a time limit.
    pub deadline: Option<String>,
    pub questions: Vec<QuestionView<'a>>,
    /// Problems not tied to one question (unknown fields).
    pub form_problems: Vec<String>,
    pub has_problems: bool,
}

/// `GET /attempts/{token}` after submission.
#[derive(Template)]
#[template(path = "result.html")]
pub struct ResultPage<'a> {
    /// Shown to an educator reviewing this learner's attempt: no buttons to act on it.
    pub reviewed_learner: Option<&'a str>,
    pub lesson_title: &'a str,
    pub lesson_id: &'a str,
    pub token: &'a str,
    pub csrf: &'a str,
    pub earned: String,
    pub possible: String,
    pub percent: String,
    pub passed: bool,
    pub pass_percent: String,
    pub late: bool,
    pub questions: Vec<ResultView>,
    pub missed: usize,
}

/// Every error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub status: u16,
    pub title: &'a str,
    pub message: &'a str,
}

/// `GET /educator/sign-in` (the educator token).
#[derive(Template)]
#[template(path = "educator_sign_in.html")]
pub struct TokenSignInPage<'a> {
    pub csrf: &'a str,
    pub problem: Option<&'a str>,
}

/// A problem with one field of a form, shown in the summary and beside the field.
pub struct FieldProblem {
    /// The field's name and id.
    pub field: &'static str,
    pub message: String,
}

/// Forms that show [`FieldProblem`]s: the messages of one field, for the field macro.
pub trait FieldProblems {
    fn problems(&self) -> &[FieldProblem];

    fn problems_for(&self, field: &str) -> Vec<&str> {
        self.problems()
            .iter()
            .filter(|p| p.field == field)
            .map(|p| p.message.as_str())
            .collect()
    }
}

macro_rules! field_problems {
    ($($page:ident),*) => {
        $(impl FieldProblems for $page<'_> {
            fn problems(&self) -> &[FieldProblem] {
                self.problems
            }
        })*
    };
}

field_problems!(JoinPage, PasswordPage, SetPasswordPage);

/// `GET /sign-in`.
#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage<'a> {
    pub csrf: &'a str,
    /// Where to go afterwards (a local path, or empty).
    pub next: &'a str,
    pub username: &'a str,
    pub note: Option<&'a str>,
    pub problem: Option<&'a str>,
}

/// `GET /join`.
#[derive(Template)]
#[template(path = "join.html")]
pub struct JoinPage<'a> {
    pub csrf: &'a str,
    /// The display name of the signed-in student: then only the code is asked.
    pub signed_in_as: Option<&'a str>,
    pub code: &'a str,
    pub display_name: &'a str,
    pub username: &'a str,
    pub problems: &'a [FieldProblem],
}

/// `GET /account/password`.
#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage<'a> {
    pub csrf: &'a str,
    pub username: &'a str,
    pub problems: &'a [FieldProblem],
    /// The password was just changed.
    pub done: bool,
}

/// `GET /set-password/{token}`.
#[derive(Template)]
#[template(path = "set_password.html")]
pub struct SetPasswordPage<'a> {
    pub csrf: &'a str,
    pub token: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub problems: &'a [FieldProblem],
}

/// One lesson's row on the dashboard.
pub struct DashboardRow {
    pub id: String,
    pub title: String,
    pub started: usize,
    pub submitted: usize,
    pub mean: String,
    pub pass_rate: String,
    pub problems: usize,
}

/// `GET /educator`.
#[derive(Template)]
#[template(path = "educator_dashboard.html")]
pub struct DashboardPage<'a> {
    pub csrf: &'a str,
    pub rows: Vec<DashboardRow>,
    /// Every current problem in the lesson files, `path:line:col: message`.
    pub problems: Vec<String>,
}

/// One bar of the score histogram (SVG coordinates precomputed).
pub struct HistogramBar {
    pub label: String,
    pub count: usize,
    pub x: usize,
    pub y: usize,
    pub height: usize,
}

/// One question's statistics row.
pub struct QuestionRow {
    pub id: String,
    pub prompt: String,
    pub drawn: usize,
    pub facility: String,
    pub discrimination: String,
    pub choices: Vec<String>,
    pub flags: Vec<String>,
}

/// `GET /educator/lessons/{id}`.
#[derive(Template)]
#[template(path = "educator_lesson.html")]
pub struct LessonStatsPage<'a> {
    pub csrf: &'a str,
    pub lesson: &'a Lesson,
    pub started: usize,
    pub submitted: usize,
    pub mean: String,
    pub pass_rate: String,
    pub bars: Vec<HistogramBar>,
    pub questions: Vec<QuestionRow>,
    pub problems: Vec<String>,
}

/// One question of the pool, with its key, for proof-reading.
pub struct PreviewQuestion {
    pub id: String,
    pub kind: &'static str,
    pub section: String,
    pub prompt: String,
    pub points: String,
    pub explanation: String,
    pub right: Vec<String>,
    pub choices: Vec<String>,
    pub feedback: Vec<(String, String)>,
    /// The texts of the lesson objectives it assesses.
    pub objectives: Vec<String>,
}

/// `GET /educator/lessons/{id}/preview`.
#[derive(Template)]
#[template(path = "educator_preview.html")]
pub struct PreviewPage<'a> {
    pub csrf: &'a str,
    pub lesson: &'a Lesson,
    pub questions: Vec<PreviewQuestion>,
}

/// One lesson on a learner's progress page.
pub struct ProgressRow {
    pub lesson_id: String,
    pub title: String,
    /// The classes that assign it, or empty.
    pub classes: String,
    pub due: Option<String>,
    /// Past its due date with no grade.
    pub overdue: bool,
    pub status: &'static str,
    pub best: String,
    pub grade: String,
    /// The grade comes from an attempt submitted after the due date.
    pub late: bool,
    /// The quiz's grading method, by name.
    pub method: &'static str,
    pub attempts: String,
    pub passed: Option<bool>,
    /// The open attempt's token.
    pub resume: Option<String>,
    /// The newest submitted attempt's token.
    pub review: Option<String>,
}

/// `GET /progress`.
#[derive(Template)]
#[template(path = "progress.html")]
pub struct ProgressPage<'a> {
    pub csrf: &'a str,
    pub display_name: &'a str,
    pub username: &'a str,
    pub classes: Vec<String>,
    pub rows: Vec<ProgressRow>,
}

/// One lesson in a class's assignment fieldset.
pub struct AssignRow {
    pub id: String,
    pub title: String,
    pub checked: bool,
    /// `YYYY-MM-DD`, or empty.
    pub due: String,
}

/// One class on the classes page.
pub struct ClassSummary {
    pub id: i64,
    pub name: String,
    /// `ABCD-EFGH`, or `None` while joining is closed.
    pub code: Option<String>,
    pub learners: usize,
    pub lessons: usize,
}

/// `GET /educator/classes`.
#[derive(Template)]
#[template(path = "educator_classes.html")]
pub struct ClassesPage<'a> {
    pub csrf: &'a str,
    pub classes: Vec<ClassSummary>,
    /// The name typed into the new-class form, when it comes back with a problem.
    pub name: &'a str,
    pub lessons: Vec<AssignRow>,
    pub problem: Option<String>,
}

/// A gradebook column: a lesson, with the link that sorts by it.
pub struct SortLink {
    pub key: String,
    pub label: String,
    pub due: Option<String>,
    pub method: &'static str,
    pub sorted: bool,
}

/// One gradebook cell.
pub struct GradeCell {
    pub lesson_id: String,
    pub percent: Option<String>,
    pub late: bool,
}

/// One learner's gradebook row.
pub struct GradebookRow {
    pub learner_id: i64,
    pub name: String,
    pub username: String,
    pub cells: Vec<GradeCell>,
}

/// One learner on the roster.
pub struct RosterRow {
    pub id: i64,
    pub name: String,
    pub username: String,
    pub joined: String,
    pub last_activity: String,
}

/// `GET /educator/classes/{id}`.
#[derive(Template)]
#[template(path = "educator_class.html")]
pub struct ClassPage<'a> {
    pub csrf: &'a str,
    pub id: i64,
    pub name: &'a str,
    pub code: Option<String>,
    /// The code without its dash, for the join link.
    pub raw_code: String,
    pub columns: Vec<SortLink>,
    pub sorted_by_name: bool,
    pub rows: Vec<GradebookRow>,
    pub roster: Vec<RosterRow>,
    pub lessons: Vec<AssignRow>,
    pub problem: Option<String>,
    /// Grades owed to or sent to an LMS (LTI), pending and failed first.
    pub passbacks: Vec<PassbackRow>,
}

/// A grade passback to an LMS, on the class page.
pub struct PassbackRow {
    pub learner: String,
    pub lesson: String,
    pub status: String,
    /// Delivered: nothing to worry about.
    pub delivered: bool,
    pub sent: Option<String>,
    pub error: String,
}

/// One attempt on a learner's page.
pub struct LearnerAttemptRow {
    pub token: String,
    pub lesson: String,
    pub started: String,
    pub submitted: Option<String>,
    pub score: Option<String>,
    pub after_due: bool,
    pub practice: bool,
}

/// `GET /educator/classes/{id}/learners/{learner}`.
#[derive(Template)]
#[template(path = "educator_learner.html")]
pub struct LearnerPage<'a> {
    pub csrf: &'a str,
    pub class_id: i64,
    pub class_name: &'a str,
    pub name: &'a str,
    pub username: &'a str,
    pub rows: Vec<LearnerAttemptRow>,
}

/// `POST /educator/classes/{id}/learners/{learner}/reset`: the one-time link to pass on.
#[derive(Template)]
#[template(path = "educator_reset_link.html")]
pub struct ResetLinkPage<'a> {
    pub csrf: &'a str,
    pub class_id: i64,
    pub name: &'a str,
    pub username: &'a str,
    pub link: String,
}

/// An LTI launch whose cookie the browser blocked: start again in a tab of its own.
#[derive(Template)]
#[template(path = "lti_new_tab.html")]
pub struct LtiNewTabPage {
    pub params: Vec<(String, String)>,
}

/// Deep linking: the instructor picks lessons to add to the course.
#[derive(Template)]
#[template(path = "lti_deep_link.html")]
pub struct LtiDeepLinkPage<'a> {
    pub csrf: &'a str,
    /// The signed deep-linking request, carried to the POST.
    pub request: String,
    pub multiple: bool,
    /// Id and title of each lesson.
    pub lessons: Vec<(String, String)>,
}

/// Deep linking: the signed answer, posted back to the platform.
#[derive(Template)]
#[template(path = "lti_deep_link_return.html")]
pub struct LtiDeepLinkReturnPage {
    pub return_url: String,
    pub jwt: String,
    pub count: usize,
}
