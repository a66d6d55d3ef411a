//! Lessons: the model, the strict TOML reader and the validator. Pure: no I/O, no HTTP.

pub mod markdown;
pub mod model;
pub mod parse;
pub mod validate;

pub use model::{
    Choice, GradingMethod, Lesson, Question, QuestionKind, Quiz, Section, Source, TimelineEntry,
};
pub use parse::Problem;
pub use validate::{is_valid_id, validate_lesson};
