//! Micro-benchmarks of the pure hot paths (`cargo bench`): parsing and validating a lesson,
//! drawing an attempt, rendering a quiz page, decoding an answer form and grading each kind.
//! The HTTP-level figures come from `bench/run`; see docs/performance.md.

#[path = "../bench/src/fixtures.rs"]
mod fixtures;

use std::hint::black_box;

use askama::Template;
use criterion::{Criterion, criterion_group, criterion_main};
use lectern::lesson::{Lesson, validate_lesson};
use lectern::quiz::{DrawnQuestion, decode_answers, draw_attempt, grade_question};
use lectern::web::templates::{QuizFacts, QuizPage};
use lectern::web::views::{format_points, points_label, quiz_questions};

const BUNDLED: &str = include_str!("../lessons/war-2020.toml");

fn lesson() -> Lesson {
    validate_lesson(BUNDLED, "war-2020").expect("the bundled lesson is valid")
}

/// Form fields as the web layer hands them to the decoder (CSRF field removed).
fn fields(questions: &[DrawnQuestion]) -> Vec<(String, String)> {
    let body = fixtures::answer_form(questions, "csrf");
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .filter(|(name, _)| name != "csrf")
        .collect()
}

fn parse_and_validate(c: &mut Criterion) {
    let generated = fixtures::lesson_toml(1);
    let mut group = c.benchmark_group("lesson/parse+validate");
    group.bench_function("bundled war-2020", |b| {
        b.iter(|| validate_lesson(black_box(BUNDLED), "war-2020").unwrap())
    });
    group.bench_function("generated", |b| {
        b.iter(|| validate_lesson(black_box(&generated), "gen-0001").unwrap())
    });
    group.finish();
}

fn draw(c: &mut Criterion) {
    let lesson = lesson();
    let quiz = lesson.quiz.as_ref().unwrap();
    let mut seed = 0u64;
    c.bench_function("quiz/draw attempt", |b| {
        b.iter(|| {
            seed += 1;
            draw_attempt(quiz, black_box(seed), None)
        })
    });
}

fn render(c: &mut Criterion) {
    let lesson = lesson();
    let questions = draw_attempt(lesson.quiz.as_ref().unwrap(), 7, None);
    let possible: f64 = questions.iter().map(|q| q.points).sum();
    c.bench_function("quiz/render page", |b| {
        b.iter(|| {
            QuizPage {
                lesson_title: &lesson.title,
                lesson_id: &lesson.id,
                token: "0123456789abcdef0123456789abcdef",
                csrf: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                facts: QuizFacts {
                    questions: questions.len(),
                    points: points_label(possible),
                    pass_percent: format_points(60.0),
                    time_limit_minutes: None,
                    max_attempts: None,
                },
                deadline: None,
                questions: quiz_questions(black_box(&questions), &[], &[]),
                form_problems: Vec::new(),
                has_problems: false,
            }
            .render()
            .unwrap()
        })
    });
}

fn decode_and_grade(c: &mut Criterion) {
    let lesson = lesson();
    let questions = draw_attempt(lesson.quiz.as_ref().unwrap(), 7, None);
    let form = fields(&questions);
    c.bench_function("quiz/decode answer form", |b| {
        b.iter(|| decode_answers(black_box(&questions), black_box(&form)))
    });

    // One question of each kind, from a generated lesson (its pool has every kind), answered
    // by the filled-in form.
    let generated = validate_lesson(&fixtures::lesson_toml(1), "gen-0001").unwrap();
    let quiz = generated.quiz.as_ref().unwrap();
    let all = draw_attempt(
        quiz,
        7,
        Some(
            &quiz
                .questions
                .iter()
                .map(|q| q.id.clone())
                .collect::<Vec<_>>(),
        ),
    );
    let responses = decode_answers(&all, &fields(&all)).responses;
    let mut group = c.benchmark_group("grade");
    for kind in lectern::lesson::QuestionKind::NAMES {
        let (question, response) = all
            .iter()
            .zip(&responses)
            .find(|(q, _)| {
                let drawn = serde_json::to_value(&q.kind).unwrap();
                drawn["kind"] == kind
            })
            .expect("the generated pool has every kind");
        group.bench_function(kind, |b| {
            b.iter(|| grade_question(black_box(question), black_box(response)))
        });
    }
    group.finish();
}

criterion_group!(benches, parse_and_validate, draw, render, decode_and_grade);
criterion_main!(benches);
