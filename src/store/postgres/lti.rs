//! [`LtiStore`] on PostgreSQL, with the same behaviour as on SQLite. Several instances share
//! the database, so every check that must hold across them is in the database: a first key is
//! added under an advisory lock, a login is taken with `DELETE … RETURNING`, a user or course
//! seen for the first time by two instances at once ends as one row (`ON CONFLICT`), and a
//! grade is claimed by one instance only (`FOR UPDATE SKIP LOCKED`).

use postgres::Row;

use super::accounts::sql as account_sql;
use super::{PostgresStore, column};
use crate::accounts::{AccountId, ClassId};
use crate::store::{
    Account, Class, LOGIN_LIFETIME_MS, Login, LtiStore, NewAccount, NewPlatform, OwedGrade,
    Passback, Platform, PlatformId, StoreError, ToolKey,
};

/// Serialises adding the tool's first key across instances (an arbitrary constant).
const FIRST_KEY_LOCK: i64 = 0x006c_7469_5f6b_6579;

const PLATFORM_COLUMNS: &str =
    "id, issuer, client_id, auth_url, token_url, jwks_url, created_ms, token_audience";

fn platform_from_row(row: &Row) -> Result<Platform, StoreError> {
    Ok(Platform {
        id: column(row, 0)?,
        issuer: column(row, 1)?,
        client_id: column(row, 2)?,
        auth_url: column(row, 3)?,
        token_url: column(row, 4)?,
        jwks_url: column(row, 5)?,
        created_ms: column(row, 6)?,
        token_audience: column(row, 7)?,
        deployments: Vec::new(),
    })
}

fn owed_from_row(row: &Row) -> Result<OwedGrade, StoreError> {
    Ok(OwedGrade {
        lineitem_url: column(row, 0)?,
        subject: column(row, 1)?,
        platform_id: column(row, 2)?,
        account_id: column(row, 3)?,
        lesson_id: column(row, 4)?,
        version: column(row, 5)?,
        tries: column(row, 6)?,
    })
}

impl PostgresStore {
    fn platforms_where(
        &self,
        condition: &str,
        id: Option<PlatformId>,
    ) -> Result<Vec<Platform>, StoreError> {
        let query = format!("SELECT {PLATFORM_COLUMNS} FROM lti_platforms {condition} ORDER BY id");
        self.with_conn(|conn| {
            let rows = match id {
                Some(id) => conn.client.query(query.as_str(), &[&id])?,
                None => conn.client.query(query.as_str(), &[])?,
            };
            let mut platforms = rows
                .iter()
                .map(platform_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            for p in &mut platforms {
                p.deployments = conn
                    .client
                    .query(
                        "SELECT deployment_id FROM lti_deployments WHERE platform_id = $1 \
                         ORDER BY deployment_id",
                        &[&p.id],
                    )?
                    .iter()
                    .map(|r| column(r, 0))
                    .collect::<Result<_, _>>()?;
            }
            Ok(platforms)
        })
    }
}

impl LtiStore for PostgresStore {
    fn add_platform(&self, p: &NewPlatform) -> Result<Option<PlatformId>, StoreError> {
        self.with_conn(|conn| {
            let mut tx = conn.client.transaction()?;
            let row = tx.query_opt(
                "INSERT INTO lti_platforms (issuer, client_id, auth_url, token_url, jwks_url, created_ms, token_audience) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (issuer, client_id) DO NOTHING RETURNING id",
                &[&p.issuer, &p.client_id, &p.auth_url, &p.token_url, &p.jwks_url, &p.created_ms, &p.token_audience],
            )?;
            let Some(row) = row else { return Ok(None) };
            let id: PlatformId = column(&row, 0)?;
            for d in &p.deployments {
                tx.execute(
                    "INSERT INTO lti_deployments (platform_id, deployment_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&id, d],
                )?;
            }
            tx.commit()?;
            Ok(Some(id))
        })
    }

    fn platforms(&self) -> Result<Vec<Platform>, StoreError> {
        self.platforms_where("", None)
    }

    fn platform(&self, id: PlatformId) -> Result<Option<Platform>, StoreError> {
        Ok(self.platforms_where("WHERE id = $1", Some(id))?.pop())
    }

    fn remove_platform(&self, issuer: &str, client_id: &str) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            Ok(conn.client.execute(
                "DELETE FROM lti_platforms WHERE issuer = $1 AND client_id = $2",
                &[&issuer, &client_id],
            )? == 1)
        })
    }

    fn tool_keys(&self) -> Result<Vec<ToolKey>, StoreError> {
        self.with_conn(|conn| {
            conn.client
                .query(
                    "SELECT kid, private_pem, public_n, public_e, created_ms, retired_ms \
                     FROM lti_keys ORDER BY created_ms DESC, kid DESC",
                    &[],
                )?
                .iter()
                .map(|r| {
                    Ok(ToolKey {
                        kid: column(r, 0)?,
                        private_pem: column(r, 1)?,
                        public_n: column(r, 2)?,
                        public_e: column(r, 3)?,
                        created_ms: column(r, 4)?,
                        retired_ms: column(r, 5)?,
                    })
                })
                .collect()
        })
    }

    fn add_tool_key(&self, key: &ToolKey, only_if_none: bool) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            let mut tx = conn.client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FIRST_KEY_LOCK])?;
            if only_if_none {
                let any: bool = column(
                    &tx.query_one("SELECT EXISTS (SELECT 1 FROM lti_keys)", &[])?,
                    0,
                )?;
                if any {
                    return Ok(false);
                }
            }
            tx.execute(
                "UPDATE lti_keys SET retired_ms = $1 WHERE retired_ms IS NULL",
                &[&key.created_ms],
            )?;
            tx.execute(
                "INSERT INTO lti_keys (kid, private_pem, public_n, public_e, created_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &key.kid,
                    &key.private_pem,
                    &key.public_n,
                    &key.public_e,
                    &key.created_ms,
                ],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn start_login(
        &self,
        state_hash: &str,
        login: &Login,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let now = expires_ms - LOGIN_LIFETIME_MS;
            conn.client
                .execute("DELETE FROM lti_logins WHERE expires_ms <= $1", &[&now])?;
            conn.client.execute(
                "INSERT INTO lti_logins (state_hash, nonce, platform_id, params, expires_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &state_hash,
                    &login.nonce,
                    &login.platform_id,
                    &login.params,
                    &expires_ms,
                ],
            )?;
            Ok(())
        })
    }

    fn take_login(&self, state_hash: &str, now_ms: i64) -> Result<Option<Login>, StoreError> {
        self.with_conn(|conn| {
            let row = conn.client.query_opt(
                "DELETE FROM lti_logins WHERE state_hash = $1 \
                 RETURNING nonce, platform_id, params, expires_ms",
                &[&state_hash],
            )?;
            let Some(row) = row else { return Ok(None) };
            let expires: i64 = column(&row, 3)?;
            if expires <= now_ms {
                return Ok(None);
            }
            Ok(Some(Login {
                nonce: column(&row, 0)?,
                platform_id: column(&row, 1)?,
                params: column(&row, 2)?,
            }))
        })
    }

    fn lti_account(
        &self,
        platform_id: PlatformId,
        subject: &str,
        new: &NewAccount,
    ) -> Result<Account, StoreError> {
        self.with_conn(|conn| {
            let mut tx = conn.client.transaction()?;
            let known = tx.query_opt(
                "SELECT u.account_id FROM lti_users u JOIN lti_platforms p ON p.id = u.platform_id \
                 WHERE p.issuer = (SELECT issuer FROM lti_platforms WHERE id = $1) AND u.subject = $2 \
                 ORDER BY u.platform_id LIMIT 1",
                &[&platform_id, &subject],
            )?;
            let id: AccountId = match known {
                Some(row) => {
                    let id: AccountId = column(&row, 0)?;
                    tx.execute(
                        "UPDATE accounts SET display_name = $2, \
                         role = CASE WHEN $3::TEXT = 'educator' THEN 'educator' ELSE role END WHERE id = $1",
                        &[&id, &new.display_name, &new.role.as_str()],
                    )?;
                    id
                }
                None => {
                    // Two first launches at once: the username (a hash of issuer and sub) is
                    // unique, so the second insert finds the first's account.
                    let row = tx.query_one(
                        "INSERT INTO accounts (username, display_name, role, password_hash, created_ms) \
                         VALUES ($1, $2, $3, NULL, $4) \
                         ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name \
                         RETURNING id",
                        &[&new.username, &new.display_name, &new.role.as_str(), &new.created_ms],
                    )?;
                    let id: AccountId = column(&row, 0)?;
                    tx.execute(
                        "INSERT INTO lti_users (platform_id, subject, account_id) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                        &[&platform_id, &subject, &id],
                    )?;
                    id
                }
            };
            tx.commit()?;
            conn.one_account(account_sql::ACCOUNT, &[&id])?
                .ok_or_else(|| StoreError::Corrupt(format!("account {id} vanished")))
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
        self.with_conn(|conn| {
            let mut tx = conn.client.transaction()?;
            // One class per course, even when two instances see its first launch at once.
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1::TEXT || ' ' || $2::TEXT))",
                &[&platform_id.to_string(), &context_id],
            )?;
            let known = tx.query_opt(
                "SELECT class_id FROM lti_contexts WHERE platform_id = $1 AND context_id = $2",
                &[&platform_id, &context_id],
            )?;
            let id: ClassId = match known {
                Some(row) => {
                    let id: ClassId = column(&row, 0)?;
                    tx.execute(
                        "UPDATE classes SET owner_id = $2 WHERE id = $1 AND owner_id IS NULL",
                        &[&id, &owner_id],
                    )?;
                    tx.execute(
                        "INSERT INTO class_teachers (class_id, account_id) SELECT id, $2::BIGINT \
                         FROM classes WHERE id = $1 AND $2::BIGINT IS NOT NULL AND owner_id <> $2::BIGINT \
                         ON CONFLICT DO NOTHING",
                        &[&id, &owner_id],
                    )?;
                    id
                }
                None => {
                    let row = tx.query_one(
                        "INSERT INTO classes (name, owner_id, join_code, created_ms) \
                         VALUES ($1, $2, NULL, $3) RETURNING id",
                        &[&name, &owner_id, &now_ms],
                    )?;
                    let id: ClassId = column(&row, 0)?;
                    tx.execute(
                        "INSERT INTO lti_contexts (platform_id, context_id, class_id) VALUES ($1, $2, $3)",
                        &[&platform_id, &context_id, &id],
                    )?;
                    id
                }
            };
            tx.commit()?;
            conn.classes(account_sql::CLASS, &[&id])?
                .pop()
                .ok_or_else(|| StoreError::Corrupt(format!("class {id} vanished")))
        })
    }

    fn co_teaches(&self, class_id: ClassId, account_id: AccountId) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            column(
                &conn.client.query_one(
                    "SELECT EXISTS (SELECT 1 FROM class_teachers WHERE class_id = $1 AND account_id = $2)",
                    &[&class_id, &account_id],
                )?,
                0,
            )
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
        self.with_conn(|conn| {
            conn.client.execute(
                "INSERT INTO lti_grade_targets (account_id, lesson_id, platform_id, lineitem_url, subject) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, lesson_id, lineitem_url) \
                 DO UPDATE SET platform_id = EXCLUDED.platform_id, subject = EXCLUDED.subject",
                &[&account_id, &lesson_id, &platform_id, &lineitem_url, &subject],
            )?;
            Ok(())
        })
    }

    fn claim_due_grades(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<OwedGrade>, StoreError> {
        let limit = i64::from(limit);
        self.with_conn(|conn| {
            conn.client
                .query(
                    "UPDATE lti_outbox SET next_try_ms = $2 WHERE (lineitem_url, subject) IN \
                     (SELECT lineitem_url, subject FROM lti_outbox WHERE pending = 1 AND next_try_ms <= $1 \
                      ORDER BY next_try_ms LIMIT $3 FOR UPDATE SKIP LOCKED) \
                     RETURNING lineitem_url, subject, platform_id, account_id, lesson_id, version, tries",
                    &[&now_ms, &lease_until_ms, &limit],
                )?
                .iter()
                .map(owed_from_row)
                .collect()
        })
    }

    fn grade_sent(&self, grade: &OwedGrade, score: f64, now_ms: i64) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            conn.client.execute(
                "UPDATE lti_outbox SET pending = CASE WHEN version <> $3 THEN 1 ELSE 0 END, tries = 0, \
                 last_error = NULL, sent_score = $4, sent_ms = $5, next_try_ms = $5 \
                 WHERE lineitem_url = $1 AND subject = $2",
                &[&grade.lineitem_url, &grade.subject, &grade.version, &score, &now_ms],
            )?;
            Ok(())
        })
    }

    fn grade_not_sent(
        &self,
        grade: &OwedGrade,
        error: &str,
        retry_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            match retry_at_ms {
                Some(at) => conn.client.execute(
                    "UPDATE lti_outbox SET tries = tries + 1, last_error = $3, next_try_ms = $4 \
                     WHERE lineitem_url = $1 AND subject = $2",
                    &[&grade.lineitem_url, &grade.subject, &error, &at],
                )?,
                None => conn.client.execute(
                    "UPDATE lti_outbox SET tries = tries + 1, last_error = $3, \
                     failed = CASE WHEN version = $4 THEN 1 ELSE 0 END, \
                     pending = CASE WHEN version <> $4 THEN 1 ELSE 0 END \
                     WHERE lineitem_url = $1 AND subject = $2",
                    &[&grade.lineitem_url, &grade.subject, &error, &grade.version],
                )?,
            };
            Ok(())
        })
    }

    fn class_passbacks(&self, class_id: ClassId) -> Result<Vec<Passback>, StoreError> {
        self.with_conn(|conn| {
            conn.client
                .query(
                    "SELECT o.account_id, o.lesson_id, o.pending, o.failed, o.tries, o.next_try_ms, \
                     o.last_error, o.sent_score, o.sent_ms FROM lti_outbox o \
                     JOIN memberships m ON m.account_id = o.account_id AND m.class_id = $1 \
                     ORDER BY o.account_id, o.lesson_id",
                    &[&class_id],
                )?
                .iter()
                .map(|r| {
                    Ok(Passback {
                        account_id: column(r, 0)?,
                        lesson_id: column(r, 1)?,
                        pending: column::<i64>(r, 2)? != 0,
                        failed: column::<i64>(r, 3)? != 0,
                        tries: column(r, 4)?,
                        next_try_ms: column(r, 5)?,
                        last_error: column(r, 6)?,
                        sent_score: column(r, 7)?,
                        sent_ms: column(r, 8)?,
                    })
                })
                .collect()
        })
    }
}
