//! [`AccountStore`] on SQLite: every write goes through the writer thread's group commit, so a
//! sign-in or a join is durable when it returns, like a submission.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{SqliteStore, attempts_of};
use crate::accounts::{AccountId, ClassId, Role};
use crate::store::{
    Account, AccountStore, Attempt, Class, ClassLesson, Member, NewAccount, NewClass, StoreError,
};

pub(super) const ACCOUNT_COLUMNS: &str = "id, username, display_name, role, password_hash, created_ms, \
     last_sign_in_ms, failed_sign_ins, throttled_until_ms";

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Account, StoreError>> {
    let role: String = row.get(3)?;
    let Some(role) = Role::from_name(&role) else {
        return Ok(Err(StoreError::Corrupt(format!("unknown role {role:?}"))));
    };
    Ok(Ok(Account {
        id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        role,
        password_hash: row.get(4)?,
        created_ms: row.get(5)?,
        last_sign_in_ms: row.get(6)?,
        failed_sign_ins: row.get(7)?,
        throttled_until_ms: row.get(8)?,
    }))
}

/// The one account a query selects, if any.
pub(super) fn one_account(
    conn: &Connection,
    query: &str,
    params: impl rusqlite::Params,
) -> Result<Option<Account>, StoreError> {
    conn.prepare_cached(query)?
        .query_row(params, account_from_row)
        .optional()?
        .transpose()
}

/// The classes a query selects (columns `id, name, owner_id, join_code, created_ms`), each
/// with its lessons.
pub(super) fn classes_of(
    conn: &Connection,
    query: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Class>, StoreError> {
    let mut classes = conn
        .prepare_cached(query)?
        .query_map(params, |r| {
            Ok(Class {
                id: r.get(0)?,
                name: r.get(1)?,
                owner_id: r.get(2)?,
                join_code: r.get(3)?,
                created_ms: r.get(4)?,
                lessons: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut lessons = conn.prepare_cached(
        "SELECT lesson_id, due_ms FROM class_lessons WHERE class_id = ?1 ORDER BY position",
    )?;
    for class in &mut classes {
        class.lessons = lessons
            .query_map(params![class.id], |r| {
                Ok(ClassLesson {
                    lesson_id: r.get(0)?,
                    due_ms: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(classes)
}

fn insert_lessons(
    conn: &Connection,
    class_id: ClassId,
    lessons: &[ClassLesson],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO class_lessons (class_id, lesson_id, position, due_ms) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, lesson) in lessons.iter().enumerate() {
        insert.execute(params![
            class_id,
            lesson.lesson_id,
            position as i64,
            lesson.due_ms
        ])?;
    }
    Ok(())
}

pub(super) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

pub(super) const CLASS_COLUMNS: &str = "id, name, owner_id, join_code, created_ms";

impl AccountStore for SqliteStore {
    fn create_account(&self, a: &NewAccount) -> Result<Option<AccountId>, StoreError> {
        let a = a.clone();
        self.write(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO accounts (username, display_name, role, password_hash, created_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (username) DO NOTHING",
                )?
                .execute(params![
                    a.username,
                    a.display_name,
                    a.role.as_str(),
                    a.password_hash,
                    a.created_ms
                ])?;
            Ok((inserted == 1).then(|| conn.last_insert_rowid()))
        })
    }

    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.read(move |conn| {
            one_account(
                conn,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                params![id],
            )
        })
    }

    fn account_by_username(&self, username: &str) -> Result<Option<Account>, StoreError> {
        let username = username.to_string();
        self.read(move |conn| {
            one_account(
                conn,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = ?1"),
                params![username],
            )
        })
    }

    fn record_failed_sign_in(
        &self,
        id: AccountId,
        now_ms: i64,
        max_in_a_row: u32,
        throttle_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE accounts SET failed_sign_ins = failed_sign_ins + 1, \
                 throttled_until_ms = CASE WHEN failed_sign_ins + 1 >= ?3 THEN ?2 + ?4 \
                 ELSE throttled_until_ms END WHERE id = ?1",
            )?
            .execute(params![id, now_ms, max_in_a_row, throttle_ms])?;
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
        let session_hash = session_hash.to_string();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO account_sessions (session_hash, account_id, created_ms, expires_ms) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![session_hash, account_id, now_ms, expires_ms])?;
            conn.prepare_cached(
                "UPDATE accounts SET failed_sign_ins = 0, throttled_until_ms = 0, \
                 last_sign_in_ms = ?2 WHERE id = ?1",
            )?
            .execute(params![account_id, now_ms])?;
            // Expired sign-ins are swept here, where one is being written anyway.
            conn.prepare_cached("DELETE FROM account_sessions WHERE expires_ms <= ?1")?
                .execute(params![now_ms])?;
            Ok(())
        })
    }

    fn session_account(
        &self,
        session_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Account>, StoreError> {
        let session_hash = session_hash.to_string();
        self.read(move |conn| {
            one_account(
                conn,
                &format!(
                    "SELECT {} FROM account_sessions s JOIN accounts a ON a.id = s.account_id \
                     WHERE s.session_hash = ?1 AND s.expires_ms > ?2",
                    ACCOUNT_COLUMNS
                        .split(", ")
                        .map(|c| format!("a.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                params![session_hash, now_ms],
            )
        })
    }

    fn end_account_session(&self, session_hash: &str) -> Result<(), StoreError> {
        let session_hash = session_hash.to_string();
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM account_sessions WHERE session_hash = ?1")?
                .execute(params![session_hash])?;
            Ok(())
        })
    }

    fn set_password(
        &self,
        id: AccountId,
        password_hash: &str,
        keep_session_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        let (hash, keep) = (
            password_hash.to_string(),
            keep_session_hash.map(str::to_string),
        );
        self.write(move |conn| {
            conn.prepare_cached("UPDATE accounts SET password_hash = ?2 WHERE id = ?1")?
                .execute(params![id, hash])?;
            conn.prepare_cached(
                "DELETE FROM account_sessions WHERE account_id = ?1 \
                 AND (?2 IS NULL OR session_hash <> ?2)",
            )?
            .execute(params![id, keep])?;
            Ok(())
        })
    }

    fn create_password_link(
        &self,
        token_hash: &str,
        account_id: AccountId,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO password_links (token_hash, account_id, expires_ms) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![token_hash, account_id, expires_ms])?;
            Ok(())
        })
    }

    fn password_link_account(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Account>, StoreError> {
        let token_hash = token_hash.to_string();
        self.read(move |conn| {
            one_account(
                conn,
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = (SELECT account_id \
                     FROM password_links WHERE token_hash = ?1 AND used_ms IS NULL AND expires_ms > ?2)"
                ),
                params![token_hash, now_ms],
            )
        })
    }

    fn use_password_link(
        &self,
        token_hash: &str,
        now_ms: i64,
        password_hash: &str,
    ) -> Result<Option<Account>, StoreError> {
        let (token_hash, hash) = (token_hash.to_string(), password_hash.to_string());
        self.write(move |conn| {
            let account_id: Option<AccountId> = conn
                .prepare_cached(
                    "UPDATE password_links SET used_ms = ?2 \
                     WHERE token_hash = ?1 AND used_ms IS NULL AND expires_ms > ?2 \
                     RETURNING account_id",
                )?
                .query_row(params![token_hash, now_ms], |r| r.get(0))
                .optional()?;
            let Some(id) = account_id else {
                return Ok(None);
            };
            conn.prepare_cached(
                "UPDATE accounts SET password_hash = ?2, failed_sign_ins = 0, \
                 throttled_until_ms = 0 WHERE id = ?1",
            )?
            .execute(params![id, hash])?;
            conn.prepare_cached("DELETE FROM account_sessions WHERE account_id = ?1")?
                .execute(params![id])?;
            one_account(
                conn,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                params![id],
            )
        })
    }

    fn claim_attempts(&self, session_id: &str, learner_id: AccountId) -> Result<u32, StoreError> {
        let session_id = session_id.to_string();
        self.write(move |conn| {
            let moved = conn
                .prepare_cached(
                    "UPDATE attempts SET learner_id = ?2 \
                     WHERE session_id = ?1 AND learner_id IS NULL",
                )?
                .execute(params![session_id, learner_id])?;
            Ok(moved as u32)
        })
    }

    fn learner_attempts(&self, learner_id: AccountId) -> Result<Vec<Attempt>, StoreError> {
        self.read(move |conn| {
            attempts_of(
                conn,
                concat!(
                    "SELECT ",
                    attempt_columns!(),
                    " FROM attempts WHERE learner_id = ?1 ORDER BY started_ms, token"
                ),
                params![learner_id],
            )
        })
    }

    fn create_class(&self, class: &NewClass) -> Result<Option<ClassId>, StoreError> {
        let class = class.clone();
        self.write(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO classes (name, owner_id, join_code, created_ms) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    class.name,
                    class.owner_id,
                    class.join_code,
                    class.created_ms
                ]);
            match inserted {
                Err(e) if is_unique_violation(&e) => return Ok(None),
                other => other?,
            };
            let id = conn.last_insert_rowid();
            insert_lessons(conn, id, &class.lessons)?;
            Ok(Some(id))
        })
    }

    fn class(&self, id: ClassId) -> Result<Option<Class>, StoreError> {
        self.read(move |conn| {
            Ok(classes_of(
                conn,
                &format!("SELECT {CLASS_COLUMNS} FROM classes WHERE id = ?1"),
                params![id],
            )?
            .pop())
        })
    }

    fn classes(&self, owner: Option<AccountId>) -> Result<Vec<Class>, StoreError> {
        self.read(move |conn| {
            classes_of(
                conn,
                &format!(
                    "SELECT {CLASS_COLUMNS} FROM classes WHERE ?1 IS NULL OR owner_id = ?1 \
                     OR id IN (SELECT class_id FROM class_teachers WHERE account_id = ?1) \
                     ORDER BY created_ms DESC, id DESC"
                ),
                params![owner],
            )
        })
    }

    fn class_by_code(&self, code: &str) -> Result<Option<Class>, StoreError> {
        let code = code.to_string();
        self.read(move |conn| {
            Ok(classes_of(
                conn,
                &format!("SELECT {CLASS_COLUMNS} FROM classes WHERE join_code = ?1"),
                params![code],
            )?
            .pop())
        })
    }

    fn set_join_code(&self, id: ClassId, code: Option<&str>) -> Result<bool, StoreError> {
        let code = code.map(str::to_string);
        self.write(move |conn| {
            match conn
                .prepare_cached("UPDATE classes SET join_code = ?2 WHERE id = ?1")?
                .execute(params![id, code])
            {
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
        let (name, lessons) = (name.to_string(), lessons.to_vec());
        self.write(move |conn| {
            conn.prepare_cached("UPDATE classes SET name = ?2 WHERE id = ?1")?
                .execute(params![id, name])?;
            conn.prepare_cached("DELETE FROM class_lessons WHERE class_id = ?1")?
                .execute(params![id])?;
            insert_lessons(conn, id, &lessons)
        })
    }

    fn join_class(
        &self,
        id: ClassId,
        learner_id: AccountId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.write(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO memberships (class_id, account_id, joined_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![id, learner_id, now_ms])?;
            Ok(inserted == 1)
        })
    }

    fn members(&self, id: ClassId) -> Result<Vec<Member>, StoreError> {
        self.read(move |conn| {
            let columns = ACCOUNT_COLUMNS
                .split(", ")
                .map(|c| format!("a.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            let query = format!(
                "SELECT {columns}, m.joined_ms, MAX(m.joined_ms, COALESCE(a.last_sign_in_ms, 0), \
                 COALESCE((SELECT MAX(MAX(t.started_ms, COALESCE(t.submitted_ms, 0))) \
                           FROM attempts t WHERE t.learner_id = a.id), 0)) \
                 FROM memberships m JOIN accounts a ON a.id = m.account_id \
                 WHERE m.class_id = ?1 ORDER BY a.display_name, a.username"
            );
            let mut stmt = conn.prepare_cached(&query)?;
            let rows = stmt.query_map(params![id], |r| {
                let account = account_from_row(r)?;
                Ok(account.map(|account| Member {
                    account,
                    joined_ms: r.get(9).unwrap_or_default(),
                    last_activity_ms: r.get(10).unwrap_or_default(),
                }))
            })?;
            let mut members = Vec::new();
            for row in rows {
                members.push(row??);
            }
            Ok(members)
        })
    }

    fn remove_member(&self, id: ClassId, learner_id: AccountId) -> Result<bool, StoreError> {
        self.write(move |conn| {
            let removed = conn
                .prepare_cached("DELETE FROM memberships WHERE class_id = ?1 AND account_id = ?2")?
                .execute(params![id, learner_id])?;
            Ok(removed == 1)
        })
    }

    fn learner_classes(&self, learner_id: AccountId) -> Result<Vec<Class>, StoreError> {
        self.read(move |conn| {
            classes_of(
                conn,
                "SELECT c.id, c.name, c.owner_id, c.join_code, c.created_ms FROM classes c \
                 JOIN memberships m ON m.class_id = c.id WHERE m.account_id = ?1 \
                 ORDER BY m.joined_ms, c.id",
                params![learner_id],
            )
        })
    }

    fn class_attempts(&self, id: ClassId) -> Result<Vec<Attempt>, StoreError> {
        self.read(move |conn| {
            attempts_of(
                conn,
                concat!(
                    "SELECT ",
                    attempt_columns!(),
                    " FROM attempts WHERE learner_id IN \
                     (SELECT account_id FROM memberships WHERE class_id = ?1) \
                     ORDER BY started_ms, token"
                ),
                params![id],
            )
        })
    }
}
