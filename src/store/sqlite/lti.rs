//! [`LtiStore`] on SQLite: writes go through the writer thread's group commit.

use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::accounts::{ACCOUNT_COLUMNS, CLASS_COLUMNS, classes_of, one_account};
use crate::accounts::{AccountId, ClassId};
use crate::store::{
    Account, Class, LOGIN_LIFETIME_MS, Login, LtiStore, NewAccount, NewPlatform, OwedGrade,
    Passback, Platform, PlatformId, StoreError, ToolKey,
};

const PLATFORM_COLUMNS: &str =
    "id, issuer, client_id, auth_url, token_url, jwks_url, created_ms, token_audience";

fn platforms_of(
    conn: &Connection,
    query: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Platform>, StoreError> {
    let mut platforms = conn
        .prepare_cached(query)?
        .query_map(params, |r| {
            Ok(Platform {
                id: r.get(0)?,
                issuer: r.get(1)?,
                client_id: r.get(2)?,
                auth_url: r.get(3)?,
                token_url: r.get(4)?,
                jwks_url: r.get(5)?,
                created_ms: r.get(6)?,
                token_audience: r.get(7)?,
                deployments: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut deployments = conn.prepare_cached(
        "SELECT deployment_id FROM lti_deployments WHERE platform_id = ?1 ORDER BY deployment_id",
    )?;
    for platform in &mut platforms {
        platform.deployments = deployments
            .query_map(params![platform.id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(platforms)
}

fn account_by_id(conn: &Connection, id: AccountId) -> Result<Account, StoreError> {
    one_account(
        conn,
        &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
        params![id],
    )?
    .ok_or_else(|| StoreError::Corrupt(format!("account {id} vanished")))
}

impl LtiStore for SqliteStore {
    fn add_platform(&self, p: &NewPlatform) -> Result<Option<PlatformId>, StoreError> {
        let p = p.clone();
        self.write(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO lti_platforms (issuer, client_id, auth_url, token_url, jwks_url, created_ms, token_audience) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (issuer, client_id) DO NOTHING",
                )?
                .execute(params![
                    p.issuer,
                    p.client_id,
                    p.auth_url,
                    p.token_url,
                    p.jwks_url,
                    p.created_ms,
                    p.token_audience
                ])?;
            if inserted == 0 {
                return Ok(None);
            }
            let id = conn.last_insert_rowid();
            let mut add = conn.prepare_cached(
                "INSERT INTO lti_deployments (platform_id, deployment_id) VALUES (?1, ?2) \
                 ON CONFLICT DO NOTHING",
            )?;
            for deployment in &p.deployments {
                add.execute(params![id, deployment])?;
            }
            Ok(Some(id))
        })
    }

    fn platforms(&self) -> Result<Vec<Platform>, StoreError> {
        self.read(|conn| {
            platforms_of(
                conn,
                &format!("SELECT {PLATFORM_COLUMNS} FROM lti_platforms ORDER BY id"),
                [],
            )
        })
    }

    fn platform(&self, id: PlatformId) -> Result<Option<Platform>, StoreError> {
        self.read(move |conn| {
            Ok(platforms_of(
                conn,
                &format!("SELECT {PLATFORM_COLUMNS} FROM lti_platforms WHERE id = ?1"),
                params![id],
            )?
            .pop())
        })
    }

    fn remove_platform(&self, issuer: &str, client_id: &str) -> Result<bool, StoreError> {
        let (issuer, client_id) = (issuer.to_string(), client_id.to_string());
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM lti_platforms WHERE issuer = ?1 AND client_id = ?2")?
                .execute(params![issuer, client_id])?
                == 1)
        })
    }

    fn tool_keys(&self) -> Result<Vec<ToolKey>, StoreError> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT kid, private_pem, public_n, public_e, created_ms, retired_ms \
                     FROM lti_keys ORDER BY created_ms DESC, kid DESC",
                )?
                .query_map([], |r| {
                    Ok(ToolKey {
                        kid: r.get(0)?,
                        private_pem: r.get(1)?,
                        public_n: r.get(2)?,
                        public_e: r.get(3)?,
                        created_ms: r.get(4)?,
                        retired_ms: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn add_tool_key(&self, key: &ToolKey, only_if_none: bool) -> Result<bool, StoreError> {
        let key = key.clone();
        self.write(move |conn| {
            if only_if_none {
                let any: bool = conn
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM lti_keys)")?
                    .query_row([], |r| r.get(0))?;
                if any {
                    return Ok(false);
                }
            }
            conn.prepare_cached("UPDATE lti_keys SET retired_ms = ?1 WHERE retired_ms IS NULL")?
                .execute(params![key.created_ms])?;
            conn.prepare_cached(
                "INSERT INTO lti_keys (kid, private_pem, public_n, public_e, created_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                key.kid,
                key.private_pem,
                key.public_n,
                key.public_e,
                key.created_ms
            ])?;
            Ok(true)
        })
    }

    fn start_login(
        &self,
        state_hash: &str,
        login: &Login,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        let (state_hash, login) = (state_hash.to_string(), login.clone());
        self.write(move |conn| {
            // Logins that were never completed go when they expire.
            conn.prepare_cached("DELETE FROM lti_logins WHERE expires_ms <= ?1")?
                .execute(params![expires_ms - LOGIN_LIFETIME_MS])?;
            conn.prepare_cached(
                "INSERT INTO lti_logins (state_hash, nonce, platform_id, params, expires_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                state_hash,
                login.nonce,
                login.platform_id,
                login.params,
                expires_ms
            ])?;
            Ok(())
        })
    }

    fn take_login(&self, state_hash: &str, now_ms: i64) -> Result<Option<Login>, StoreError> {
        let state_hash = state_hash.to_string();
        self.write(move |conn| {
            let row = conn
                .prepare_cached(
                    "DELETE FROM lti_logins WHERE state_hash = ?1 \
                     RETURNING nonce, platform_id, params, expires_ms",
                )?
                .query_row(params![state_hash], |r| {
                    Ok((
                        Login {
                            nonce: r.get(0)?,
                            platform_id: r.get(1)?,
                            params: r.get(2)?,
                        },
                        r.get::<_, i64>(3)?,
                    ))
                })
                .optional()?;
            Ok(row.and_then(|(login, expires_ms)| (expires_ms > now_ms).then_some(login)))
        })
    }

    fn lti_account(
        &self,
        platform_id: PlatformId,
        subject: &str,
        new: &NewAccount,
    ) -> Result<Account, StoreError> {
        let (subject, new) = (subject.to_string(), new.clone());
        self.write(move |conn| {
            let known: Option<AccountId> = conn
                .prepare_cached(
                    // The same person (issuer + sub) under any registration of that issuer.
                    "SELECT u.account_id FROM lti_users u JOIN lti_platforms p ON p.id = u.platform_id \
                     WHERE p.issuer = (SELECT issuer FROM lti_platforms WHERE id = ?1) AND u.subject = ?2 \
                     ORDER BY u.platform_id LIMIT 1",
                )?
                .query_row(params![platform_id, subject], |r| r.get(0))
                .optional()?;
            let id = match known {
                Some(id) => {
                    // Someone who teaches in any course of the platform gets the educator views.
                    conn.prepare_cached(
                        "UPDATE accounts SET display_name = ?2, \
                         role = CASE WHEN ?3 = 'educator' THEN 'educator' ELSE role END WHERE id = ?1",
                    )?
                    .execute(params![id, new.display_name, new.role.as_str()])?;
                    id
                }
                None => {
                    conn.prepare_cached(
                        "INSERT INTO accounts (username, display_name, role, password_hash, created_ms) \
                         VALUES (?1, ?2, ?3, NULL, ?4)",
                    )?
                    .execute(params![
                        new.username,
                        new.display_name,
                        new.role.as_str(),
                        new.created_ms
                    ])?;
                    let id = conn.last_insert_rowid();
                    conn.prepare_cached(
                        "INSERT INTO lti_users (platform_id, subject, account_id) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![platform_id, subject, id])?;
                    id
                }
            };
            account_by_id(conn, id)
        })
    }

    fn lti_class(
        &self,
        platform_id: PlatformId,
        context_id: &str,
        name: &str,
        owner_id: Option<AccountId>,
        now_ms: i64,
    ) -> Result<Class, StoreError> {
        let (context_id, name) = (context_id.to_string(), name.to_string());
        self.write(move |conn| {
            let known: Option<ClassId> = conn
                .prepare_cached(
                    "SELECT class_id FROM lti_contexts WHERE platform_id = ?1 AND context_id = ?2",
                )?
                .query_row(params![platform_id, context_id], |r| r.get(0))
                .optional()?;
            let id = match known {
                Some(id) => {
                    conn.prepare_cached(
                        "UPDATE classes SET owner_id = ?2 WHERE id = ?1 AND owner_id IS NULL",
                    )?
                    .execute(params![id, owner_id])?;
                    conn.prepare_cached(
                        "INSERT INTO class_teachers (class_id, account_id) SELECT id, ?2 FROM classes \
                         WHERE id = ?1 AND ?2 IS NOT NULL AND owner_id <> ?2 ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![id, owner_id])?;
                    id
                }
                None => {
                    // The LMS manages who is in the course: no join code.
                    conn.prepare_cached(
                        "INSERT INTO classes (name, owner_id, join_code, created_ms) VALUES (?1, ?2, NULL, ?3)",
                    )?
                    .execute(params![name, owner_id, now_ms])?;
                    let id = conn.last_insert_rowid();
                    conn.prepare_cached(
                        "INSERT INTO lti_contexts (platform_id, context_id, class_id) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![platform_id, context_id, id])?;
                    id
                }
            };
            classes_of(
                conn,
                &format!("SELECT {CLASS_COLUMNS} FROM classes WHERE id = ?1"),
                params![id],
            )?
            .pop()
            .ok_or_else(|| StoreError::Corrupt(format!("class {id} vanished")))
        })
    }

    fn co_teaches(&self, class_id: ClassId, account_id: AccountId) -> Result<bool, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM class_teachers WHERE class_id = ?1 AND account_id = ?2)",
                )?
                .query_row(params![class_id, account_id], |r| r.get(0))?)
        })
    }

    fn set_grade_target(
        &self,
        account_id: AccountId,
        lesson_id: &str,
        platform_id: PlatformId,
        lineitem_url: &str,
        subject: &str,
    ) -> Result<(), StoreError> {
        let (lesson_id, lineitem_url, subject) = (
            lesson_id.to_string(),
            lineitem_url.to_string(),
            subject.to_string(),
        );
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO lti_grade_targets (account_id, lesson_id, platform_id, lineitem_url, subject) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account_id, lesson_id, lineitem_url) \
                 DO UPDATE SET platform_id = excluded.platform_id, subject = excluded.subject",
            )?
            .execute(params![account_id, lesson_id, platform_id, lineitem_url, subject])?;
            Ok(())
        })
    }

    fn claim_due_grades(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<OwedGrade>, StoreError> {
        // Asked every second: a read first, so an idle server never queues a write.
        let due: bool = self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM lti_outbox WHERE pending = 1 AND next_try_ms <= ?1)",
                )?
                .query_row(params![now_ms], |r| r.get(0))?)
        })?;
        if !due {
            return Ok(Vec::new());
        }
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "UPDATE lti_outbox SET next_try_ms = ?2 WHERE (lineitem_url, subject) IN \
                     (SELECT lineitem_url, subject FROM lti_outbox WHERE pending = 1 AND next_try_ms <= ?1 \
                      ORDER BY next_try_ms LIMIT ?3) \
                     RETURNING lineitem_url, subject, platform_id, account_id, lesson_id, version, tries",
                )?
                .query_map(params![now_ms, lease_until_ms, limit], |r| {
                    Ok(OwedGrade {
                        lineitem_url: r.get(0)?,
                        subject: r.get(1)?,
                        platform_id: r.get(2)?,
                        account_id: r.get(3)?,
                        lesson_id: r.get(4)?,
                        version: r.get(5)?,
                        tries: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn grade_sent(&self, grade: &OwedGrade, score: f64, now_ms: i64) -> Result<(), StoreError> {
        let grade = grade.clone();
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE lti_outbox SET pending = (version <> ?3), tries = 0, last_error = NULL, \
                 sent_score = ?4, sent_ms = ?5, next_try_ms = ?5 \
                 WHERE lineitem_url = ?1 AND subject = ?2",
            )?
            .execute(params![
                grade.lineitem_url,
                grade.subject,
                grade.version,
                score,
                now_ms
            ])?;
            Ok(())
        })
    }

    fn grade_not_sent(
        &self,
        grade: &OwedGrade,
        error: &str,
        retry_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let (grade, error) = (grade.clone(), error.to_string());
        self.write(move |conn| {
            match retry_at_ms {
                Some(at) => conn
                    .prepare_cached(
                        "UPDATE lti_outbox SET tries = tries + 1, last_error = ?3, next_try_ms = ?4 \
                         WHERE lineitem_url = ?1 AND subject = ?2",
                    )?
                    .execute(params![grade.lineitem_url, grade.subject, error, at])?,
                // Refused for good, unless a newer submission made it owed again meanwhile.
                None => conn
                    .prepare_cached(
                        "UPDATE lti_outbox SET tries = tries + 1, last_error = ?3, \
                         failed = (version = ?4), pending = (version <> ?4) \
                         WHERE lineitem_url = ?1 AND subject = ?2",
                    )?
                    .execute(params![
                        grade.lineitem_url,
                        grade.subject,
                        error,
                        grade.version
                    ])?,
            };
            Ok(())
        })
    }

    fn class_passbacks(&self, class_id: ClassId) -> Result<Vec<Passback>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT o.account_id, o.lesson_id, o.pending, o.failed, o.tries, o.next_try_ms, \
                     o.last_error, o.sent_score, o.sent_ms FROM lti_outbox o \
                     JOIN memberships m ON m.account_id = o.account_id AND m.class_id = ?1 \
                     ORDER BY o.account_id, o.lesson_id",
                )?
                .query_map(params![class_id], |r| {
                    Ok(Passback {
                        account_id: r.get(0)?,
                        lesson_id: r.get(1)?,
                        pending: r.get(2)?,
                        failed: r.get(3)?,
                        tries: r.get(4)?,
                        next_try_ms: r.get(5)?,
                        last_error: r.get(6)?,
                        sent_score: r.get(7)?,
                        sent_ms: r.get(8)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
        })
    }
}
