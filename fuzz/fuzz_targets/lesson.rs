//! Fuzz target `lesson`: any bytes as a lesson file. `lectern::lesson::validate_lesson`
//! never panics, and a lesson it accepts can be drawn, answered and graded.
//! The checks are shared with `tests/fuzz_corpus.rs`, which replays `fuzz/corpus/lesson/`.
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_lesson(data));
