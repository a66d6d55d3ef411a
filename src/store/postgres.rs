//! The PostgreSQL backend, for several stateless lectern instances on one database.
//!
//! Every guarantee that matters across instances comes from the database, not from memory:
//! `submit` is a conditional `UPDATE … WHERE submitted_ms IS NULL` (the row lock makes a
//! second, concurrent submit see the first one's grade and change nothing), `create_attempt`
//! bumps a per-(session, lesson) counter row with a conditional upsert in the attempt's own
//! transaction (so `max_attempts` holds however many instances start attempts at once), and the
//! server key is written with `ON CONFLICT DO NOTHING`, so every instance reads the first one.
//! Migrations run in one transaction under an advisory lock when a store connects.
//!
//! Connections come from an r2d2 pool; each keeps its prepared statements. Connections are
//! made without TLS: `sslmode=require` is refused rather than silently downgraded.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use postgres::config::SslMode;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, Statement};

use super::{AccountStore, Attempt, AttemptRow, NewAttempt, Owner, Store, StoreError, Submission};

/// Migrations in order; the table `lectern_migrations` records which have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_accounts.sql"),
    include_str!("../../migrations/postgres/0003_lti.sql"),
];

mod accounts;
mod lti;

/// Key of the transaction-scoped advisory lock held while migrating ("lectern" in ASCII).
const MIGRATION_LOCK: i64 = 0x006c_6563_7465_726e;

/// Connections each instance keeps open at most. PostgreSQL's default `max_connections` of 100
/// leaves room for six instances.
pub const POOL_SIZE: u32 = 16;

/// How long a request waits for a free connection (or the database) before failing with 503.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long opening one connection may take, unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Every statement the store runs after migrating; each connection prepares them once.
mod sql {
    pub const ATTEMPT: &str = concat!(
        "SELECT ",
        attempt_columns!(),
        " FROM attempts WHERE token = $1"
    );
    pub const LESSON_ATTEMPTS: &str = concat!(
        "SELECT ",
        attempt_columns!(),
        " FROM attempts WHERE lesson_id = $1 ORDER BY started_ms, token"
    );
    pub const INSERT_KEY: &str = "INSERT INTO settings (name, value) \
         VALUES ('server_key', $1) ON CONFLICT (name) DO NOTHING";
    pub const SELECT_KEY: &str = "SELECT value FROM settings WHERE name = 'server_key'";
    /// Reserves one start: inserts the counter at 1, or bumps it while it is under the limit
    /// (`$3`, NULL for none). No row comes back when the limit is reached. The conflicting
    /// row is locked until the transaction ends, so concurrent starts take turns.
    pub const RESERVE_START: &str = "INSERT INTO attempt_counts (session_id, lesson_id, started) \
         VALUES ($1, $2, 1) \
         ON CONFLICT (session_id, lesson_id) DO UPDATE SET started = attempt_counts.started + 1 \
         WHERE $3::BIGINT IS NULL OR attempt_counts.started < $3::BIGINT \
         RETURNING started";
    pub const INSERT_ATTEMPT: &str = "INSERT INTO attempts (token, lesson_id, lesson_hash, \
         session_id, seed, questions, started_ms, deadline_ms, possible, lesson_title, \
         pass_percent, learner_id, practice) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    /// Grades once: a concurrent second UPDATE waits for the first's row lock, then re-checks
    /// the condition on the committed row and matches nothing.
    /// Grades once, and in the same statement marks the grade owed to every LMS line item the
    /// learner launched this lesson from (see `lti_outbox`); answers how many attempts it graded.
    pub const SUBMIT: &str = "WITH submitted AS (\
         UPDATE attempts SET submitted_ms = $2, responses = $3, points = $4, earned = $5, late = $6 \
         WHERE token = $1 AND submitted_ms IS NULL RETURNING learner_id, lesson_id), \
         owed AS (INSERT INTO lti_outbox (lineitem_url, subject, platform_id, account_id, lesson_id, next_try_ms) \
         SELECT t.lineitem_url, t.subject, t.platform_id, t.account_id, t.lesson_id, $2 \
         FROM submitted s JOIN lti_grade_targets t ON t.account_id = s.learner_id AND t.lesson_id = s.lesson_id \
         ON CONFLICT (lineitem_url, subject) DO UPDATE SET version = lti_outbox.version + 1, pending = 1, \
         failed = 0, tries = 0, next_try_ms = EXCLUDED.next_try_ms, platform_id = EXCLUDED.platform_id, \
         account_id = EXCLUDED.account_id, lesson_id = EXCLUDED.lesson_id) \
         SELECT COUNT(*) FROM submitted";
    pub const IS_SUBMITTED: &str = "SELECT submitted_ms IS NOT NULL FROM attempts WHERE token = $1";
    pub const COUNT_OF_SESSION: &str = "SELECT COUNT(*) FROM attempts \
         WHERE session_id = $1 AND learner_id IS NULL AND lesson_id = $2";
    pub const COUNT_OF_LEARNER: &str =
        "SELECT COUNT(*) FROM attempts WHERE learner_id = $1 AND lesson_id = $2";
    pub const OPEN_OF_SESSION: &str = "SELECT COUNT(*) FROM attempts \
         WHERE session_id = $1 AND learner_id IS NULL AND started_ms >= $2 AND submitted_ms IS NULL";
    pub const OPEN_OF_LEARNER: &str = "SELECT COUNT(*) FROM attempts \
         WHERE learner_id = $1 AND started_ms >= $2 AND submitted_ms IS NULL";
}

/// A PostgreSQL database shared by any number of lectern instances.
pub struct PostgresStore {
    pool: r2d2::Pool<Manager>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connections", &self.pool.state().connections)
            .finish()
    }
}

/// The driver's error with its causes: its own message is only the kind ("db error").
fn describe(e: &postgres::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::Unavailable(describe(&e))
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::Unavailable(format!("no database connection: {e}"))
    }
}

/// Reads the connection settings from a `postgres://` URL (or `key=value` string), refusing
/// what lectern cannot honour.
fn parse_config(url: &str) -> Result<Config, String> {
    let mut config: Config = url
        .parse()
        .map_err(|e| format!("invalid PostgreSQL URL: {}", describe(&e)))?;
    if config.get_ssl_mode() == SslMode::Require {
        return Err(
            "sslmode=require is not supported: lectern connects to PostgreSQL without TLS \
             (use a unix socket, a private network or a TLS tunnel, and sslmode=disable)"
                .into(),
        );
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("lectern");
    }
    Ok(config)
}

impl PostgresStore {
    /// Runs a `SELECT COUNT(*)` query.
    fn count(
        &self,
        query: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u32, StoreError> {
        let n: i64 = self.with_conn(|conn| {
            let count = conn.prepared(query)?;
            column(&conn.client.query_one(&count, params)?, 0)
        })?;
        u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{n} attempts")))
    }
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`) and
    /// applies any migrations it lacks. Fails when no connection can be made within a few
    /// seconds, or when the database was migrated by a newer lectern.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let config = parse_config(url).map_err(StoreError::Unavailable)?;
        let manager = Manager { config };
        // Migrate over a connection of our own, so that an unreachable or misconfigured server
        // fails the start at once with its reason, instead of after the pool's timeout.
        let mut first = r2d2::ManageConnection::connect(&manager)?;
        migrate(&mut first.client)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            // A ping per checkout would cost a round trip per store call: see `with_conn`.
            .test_on_check_out(false)
            .connection_timeout(CHECKOUT_TIMEOUT)
            .error_handler(Box::new(LogErrors))
            .build_unchecked(manager);
        Ok(PostgresStore { pool })
    }

    /// Runs `f` on a pooled connection. Connections are not pinged when taken from the pool
    /// (a round trip on every call); instead, when `f` fails because the server had closed
    /// its connection (a restart, a failover, an idle timeout), `f` runs again on another one,
    /// so no student sees the stale connection. A closed connection is dropped from the pool.
    fn with_conn<T>(
        &self,
        f: impl Fn(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut tries = 0;
        loop {
            let mut conn = self.pool.get()?;
            match f(&mut conn) {
                Err(StoreError::Unavailable(_)) if conn.client.is_closed() && tries < POOL_SIZE => {
                    tries += 1;
                }
                result => return result,
            }
        }
    }
}

/// Applies the missing migrations in one transaction. The advisory lock makes a second
/// instance starting at the same moment wait, then find nothing left to do.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS lectern_migrations (\
                 version INTEGER PRIMARY KEY, \
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )?;
    let done: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM lectern_migrations",
            &[],
        )?
        .get(0);
    let done = usize::try_from(done).unwrap_or(usize::MAX);
    if done > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the database is at schema version {done}, newer than this lectern knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.batch_execute(migration)?;
        let version = i32::try_from(i + 1).expect("fewer than 2^31 migrations");
        tx.execute(
            "INSERT INTO lectern_migrations (version) VALUES ($1)",
            &[&version],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn column<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

fn attempt_from_row(row: &Row) -> Result<Attempt, StoreError> {
    AttemptRow {
        token: column(row, 0)?,
        lesson_id: column(row, 1)?,
        lesson_hash: column(row, 2)?,
        session_id: column(row, 3)?,
        seed: column(row, 4)?,
        questions: column(row, 5)?,
        started_ms: column(row, 6)?,
        deadline_ms: column(row, 7)?,
        submitted_ms: column(row, 8)?,
        responses: column(row, 9)?,
        points: column(row, 10)?,
        earned: column(row, 11)?,
        possible: column(row, 12)?,
        late: column(row, 13)?,
        lesson_title: column(row, 14)?,
        pass_percent: column(row, 15)?,
        learner_id: column(row, 16)?,
        practice: column(row, 17)?,
    }
    .into_attempt()
}

impl Store for PostgresStore {
    fn server_key(&self) -> Result<[u8; 32], StoreError> {
        let fresh: [u8; 32] = rand::random();
        let key: Vec<u8> = self.with_conn(|conn| {
            // Two statements, so the SELECT sees a key another instance committed meanwhile.
            let insert = conn.prepared(sql::INSERT_KEY)?;
            let select = conn.prepared(sql::SELECT_KEY)?;
            conn.client.execute(&insert, &[&fresh.as_slice()])?;
            column(&conn.client.query_one(&select, &[])?, 0)
        })?;
        key.try_into()
            .map_err(|_| StoreError::Corrupt("the server key is not 32 bytes".into()))
    }

    fn create_attempt(
        &self,
        a: &NewAttempt,
        max_attempts: Option<u32>,
    ) -> Result<bool, StoreError> {
        if max_attempts == Some(0) {
            return Ok(false);
        }
        let questions = serde_json::to_string(&a.questions)?;
        let possible: f64 = a.questions.iter().map(|q| q.points).sum();
        let max = max_attempts.map(i64::from);
        let seed = a.seed as i64;
        let params: [&(dyn ToSql + Sync); 13] = [
            &a.token,
            &a.lesson_id,
            &a.lesson_hash,
            &a.session_id,
            &seed,
            &questions,
            &a.started_ms,
            &a.deadline_ms,
            &possible,
            &a.lesson_title,
            &a.pass_percent,
            &a.learner_id,
            &a.practice,
        ];
        // The counter row is the owner's: a learner's counts on every device.
        let owner = a.owner().key();
        self.with_conn(|conn| {
            let reserve = conn.prepared(sql::RESERVE_START)?;
            let insert = conn.prepared(sql::INSERT_ATTEMPT)?;
            let mut tx = conn.client.transaction()?;
            let reserved = tx.query_opt(&reserve, &[&owner, &a.lesson_id, &max])?;
            if reserved.is_none() {
                // Dropping the transaction rolls it back (nothing was written).
                return Ok(false);
            }
            tx.execute(&insert, &params)?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn attempt(&self, token: &str) -> Result<Option<Attempt>, StoreError> {
        self.with_conn(|conn| {
            let select = conn.prepared(sql::ATTEMPT)?;
            conn.client
                .query_opt(&select, &[&token])?
                .map(|row| attempt_from_row(&row))
                .transpose()
        })
    }

    fn is_submitted(&self, token: &str) -> Result<Option<bool>, StoreError> {
        self.with_conn(|conn| {
            let select = conn.prepared(sql::IS_SUBMITTED)?;
            conn.client
                .query_opt(&select, &[&token])?
                .map(|row| column(&row, 0))
                .transpose()
        })
    }

    fn submit(&self, token: &str, s: &Submission) -> Result<bool, StoreError> {
        let responses = serde_json::to_string(&s.responses)?;
        let points = serde_json::to_string(&s.points)?;
        let params: [&(dyn ToSql + Sync); 6] = [
            &token,
            &s.submitted_ms,
            &responses,
            &points,
            &s.score.earned,
            &s.late,
        ];
        // Safe to run again: a retry after a lost acknowledgement matches no row and answers
        // `false`, and the grade that was stored stands.
        self.with_conn(|conn| {
            let submit = conn.prepared(sql::SUBMIT)?;
            let graded: i64 = conn.client.query_one(&submit, &params)?.get(0);
            Ok(graded == 1)
        })
    }

    fn count_attempts(&self, owner: &Owner, lesson_id: &str) -> Result<u32, StoreError> {
        match owner {
            Owner::Learner(id) => self.count(sql::COUNT_OF_LEARNER, &[id, &lesson_id]),
            Owner::Session(id) => self.count(sql::COUNT_OF_SESSION, &[id, &lesson_id]),
        }
    }

    fn open_attempts(&self, owner: &Owner, since_ms: i64) -> Result<u32, StoreError> {
        match owner {
            Owner::Learner(id) => self.count(sql::OPEN_OF_LEARNER, &[id, &since_ms]),
            Owner::Session(id) => self.count(sql::OPEN_OF_SESSION, &[id, &since_ms]),
        }
    }

    fn lesson_attempts(&self, lesson_id: &str) -> Result<Vec<Attempt>, StoreError> {
        self.with_conn(|conn| {
            let select = conn.prepared(sql::LESSON_ATTEMPTS)?;
            conn.client
                .query(&select, &[&lesson_id])?
                .iter()
                .map(attempt_from_row)
                .collect()
        })
    }

    fn accounts(&self) -> &dyn AccountStore {
        self
    }

    fn lti(&self) -> &dyn crate::store::LtiStore {
        self
    }
}

/// One pooled connection and the statements prepared on it.
struct Connection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Connection {
    /// The prepared statement for `sql`, preparing it on first use.
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// Opens and checks the pool's connections.
struct Manager {
    config: Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Connection, postgres::Error> {
        Ok(Connection {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    /// Unused: the pool does not test connections on checkout (see
    /// [`PostgresStore::with_conn`]).
    fn is_valid(&self, conn: &mut Connection) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        conn.client.is_closed()
    }
}

/// Sends the pool's connection errors to the log (r2d2 would use the `log` crate).
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<postgres::Error> for LogErrors {
    fn handle_error(&self, error: postgres::Error) {
        tracing::warn!("PostgreSQL connection failed: {error}");
    }
}
