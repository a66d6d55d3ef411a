//! `lectern check` and `lectern --help`, run as the real binary.

use std::process::Command;

fn lectern(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lectern"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("lectern runs");
    let mut text = String::from_utf8(out.stdout).unwrap();
    text.push_str(&String::from_utf8(out.stderr).unwrap());
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn checking_valid_lessons_prints_a_summary_and_exits_0() {
    let (code, out) = lectern(&["check", "tests/fixtures/good"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "2 lessons, 10 questions, OK\n");
}

#[test]
fn checking_a_broken_folder_prints_every_problem_with_its_position_and_exits_1() {
    let (code, out) = lectern(&["check", "tests/fixtures/bad"]);
    assert_eq!(code, 1, "{out}");
    let f = "tests/fixtures/bad/broken.toml";
    let expected = [
        format!("{f}:1:6: `id` must use only a-z, 0-9 and `-`, found `Bad Id`"),
        format!("{f}:3:11: `summary` must not be empty"),
        format!(
            "{f}:4:1: unknown key `colour` (expected one of `id`, `title`, `summary`, `order`, `tags`, `objectives`, `sources`, `sections`, `timeline`, `quiz`)"
        ),
        format!("{f}:8:7: `sources[0].url` must start with http:// or https://"),
        format!(
            "{f}:9:12: `sources[0].accessed` must be a real date written YYYY-MM-DD, found `2026-02-30`"
        ),
        format!("{f}:17:6: duplicate section id `intro`"),
        format!(
            "{f}:22:8: `timeline[0].date` must be YYYY, YYYY-MM or YYYY-MM-DD (a real date), found `1988-13`"
        ),
        format!(
            "{f}:24:11: `timeline[0].section` names no section of this lesson: `nowhere` (sections: intro)"
        ),
        format!("{f}:27:8: `quiz.draw` is 5 but the pool has 3 question(s): use 1 to 3"),
        format!(
            "{f}:33:11: `quiz.questions[0].section` names no section of this lesson: `missing` (sections: intro)"
        ),
        format!("{f}:34:10: `quiz.questions[0].prompt` must not be empty"),
        format!("{f}:36:21: `quiz.questions[0]` lists `A` twice in its choices"),
        format!("{f}:40:6: duplicate question id `q1`"),
        format!(
            "{f}:41:8: `quiz.questions[1].kind` must be one of single, multiple, true_false, short, number, order, match, found `essay`"
        ),
        format!("{f}:51:10: `quiz.questions[2].answer` must be true or false, found a string"),
        format!(
            "{f}:53:1: unknown key `quiz.questions[2].tolerence` (expected one of `id`, `kind`, `section`, `objectives`, `prompt`, `explanation`, `points`, `answer`)"
        ),
        "tests/fixtures/bad/syntax.toml:1:18: TOML syntax: invalid basic string, expected `\"`"
            .to_string(),
        "17 problems in 2 files".to_string(),
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, expected);
}

#[test]
fn an_objective_no_question_assesses_is_a_warning_and_check_still_exits_0() {
    let (code, out) = lectern(&["check", "tests/fixtures/warn"]);
    let f = "tests/fixtures/warn/objectives.toml";
    let expected = [
        format!(
            "{f}:11:6: warning: objective `mediator` is assessed by no question: name it in the `objectives` of the questions that test it"
        ),
        format!(
            "{f}:35:1: warning: `quiz.questions[1]` (`year`) assesses no objective: list the ones it tests in `objectives` (objectives: date, mediator)"
        ),
        "1 lessons, 2 questions, OK with 2 warnings".to_string(),
    ];
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);

    // For CI: the same warnings, and a failure.
    let (code, out) = lectern(&["check", "--deny-warnings", "tests/fixtures/warn"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.lines().take(2).collect::<Vec<_>>(), expected[..2]);
    assert_eq!(
        out.lines().last(),
        Some("2 warnings, denied by --deny-warnings")
    );
}

#[test]
fn an_unknown_objective_is_an_error_with_its_position_listed_with_the_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("objectives.toml");
    let source = std::fs::read_to_string("tests/fixtures/warn/objectives.toml")
        .unwrap()
        .replace(
            "objectives = [\"date\"]",
            "objectives = [\"date\", \"when\"]",
        );
    std::fs::write(&file, source).unwrap();
    let (code, out) = lectern(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let f = file.display();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "{f}:11:6: warning: objective `mediator` is assessed by no question: name it in the `objectives` of the questions that test it"
            ),
            format!(
                "{f}:30:23: `quiz.questions[0].objectives` names no objective of this lesson: `when` (objectives: date, mediator)"
            ),
            format!(
                "{f}:35:1: warning: `quiz.questions[1]` (`year`) assesses no objective: list the ones it tests in `objectives` (objectives: date, mediator)"
            ),
            "1 problem in 1 file, and 2 warnings".to_string(),
        ]
    );
}

#[test]
fn serve_starts_on_lessons_with_warnings_and_logs_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lectern"))
        .args([
            "serve",
            "--lessons",
            "tests/fixtures/warn",
            "--addr",
            "127.0.0.1:0",
        ])
        .arg("--db")
        .arg(&db)
        .env("RUST_LOG", "lectern=info")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("lectern runs");
    let mut log = String::new();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in std::io::BufRead::lines(stderr) {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("listening on") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(log.contains("listening on"), "{log}");
    assert!(
        log.contains(
            "objectives.toml:11:6: warning: objective `mediator` is assessed by no question"
        ),
        "{log}"
    );
}

#[test]
fn checking_one_file_works_too() {
    let (code, out) = lectern(&["check", "tests/fixtures/good/timed.toml"]);
    assert_eq!((code, out.as_str()), (0, "1 lessons, 3 questions, OK\n"));
}

#[test]
fn checking_a_missing_folder_says_so() {
    let (code, out) = lectern(&["check", "no/such/folder"]);
    assert_eq!(code, 1);
    assert!(out.contains("no/such/folder"), "{out}");
}

#[test]
fn serve_refuses_to_start_on_invalid_lessons_with_the_same_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let (code, out) = lectern(&[
        "serve",
        "--lessons",
        "tests/fixtures/bad",
        "--db",
        db.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("tests/fixtures/bad/broken.toml:17:6: duplicate section id `intro`"),
        "{out}"
    );
}

#[test]
fn help_describes_every_command_and_option() {
    let (code, out) = lectern(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("serve") && out.contains("check"), "{out}");
    let (_, serve) = lectern(&["serve", "--help"]);
    for option in ["--addr", "--lessons", "--db", "--behind-https"] {
        assert!(serve.contains(option), "{serve}");
    }
    let (_, check) = lectern(&["check", "--help"]);
    assert!(check.contains("path:line:col"), "{check}");
}

#[test]
fn educator_add_prints_a_one_time_link_and_refuses_a_taken_username() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lectern.db");
    let db = db.to_str().unwrap();
    let (code, out) = lectern(&[
        "educator",
        "add",
        "Teacher.One",
        "--name",
        "Ms Teacher",
        "--db",
        db,
        "--base-url",
        "https://lectern.example/",
    ]);
    assert_eq!(code, 0, "{out}");
    let link = out
        .split_whitespace()
        .find(|w| w.starts_with("https://lectern.example/set-password/"))
        .unwrap_or_else(|| panic!("no link in {out}"));
    assert_eq!(
        link.len(),
        "https://lectern.example/set-password/".len() + 32
    );
    assert!(
        out.starts_with("teacher.one can set a password within 24 hours"),
        "{out}"
    );

    let (code, out) = lectern(&["educator", "add", "teacher.one", "--db", db]);
    assert_eq!(code, 1);
    assert!(out.contains("the username teacher.one is taken"), "{out}");
    let (code, out) = lectern(&["educator", "reset", "teacher.one", "--db", db]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("http://127.0.0.1:3000/set-password/"), "{out}");
    let (code, out) = lectern(&["educator", "reset", "nobody", "--db", db]);
    assert_eq!(code, 1);
    assert!(out.contains("there is no educator account nobody"), "{out}");
    let (code, out) = lectern(&["educator", "add", "a b", "--db", db]);
    assert_eq!(code, 1);
    assert!(out.contains("only the letters a to z"), "{out}");
}
