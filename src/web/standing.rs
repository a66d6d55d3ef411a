//! Where a learner stands on a lesson, from their attempts: the status, best score and grade
//! by the quiz's method (see [`crate::quiz::gradebook`]), shared by the progress page and the
//! gradebook so the two always agree.

use crate::lesson::{GradingMethod, Lesson};
use crate::quiz::gradebook::{Grade, Tried, grade};
use crate::store::Attempt;

/// One learner on one lesson.
#[derive(Debug, Clone, Default)]
pub struct Standing<'a> {
    /// Every attempt, practice included (they count toward `max_attempts`).
    pub attempts: usize,
    /// The open attempt to resume, if any.
    pub open: Option<&'a Attempt>,
    /// The newest submitted attempt.
    pub last_submitted: Option<&'a Attempt>,
    /// Best percentage of a graded (non-practice) attempt.
    pub best_percent: Option<f64>,
    /// The grade by the quiz's method, from graded attempts.
    pub grade: Option<Grade>,
}

/// Percentage of a submitted attempt.
pub fn percent(attempt: &Attempt) -> Option<f64> {
    attempt.submission.as_ref().map(|s| s.score.percent())
}

/// The lesson's grading method (highest when it has no quiz now).
pub fn method(lesson: Option<&Lesson>) -> GradingMethod {
    lesson
        .and_then(|l| l.quiz.as_ref())
        .map_or_else(GradingMethod::default, |q| q.grading)
}

/// Where `attempts` (one learner's on one lesson, oldest first) leave the learner.
pub fn standing<'a>(
    attempts: &[&'a Attempt],
    method: GradingMethod,
    due_ms: Option<i64>,
    now_ms: i64,
) -> Standing<'a> {
    let graded: Vec<Tried> = attempts
        .iter()
        .filter(|a| !a.attempt.practice)
        .filter_map(|a| {
            let s = a.submission.as_ref()?;
            Some(Tried {
                submitted_ms: s.submitted_ms,
                percent: s.score.percent(),
            })
        })
        .collect();
    Standing {
        attempts: attempts.len(),
        open: attempts
            .iter()
            .rev()
            .find(|a| a.submission.is_none() && a.attempt.deadline_ms.is_none_or(|d| d > now_ms))
            .copied(),
        last_submitted: attempts
            .iter()
            .filter(|a| a.submission.is_some())
            .max_by_key(|a| a.submission.as_ref().map(|s| s.submitted_ms))
            .copied(),
        best_percent: graded.iter().map(|t| t.percent).reduce(f64::max),
        grade: grade(method, &graded, due_ms),
    }
}

/// A due date as people write it: "10 December 2026".
pub fn day(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map_or_else(|_| String::new(), |t| t.strftime("%-d %B %Y").to_string())
}

/// A moment to the minute, in UTC: "10 December 2026, 14:05 UTC".
pub fn moment(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(
        |_| String::new(),
        |t| t.strftime("%-d %B %Y, %H:%M UTC").to_string(),
    )
}

/// The last millisecond of a `YYYY-MM-DD` day in UTC, for a due date typed into a form.
pub fn end_of_day(date: &str) -> Option<i64> {
    let date: jiff::civil::Date = date.trim().parse().ok()?;
    let end = date.at(23, 59, 59, 999_000_000);
    Some(
        jiff::tz::TimeZone::UTC
            .to_timestamp(end)
            .ok()?
            .as_millisecond(),
    )
}

/// A due date for a date input: `YYYY-MM-DD`.
pub fn date_input(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map_or_else(|_| String::new(), |t| t.strftime("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_date_is_the_end_of_its_day_in_utc_and_reads_back() {
        let due = end_of_day("2026-12-10").unwrap();
        assert_eq!(day(due), "10 December 2026");
        assert_eq!(date_input(due), "2026-12-10");
        assert_eq!(moment(due), "10 December 2026, 23:59 UTC");
        assert_eq!(end_of_day("2026-02-30"), None);
        assert_eq!(end_of_day("tomorrow"), None);
    }
}
