//! The properties the fuzz targets check, in one place: each `fuzz/fuzz_targets/*.rs` runs one
//! of them under libFuzzer, and `tests/fuzz_corpus.rs` replays the committed corpus
//! (`fuzz/corpus/<target>/`) through all of them under `cargo test`.
//!
//! Every check takes raw fuzz input and panics when a property does not hold. Beyond "never
//! panics", they assert what is cheap to state: decoded responses fit their question, grades
//! stay within `[0, points]`, a drawn attempt never shows its own answer, the answer key sent
//! through the form earns full marks, and the form reader round-trips what it accepts.

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, header};
use lectern::lesson::{Lesson, Quiz, is_valid_id, validate_lesson};
use lectern::quiz::form::MAX_TEXT_ANSWER;
use lectern::quiz::{
    DrawnKind, DrawnQuestion, Response, decode_answers, draw_attempt, field_name, grade_attempt,
};
use lectern::web::error::AppError;
use lectern::web::form::{MAX_FIELDS, parse_form, take_field};

/// A property check over one raw fuzz input; it panics when the property fails.
pub type Check = fn(&[u8]);

/// Each fuzz target by its name (and corpus directory), with the check it runs.
pub const TARGETS: &[(&str, Check)] = &[
    ("lesson", check_lesson),
    ("answers", check_answers),
    ("form", check_form),
];

/// The fixture whose quiz uses all seven question kinds: the answer-form targets decode
/// against attempts drawn from it.
const FIXTURE: &str = include_str!("../tests/fixtures/good/all-kinds.toml");

fn fixture_quiz() -> &'static Quiz {
    static QUIZ: OnceLock<Quiz> = OnceLock::new();
    QUIZ.get_or_init(|| {
        let lesson = validate_lesson(FIXTURE, "all-kinds").expect("the fixture lesson is valid");
        lesson.quiz.expect("the fixture lesson has a quiz")
    })
}

/// `lesson`: any bytes (invalid UTF-8 replaced) as a lesson file. Validation never panics, a
/// refusal says where, and a lesson it accepts can be drawn, answered and graded.
pub fn check_lesson(data: &[u8]) {
    let source = String::from_utf8_lossy(data);
    match validate_lesson(&source, "fuzz-lesson") {
        Err(problems) => {
            assert!(!problems.is_empty(), "a refused lesson names its problems");
            let lines = source.split('\n').count();
            for p in &problems {
                assert!(
                    (1..=lines).contains(&p.line) && p.col >= 1,
                    "problem outside the file: {p:?}"
                );
            }
        }
        Ok(lesson) => check_valid_lesson(&lesson, data),
    }
}

fn check_valid_lesson(lesson: &Lesson, data: &[u8]) {
    assert!(is_valid_id(&lesson.id), "bad lesson id {:?}", lesson.id);
    assert!(!lesson.sources.is_empty() && !lesson.sections.is_empty());
    assert_eq!(lesson.content_hash.len(), 64);
    for section in &lesson.sections {
        let html = section.body_html.to_ascii_lowercase();
        for tag in ["<script", "<iframe", "<style", "<object", "<embed"] {
            assert!(!html.contains(tag), "{tag} survived sanitising: {html}");
        }
    }
    assert!(
        lesson.reading_minutes >= 1,
        "a reading takes at least a minute"
    );
    for objective in &lesson.objectives {
        assert!(is_valid_id(&objective.id) && !objective.text.contains('\n'));
    }
    let Some(quiz) = &lesson.quiz else { return };
    assert!((1..=quiz.questions.len()).contains(&quiz.draw));
    for q in &quiz.questions {
        for id in &q.objectives {
            assert!(lesson.objective(id).is_some(), "{} names {id}", q.id);
        }
    }
    for seed in [0, seed_from(data)] {
        let drawn = draw_attempt(quiz, seed, None);
        assert_eq!(drawn.len(), quiz.draw, "an attempt has `draw` questions");
        check_attempt(&drawn);
    }
}

/// `answers`: the first 8 bytes seed a draw from the fixture quiz; the 9th, when not 0, limits
/// the pool to the questions whose bit is set (a retry of missed questions). The rest, read as
/// `name=value` pairs joined by `&` (no percent-decoding: these are already decoded fields), is
/// the posted form.
pub fn check_answers(data: &[u8]) {
    let quiz = fixture_quiz();
    let (seed, rest) = data.split_at(data.len().min(8));
    let (mask, rest) = match rest.split_first() {
        Some((&mask, rest)) => (mask, rest),
        None => (0, rest),
    };
    let only: Vec<String> = quiz
        .questions
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 8 && mask & (1 << i) != 0)
        .map(|(_, q)| q.id.clone())
        .collect();
    let drawn = draw_attempt(quiz, seed_from(seed), (mask != 0).then_some(&only[..]));
    let expected = if mask == 0 { quiz.draw } else { only.len() };
    assert_eq!(drawn.len(), expected);
    check_attempt(&drawn);

    let fields: Vec<(String, String)> = String::from_utf8_lossy(rest)
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (name.to_string(), value.to_string()),
            None => (pair.to_string(), String::new()),
        })
        .collect();
    check_decoded(&drawn, &fields);
}

/// `form`: the first line is the `Content-Type` header, the rest the request body. The strict
/// reader never panics, refuses with 400 or 415 only, keeps every non-empty pair in order up to
/// its cap, and what it accepts survives a round trip through a standard encoder. The fields,
/// less the CSRF token, then go through the answer decoder like a real submission.
pub fn check_form(data: &[u8]) {
    let (content_type, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let mut fields = match parse_form(&headers, body) {
        Ok(fields) => fields,
        Err(AppError::UnsupportedMediaType | AppError::BadRequest(_)) => return,
        Err(other) => panic!("unexpected refusal: {other:?}"),
    };
    let pairs = body.split(|&b| b == b'&').filter(|p| !p.is_empty()).count();
    assert_eq!(fields.len(), pairs, "every non-empty pair is one field");
    assert!(fields.len() <= MAX_FIELDS);

    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let again = parse_form(&headers, encoded.as_bytes()).expect("re-encoded form is accepted");
    assert_eq!(again, fields, "the form survives a round trip ({encoded})");

    if take_field(&mut fields, "csrf").is_ok() {
        assert!(fields.iter().all(|(name, _)| name != "csrf"));
    }
    let drawn = draw_attempt(fixture_quiz(), 0, None);
    check_decoded(&drawn, &fields);
}

/// Eight bytes (zero-padded) as a draw seed.
fn seed_from(data: &[u8]) -> u64 {
    let mut seed = [0u8; 8];
    for (slot, byte) in seed.iter_mut().zip(data) {
        *slot = *byte;
    }
    u64::from_le_bytes(seed)
}

/// A drawn attempt is well formed, gives nothing away by its display order, grades an empty
/// form as zero, and grades its own answer key, sent as form fields, as full marks.
fn check_attempt(drawn: &[DrawnQuestion]) {
    for (i, q) in drawn.iter().enumerate() {
        assert!(
            drawn[..i].iter().all(|other| other.id != q.id),
            "question `{}` drawn twice",
            q.id
        );
        check_drawn_question(q);
    }
    let empty = decode_answers(drawn, &[]);
    assert_eq!(empty.problems, [], "an empty form is valid");
    let (points, _) = grade_attempt(drawn, &empty.responses);
    assert!(
        points.iter().all(|&p| p == 0.0),
        "an empty form earns nothing"
    );

    let key = answer_key_fields(drawn);
    let decoded = decode_answers(drawn, &key);
    assert_eq!(
        decoded.problems,
        [],
        "the answer key {key:?} is a valid form"
    );
    let (points, score) = grade_attempt(drawn, &decoded.responses);
    for (q, p) in drawn.iter().zip(&points) {
        assert!(
            (p - q.points).abs() <= 1e-9 * q.points,
            "the key to `{}` earns {p} of {}",
            q.id,
            q.points
        );
    }
    assert!(
        drawn.is_empty() || score.passed(100.0),
        "the key passes at 100%"
    );
    check_decoded(drawn, &key);
}

fn check_drawn_question(q: &DrawnQuestion) {
    assert!(
        q.points.is_finite() && q.points > 0.0,
        "points {}",
        q.points
    );
    match &q.kind {
        DrawnKind::Single { choices } => {
            assert!(choices.len() >= 2);
            assert_eq!(choices.iter().filter(|c| c.correct).count(), 1);
        }
        DrawnKind::Multiple { choices } => assert!(choices.iter().any(|c| c.correct)),
        DrawnKind::TrueFalse { .. } => {}
        DrawnKind::Short { answers } => assert!(!answers.is_empty()),
        DrawnKind::Number {
            answer, tolerance, ..
        } => assert!(answer.is_finite() && tolerance.is_finite() && *tolerance >= 0.0),
        DrawnKind::Order { items, ranks } => {
            assert!(items.len() >= 2 && ranks.len() == items.len());
            assert_permutation(ranks);
            assert!(
                !is_identity(ranks),
                "`{}` is shown in its answer order",
                q.id
            );
        }
        DrawnKind::Match {
            lefts,
            rights,
            matches,
        } => {
            assert!(!lefts.is_empty());
            assert!(rights.len() == lefts.len() && matches.len() == lefts.len());
            assert_permutation(matches);
            assert!(
                lefts.len() < 2 || !is_identity(matches),
                "`{}` shows row i beside its answer, option i",
                q.id
            );
        }
    }
}

fn assert_permutation(v: &[usize]) {
    let mut sorted = v.to_vec();
    sorted.sort_unstable();
    assert!(is_identity(&sorted), "{v:?} is not a permutation");
}

fn is_identity(v: &[usize]) -> bool {
    v.iter().enumerate().all(|(i, &x)| i == x)
}

/// The form fields a student who knows every answer posts.
fn answer_key_fields(drawn: &[DrawnQuestion]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for (i, q) in drawn.iter().enumerate() {
        let mut field = |item: Option<usize>, value: String| {
            fields.push((field_name(i, item), value));
        };
        match &q.kind {
            DrawnKind::Single { choices } | DrawnKind::Multiple { choices } => {
                for (c, _) in choices.iter().enumerate().filter(|(_, c)| c.correct) {
                    field(None, c.to_string());
                }
            }
            DrawnKind::TrueFalse { answer } => {
                field(None, if *answer { "0" } else { "1" }.to_string())
            }
            DrawnKind::Short { answers } => field(None, answers[0].clone()),
            DrawnKind::Number { answer, .. } => field(None, format!("{answer:e}")),
            DrawnKind::Order { ranks, .. } => {
                for (k, rank) in ranks.iter().enumerate() {
                    field(Some(k), (rank + 1).to_string());
                }
            }
            DrawnKind::Match { matches, .. } => {
                for (k, right) in matches.iter().enumerate() {
                    field(Some(k), right.to_string());
                }
            }
        }
    }
    fields
}

/// Decoding `fields` gives one response of the right shape per question, problems that point
/// at real questions, and grades within `[0, points]`.
fn check_decoded(drawn: &[DrawnQuestion], fields: &[(String, String)]) {
    let decoded = decode_answers(drawn, fields);
    assert_eq!(decoded.responses.len(), drawn.len());
    for problem in &decoded.problems {
        assert!(
            problem.question.is_none_or(|q| q < drawn.len()),
            "{problem:?}"
        );
    }
    for (q, response) in drawn.iter().zip(&decoded.responses) {
        check_response_shape(q, response);
    }
    let (points, score) = grade_attempt(drawn, &decoded.responses);
    assert_eq!(points.len(), drawn.len());
    for (q, &p) in drawn.iter().zip(&points) {
        assert!(
            (0.0..=q.points).contains(&p),
            "`{}` earned {p} of {} for {fields:?}",
            q.id,
            q.points
        );
    }
    assert!(score.earned <= score.possible + 1e-9);
    assert!((0.0..=100.0 + 1e-9).contains(&score.percent()));
}

fn check_response_shape(q: &DrawnQuestion, response: &Response) {
    let fits = match (&q.kind, response) {
        (DrawnKind::Single { choices }, Response::Choice(c)) => c.is_none_or(|i| i < choices.len()),
        (DrawnKind::TrueFalse { .. }, Response::Choice(c)) => c.is_none_or(|i| i < 2),
        (DrawnKind::Multiple { choices }, Response::Choices(picked)) => {
            picked.windows(2).all(|w| w[0] < w[1]) && picked.iter().all(|&i| i < choices.len())
        }
        (DrawnKind::Short { .. } | DrawnKind::Number { .. }, Response::Text(text)) => {
            text.chars().count() <= MAX_TEXT_ANSWER
        }
        (DrawnKind::Order { items, .. }, Response::Positions(given)) => {
            given.len() == items.len() && given.iter().flatten().all(|&p| p < items.len())
        }
        (DrawnKind::Match { lefts, rights, .. }, Response::Pairs(given)) => {
            given.len() == lefts.len() && given.iter().flatten().all(|&r| r < rights.len())
        }
        _ => false,
    };
    assert!(fits, "{response:?} does not fit `{}`", q.id);
}
