//! Quizzes: drawing attempts, decoding answer forms and grading. Pure: no I/O, no HTTP.

pub mod draw;
pub mod form;
pub mod grade;
pub mod gradebook;
pub mod stats;

pub use draw::{DrawnChoice, DrawnKind, DrawnQuestion, draw_attempt};
pub use form::{DecodedForm, FormProblem, decode_answers, field_name};
pub use grade::{Response, Score, grade_attempt, grade_question};
