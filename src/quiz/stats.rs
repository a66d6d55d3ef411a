//! Item statistics for educators: facility, discrimination, distractor analysis and score
//! distributions. Pure functions over graded attempts, keyed by question id, so attempts drawn
//! from different versions of a lesson are counted together.

use super::draw::{DrawnKind, DrawnQuestion};
use super::grade::{Response, Score};

/// Fewer attempts than this give no statistic ("not enough data").
pub const MIN_ATTEMPTS: usize = 5;

/// One submitted attempt, as the statistics need it.
#[derive(Debug, Clone, Copy)]
pub struct GradedAttempt<'a> {
    pub questions: &'a [DrawnQuestion],
    pub responses: &'a [Response],
    /// Points earned per question, in `questions` order.
    pub points: &'a [f64],
    pub score: Score,
    pub passed: bool,
}

/// How often one choice was picked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceCount {
    pub text: String,
    pub correct: bool,
    pub picked: usize,
}

/// Statistics of one question across attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionStats {
    pub id: String,
    /// The prompt as last drawn.
    pub prompt: String,
    pub drawn: usize,
    /// Mean fraction of the points earned; `None` below [`MIN_ATTEMPTS`].
    pub facility: Option<f64>,
    /// Pearson correlation between the question's fraction and the fraction of the rest of the
    /// attempt (Moodle's discrimination index, as a coefficient); `None` below
    /// [`MIN_ATTEMPTS`] or when either side does not vary.
    pub discrimination: Option<f64>,
    /// For choice questions: picks per choice (by text), in first-seen order.
    pub choices: Vec<ChoiceCount>,
}

impl QuestionStats {
    /// Why this question deserves a look, if it does.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        match self.facility {
            Some(f) if f < 0.3 => flags.push("hard: facility below 0.3"),
            Some(f) if f > 0.9 => flags.push("easy: facility above 0.9"),
            _ => {}
        }
        if self.discrimination.is_some_and(|d| d < 0.2) {
            flags.push("weak discrimination: below 0.2");
        }
        flags
    }
}

/// Per-question statistics, in the order questions were first seen.
pub fn question_stats(attempts: &[GradedAttempt<'_>]) -> Vec<QuestionStats> {
    struct Acc {
        stats: QuestionStats,
        item: Vec<f64>,
        rest: Vec<f64>,
    }
    let mut accs: Vec<Acc> = Vec::new();
    for attempt in attempts {
        for (i, q) in attempt.questions.iter().enumerate() {
            let earned = attempt.points.get(i).copied().unwrap_or(0.0);
            let index = match accs.iter().position(|a| a.stats.id == q.id) {
                Some(index) => index,
                None => {
                    accs.push(Acc {
                        stats: QuestionStats {
                            id: q.id.clone(),
                            prompt: q.prompt.clone(),
                            drawn: 0,
                            facility: None,
                            discrimination: None,
                            choices: Vec::new(),
                        },
                        item: Vec::new(),
                        rest: Vec::new(),
                    });
                    accs.len() - 1
                }
            };
            let acc = &mut accs[index];
            acc.stats.drawn += 1;
            acc.stats.prompt = q.prompt.clone();
            acc.item.push(fraction(earned, q.points));
            let rest_possible = attempt.score.possible - q.points;
            acc.rest
                .push(fraction(attempt.score.earned - earned, rest_possible));
            count_choices(&mut acc.stats.choices, q, attempt.responses.get(i));
        }
    }
    accs.into_iter()
        .map(|acc| {
            let mut stats = acc.stats;
            if stats.drawn >= MIN_ATTEMPTS {
                stats.facility = Some(mean(&acc.item));
                stats.discrimination = pearson(&acc.item, &acc.rest);
            }
            stats
        })
        .collect()
}

fn fraction(earned: f64, possible: f64) -> f64 {
    if possible > 0.0 {
        earned / possible
    } else {
        0.0
    }
}

fn count_choices(counts: &mut Vec<ChoiceCount>, q: &DrawnQuestion, response: Option<&Response>) {
    let offered: Vec<(String, bool)> = match &q.kind {
        DrawnKind::Single { choices } | DrawnKind::Multiple { choices } => choices
            .iter()
            .map(|c| (c.text.clone(), c.correct))
            .collect(),
        DrawnKind::TrueFalse { answer } => {
            vec![("True".into(), *answer), ("False".into(), !*answer)]
        }
        _ => return,
    };
    let picked: Vec<usize> = match response {
        Some(Response::Choice(Some(i))) => vec![*i],
        Some(Response::Choices(list)) => list.clone(),
        _ => Vec::new(),
    };
    for (j, (text, correct)) in offered.into_iter().enumerate() {
        let slot = match counts.iter().position(|c| c.text == text) {
            Some(k) => k,
            None => {
                counts.push(ChoiceCount {
                    text,
                    correct,
                    picked: 0,
                });
                counts.len() - 1
            }
        };
        if picked.contains(&j) {
            counts[slot].picked += 1;
        }
    }
}

/// The arithmetic mean (0 for none).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Pearson's correlation coefficient; `None` when a side has no variance.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let (mx, my) = (mean(&x[..n]), mean(&y[..n]));
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    let mut syy = 0.0;
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx < 1e-12 || syy < 1e-12 {
        return None;
    }
    Some(sxy / (sxx.sqrt() * syy.sqrt()))
}

/// Counts of percentages in `bins` equal bins over 0–100 (100 falls in the last bin).
pub fn histogram(percents: &[f64], bins: usize) -> Vec<usize> {
    let mut counts = vec![0; bins];
    if bins == 0 {
        return counts;
    }
    for &p in percents {
        let bin = ((p.clamp(0.0, 100.0) / 100.0) * bins as f64) as usize;
        counts[bin.min(bins - 1)] += 1;
    }
    counts
}

/// Totals for a lesson's dashboard row.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonSummary {
    pub started: usize,
    pub submitted: usize,
    pub mean_percent: Option<f64>,
    pub pass_rate: Option<f64>,
}

/// Summarises `started` attempts of which `graded` were submitted.
pub fn lesson_summary(started: usize, graded: &[GradedAttempt<'_>]) -> LessonSummary {
    let percents: Vec<f64> = graded.iter().map(|a| a.score.percent()).collect();
    let passed = graded.iter().filter(|a| a.passed).count();
    LessonSummary {
        started,
        submitted: graded.len(),
        mean_percent: (!graded.is_empty()).then(|| mean(&percents)),
        pass_rate: (!graded.is_empty()).then(|| passed as f64 / graded.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::draw::DrawnChoice;

    fn tf(id: &str) -> DrawnQuestion {
        DrawnQuestion {
            id: id.into(),
            section: "s".into(),
            prompt: format!("prompt {id}"),
            explanation: "e".into(),
            points: 1.0,
            kind: DrawnKind::TrueFalse { answer: true },
        }
    }

    /// Six attempts on questions a, b, c (1 point each). Item scores per attempt:
    ///   a: 1 1 1 0 0 0     b: 1 1 0 1 0 0     c: 1 0 0 0 0 1
    #[test]
    fn facility_and_discrimination_match_hand_computed_values() {
        let questions = vec![tf("a"), tf("b"), tf("c")];
        let rows: [[f64; 3]; 6] = [
            [1.0, 1.0, 1.0],
            [1.0, 1.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0],
        ];
        let responses: Vec<Vec<Response>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&p| Response::Choice(Some(if p > 0.0 { 0 } else { 1 })))
                    .collect()
            })
            .collect();
        let attempts: Vec<GradedAttempt<'_>> = rows
            .iter()
            .zip(&responses)
            .map(|(points, responses)| GradedAttempt {
                questions: &questions,
                responses,
                points,
                score: Score {
                    earned: points.iter().sum(),
                    possible: 3.0,
                },
                passed: points.iter().sum::<f64>() >= 2.0,
            })
            .collect();
        let stats = question_stats(&attempts);
        assert_eq!(stats.len(), 3);
        let a = &stats[0];
        assert_eq!(a.drawn, 6);
        assert!((a.facility.unwrap() - 0.5).abs() < 1e-9);
        // a = [1,1,1,0,0,0]; the rest of each attempt, (b + c) / 2 = [1, .5, 0, .5, 0, .5], mean 5/12.
        // Σ(a−ā)(r−r̄) = .5·(7/12 + 1/12 − 5/12) − .5·(1/12 − 5/12 + 1/12) = 0.25
        // Σ(a−ā)² = 1.5;  Σ(r−r̄)² = (49 + 1 + 25 + 1 + 25 + 1) / 144 = 102/144
        // r = 0.25 / √(1.5 · 102/144) = 0.242 535 6
        assert!(
            (a.discrimination.unwrap() - 0.242_535_6).abs() < 1e-6,
            "{:?}",
            a.discrimination
        );
        let c = &stats[2];
        assert!((c.facility.unwrap() - 1.0 / 3.0).abs() < 1e-9);
        // c = [1,0,0,0,0,1]; rest (a+b)/2 = [1, 1, .5, .5, 0, 0]: r = 0
        assert!(c.discrimination.unwrap().abs() < 1e-9);
        assert!(c.flags().contains(&"weak discrimination: below 0.2"));
        // Distractor analysis for true/false: True picked when scored.
        assert_eq!(
            a.choices,
            [
                ChoiceCount {
                    text: "True".into(),
                    correct: true,
                    picked: 3
                },
                ChoiceCount {
                    text: "False".into(),
                    correct: false,
                    picked: 3
                },
            ]
        );
        let summary = lesson_summary(8, &attempts);
        assert_eq!((summary.started, summary.submitted), (8, 6));
        assert!((summary.mean_percent.unwrap() - 100.0 * 8.0 / 18.0).abs() < 1e-9);
        assert!((summary.pass_rate.unwrap() - 2.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn fewer_than_five_attempts_give_no_statistic() {
        let questions = vec![tf("a")];
        let responses = vec![Response::Choice(Some(0))];
        let points = vec![1.0];
        let one = GradedAttempt {
            questions: &questions,
            responses: &responses,
            points: &points,
            score: Score {
                earned: 1.0,
                possible: 1.0,
            },
            passed: true,
        };
        let stats = question_stats(&[one; 4]);
        assert_eq!(stats[0].drawn, 4);
        assert_eq!(stats[0].facility, None);
        assert_eq!(stats[0].discrimination, None);
        assert!(stats[0].flags().is_empty());
    }

    #[test]
    fn choices_are_counted_by_text_whatever_the_shuffle() {
        let choice = |t: &str, correct| DrawnChoice {
            text: t.into(),
            feedback: None,
            correct,
        };
        let q1 = DrawnQuestion {
            kind: DrawnKind::Single {
                choices: vec![choice("x", true), choice("y", false)],
            },
            ..tf("q")
        };
        let q2 = DrawnQuestion {
            kind: DrawnKind::Single {
                choices: vec![choice("y", false), choice("x", true)],
            },
            ..tf("q")
        };
        let (r0, r1) = (
            vec![Response::Choice(Some(1))],
            vec![Response::Choice(Some(1))],
        );
        let (p0, p1) = (vec![0.0], vec![1.0]);
        let a = [
            GradedAttempt {
                questions: std::slice::from_ref(&q1),
                responses: &r0,
                points: &p0,
                score: Score {
                    earned: 0.0,
                    possible: 1.0,
                },
                passed: false,
            },
            GradedAttempt {
                questions: std::slice::from_ref(&q2),
                responses: &r1,
                points: &p1,
                score: Score {
                    earned: 1.0,
                    possible: 1.0,
                },
                passed: true,
            },
        ];
        let stats = question_stats(&a);
        assert_eq!(
            stats[0]
                .choices
                .iter()
                .map(|c| (c.text.as_str(), c.picked))
                .collect::<Vec<_>>(),
            [("x", 1), ("y", 1)]
        );
    }

    #[test]
    fn histogram_bins_cover_zero_to_a_hundred() {
        assert_eq!(
            histogram(&[0.0, 9.99, 10.0, 55.0, 100.0, 99.0], 10),
            [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
        );
    }
}
