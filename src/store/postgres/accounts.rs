//! [`AccountStore`] on PostgreSQL (in progress: every call says so).

use super::PostgresStore;
use crate::accounts::{AccountId, ClassId};
use crate::store::{
    Account, AccountStore, Attempt, Class, ClassLesson, Member, NewAccount, NewClass, StoreError,
};

fn pending<T>() -> Result<T, StoreError> {
    Err(StoreError::Unavailable(
        "accounts and classes are not yet supported on PostgreSQL".into(),
    ))
}

impl AccountStore for PostgresStore {
    fn create_account(&self, _account: &NewAccount) -> Result<Option<AccountId>, StoreError> {
        pending()
    }
    fn account(&self, _id: AccountId) -> Result<Option<Account>, StoreError> {
        pending()
    }
    fn account_by_username(&self, _username: &str) -> Result<Option<Account>, StoreError> {
        pending()
    }
    fn record_failed_sign_in(
        &self,
        _id: AccountId,
        _now_ms: i64,
        _max_in_a_row: u32,
        _throttle_ms: i64,
    ) -> Result<(), StoreError> {
        pending()
    }
    fn start_account_session(
        &self,
        _session_hash: &str,
        _account_id: AccountId,
        _now_ms: i64,
        _expires_ms: i64,
    ) -> Result<(), StoreError> {
        pending()
    }
    fn session_account(
        &self,
        _session_hash: &str,
        _now_ms: i64,
    ) -> Result<Option<Account>, StoreError> {
        pending()
    }
    fn end_account_session(&self, _session_hash: &str) -> Result<(), StoreError> {
        pending()
    }
    fn set_password(
        &self,
        _id: AccountId,
        _password_hash: &str,
        _keep_session_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        pending()
    }
    fn create_password_link(
        &self,
        _token_hash: &str,
        _account_id: AccountId,
        _expires_ms: i64,
    ) -> Result<(), StoreError> {
        pending()
    }
    fn password_link_account(
        &self,
        _token_hash: &str,
        _now_ms: i64,
    ) -> Result<Option<Account>, StoreError> {
        pending()
    }
    fn use_password_link(
        &self,
        _token_hash: &str,
        _now_ms: i64,
        _password_hash: &str,
    ) -> Result<Option<Account>, StoreError> {
        pending()
    }
    fn claim_attempts(&self, _session_id: &str, _learner_id: AccountId) -> Result<u32, StoreError> {
        pending()
    }
    fn learner_attempts(&self, _learner_id: AccountId) -> Result<Vec<Attempt>, StoreError> {
        pending()
    }
    fn create_class(&self, _class: &NewClass) -> Result<Option<ClassId>, StoreError> {
        pending()
    }
    fn class(&self, _id: ClassId) -> Result<Option<Class>, StoreError> {
        pending()
    }
    fn classes(&self, _owner: Option<AccountId>) -> Result<Vec<Class>, StoreError> {
        pending()
    }
    fn class_by_code(&self, _code: &str) -> Result<Option<Class>, StoreError> {
        pending()
    }
    fn set_join_code(&self, _id: ClassId, _code: Option<&str>) -> Result<bool, StoreError> {
        pending()
    }
    fn update_class(
        &self,
        _id: ClassId,
        _name: &str,
        _lessons: &[ClassLesson],
    ) -> Result<(), StoreError> {
        pending()
    }
    fn join_class(
        &self,
        _id: ClassId,
        _learner_id: AccountId,
        _now_ms: i64,
    ) -> Result<bool, StoreError> {
        pending()
    }
    fn members(&self, _id: ClassId) -> Result<Vec<Member>, StoreError> {
        pending()
    }
    fn remove_member(&self, _id: ClassId, _learner_id: AccountId) -> Result<bool, StoreError> {
        pending()
    }
    fn learner_classes(&self, _learner_id: AccountId) -> Result<Vec<Class>, StoreError> {
        pending()
    }
    fn class_attempts(&self, _id: ClassId) -> Result<Vec<Attempt>, StoreError> {
        pending()
    }
}
