//! Scoring: pure functions from a drawn question and a response to points earned.

use serde::{Deserialize, Serialize};

use super::draw::{DrawnChoice, DrawnKind, DrawnQuestion};

/// What a student gave for one question. Indices refer to the attempt's drawn order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Response {
    /// `single` (index into choices) and `true_false` (0 = True, 1 = False).
    Choice(Option<usize>),
    /// `multiple`: the picked choice indices, ascending.
    Choices(Vec<usize>),
    /// `short` and `number`, exactly as typed (so a re-rendered form shows it unchanged).
    Text(String),
    /// `order`: for each displayed item, the 0-based position given.
    Positions(Vec<Option<usize>>),
    /// `match`: for each left, the index of the right side picked.
    Pairs(Vec<Option<usize>>),
}

impl Response {
    /// The empty response for a question.
    pub fn unanswered(question: &DrawnQuestion) -> Response {
        match &question.kind {
            DrawnKind::Single { .. } | DrawnKind::TrueFalse { .. } => Response::Choice(None),
            DrawnKind::Multiple { .. } => Response::Choices(Vec::new()),
            DrawnKind::Short { .. } | DrawnKind::Number { .. } => Response::Text(String::new()),
            DrawnKind::Order { items, .. } => Response::Positions(vec![None; items.len()]),
            DrawnKind::Match { lefts, .. } => Response::Pairs(vec![None; lefts.len()]),
        }
    }

    /// Whether the student gave anything at all.
    pub fn is_answered(&self) -> bool {
        match self {
            Response::Choice(c) => c.is_some(),
            Response::Choices(c) => !c.is_empty(),
            Response::Text(t) => !t.trim().is_empty(),
            Response::Positions(p) | Response::Pairs(p) => p.iter().any(Option::is_some),
        }
    }
}

/// Points earned for `response`, in `0..=question.points`. A response of the wrong shape
/// (which the form decoder never produces) earns nothing.
pub fn grade_question(question: &DrawnQuestion, response: &Response) -> f64 {
    let fraction = match (&question.kind, response) {
        (DrawnKind::Single { choices }, Response::Choice(Some(i))) => {
            all_or_nothing(choices.get(*i).is_some_and(|c| c.correct))
        }
        (DrawnKind::TrueFalse { answer }, Response::Choice(Some(i))) => {
            all_or_nothing((*i == 0) == *answer && *i < 2)
        }
        (DrawnKind::Multiple { choices }, Response::Choices(picked)) => {
            grade_multiple(choices, picked)
        }
        (DrawnKind::Short { answers }, Response::Text(text)) => all_or_nothing(
            !text.trim().is_empty()
                && answers
                    .iter()
                    .any(|a| normalize_short(a) == normalize_short(text)),
        ),
        (
            DrawnKind::Number {
                answer, tolerance, ..
            },
            Response::Text(text),
        ) => all_or_nothing(
            parse_number(text).is_some_and(|n| (n - answer).abs() <= tolerance + 1e-9),
        ),
        (DrawnKind::Order { ranks, .. }, Response::Positions(given)) => grade_order(ranks, given),
        (DrawnKind::Match { matches, .. }, Response::Pairs(given)) => grade_match(matches, given),
        _ => 0.0,
    };
    question.points * fraction
}

/// The points of a whole attempt.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub earned: f64,
    pub possible: f64,
}

impl Score {
    /// Earned as a percentage of possible (0 when nothing was possible).
    pub fn percent(&self) -> f64 {
        if self.possible > 0.0 {
            100.0 * self.earned / self.possible
        } else {
            0.0
        }
    }

    /// Whether the percentage reaches `pass_percent`.
    pub fn passed(&self, pass_percent: f64) -> bool {
        self.percent() + 1e-9 >= pass_percent
    }
}

/// Grades every question; returns the points per question and the total.
pub fn grade_attempt(questions: &[DrawnQuestion], responses: &[Response]) -> (Vec<f64>, Score) {
    let points: Vec<f64> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| responses.get(i).map_or(0.0, |r| grade_question(q, r)))
        .collect();
    let score = Score {
        earned: points.iter().sum(),
        possible: questions.iter().map(|q| q.points).sum(),
    };
    (points, score)
}

fn all_or_nothing(right: bool) -> f64 {
    if right { 1.0 } else { 0.0 }
}

/// max(0, (right picks − wrong picks) / number of right answers).
pub fn grade_multiple(choices: &[DrawnChoice], picked: &[usize]) -> f64 {
    let right_total = choices.iter().filter(|c| c.correct).count();
    if right_total == 0 {
        return 0.0;
    }
    let mut unique = picked.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let (right, wrong) = unique
        .iter()
        .fold((0i64, 0i64), |(r, w), &i| match choices.get(i) {
            Some(c) if c.correct => (r + 1, w),
            _ => (r, w + 1),
        });
    ((right - wrong) as f64 / right_total as f64).max(0.0)
}

/// max(0, Kendall tau) between the given positions and the correct ranks. A response with a
/// missing position earns nothing (the form decoder refuses partial orders).
pub fn grade_order(ranks: &[usize], given: &[Option<usize>]) -> f64 {
    let n = ranks.len();
    if n < 2 || given.len() != n {
        return 0.0;
    }
    let Some(given): Option<Vec<usize>> = given.iter().copied().collect() else {
        return 0.0;
    };
    let mut score = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            let correct = ranks[i].cmp(&ranks[j]);
            let answered = given[i].cmp(&given[j]);
            if answered == std::cmp::Ordering::Equal {
                continue;
            }
            score += if answered == correct { 1 } else { -1 };
        }
    }
    let pairs = (n * (n - 1) / 2) as f64;
    (score as f64 / pairs).max(0.0)
}

/// Correct pairs / pairs.
pub fn grade_match(matches: &[usize], given: &[Option<usize>]) -> f64 {
    if matches.is_empty() {
        return 0.0;
    }
    let right = matches
        .iter()
        .zip(given)
        .filter(|(m, g)| Some(**m) == **g)
        .count();
    right as f64 / matches.len() as f64
}

/// Unicode case folding, punctuation as space, whitespace collapsed and trimmed.
pub fn normalize_short(text: &str) -> String {
    let folded = caseless::default_case_fold_str(text);
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A number as a student types it: `1994`, ` -3.5 `, `2,5` (comma decimal separator) or `1e3`.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let t = if t.contains(',') && !t.contains('.') {
        t.replacen(',', ".", 1)
    } else {
        t.to_string()
    };
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(text: &str, correct: bool) -> DrawnChoice {
        DrawnChoice {
            text: text.into(),
            feedback: None,
            correct,
        }
    }

    fn question(kind: DrawnKind) -> DrawnQuestion {
        DrawnQuestion {
            id: "q".into(),
            section: "s".into(),
            prompt: "p".into(),
            explanation: "e".into(),
            points: 2.0,
            kind,
        }
    }

    /// One row per case: the question kind, the response and the expected points (of 2).
    fn check(kind: DrawnKind, response: Response, expected: f64) {
        let q = question(kind.clone());
        let got = grade_question(&q, &response);
        assert!(
            (got - expected).abs() < 1e-9,
            "{kind:?} {response:?}: got {got}, want {expected}"
        );
    }

    #[test]
    fn each_kind_earns_full_partial_or_no_points_as_the_rules_say() {
        let single = DrawnKind::Single {
            choices: vec![choice("a", false), choice("b", true)],
        };
        check(single.clone(), Response::Choice(Some(1)), 2.0);
        check(single.clone(), Response::Choice(Some(0)), 0.0);
        check(single.clone(), Response::Choice(None), 0.0);
        check(single, Response::Choice(Some(9)), 0.0);

        let tf = DrawnKind::TrueFalse { answer: false };
        check(tf.clone(), Response::Choice(Some(1)), 2.0);
        check(tf.clone(), Response::Choice(Some(0)), 0.0);
        check(tf, Response::Choice(None), 0.0);

        let multiple = DrawnKind::Multiple {
            choices: vec![
                choice("a", true),
                choice("b", true),
                choice("c", false),
                choice("d", false),
            ],
        };
        check(multiple.clone(), Response::Choices(vec![0, 1]), 2.0);
        check(multiple.clone(), Response::Choices(vec![0]), 1.0);
        check(multiple.clone(), Response::Choices(vec![0, 1, 2]), 1.0);
        check(multiple.clone(), Response::Choices(vec![0, 2]), 0.0);
        check(multiple.clone(), Response::Choices(vec![0, 2, 3]), 0.0);
        check(multiple.clone(), Response::Choices(vec![0, 1, 2, 3]), 0.0);
        check(multiple, Response::Choices(vec![]), 0.0);

        let short = DrawnKind::Short {
            answers: vec!["Bishkek Protocol".into()],
        };
        check(
            short.clone(),
            Response::Text("  bishkek   PROTOCOL. ".into()),
            2.0,
        );
        check(
            short.clone(),
            Response::Text("Bishkek-protocol".into()),
            2.0,
        );
        check(short.clone(), Response::Text("Bishkek".into()), 0.0);
        check(short, Response::Text("".into()), 0.0);
        let folded = DrawnKind::Short {
            answers: vec!["Straße".into()],
        };
        check(folded, Response::Text("STRASSE".into()), 2.0);

        let number = DrawnKind::Number {
            answer: 2.5,
            tolerance: 0.1,
            unit: None,
        };
        check(number.clone(), Response::Text("2.5".into()), 2.0);
        check(number.clone(), Response::Text("2,6".into()), 2.0);
        check(number.clone(), Response::Text("2.4".into()), 2.0);
        check(number.clone(), Response::Text("2.7".into()), 0.0);
        check(number.clone(), Response::Text("abc".into()), 0.0);
        check(number, Response::Text("".into()), 0.0);

        // Displayed items [B, A, C] with correct ranks [1, 0, 2].
        let order = DrawnKind::Order {
            items: vec!["B".into(), "A".into(), "C".into()],
            ranks: vec![1, 0, 2],
        };
        check(
            order.clone(),
            Response::Positions(vec![Some(1), Some(0), Some(2)]),
            2.0,
        );
        // Fully reversed: tau = -1 -> 0.
        check(
            order.clone(),
            Response::Positions(vec![Some(1), Some(2), Some(0)]),
            0.0,
        );
        // One adjacent swap of three: tau = (2 - 1) / 3.
        check(
            order.clone(),
            Response::Positions(vec![Some(0), Some(1), Some(2)]),
            2.0 / 3.0,
        );
        check(order, Response::Positions(vec![None, None, None]), 0.0);

        let matching = DrawnKind::Match {
            lefts: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            rights: vec!["3".into(), "1".into(), "4".into(), "2".into()],
            matches: vec![1, 3, 0, 2],
        };
        check(
            matching.clone(),
            Response::Pairs(vec![Some(1), Some(3), Some(0), Some(2)]),
            2.0,
        );
        check(
            matching.clone(),
            Response::Pairs(vec![Some(1), Some(3), Some(2), Some(0)]),
            1.0,
        );
        check(
            matching.clone(),
            Response::Pairs(vec![Some(1), None, None, None]),
            0.5,
        );
        check(matching, Response::Pairs(vec![None; 4]), 0.0);
    }

    #[test]
    fn a_response_of_the_wrong_shape_earns_nothing() {
        let single = DrawnKind::Single {
            choices: vec![choice("a", true)],
        };
        check(single, Response::Text("a".into()), 0.0);
    }

    #[test]
    fn numbers_parse_with_either_decimal_separator() {
        assert_eq!(parse_number(" 1994 "), Some(1994.0));
        assert_eq!(parse_number("2,5"), Some(2.5));
        assert_eq!(parse_number("-0.5"), Some(-0.5));
        assert_eq!(parse_number("1,000.5"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number(""), None);
    }
}
