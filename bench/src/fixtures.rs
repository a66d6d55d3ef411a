//! Inputs for the benchmarks, shared by `lectern-bench` and the criterion benches: a
//! deterministic generator of valid lesson files of about the size and shape of the bundled
//! course (five sections of Markdown, a timeline, sources, and a quiz pool of fourteen
//! questions using every kind), and a filled-in answer form for a drawn attempt.

use std::fmt::Write;

use lectern::quiz::{DrawnKind, DrawnQuestion, field_name};

/// Words the prose is made of; a tiny linear congruential generator picks them.
const WORDS: &[&str] = &[
    "ceasefire",
    "negotiation",
    "mediators",
    "republic",
    "border",
    "region",
    "autonomy",
    "parliament",
    "delegation",
    "protocol",
    "villages",
    "refugees",
    "corridor",
    "monitors",
    "statement",
    "council",
    "settlement",
    "artillery",
    "offensive",
    "observers",
    "talks",
    "agreement",
    "the",
    "of",
    "and",
    "in",
    "with",
    "after",
    "before",
    "during",
    "while",
    "its",
    "their",
    "a",
    "new",
    "old",
    "long",
    "short",
    "signed",
    "rejected",
    "announced",
    "reported",
    "disputed",
    "recognised",
    "withdrew",
    "returned",
    "crossed",
    "held",
];

/// A small, seedable pseudo-random sequence (no dependency, identical on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn sentence(&mut self, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            let word = WORDS[self.below(WORDS.len())];
            if i == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    s.extend(first.to_uppercase());
                    s.push_str(chars.as_str());
                }
            } else {
                s.push(' ');
                match self.below(12) {
                    0 => write!(s, "**{word}**").unwrap(),
                    1 => write!(s, "*{word}*").unwrap(),
                    _ => s.push_str(word),
                }
            }
        }
        s.push('.');
        s
    }
}

/// The TOML text of generated lesson number `n` (id `gen-NNNN`).
pub fn lesson_toml(n: usize) -> String {
    let mut rng = Lcg(n as u64 ^ 0x5eed);
    let mut t = String::with_capacity(16 * 1024);
    writeln!(t, "id = \"gen-{n:04}\"").unwrap();
    writeln!(t, "title = \"Generated lesson {n}\"").unwrap();
    writeln!(t, "summary = \"{}\"", rng.sentence(20)).unwrap();
    writeln!(t, "order = {}", 100 + n).unwrap();
    writeln!(t, "tags = [\"generated\", \"benchmark\"]\n").unwrap();
    for s in 0..3 {
        writeln!(t, "[[sources]]").unwrap();
        writeln!(t, "title = \"Source {s} of lesson {n}\"").unwrap();
        writeln!(t, "url = \"https://example.org/lesson/{n}/source/{s}\"").unwrap();
        writeln!(t, "accessed = 2026-11-25\n").unwrap();
    }
    for s in 0..5 {
        writeln!(
            t,
            "[[sections]]\nid = \"part-{s}\"\nheading = \"Part {s}: {}\"",
            rng.sentence(4)
        )
        .unwrap();
        t.push_str("body = \"\"\"\n");
        for _ in 0..3 {
            for _ in 0..5 {
                writeln!(t, "{}", rng.sentence(14)).unwrap();
            }
            t.push('\n');
        }
        for i in 0..3 {
            writeln!(t, "- item {i}: {}", rng.sentence(8)).unwrap();
        }
        writeln!(
            t,
            "\nSee [the report](https://example.org/report/{n}/{s}) for details.\n\"\"\"\n"
        )
        .unwrap();
    }
    for y in 0..6 {
        writeln!(
            t,
            "[[timeline]]\ndate = \"{}-0{}-1{}\"\nevent = \"{}\"\nsection = \"part-{}\"\n",
            1990 + y,
            1 + y % 9,
            y % 9,
            rng.sentence(6),
            y % 5
        )
        .unwrap();
    }
    writeln!(t, "[quiz]\ndraw = 10\npass_percent = 60\n").unwrap();
    for (i, kind) in [
        "single",
        "multiple",
        "true_false",
        "short",
        "number",
        "order",
        "match",
    ]
    .iter()
    .cycle()
    .take(14)
    .enumerate()
    {
        writeln!(
            t,
            "[[quiz.questions]]\nid = \"q{i}\"\nkind = \"{kind}\"\nsection = \"part-{}\"\nprompt = \"{}\"\nexplanation = \"{}\"",
            i % 5,
            rng.sentence(10),
            rng.sentence(12)
        )
        .unwrap();
        let body = match *kind {
            "single" => "answer = \"Bishkek\"\ndistractors = [{ text = \"Minsk\", feedback = \"Minsk named the group.\" }, \"Moscow\", \"Vienna\"]".to_string(),
            "multiple" => "answers = [\"France\", \"Russia\", \"United States\"]\ndistractors = [\"Turkey\", \"Iran\"]".to_string(),
            "true_false" => format!("answer = {}", i % 2 == 0),
            "short" => "answers = [\"Bishkek Protocol\", \"Bishkek\"]".to_string(),
            "number" => format!("answer = {}\ntolerance = 1\nunit = \"year\"", 1990 + i),
            "order" => "items = [\"Karabakh movement\", \"First war\", \"Bishkek Protocol\", \"2020 war\"]\npoints = 2".to_string(),
            _ => "pairs = [[\"Bishkek\", \"Kyrgyzstan\"], [\"Minsk\", \"Belarus\"], [\"Baku\", \"Azerbaijan\"], [\"Yerevan\", \"Armenia\"]]\npoints = 2".to_string(),
        };
        writeln!(t, "{body}\n").unwrap();
    }
    t
}

/// A filled-in answer form for `questions`: right answers to even-numbered questions, wrong
/// (but well-formed) ones to the others, so grading does real work on every kind.
pub fn answer_form(questions: &[DrawnQuestion], csrf: &str) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("csrf", csrf);
    for (i, q) in questions.iter().enumerate() {
        let right = i % 2 == 0;
        let name = field_name(i, None);
        match &q.kind {
            DrawnKind::Single { choices } | DrawnKind::Multiple { choices } => {
                for (c, choice) in choices.iter().enumerate() {
                    if choice.correct == right {
                        form.append_pair(&name, &c.to_string());
                        if matches!(q.kind, DrawnKind::Single { .. }) {
                            break;
                        }
                    }
                }
            }
            DrawnKind::TrueFalse { answer } => {
                form.append_pair(&name, if *answer == right { "0" } else { "1" });
            }
            DrawnKind::Short { answers } => {
                form.append_pair(&name, if right { &answers[0] } else { "Tbilisi" });
            }
            DrawnKind::Number { answer, .. } => {
                let given = if right { *answer } else { answer + 10.0 };
                form.append_pair(&name, &given.to_string());
            }
            DrawnKind::Order { ranks, .. } => {
                let n = ranks.len();
                for (k, rank) in ranks.iter().enumerate() {
                    let position = if right { rank + 1 } else { n - rank };
                    form.append_pair(&field_name(i, Some(k)), &position.to_string());
                }
            }
            DrawnKind::Match {
                matches, rights, ..
            } => {
                for (k, m) in matches.iter().enumerate() {
                    let r = if right { *m } else { (m + 1) % rights.len() };
                    form.append_pair(&field_name(i, Some(k)), &r.to_string());
                }
            }
        }
    }
    form.finish()
}
