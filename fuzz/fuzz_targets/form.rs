//! Fuzz target `form`: a `Content-Type` and a POST body. `lectern::web::form::parse_form`
//! never panics and round-trips what it accepts; the fields it yields decode as answers.
//! The checks are shared with `tests/fuzz_corpus.rs`, which replays `fuzz/corpus/form/`.
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_form(data));
