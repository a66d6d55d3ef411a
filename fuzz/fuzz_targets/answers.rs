//! Fuzz target `answers`: an answer form for an attempt drawn from the fixture quiz.
//! `lectern::quiz::decode_answers` never panics, fits every response to its question, and
//! grading stays within each question's points.
//! The checks are shared with `tests/fuzz_corpus.rs`, which replays `fuzz/corpus/answers/`.
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_answers(data));
