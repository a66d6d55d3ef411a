//! [`LtiStore`] on PostgreSQL (in progress: every call says so).

use super::PostgresStore;
use crate::accounts::{AccountId, ClassId};
use crate::store::{
    Account, Class, Login, LtiStore, NewAccount, NewPlatform, OwedGrade, Passback, Platform,
    PlatformId, StoreError, ToolKey,
};

fn pending<T>() -> Result<T, StoreError> {
    Err(StoreError::Unavailable(
        "LTI is not yet supported on PostgreSQL".into(),
    ))
}

impl LtiStore for PostgresStore {
    fn add_platform(&self, _p: &NewPlatform) -> Result<Option<PlatformId>, StoreError> {
        pending()
    }
    fn platforms(&self) -> Result<Vec<Platform>, StoreError> {
        pending()
    }
    fn platform(&self, _id: PlatformId) -> Result<Option<Platform>, StoreError> {
        pending()
    }
    fn remove_platform(&self, _issuer: &str, _client_id: &str) -> Result<bool, StoreError> {
        pending()
    }
    fn tool_keys(&self) -> Result<Vec<ToolKey>, StoreError> {
        pending()
    }
    fn add_tool_key(&self, _key: &ToolKey, _only_if_none: bool) -> Result<bool, StoreError> {
        pending()
    }
    fn start_login(&self, _s: &str, _l: &Login, _e: i64) -> Result<(), StoreError> {
        pending()
    }
    fn take_login(&self, _s: &str, _n: i64) -> Result<Option<Login>, StoreError> {
        pending()
    }
    fn lti_account(
        &self,
        _p: PlatformId,
        _s: &str,
        _n: &NewAccount,
    ) -> Result<Account, StoreError> {
        pending()
    }
    fn lti_class(
        &self,
        _p: PlatformId,
        _c: &str,
        _n: &str,
        _o: Option<AccountId>,
        _now: i64,
    ) -> Result<Class, StoreError> {
        pending()
    }
    fn set_grade_target(
        &self,
        _a: AccountId,
        _l: &str,
        _p: PlatformId,
        _u: &str,
        _s: &str,
    ) -> Result<(), StoreError> {
        pending()
    }
    fn claim_due_grades(&self, _n: i64, _l: i64, _m: u32) -> Result<Vec<OwedGrade>, StoreError> {
        pending()
    }
    fn grade_sent(&self, _g: &OwedGrade, _s: f64, _n: i64) -> Result<(), StoreError> {
        pending()
    }
    fn grade_not_sent(&self, _g: &OwedGrade, _e: &str, _r: Option<i64>) -> Result<(), StoreError> {
        pending()
    }
    fn class_passbacks(&self, _c: ClassId) -> Result<Vec<Passback>, StoreError> {
        pending()
    }
}
