//! A student's path through a quiz, over HTTP against the real router and real lesson files.

mod common;

use axum::http::StatusCode;
use common::{Answers, Given, TestApp, answer_with, fill_quiz, fixture, score};

fn app() -> TestApp {
    TestApp::new(&fixture("good"))
}

#[tokio::test]
async fn answering_everything_right_earns_every_point() {
    let app = app();
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    assert_eq!(quiz.status, StatusCode::OK);
    let fields = fill_quiz(&quiz, &app.lesson("all-kinds"), Answers::AllRight);

    let submitted = student.post(&attempt, &fields).await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    assert_eq!(submitted.location(), attempt);

    let result = student.get(&attempt).await;
    assert_eq!(score(&result), (10.0, 10.0));
    assert!(result.text_of("#score").contains("100%"));
    assert!(result.text_of("#score").contains("passed"));
    assert!(!result.body.contains("Retry the"), "nothing to retry");
}

#[tokio::test]
async fn answering_everything_wrong_earns_nothing_and_links_back_to_the_reading() {
    let app = app();
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    let fields = fill_quiz(&quiz, &app.lesson("all-kinds"), Answers::AllWrong);
    student.post(&attempt, &fields).await;

    let result = student.get(&attempt).await;
    assert_eq!(score(&result), (0.0, 10.0));
    assert!(result.text_of("#score").contains("not passed"));
    assert!(result.body.contains("href=\"/lessons/all-kinds#first\""));
    assert!(result.body.contains("href=\"/lessons/all-kinds#second\""));
    // Explanations and per-choice feedback appear once submitted.
    assert!(result.body.contains("No treaty followed."));
    assert!(result.body.contains("Minsk gave the Minsk Group its name."));
    assert!(result.body.contains("Retry the 7 questions I missed"));
}

/// One row per case: the question (by prompt), the answer given and the points it earns.
/// Every other question is answered right, so the total shows the case's points.
#[tokio::test]
async fn partial_credit_follows_the_rules_for_each_kind() {
    let order = "Put these in order, earliest first.";
    let chairs = "Which countries co-chaired the Minsk Group?";
    let cities = "Match each city to its country.";
    let year = "In which year was the protocol signed?";
    let name = "Name the protocol of 5 May 1994.";
    let cases: Vec<(&str, Given<'_>, f64)> = vec![
        (chairs, Given::Labels(&["France", "Russia"]), 2.0 / 3.0),
        (
            chairs,
            Given::Labels(&["France", "Russia", "United States", "Turkey"]),
            2.0 / 3.0,
        ),
        (chairs, Given::Labels(&["France", "Turkey"]), 0.0),
        (chairs, Given::Labels(&["Turkey", "Iran"]), 0.0),
        (chairs, Given::Labels(&[]), 0.0),
        // One adjacent swap of four items: tau = (5 − 1) / 6, of 3 points.
        (
            order,
            Given::Selects(&[
                ("Karabakh movement", "2"),
                ("First war", "1"),
                ("Bishkek Protocol", "3"),
                ("2020 war", "4"),
            ]),
            2.0,
        ),
        (
            order,
            Given::Selects(&[
                ("Karabakh movement", "4"),
                ("First war", "3"),
                ("Bishkek Protocol", "2"),
                ("2020 war", "1"),
            ]),
            0.0,
        ),
        (
            cities,
            Given::Selects(&[
                ("Bishkek", "Kyrgyzstan"),
                ("Minsk", "Belarus"),
                ("Baku", "Armenia"),
                ("Yerevan", "Azerbaijan"),
            ]),
            0.5,
        ),
        (cities, Given::Selects(&[("Bishkek", "Kyrgyzstan")]), 0.25),
        (year, Given::Text("1994,0"), 1.0),
        (year, Given::Text("1995"), 0.0),
        (name, Given::Text("  bishkek. "), 1.0),
        (name, Given::Text("Minsk"), 0.0),
    ];
    let app = app();
    let lesson = app.lesson("all-kinds");
    let mut student = app.browser();
    for (prompt, given, expected) in cases {
        let points = lesson
            .quiz
            .as_ref()
            .unwrap()
            .questions
            .iter()
            .find(|q| q.prompt == prompt)
            .unwrap()
            .points;
        let attempt = student.start_quiz("all-kinds").await;
        let quiz = student.get(&attempt).await;
        let mut fields = fill_quiz(&quiz, &lesson, Answers::AllRight);
        answer_with(&quiz, &mut fields, prompt, &given);
        let submitted = student.post(&attempt, &fields).await;
        assert_eq!(
            submitted.status,
            StatusCode::SEE_OTHER,
            "{prompt}: {}",
            submitted.body
        );
        let (earned, possible) = score(&student.get(&attempt).await);
        let want = possible - points + expected;
        assert!(
            (earned - want).abs() < 0.006,
            "{prompt}: earned {earned}, want {want}"
        );
    }
}

#[tokio::test]
async fn two_attempts_differ_and_one_attempt_renders_identically_twice() {
    let app = app();
    let mut student = app.browser();
    let first = student.start_quiz("all-kinds").await;
    let second = student.start_quiz("all-kinds").await;
    assert_ne!(first, second);
    let a = student.get(&first).await.body;
    let again = student.get(&first).await.body;
    let b = student.get(&second).await.body;
    assert_eq!(
        a, again,
        "reloading shows the same questions in the same order"
    );
    // The form kept since the start is exactly what rendering it from the store gives.
    let token = first.trim_start_matches("/attempts/");
    assert!(app.state.quiz_pages.bytes() > 0);
    app.state.quiz_pages.remove(token);
    assert_eq!(student.get(&first).await.body, a);
    let strip = |s: &str| s.replace(&first, "").replace(&second, "");
    assert_ne!(strip(&a), strip(&b), "different seeds shuffle differently");
}

#[tokio::test]
async fn the_quiz_page_reveals_no_answer_key() {
    let app = app();
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    for secret in [
        "It is named after the city",          // explanation
        "Minsk gave the Minsk Group its name", // feedback
        "No treaty followed",
        "correct",
    ] {
        assert!(!quiz.body.contains(secret), "quiz page leaks {secret:?}");
    }
    // Choice values are positions, not texts.
    assert!(!quiz.body.contains("value=\"Bishkek\""));
    // Order items are never listed in their right order.
    let sequence = [
        "Karabakh movement",
        "First war",
        "Bishkek Protocol",
        "2020 war",
    ];
    let at: Vec<usize> = sequence
        .iter()
        .map(|i| quiz.body.find(&format!(">{i}</label>")).unwrap())
        .collect();
    assert!(
        at.windows(2).any(|w| w[0] > w[1]),
        "order items shown in the answer's order"
    );
}

#[tokio::test]
async fn a_graded_attempt_is_never_regraded() {
    let app = app();
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    let lesson = app.lesson("all-kinds");
    student
        .post(&attempt, &fill_quiz(&quiz, &lesson, Answers::AllWrong))
        .await;
    let again = student
        .post(&attempt, &fill_quiz(&quiz, &lesson, Answers::AllRight))
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(score(&student.get(&attempt).await), (0.0, 10.0));
}

#[tokio::test]
async fn another_browser_cannot_see_or_submit_an_attempt() {
    let app = app();
    let mut owner = app.browser();
    let attempt = owner.start_quiz("all-kinds").await;
    let quiz = owner.get(&attempt).await;
    let fields = fill_quiz(&quiz, &app.lesson("all-kinds"), Answers::AllRight);

    let mut other = app.browser();
    let seen = other.get(&attempt).await;
    assert_eq!(seen.status, StatusCode::NOT_FOUND);
    // Even with the owner's CSRF token, the other session's post is refused, then with its own
    // token it finds nothing.
    let posted = other.post(&attempt, &fields).await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    let reading = other.get("/lessons/all-kinds").await;
    let mut with_own = fields.clone();
    with_own[0].1 = reading.csrf();
    assert_eq!(
        other.post(&attempt, &with_own).await.status,
        StatusCode::NOT_FOUND
    );
    // The owner's attempt is untouched.
    assert_eq!(owner.get(&attempt).await.text_of("#score"), "");
}

#[tokio::test]
async fn posts_without_the_csrf_token_or_from_another_site_are_refused() {
    let app = app();
    let mut student = app.browser();
    let reading = student.get("/lessons/all-kinds").await;
    let refused = student.post("/lessons/all-kinds/attempts", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("security token"));
    let wrong = student
        .post(
            "/lessons/all-kinds/attempts",
            &[("csrf".into(), "0".repeat(64))],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    let request = axum::http::Request::post("/lessons/all-kinds/attempts")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::from(format!("csrf={}", reading.csrf())))
        .unwrap();
    assert_eq!(student.request(request).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn malformed_answers_get_a_400_that_keeps_the_other_answers() {
    let app = app();
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    let mut fields = fill_quiz(&quiz, &app.lesson("all-kinds"), Answers::AllRight);
    fields.push(("score".into(), "100".into()));
    let short_field = fields
        .iter()
        .find(|(_, v)| v == "BISHKEK PROTOCOL")
        .map(|(n, _)| n.clone())
        .unwrap();

    let page = student.post(&attempt, &fields).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("unknown field `score`"), "{}", page.body);
    assert!(page.body.contains("Nothing was submitted"));
    // The typed short answer is still in its box.
    assert!(page.body.contains(&format!(
        "name=\"{short_field}\" value=\"BISHKEK PROTOCOL\""
    )));
    // Nothing was graded.
    assert_eq!(student.get(&attempt).await.text_of("#score"), "");

    let mut probe = Vec::new();
    answer_with(
        &quiz,
        &mut probe,
        "Where was the protocol signed?",
        &Given::Labels(&["Bishkek"]),
    );
    let single = probe[0].0.clone();
    for bad in [
        vec![(single.clone(), "99".to_string())],
        vec![(single.clone(), "Bishkek".to_string())],
    ] {
        let mut form = vec![("csrf".to_string(), quiz.csrf())];
        form.extend(bad);
        let page = student.post(&attempt, &form).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(page.body.contains("not one of the offered options"));
    }
}

#[tokio::test]
async fn a_late_submission_counts_as_unanswered_and_says_so() {
    let app = TestApp::new(&fixture("good"));
    let mut student = app.browser();
    let attempt = student.start_quiz("timed").await;
    let quiz = student.get(&attempt).await;
    assert!(quiz.body.contains("Time limit: 1 minute."));
    let fields = fill_quiz(&quiz, &app.lesson("timed"), Answers::AllRight);
    app.state.advance_clock(2 * 60_000);
    student.post(&attempt, &fields).await;
    let result = student.get(&attempt).await;
    assert_eq!(score(&result), (0.0, 2.0));
    assert!(result.body.contains("after its time limit"));
}

#[tokio::test]
async fn a_submission_within_the_time_limit_counts() {
    let app = TestApp::new(&fixture("good"));
    let mut student = app.browser();
    let attempt = student.start_quiz("timed").await;
    let quiz = student.get(&attempt).await;
    let fields = fill_quiz(&quiz, &app.lesson("timed"), Answers::AllRight);
    app.state.advance_clock(50_000);
    student.post(&attempt, &fields).await;
    assert_eq!(score(&student.get(&attempt).await), (2.0, 2.0));
}

#[tokio::test]
async fn max_attempts_is_enforced_per_browser() {
    let app = app();
    let mut student = app.browser();
    student.start_quiz("timed").await;
    student.start_quiz("timed").await;
    let reading = student.get("/lessons/timed").await;
    let third = student
        .post(
            "/lessons/timed/attempts",
            &[("csrf".into(), reading.csrf())],
        )
        .await;
    assert_eq!(third.status, StatusCode::FORBIDDEN);
    assert!(third.body.contains("used all 2 attempts"));
    // Another browser still has its own two.
    let mut other = app.browser();
    other.start_quiz("timed").await;
}

#[tokio::test]
async fn retrying_missed_questions_draws_only_those() {
    let app = app();
    let lesson = app.lesson("all-kinds");
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    student
        .post(&attempt, &fill_quiz(&quiz, &lesson, Answers::AllWrong))
        .await;
    let result = student.get(&attempt).await;

    let retry = student
        .post(
            &format!("{attempt}/retry"),
            &[("csrf".into(), result.csrf())],
        )
        .await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER);
    let retry_quiz = student.get(retry.location()).await;
    assert!(retry_quiz.body.contains("Question 7 of 7"));
    student
        .post(
            retry.location(),
            &fill_quiz(&retry_quiz, &lesson, Answers::AllRight),
        )
        .await;
    assert_eq!(score(&student.get(retry.location()).await), (10.0, 10.0));
}

#[tokio::test]
async fn an_attempt_graded_elsewhere_shows_its_result_not_the_kept_form() {
    let app = app();
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    assert!(quiz.body.contains("Submit answers"));

    // Another instance on the same database grades it (here: straight through the store).
    let token = attempt.trim_start_matches("/attempts/").to_string();
    let stored = app.state.store.attempt(&token).unwrap().unwrap();
    let questions = &stored.attempt.questions;
    let responses: Vec<_> = questions
        .iter()
        .map(lectern::quiz::Response::unanswered)
        .collect();
    let (points, score_) = lectern::quiz::grade_attempt(questions, &responses);
    let graded = lectern::store::Submission {
        submitted_ms: 1,
        responses,
        points,
        score: score_,
        late: false,
    };
    assert!(app.state.store.submit(&token, &graded).unwrap());

    let result = student.get(&attempt).await;
    assert!(!result.body.contains("Submit answers"), "{}", result.body);
    assert_eq!(score(&result), (0.0, 10.0));
}
