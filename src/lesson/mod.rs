//! Lessons: the model, the strict TOML reader and the validator. Pure: no I/O, no HTTP.

pub mod markdown;
pub mod model;
pub mod parse;
pub mod validate;

pub use model::{
    Choice, GradingMethod, Lesson, Objective, Question, QuestionKind, Quiz, Section, Source,
    TimelineEntry, WORDS_PER_MINUTE, reading_minutes,
};
pub use parse::{Problem, Severity};
pub use validate::{Checked, check_lesson, is_valid_id, validate_lesson};
