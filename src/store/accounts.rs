//! What the store keeps of accounts, sign-ins, one-time password links, classes and their
//! learners: the [`AccountStore`] trait both backends implement, and the records it returns.

use crate::accounts::{AccountId, ClassId, Role};

use super::{Attempt, StoreError};

/// An account as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    /// Lowercase, unique.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    pub created_ms: i64,
    pub last_sign_in_ms: Option<i64>,
    /// Wrong passwords in a row since the last sign-in.
    pub failed_sign_ins: u32,
    /// Sign-ins are refused until then (after too many wrong passwords in a row).
    pub throttled_until_ms: i64,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Already checked and lowercased ([`crate::accounts::Username`]).
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub created_ms: i64,
}

/// A lesson assigned to a class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassLesson {
    pub lesson_id: String,
    /// When it is due, if the educator set a date.
    pub due_ms: Option<i64>,
}

/// A class as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    pub id: ClassId,
    pub name: String,
    /// The educator who made it; `None` for the administrator (the educator token). Other
    /// teachers (an LMS course's other instructors) are in `class_teachers`.
    pub owner_id: Option<AccountId>,
    /// The join code without its dash; `None` while joining is closed.
    pub join_code: Option<String>,
    pub created_ms: i64,
    /// Assigned lessons in the educator's order.
    pub lessons: Vec<ClassLesson>,
}

/// A class to create.
#[derive(Debug, Clone)]
pub struct NewClass {
    pub name: String,
    pub owner_id: Option<AccountId>,
    pub join_code: String,
    pub created_ms: i64,
    pub lessons: Vec<ClassLesson>,
}

/// A learner of a class.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub account: Account,
    pub joined_ms: i64,
    /// The latest of joining, signing in, starting and submitting an attempt.
    pub last_activity_ms: i64,
}

/// Accounts, sign-ins and classes. Calls block, like [`super::Store`]'s.
pub trait AccountStore: Send + Sync {
    /// Creates an account; `Ok(None)` when the username is taken.
    fn create_account(&self, account: &NewAccount) -> Result<Option<AccountId>, StoreError>;
    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;
    fn account_by_username(&self, username: &str) -> Result<Option<Account>, StoreError>;
    /// Counts a wrong password; once `max_in_a_row` have come in a row, sign-ins are refused
    /// until `throttle_ms` after this one.
    fn record_failed_sign_in(
        &self,
        id: AccountId,
        now_ms: i64,
        max_in_a_row: u32,
        throttle_ms: i64,
    ) -> Result<(), StoreError>;
    /// Signs `account_id` in on the session whose id hashes to `session_hash`, until
    /// `expires_ms`; clears the count of wrong passwords and records the sign-in time.
    fn start_account_session(
        &self,
        session_hash: &str,
        account_id: AccountId,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError>;
    /// The account signed in on this session, unless the sign-in has expired.
    fn session_account(
        &self,
        session_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Account>, StoreError>;
    /// Signs the session out.
    fn end_account_session(&self, session_hash: &str) -> Result<(), StoreError>;
    /// Sets a new password hash and signs the account out everywhere but `keep_session_hash`.
    fn set_password(
        &self,
        id: AccountId,
        password_hash: &str,
        keep_session_hash: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Saves a one-time link (by its token's hash) to set `account_id`'s password.
    fn create_password_link(
        &self,
        token_hash: &str,
        account_id: AccountId,
        expires_ms: i64,
    ) -> Result<(), StoreError>;
    /// The account of an unused, unexpired link.
    fn password_link_account(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Account>, StoreError>;
    /// Uses the link once: when it is unused and unexpired, marks it used, sets the password
    /// and signs the account out everywhere, all in one transaction. `None`: the link was
    /// already used, expired or unknown, and nothing changed.
    fn use_password_link(
        &self,
        token_hash: &str,
        now_ms: i64,
        password_hash: &str,
    ) -> Result<Option<Account>, StoreError>;
    /// Moves the attempts a browser session made before signing in to the learner; returns
    /// how many moved.
    fn claim_attempts(&self, session_id: &str, learner_id: AccountId) -> Result<u32, StoreError>;
    /// Every attempt of a learner, oldest first.
    fn learner_attempts(&self, learner_id: AccountId) -> Result<Vec<Attempt>, StoreError>;

    /// Creates a class; `Ok(None)` when its join code is taken (choose another).
    fn create_class(&self, class: &NewClass) -> Result<Option<ClassId>, StoreError>;
    fn class(&self, id: ClassId) -> Result<Option<Class>, StoreError>;
    /// The classes `owner` made, or every class when `owner` is `None` (the administrator),
    /// newest first.
    fn classes(&self, owner: Option<AccountId>) -> Result<Vec<Class>, StoreError>;
    /// The class whose join code (without dash) this is, while joining is open.
    fn class_by_code(&self, code: &str) -> Result<Option<Class>, StoreError>;
    /// Sets (`Some`) or closes (`None`) the join code; `Ok(false)` when the code is taken.
    fn set_join_code(&self, id: ClassId, code: Option<&str>) -> Result<bool, StoreError>;
    /// Replaces the class's name and assigned lessons.
    fn update_class(
        &self,
        id: ClassId,
        name: &str,
        lessons: &[ClassLesson],
    ) -> Result<(), StoreError>;
    /// Adds a learner; `Ok(false)` when already a member.
    fn join_class(
        &self,
        id: ClassId,
        learner_id: AccountId,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// The class's learners, by display name.
    fn members(&self, id: ClassId) -> Result<Vec<Member>, StoreError>;
    /// Removes a learner (their account and attempts stay); `Ok(false)` when not a member.
    fn remove_member(&self, id: ClassId, learner_id: AccountId) -> Result<bool, StoreError>;
    /// The classes a learner is in, oldest first.
    fn learner_classes(&self, learner_id: AccountId) -> Result<Vec<Class>, StoreError>;
    /// Every attempt of the class's current learners, oldest first.
    fn class_attempts(&self, id: ClassId) -> Result<Vec<Attempt>, StoreError>;
}
