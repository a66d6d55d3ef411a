//! The answer form: decodes posted fields into [`Response`]s for an attempt's drawn questions,
//! keeping everything that could be read and describing everything that could not.
//!
//! Field names: `q{n}` for single, true/false, multiple (repeated), short and number questions;
//! `q{n}-{k}` for item `k` of an order or match question. Values are indices into the attempt's
//! drawn choices (true/false: `0` = True, `1` = False) or positions `1..=N`, never answer text.

use super::draw::{DrawnKind, DrawnQuestion};
use super::grade::{Response, parse_number};

/// Longest text accepted in a short or number answer, in characters. Lesson validation refuses
/// longer accepted answers, so every short question can be answered.
pub const MAX_TEXT_ANSWER: usize = crate::lesson::validate::MAX_SHORT_ANSWER;

/// Something wrong with the posted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    /// The question (0-based, in the attempt's order) the problem belongs to, if any.
    pub question: Option<usize>,
    pub message: String,
}

/// The readable responses and the problems found.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedForm {
    pub responses: Vec<Response>,
    pub problems: Vec<FormProblem>,
}

/// The form field name of question `index` (and item `item`).
pub fn field_name(index: usize, item: Option<usize>) -> String {
    match item {
        None => format!("q{}", index + 1),
        Some(k) => format!("q{}-{}", index + 1, k + 1),
    }
}

/// Parses `q{n}` / `q{n}-{k}` into 0-based indices.
fn parse_field_name(name: &str) -> Option<(usize, Option<usize>)> {
    let rest = name.strip_prefix('q')?;
    let number = |s: &str| -> Option<usize> {
        if s.is_empty()
            || s.len() > 4
            || !s.bytes().all(|b| b.is_ascii_digit())
            || s.starts_with('0')
        {
            return None;
        }
        s.parse::<usize>().ok()?.checked_sub(1)
    };
    match rest.split_once('-') {
        None => Some((number(rest)?, None)),
        Some((q, k)) => Some((number(q)?, Some(number(k)?))),
    }
}

/// Shortens a user-supplied name for a message.
fn shown(name: &str) -> String {
    let mut s: String = name.chars().take(40).collect();
    if s.len() < name.len() {
        s.push('…');
    }
    s
}

/// Decodes `fields` (name, value pairs in posted order, without the CSRF field).
pub fn decode_answers(questions: &[DrawnQuestion], fields: &[(String, String)]) -> DecodedForm {
    let mut responses: Vec<Response> = questions.iter().map(Response::unanswered).collect();
    let mut problems = Vec::new();
    let mut seen: Vec<(usize, Option<usize>)> = Vec::new();
    let mut problem = |question: Option<usize>, message: String| {
        problems.push(FormProblem { question, message });
    };

    for (name, value) in fields {
        let Some((index, item)) = parse_field_name(name).filter(|(i, _)| *i < questions.len())
        else {
            problem(None, format!("unknown field `{}`", shown(name)));
            continue;
        };
        let question = &questions[index];
        let repeatable = matches!(question.kind, DrawnKind::Multiple { .. });
        if !repeatable && seen.contains(&(index, item)) {
            problem(
                Some(index),
                format!("field `{}` was sent more than once", shown(name)),
            );
            continue;
        }
        seen.push((index, item));
        let bad_value = || format!("`{}` is not one of the offered options", shown(value));
        match (&question.kind, item, &mut responses[index]) {
            (DrawnKind::Single { choices }, None, Response::Choice(slot)) => {
                match value.parse::<usize>().ok().filter(|&i| i < choices.len()) {
                    Some(i) => *slot = Some(i),
                    None => problem(Some(index), bad_value()),
                }
            }
            (DrawnKind::TrueFalse { .. }, None, Response::Choice(slot)) => match value.as_str() {
                "0" => *slot = Some(0),
                "1" => *slot = Some(1),
                _ => problem(Some(index), bad_value()),
            },
            (DrawnKind::Multiple { choices }, None, Response::Choices(picked)) => {
                match value.parse::<usize>().ok().filter(|&i| i < choices.len()) {
                    Some(i) if picked.contains(&i) => {
                        problem(Some(index), "the same choice was sent twice".to_string())
                    }
                    Some(i) => {
                        picked.push(i);
                        picked.sort_unstable();
                    }
                    None => problem(Some(index), bad_value()),
                }
            }
            (DrawnKind::Short { .. } | DrawnKind::Number { .. }, None, Response::Text(text)) => {
                if value.chars().count() > MAX_TEXT_ANSWER {
                    problem(
                        Some(index),
                        format!("the answer is longer than {MAX_TEXT_ANSWER} characters"),
                    );
                    *text = value.chars().take(MAX_TEXT_ANSWER).collect();
                    continue;
                }
                *text = value.clone();
                if matches!(question.kind, DrawnKind::Number { .. })
                    && !value.trim().is_empty()
                    && parse_number(value).is_none()
                {
                    problem(
                        Some(index),
                        format!(
                            "`{}` is not a number (write it like 1994 or 2.5)",
                            shown(value)
                        ),
                    );
                }
            }
            (DrawnKind::Order { items, .. }, Some(k), Response::Positions(positions))
                if k < items.len() =>
            {
                if value.is_empty() {
                    continue;
                }
                match value
                    .parse::<usize>()
                    .ok()
                    .filter(|p| (1..=items.len()).contains(p))
                {
                    Some(p) => positions[k] = Some(p - 1),
                    None => problem(Some(index), bad_value()),
                }
            }
            (DrawnKind::Match { rights, lefts, .. }, Some(k), Response::Pairs(pairs))
                if k < lefts.len() =>
            {
                if value.is_empty() {
                    continue;
                }
                match value.parse::<usize>().ok().filter(|&r| r < rights.len()) {
                    Some(r) => pairs[k] = Some(r),
                    None => problem(Some(index), bad_value()),
                }
            }
            _ => problem(None, format!("unknown field `{}`", shown(name))),
        }
    }

    for (index, response) in responses.iter().enumerate() {
        if let Response::Positions(positions) = response {
            let given: Vec<usize> = positions.iter().flatten().copied().collect();
            if !given.is_empty() && given.len() < positions.len() {
                problem(
                    Some(index),
                    "give every item a position, or none".to_string(),
                );
            }
            let mut unique = given.clone();
            unique.sort_unstable();
            unique.dedup();
            if unique.len() < given.len() {
                problem(
                    Some(index),
                    "each position may be used only once".to_string(),
                );
            }
        }
    }
    DecodedForm {
        responses,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::draw::DrawnChoice;

    fn questions() -> Vec<DrawnQuestion> {
        let q = |kind| DrawnQuestion {
            id: "x".into(),
            section: "s".into(),
            prompt: "p".into(),
            explanation: "e".into(),
            points: 1.0,
            kind,
        };
        let choices = |n: usize| {
            (0..n)
                .map(|i| DrawnChoice {
                    text: format!("c{i}"),
                    feedback: None,
                    correct: i == 0,
                })
                .collect()
        };
        vec![
            q(DrawnKind::Single {
                choices: choices(3),
            }),
            q(DrawnKind::Multiple {
                choices: choices(4),
            }),
            q(DrawnKind::TrueFalse { answer: true }),
            q(DrawnKind::Short {
                answers: vec!["a".into()],
            }),
            q(DrawnKind::Number {
                answer: 1.0,
                tolerance: 0.0,
                unit: None,
            }),
            q(DrawnKind::Order {
                items: vec!["a".into(), "b".into(), "c".into()],
                ranks: vec![2, 0, 1],
            }),
            q(DrawnKind::Match {
                lefts: vec!["a".into(), "b".into()],
                rights: vec!["1".into(), "2".into()],
                matches: vec![1, 0],
            }),
        ]
    }

    fn decode(fields: &[(&str, &str)]) -> DecodedForm {
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        decode_answers(&questions(), &fields)
    }

    #[test]
    fn a_complete_form_decodes_into_one_response_per_question() {
        let form = decode(&[
            ("q1", "2"),
            ("q2", "3"),
            ("q2", "0"),
            ("q3", "1"),
            ("q4", " Yes "),
            ("q5", "2,5"),
            ("q6-1", "3"),
            ("q6-2", "1"),
            ("q6-3", "2"),
            ("q7-1", "1"),
            ("q7-2", ""),
        ]);
        assert_eq!(form.problems, []);
        assert_eq!(
            form.responses,
            [
                Response::Choice(Some(2)),
                Response::Choices(vec![0, 3]),
                Response::Choice(Some(1)),
                Response::Text(" Yes ".into()),
                Response::Text("2,5".into()),
                Response::Positions(vec![Some(2), Some(0), Some(1)]),
                Response::Pairs(vec![Some(1), None]),
            ]
        );
    }

    #[test]
    fn bad_fields_are_reported_and_the_rest_is_kept() {
        let check = |fields: &[(&str, &str)], question: Option<usize>, needle: &str| {
            let form = decode(fields);
            assert!(
                form.problems
                    .iter()
                    .any(|p| p.question == question && p.message.contains(needle)),
                "{fields:?}: {:?}",
                form.problems
            );
            // The valid answer given alongside survives.
            if fields.contains(&("q4", "kept")) {
                assert_eq!(form.responses[3], Response::Text("kept".into()));
            }
        };
        check(
            &[("score", "100"), ("q4", "kept")],
            None,
            "unknown field `score`",
        );
        check(&[("q99", "1"), ("q4", "kept")], None, "unknown field `q99`");
        check(&[("q01", "1")], None, "unknown field");
        check(&[("q1-1", "1")], None, "unknown field");
        check(&[("q6", "1")], None, "unknown field");
        check(&[("q6-4", "1")], None, "unknown field");
        check(
            &[("q1", "3"), ("q4", "kept")],
            Some(0),
            "not one of the offered options",
        );
        check(
            &[("q1", "Karabakh")],
            Some(0),
            "not one of the offered options",
        );
        check(&[("q1", "0"), ("q1", "1")], Some(0), "more than once");
        check(&[("q2", "1"), ("q2", "1")], Some(1), "sent twice");
        check(&[("q3", "true")], Some(2), "not one of the offered options");
        check(&[("q5", "twelve"), ("q4", "kept")], Some(4), "not a number");
        check(
            &[("q6-1", "1"), ("q6-2", "1"), ("q6-3", "2")],
            Some(5),
            "only once",
        );
        check(&[("q6-1", "1")], Some(5), "every item");
        check(&[("q6-1", "4")], Some(5), "not one of the offered options");
        check(&[("q7-1", "2")], Some(6), "not one of the offered options");
        let long = "x".repeat(MAX_TEXT_ANSWER + 1);
        check(&[("q4", &long)], Some(3), "longer than");
    }

    #[test]
    fn an_empty_form_is_all_unanswered_and_valid() {
        let form = decode(&[]);
        assert_eq!(form.problems, []);
        assert!(form.responses.iter().all(|r| !r.is_answered()));
    }
}
