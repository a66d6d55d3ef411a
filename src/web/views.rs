//! What the quiz and result templates show, computed from an attempt. The quiz view is built
//! only from what a student may see before submitting: no `correct` flag, answer, explanation
//! or feedback is copied into it.

use crate::quiz::form::FormProblem;
use crate::quiz::{DrawnKind, DrawnQuestion, Response, field_name};
use crate::store::Submission;

/// A radio button or checkbox; the template numbers it (its value is its index).
pub struct OptionView<'a> {
    pub label: &'a str,
    pub checked: bool,
}

/// A `<select>` of an order or match question; `name` is also its id.
pub struct SelectView<'a> {
    pub name: String,
    pub label: &'a str,
    pub options: Vec<SelectOption<'a>>,
}

/// One `<option>`: an order question's position (`text` is `None`: the position is shown) or a
/// match question's right side.
pub struct SelectOption<'a> {
    pub value: usize,
    pub text: Option<&'a str>,
    pub selected: bool,
}

/// One question of the quiz form. Borrows from the attempt: a page of fifty questions would
/// otherwise copy every prompt and choice once more per request.
pub struct QuestionView<'a> {
    pub number: usize,
    pub prompt: &'a str,
    pub points: String,
    /// `radio`, `checkbox`, `text`, `number` or `select`.
    pub control: &'static str,
    /// A hint under the legend, e.g. "Choose all that apply."
    pub hint: &'static str,
    pub field: String,
    pub options: Vec<OptionView<'a>>,
    pub text: &'a str,
    pub unit: Option<&'a str>,
    pub selects: Vec<SelectView<'a>>,
    pub problems: Vec<&'a str>,
}

/// Formats points without a pointless `.0` (`1`, `0.5`, `2.25`).
pub fn format_points(points: f64) -> String {
    let hundredths = (points * 100.0).round();
    // Integer arithmetic for every value a page shows: float formatting with a precision cost
    // a tenth of a quiz page's render time.
    if hundredths.abs() < 1e15 {
        let h = hundredths as i64;
        let sign = if h < 0 { "-" } else { "" };
        let (whole, cents) = (h.unsigned_abs() / 100, h.unsigned_abs() % 100);
        return match cents {
            0 => format!("{sign}{whole}"),
            c if c % 10 == 0 => format!("{sign}{whole}.{}", c / 10),
            c => format!("{sign}{whole}.{c:02}"),
        };
    }
    let s = format!("{:.2}", hundredths / 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "1 point" / "2.5 points".
pub fn points_label(points: f64) -> String {
    let n = format_points(points);
    if n == "1" {
        "1 point".into()
    } else {
        format!("{n} points")
    }
}

/// The quiz form's questions, filled in with `responses` and annotated with `problems`.
pub fn quiz_questions<'a>(
    questions: &'a [DrawnQuestion],
    responses: &'a [Response],
    problems: &'a [FormProblem],
) -> Vec<QuestionView<'a>> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let unanswered = Response::unanswered(q);
            let response = responses.get(i).unwrap_or(&unanswered);
            // The only part of a response the view borrows; an unanswered one has none.
            let given_text: &'a str = match responses.get(i) {
                Some(Response::Text(text)) => text,
                _ => "",
            };
            let mut view = QuestionView {
                number: i + 1,
                prompt: &q.prompt,
                points: points_label(q.points),
                control: "radio",
                hint: "",
                field: field_name(i, None),
                options: Vec::new(),
                text: "",
                unit: None,
                selects: Vec::new(),
                problems: problems
                    .iter()
                    .filter(|p| p.question == Some(i))
                    .map(|p| p.message.as_str())
                    .collect(),
            };
            match (&q.kind, response) {
                (DrawnKind::Single { choices }, Response::Choice(picked)) => {
                    view.hint = "Choose one.";
                    view.options = choices
                        .iter()
                        .enumerate()
                        .map(|(j, c)| OptionView {
                            label: &c.text,
                            checked: *picked == Some(j),
                        })
                        .collect();
                }
                (DrawnKind::TrueFalse { .. }, Response::Choice(picked)) => {
                    view.hint = "Choose one.";
                    view.options = ["True", "False"]
                        .into_iter()
                        .enumerate()
                        .map(|(j, label)| OptionView {
                            label,
                            checked: *picked == Some(j),
                        })
                        .collect();
                }
                (DrawnKind::Multiple { choices }, Response::Choices(picked)) => {
                    view.control = "checkbox";
                    view.hint = "Choose all that apply.";
                    view.options = choices
                        .iter()
                        .enumerate()
                        .map(|(j, c)| OptionView {
                            label: &c.text,
                            checked: picked.contains(&j),
                        })
                        .collect();
                }
                (DrawnKind::Short { .. }, Response::Text(_)) => {
                    view.control = "text";
                    view.hint = "Type a short answer.";
                    view.text = given_text;
                }
                (DrawnKind::Number { unit, .. }, Response::Text(_)) => {
                    view.control = "number";
                    view.hint = "Type a number.";
                    view.text = given_text;
                    view.unit = unit.as_deref();
                }
                (DrawnKind::Order { items, .. }, Response::Positions(given)) => {
                    view.control = "select";
                    view.hint = "Give each item its position, 1 for the first.";
                    view.selects = items
                        .iter()
                        .enumerate()
                        .map(|(k, item)| SelectView {
                            name: field_name(i, Some(k)),
                            label: item,
                            options: (0..items.len())
                                .map(|p| SelectOption {
                                    value: p + 1,
                                    text: None,
                                    selected: given.get(k) == Some(&Some(p)),
                                })
                                .collect(),
                        })
                        .collect();
                }
                (DrawnKind::Match { lefts, rights, .. }, Response::Pairs(given)) => {
                    view.control = "select";
                    view.hint = "Pick the match for each item.";
                    view.selects = lefts
                        .iter()
                        .enumerate()
                        .map(|(k, left)| SelectView {
                            name: field_name(i, Some(k)),
                            label: left,
                            options: rights
                                .iter()
                                .enumerate()
                                .map(|(r, right)| SelectOption {
                                    value: r,
                                    text: Some(right),
                                    selected: given.get(k) == Some(&Some(r)),
                                })
                                .collect(),
                        })
                        .collect();
                }
                _ => {}
            }
            view
        })
        .collect()
}

/// How a question went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Correct,
    Partial,
    Wrong,
    Unanswered,
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Correct => "Correct",
            Outcome::Partial => "Partly correct",
            Outcome::Wrong => "Incorrect",
            Outcome::Unanswered => "Not answered",
        }
    }

    pub fn class(&self) -> &'static str {
        match self {
            Outcome::Correct => "correct",
            Outcome::Partial => "partial",
            Outcome::Wrong => "wrong",
            Outcome::Unanswered => "unanswered",
        }
    }
}

/// One question of the result page.
pub struct ResultView {
    pub number: usize,
    pub prompt: String,
    pub earned: String,
    pub possible: String,
    pub outcome: Outcome,
    pub given: Vec<String>,
    pub right: Vec<String>,
    pub explanation: String,
    /// `(choice, feedback)` for choices that carry feedback.
    pub feedback: Vec<(String, String)>,
    /// Set when the question was missed: the section of the reading that answers it.
    pub section: Option<String>,
}

/// The result page's questions.
pub fn result_questions(questions: &[DrawnQuestion], submission: &Submission) -> Vec<ResultView> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let response = submission
                .responses
                .get(i)
                .cloned()
                .unwrap_or_else(|| Response::unanswered(q));
            let earned = submission.points.get(i).copied().unwrap_or(0.0);
            let outcome = if !response.is_answered() {
                Outcome::Unanswered
            } else if earned >= q.points - 1e-9 {
                Outcome::Correct
            } else if earned > 1e-9 {
                Outcome::Partial
            } else {
                Outcome::Wrong
            };
            let (given, right, feedback) = describe(q, &response);
            ResultView {
                number: i + 1,
                prompt: q.prompt.clone(),
                earned: format_points(earned),
                possible: format_points(q.points),
                outcome,
                given,
                right,
                explanation: q.explanation.clone(),
                feedback,
                section: (outcome != Outcome::Correct).then(|| q.section.clone()),
            }
        })
        .collect()
}

/// `(given, right, feedback)` lines of a question.
pub type Described = (Vec<String>, Vec<String>, Vec<(String, String)>);

/// The student's answer, the right answer and choice feedback, as lines of text.
pub fn describe(q: &DrawnQuestion, response: &Response) -> Described {
    let bool_text = |b: bool| if b { "True" } else { "False" }.to_string();
    match (&q.kind, response) {
        (DrawnKind::Single { choices } | DrawnKind::Multiple { choices }, _) => {
            let picked: Vec<usize> = match response {
                Response::Choice(c) => c.iter().copied().collect(),
                Response::Choices(c) => c.clone(),
                _ => Vec::new(),
            };
            let given = picked
                .iter()
                .filter_map(|&j| choices.get(j))
                .map(|c| c.text.clone())
                .collect();
            let right = choices
                .iter()
                .filter(|c| c.correct)
                .map(|c| c.text.clone())
                .collect();
            let feedback = choices
                .iter()
                .filter_map(|c| c.feedback.as_ref().map(|f| (c.text.clone(), f.clone())))
                .collect();
            (given, right, feedback)
        }
        (DrawnKind::TrueFalse { answer }, Response::Choice(c)) => (
            c.iter().map(|&j| bool_text(j == 0)).collect(),
            vec![bool_text(*answer)],
            Vec::new(),
        ),
        (DrawnKind::Short { answers }, Response::Text(t)) => {
            let mut right = vec![answers[0].clone()];
            if answers.len() > 1 {
                right.push(format!("Also accepted: {}", answers[1..].join("; ")));
            }
            (non_empty(t), right, Vec::new())
        }
        (
            DrawnKind::Number {
                answer,
                tolerance,
                unit,
            },
            Response::Text(t),
        ) => {
            let unit = unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
            let mut right = format!("{}{unit}", format_number(*answer));
            if *tolerance > 0.0 {
                right = format!("{right} (± {}{unit})", format_number(*tolerance));
            }
            (non_empty(t), vec![right], Vec::new())
        }
        (DrawnKind::Order { items, ranks }, Response::Positions(given)) => {
            let mut by_given: Vec<(usize, &String)> = given
                .iter()
                .zip(items)
                .filter_map(|(p, item)| p.map(|p| (p, item)))
                .collect();
            by_given.sort();
            let mut by_rank: Vec<(usize, &String)> = ranks.iter().copied().zip(items).collect();
            by_rank.sort();
            let numbered = |list: Vec<(usize, &String)>| {
                list.into_iter()
                    .enumerate()
                    .map(|(n, (_, item))| format!("{}. {item}", n + 1))
                    .collect()
            };
            (numbered(by_given), numbered(by_rank), Vec::new())
        }
        (
            DrawnKind::Match {
                lefts,
                rights,
                matches,
            },
            Response::Pairs(given),
        ) => (
            lefts
                .iter()
                .zip(given)
                .filter_map(|(l, g)| g.and_then(|r| rights.get(r)).map(|r| format!("{l} → {r}")))
                .collect(),
            lefts
                .iter()
                .zip(matches)
                .map(|(l, &m)| format!("{l} → {}", rights[m]))
                .collect(),
            Vec::new(),
        ),
        _ => (Vec::new(), Vec::new(), Vec::new()),
    }
}

fn non_empty(text: &str) -> Vec<String> {
    let t = text.trim();
    if t.is_empty() {
        Vec::new()
    } else {
        vec![t.to_string()]
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_shown_to_two_decimals_without_trailing_zeros() {
        for (points, shown) in [
            (0.0, "0"),
            (1.0, "1"),
            (10.0, "10"),
            (0.5, "0.5"),
            (2.25, "2.25"),
            (7.499, "7.5"),
            (1.005, "1"), // 1.005 is 1.00499… in binary
            (1.006, "1.01"),
            (0.05, "0.05"),
            (100.1, "100.1"),
            (62.5, "62.5"),
            (-0.5, "-0.5"),
            (1e300, &format!("{:.0}", 1e300)),
        ] {
            assert_eq!(format_points(points), shown, "{points}");
        }
        assert_eq!(points_label(1.0), "1 point");
        assert_eq!(points_label(1.5), "1.5 points");
    }
}
