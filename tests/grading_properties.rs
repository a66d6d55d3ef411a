//! Properties of grading that must hold for every question a lesson can hold, every draw and
//! every response a form can decode to (proptest generates them):
//! - points earned are always within `0..=points`;
//! - the right answer earns full points whatever the shuffle;
//! - showing the choices in another order never changes a grade.

use lectern::lesson::{Choice, Question, QuestionKind};
use lectern::quiz::draw::draw_question;
use lectern::quiz::{DrawnKind, DrawnQuestion, Response, grade_question};
use proptest::prelude::*;

fn choice(text: String) -> Choice {
    Choice {
        text,
        feedback: None,
    }
}

/// `n` distinct texts with this prefix (validation requires distinct choices).
fn texts(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} {i}")).collect()
}

/// Any question a valid lesson can hold, of any kind.
fn question() -> impl Strategy<Value = Question> {
    let kind = prop_oneof![
        (0usize..6).prop_map(|d| QuestionKind::Single {
            answer: choice("right".into()),
            distractors: texts("wrong", d + 1).into_iter().map(choice).collect(),
        }),
        (1usize..6, 0usize..6).prop_map(|(a, d)| QuestionKind::Multiple {
            answers: texts("right", a).into_iter().map(choice).collect(),
            distractors: texts("wrong", d).into_iter().map(choice).collect(),
        }),
        any::<bool>().prop_map(|answer| QuestionKind::TrueFalse { answer }),
        "[A-Za-z][A-Za-z ,.]{0,20}".prop_map(|a| QuestionKind::Short { answers: vec![a] }),
        (-1e6f64..1e6, 0f64..10.0).prop_map(|(answer, tolerance)| QuestionKind::Number {
            answer,
            tolerance,
            unit: None,
        }),
        (2usize..8).prop_map(|n| QuestionKind::Order {
            items: texts("item", n)
        }),
        (2usize..8).prop_map(|n| QuestionKind::Match {
            pairs: texts("left", n)
                .into_iter()
                .zip(texts("right", n))
                .collect(),
        }),
    ];
    (kind, 0.5f64..1000.0).prop_map(|(kind, points)| Question {
        id: "q".into(),
        section: "s".into(),
        objectives: Vec::new(),
        prompt: "Which?".into(),
        explanation: "Because.".into(),
        points,
        kind,
    })
}

/// The response a student who knows the answer gives on the drawn (shuffled) form.
fn right_response(q: &DrawnQuestion) -> Response {
    match &q.kind {
        DrawnKind::Single { choices } => Response::Choice(choices.iter().position(|c| c.correct)),
        DrawnKind::Multiple { choices } => {
            Response::Choices((0..choices.len()).filter(|&i| choices[i].correct).collect())
        }
        DrawnKind::TrueFalse { answer } => Response::Choice(Some(if *answer { 0 } else { 1 })),
        DrawnKind::Short { answers } => Response::Text(answers[0].clone()),
        DrawnKind::Number { answer, .. } => Response::Text(answer.to_string()),
        DrawnKind::Order { ranks, .. } => {
            Response::Positions(ranks.iter().map(|&r| Some(r)).collect())
        }
        DrawnKind::Match { matches, .. } => {
            Response::Pairs(matches.iter().map(|&m| Some(m)).collect())
        }
    }
}

/// Any response of any shape, with indices in and out of range: more than the form decoder
/// would ever produce.
fn any_response() -> impl Strategy<Value = Response> {
    let index = prop_oneof![4 => 0usize..10, 1 => any::<usize>()];
    let slot = proptest::option::of(index.clone());
    prop_oneof![
        proptest::option::of(index.clone()).prop_map(Response::Choice),
        proptest::collection::vec(index, 0..12).prop_map(Response::Choices),
        ".{0,30}".prop_map(Response::Text),
        (-1e7f64..1e7).prop_map(|n| Response::Text(n.to_string())),
        proptest::collection::vec(slot.clone(), 0..10).prop_map(Response::Positions),
        proptest::collection::vec(slot, 0..10).prop_map(Response::Pairs),
    ]
}

/// The same question with its choices shown in another order (`order` picks the permutation),
/// and the same response given on that form.
fn reordered(q: &DrawnQuestion, r: &Response, order: &[usize]) -> (DrawnQuestion, Response) {
    // `perm[new] = old`, built from `order` as a ranking; `to_new[old] = new`.
    let permutation = |n: usize| -> (Vec<usize>, Vec<usize>) {
        let mut perm: Vec<usize> = (0..n).collect();
        perm.sort_by_key(|&i| (order.get(i).copied().unwrap_or(i), i));
        let mut to_new = vec![0; n];
        for (new, &old) in perm.iter().enumerate() {
            to_new[old] = new;
        }
        (perm, to_new)
    };
    let remap = |to_new: &[usize], i: usize| to_new.get(i).copied().unwrap_or(i);
    let mut q = q.clone();
    let r = match (&mut q.kind, r) {
        (DrawnKind::Single { choices }, Response::Choice(c)) => {
            let (perm, to_new) = permutation(choices.len());
            *choices = perm.iter().map(|&i| choices[i].clone()).collect();
            Response::Choice(c.map(|i| remap(&to_new, i)))
        }
        (DrawnKind::Multiple { choices }, Response::Choices(picked)) => {
            let (perm, to_new) = permutation(choices.len());
            *choices = perm.iter().map(|&i| choices[i].clone()).collect();
            Response::Choices(picked.iter().map(|&i| remap(&to_new, i)).collect())
        }
        (DrawnKind::Order { items, ranks }, Response::Positions(given)) => {
            // Items (the rows of the form) move; the positions they are given stay.
            let (perm, _) = permutation(items.len());
            *items = perm.iter().map(|&i| items[i].clone()).collect();
            *ranks = perm.iter().map(|&i| ranks[i]).collect();
            // Entries beyond the items (a malformed response) stay where they are.
            let rows = perm.iter().map(|&i| given.get(i).copied().flatten());
            Response::Positions(rows.chain(given.iter().skip(perm.len()).copied()).collect())
        }
        (
            DrawnKind::Match {
                lefts,
                rights,
                matches,
            },
            Response::Pairs(given),
        ) => {
            // Both the rows (lefts) and the options (rights) move.
            let (rows, _) = permutation(lefts.len());
            let (options, to_new) = permutation(rights.len());
            *lefts = rows.iter().map(|&i| lefts[i].clone()).collect();
            *rights = options.iter().map(|&i| rights[i].clone()).collect();
            *matches = rows.iter().map(|&i| to_new[matches[i]]).collect();
            let moved = |g: Option<usize>| g.map(|g| remap(&to_new, g));
            let given_rows = rows.iter().map(|&i| moved(given.get(i).copied().flatten()));
            let beyond = given.iter().skip(rows.len()).map(|&g| moved(g));
            Response::Pairs(given_rows.chain(beyond).collect())
        }
        (_, r) => r.clone(),
    };
    (q, r)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn points_earned_stay_within_zero_and_the_questions_points(
        q in question(), seed in any::<u64>(), r in any_response()
    ) {
        let drawn = draw_question(&q, true, seed);
        let earned = grade_question(&drawn, &r);
        prop_assert!((0.0..=q.points).contains(&earned), "{earned} of {}", q.points);
    }

    #[test]
    fn the_right_answer_earns_full_points_whatever_the_shuffle(
        q in question(), seed in any::<u64>()
    ) {
        let drawn = draw_question(&q, true, seed);
        prop_assert_eq!(grade_question(&drawn, &right_response(&drawn)), q.points);
    }

    #[test]
    fn showing_the_choices_in_another_order_never_changes_a_grade(
        q in question(),
        seed in any::<u64>(),
        r in any_response(),
        order in proptest::collection::vec(any::<usize>(), 8),
    ) {
        let drawn = draw_question(&q, true, seed);
        // Both a correct response and an arbitrary one (right shape or not).
        for response in [right_response(&drawn), r] {
            let (moved, moved_response) = reordered(&drawn, &response, &order);
            prop_assert_eq!(
                grade_question(&drawn, &response),
                grade_question(&moved, &moved_response)
            );
        }
    }
}
