//! Persistence of attempts and server secrets: the only module that speaks SQL.
//! The web layer sees the [`Store`] trait; [`sqlite::SqliteStore`] is the embedded backend and
//! [`postgres::PostgresStore`] the shared one for several instances. [`Location`] is what
//! `--db` names, and opens the right one.

/// The columns of an attempt row, in the order [`AttemptRow`] holds them; both backends select
/// exactly these.
macro_rules! attempt_columns {
    () => {
        "token, lesson_id, lesson_hash, session_id, seed, questions, started_ms, deadline_ms, \
         submitted_ms, responses, points, earned, possible, late, lesson_title, pass_percent, \
         learner_id, practice"
    };
}

pub mod accounts;
pub mod lti;
pub mod postgres;
pub mod sqlite;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use crate::accounts::AccountId;
use crate::quiz::{DrawnQuestion, Response, Score};

pub use self::postgres::PostgresStore;
pub use accounts::{Account, AccountStore, Class, ClassLesson, Member, NewAccount, NewClass};
pub use lti::{
    LOGIN_LIFETIME_MS, Login, LtiStore, NewPlatform, OwedGrade, Passback, Platform, PlatformId,
    ToolKey,
};
pub use sqlite::SqliteStore;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be written or read right now (read-only file, full disk, locked).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored row could not be decoded: a bug or a hand-edited database.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Whose attempts count together (for `max_attempts` and the open-attempt cap): a signed-in
/// learner's, on any device, or else the browser session's that started them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Learner(AccountId),
    Session(String),
}

impl Owner {
    /// One text key per owner (a session id is hex, so it never starts with `learner:`).
    pub fn key(&self) -> String {
        match self {
            Owner::Learner(id) => format!("learner:{id}"),
            Owner::Session(id) => id.clone(),
        }
    }
}

/// A new attempt, as drawn.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub token: String,
    pub lesson_id: String,
    pub lesson_hash: String,
    /// The lesson's title and pass mark when the attempt was drawn.
    pub lesson_title: String,
    pub pass_percent: f64,
    /// The browser session that started it.
    pub session_id: String,
    /// The learner it belongs to: who was signed in, or who signed in later on that browser.
    pub learner_id: Option<AccountId>,
    /// A retry of missed questions: practice, never part of a grade.
    pub practice: bool,
    pub seed: u64,
    pub questions: Vec<DrawnQuestion>,
    pub started_ms: i64,
    pub deadline_ms: Option<i64>,
}

impl NewAttempt {
    /// A new attempt at `lesson`'s quiz for a session (and its learner, when one is signed
    /// in), drawn with `seed` (from the questions named in `only` when it is a retry: a
    /// practice attempt) and timed from `started_ms`; `None` when the lesson has no quiz.
    pub fn draw(
        lesson: &crate::lesson::Lesson,
        session_id: &str,
        learner_id: Option<AccountId>,
        token: String,
        seed: u64,
        started_ms: i64,
        only: Option<&[String]>,
    ) -> Option<NewAttempt> {
        let quiz = lesson.quiz.as_ref()?;
        Some(NewAttempt {
            token,
            lesson_id: lesson.id.clone(),
            lesson_hash: lesson.content_hash.clone(),
            lesson_title: lesson.title.clone(),
            pass_percent: quiz.pass_percent,
            session_id: session_id.to_string(),
            learner_id,
            practice: only.is_some(),
            seed,
            questions: crate::quiz::draw_attempt(quiz, seed, only),
            started_ms,
            deadline_ms: quiz
                .time_limit_minutes
                .map(|m| started_ms + i64::from(m) * 60_000),
        })
    }

    /// Whose attempt this is.
    pub fn owner(&self) -> Owner {
        match self.learner_id {
            Some(id) => Owner::Learner(id),
            None => Owner::Session(self.session_id.clone()),
        }
    }
}

/// A graded submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub submitted_ms: i64,
    pub responses: Vec<Response>,
    pub points: Vec<f64>,
    pub score: Score,
    /// Submitted after the deadline: the answers were discarded.
    pub late: bool,
}

/// An attempt as stored, with its submission once graded.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempt: NewAttempt,
    pub submission: Option<Submission>,
}

/// An attempt row as either database returns it ([`attempt_columns`] in order), its JSON
/// columns still text: each backend reads the columns, this turns them into an [`Attempt`].
struct AttemptRow {
    token: String,
    lesson_id: String,
    lesson_hash: String,
    session_id: String,
    /// The u64 seed, stored bit for bit in a signed 64-bit column.
    seed: i64,
    questions: String,
    started_ms: i64,
    deadline_ms: Option<i64>,
    submitted_ms: Option<i64>,
    responses: Option<String>,
    points: Option<String>,
    earned: Option<f64>,
    possible: f64,
    late: bool,
    lesson_title: String,
    pass_percent: f64,
    learner_id: Option<i64>,
    practice: bool,
}

impl AttemptRow {
    fn into_attempt(self) -> Result<Attempt, StoreError> {
        let attempt = NewAttempt {
            token: self.token,
            lesson_id: self.lesson_id,
            lesson_hash: self.lesson_hash,
            session_id: self.session_id,
            seed: self.seed as u64,
            questions: serde_json::from_str(&self.questions)?,
            started_ms: self.started_ms,
            deadline_ms: self.deadline_ms,
            lesson_title: self.lesson_title,
            pass_percent: self.pass_percent,
            learner_id: self.learner_id,
            practice: self.practice,
        };
        let submission = match (self.submitted_ms, self.responses, self.points, self.earned) {
            (Some(submitted_ms), Some(responses), Some(points), Some(earned)) => Some(Submission {
                submitted_ms,
                responses: serde_json::from_str(&responses)?,
                points: serde_json::from_str(&points)?,
                score: Score {
                    earned,
                    possible: self.possible,
                },
                late: self.late,
            }),
            _ => None,
        };
        Ok(Attempt {
            attempt,
            submission,
        })
    }
}

/// Told the outcome of a [`Store::submit_then`].
pub type SubmitDone = Box<dyn FnOnce(Result<bool, StoreError>) + Send>;

/// Where attempts live. Calls block: the web layer runs them on the blocking pool.
pub trait Store: Send + Sync + 'static {
    /// The server's secret key, created on first use and kept across restarts.
    fn server_key(&self) -> Result<[u8; 32], StoreError>;
    /// Saves a new attempt durably, unless its owner already has `max_attempts` on the lesson
    /// (checked in the same statement, so parallel starts cannot exceed it): `Ok(false)` then.
    fn create_attempt(
        &self,
        attempt: &NewAttempt,
        max_attempts: Option<u32>,
    ) -> Result<bool, StoreError>;
    /// The attempt with this token.
    fn attempt(&self, token: &str) -> Result<Option<Attempt>, StoreError>;
    /// Whether the attempt with this token has been submitted (`None`: there is none).
    fn is_submitted(&self, token: &str) -> Result<Option<bool>, StoreError>;
    /// Whether reads take a few microseconds and never wait for a writer or the network, so
    /// they may run on an async task rather than the blocking pool.
    fn reads_are_quick(&self) -> bool {
        false
    }
    /// Records the submission if the attempt has none yet; `Ok(false)` when it was already
    /// graded (the stored grade stands). Durable when it returns.
    fn submit(&self, token: &str, submission: &Submission) -> Result<bool, StoreError>;
    /// [`Store::submit`], with the outcome handed to `done` once it is durable. A backend that
    /// commits in batches returns at once and calls `done` from its writer, so no caller's
    /// thread sits waiting for the commit; the default runs `submit` and calls `done` itself.
    fn submit_then(&self, token: &str, submission: Submission, done: SubmitDone) {
        done(self.submit(token, &submission));
    }
    /// Whether [`Store::submit_then`] only queues the write and never blocks, so it may be
    /// called from an async task directly.
    fn queues_submissions(&self) -> bool {
        false
    }
    /// How many attempts this owner has started on this lesson.
    fn count_attempts(&self, owner: &Owner, lesson_id: &str) -> Result<u32, StoreError>;
    /// How many attempts this owner started at or after `since_ms` and has not submitted, on
    /// any lesson.
    fn open_attempts(&self, owner: &Owner, since_ms: i64) -> Result<u32, StoreError>;
    /// Every attempt on a lesson, oldest first.
    fn lesson_attempts(&self, lesson_id: &str) -> Result<Vec<Attempt>, StoreError>;
    /// Accounts and classes, kept in the same database.
    fn accounts(&self) -> &dyn AccountStore;
    /// LTI registrations, mappings and the grade outbox, kept in the same database.
    fn lti(&self) -> &dyn LtiStore;
}

/// Where the attempts live, as `--db` names it: a SQLite file, or a PostgreSQL database shared
/// by several instances. `Display` and `Debug` never show a password.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An embedded SQLite database file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL database by `postgres://` or `postgresql://` URL.
    Postgres(String),
}

/// Why a `--db` value was refused.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    /// Neither a path nor a URL.
    #[error("the database location is empty")]
    Empty,
}

impl FromStr for Location {
    type Err = LocationError;

    fn from_str(s: &str) -> Result<Location, LocationError> {
        if s.trim().is_empty() {
            return Err(LocationError::Empty);
        }
        let is_url = ["postgres://", "postgresql://"].iter().any(|scheme| {
            s.len() >= scheme.len() && s[..scheme.len()].eq_ignore_ascii_case(scheme)
        });
        if is_url {
            // Checked when opened, not here: clap would echo a refused value, password and all.
            Ok(Location::Postgres(s.to_string()))
        } else {
            Ok(Location::Sqlite(PathBuf::from(s)))
        }
    }
}

impl Location {
    /// Opens (and migrates) the store: creates the SQLite file, or connects to PostgreSQL.
    pub fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
            Location::Postgres(url) => Arc::new(PostgresStore::connect(url)?),
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Location::Postgres(_) => f
                .debug_tuple("Postgres")
                .field(&format_args!("{self}"))
                .finish(),
        }
    }
}

/// The URL with the password of its user part and any `password=` parameter replaced by `***`.
fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _password)) => format!("{name}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_string(),
                })
                .collect::<Vec<_>>()
                .join("&");
            format!("{path}?{query}")
        }
        None => tail.to_string(),
    };
    format!("{}{authority}{tail}", &url[..scheme_end])
}

#[cfg(test)]
mod location_tests {
    use super::*;

    fn check(arg: &str, expected: &str) {
        let shown = match arg.parse::<Location>() {
            Ok(location) => {
                assert!(!format!("{location:?}").contains("secret"), "{location:?}");
                format!("{location}")
            }
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(shown, expected, "for {arg:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn a_path_is_sqlite_and_a_postgres_url_is_shown_without_its_password() {
        check("lectern.db", "lectern.db");
        check("./data/postgres.db", "./data/postgres.db");
        check(
            "postgres://lectern:secret@db.internal:5432/lectern",
            "postgres://lectern:***@db.internal:5432/lectern",
        );
        check(
            "postgresql://lectern@127.0.0.1/lectern?password=secret&sslmode=disable",
            "postgresql://lectern@127.0.0.1/lectern?password=***&sslmode=disable",
        );
        check(
            "postgres://%2Frun%2Fpostgresql/lectern",
            "postgres://%2Frun%2Fpostgresql/lectern",
        );
        check("", "error: the database location is empty");
    }

    #[test]
    fn a_url_lectern_cannot_honour_is_refused_when_opened_without_echoing_the_password() {
        for (url, reason) in [
            (
                "postgres://u:secret@h/db?sslmode=require",
                "sslmode=require is not supported",
            ),
            (
                "postgres://u:secret@h:notaport/db",
                "invalid PostgreSQL URL",
            ),
        ] {
            let location: Location = url.parse().unwrap();
            let e = location.open().map(|_| ()).unwrap_err().to_string();
            assert!(e.contains(reason), "{e}");
            assert!(!e.contains("secret"), "{e}");
        }
    }

    #[test]
    fn the_sqlite_location_opens_a_working_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let store = Location::Sqlite(path.clone()).open().unwrap();
        assert_eq!(
            store
                .count_attempts(&Owner::Session("s".into()), "l")
                .unwrap(),
            0
        );
        assert!(path.exists());
    }
}
