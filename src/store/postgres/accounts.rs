//! [`AccountStore`] on PostgreSQL, with the same behaviour as on SQLite. Every call that writes
//! more than one statement runs them in one transaction; every check that must hold across
//! instances (a taken username or join code, a link used once, a membership) is a constraint
//! or a conditional statement in the database.

use postgres::Row;
use postgres::error::SqlState;
use postgres::types::ToSql;

use super::{Connection, PostgresStore, attempt_from_row, column};
use crate::accounts::{AccountId, ClassId, Role};
use crate::store::{
    Account, AccountStore, Attempt, Class, ClassLesson, Member, NewAccount, NewClass, Owner,
    StoreError,
};

/// The columns [`account_from_row`] reads, in order, each prefixed with `$prefix` (a table
/// alias and its dot, or nothing).
#[rustfmt::skip]
macro_rules! account_columns {
    ($prefix:literal) => {
        concat!(
            $prefix, "id, ", $prefix, "username, ", $prefix, "display_name, ",
            $prefix, "role, ", $prefix, "password_hash, ", $prefix, "created_ms, ",
            $prefix, "last_sign_in_ms, ", $prefix, "failed_sign_ins, ",
            $prefix, "throttled_until_ms"
        )
    };
}

/// The columns [`class_from_row`] reads, in order, each prefixed with `$prefix`.
#[rustfmt::skip]
macro_rules! class_columns {
    ($prefix:literal) => {
        concat!(
            $prefix, "id, ", $prefix, "name, ", $prefix, "owner_id, ",
            $prefix, "join_code, ", $prefix, "created_ms"
        )
    };
}

/// Every statement of the account store; each connection prepares them once, on first use.
/// Parameters whose type PostgreSQL cannot infer are cast, so that the Rust types bound to
/// them (`i64`, `&str`) always match.
pub(super) mod sql {
    pub const INSERT_ACCOUNT: &str = "INSERT INTO accounts \
         (username, display_name, role, password_hash, created_ms) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (username) DO NOTHING RETURNING id";
    pub const ACCOUNT: &str = concat!(
        "SELECT ",
        account_columns!(""),
        " FROM accounts WHERE id = $1"
    );
    pub const ACCOUNT_BY_USERNAME: &str = concat!(
        "SELECT ",
        account_columns!(""),
        " FROM accounts WHERE username = $1"
    );
    /// One statement: concurrent wrong passwords each count (the row lock serialises them).
    pub const FAILED_SIGN_IN: &str = "UPDATE accounts \
         SET failed_sign_ins = failed_sign_ins + 1, \
         throttled_until_ms = CASE WHEN failed_sign_ins + 1 >= $3::BIGINT \
         THEN $2::BIGINT + $4::BIGINT ELSE throttled_until_ms END \
         WHERE id = $1";
    pub const INSERT_SESSION: &str = "INSERT INTO account_sessions \
         (session_hash, account_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)";
    pub const SIGNED_IN: &str = "UPDATE accounts SET failed_sign_ins = 0, \
         throttled_until_ms = 0, last_sign_in_ms = $2 WHERE id = $1";
    pub const SWEEP_SESSIONS: &str = "DELETE FROM account_sessions WHERE expires_ms <= $1";
    pub const SESSION_ACCOUNT: &str = concat!(
        "SELECT ",
        account_columns!("a."),
        " FROM account_sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.session_hash = $1 AND s.expires_ms > $2"
    );
    pub const END_SESSION: &str = "DELETE FROM account_sessions WHERE session_hash = $1";
    pub const SET_PASSWORD: &str = "UPDATE accounts SET password_hash = $2 WHERE id = $1";
    pub const END_OTHER_SESSIONS: &str = "DELETE FROM account_sessions WHERE account_id = $1 \
         AND ($2::TEXT IS NULL OR session_hash <> $2::TEXT)";
    pub const INSERT_LINK: &str =
        "INSERT INTO password_links (token_hash, account_id, expires_ms) VALUES ($1, $2, $3)";
    pub const LINK_ACCOUNT: &str = concat!(
        "SELECT ",
        account_columns!("a."),
        " FROM password_links l JOIN accounts a ON a.id = l.account_id \
         WHERE l.token_hash = $1 AND l.used_ms IS NULL AND l.expires_ms > $2"
    );
    /// Uses the link: the row lock makes a concurrent second use wait, then match nothing.
    pub const USE_LINK: &str = "UPDATE password_links SET used_ms = $2 \
         WHERE token_hash = $1 AND used_ms IS NULL AND expires_ms > $2 \
         RETURNING account_id";
    pub const RESET_PASSWORD: &str = "UPDATE accounts SET password_hash = $2, \
         failed_sign_ins = 0, throttled_until_ms = 0 WHERE id = $1";
    pub const END_SESSIONS: &str = "DELETE FROM account_sessions WHERE account_id = $1";
    /// Moves a session's start counters to its learner (`$2`, the learner's owner key) in one
    /// statement: the DELETE locks the rows, so a start racing the claim is counted once.
    pub const MOVE_COUNTS: &str = "WITH moved AS (\
         DELETE FROM attempt_counts WHERE session_id = $1 RETURNING lesson_id, started) \
         INSERT INTO attempt_counts (session_id, lesson_id, started) \
         SELECT $2::TEXT, lesson_id, started FROM moved \
         ON CONFLICT (session_id, lesson_id) \
         DO UPDATE SET started = attempt_counts.started + EXCLUDED.started";
    pub const CLAIM: &str = "UPDATE attempts SET learner_id = $2 \
         WHERE session_id = $1 AND learner_id IS NULL";
    pub const LEARNER_ATTEMPTS: &str = concat!(
        "SELECT ",
        attempt_columns!(),
        " FROM attempts WHERE learner_id = $1 ORDER BY started_ms, token"
    );
    pub const INSERT_CLASS: &str = "INSERT INTO classes (name, owner_id, join_code, created_ms) \
         VALUES ($1, $2, $3, $4) RETURNING id";
    pub const INSERT_LESSON: &str = "INSERT INTO class_lessons \
         (class_id, lesson_id, position, due_ms) VALUES ($1, $2, $3, $4)";
    /// The lessons of several classes, each class's in the educator's order.
    pub const LESSONS: &str = "SELECT class_id, lesson_id, due_ms FROM class_lessons \
         WHERE class_id = ANY($1) ORDER BY class_id, position";
    pub const CLASS: &str = concat!("SELECT ", class_columns!(""), " FROM classes WHERE id = $1");
    pub const CLASSES: &str = concat!(
        "SELECT ",
        class_columns!(""),
        " FROM classes WHERE $1::BIGINT IS NULL OR owner_id = $1::BIGINT \
         OR id IN (SELECT class_id FROM class_teachers WHERE account_id = $1::BIGINT) \
         ORDER BY created_ms DESC, id DESC"
    );
    pub const CLASS_BY_CODE: &str = concat!(
        "SELECT ",
        class_columns!(""),
        " FROM classes WHERE join_code = $1"
    );
    pub const SET_JOIN_CODE: &str = "UPDATE classes SET join_code = $2 WHERE id = $1";
    pub const RENAME_CLASS: &str = "UPDATE classes SET name = $2 WHERE id = $1";
    pub const DELETE_LESSONS: &str = "DELETE FROM class_lessons WHERE class_id = $1";
    pub const JOIN: &str = "INSERT INTO memberships (class_id, account_id, joined_ms) \
         VALUES ($1, $2, $3) ON CONFLICT (class_id, account_id) DO NOTHING";
    /// Ordered bytewise ("C"), as SQLite orders text, whatever the database's collation.
    pub const MEMBERS: &str = concat!(
        "SELECT ",
        account_columns!("a."),
        ", m.joined_ms, GREATEST(m.joined_ms, a.last_sign_in_ms, \
         (SELECT MAX(GREATEST(t.started_ms, t.submitted_ms)) FROM attempts t \
          WHERE t.learner_id = a.id)) \
         FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.class_id = $1 ORDER BY a.display_name COLLATE \"C\", a.username"
    );
    pub const REMOVE_MEMBER: &str =
        "DELETE FROM memberships WHERE class_id = $1 AND account_id = $2";
    pub const LEARNER_CLASSES: &str = concat!(
        "SELECT ",
        class_columns!("c."),
        " FROM classes c JOIN memberships m ON m.class_id = c.id WHERE m.account_id = $1 \
         ORDER BY m.joined_ms, c.id"
    );
    pub const CLASS_ATTEMPTS: &str = concat!(
        "SELECT ",
        attempt_columns!(),
        " FROM attempts WHERE learner_id IN \
         (SELECT account_id FROM memberships WHERE class_id = $1) \
         ORDER BY started_ms, token"
    );
}

/// An account from the [`account_columns`] at the start of `row`.
fn account_from_row(row: &Row) -> Result<Account, StoreError> {
    let role: String = column(row, 3)?;
    let role = Role::from_name(&role)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?;
    let failed: i32 = column(row, 7)?;
    Ok(Account {
        id: column(row, 0)?,
        username: column(row, 1)?,
        display_name: column(row, 2)?,
        role,
        password_hash: column(row, 4)?,
        created_ms: column(row, 5)?,
        last_sign_in_ms: column(row, 6)?,
        failed_sign_ins: u32::try_from(failed)
            .map_err(|_| StoreError::Corrupt(format!("{failed} failed sign-ins")))?,
        throttled_until_ms: column(row, 8)?,
    })
}

/// A class, without its lessons yet, from the [`class_columns`] of `row`.
fn class_from_row(row: &Row) -> Result<Class, StoreError> {
    Ok(Class {
        id: column(row, 0)?,
        name: column(row, 1)?,
        owner_id: column(row, 2)?,
        join_code: column(row, 3)?,
        created_ms: column(row, 4)?,
        lessons: Vec::new(),
    })
}

fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

impl Connection {
    /// The account `query` selects, if any.
    pub(super) fn one_account(
        &mut self,
        query: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Account>, StoreError> {
        let statement = self.prepared(query)?;
        self.client
            .query_opt(&statement, params)?
            .map(|row| account_from_row(&row))
            .transpose()
    }

    /// The attempts `query` selects.
    fn attempts(
        &mut self,
        query: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Attempt>, StoreError> {
        let statement = self.prepared(query)?;
        self.client
            .query(&statement, params)?
            .iter()
            .map(attempt_from_row)
            .collect()
    }

    /// The classes `query` selects ([`class_columns`]), each with its lessons: two queries
    /// however many classes there are.
    pub(super) fn classes(
        &mut self,
        query: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Class>, StoreError> {
        let select = self.prepared(query)?;
        let lessons = self.prepared(sql::LESSONS)?;
        let mut classes = self
            .client
            .query(&select, params)?
            .iter()
            .map(class_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        if classes.is_empty() {
            return Ok(classes);
        }
        let ids: Vec<ClassId> = classes.iter().map(|c| c.id).collect();
        for row in self.client.query(&lessons, &[&ids])? {
            let class_id: ClassId = column(&row, 0)?;
            let lesson = ClassLesson {
                lesson_id: column(&row, 1)?,
                due_ms: column(&row, 2)?,
            };
            if let Some(class) = classes.iter_mut().find(|c| c.id == class_id) {
                class.lessons.push(lesson);
            }
        }
        Ok(classes)
    }
}

/// Inserts a class's lessons in order, in the transaction `tx`.
fn insert_lessons(
    tx: &mut postgres::Transaction<'_>,
    insert: &postgres::Statement,
    class_id: ClassId,
    lessons: &[ClassLesson],
) -> Result<(), StoreError> {
    for (position, lesson) in lessons.iter().enumerate() {
        let position = i32::try_from(position)
            .map_err(|_| StoreError::Unavailable(format!("{position} lessons in a class")))?;
        tx.execute(
            insert,
            &[&class_id, &lesson.lesson_id, &position, &lesson.due_ms],
        )?;
    }
    Ok(())
}

impl AccountStore for PostgresStore {
    fn create_account(&self, a: &NewAccount) -> Result<Option<AccountId>, StoreError> {
        self.with_conn(|conn| {
            let insert = conn.prepared(sql::INSERT_ACCOUNT)?;
            conn.client
                .query_opt(
                    &insert,
                    &[
                        &a.username,
                        &a.display_name,
                        &a.role.as_str(),
                        &a.password_hash,
                        &a.created_ms,
                    ],
                )?
                .map(|row| column(&row, 0))
                .transpose()
        })
    }

    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.with_conn(|conn| conn.one_account(sql::ACCOUNT, &[&id]))
    }

    fn account_by_username(&self, username: &str) -> Result<Option<Account>, StoreError> {
        self.with_conn(|conn| conn.one_account(sql::ACCOUNT_BY_USERNAME, &[&username]))
    }

    fn record_failed_sign_in(
        &self,
        id: AccountId,
        now_ms: i64,
        max_in_a_row: u32,
        throttle_ms: i64,
    ) -> Result<(), StoreError> {
        let max = i64::from(max_in_a_row);
        self.with_conn(|conn| {
            let update = conn.prepared(sql::FAILED_SIGN_IN)?;
            conn.client
                .execute(&update, &[&id, &now_ms, &max, &throttle_ms])?;
            Ok(())
        })
    }

    fn start_account_session(
        &self,
        session_hash: &str,
        account_id: AccountId,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let insert = conn.prepared(sql::INSERT_SESSION)?;
            let signed_in = conn.prepared(sql::SIGNED_IN)?;
            let sweep = conn.prepared(sql::SWEEP_SESSIONS)?;
            let mut tx = conn.client.transaction()?;
            tx.execute(&insert, &[&session_hash, &account_id, &now_ms, &expires_ms])?;
            tx.execute(&signed_in, &[&account_id, &now_ms])?;
            // Expired sign-ins are swept here, where one is being written anyway.
            tx.execute(&sweep, &[&now_ms])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn session_account(
        &self,
        session_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Account>, StoreError> {
        self.with_conn(|conn| conn.one_account(sql::SESSION_ACCOUNT, &[&session_hash, &now_ms]))
    }

    fn end_account_session(&self, session_hash: &str) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let delete = conn.prepared(sql::END_SESSION)?;
            conn.client.execute(&delete, &[&session_hash])?;
            Ok(())
        })
    }

    fn set_password(
        &self,
        id: AccountId,
        password_hash: &str,
        keep_session_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let update = conn.prepared(sql::SET_PASSWORD)?;
            let sign_out = conn.prepared(sql::END_OTHER_SESSIONS)?;
            let mut tx = conn.client.transaction()?;
            tx.execute(&update, &[&id, &password_hash])?;
            tx.execute(&sign_out, &[&id, &keep_session_hash])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn create_password_link(
        &self,
        token_hash: &str,
        account_id: AccountId,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let insert = conn.prepared(sql::INSERT_LINK)?;
            conn.client
                .execute(&insert, &[&token_hash, &account_id, &expires_ms])?;
            Ok(())
        })
    }

    fn password_link_account(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Account>, StoreError> {
        self.with_conn(|conn| conn.one_account(sql::LINK_ACCOUNT, &[&token_hash, &now_ms]))
    }

    fn use_password_link(
        &self,
        token_hash: &str,
        now_ms: i64,
        password_hash: &str,
    ) -> Result<Option<Account>, StoreError> {
        self.with_conn(|conn| {
            let use_link = conn.prepared(sql::USE_LINK)?;
            let reset = conn.prepared(sql::RESET_PASSWORD)?;
            let sign_out = conn.prepared(sql::END_SESSIONS)?;
            let select = conn.prepared(sql::ACCOUNT)?;
            let mut tx = conn.client.transaction()?;
            let Some(row) = tx.query_opt(&use_link, &[&token_hash, &now_ms])? else {
                // Dropping the transaction rolls it back (nothing was written).
                return Ok(None);
            };
            let id: AccountId = column(&row, 0)?;
            tx.execute(&reset, &[&id, &password_hash])?;
            tx.execute(&sign_out, &[&id])?;
            let account = tx
                .query_opt(&select, &[&id])?
                .map(|row| account_from_row(&row))
                .transpose()?;
            tx.commit()?;
            Ok(account)
        })
    }

    fn claim_attempts(&self, session_id: &str, learner_id: AccountId) -> Result<u32, StoreError> {
        let learner_key = Owner::Learner(learner_id).key();
        self.with_conn(|conn| {
            let move_counts = conn.prepared(sql::MOVE_COUNTS)?;
            let claim = conn.prepared(sql::CLAIM)?;
            let mut tx = conn.client.transaction()?;
            // The counters first: their rows stay locked until the commit, so a start racing
            // this claim waits, then counts on the session as an anonymous attempt of its own.
            // (A start at a lesson the session has no counter for does not wait: committed
            // between these two statements, its attempt would move but its count stay with
            // the session, so the learner could start one attempt more there.)
            tx.execute(&move_counts, &[&session_id, &learner_key])?;
            let moved = tx.execute(&claim, &[&session_id, &learner_id])?;
            tx.commit()?;
            u32::try_from(moved).map_err(|_| StoreError::Corrupt(format!("{moved} attempts")))
        })
    }

    fn learner_attempts(&self, learner_id: AccountId) -> Result<Vec<Attempt>, StoreError> {
        self.with_conn(|conn| conn.attempts(sql::LEARNER_ATTEMPTS, &[&learner_id]))
    }

    fn create_class(&self, class: &NewClass) -> Result<Option<ClassId>, StoreError> {
        self.with_conn(|conn| {
            let insert_class = conn.prepared(sql::INSERT_CLASS)?;
            let insert_lesson = conn.prepared(sql::INSERT_LESSON)?;
            let mut tx = conn.client.transaction()?;
            let inserted = tx.query_one(
                &insert_class,
                &[
                    &class.name,
                    &class.owner_id,
                    &class.join_code,
                    &class.created_ms,
                ],
            );
            let id: ClassId = match inserted {
                // The join code is taken; dropping the transaction rolls it back.
                Err(e) if is_unique_violation(&e) => return Ok(None),
                other => column(&other?, 0)?,
            };
            insert_lessons(&mut tx, &insert_lesson, id, &class.lessons)?;
            tx.commit()?;
            Ok(Some(id))
        })
    }

    fn class(&self, id: ClassId) -> Result<Option<Class>, StoreError> {
        self.with_conn(|conn| Ok(conn.classes(sql::CLASS, &[&id])?.pop()))
    }

    fn classes(&self, owner: Option<AccountId>) -> Result<Vec<Class>, StoreError> {
        self.with_conn(|conn| conn.classes(sql::CLASSES, &[&owner]))
    }

    fn class_by_code(&self, code: &str) -> Result<Option<Class>, StoreError> {
        self.with_conn(|conn| Ok(conn.classes(sql::CLASS_BY_CODE, &[&code])?.pop()))
    }

    fn set_join_code(&self, id: ClassId, code: Option<&str>) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            let update = conn.prepared(sql::SET_JOIN_CODE)?;
            match conn.client.execute(&update, &[&id, &code]) {
                Err(e) if is_unique_violation(&e) => Ok(false),
                other => Ok(other? == 1),
            }
        })
    }

    fn update_class(
        &self,
        id: ClassId,
        name: &str,
        lessons: &[ClassLesson],
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let rename = conn.prepared(sql::RENAME_CLASS)?;
            let delete = conn.prepared(sql::DELETE_LESSONS)?;
            let insert = conn.prepared(sql::INSERT_LESSON)?;
            let mut tx = conn.client.transaction()?;
            tx.execute(&rename, &[&id, &name])?;
            tx.execute(&delete, &[&id])?;
            insert_lessons(&mut tx, &insert, id, lessons)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn join_class(
        &self,
        id: ClassId,
        learner_id: AccountId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            let insert = conn.prepared(sql::JOIN)?;
            Ok(conn.client.execute(&insert, &[&id, &learner_id, &now_ms])? == 1)
        })
    }

    fn members(&self, id: ClassId) -> Result<Vec<Member>, StoreError> {
        self.with_conn(|conn| {
            let select = conn.prepared(sql::MEMBERS)?;
            conn.client
                .query(&select, &[&id])?
                .iter()
                .map(|row| {
                    Ok(Member {
                        account: account_from_row(row)?,
                        joined_ms: column(row, 9)?,
                        last_activity_ms: column(row, 10)?,
                    })
                })
                .collect()
        })
    }

    fn remove_member(&self, id: ClassId, learner_id: AccountId) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            let delete = conn.prepared(sql::REMOVE_MEMBER)?;
            Ok(conn.client.execute(&delete, &[&id, &learner_id])? == 1)
        })
    }

    fn learner_classes(&self, learner_id: AccountId) -> Result<Vec<Class>, StoreError> {
        self.with_conn(|conn| conn.classes(sql::LEARNER_CLASSES, &[&learner_id]))
    }

    fn class_attempts(&self, id: ClassId) -> Result<Vec<Attempt>, StoreError> {
        self.with_conn(|conn| conn.attempts(sql::CLASS_ATTEMPTS, &[&id]))
    }
}
