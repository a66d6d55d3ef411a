//! One grade per learner and quiz from their submitted attempts, by the quiz's grading method
//! (Moodle's highest, last, first and average), and whether it came in after a due date.
//! Practice attempts (retries of missed questions) are left out by the caller.

use crate::lesson::GradingMethod;

/// A submitted attempt, as a grade needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tried {
    pub submitted_ms: i64,
    /// The attempt's score as a percentage of its possible points.
    pub percent: f64,
}

/// A learner's grade on one quiz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    pub percent: f64,
    /// An attempt that makes the grade was submitted after the due date.
    pub late: bool,
}

/// The grade `tries` make under `method`; `None` when nothing was submitted. With a due date,
/// the grade is late when the attempt it comes from (for `average`: any attempt) was
/// submitted after it.
pub fn grade(method: GradingMethod, tries: &[Tried], due_ms: Option<i64>) -> Option<Grade> {
    let mut tries = tries.to_vec();
    tries.sort_by_key(|t| t.submitted_ms);
    let late = |t: &Tried| due_ms.is_some_and(|due| t.submitted_ms > due);
    let deciding = match method {
        GradingMethod::First => tries.first(),
        GradingMethod::Last => tries.last(),
        // The earliest of equal best scores, so a later equal try does not make it late.
        GradingMethod::Highest => tries
            .iter()
            .rev()
            .max_by(|a, b| a.percent.total_cmp(&b.percent)),
        GradingMethod::Average => {
            if tries.is_empty() {
                return None;
            }
            let mean = tries.iter().map(|t| t.percent).sum::<f64>() / tries.len() as f64;
            return Some(Grade {
                percent: mean,
                late: tries.iter().any(late),
            });
        }
    }?;
    Some(Grade {
        percent: deciding.percent,
        late: late(deciding),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tries(list: &[(i64, f64)]) -> Vec<Tried> {
        list.iter()
            .map(|&(submitted_ms, percent)| Tried {
                submitted_ms,
                percent,
            })
            .collect()
    }

    fn check(
        method: GradingMethod,
        list: &[(i64, f64)],
        due: Option<i64>,
        expected: Option<(f64, bool)>,
    ) {
        let got = grade(method, &tries(list), due).map(|g| (g.percent, g.late));
        assert_eq!(got, expected, "{method:?} of {list:?}, due {due:?}");
    }

    #[test]
    fn each_method_picks_its_attempt_in_submission_order() {
        // Given out of order on purpose: 40 then 90 then 60.
        let list = [(30, 60.0), (10, 40.0), (20, 90.0)];
        check(GradingMethod::Highest, &list, None, Some((90.0, false)));
        check(GradingMethod::First, &list, None, Some((40.0, false)));
        check(GradingMethod::Last, &list, None, Some((60.0, false)));
        check(
            GradingMethod::Average,
            &list,
            None,
            Some((190.0 / 3.0, false)),
        );
        for (_, method) in GradingMethod::ALL {
            check(method, &[], None, None);
        }
    }

    #[test]
    fn a_grade_is_late_when_the_attempt_it_comes_from_was_late() {
        let list = [(10, 40.0), (20, 90.0), (30, 60.0)];
        check(GradingMethod::Highest, &list, Some(15), Some((90.0, true)));
        check(GradingMethod::First, &list, Some(15), Some((40.0, false)));
        check(GradingMethod::Last, &list, Some(25), Some((60.0, true)));
        check(
            GradingMethod::Average,
            &list,
            Some(25),
            Some((190.0 / 3.0, true)),
        );
        check(
            GradingMethod::Average,
            &list,
            Some(30),
            Some((190.0 / 3.0, false)),
        );
        // Equal best scores: the earlier one counts, on time.
        check(
            GradingMethod::Highest,
            &[(10, 80.0), (20, 80.0)],
            Some(15),
            Some((80.0, false)),
        );
    }
}
