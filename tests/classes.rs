//! Classes and learners through HTTP against the real router: an educator makes a class,
//! students join with its code, take quizzes and see their own progress; the gradebook and its
//! CSV follow the quiz's grading method; every account check holds.

mod common;

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use common::{Answers, Browser, EDUCATOR_TOKEN, Page, TestApp, fill_quiz, fixture, score};
use lectern::store::{SqliteStore, Store};
use scraper::Selector;

/// A browser signed in as the administrator (the educator token).
async fn administrator(app: &TestApp) -> Browser {
    let mut b = app.browser();
    let form = b.get("/educator/sign-in").await;
    let signed = b
        .post(
            "/educator/sign-in",
            &[
                ("csrf".into(), form.csrf()),
                ("token".into(), EDUCATOR_TOKEN.into()),
            ],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    b
}

/// Creates a class assigning `lessons` (id and optional due date); returns its path and code.
async fn create_class(
    educator: &mut Browser,
    name: &str,
    lessons: &[(&str, &str)],
) -> (String, String) {
    let form = educator.get("/educator/classes").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let mut fields = vec![
        ("csrf".to_string(), form.csrf()),
        ("name".into(), name.into()),
    ];
    // Every lesson row posts its due-date pair, ticked or not, as a browser would.
    let html = form.html();
    for row in html.select(&Selector::parse("input[name=due_for]").unwrap()) {
        let id = row.value().attr("value").unwrap().to_string();
        let due = lessons
            .iter()
            .find(|(l, _)| *l == id)
            .map_or("", |(_, d)| *d);
        if lessons.iter().any(|(l, _)| *l == id) {
            fields.push(("lesson".into(), id.clone()));
        }
        fields.push(("due_for".into(), id));
        fields.push(("due".into(), due.into()));
    }
    let created = educator.post("/educator/classes", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = created.location().to_string();
    let page = educator.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    (path, page.text_of(".join-code code"))
}

/// Joins a class as a new student; the answer to the join form.
async fn join(
    student: &mut Browser,
    code: &str,
    name: &str,
    username: &str,
    password: &str,
) -> Page {
    let form = student.get("/join").await;
    student
        .post(
            "/join",
            &[
                ("csrf".into(), form.csrf()),
                ("code".into(), code.into()),
                ("display_name".into(), name.into()),
                ("username".into(), username.into()),
                ("password".into(), password.into()),
                ("password_again".into(), password.into()),
            ],
        )
        .await
}

async fn sign_in(b: &mut Browser, username: &str, password: &str) -> Page {
    let form = b.get("/sign-in").await;
    b.post(
        "/sign-in",
        &[
            ("csrf".into(), form.csrf()),
            ("username".into(), username.into()),
            ("password".into(), password.into()),
        ],
    )
    .await
}

/// Takes the lesson's quiz answering as `mode`; returns the attempt's path and its score.
async fn take_quiz(
    app: &TestApp,
    b: &mut Browser,
    lesson: &str,
    mode: Answers,
) -> (String, (f64, f64)) {
    let attempt = b.start_quiz(lesson).await;
    let quiz = b.get(&attempt).await;
    let answers = fill_quiz(&quiz, &app.lesson(lesson), mode);
    let submitted = b.post(&attempt, &answers).await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    let result = b.get(&attempt).await;
    (attempt, score(&result))
}

/// The action of the first form on the page whose action ends with `suffix`.
fn form_action(page: &Page, suffix: &str) -> String {
    let html = page.html();
    let selector = Selector::parse(&format!("form[action$='{suffix}']")).unwrap();
    html.select(&selector)
        .next()
        .unwrap_or_else(|| panic!("a form posting to …{suffix}"))
        .value()
        .attr("action")
        .unwrap()
        .to_string()
}

/// The gradebook as `(learner name, [cell text])` rows.
fn gradebook(page: &Page) -> Vec<(String, Vec<String>)> {
    let html = page.html();
    let rows = Selector::parse(".gradebook tbody tr").unwrap();
    let th = Selector::parse("th a").unwrap();
    let td = Selector::parse("td").unwrap();
    html.select(&rows)
        .map(|r| {
            let name = r.select(&th).next().unwrap().text().collect::<String>();
            let cells = r
                .select(&td)
                .map(|c| {
                    c.text()
                        .collect::<String>()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            (name, cells)
        })
        .collect()
}

/// The text of a progress page's lesson item whose heading is `title`.
fn progress_of(page: &Page, title: &str) -> String {
    let html = page.html();
    let item = Selector::parse(".progress-item").unwrap();
    html.select(&item)
        .map(|i| {
            i.text()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .find(|t| t.starts_with(title))
        .unwrap_or_else(|| panic!("no progress item {title:?} in {}", page.body))
}

const PASSWORD: &str = "apricot tree 1988";

#[tokio::test]
async fn two_students_join_take_quizzes_and_each_sees_only_their_own_progress_and_attempts() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (class, code) =
        create_class(&mut teacher, "History 10B", &[("all-kinds", "2099-12-31")]).await;
    assert_eq!(code.len(), 9, "a code shown as ABCD-EFGH: {code:?}");

    let mut ani = app.browser();
    let joined = join(&mut ani, &code, "Ani Petrosyan", "ani", PASSWORD).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
    assert_eq!(joined.location(), "/progress");
    let mut murad = app.browser();
    let joined = join(
        &mut murad,
        &code.to_lowercase().replace('-', " "),
        "Murad Aliyev",
        "murad",
        PASSWORD,
    )
    .await;
    assert_eq!(
        joined.status,
        StatusCode::SEE_OTHER,
        "codes are read without case or dash: {}",
        joined.body
    );

    let (ani_attempt, ani_score) = take_quiz(&app, &mut ani, "all-kinds", Answers::AllRight).await;
    assert_eq!(ani_score.0, ani_score.1);
    let (murad_attempt, murad_score) =
        take_quiz(&app, &mut murad, "all-kinds", Answers::AllWrong).await;
    assert_eq!(murad_score.0, 0.0);

    let ani_progress = ani.get("/progress").await;
    assert!(ani_progress.body.contains("Ani Petrosyan"));
    let row = progress_of(&ani_progress, "Fixture: every kind");
    assert!(row.contains("Assigned by History 10B"), "{row}");
    assert!(row.contains("Due 31 December 2099"), "{row}");
    assert!(row.contains("Status Submitted"), "{row}");
    assert!(row.contains("Best score 100%"), "{row}");
    assert!(row.contains("Passed Yes"), "{row}");
    let murad_progress = murad.get("/progress").await;
    let row = progress_of(&murad_progress, "Fixture: every kind");
    assert!(
        row.contains("Best score 0%") && row.contains("Passed Not yet"),
        "{row}"
    );
    assert!(
        !murad_progress.body.contains("Ani"),
        "nobody else's name on a progress page"
    );
    // The unassigned lesson comes after the assigned one.
    assert!(
        murad_progress.body.find("Fixture: every kind")
            < murad_progress.body.find("Fixture: timed")
    );

    assert_eq!(murad.get(&ani_attempt).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ani.get(&murad_attempt).await.status, StatusCode::NOT_FOUND);
    let stranger_page = app.browser().get(&ani_attempt).await;
    assert_eq!(stranger_page.status, StatusCode::NOT_FOUND);

    let page = teacher.get(&class).await;
    let book = gradebook(&page);
    assert_eq!(
        book,
        [
            ("Ani Petrosyan".to_string(), vec!["100%".to_string()]),
            ("Murad Aliyev".to_string(), vec!["0%".to_string()]),
        ]
    );
    // Sorted by the lesson's grade, best first; by name again on request.
    let by_grade = teacher.get(&format!("{class}?sort=all-kinds")).await;
    assert_eq!(gradebook(&by_grade)[0].0, "Ani Petrosyan");
    let csv = teacher.get(&format!("{class}/grades.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.body.lines().collect::<Vec<_>>(),
        [
            "display_name,username,Fixture: every kind",
            "Ani Petrosyan,ani,100",
            "Murad Aliyev,murad,0"
        ]
    );
    // The attempts CSV names each learner.
    let attempts = teacher
        .get("/educator/lessons/all-kinds/attempts.csv")
        .await;
    assert!(
        attempts.body.contains(",Ani Petrosyan,ani,"),
        "{}",
        attempts.body
    );
}

/// Rewrites the fixture lesson's `[quiz]` with a grading method and reloads it.
fn set_grading(app: &TestApp, dir: &Path, method: &str) {
    let path = dir.join("all-kinds.toml");
    let source = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = source
        .lines()
        .filter(|l| !l.starts_with("grading ="))
        .collect();
    let quiz = lines.iter().position(|l| *l == "[quiz]").unwrap();
    let setting = format!("grading = \"{method}\"");
    lines.insert(quiz + 1, &setting);
    std::fs::write(&path, lines.join("\n")).unwrap();
    let problems = app.state.reload_lessons(dir).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test]
async fn the_gradebook_and_its_csv_follow_each_grading_method() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture("good")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let app = TestApp::new(dir.path());
    let mut teacher = administrator(&app).await;
    let (class, code) = create_class(&mut teacher, "Method check", &[("all-kinds", "")]).await;
    let mut student = app.browser();
    join(&mut student, &code, "Ani Petrosyan", "ani", PASSWORD).await;
    // First 0%, then 100%, then 0%: each method picks differently.
    for mode in [Answers::AllWrong, Answers::AllRight, Answers::AllWrong] {
        take_quiz(&app, &mut student, "all-kinds", mode).await;
    }
    // A practice retry of the missed questions, all right, never counts.
    let (last, _) = {
        let attempt = student.get("/progress").await;
        let html = attempt.html();
        let link = html
            .select(&Selector::parse(".progress-item a").unwrap())
            .find(|a| a.text().collect::<String>() == "Review the last result")
            .unwrap()
            .value()
            .attr("href")
            .unwrap()
            .to_string();
        (link, ())
    };
    let result = student.get(&last).await;
    let retry = student
        .post(&format!("{last}/retry"), &[("csrf".into(), result.csrf())])
        .await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER);
    let practice = retry.location().to_string();
    let quiz = student.get(&practice).await;
    let answers = fill_quiz(&quiz, &app.lesson("all-kinds"), Answers::AllRight);
    student.post(&practice, &answers).await;

    for (method, expected) in [
        ("highest", "100"),
        ("last", "0"),
        ("first", "0"),
        ("average", "33.33"),
    ] {
        set_grading(&app, dir.path(), method);
        let page = teacher.get(&class).await;
        assert_eq!(gradebook(&page)[0].1, [format!("{expected}%")], "{method}");
        let csv = teacher.get(&format!("{class}/grades.csv")).await;
        assert_eq!(
            csv.body.lines().nth(1),
            Some(format!("Ani Petrosyan,ani,{expected}").as_str()),
            "{method}"
        );
        let progress = student.get("/progress").await;
        let row = progress_of(&progress, "Fixture: every kind");
        assert!(row.contains(&format!("Grade ({method} attempt")), "{row}");
        assert!(row.contains(&format!("{expected}%")), "{row}");
        assert!(
            row.contains("Attempts used 4"),
            "the practice retry is an attempt: {row}"
        );
    }
}

#[tokio::test]
async fn a_grade_submitted_after_the_due_date_is_marked_late() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (class, code) = create_class(&mut teacher, "Late", &[("all-kinds", "2020-01-01")]).await;
    let mut student = app.browser();
    join(&mut student, &code, "Ani Petrosyan", "ani", PASSWORD).await;
    take_quiz(&app, &mut student, "all-kinds", Answers::AllRight).await;
    let page = teacher.get(&class).await;
    assert_eq!(gradebook(&page)[0].1, ["100% late"]);
    let row = progress_of(&student.get("/progress").await, "Fixture: every kind");
    assert!(row.contains("submitted after the due date"), "{row}");
}

/// A named educator account, made as `lectern educator add` makes it, with its password set
/// through the one-time link; returns a browser signed in as it.
async fn named_educator(app: &TestApp, username: &str) -> Browser {
    let link = lectern::web::routes::account::educator_password_link(
        app.state.store.as_ref(),
        username,
        Some("A Teacher"),
        true,
    )
    .unwrap();
    let mut b = app.browser();
    let form = b.get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let set = b
        .post(
            &link,
            &[
                ("csrf".into(), form.csrf()),
                ("password".into(), PASSWORD.into()),
                ("password_again".into(), PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    assert_eq!(set.location(), "/educator");
    // The link works once.
    let again = app.browser().get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    b
}

#[tokio::test]
async fn an_educator_sees_only_their_own_classes_learners_and_attempts() {
    let app = TestApp::new(&fixture("good"));
    let mut first = named_educator(&app, "teacher.one").await;
    let mut second = named_educator(&app, "teacher.two").await;
    let (class, code) = create_class(&mut first, "First's class", &[("all-kinds", "")]).await;
    let mut student = app.browser();
    join(&mut student, &code, "Ani Petrosyan", "ani", PASSWORD).await;
    let (attempt, _) = take_quiz(&app, &mut student, "all-kinds", Answers::AllRight).await;
    let token = attempt.trim_start_matches("/attempts/");
    let learner = {
        let page = first.get(&class).await;
        let html = page.html();
        html.select(&Selector::parse(".gradebook tbody th a").unwrap())
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap()
            .to_string()
    };
    assert_eq!(first.get(&learner).await.status, StatusCode::OK);
    let review = first.get(&format!("/educator/attempts/{token}")).await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(review.body.contains("The attempt of Ani Petrosyan (ani)"));
    assert!(!review.body.contains("/retry"), "a review has no buttons");

    for path in [
        class.clone(),
        format!("{class}/grades.csv"),
        learner.clone(),
        format!("/educator/attempts/{token}"),
    ] {
        assert_eq!(
            second.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let listing = second.get("/educator/classes").await;
    assert!(!listing.body.contains("First's class"));
    let csv = second.get("/educator/lessons/all-kinds/attempts.csv").await;
    assert_eq!(csv.body.lines().count(), 1, "only the header: {}", csv.body);
    let csv = first.get("/educator/lessons/all-kinds/attempts.csv").await;
    assert_eq!(csv.body.lines().count(), 2, "{}", csv.body);
    // A student is no educator.
    assert_eq!(student.get(&class).await.status, StatusCode::SEE_OTHER);
    // The administrator sees every class.
    assert_eq!(
        administrator(&app).await.get(&class).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_closed_code_refuses_to_join_and_a_new_code_opens_the_class_again() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (class, code) = create_class(&mut teacher, "Closing", &[]).await;
    let page = teacher.get(&class).await;
    let closed = teacher
        .post(
            &format!("{class}/code"),
            &[
                ("csrf".into(), page.csrf()),
                ("action".into(), "close".into()),
            ],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let mut student = app.browser();
    let refused = join(&mut student, &code, "Ani", "ani", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("No class is open for joining with that code")
    );
    // What was typed is kept, the passwords are not.
    assert!(refused.body.contains("value=\"ani\""));
    assert!(!refused.body.contains(PASSWORD));
    let page = teacher.get(&class).await;
    assert!(page.body.contains("Joining is closed"));
    teacher
        .post(
            &format!("{class}/code"),
            &[
                ("csrf".into(), page.csrf()),
                ("action".into(), "new".into()),
            ],
        )
        .await;
    let new_code = teacher.get(&class).await.text_of(".join-code code");
    assert_ne!(new_code, code);
    let joined = join(&mut student, &new_code, "Ani", "ani", PASSWORD).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
}

#[tokio::test]
async fn the_join_form_reports_every_problem_at_once() {
    let app = TestApp::new(&fixture("good"));
    let mut student = app.browser();
    let form = student.get("/join").await;
    let page = student
        .post(
            "/join",
            &[
                ("csrf".into(), form.csrf()),
                ("code".into(), "ABCD-EF0H".into()),
                ("display_name".into(), " ".into()),
                ("username".into(), "a b".into()),
                ("password".into(), "password1".into()),
                ("password_again".into(), "password1".into()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let summary = page.text_of(".error-summary");
    for expected in [
        "join code has 8 letters",
        "display name of 1 to 80",
        "only the letters a to z",
        "most commonly used",
    ] {
        assert!(summary.contains(expected), "{expected:?} in {summary}");
    }
    assert!(page.body.contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn the_21st_wrong_password_in_a_row_is_throttled_even_with_the_right_one() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "Throttle", &[]).await;
    join(&mut app.browser(), &code, "Ani", "ani", PASSWORD).await;
    let mut attacker = app.browser();
    let unknown = sign_in(&mut attacker, "nobody-here", "wrong password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    for i in 0..20 {
        let page = sign_in(&mut attacker, "ani", &format!("wrong password {i}")).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        // The same words for a wrong password as for an unknown user.
        assert_eq!(
            page.text_of("[role=alert]"),
            unknown.text_of("[role=alert]")
        );
    }
    let throttled = sign_in(&mut app.browser(), "ani", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers.contains_key("retry-after"));
    assert!(throttled.body.contains("too many wrong passwords"));
    // After the pause, the right password works and clears the count.
    app.state.advance_clock(16 * 60 * 1000);
    let signed = sign_in(&mut app.browser(), "ani", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_in_issues_a_new_session_and_signing_out_ends_it() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "Sessions", &[]).await;
    join(&mut app.browser(), &code, "Ani", "ani", PASSWORD).await;

    let mut b = app.browser();
    b.get("/").await;
    let before = b.cookie.clone().unwrap();
    let signed = sign_in(&mut b, "ani", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location(), "/progress");
    let after = b.cookie.clone().unwrap();
    assert_ne!(before, after, "a new session id at sign-in");
    // Someone who fixed the old id is not signed in.
    let mut fixer = app.browser();
    fixer.cookie = Some(before);
    assert_eq!(fixer.get("/progress").await.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/progress").await.status, StatusCode::OK);

    let page = b.get("/progress").await;
    let out = b.post("/sign-out", &[("csrf".into(), page.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/progress").await.status, StatusCode::SEE_OTHER);
    // The signed-out id is worth nothing, even replayed.
    let mut replay = app.browser();
    replay.cookie = Some(after);
    let page = replay.get("/progress").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/sign-in?next="));
}

#[tokio::test]
async fn attempts_made_before_joining_move_to_the_account_and_follow_it_to_another_device() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "Moving", &[]).await;
    let mut school_pc = app.browser();
    let (submitted, _) = take_quiz(&app, &mut school_pc, "all-kinds", Answers::AllRight).await;
    let open = school_pc.start_quiz("timed").await;
    join(&mut school_pc, &code, "Ani", "ani", PASSWORD).await;
    assert_eq!(school_pc.get(&submitted).await.status, StatusCode::OK);
    assert_eq!(school_pc.get(&open).await.status, StatusCode::OK);

    let mut phone = app.browser();
    assert_eq!(phone.get(&submitted).await.status, StatusCode::NOT_FOUND);
    sign_in(&mut phone, "ani", PASSWORD).await;
    let progress = phone.get("/progress").await;
    assert!(progress_of(&progress, "Fixture: every kind").contains("Best score 100%"));
    assert!(progress_of(&progress, "Fixture: timed").contains("Status In progress"));
    assert!(
        progress.body.contains(&format!("href=\"{open}\"")),
        "resume link"
    );
    assert_eq!(phone.get(&submitted).await.status, StatusCode::OK);
    // The open attempt can be finished on the phone.
    let quiz = phone.get(&open).await;
    let answers = fill_quiz(&quiz, &app.lesson("timed"), Answers::AllRight);
    assert_eq!(
        phone.post(&open, &answers).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn max_attempts_counts_a_learners_attempts_on_every_device() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "Limits", &[]).await;
    let mut pc = app.browser();
    pc.start_quiz("timed").await;
    join(&mut pc, &code, "Ani", "ani", PASSWORD).await;
    let mut phone = app.browser();
    sign_in(&mut phone, "ani", PASSWORD).await;
    phone.start_quiz("timed").await;
    let third = phone.try_start_quiz("timed").await;
    assert_eq!(
        third.status,
        StatusCode::FORBIDDEN,
        "timed allows 2 attempts"
    );
    assert!(third.body.contains("used all 2 attempts"));
}

#[tokio::test]
async fn rate_limits_count_each_signed_in_student_apart_behind_one_school_address() {
    let app = TestApp::with(
        &fixture("good"),
        Arc::new(SqliteStore::in_memory().unwrap()),
        |c| c.starts_per_minute = 1,
    );
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "One address", &[]).await;
    // Every test browser comes from the same (unknown) address.
    for (i, name) in ["ani", "murad", "lusine"].iter().enumerate() {
        let mut b = app.browser();
        join(&mut b, &code, name, name, PASSWORD).await;
        let started = b.try_start_quiz("all-kinds").await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "student {i}");
        assert_eq!(
            b.try_start_quiz("all-kinds").await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let mut anonymous = app.browser();
    assert_eq!(
        anonymous.try_start_quiz("all-kinds").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.browser().try_start_quiz("all-kinds").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn with_sign_in_required_an_anonymous_start_goes_to_sign_in_and_reading_stays_open() {
    let app = TestApp::with(
        &fixture("good"),
        Arc::new(SqliteStore::in_memory().unwrap()),
        |c| c.require_sign_in = true,
    );
    let mut anonymous = app.browser();
    let started = anonymous.try_start_quiz("all-kinds").await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    assert!(
        started
            .location()
            .starts_with("/sign-in?next=%2Flessons%2Fall%2Dkinds"),
        "{}",
        started.location()
    );
    let page = anonymous.get(started.location()).await;
    assert!(page.body.contains("Quizzes on this site need an account"));
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "Required", &[]).await;
    join(&mut anonymous, &code, "Ani", "ani", PASSWORD).await;
    assert_eq!(
        anonymous.try_start_quiz("all-kinds").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_educator_password_link_lets_a_learner_choose_a_new_password_once() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (class, code) = create_class(&mut teacher, "Resets", &[]).await;
    join(&mut app.browser(), &code, "Ani", "ani", PASSWORD).await;
    let page = teacher.get(&class).await;
    let reset_path = form_action(&page, "/reset");
    let shown = teacher
        .post(&reset_path, &[("csrf".into(), page.csrf())])
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    let link = shown.text_of(".one-time-link code");
    let path = &link[link.find("/set-password/").expect("a link")..];
    let mut learner = app.browser();
    let form = learner.get(path).await;
    assert_eq!(form.headers["referrer-policy"], "no-referrer");
    let mismatch = learner
        .post(
            path,
            &[
                ("csrf".into(), form.csrf()),
                ("password".into(), "a new passphrase".into()),
                ("password_again".into(), "a new passphrasf".into()),
            ],
        )
        .await;
    assert_eq!(
        mismatch.status,
        StatusCode::BAD_REQUEST,
        "a mismatch keeps the link usable"
    );
    let set = learner
        .post(
            path,
            &[
                ("csrf".into(), form.csrf()),
                ("password".into(), "a new passphrase".into()),
                ("password_again".into(), "a new passphrase".into()),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    assert_eq!(
        sign_in(&mut app.browser(), "ani", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&mut app.browser(), "ani", "a new passphrase")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.browser().get(path).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn a_student_changes_their_password_and_other_devices_are_signed_out() {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "Change", &[]).await;
    let mut pc = app.browser();
    join(&mut pc, &code, "Ani", "ani", PASSWORD).await;
    let mut phone = app.browser();
    sign_in(&mut phone, "ani", PASSWORD).await;
    let form = pc.get("/account/password").await;
    let wrong = pc
        .post(
            "/account/password",
            &[
                ("csrf".into(), form.csrf()),
                ("current".into(), "not it at all".into()),
                ("password".into(), "a new passphrase".into()),
                ("password_again".into(), "a new passphrase".into()),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("not your current password"));
    let done = pc
        .post(
            "/account/password",
            &[
                ("csrf".into(), form.csrf()),
                ("current".into(), PASSWORD.into()),
                ("password".into(), "a new passphrase".into()),
                ("password_again".into(), "a new passphrase".into()),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(pc.get("/progress").await.status, StatusCode::OK);
    assert_eq!(phone.get("/progress").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_database_holds_only_argon2id_password_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lectern.db");
    let app = TestApp::with(
        &fixture("good"),
        Arc::new(SqliteStore::open(&path).unwrap()),
        |_| {},
    );
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "Hashes", &[]).await;
    for name in ["ani", "murad"] {
        join(&mut app.browser(), &code, name, name, PASSWORD).await;
    }
    named_educator(&app, "teacher").await;
    let db = rusqlite::Connection::open(&path).unwrap();
    let hashes: Vec<String> = db
        .prepare("SELECT password_hash FROM accounts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(hashes.len(), 3);
    for hash in &hashes {
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
    }
    let sessions: Vec<String> = db
        .prepare("SELECT session_hash FROM account_sessions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!sessions.is_empty());
    // The store keeps SHA-256s of session ids, never a cookie a thief could replay.
    assert!(sessions.iter().all(|h| h.len() == 64));
}

#[tokio::test]
async fn a_database_written_by_the_previous_release_opens_with_all_its_attempts() {
    // Written by the release before accounts existed (schema version 1): one submitted and
    // two open attempts of one browser session.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lectern.db");
    std::fs::copy(fixture("db/lectern-v1.db"), &path).unwrap();
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let attempts = store.lesson_attempts("all-kinds").unwrap();
    assert_eq!(attempts.len(), 3);
    assert_eq!(
        attempts.iter().filter(|a| a.submission.is_some()).count(),
        1
    );
    assert!(
        attempts
            .iter()
            .all(|a| a.attempt.learner_id.is_none() && !a.attempt.practice)
    );
    let app = TestApp::with(&fixture("good"), store, |_| {});
    let mut browser = app.browser();
    browser.cookie = Some("lectern_session=d2e4d3a0eac5d8f824bf0ac648f941f8".into());
    let result = browser
        .get("/attempts/38cd37d6591ebb9ab39bd3f35de9d202")
        .await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(result.body.contains("Result: Fixture: every kind"));
    let open = browser
        .get("/attempts/2e9e352ebe31942d2bec219d3b89dbf1")
        .await;
    assert_eq!(open.status, StatusCode::OK);
    // Joining a class from that browser brings its old attempts along.
    let mut teacher = administrator(&app).await;
    let (_, code) = create_class(&mut teacher, "Upgrade", &[]).await;
    join(&mut browser, &code, "Ani", "ani", PASSWORD).await;
    let progress = browser.get("/progress").await;
    assert!(progress_of(&progress, "Fixture: every kind").contains("Attempts used 3"));
}

#[tokio::test]
async fn every_account_and_class_form_refuses_posts_without_the_sessions_token_or_from_another_site()
 {
    let app = TestApp::new(&fixture("good"));
    let mut teacher = administrator(&app).await;
    let (class, code) = create_class(&mut teacher, "Hostile", &[]).await;
    let mut student = app.browser();
    join(&mut student, &code, "Ani", "ani", PASSWORD).await;
    let page = teacher.get(&class).await;
    let remove = form_action(&page, "/remove");
    let attacker_csrf = app.browser().get("/sign-in").await.csrf();
    let posts = [
        "/sign-in".to_string(),
        "/sign-out".into(),
        "/join".into(),
        "/account/password".into(),
        format!("/set-password/{}", "a".repeat(32)),
        "/educator/classes".into(),
        format!("{class}/code"),
        format!("{class}/settings"),
        remove.clone(),
        remove.replace("/remove", "/reset"),
    ];
    for path in &posts {
        for browser in [&mut teacher, &mut student] {
            for body in [String::new(), format!("csrf={attacker_csrf}")] {
                let page = browser
                    .post_raw(path, "application/x-www-form-urlencoded", body.into_bytes())
                    .await;
                // Refused, or (for a page of another role) sent to sign in first.
                let to_sign_in =
                    page.status == StatusCode::SEE_OTHER && page.location().contains("sign-in");
                assert!(
                    page.status == StatusCode::FORBIDDEN || to_sign_in,
                    "{path}: {} {}",
                    page.status,
                    page.body
                );
            }
        }
    }
    // Still a member, still a class with that code: nothing was done.
    assert_eq!(gradebook(&teacher.get(&class).await).len(), 1);

    // Malformed addresses name nothing; odd fields are refused with a clear page.
    for path in [
        "/educator/classes/abc".to_string(),
        "/educator/classes/0".into(),
        "/educator/classes/99999".into(),
        format!("{class}/learners/xyz"),
        format!("{class}/learners/99999"),
        "/educator/attempts/zz".into(),
        "/set-password/not-a-token".into(),
    ] {
        let page = teacher.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.contains("Page not found"));
    }
    let form = student.get("/progress").await;
    let odd = student
        .post(
            "/sign-out",
            &[("csrf".into(), form.csrf()), ("admin".into(), "1".into())],
        )
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    // After signing in, a `next` that leaves the site is ignored.
    let mut b = app.browser();
    let form = b.get("/sign-in?next=//evil.example/").await;
    assert!(!form.body.contains("evil.example"));
    let signed = b
        .post(
            "/sign-in",
            &[
                ("csrf".into(), form.csrf()),
                ("username".into(), "ani".into()),
                ("password".into(), PASSWORD.into()),
                ("next".into(), "//evil.example/".into()),
            ],
        )
        .await;
    assert_eq!(signed.location(), "/progress");
}
