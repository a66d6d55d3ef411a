//! Persistence of attempts and server secrets: the only module that speaks SQL.
//! The web layer sees the [`Store`] trait; [`sqlite::SqliteStore`] is the embedded backend.

pub mod sqlite;

use crate::quiz::{DrawnQuestion, Response, Score};

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

/// A new attempt, as drawn.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub token: String,
    pub lesson_id: String,
    pub lesson_hash: String,
    /// The lesson's title and pass mark when the attempt was drawn.
    pub lesson_title: String,
    pub pass_percent: f64,
    pub session_id: String,
    pub seed: u64,
    pub questions: Vec<DrawnQuestion>,
    pub started_ms: i64,
    pub deadline_ms: Option<i64>,
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

/// Where attempts live. Calls block: the web layer runs them on the blocking pool.
pub trait Store: Send + Sync + 'static {
    /// The server's secret key, created on first use and kept across restarts.
    fn server_key(&self) -> Result<[u8; 32], StoreError>;
    /// Saves a new attempt durably, unless its session already has `max_attempts` on the lesson
    /// (checked in the same statement, so parallel starts cannot exceed it): `Ok(false)` then.
    fn create_attempt(
        &self,
        attempt: &NewAttempt,
        max_attempts: Option<u32>,
    ) -> Result<bool, StoreError>;
    /// The attempt with this token.
    fn attempt(&self, token: &str) -> Result<Option<Attempt>, StoreError>;
    /// Records the submission if the attempt has none yet; `Ok(false)` when it was already
    /// graded (the stored grade stands). Durable when it returns.
    fn submit(&self, token: &str, submission: &Submission) -> Result<bool, StoreError>;
    /// How many attempts this session has started on this lesson.
    fn count_attempts(&self, session_id: &str, lesson_id: &str) -> Result<u32, StoreError>;
    /// Every attempt on a lesson, oldest first.
    fn lesson_attempts(&self, lesson_id: &str) -> Result<Vec<Attempt>, StoreError>;
}
