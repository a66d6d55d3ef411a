//! Lesson semantics: turns a parsed TOML document into a [`Lesson`], collecting every
//! problem (unknown keys, wrong types, duplicate ids, dangling references, bad counts).

use std::collections::HashMap;
use std::ops::Range;

use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue};

use super::markdown::render_markdown;
use super::model::{
    Choice, GradingMethod, Lesson, Question, QuestionKind, Quiz, Section, Source, TimelineEntry,
};
use super::parse::{At, Fields, Problem, Problems, parse_document, parse_partial_date};

const TOP_KEYS: &[&str] = &[
    "id", "title", "summary", "order", "tags", "sources", "sections", "timeline", "quiz",
];
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
const COMMON_QUESTION_KEYS: &[&str] = &["id", "kind", "section", "prompt", "explanation", "points"];

/// Most points one question may be worth: far above any real weighting, and low enough that an
/// attempt's total stays finite (`1e308` twice would make it infinite and every percentage NaN).
pub const MAX_POINTS: f64 = 1000.0;

/// Longest accepted answer of a `short` question, in characters: the answer form takes no more
/// (`quiz::form::MAX_TEXT_ANSWER`), so a longer one could never be given.
pub const MAX_SHORT_ANSWER: usize = 500;

/// Parses and validates one lesson file. `default_id` is the file stem.
pub fn validate_lesson(source: &str, default_id: &str) -> Result<Lesson, Vec<Problem>> {
    let mut problems = Problems::new(source);
    let Some(document) = parse_document(source, &mut problems) else {
        return Err(problems.into_sorted());
    };
    let lesson = read_lesson(document.get_ref(), source, default_id, &mut problems);
    match lesson {
        Some(lesson) if problems.is_empty() => Ok(lesson),
        _ => Err(problems.into_sorted()),
    }
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

    let sources = read_sources(&top, problems);
    // Ids of sections with other problems still count, so one mistake is reported once.
    let (sections, section_ids) = read_sections(&top, problems);
    let section_ids: Vec<&str> = section_ids.iter().map(String::as_str).collect();
    let timeline = read_timeline(&top, &section_ids, problems);
    let quiz = top
        .table("quiz", false, problems)
        .and_then(|(table, span)| read_quiz(table, span, &section_ids, problems));

    Some(Lesson {
        id: id?,
        title: title?.0,
        summary: summary?.0,
        order,
        tags,
        sources,
        sections,
        timeline,
        quiz,
        content_hash: crate::hex(&Sha256::digest(source.as_bytes())),
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

/// The valid sections, and the id of every section entry that has one (in file order).
fn read_sections(top: &Fields<'_, '_>, problems: &mut Problems<'_>) -> (Vec<Section>, Vec<String>) {
    let tables = top.tables("sections", problems);
    if tables.is_empty() {
        problems.at(&(0..0), "a lesson needs at least one `[[sections]]` entry");
    }
    let mut ids: Vec<At<String>> = Vec::new();
    let mut sections = Vec::new();
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
            sections.push(Section {
                id,
                heading: heading.0,
                body_html: render_markdown(&body.0),
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
    (sections, unique)
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

fn read_quiz(
    table: &DeTable<'_>,
    span: Range<usize>,
    section_ids: &[&str],
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
        if let Some(q) = read_question(i, table, span, section_ids, problems) {
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
    section_ids: &[&str],
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
    let section = section_ref(&f, true, section_ids, problems);
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
        prompt: prompt?.0,
        explanation: explanation?.0,
        points: points?,
        kind: kind?,
    })
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
