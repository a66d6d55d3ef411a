//! The embedded SQLite backend. WAL with `synchronous = FULL`: a commit is on disk before
//! `submit` returns, so an acknowledged attempt survives a `kill -9` or a power cut.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Attempt, NewAttempt, Store, StoreError, Submission};
use crate::quiz::Score;

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/sqlite/0001_init.sql")];

/// A SQLite database file (or an in-memory database for tests).
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        SqliteStore::init(conn)
    }

    /// A private in-memory database.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            return Err(StoreError::Corrupt(format!(
                "the database is at schema version {version}, newer than this lectern knows ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction behind
        // (rusqlite rolls back on drop), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

const ATTEMPT_COLUMNS: &str = "token, lesson_id, lesson_hash, session_id, seed, questions, \
     started_ms, deadline_ms, submitted_ms, responses, points, earned, possible, late, \
     lesson_title, pass_percent";

fn attempt_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Attempt, StoreError>> {
    let questions: String = row.get(5)?;
    let submitted_ms: Option<i64> = row.get(8)?;
    let responses: Option<String> = row.get(9)?;
    let points: Option<String> = row.get(10)?;
    let earned: Option<f64> = row.get(11)?;
    let possible: f64 = row.get(12)?;
    let late: bool = row.get(13)?;
    let seed: i64 = row.get(4)?;
    let attempt = NewAttempt {
        token: row.get(0)?,
        lesson_id: row.get(1)?,
        lesson_hash: row.get(2)?,
        session_id: row.get(3)?,
        seed: seed as u64,
        questions: Vec::new(),
        started_ms: row.get(6)?,
        deadline_ms: row.get(7)?,
        lesson_title: row.get(14)?,
        pass_percent: row.get(15)?,
    };
    Ok((|| {
        let attempt = NewAttempt {
            questions: serde_json::from_str(&questions)?,
            ..attempt
        };
        let submission = match (submitted_ms, responses, points, earned) {
            (Some(submitted_ms), Some(responses), Some(points), Some(earned)) => Some(Submission {
                submitted_ms,
                responses: serde_json::from_str(&responses)?,
                points: serde_json::from_str(&points)?,
                score: Score { earned, possible },
                late,
            }),
            _ => None,
        };
        Ok(Attempt {
            attempt,
            submission,
        })
    })())
}

impl Store for SqliteStore {
    fn server_key(&self) -> Result<[u8; 32], StoreError> {
        let conn = self.conn();
        let fresh: [u8; 32] = rand::random();
        // INSERT OR IGNORE keeps the first key ever written, even with several processes.
        conn.execute(
            "INSERT OR IGNORE INTO settings (name, value) VALUES ('server_key', ?1)",
            params![fresh.as_slice()],
        )?;
        let key: Vec<u8> = conn.query_row(
            "SELECT value FROM settings WHERE name = 'server_key'",
            [],
            |r| r.get(0),
        )?;
        key.try_into()
            .map_err(|_| StoreError::Corrupt("the server key is not 32 bytes".into()))
    }

    fn create_attempt(
        &self,
        a: &NewAttempt,
        max_attempts: Option<u32>,
    ) -> Result<bool, StoreError> {
        let questions = serde_json::to_string(&a.questions)?;
        let possible: f64 = a.questions.iter().map(|q| q.points).sum();
        let inserted = self.conn().execute(
            "INSERT INTO attempts (token, lesson_id, lesson_hash, session_id, seed, questions, \
             started_ms, deadline_ms, possible, lesson_title, pass_percent) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?12 \
             WHERE ?10 IS NULL OR (SELECT COUNT(*) FROM attempts WHERE session_id = ?4 AND lesson_id = ?2) < ?10",
            params![
                a.token,
                a.lesson_id,
                a.lesson_hash,
                a.session_id,
                a.seed as i64,
                questions,
                a.started_ms,
                a.deadline_ms,
                possible,
                max_attempts,
                a.lesson_title,
                a.pass_percent
            ],
        )?;
        Ok(inserted == 1)
    }

    fn attempt(&self, token: &str) -> Result<Option<Attempt>, StoreError> {
        let conn = self.conn();
        let found = conn
            .query_row(
                &format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE token = ?1"),
                params![token],
                attempt_from_row,
            )
            .optional()?;
        found.transpose()
    }

    fn submit(&self, token: &str, s: &Submission) -> Result<bool, StoreError> {
        let responses = serde_json::to_string(&s.responses)?;
        let points = serde_json::to_string(&s.points)?;
        // The condition makes grading happen once, whatever races with it.
        let changed = self.conn().execute(
            "UPDATE attempts SET submitted_ms = ?2, responses = ?3, points = ?4, earned = ?5, late = ?6 \
             WHERE token = ?1 AND submitted_ms IS NULL",
            params![token, s.submitted_ms, responses, points, s.score.earned, s.late],
        )?;
        Ok(changed == 1)
    }

    fn count_attempts(&self, session_id: &str, lesson_id: &str) -> Result<u32, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM attempts WHERE session_id = ?1 AND lesson_id = ?2",
            params![session_id, lesson_id],
            |r| r.get(0),
        )?)
    }

    fn lesson_attempts(&self, lesson_id: &str) -> Result<Vec<Attempt>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE lesson_id = ?1 ORDER BY started_ms, token"
        ))?;
        let rows = stmt.query_map(params![lesson_id], attempt_from_row)?;
        let mut attempts = Vec::new();
        for row in rows {
            attempts.push(row??);
        }
        Ok(attempts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::{DrawnKind, DrawnQuestion, Response};

    fn new_attempt(token: &str) -> NewAttempt {
        NewAttempt {
            token: token.into(),
            lesson_id: "l".into(),
            lesson_hash: "h".into(),
            lesson_title: "L".into(),
            pass_percent: 60.0,
            session_id: "s".into(),
            seed: u64::MAX,
            questions: vec![DrawnQuestion {
                id: "q".into(),
                section: "s".into(),
                prompt: "p".into(),
                explanation: "e".into(),
                points: 2.0,
                kind: DrawnKind::TrueFalse { answer: true },
            }],
            started_ms: 1,
            deadline_ms: None,
        }
    }

    fn submission(earned: f64) -> Submission {
        Submission {
            submitted_ms: 2,
            responses: vec![Response::Choice(Some(0))],
            points: vec![earned],
            score: Score {
                earned,
                possible: 2.0,
            },
            late: false,
        }
    }

    #[test]
    fn an_attempt_round_trips_and_is_graded_only_once() {
        let store = SqliteStore::in_memory().unwrap();
        assert!(store.create_attempt(&new_attempt("t"), Some(1)).unwrap());
        assert!(!store.create_attempt(&new_attempt("t2"), Some(1)).unwrap());
        let stored = store.attempt("t").unwrap().unwrap();
        assert_eq!(stored.attempt.seed, u64::MAX);
        assert_eq!(stored.attempt.questions, new_attempt("t").questions);
        assert!(stored.submission.is_none());

        assert!(store.submit("t", &submission(2.0)).unwrap());
        assert!(!store.submit("t", &submission(0.0)).unwrap());
        let graded = store.attempt("t").unwrap().unwrap();
        assert_eq!(graded.submission, Some(submission(2.0)));
        assert_eq!(store.count_attempts("s", "l").unwrap(), 1);
        assert_eq!(store.lesson_attempts("l").unwrap().len(), 1);
        assert!(store.attempt("nope").unwrap().is_none());
    }

    #[test]
    fn the_server_key_is_created_once_and_kept_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let key = SqliteStore::open(&path).unwrap().server_key().unwrap();
        let again = SqliteStore::open(&path).unwrap().server_key().unwrap();
        assert_eq!(key, again);
    }
}
