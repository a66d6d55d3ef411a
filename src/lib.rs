//! lectern: TOML lesson files in, server-rendered readings and scored quizzes out.

/// Loading a folder of lesson files (the only lesson-file I/O).
pub mod catalog;
/// The command line (`serve`, `check`).
pub mod cli;
/// Lesson model, strict TOML reader and validator (pure).
pub mod lesson;
/// Drawing, answer-form decoding and grading of quizzes (pure).
pub mod quiz;
/// Persistence of attempts (the only SQL).
pub mod store;
/// Watching the lessons folder for edits.
pub mod watch;
/// HTTP: router, sessions, pages, templates and the error page.
pub mod web;
