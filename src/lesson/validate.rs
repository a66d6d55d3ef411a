//! Lesson semantics: turns a parsed TOML document into a [`Lesson`], collecting every
//! problem (unknown keys, wrong types, duplicate ids, dangling references, bad counts).

use std::collections::HashMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::markdown::{count_words, render_and_count};
use super::model::{
    Choice, GradingMethod, Lesson, Objective, Question, QuestionKind, Quiz, Section, Source,
    TimelineEntry, reading_minutes,
};
use super::parse::{At, Fields, Problem, Problems, Severity, parse_document, parse_partial_date};

const TOP_KEYS: &[&str] = &[
    "id",
    "title",
    "summary",
    "order",
    "tags",
    "objectives",
    "sources",
    "sections",
    "timeline",
    "quiz",
];
const OBJECTIVE_KEYS: &[&str] = &["id", "text"];
const SOURCE_KEYS: &[&str] = &["title", "url", "accessed"];
const SECTION_KEYS: &[&str] = &["id", "heading", "body"];
const TIMELINE_KEYS: &[&str] = &["date", "event", "section"];
const QUIZ_KEYS: &[&str] = &[
    "draw",
    "pass_percent",
    "shuffle_questions",
    "shuffle_choices",
    "max_attempts",
    "time_limit_minutes",
    "grading",
    "questions",
];
const COMMON_QUESTION_KEYS: &[&str] = &[
    "id",
    "kind",
    "section",
    "objectives",
    "prompt",
    "explanation",
    "points",
];

/// Most points one question may be worth: far above any real weighting, and low enough that an
/// attempt's total stays finite (`1e308` twice would make it infinite and every percentage NaN).
pub const MAX_POINTS: f64 = 1000.0;

/// Longest accepted answer of a `short` question, in characters: the answer form takes no more
/// (`quiz::form::MAX_TEXT_ANSWER`), so a longer one could never be given.
pub const MAX_SHORT_ANSWER: usize = 500;

/// What checking one lesson file found.
#[derive(Debug)]
pub struct Checked {
    /// The lesson, or the errors (at least one) that keep it from loading.
    pub lesson: Result<Lesson, Vec<Problem>>,
    /// What is worth fixing but does not keep the lesson from loading (an objective no
    /// question assesses), sorted by position.
    pub warnings: Vec<Problem>,
}

/// Parses and validates one lesson file, keeping warnings apart from errors. `default_id` is
/// the file stem.
pub fn check_lesson(source: &str, default_id: &str) -> Checked {
    let mut problems = Problems::new(source);
    let lesson = parse_document(source, &mut problems)
        .and_then(|document| read_lesson(document.get_ref(), source, default_id, &mut problems));
    let has_errors = problems.has_errors();
    let (errors, warnings): (Vec<Problem>, Vec<Problem>) = problems
        .into_sorted()
        .into_iter()
        .partition(|p| p.severity == Severity::Error);
    Checked {
        lesson: match lesson {
            Some(lesson) if !has_errors => Ok(lesson),
            _ => Err(errors),
        },
        warnings,
    }
}

/// Parses and validates one lesson file, ignoring warnings. `default_id` is the file stem.
pub fn validate_lesson(source: &str, default_id: &str) -> Result<Lesson, Vec<Problem>> {
    check_lesson(source, default_id).lesson
}

/// Whether `id` is a valid lesson, section or question id.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn read_lesson(
    table: &DeTable<'_>,
    source: &str,
    default_id: &str,
    problems: &mut Problems<'_>,
) -> Option<Lesson> {
    let top = Fields::new(table, 0..0, "", TOP_KEYS, problems);
    let id = match top.string("id", false, problems) {
        Some((id, span)) => checked_id(&id, &span, "id", problems),
        None if is_valid_id(default_id) => Some(default_id.to_string()),
        None => {
            problems.at(
                &(0..0),
                format!(
                    "the file name `{default_id}` is not a valid lesson id ([a-z0-9-]+): rename the file or set `id`"
                ),
            );
            None
        }
    };
    let title = top.text("title", true, problems);
    let summary = top.text("summary", true, problems);
    let order = top.integer("order", false, problems).map_or(0, |(n, _)| n);
    let tags = top
        .strings("tags", false, problems)
        .map(|(tags, _)| tags.into_iter().map(|(t, _)| t).collect())
        .unwrap_or_default();

    // Ids of objectives and sections with other problems still count, so one mistake is
    // reported once.
    let (objectives, objective_ids) = read_objectives(&top, problems);
    let sources = read_sources(&top, problems);
    let (sections, section_ids, words) = read_sections(&top, problems);
    let refs = Refs {
        sections: &section_ids.iter().map(String::as_str).collect::<Vec<_>>(),
        objectives: &objective_ids
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
    };
    let timeline = read_timeline(&top, refs.sections, problems);
    let mut assessed: Vec<String> = Vec::new();
    let quiz_table = top.table("quiz", false, problems);
    let quiz = quiz_table
        .as_ref()
        .and_then(|(table, span)| read_quiz(table, span.clone(), &refs, &mut assessed, problems));
    // Without a quiz there is nothing to assess objectives with, so nothing to warn about.
    if quiz_table.is_some() {
        for (id, span) in objective_ids
            .iter()
            .filter(|(id, _)| !assessed.contains(id))
        {
            problems.warn(
                span,
                format!(
                    "objective `{id}` is assessed by no question: name it in the `objectives` of the questions that test it"
                ),
            );
        }
    }

    Some(Lesson {
        id: id?,
        title: title?.0,
        summary: summary?.0,
        order,
        tags,
        objectives,
        reading_minutes: reading_minutes(words),
        sources,
        sections,
        timeline,
        quiz,
        content_hash: crate::sha256_hex(source),
    })
}

fn checked_id(
    id: &str,
    span: &Range<usize>,
    what: &str,
    problems: &mut Problems<'_>,
) -> Option<String> {
    if is_valid_id(id) {
        Some(id.to_string())
    } else {
        problems.at(
            span,
            format!("`{what}` must use only a-z, 0-9 and `-`, found `{id}`"),
        );
        None
    }
}

/// Reports the second and later occurrences of the same id.
fn report_duplicates<'a>(
    ids: impl IntoIterator<Item = (&'a str, &'a Range<usize>)>,
    what: &str,
    problems: &mut Problems<'_>,
) {
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for (id, span) in ids {
        if seen.insert(id, ()).is_some() {
            problems.at(span, format!("duplicate {what} `{id}`"));
        }
    }
}

/// The ids a lesson's entries may refer to.
struct Refs<'a> {
    sections: &'a [&'a str],
    objectives: &'a [&'a str],
}

/// The valid objectives, and the first occurrence of every objective id (in file order).
fn read_objectives(
    top: &Fields<'_, '_>,
    problems: &mut Problems<'_>,
) -> (Vec<Objective>, Vec<At<String>>) {
    let mut ids: Vec<At<String>> = Vec::new();
    let mut objectives = Vec::new();
    for (i, table, span) in top.tables("objectives", problems) {
        let f = Fields::new(
            table,
            span,
            format!("objectives[{i}]."),
            OBJECTIVE_KEYS,
            problems,
        );
        let id = f.string("id", true, problems).and_then(|(id, span)| {
            let checked = checked_id(&id, &span, &f.name("id"), problems);
            ids.push((id, span));
            checked
        });
        let text = f.text("text", true, problems).and_then(|(text, span)| {
            let text = text.trim();
            if text.contains('\n') {
                problems.at(
                    &span,
                    format!(
                        "`{}` must be one line: an objective is one sentence",
                        f.name("text")
                    ),
                );
                None
            } else {
                Some(text.to_string())
            }
        });
        if let (Some(id), Some(text)) = (id, text) {
            objectives.push(Objective { id, text });
        }
    }
    report_duplicates(
        ids.iter().map(|(id, s)| (id.as_str(), s)),
        "objective id",
        problems,
    );
    let mut first: Vec<At<String>> = Vec::new();
    for (id, span) in ids {
        if !first.iter().any(|(seen, _)| *seen == id) {
            first.push((id, span));
        }
    }
    (objectives, first)
}

fn read_sources(top: &Fields<'_, '_>, problems: &mut Problems<'_>) -> Vec<Source> {
    let tables = top.tables("sources", problems);
    if tables.is_empty() {
        problems.at(
            &(0..0),
            "a lesson needs at least one `[[sources]]` entry (title, url, accessed)",
        );
    }
    let mut sources = Vec::new();
    for (i, table, span) in tables {
        let f = Fields::new(table, span, format!("sources[{i}]."), SOURCE_KEYS, problems);
        let title = f.text("title", true, problems);
        let url = f.text("url", true, problems);
        if let Some((url, span)) = &url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            problems.at(
                span,
                format!("`{}` must start with http:// or https://", f.name("url")),
            );
        }
        let accessed = f.date("accessed", true, problems);
        if let (Some(title), Some(url), Some(accessed)) = (title, url, accessed) {
            sources.push(Source {
                title: title.0,
                url: url.0,
                accessed: accessed.0,
            });
        }
    }
    sources
}

/// The valid sections, the id of every section entry that has one (in file order), and the
/// words of the valid sections' headings and bodies.
fn read_sections(
    top: &Fields<'_, '_>,
    problems: &mut Problems<'_>,
) -> (Vec<Section>, Vec<String>, usize) {
    let tables = top.tables("sections", problems);
    if tables.is_empty() {
        problems.at(&(0..0), "a lesson needs at least one `[[sections]]` entry");
    }
    let mut ids: Vec<At<String>> = Vec::new();
    let mut sections = Vec::new();
    let mut words = 0;
    for (i, table, span) in tables {
        let f = Fields::new(
            table,
            span,
            format!("sections[{i}]."),
            SECTION_KEYS,
            problems,
        );
        let id = f.string("id", true, problems).and_then(|(id, span)| {
            let checked = checked_id(&id, &span, &f.name("id"), problems);
            ids.push((id, span));
            checked
        });
        let heading = f.text("heading", true, problems);
        let body = f.text("body", true, problems);
        if let (Some(id), Some(heading), Some(body)) = (id, heading, body) {
            let (body_html, body_words) = render_and_count(&body.0);
            words += count_words(&heading.0) + body_words;
            sections.push(Section {
                id,
                heading: heading.0,
                body_html,
            });
        }
    }
    report_duplicates(
        ids.iter().map(|(id, s)| (id.as_str(), s)),
        "section id",
        problems,
    );
    let mut unique: Vec<String> = Vec::new();
    for (id, _) in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    (sections, unique, words)
}

fn section_ref(
    f: &Fields<'_, '_>,
    required: bool,
    section_ids: &[&str],
    problems: &mut Problems<'_>,
) -> Option<String> {
    let (section, span) = f.string("section", required, problems)?;
    if section_ids.contains(&section.as_str()) {
        Some(section)
    } else {
        problems.at(
            &span,
            format!(
                "`{}` names no section of this lesson: `{section}` (sections: {})",
                f.name("section"),
                section_ids.join(", ")
            ),
        );
        None
    }
}

fn read_timeline(
    top: &Fields<'_, '_>,
    section_ids: &[&str],
    problems: &mut Problems<'_>,
) -> Vec<TimelineEntry> {
    let mut timeline = Vec::new();
    for (i, table, span) in top.tables("timeline", problems) {
        let f = Fields::new(
            table,
            span,
            format!("timeline[{i}]."),
            TIMELINE_KEYS,
            problems,
        );
        let date = f.string("date", true, problems).and_then(|(date, span)| {
            if parse_partial_date(&date).is_some() {
                Some(date)
            } else {
                problems.at(
                    &span,
                    format!(
                        "`{}` must be YYYY, YYYY-MM or YYYY-MM-DD (a real date), found `{date}`",
                        f.name("date")
                    ),
                );
                None
            }
        });
        let event = f.text("event", true, problems);
        let has_section = f.raw("section").is_some();
        let section = section_ref(&f, false, section_ids, problems);
        if let (Some(date), Some(event)) = (date, event)
            && has_section == section.is_some()
        {
            timeline.push(TimelineEntry {
                date,
                event: event.0,
                section,
            });
        }
    }
    timeline
}

/// The quiz; the ids of the objectives its questions name are added to `assessed`.
fn read_quiz(
    table: &DeTable<'_>,
    span: Range<usize>,
    refs: &Refs<'_>,
    assessed: &mut Vec<String>,
    problems: &mut Problems<'_>,
) -> Option<Quiz> {
    let f = Fields::new(table, span, "quiz.", QUIZ_KEYS, problems);
    let draw = f.integer("draw", false, problems);
    let pass_percent = f
        .number("pass_percent", false, problems)
        .map_or(Some(60.0), |(p, span)| {
            if (0.0..=100.0).contains(&p) {
                Some(p)
            } else {
                problems.at(&span, "`quiz.pass_percent` must be between 0 and 100");
                None
            }
        });
    let shuffle_questions = f
        .boolean("shuffle_questions", false, problems)
        .is_none_or(|b| b.0);
    let shuffle_choices = f
        .boolean("shuffle_choices", false, problems)
        .is_none_or(|b| b.0);
    let positive = |key: &str, problems: &mut Problems<'_>| -> Option<Option<u32>> {
        match f.integer(key, false, problems) {
            None => Some(None),
            Some((n, span)) => match u32::try_from(n) {
                Ok(n) if n > 0 => Some(Some(n)),
                _ => {
                    problems.at(
                        &span,
                        format!("`{}` must be a positive integer", f.name(key)),
                    );
                    None
                }
            },
        }
    };
    let max_attempts = positive("max_attempts", problems);
    let time_limit_minutes = positive("time_limit_minutes", problems);
    let grading = match f.string("grading", false, problems) {
        None => Some(GradingMethod::default()),
        Some((name, span)) => GradingMethod::from_name(&name).or_else(|| {
            problems.at(
                &span,
                format!(
                    "`quiz.grading` is \"{name}\": use \"highest\", \"last\", \"first\" or \"average\""
                ),
            );
            None
        }),
    };

    let mut ids: Vec<At<String>> = Vec::new();
    let mut questions = Vec::new();
    let tables = f.tables("questions", problems);
    if tables.is_empty() {
        problems.at(
            f.span(),
            "`[quiz]` needs at least one `[[quiz.questions]]` entry",
        );
    }
    let pool = tables.len();
    for (i, table, span) in tables {
        if let Some(id) = table.get("id")
            && let DeValue::String(s) = id.get_ref()
        {
            ids.push((s.to_string(), id.span()));
        }
        if let Some(q) = read_question(i, table, span, refs, assessed, problems) {
            questions.push(q);
        }
    }
    report_duplicates(
        ids.iter().map(|(id, s)| (id.as_str(), s)),
        "question id",
        problems,
    );

    let draw = match draw {
        None => Some(pool),
        Some((n, span)) => {
            if n < 1 || n as usize > pool {
                problems.at(
                    &span,
                    format!(
                        "`quiz.draw` is {n} but the pool has {pool} question(s): use 1 to {pool}"
                    ),
                );
                None
            } else {
                Some(n as usize)
            }
        }
    };
    Some(Quiz {
        draw: draw?,
        pass_percent: pass_percent?,
        shuffle_questions,
        shuffle_choices,
        max_attempts: max_attempts?,
        time_limit_minutes: time_limit_minutes?,
        grading: grading?,
        questions,
    })
}

fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "single" => &["answer", "distractors"],
        "multiple" => &["answers", "distractors"],
        "true_false" => &["answer"],
        "short" => &["answers"],
        "number" => &["answer", "tolerance", "unit"],
        "order" => &["items"],
        "match" => &["pairs"],
        _ => return None,
    })
}

fn read_question(
    index: usize,
    table: &DeTable<'_>,
    span: Range<usize>,
    refs: &Refs<'_>,
    assessed: &mut Vec<String>,
    problems: &mut Problems<'_>,
) -> Option<Question> {
    let path = format!("quiz.questions[{index}].");
    // The kind decides which keys are allowed, so read it before checking keys.
    let kind_name = match table.get("kind").map(|v| (v.get_ref(), v.span())) {
        Some((DeValue::String(k), span)) => match kind_keys(k) {
            Some(_) => Some(k.to_string()),
            None => {
                problems.at(
                    &span,
                    format!(
                        "`{path}kind` must be one of {}, found `{k}`",
                        QuestionKind::NAMES.join(", ")
                    ),
                );
                None
            }
        },
        _ => None,
    };
    let mut allowed: Vec<&str> = COMMON_QUESTION_KEYS.to_vec();
    // With an unknown kind, accept every per-kind key rather than pile on noise.
    match kind_name.as_deref().and_then(kind_keys) {
        Some(keys) => allowed.extend_from_slice(keys),
        None => allowed.extend_from_slice(&[
            "answer",
            "answers",
            "distractors",
            "tolerance",
            "unit",
            "items",
            "pairs",
        ]),
    }
    let f = Fields::new(table, span, path, &allowed, problems);
    if kind_name.is_none() {
        // Reports a missing or non-string kind.
        f.string("kind", true, problems);
    }
    let id = f
        .string("id", true, problems)
        .and_then(|(id, span)| checked_id(&id, &span, &f.name("id"), problems));
    let section = section_ref(&f, true, refs.sections, problems);
    let objectives = objective_refs(&f, refs.objectives, assessed, problems);
    let prompt = f.text("prompt", true, problems);
    let explanation = f.text("explanation", true, problems);
    let points = match f.number("points", false, problems) {
        None => Some(1.0),
        Some((p, _)) if p > 0.0 && p <= MAX_POINTS => Some(p),
        Some((_, span)) => {
            problems.at(
                &span,
                format!(
                    "`{}` must be greater than 0 and at most {MAX_POINTS}",
                    f.name("points")
                ),
            );
            None
        }
    };
    let kind = read_kind(kind_name.as_deref()?, &f, problems);
    Some(Question {
        id: id?,
        section: section?,
        objectives: objectives?,
        prompt: prompt?.0,
        explanation: explanation?.0,
        points: points?,
        kind: kind?,
    })
}

/// A question's `objectives`: each must name an objective of the lesson, and those that do are
/// added to `assessed`. Leaving the key out in a lesson that has objectives is a warning, as
/// the question then assesses none of them.
fn objective_refs(
    f: &Fields<'_, '_>,
    objective_ids: &[&str],
    assessed: &mut Vec<String>,
    problems: &mut Problems<'_>,
) -> Option<Vec<String>> {
    let key = f.name("objectives");
    let Some(raw) = f.raw("objectives") else {
        if !objective_ids.is_empty() {
            let id = match f.raw("id").map(|v| v.get_ref()) {
                Some(DeValue::String(id)) => format!(" (`{id}`)"),
                _ => String::new(),
            };
            problems.warn(
                f.span(),
                format!(
                    "`{}`{id} assesses no objective: list the ones it tests in `objectives` (objectives: {})",
                    f.name("").trim_end_matches('.'),
                    objective_ids.join(", ")
                ),
            );
        }
        return Some(Vec::new());
    };
    let (refs, span) = f.strings("objectives", false, problems)?;
    if matches!(raw.get_ref(), DeValue::Array(items) if items.is_empty()) {
        problems.at(
            &span,
            format!("`{key}` is empty: name the objectives the question tests, or leave it out"),
        );
        return None;
    }
    let mut ok = true;
    for (id, span) in &refs {
        if objective_ids.contains(&id.as_str()) {
            assessed.push(id.clone());
        } else {
            ok = false;
            let known = if objective_ids.is_empty() {
                "the lesson has no `[[objectives]]`".to_string()
            } else {
                format!("objectives: {}", objective_ids.join(", "))
            };
            problems.at(
                span,
                format!("`{key}` names no objective of this lesson: `{id}` ({known})"),
            );
        }
    }
    report_repeated(
        f,
        "objectives",
        refs.iter().map(|(t, s)| (t.as_str(), s)),
        problems,
    );
    ok.then(|| refs.into_iter().map(|(id, _)| id).collect())
}

fn read_kind(kind: &str, f: &Fields<'_, '_>, problems: &mut Problems<'_>) -> Option<QuestionKind> {
    match kind {
        "single" => {
            let answer = f
                .raw("answer")
                .and_then(|v| read_choice(f, "answer", v, problems));
            if f.raw("answer").is_none() {
                f.string("answer", true, problems);
            }
            let distractors = read_choices(f, "distractors", 1, problems);
            let answer = answer?;
            let distractors = distractors?;
            report_repeated_choices(f, std::iter::once(&answer).chain(&distractors), problems);
            Some(QuestionKind::Single {
                answer: answer.0,
                distractors: distractors.into_iter().map(|c| c.0).collect(),
            })
        }
        "multiple" => {
            let answers = read_choices(f, "answers", 1, problems);
            let distractors = if f.raw("distractors").is_some() {
                read_choices(f, "distractors", 0, problems)
            } else {
                Some(Vec::new())
            };
            let (answers, distractors) = (answers?, distractors?);
            report_repeated_choices(f, answers.iter().chain(&distractors), problems);
            Some(QuestionKind::Multiple {
                answers: answers.into_iter().map(|c| c.0).collect(),
                distractors: distractors.into_iter().map(|c| c.0).collect(),
            })
        }
        "true_false" => Some(QuestionKind::TrueFalse {
            answer: f.boolean("answer", true, problems)?.0,
        }),
        "short" => {
            let (answers, span) = f.strings("answers", true, problems)?;
            if answers.is_empty() {
                problems.at(
                    &span,
                    format!("`{}` needs at least one accepted answer", f.name("answers")),
                );
                return None;
            }
            let mut too_long = false;
            for (_, span) in answers
                .iter()
                .filter(|(a, _)| a.chars().count() > MAX_SHORT_ANSWER)
            {
                problems.at(
                    span,
                    format!(
                        "`{}` has an answer longer than {MAX_SHORT_ANSWER} characters, which no student could type",
                        f.name("answers")
                    ),
                );
                too_long = true;
            }
            if too_long {
                return None;
            }
            Some(QuestionKind::Short {
                answers: answers.into_iter().map(|a| a.0).collect(),
            })
        }
        "number" => {
            let answer = f.number("answer", true, problems);
            let tolerance = match f.number("tolerance", false, problems) {
                None => Some(0.0),
                Some((t, _)) if t >= 0.0 => Some(t),
                Some((_, span)) => {
                    problems.at(
                        &span,
                        format!("`{}` must not be negative", f.name("tolerance")),
                    );
                    None
                }
            };
            let unit = match f.raw("unit") {
                Some(_) => Some(Some(f.text("unit", false, problems)?.0)),
                None => Some(None),
            };
            Some(QuestionKind::Number {
                answer: answer?.0,
                tolerance: tolerance?,
                unit: unit?,
            })
        }
        "order" => {
            let (items, span) = f.strings("items", true, problems)?;
            if items.len() < 2 {
                problems.at(
                    &span,
                    format!("`{}` needs at least 2 items", f.name("items")),
                );
                return None;
            }
            report_repeated(
                f,
                "items",
                items.iter().map(|(t, s)| (t.as_str(), s)),
                problems,
            );
            Some(QuestionKind::Order {
                items: items.into_iter().map(|i| i.0).collect(),
            })
        }
        "match" => read_pairs(f, problems).map(|pairs| QuestionKind::Match { pairs }),
        _ => None,
    }
}

/// A choice: `"text"` or `{ text = "...", feedback = "..." }`.
fn read_choice(
    f: &Fields<'_, '_>,
    key: &str,
    value: &toml::Spanned<DeValue<'_>>,
    problems: &mut Problems<'_>,
) -> Option<At<Choice>> {
    let span = value.span();
    match value.get_ref() {
        DeValue::String(s) if !s.trim().is_empty() => Some((
            Choice {
                text: s.to_string(),
                feedback: None,
            },
            span,
        )),
        DeValue::Table(t) => {
            let c = Fields::new(
                t,
                span.clone(),
                format!("{}.", f.name(key)),
                &["text", "feedback"],
                problems,
            );
            let text = c.text("text", true, problems);
            let feedback = match c.raw("feedback") {
                Some(_) => Some(Some(c.text("feedback", false, problems)?.0)),
                None => Some(None),
            };
            Some((
                Choice {
                    text: text?.0,
                    feedback: feedback?,
                },
                span,
            ))
        }
        DeValue::String(_) => {
            problems.at(
                &span,
                format!("`{}` must not contain empty choices", f.name(key)),
            );
            None
        }
        _ => {
            problems.at(
                &span,
                format!(
                    "each choice in `{}` must be a string or {{ text = \"...\", feedback = \"...\" }}",
                    f.name(key)
                ),
            );
            None
        }
    }
}

fn read_choices(
    f: &Fields<'_, '_>,
    key: &str,
    at_least: usize,
    problems: &mut Problems<'_>,
) -> Option<Vec<At<Choice>>> {
    let (items, span) = f.array(key, true, problems)?;
    let mut ok = true;
    let mut choices = Vec::new();
    for item in items {
        match read_choice(f, key, item, problems) {
            Some(c) => choices.push(c),
            None => ok = false,
        }
    }
    if items.len() < at_least {
        problems.at(
            &span,
            format!("`{}` needs at least {at_least} choice(s)", f.name(key)),
        );
        ok = false;
    }
    ok.then_some(choices)
}

fn report_repeated_choices<'c>(
    f: &Fields<'_, '_>,
    choices: impl Iterator<Item = &'c At<Choice>>,
    problems: &mut Problems<'_>,
) {
    report_repeated(
        f,
        "choices",
        choices.map(|(c, s)| (c.text.as_str(), s)),
        problems,
    );
}

/// Reports a text listed twice in one question (compared trimmed, case-insensitively).
fn report_repeated<'t>(
    f: &Fields<'_, '_>,
    what: &str,
    texts: impl Iterator<Item = (&'t str, &'t Range<usize>)>,
    problems: &mut Problems<'_>,
) {
    let mut seen = Vec::new();
    for (text, span) in texts {
        let key = text.trim().to_lowercase();
        if seen.contains(&key) {
            problems.at(
                span,
                format!(
                    "`{}` lists `{text}` twice in its {what}",
                    f.name("").trim_end_matches('.')
                ),
            );
        } else {
            seen.push(key);
        }
    }
}

fn read_pairs(f: &Fields<'_, '_>, problems: &mut Problems<'_>) -> Option<Vec<(String, String)>> {
    let (items, span) = f.array("pairs", true, problems)?;
    let mut pairs: Vec<(At<String>, At<String>)> = Vec::new();
    let mut ok = true;
    for item in items {
        let item_span = item.span();
        let pair = match item.get_ref() {
            DeValue::Array(two) if two.len() == 2 => match (two[0].get_ref(), two[1].get_ref()) {
                (DeValue::String(l), DeValue::String(r))
                    if !l.trim().is_empty() && !r.trim().is_empty() =>
                {
                    Some((
                        (l.to_string(), two[0].span()),
                        (r.to_string(), two[1].span()),
                    ))
                }
                _ => None,
            },
            DeValue::Table(t) => {
                let p = Fields::new(
                    t,
                    item_span.clone(),
                    format!("{}.", f.name("pairs")),
                    &["left", "right"],
                    problems,
                );
                match (
                    p.text("left", true, problems),
                    p.text("right", true, problems),
                ) {
                    (Some(l), Some(r)) => Some((l, r)),
                    _ => {
                        ok = false;
                        continue;
                    }
                }
            }
            _ => None,
        };
        match pair {
            Some(pair) => pairs.push(pair),
            None => {
                ok = false;
                problems.at(
                    &item_span,
                    format!(
                        "each entry of `{}` must be [\"left\", \"right\"] or {{ left = \"...\", right = \"...\" }} with non-empty texts",
                        f.name("pairs")
                    ),
                );
            }
        }
    }
    if items.len() < 2 {
        problems.at(
            &span,
            format!("`{}` needs at least 2 pairs", f.name("pairs")),
        );
        ok = false;
    }
    report_repeated(
        f,
        "left sides",
        pairs.iter().map(|(l, _)| (l.0.as_str(), &l.1)),
        problems,
    );
    report_repeated(
        f,
        "right sides",
        pairs.iter().map(|(_, r)| (r.0.as_str(), &r.1)),
        problems,
    );
    ok.then(|| pairs.into_iter().map(|(l, r)| (l.0, r.0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_answer_longer_than_the_answer_form_accepts_is_reported() {
        let long = "x".repeat(MAX_SHORT_ANSWER + 1);
        let source = include_str!("../../tests/fixtures/good/all-kinds.toml").replace(
            r#"answers = ["Bishkek Protocol", "Bishkek"]"#,
            &format!(r#"answers = ["Bishkek", "{long}"]"#),
        );
        let problems = validate_lesson(&source, "all-kinds").unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("longer than 500 characters")),
            "{problems:?}"
        );
    }

    const OBJECTIVES: &str = include_str!("../../tests/fixtures/warn/objectives.toml");

    fn messages(problems: &[Problem]) -> Vec<(usize, usize, Severity, &str)> {
        problems
            .iter()
            .map(|p| (p.line, p.col, p.severity, p.message.as_str()))
            .collect()
    }

    #[test]
    fn objectives_load_in_file_order_and_questions_keep_theirs() {
        let source = OBJECTIVES.replace(
            "prompt = \"In which year",
            "objectives = [\"mediator\", \"date\"]\nprompt = \"In which year",
        );
        let checked = check_lesson(&source, "objectives");
        assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
        let lesson = checked.lesson.unwrap();
        let ids: Vec<&str> = lesson.objectives.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["date", "mediator"]);
        assert_eq!(
            lesson.objective("mediator").unwrap().text,
            "Name the country that mediated the ceasefire."
        );
        let quiz = lesson.quiz.unwrap();
        assert_eq!(quiz.questions[0].objectives, ["date"]);
        assert_eq!(quiz.questions[1].objectives, ["mediator", "date"]);
    }

    #[test]
    fn gaps_in_the_mapping_are_warnings_and_the_lesson_still_loads() {
        let checked = check_lesson(OBJECTIVES, "objectives");
        assert!(checked.lesson.is_ok());
        let warnings = messages(&checked.warnings);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings.iter().all(|w| w.2 == Severity::Warning));
        assert_eq!((warnings[0].0, warnings[0].1), (11, 6));
        assert!(
            warnings[0]
                .3
                .contains("objective `mediator` is assessed by no question")
        );
        assert!(
            warnings[1]
                .3
                .contains("`quiz.questions[1]` (`year`) assesses no objective")
        );
    }

    #[test]
    fn a_lesson_without_a_quiz_has_nothing_to_warn_about() {
        let source = &OBJECTIVES[..OBJECTIVES.find("[quiz]").unwrap()];
        let checked = check_lesson(source, "objectives");
        assert!(checked.lesson.is_ok());
        assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    }

    #[test]
    fn bad_objectives_and_references_are_errors_at_their_position() {
        let source = OBJECTIVES
            .replace("id = \"mediator\"", "id = \"date\"\ncolour = \"red\"")
            .replace(
                "text = \"Say when the ceasefire took effect.\"",
                "text = \"\"\"\nSay when.\nAnd where.\"\"\"",
            )
            .replace(
                "objectives = [\"date\"]",
                "objectives = [\"date\", \"when\", \"date\"]",
            )
            .replace(
                "prompt = \"In which year",
                "objectives = []\nprompt = \"In which year",
            );
        let problems = validate_lesson(&source, "objectives").unwrap_err();
        let errors: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            errors,
            [
                "`objectives[0].text` must be one line: an objective is one sentence",
                "duplicate objective id `date`",
                "unknown key `objectives[1].colour` (expected one of `id`, `text`)",
                "`quiz.questions[0].objectives` names no objective of this lesson: `when` (objectives: date)",
                "`quiz.questions[0]` lists `date` twice in its objectives",
                "`quiz.questions[1].objectives` is empty: name the objectives the question tests, or leave it out",
            ]
        );
    }

    #[test]
    fn naming_objectives_in_a_lesson_without_any_is_an_error() {
        let source = include_str!("../../tests/fixtures/good/timed.toml").replace(
            "section = \"only\"\nprompt = \"In which month?\"",
            "section = \"only\"\nobjectives = [\"month\"]\nprompt = \"In which month?\"",
        );
        let problems = validate_lesson(&source, "timed").unwrap_err();
        assert_eq!(
            messages(&problems),
            [(
                43,
                15,
                Severity::Error,
                "`quiz.questions[2].objectives` names no objective of this lesson: `month` (the lesson has no `[[objectives]]`)"
            )]
        );
    }

    #[test]
    fn the_reading_time_counts_headings_and_bodies_at_200_words_a_minute() {
        let lesson = validate_lesson(OBJECTIVES, "objectives").unwrap();
        // "Only part" and an 11-word body: under a minute still shows as one.
        assert_eq!(lesson.reading_minutes, 1);
        let long = OBJECTIVES.replace(
            "body = \"Russia mediated",
            &format!("body = \"{}Russia mediated", "word ".repeat(390)),
        );
        // 2 + 390 + 11 = 403 words: just over two minutes, rounded up.
        let lesson = validate_lesson(&long, "objectives").unwrap();
        assert_eq!(lesson.reading_minutes, 3);
    }

    #[test]
    fn points_beyond_the_maximum_are_reported() {
        let source = include_str!("../../tests/fixtures/good/all-kinds.toml")
            .replace("points = 2", "points = 1e308");
        let problems = validate_lesson(&source, "all-kinds").unwrap_err();
        assert!(
            problems.iter().any(|p| p.message.contains("at most 1000")),
            "{problems:?}"
        );
    }
}
