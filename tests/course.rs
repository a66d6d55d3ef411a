//! The bundled course keeps the shape a teacher relies on, so an edit cannot quietly break it.

use std::collections::HashMap;
use std::path::Path;

use lectern::catalog::Catalog;
use lectern::lesson::QuestionKind;

fn course() -> Catalog {
    let catalog = Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")).unwrap();
    let problems: Vec<String> = catalog.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        problems.is_empty(),
        "lectern check fails:\n{}",
        problems.join("\n")
    );
    catalog
}

#[test]
fn the_course_has_nine_ordered_lessons_from_1988_to_2025() {
    let catalog = course();
    let ids: Vec<&str> = catalog.lessons().iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "karabakh-movement",
            "first-war",
            "ceasefire-1994",
            "stalemate",
            "war-2020",
            "trilateral-statement",
            "reactions-2020",
            "after-2020",
            "reading-war-reports"
        ]
    );
}

#[test]
fn every_lesson_has_sources_a_timeline_and_sections_of_reading_length() {
    for lesson in course().lessons() {
        let id = &lesson.id;
        assert!(lesson.sources.len() >= 2, "{id}: sources");
        assert!(
            lesson.sources.iter().all(|s| s.url.starts_with("http")),
            "{id}"
        );
        assert!(lesson.timeline.len() >= 4, "{id}: timeline");
        assert!((3..=6).contains(&lesson.sections.len()), "{id}: sections");
        for section in &lesson.sections {
            let words = text_of(&section.body_html).split_whitespace().count();
            assert!(
                (150..=400).contains(&words),
                "{id}#{}: {words} words",
                section.id
            );
        }
        for entry in &lesson.timeline {
            if let Some(section) = &entry.section {
                assert!(
                    lesson.section(section).is_some(),
                    "{id}: timeline links {section}"
                );
            }
        }
    }
}

#[test]
fn every_quiz_draws_from_a_larger_pool_with_explained_questions_tied_to_sections() {
    for lesson in course().lessons() {
        let quiz = lesson
            .quiz
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no quiz", lesson.id));
        assert!(quiz.questions.len() >= 10, "{}: pool", lesson.id);
        assert!(
            quiz.draw < quiz.questions.len(),
            "{}: draw must leave variety",
            lesson.id
        );
        for q in &quiz.questions {
            assert!(
                lesson.section(&q.section).is_some(),
                "{}/{}",
                lesson.id,
                q.id
            );
            assert!(
                q.explanation.split_whitespace().count() >= 4,
                "{}/{}: explanation",
                lesson.id,
                q.id
            );
        }
    }
}

#[test]
fn every_lesson_states_three_to_five_objectives_and_every_question_assesses_one() {
    let catalog = course();
    let warnings: Vec<String> = catalog.warnings().iter().map(|w| w.to_string()).collect();
    assert!(
        warnings.is_empty(),
        "lectern check warns:\n{}",
        warnings.join("\n")
    );
    for lesson in catalog.lessons() {
        let id = &lesson.id;
        assert!(
            (3..=5).contains(&lesson.objectives.len()),
            "{id}: {} objectives",
            lesson.objectives.len()
        );
        for objective in &lesson.objectives {
            let text = objective.text.trim();
            assert!(
                text.ends_with('.') && text.matches(". ").count() == 0,
                "{id}/{}: one sentence",
                objective.id
            );
            assert!(
                text.split_whitespace().count() <= 30,
                "{id}/{}: keep it short",
                objective.id
            );
        }
        let questions = &lesson.quiz.as_ref().unwrap().questions;
        for q in questions {
            assert!(!q.objectives.is_empty(), "{id}/{}: no objective", q.id);
            for o in &q.objectives {
                assert!(lesson.objective(o).is_some(), "{id}/{}: {o}", q.id);
            }
        }
        for objective in &lesson.objectives {
            assert!(
                questions
                    .iter()
                    .any(|q| q.objectives.contains(&objective.id)),
                "{id}: no question assesses {}",
                objective.id
            );
        }
    }
}

#[test]
fn every_lesson_reads_in_a_class_period() {
    for lesson in course().lessons() {
        let words: usize = lesson
            .sections
            .iter()
            .map(|s| {
                s.heading.split_whitespace().count()
                    + text_of(&s.body_html).split_whitespace().count()
            })
            .sum();
        assert!(
            (3..=20).contains(&lesson.reading_minutes),
            "{}: {} minutes",
            lesson.id,
            lesson.reading_minutes
        );
        // The documented rule, give or take the odd dash counted as a word here.
        let expected = words.div_ceil(lectern::lesson::WORDS_PER_MINUTE) as u32;
        assert!(
            lesson.reading_minutes.abs_diff(expected) <= 1,
            "{}: {} minutes for {words} words",
            lesson.id,
            lesson.reading_minutes
        );
    }
}

#[test]
fn the_course_has_at_least_80_questions_and_uses_every_kind_five_times() {
    let catalog = course();
    assert!(
        catalog.question_count() >= 80,
        "{}",
        catalog.question_count()
    );
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for lesson in catalog.lessons() {
        for q in &lesson.quiz.as_ref().unwrap().questions {
            *kinds.entry(q.kind.name()).or_default() += 1;
        }
    }
    for kind in QuestionKind::NAMES {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) >= 5,
            "{kind}: {kinds:?}"
        );
    }
}

#[test]
fn the_course_names_places_by_both_sides_names() {
    let catalog = course();
    let text: String = catalog
        .lessons()
        .iter()
        .flat_map(|l| l.sections.iter().map(|s| text_of(&s.body_html)))
        .collect();
    for (a, b) in [("Stepanakert", "Khankendi"), ("Shusha", "Shushi")] {
        assert!(text.contains(a) && text.contains(b), "{a}/{b}");
    }
    // The translation errors of the article the course grew out of never appear.
    for wrong in [
        "Passinyan",
        "International Crisis Organization",
        "Asia and Afghanistan",
    ] {
        assert!(!text.contains(wrong), "{wrong}");
    }
}

/// The text of a rendered section, without its tags.
fn text_of(html: &str) -> String {
    scraper::Html::parse_fragment(html)
        .root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
}
