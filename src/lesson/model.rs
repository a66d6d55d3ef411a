//! The validated lesson: every value here has passed `validate`, so the rest of the
//! program never re-checks ids, references or counts.

use serde::{Deserialize, Serialize};

/// A lesson as loaded from one TOML file.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// `[a-z0-9-]+`, unique across the catalog; the URL segment.
    pub id: String,
    pub title: String,
    pub summary: String,
    /// Sort key on the index.
    pub order: i64,
    pub tags: Vec<String>,
    /// What a reader should be able to do after the lesson, in file order; questions map to them.
    pub objectives: Vec<Objective>,
    /// Estimated minutes to read the sections, computed at load time (see [`reading_minutes`]).
    pub reading_minutes: u32,
    pub sources: Vec<Source>,
    pub sections: Vec<Section>,
    pub timeline: Vec<TimelineEntry>,
    pub quiz: Option<Quiz>,
    /// Hex SHA-256 of the file's bytes: identifies the version an attempt was drawn from.
    pub content_hash: String,
}

impl Lesson {
    /// The section with this id, if any.
    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// The objective with this id, if any.
    pub fn objective(&self, id: &str) -> Option<&Objective> {
        self.objectives.iter().find(|o| o.id == id)
    }
}

/// Words a reader is assumed to read per minute, for [`reading_minutes`].
pub const WORDS_PER_MINUTE: usize = 200;

/// Minutes to read `words` words at [`WORDS_PER_MINUTE`], rounded up, and at least 1.
pub fn reading_minutes(words: usize) -> u32 {
    u32::try_from(words.div_ceil(WORDS_PER_MINUTE).max(1)).unwrap_or(u32::MAX)
}

/// A learning objective: one sentence saying what a reader should be able to do afterwards.
#[derive(Debug, Clone)]
pub struct Objective {
    /// `[a-z0-9-]+`, unique in the lesson; what questions' `objectives` name.
    pub id: String,
    /// Plain text.
    pub text: String,
}

/// A cited source.
#[derive(Debug, Clone)]
pub struct Source {
    pub title: String,
    pub url: String,
    /// `YYYY-MM-DD`.
    pub accessed: String,
}

/// One part of the reading; its id is the anchor questions link to.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub heading: String,
    /// Rendered and sanitised once at load time.
    pub body_html: String,
}

/// One dated event of the lesson's timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, already checked to be a real date.
    pub date: String,
    pub event: String,
    pub section: Option<String>,
}

/// The quiz settings and its question pool.
#[derive(Debug, Clone)]
pub struct Quiz {
    /// Questions per attempt, `1..=questions.len()`.
    pub draw: usize,
    pub pass_percent: f64,
    pub shuffle_questions: bool,
    pub shuffle_choices: bool,
    pub max_attempts: Option<u32>,
    pub time_limit_minutes: Option<u32>,
    /// Which submitted attempts make a learner's grade on the quiz.
    pub grading: GradingMethod,
    pub questions: Vec<Question>,
}

/// How a learner's attempts on one quiz make one grade, with Moodle's names and meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradingMethod {
    /// The best submitted attempt.
    #[default]
    Highest,
    /// The most recent submitted attempt.
    Last,
    /// The first submitted attempt.
    First,
    /// The mean of every submitted attempt.
    Average,
}

impl GradingMethod {
    /// Every method, with the name a lesson file uses for it.
    pub const ALL: [(&'static str, GradingMethod); 4] = [
        ("highest", GradingMethod::Highest),
        ("last", GradingMethod::Last),
        ("first", GradingMethod::First),
        ("average", GradingMethod::Average),
    ];

    /// The name a lesson file uses.
    pub fn name(self) -> &'static str {
        GradingMethod::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("highest", |(n, _)| n)
    }

    /// The method a lesson file names, if any.
    pub fn from_name(name: &str) -> Option<GradingMethod> {
        GradingMethod::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| *m)
    }
}

/// A question of the pool.
#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    /// Id of the section whose text answers it.
    pub section: String,
    /// Ids of the lesson objectives it assesses (each names one of [`Lesson::objectives`]);
    /// empty when the file lists none.
    pub objectives: Vec<String>,
    pub prompt: String,
    pub explanation: String,
    pub points: f64,
    pub kind: QuestionKind,
}

/// What is asked and what counts as right, per kind.
#[derive(Debug, Clone)]
pub enum QuestionKind {
    Single {
        answer: Choice,
        distractors: Vec<Choice>,
    },
    Multiple {
        answers: Vec<Choice>,
        distractors: Vec<Choice>,
    },
    TrueFalse {
        answer: bool,
    },
    Short {
        answers: Vec<String>,
    },
    Number {
        answer: f64,
        tolerance: f64,
        unit: Option<String>,
    },
    /// Items in the correct order.
    Order {
        items: Vec<String>,
    },
    /// `(left, right)` pairs; lefts unique, rights unique.
    Match {
        pairs: Vec<(String, String)>,
    },
}

impl QuestionKind {
    /// The name used in lesson files (`kind = "..."`).
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::Single { .. } => "single",
            QuestionKind::Multiple { .. } => "multiple",
            QuestionKind::TrueFalse { .. } => "true_false",
            QuestionKind::Short { .. } => "short",
            QuestionKind::Number { .. } => "number",
            QuestionKind::Order { .. } => "order",
            QuestionKind::Match { .. } => "match",
        }
    }

    /// Every kind name, in documentation order.
    pub const NAMES: [&'static str; 7] = [
        "single",
        "multiple",
        "true_false",
        "short",
        "number",
        "order",
        "match",
    ];
}

/// An answer option with optional feedback shown after submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub text: String,
    pub feedback: Option<String>,
}
