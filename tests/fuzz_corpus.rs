//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the checks the fuzz
//! targets run (`fuzz/checks.rs`), so every input a fuzzer kept, and every crash it found, stays
//! a regression test under a plain `cargo test`. A missing or empty corpus fails: this test
//! must never pass by checking nothing.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../fuzz/checks.rs"]
mod checks;

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

/// Runs `target`'s check over every file of its corpus directory; fails naming each input
/// that panicked.
fn replay(target: &str) {
    let (_, check) = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target `{target}` in fuzz/checks.rs"));
    let dir = corpus_root().join(target);
    let entries = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {} cannot be read: {e}", dir.display()));
    let mut inputs: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "the corpus {} is empty", dir.display());

    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = fs::read(path).expect("a readable corpus file");
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} `{target}` inputs failed (panics above): {failed:#?}",
        failed.len(),
        inputs.len()
    );
}

#[test]
fn every_lesson_input_in_the_corpus_passes_the_lesson_checks() {
    replay("lesson");
}

#[test]
fn every_answers_input_in_the_corpus_passes_the_answer_form_checks() {
    replay("answers");
}

#[test]
fn every_form_input_in_the_corpus_passes_the_form_body_checks() {
    replay("form");
}

#[test]
fn every_fuzz_target_has_a_corpus_and_every_corpus_a_target() {
    let mut dirs: Vec<String> = fs::read_dir(corpus_root())
        .expect("fuzz/corpus exists")
        .map(|entry| entry.expect("a corpus entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut targets: Vec<String> = checks::TARGETS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    targets.sort();
    assert_eq!(dirs, targets);
}
