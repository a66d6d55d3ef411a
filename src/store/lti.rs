//! What the store keeps for LTI 1.3: platform registrations, the tool's keys, logins in
//! flight, LMS users and courses mapped to accounts and classes, and the outbox of grades owed
//! to platforms. The [`LtiStore`] trait both backends implement, and its records.

use crate::accounts::{AccountId, ClassId};

use super::{Account, Class, NewAccount, StoreError};

/// How long a login may take from `/lti/login` to `/lti/launch`; the store sweeps logins
/// that expired this long before a new one.
pub const LOGIN_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// A platform's row id.
pub type PlatformId = i64;

/// A registered platform (an LMS installation, as one client id).
#[derive(Debug, Clone, PartialEq)]
pub struct Platform {
    pub id: PlatformId,
    pub issuer: String,
    pub client_id: String,
    /// OIDC authorisation endpoint: where a login is redirected.
    pub auth_url: String,
    /// OAuth 2 token endpoint: where the tool asks for an access token for grades.
    pub token_url: String,
    /// The platform's public keys.
    pub jwks_url: String,
    /// The audience of the tool's client assertion, when not the token URL (Brightspace).
    pub token_audience: Option<String>,
    pub deployments: Vec<String>,
    pub created_ms: i64,
}

/// A platform to register.
#[derive(Debug, Clone)]
pub struct NewPlatform {
    pub issuer: String,
    pub client_id: String,
    pub auth_url: String,
    pub token_url: String,
    pub jwks_url: String,
    pub token_audience: Option<String>,
    pub deployments: Vec<String>,
    pub created_ms: i64,
}

/// One of the tool's RSA key pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolKey {
    pub kid: String,
    /// PKCS#8 PEM.
    pub private_pem: String,
    /// The JWK's base64url `n` and `e`.
    pub public_n: String,
    pub public_e: String,
    pub created_ms: i64,
    /// When a newer key replaced it.
    pub retired_ms: Option<i64>,
}

/// A login in flight, as the launch finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    pub nonce: String,
    pub platform_id: PlatformId,
    /// The login request's parameters (JSON), to start it again in a new tab.
    pub params: String,
}

/// A grade owed to a platform's line item, claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct OwedGrade {
    pub lineitem_url: String,
    /// The LMS user (`sub`) the score is for.
    pub subject: String,
    pub platform_id: PlatformId,
    pub account_id: AccountId,
    pub lesson_id: String,
    /// Moves whenever a new submission makes the grade owed again.
    pub version: i64,
    /// Failed sends so far.
    pub tries: i64,
}

/// A grade passback as the educator's class page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Passback {
    pub account_id: AccountId,
    pub lesson_id: String,
    pub pending: bool,
    /// Refused for good by the platform (not retried until the next submission).
    pub failed: bool,
    pub tries: i64,
    pub next_try_ms: i64,
    pub last_error: Option<String>,
    pub sent_score: Option<f64>,
    pub sent_ms: Option<i64>,
}

/// LTI state. Calls block, like [`super::Store`]'s.
pub trait LtiStore: Send + Sync {
    /// Registers a platform; `Ok(None)` when that issuer and client id are already registered.
    fn add_platform(&self, platform: &NewPlatform) -> Result<Option<PlatformId>, StoreError>;
    /// Every registered platform, oldest first.
    fn platforms(&self) -> Result<Vec<Platform>, StoreError>;
    fn platform(&self, id: PlatformId) -> Result<Option<Platform>, StoreError>;
    /// Removes a registration (and what hangs on it); whether there was one.
    fn remove_platform(&self, issuer: &str, client_id: &str) -> Result<bool, StoreError>;

    /// Every key of the tool, newest first.
    fn tool_keys(&self) -> Result<Vec<ToolKey>, StoreError>;
    /// Adds a key and retires every older one at its creation time. With `only_if_none`, adds
    /// it only when the tool has no key yet (the first use, perhaps on several instances at
    /// once); answers whether it was added.
    fn add_tool_key(&self, key: &ToolKey, only_if_none: bool) -> Result<bool, StoreError>;

    /// Records a login in flight (the state's hash) until `expires_ms`.
    fn start_login(
        &self,
        state_hash: &str,
        login: &Login,
        expires_ms: i64,
    ) -> Result<(), StoreError>;
    /// Takes the login once: it is deleted, and returned only if it had not expired.
    fn take_login(&self, state_hash: &str, now_ms: i64) -> Result<Option<Login>, StoreError>;

    /// The account of the platform's user `subject`, created from `new` at first sight; the
    /// display name is refreshed from `new` each time, and an educator role is kept once given.
    /// A user is the issuer and `sub`: the same person under another registration (client id)
    /// of the same issuer has the same account.
    fn lti_account(
        &self,
        platform_id: PlatformId,
        subject: &str,
        new: &NewAccount,
    ) -> Result<Account, StoreError>;
    /// The class of the platform's course `context_id`, created (closed to join codes) at
    /// first sight with `name` and `owner_id`; an owner is set when the class has none, and
    /// another instructor becomes one of its teachers.
    fn lti_class(
        &self,
        platform_id: PlatformId,
        context_id: &str,
        name: &str,
        owner_id: Option<AccountId>,
        now_ms: i64,
    ) -> Result<Class, StoreError>;
    /// Whether the account teaches the class without owning it.
    fn co_teaches(&self, class_id: ClassId, account_id: AccountId) -> Result<bool, StoreError>;
    /// Records that `account_id`'s grade on `lesson_id` goes to that line item for `subject`.
    fn set_grade_target(
        &self,
        account_id: AccountId,
        lesson_id: &str,
        platform_id: PlatformId,
        lineitem_url: &str,
        subject: &str,
    ) -> Result<(), StoreError>;

    /// Claims up to `limit` grades due by `now_ms` for sending: they are not due again before
    /// `lease_until_ms`, so another instance does not send them at the same time.
    fn claim_due_grades(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<OwedGrade>, StoreError>;
    /// The platform has the grade: not owed any more, unless a submission moved `version`.
    fn grade_sent(&self, grade: &OwedGrade, score: f64, now_ms: i64) -> Result<(), StoreError>;
    /// Sending failed: retried at `retry_at_ms`, or, with `None`, refused for good.
    fn grade_not_sent(
        &self,
        grade: &OwedGrade,
        error: &str,
        retry_at_ms: Option<i64>,
    ) -> Result<(), StoreError>;
    /// The passbacks of a class's learners.
    fn class_passbacks(&self, class_id: ClassId) -> Result<Vec<Passback>, StoreError>;
}
