//! The embedded SQLite backend. WAL with `synchronous = FULL`: a commit is on disk before
//! `submit` returns, so an acknowledged attempt survives a `kill -9` or a power cut.
//!
//! Writes use group commit. One writer thread owns the write connection; it takes every write
//! queued while the previous commit was syncing, runs them in one transaction (each still its
//! own statement, so a submission is still one conditional `UPDATE`), commits once, and only
//! then answers each caller. One fsync thus covers many writes: a disk that syncs a few hundred
//! times a second takes thousands of durable submissions a second, and no caller hears "done"
//! before its write is on disk. Reads use a small pool of their own connections, which WAL lets
//! run while the writer commits.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    AccountStore, Attempt, AttemptRow, NewAttempt, Owner, Store, StoreError, Submission, SubmitDone,
};

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_accounts.sql"),
    include_str!("../../migrations/sqlite/0003_lti.sql"),
];

mod accounts;
mod lti;

/// Most writes one transaction takes, so one batch cannot hold the writer for long.
const MAX_BATCH: usize = 512;

/// Most read connections open at once. Reads are short and the server has few cores; each
/// connection keeps its own page cache, so more would cost memory and gain nothing.
const MAX_READERS: usize = 4;

/// Page cache per connection, in KiB (SQLite's `cache_size` takes negative numbers as KiB).
const CACHE_KIB: i64 = 1024;

/// A SQLite database file (or an in-memory database for tests).
pub struct SqliteStore {
    /// The writer thread's queue; `None` only while the store is being dropped.
    writes: Option<mpsc::Sender<Box<dyn WriteJob>>>,
    writer: Option<JoinHandle<()>>,
    readers: Readers,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

/// The same error again: one failed commit fails every write of its batch.
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
    }
}

/// Marks a submitted attempt's grade owed to the LMS line items its learner launched the
/// lesson from (`lti_outbox`); the sender computes the grade itself when it sends.
const OWE_GRADES: &str = "INSERT INTO lti_outbox \
     (lineitem_url, subject, platform_id, account_id, lesson_id, next_try_ms) \
     SELECT t.lineitem_url, t.subject, t.platform_id, t.account_id, t.lesson_id, ?2 \
     FROM attempts a JOIN lti_grade_targets t ON t.account_id = a.learner_id AND t.lesson_id = a.lesson_id \
     WHERE a.token = ?1 \
     ON CONFLICT (lineitem_url, subject) DO UPDATE SET version = version + 1, pending = 1, \
     failed = 0, tries = 0, next_try_ms = excluded.next_try_ms, platform_id = excluded.platform_id, \
     account_id = excluded.account_id, lesson_id = excluded.lesson_id";

fn writer_stopped() -> StoreError {
    StoreError::Unavailable("the database writer has stopped".into())
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        SqliteStore::init(
            conn,
            Readers::Pool(Pool {
                path: path.to_path_buf(),
                state: Mutex::new(PoolState {
                    idle: Vec::new(),
                    open: 0,
                }),
                returned: Condvar::new(),
            }),
        )
    }

    /// A private in-memory database. It has a single connection, so reads queue with writes.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::init(Connection::open_in_memory()?, Readers::Writer)
    }

    fn init(mut conn: Connection, readers: Readers) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
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
        let (writes, queue) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("lectern-sqlite-writer".into())
            .spawn(move || run_writer(conn, queue))
            .map_err(|e| StoreError::Unavailable(format!("starting the writer thread: {e}")))?;
        Ok(SqliteStore {
            writes: Some(writes),
            writer: Some(writer),
            readers,
        })
    }

    /// Runs `work` in the writer's next transaction; returns once that transaction is
    /// committed (or has failed, with the error).
    fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        self.write_then(
            work,
            Box::new(move |result| {
                // The caller may have gone away (its request was cancelled): nothing to tell.
                let _ = reply.send(result);
            }),
        );
        answer.recv().map_err(|_| writer_stopped())?
    }

    /// Queues `work` for the writer's next transaction and returns at once; `done` gets the
    /// outcome once that transaction is committed (or has failed).
    fn write_then<T, F>(&self, work: F, done: Box<dyn FnOnce(Result<T, StoreError>) + Send>)
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let job = Box::new(Job {
            work: Some(work),
            result: None,
            done,
        });
        let Some(writes) = self.writes.as_ref() else {
            return (job.done)(Err(writer_stopped()));
        };
        if let Err(mpsc::SendError(job)) = writes.send(job) {
            job.finish(Err(&writer_stopped()));
        }
    }

    /// Runs `work` on a read connection (on the writer for an in-memory database).
    fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.readers {
            Readers::Writer => self.write(work),
            Readers::Pool(pool) => {
                let reader = pool.take()?;
                work(reader.connection())
            }
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what is queued and stop.
        self.writes = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// A write waiting for the writer thread.
trait WriteJob: Send {
    /// Runs the write's statements inside the batch's transaction; false when it failed.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the batch's transaction is committed (`Ok`) or not.
    fn finish(self: Box<Self>, batch: Result<(), &StoreError>);
}

struct Job<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    done: Box<dyn FnOnce(Result<T, StoreError>) + Send>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        if let Some(work) = self.work.take() {
            self.result = Some(work(conn));
        }
        matches!(self.result, Some(Ok(_)))
    }

    fn finish(self: Box<Self>, batch: Result<(), &StoreError>) {
        let answer = match batch {
            Err(e) => Err(copy_error(e)),
            Ok(()) => self.result.unwrap_or_else(|| Err(writer_stopped())),
        };
        (self.done)(answer);
    }
}

/// The writer thread: batches whatever is queued, commits it, answers, repeats until the
/// store is dropped.
fn run_writer(conn: Connection, queue: mpsc::Receiver<Box<dyn WriteJob>>) {
    let mut batch: Vec<Box<dyn WriteJob>> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = queue.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = commit_batch(&conn, &mut batch);
        for job in batch.drain(..) {
            job.finish(outcome.as_ref().map(|_| ()));
        }
    }
}

/// Runs every job of `batch` in one transaction and commits it. Each job runs inside a
/// savepoint, so a job that fails leaves nothing of itself behind and the others still commit.
fn commit_batch(conn: &Connection, batch: &mut [Box<dyn WriteJob>]) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    for job in batch.iter_mut() {
        let outcome = conn
            .execute_batch("SAVEPOINT job")
            .map(|()| catch_unwind(AssertUnwindSafe(|| job.run(conn))));
        // SQLite abandons the whole transaction on some errors (disk full, I/O error): then
        // nothing of this batch is committed and every caller hears so.
        let abandoned = conn.is_autocommit();
        let kept_going = match outcome {
            Ok(Ok(true)) => !abandoned && conn.execute_batch("RELEASE job").is_ok(),
            Ok(Ok(false)) => {
                !abandoned && conn.execute_batch("ROLLBACK TO job; RELEASE job").is_ok()
            }
            Err(_) | Ok(Err(_)) => false,
        };
        if !kept_going {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            return Err(StoreError::Unavailable(
                "a write failed and its transaction was rolled back".into(),
            ));
        }
    }
    if let Err(e) = conn.execute_batch("COMMIT") {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        return Err(e.into());
    }
    Ok(())
}

/// Where reads run.
enum Readers {
    /// Connections of their own to the database file.
    Pool(Pool),
    /// On the writer thread: a private in-memory database has only the one connection.
    Writer,
}

/// Read connections, opened on first need and reused.
struct Pool {
    path: PathBuf,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Connection>,
    /// Connections open, idle or lent.
    open: usize,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // Lending and returning never leave the state half-updated, so a poisoned lock is safe.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An idle connection, a new one while fewer than `MAX_READERS` are open, or the next one
    /// returned.
    fn take(&self) -> Result<Reader<'_>, StoreError> {
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Reader {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < MAX_READERS {
                state.open += 1;
                drop(state);
                return match open_reader(&self.path) {
                    Ok(conn) => Ok(Reader {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.returned.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A reader never writes; this makes sure a mistake cannot, outside the writer's batches.
    conn.pragma_update(None, "query_only", true)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    Ok(conn)
}

/// A read connection on loan; goes back to the pool when dropped.
struct Reader<'p> {
    pool: &'p Pool,
    conn: Option<Connection>,
}

impl Reader<'_> {
    fn connection(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.lock().idle.push(conn);
            self.pool.returned.notify_one();
        }
    }
}

const ATTEMPT_BY_TOKEN: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM attempts WHERE token = ?1"
);

const ATTEMPTS_OF_LESSON: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM attempts WHERE lesson_id = ?1 ORDER BY started_ms, token"
);

/// The attempt in `row`; the outer error is SQLite's, the inner one a row that does not decode.
fn attempt_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Attempt, StoreError>> {
    let stored = AttemptRow {
        token: row.get(0)?,
        lesson_id: row.get(1)?,
        lesson_hash: row.get(2)?,
        session_id: row.get(3)?,
        seed: row.get(4)?,
        questions: row.get(5)?,
        started_ms: row.get(6)?,
        deadline_ms: row.get(7)?,
        submitted_ms: row.get(8)?,
        responses: row.get(9)?,
        points: row.get(10)?,
        earned: row.get(11)?,
        possible: row.get(12)?,
        late: row.get(13)?,
        lesson_title: row.get(14)?,
        pass_percent: row.get(15)?,
        learner_id: row.get(16)?,
        practice: row.get(17)?,
    };
    Ok(stored.into_attempt())
}

/// The attempts a query selects, in its order.
fn attempts_of(
    conn: &Connection,
    query: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Attempt>, StoreError> {
    let mut stmt = conn.prepare_cached(query)?;
    let rows = stmt.query_map(params, attempt_from_row)?;
    let mut attempts = Vec::new();
    for row in rows {
        attempts.push(row??);
    }
    Ok(attempts)
}

/// `(SQL condition on attempts, its one parameter)` selecting an owner's attempts, each form
/// served by an index.
fn owner_condition(owner: &Owner) -> (&'static str, rusqlite::types::Value) {
    match owner {
        Owner::Learner(id) => ("learner_id = ?1", (*id).into()),
        Owner::Session(id) => ("session_id = ?1 AND learner_id IS NULL", id.clone().into()),
    }
}

impl Store for SqliteStore {
    fn server_key(&self) -> Result<[u8; 32], StoreError> {
        let fresh: [u8; 32] = rand::random();
        self.write(move |conn| {
            // INSERT OR IGNORE keeps the first key ever written, even with several processes.
            conn.prepare_cached(
                "INSERT OR IGNORE INTO settings (name, value) VALUES ('server_key', ?1)",
            )?
            .execute(params![fresh.as_slice()])?;
            let key: Vec<u8> = conn
                .prepare_cached("SELECT value FROM settings WHERE name = 'server_key'")?
                .query_row([], |r| r.get(0))?;
            key.try_into()
                .map_err(|_| StoreError::Corrupt("the server key is not 32 bytes".into()))
        })
    }

    fn create_attempt(
        &self,
        a: &NewAttempt,
        max_attempts: Option<u32>,
    ) -> Result<bool, StoreError> {
        let questions = serde_json::to_string(&a.questions)?;
        let possible: f64 = a.questions.iter().map(|q| q.points).sum();
        // Owned copies for the writer thread (the drawn questions travel as JSON).
        let (token, lesson_id, lesson_hash, session_id, lesson_title) = (
            a.token.clone(),
            a.lesson_id.clone(),
            a.lesson_hash.clone(),
            a.session_id.clone(),
            a.lesson_title.clone(),
        );
        let (seed, started_ms, deadline_ms, pass_percent, learner_id, practice) = (
            a.seed as i64,
            a.started_ms,
            a.deadline_ms,
            a.pass_percent,
            a.learner_id,
            a.practice,
        );
        // The limit counts the owner's attempts: a learner's on every device, else the
        // session's. Two statements rather than one with OR, so each count uses an index.
        let insert = match learner_id {
            Some(_) => {
                "INSERT INTO attempts (token, lesson_id, lesson_hash, session_id, seed, questions, \
                 started_ms, deadline_ms, possible, lesson_title, pass_percent, learner_id, practice) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?12, ?13, ?14 \
                 WHERE ?10 IS NULL OR (SELECT COUNT(*) FROM attempts WHERE learner_id = ?13 AND lesson_id = ?2) < ?10"
            }
            None => {
                "INSERT INTO attempts (token, lesson_id, lesson_hash, session_id, seed, questions, \
                 started_ms, deadline_ms, possible, lesson_title, pass_percent, learner_id, practice) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?12, ?13, ?14 \
                 WHERE ?10 IS NULL OR (SELECT COUNT(*) FROM attempts \
                 WHERE session_id = ?4 AND learner_id IS NULL AND lesson_id = ?2) < ?10"
            }
        };
        self.write(move |conn| {
            let inserted = conn.prepare_cached(insert)?.execute(params![
                token,
                lesson_id,
                lesson_hash,
                session_id,
                seed,
                questions,
                started_ms,
                deadline_ms,
                possible,
                max_attempts,
                lesson_title,
                pass_percent,
                learner_id,
                practice
            ])?;
            Ok(inserted == 1)
        })
    }

    fn attempt(&self, token: &str) -> Result<Option<Attempt>, StoreError> {
        let token = token.to_string();
        self.read(move |conn| {
            let found = conn
                .prepare_cached(ATTEMPT_BY_TOKEN)?
                .query_row(params![token], attempt_from_row)
                .optional()?;
            found.transpose()
        })
    }

    fn is_submitted(&self, token: &str) -> Result<Option<bool>, StoreError> {
        let token = token.to_string();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT submitted_ms IS NOT NULL FROM attempts WHERE token = ?1")?
                .query_row(params![token], |r| r.get(0))
                .optional()?)
        })
    }

    fn reads_are_quick(&self) -> bool {
        // A file database reads on its own connections (WAL: never behind the writer); an
        // in-memory one reads through the writer thread.
        matches!(self.readers, Readers::Pool(_))
    }

    fn submit(&self, token: &str, s: &Submission) -> Result<bool, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.submit_then(
            token,
            s.clone(),
            Box::new(move |result| {
                let _ = reply.send(result);
            }),
        );
        answer.recv().map_err(|_| writer_stopped())?
    }

    fn queues_submissions(&self) -> bool {
        true
    }

    fn submit_then(&self, token: &str, s: Submission, done: SubmitDone) {
        let encoded = serde_json::to_string(&s.responses)
            .and_then(|responses| Ok((responses, serde_json::to_string(&s.points)?)));
        let (responses, points) = match encoded {
            Ok(encoded) => encoded,
            Err(e) => return done(Err(e.into())),
        };
        let (token, submitted_ms, earned, late) =
            (token.to_string(), s.submitted_ms, s.score.earned, s.late);
        let work = move |conn: &Connection| {
            // The condition makes grading happen once, whatever races with it.
            let changed = conn
                .prepare_cached(
                    "UPDATE attempts SET submitted_ms = ?2, responses = ?3, points = ?4, earned = ?5, late = ?6 \
                     WHERE token = ?1 AND submitted_ms IS NULL",
                )?
                .execute(params![token, submitted_ms, responses, points, earned, late])?;
            if changed == 1 {
                // In the same transaction: the grade is owed to every LMS line item the learner
                // launched this lesson from, so it cannot be lost between the two.
                conn.prepare_cached(OWE_GRADES)?
                    .execute(params![token, submitted_ms])?;
            }
            Ok(changed == 1)
        };
        self.write_then(work, done);
    }

    fn count_attempts(&self, owner: &Owner, lesson_id: &str) -> Result<u32, StoreError> {
        let (condition, who) = owner_condition(owner);
        let query = format!("SELECT COUNT(*) FROM attempts WHERE {condition} AND lesson_id = ?2");
        let lesson_id = lesson_id.to_string();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&query)?
                .query_row(params![who, lesson_id], |r| r.get(0))?)
        })
    }

    fn open_attempts(&self, owner: &Owner, since_ms: i64) -> Result<u32, StoreError> {
        let (condition, who) = owner_condition(owner);
        let query = format!(
            "SELECT COUNT(*) FROM attempts \
             WHERE {condition} AND started_ms >= ?2 AND submitted_ms IS NULL"
        );
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&query)?
                .query_row(params![who, since_ms], |r| r.get(0))?)
        })
    }

    fn lesson_attempts(&self, lesson_id: &str) -> Result<Vec<Attempt>, StoreError> {
        let lesson_id = lesson_id.to_string();
        self.read(move |conn| attempts_of(conn, ATTEMPTS_OF_LESSON, params![lesson_id]))
    }

    fn accounts(&self) -> &dyn AccountStore {
        self
    }

    fn lti(&self) -> &dyn crate::store::LtiStore {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::{DrawnKind, DrawnQuestion, Response, Score};

    fn new_attempt(token: &str) -> NewAttempt {
        NewAttempt {
            token: token.into(),
            lesson_id: "l".into(),
            lesson_hash: "h".into(),
            lesson_title: "L".into(),
            pass_percent: 60.0,
            session_id: "s".into(),
            learner_id: None,
            practice: false,
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
        assert_eq!(
            store
                .count_attempts(&Owner::Session("s".into()), "l")
                .unwrap(),
            1
        );
        assert_eq!(store.lesson_attempts("l").unwrap().len(), 1);
        assert!(store.attempt("nope").unwrap().is_none());
    }

    /// `count` unsubmitted attempts on a fresh database file, with tokens `t0`, `t1`, ...
    fn file_store_with_attempts(count: usize) -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        for i in 0..count {
            assert!(
                store
                    .create_attempt(&new_attempt(&format!("t{i}")), None)
                    .unwrap()
            );
        }
        (dir, store)
    }

    #[test]
    fn many_threads_submitting_at_once_are_each_acknowledged_and_graded_once() {
        // Arrange: 200 attempts; 16 threads each submit every one of them, so every attempt
        // has 16 submissions racing, most of them in the same group-committed batches.
        let (dir, store) = file_store_with_attempts(200);
        let store = std::sync::Arc::new(store);
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(16));

        // Act
        let winners: Vec<Vec<usize>> = (0..16)
            .map(|thread| {
                let (store, barrier) = (store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..200)
                        .filter(|i| {
                            let grade = submission(thread as f64 / 8.0);
                            store.submit(&format!("t{i}"), &grade).unwrap()
                        })
                        .collect()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();

        // Assert: each attempt was graded by exactly one submission, and the grade stored is
        // the one that was acknowledged, also after reopening the file.
        let mut graded_by = [None; 200];
        for (thread, won) in winners.iter().enumerate() {
            for &i in won {
                assert_eq!(graded_by[i], None, "attempt t{i} was graded twice");
                graded_by[i] = Some(thread);
            }
        }
        drop(store);
        let reopened = SqliteStore::open(&dir.path().join("db")).unwrap();
        for (i, thread) in graded_by.iter().enumerate() {
            let thread = thread.unwrap_or_else(|| panic!("attempt t{i} was never graded"));
            let stored = reopened.attempt(&format!("t{i}")).unwrap().unwrap();
            assert_eq!(
                stored.submission,
                Some(submission(thread as f64 / 8.0)),
                "attempt t{i}"
            );
        }
    }

    #[test]
    fn a_failing_write_fails_alone_and_the_rest_of_its_batch_commits() {
        // Arrange: an existing token, so creating it again breaks the primary key.
        let (dir, store) = file_store_with_attempts(1);
        let store = std::sync::Arc::new(store);

        // Act: duplicates and fresh attempts at once, so they share batches.
        let results: Vec<(String, Result<bool, StoreError>)> = (0..64)
            .map(|i| {
                let store = store.clone();
                let token = if i % 4 == 0 {
                    "t0".to_string()
                } else {
                    format!("n{i}")
                };
                std::thread::spawn(move || {
                    let result = store.create_attempt(&new_attempt(&token), None);
                    (token, result)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();

        // Assert
        drop(store);
        let reopened = SqliteStore::open(&dir.path().join("db")).unwrap();
        for (token, result) in results {
            if token == "t0" {
                assert!(result.is_err(), "a duplicate token was accepted");
            } else {
                assert!(result.unwrap(), "{token} was refused");
                assert!(
                    reopened.attempt(&token).unwrap().is_some(),
                    "{token} is missing"
                );
            }
        }
        assert_eq!(
            reopened
                .count_attempts(&Owner::Session("s".into()), "l")
                .unwrap(),
            1 + 48
        );
    }

    #[test]
    fn a_write_is_visible_to_the_next_read_on_any_connection() {
        let (_dir, store) = file_store_with_attempts(0);
        for i in 0..20 {
            let token = format!("t{i}");
            assert!(store.create_attempt(&new_attempt(&token), None).unwrap());
            assert!(store.attempt(&token).unwrap().is_some());
            assert!(store.submit(&token, &submission(1.0)).unwrap());
            assert!(store.attempt(&token).unwrap().unwrap().submission.is_some());
        }
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
