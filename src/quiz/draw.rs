//! Drawing an attempt: which questions, in what order, with choices in what order.
//! Deterministic for a seed, so an attempt can always be rebuilt and tests are reproducible.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::lesson::{Choice, Question, QuestionKind, Quiz};

/// A question as it appears in one attempt, with its choices in the attempt's order.
/// It carries the key (`correct`, answers), so it must only be rendered in full after submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawnQuestion {
    pub id: String,
    pub section: String,
    pub prompt: String,
    pub explanation: String,
    pub points: f64,
    pub kind: DrawnKind,
}

/// A choice shown to the student; its position in the list is its form value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawnChoice {
    pub text: String,
    pub feedback: Option<String>,
    pub correct: bool,
}

/// The per-kind content of a drawn question. Stored as JSON with the kind first
/// (`{"kind":"single","choices":[…]}`); see the `Deserialize` impl below.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DrawnKind {
    Single {
        choices: Vec<DrawnChoice>,
    },
    Multiple {
        choices: Vec<DrawnChoice>,
    },
    TrueFalse {
        answer: bool,
    },
    Short {
        answers: Vec<String>,
    },
    Number {
        answer: f64,
        tolerance: f64,
        unit: Option<String>,
    },
    /// `items` in display order; `ranks[i]` is the correct 0-based position of `items[i]`.
    Order {
        items: Vec<String>,
        ranks: Vec<usize>,
    },
    /// `lefts` in display order, `rights` in option order; `matches[i]` is the index in
    /// `rights` of the right side that belongs to `lefts[i]`.
    Match {
        lefts: Vec<String>,
        rights: Vec<String>,
        matches: Vec<usize>,
    },
}

/// Reads the tag, then the variant's fields straight from the rest of the object. Serde's
/// derived reader for internally tagged enums first copies the whole object into a generic
/// buffer (the tag might come last); that copy was a fifth of the time a quiz page took. The
/// tag always comes first in what lectern writes; an object where it does not is refused.
impl<'de> Deserialize<'de> for DrawnKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DrawnKindVisitor)
    }
}

struct DrawnKindVisitor;

impl<'de> serde::de::Visitor<'de> for DrawnKindVisitor {
    type Value = DrawnKind;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a drawn question kind, its `kind` tag first")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<DrawnKind, A::Error> {
        use serde::de::Error;
        use serde::de::value::MapAccessDeserializer;

        #[derive(Deserialize)]
        struct Choices {
            choices: Vec<DrawnChoice>,
        }
        #[derive(Deserialize)]
        struct TrueFalse {
            answer: bool,
        }
        #[derive(Deserialize)]
        struct Short {
            answers: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Number {
            answer: f64,
            tolerance: f64,
            unit: Option<String>,
        }
        #[derive(Deserialize)]
        struct Order {
            items: Vec<String>,
            ranks: Vec<usize>,
        }
        #[derive(Deserialize)]
        struct Match {
            lefts: Vec<String>,
            rights: Vec<String>,
            matches: Vec<usize>,
        }

        let first: Option<std::borrow::Cow<'de, str>> = map.next_key()?;
        if first.as_deref() != Some("kind") {
            return Err(A::Error::custom(
                "a drawn question's `kind` must come first",
            ));
        }
        let kind: std::borrow::Cow<'de, str> = map.next_value()?;
        let rest = MapAccessDeserializer::new(map);
        Ok(match kind.as_ref() {
            "single" => DrawnKind::Single {
                choices: Choices::deserialize(rest)?.choices,
            },
            "multiple" => DrawnKind::Multiple {
                choices: Choices::deserialize(rest)?.choices,
            },
            "true_false" => DrawnKind::TrueFalse {
                answer: TrueFalse::deserialize(rest)?.answer,
            },
            "short" => DrawnKind::Short {
                answers: Short::deserialize(rest)?.answers,
            },
            "number" => {
                let Number {
                    answer,
                    tolerance,
                    unit,
                } = Number::deserialize(rest)?;
                DrawnKind::Number {
                    answer,
                    tolerance,
                    unit,
                }
            }
            "order" => {
                let Order { items, ranks } = Order::deserialize(rest)?;
                DrawnKind::Order { items, ranks }
            }
            "match" => {
                let Match {
                    lefts,
                    rights,
                    matches,
                } = Match::deserialize(rest)?;
                DrawnKind::Match {
                    lefts,
                    rights,
                    matches,
                }
            }
            other => return Err(A::Error::unknown_variant(other, &QuestionKind::NAMES)),
        })
    }
}

/// Draws an attempt from `quiz` with `seed`. With `only`, the pool is limited to those question
/// ids (a retry of missed questions) and every one of them is drawn.
pub fn draw_attempt(quiz: &Quiz, seed: u64, only: Option<&[String]>) -> Vec<DrawnQuestion> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pool: Vec<usize> = (0..quiz.questions.len())
        .filter(|&i| only.is_none_or(|ids| ids.contains(&quiz.questions[i].id)))
        .collect();
    let count = match only {
        Some(_) => pool.len(),
        None => quiz.draw.min(pool.len()),
    };
    let mut picked = stratified_pick(quiz, &pool, count, &mut rng);
    if quiz.shuffle_questions {
        picked.shuffle(&mut rng);
    } else {
        picked.sort_unstable();
    }
    picked
        .into_iter()
        .map(|i| drawn(&quiz.questions[i], quiz.shuffle_choices, &mut rng))
        .collect()
}

fn drawn(q: &Question, shuffle_choices: bool, rng: &mut ChaCha8Rng) -> DrawnQuestion {
    DrawnQuestion {
        id: q.id.clone(),
        section: q.section.clone(),
        prompt: q.prompt.clone(),
        explanation: q.explanation.clone(),
        points: q.points,
        kind: draw_kind(&q.kind, shuffle_choices, rng),
    }
}

/// One question drawn on its own (the educator preview uses it with `shuffle_choices` off).
pub fn draw_question(q: &Question, shuffle_choices: bool, seed: u64) -> DrawnQuestion {
    drawn(q, shuffle_choices, &mut ChaCha8Rng::seed_from_u64(seed))
}

/// Picks `count` pool indices spread across sections as evenly as the pool allows: sections
/// take turns (in a random order) giving one random question each until enough are picked.
fn stratified_pick(quiz: &Quiz, pool: &[usize], count: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut sections: Vec<(&str, Vec<usize>)> = Vec::new();
    for &i in pool {
        let section = quiz.questions[i].section.as_str();
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, members)) => members.push(i),
            None => sections.push((section, vec![i])),
        }
    }
    sections.shuffle(rng);
    for (_, members) in &mut sections {
        members.shuffle(rng);
    }
    let mut picked = Vec::with_capacity(count);
    let mut round = 0;
    while picked.len() < count {
        for (_, members) in &sections {
            if picked.len() < count
                && let Some(&i) = members.get(round)
            {
                picked.push(i);
            }
        }
        round += 1;
    }
    picked
}

fn drawn_choices(
    right: &[Choice],
    wrong: &[Choice],
    shuffle: bool,
    rng: &mut ChaCha8Rng,
) -> Vec<DrawnChoice> {
    let mark = |correct: bool| {
        move |c: &Choice| DrawnChoice {
            text: c.text.clone(),
            feedback: c.feedback.clone(),
            correct,
        }
    };
    let mut choices: Vec<DrawnChoice> = right
        .iter()
        .map(mark(true))
        .chain(wrong.iter().map(mark(false)))
        .collect();
    if shuffle {
        choices.shuffle(rng);
    }
    choices
}

fn draw_kind(kind: &QuestionKind, shuffle: bool, rng: &mut ChaCha8Rng) -> DrawnKind {
    match kind {
        QuestionKind::Single {
            answer,
            distractors,
        } => DrawnKind::Single {
            choices: drawn_choices(std::slice::from_ref(answer), distractors, shuffle, rng),
        },
        QuestionKind::Multiple {
            answers,
            distractors,
        } => DrawnKind::Multiple {
            choices: drawn_choices(answers, distractors, shuffle, rng),
        },
        QuestionKind::TrueFalse { answer } => DrawnKind::TrueFalse { answer: *answer },
        QuestionKind::Short { answers } => DrawnKind::Short {
            answers: answers.clone(),
        },
        QuestionKind::Number {
            answer,
            tolerance,
            unit,
        } => DrawnKind::Number {
            answer: *answer,
            tolerance: *tolerance,
            unit: unit.clone(),
        },
        QuestionKind::Order { items } => {
            // Order questions are always shown shuffled: in file order they would give the answer.
            let mut ranks: Vec<usize> = (0..items.len()).collect();
            shuffle_not_identity(&mut ranks, rng);
            DrawnKind::Order {
                items: ranks.iter().map(|&r| items[r].clone()).collect(),
                ranks,
            }
        }
        QuestionKind::Match { pairs } => {
            let mut left_order: Vec<usize> = (0..pairs.len()).collect();
            if shuffle {
                left_order.shuffle(rng);
            }
            // The options list is always shuffled against the lefts, or row i would match option i.
            let mut right_order: Vec<usize> = (0..pairs.len()).collect();
            shuffle_not_identity(&mut right_order, rng);
            // Shuffled lefts can land in the options' order, which pairs row i with option i again.
            while pairs.len() > 1 && right_order == left_order {
                right_order.shuffle(rng);
            }
            DrawnKind::Match {
                lefts: left_order.iter().map(|&i| pairs[i].0.clone()).collect(),
                rights: right_order.iter().map(|&i| pairs[i].1.clone()).collect(),
                matches: left_order
                    .iter()
                    .map(|&pair| right_order.iter().position(|&r| r == pair).unwrap_or(0))
                    .collect(),
            }
        }
    }
}

/// Shuffles until the order differs from the identity (when it can), so the display order of
/// an order question never gives its answer away.
fn shuffle_not_identity(v: &mut [usize], rng: &mut ChaCha8Rng) {
    if v.len() < 2 {
        return;
    }
    loop {
        v.shuffle(rng);
        if v.iter().enumerate().any(|(i, &x)| i != x) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiz(sections: &[(&str, usize)], draw: usize) -> Quiz {
        let mut questions = Vec::new();
        for (section, n) in sections {
            for i in 0..*n {
                questions.push(Question {
                    id: format!("{section}-{i}"),
                    section: section.to_string(),
                    objectives: Vec::new(),
                    prompt: "p".into(),
                    explanation: "e".into(),
                    points: 1.0,
                    kind: QuestionKind::Single {
                        answer: Choice {
                            text: "right".into(),
                            feedback: None,
                        },
                        distractors: vec![
                            Choice {
                                text: "wrong 1".into(),
                                feedback: None,
                            },
                            Choice {
                                text: "wrong 2".into(),
                                feedback: None,
                            },
                        ],
                    },
                });
            }
        }
        Quiz {
            draw,
            pass_percent: 60.0,
            shuffle_questions: true,
            shuffle_choices: true,
            max_attempts: None,
            time_limit_minutes: None,
            grading: Default::default(),
            questions,
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_attempt_and_seeds_differ() {
        let q = quiz(&[("a", 5), ("b", 5), ("c", 5)], 6);
        assert_eq!(draw_attempt(&q, 7, None), draw_attempt(&q, 7, None));
        let distinct: std::collections::HashSet<Vec<String>> = (0..20)
            .map(|seed| {
                draw_attempt(&q, seed, None)
                    .into_iter()
                    .map(|d| d.id)
                    .collect()
            })
            .collect();
        assert!(
            distinct.len() > 15,
            "only {} distinct draws",
            distinct.len()
        );
    }

    #[test]
    fn a_draw_spreads_questions_evenly_across_sections() {
        let q = quiz(&[("a", 6), ("b", 2), ("c", 4)], 6);
        for seed in 0..50 {
            let drawn = draw_attempt(&q, seed, None);
            let count = |s: &str| drawn.iter().filter(|d| d.section == s).count();
            assert_eq!(
                (count("a"), count("b"), count("c")),
                (2, 2, 2),
                "seed {seed}"
            );
        }
        // A small section runs out and the others make up the difference.
        let q = quiz(&[("a", 6), ("b", 1), ("c", 4)], 9);
        for seed in 0..50 {
            let drawn = draw_attempt(&q, seed, None);
            let count = |s: &str| drawn.iter().filter(|d| d.section == s).count();
            assert_eq!(count("b"), 1);
            assert!(count("a") >= 4 && count("c") == 4, "seed {seed}");
        }
    }

    #[test]
    fn a_retry_draws_exactly_the_named_questions() {
        let q = quiz(&[("a", 5), ("b", 5)], 4);
        let only = vec!["a-1".to_string(), "b-3".to_string()];
        let mut ids: Vec<String> = draw_attempt(&q, 3, Some(&only))
            .into_iter()
            .map(|d| d.id)
            .collect();
        ids.sort();
        assert_eq!(ids, only);
    }

    #[test]
    fn order_and_match_displays_never_give_the_answer_away() {
        let kind = QuestionKind::Order {
            items: vec!["1".into(), "2".into()],
        };
        let pairs = QuestionKind::Match {
            pairs: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
        };
        for seed in 0..30 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            match draw_kind(&kind, false, &mut rng) {
                DrawnKind::Order { items, ranks } => {
                    assert_eq!(items, ["2", "1"]);
                    assert_eq!(ranks, [1, 0]);
                }
                other => panic!("{other:?}"),
            }
            match draw_kind(&pairs, false, &mut rng) {
                DrawnKind::Match {
                    lefts,
                    rights,
                    matches,
                } => {
                    assert_eq!(lefts, ["a", "b"]);
                    assert_eq!(rights, ["2", "1"]);
                    assert_eq!(matches, [1, 0]);
                }
                other => panic!("{other:?}"),
            }
        }
        // With the lefts shuffled too, the options are still never in row order.
        for seed in 0..30 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            match draw_kind(&pairs, true, &mut rng) {
                DrawnKind::Match { matches, .. } => assert_eq!(matches, [1, 0], "seed {seed}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn every_kind_reads_back_from_its_stored_json() {
        let source = include_str!("../../tests/fixtures/good/all-kinds.toml");
        let lesson = crate::lesson::validate_lesson(source, "all-kinds").unwrap();
        let quiz = lesson.quiz.unwrap();
        let drawn = draw_attempt(&quiz, 42, None);
        let kinds: std::collections::BTreeSet<&str> =
            quiz.questions.iter().map(|q| q.kind.name()).collect();
        assert_eq!(kinds.len(), 7, "the fixture has every kind");
        let json = serde_json::to_string(&drawn).unwrap();
        let back: Vec<DrawnQuestion> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, drawn);
    }

    #[test]
    fn stored_kinds_in_the_original_format_still_read() {
        // As serde's derived internally tagged writer produced them; `unit` may be absent.
        let json = r#"[{"kind":"number","answer":1994.0,"tolerance":0.5},
                       {"kind":"true_false","answer":false},
                       {"kind":"match","lefts":["a"],"rights":["b"],"matches":[0]}]"#;
        let kinds: Vec<DrawnKind> = serde_json::from_str(json).unwrap();
        assert_eq!(
            kinds[0],
            DrawnKind::Number {
                answer: 1994.0,
                tolerance: 0.5,
                unit: None
            }
        );
        assert_eq!(kinds[1], DrawnKind::TrueFalse { answer: false });
        assert!(
            serde_json::from_str::<DrawnKind>(r#"{"answer":true,"kind":"true_false"}"#).is_err()
        );
        assert!(serde_json::from_str::<DrawnKind>(r#"{"kind":"essay"}"#).is_err());
    }
}
