//! Sending the grades owed in the store's outbox (`lti_outbox`). A submission marks a grade
//! owed in its own transaction; this computes the learner's grade at the time of sending, by
//! the quiz's grading method, so the platform always gets the latest; failures are retried
//! with exponential backoff, across restarts, because the outbox is in the database.

use std::sync::Arc;

use super::client::{PlatformClient, Score, SendError};
use crate::catalog::Catalog;
use crate::lesson::GradingMethod;
use crate::quiz::gradebook::{self, Tried};
use crate::store::{OwedGrade, Store, StoreError};

/// Grades claimed per round.
const BATCH: u32 = 50;
/// How long a claimed grade is left alone by other instances while this one sends it.
const LEASE_MS: i64 = 2 * 60 * 1000;
/// Backoff after the n-th failure: 5 s, 10 s, 20 s … at most an hour.
const FIRST_RETRY_MS: i64 = 5_000;
const LAST_RETRY_MS: i64 = 60 * 60 * 1000;

/// When to try again after `tries` failures (counting this one).
pub fn retry_delay_ms(tries: i64) -> i64 {
    let doublings = tries.clamp(1, 20) - 1;
    (FIRST_RETRY_MS << doublings).min(LAST_RETRY_MS)
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub refused: usize,
}

/// The grade (percent) the learner's submitted attempts on the lesson make, by its quiz's
/// grading method (highest when the lesson is gone); the latest submission time too.
fn current_grade(
    store: &dyn Store,
    catalog: &Catalog,
    owed: &OwedGrade,
) -> Result<Option<(f64, i64)>, StoreError> {
    let tries: Vec<Tried> = store
        .accounts()
        .learner_attempts(owed.account_id)?
        .into_iter()
        .filter(|a| a.attempt.lesson_id == owed.lesson_id && !a.attempt.practice)
        .filter_map(|a| {
            let s = a.submission?;
            Some(Tried {
                submitted_ms: s.submitted_ms,
                percent: s.score.percent(),
            })
        })
        .collect();
    let method = catalog
        .lesson(&owed.lesson_id)
        .and_then(|l| l.quiz.as_ref().map(|q| q.grading))
        .unwrap_or(GradingMethod::Highest);
    let latest = tries.iter().map(|t| t.submitted_ms).max();
    Ok(gradebook::grade(method, &tries, None)
        .zip(latest)
        .map(|(g, at)| (g.percent, at)))
}

/// RFC 3339 in UTC with milliseconds.
fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{t:.3}"))
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// Claims the grades due now and sends each; returns what happened. Store errors end the
/// round early (the grades stay owed).
pub async fn send_due(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    client: &PlatformClient,
    now_ms: i64,
) -> Result<Round, StoreError> {
    let claimed = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            store
                .lti()
                .claim_due_grades(now_ms, now_ms + LEASE_MS, BATCH)
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))??
    };
    let mut round = Round::default();
    for owed in claimed {
        let (prepared, owed) = {
            let (store, catalog) = (store.clone(), catalog.clone());
            tokio::task::spawn_blocking(move || {
                let platform = store.lti().platform(owed.platform_id)?;
                let key = super::keys::ensure_current(store.as_ref(), now_ms)?;
                let grade = current_grade(store.as_ref(), &catalog, &owed)?;
                Ok::<_, StoreError>(((platform, key, grade), owed))
            })
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
        }?;
        let (platform, key, grade) = prepared;
        let outcome = match (platform, grade) {
            (None, _) => Err(SendError::Refused(
                "the platform is no longer registered".into(),
            )),
            // Nothing submitted counts (only practice): nothing to send.
            (_, None) => Ok(None),
            (Some(platform), Some((percent, at))) => {
                let score = Score {
                    user_id: owed.subject.clone(),
                    given: (percent * 100.0).round() / 100.0,
                    maximum: 100.0,
                    timestamp: timestamp(at),
                };
                client
                    .post_score(&platform, &key, &owed.lineitem_url, &score, now_ms / 1000)
                    .await
                    .map(|()| Some(score.given))
            }
        };
        let store = store.clone();
        let counted = tokio::task::spawn_blocking(move || match outcome {
            Ok(score) => store
                .lti()
                .grade_sent(&owed, score.unwrap_or(0.0), now_ms)
                .map(|()| 0),
            Err(SendError::Retry(why)) => {
                tracing::warn!(lineitem = %owed.lineitem_url, "grade passback will be retried: {why}");
                let at = now_ms + retry_delay_ms(owed.tries + 1);
                store.lti().grade_not_sent(&owed, &why, Some(at)).map(|()| 1)
            }
            Err(SendError::Refused(why)) => {
                tracing::warn!(lineitem = %owed.lineitem_url, "grade passback refused: {why}");
                store.lti().grade_not_sent(&owed, &why, None).map(|()| 2)
            }
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))??;
        match counted {
            0 => round.sent += 1,
            1 => round.retrying += 1,
            _ => round.refused += 1,
        }
    }
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay_ms(1), 5_000);
        assert_eq!(retry_delay_ms(2), 10_000);
        assert_eq!(retry_delay_ms(4), 40_000);
        assert_eq!(retry_delay_ms(30), LAST_RETRY_MS);
    }

    #[test]
    fn timestamps_are_rfc3339_with_milliseconds() {
        assert_eq!(timestamp(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
