//! The educator area over HTTP: sign-in, statistics, preview, CSV export and hot reload.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Answers, Browser, EDUCATOR_TOKEN, Page, TestApp, fill_quiz, fixture, score};

fn app() -> TestApp {
    TestApp::new(&fixture("good"))
}

async fn sign_in(browser: &mut Browser, token: &str) -> Page {
    let form = browser.get("/educator/sign-in").await;
    browser
        .post(
            "/educator/sign-in",
            &[("csrf".into(), form.csrf()), ("token".into(), token.into())],
        )
        .await
}

/// A browser signed in as an educator.
async fn educator(app: &TestApp) -> Browser {
    let mut browser = app.browser();
    let signed_in = sign_in(&mut browser, EDUCATOR_TOKEN).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    browser
}

#[tokio::test]
async fn every_educator_page_sends_strangers_to_the_sign_in_form() {
    let app = app();
    let mut student = app.browser();
    for path in [
        "/educator",
        "/educator/lessons/all-kinds",
        "/educator/lessons/all-kinds/preview",
        "/educator/lessons/all-kinds/attempts.csv",
    ] {
        let page = student.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location(), "/educator/sign-in", "{path}");
    }
    // A forged educator cookie is no better.
    student.cookie = Some(format!(
        "{}; lectern_educator=9999999999.abc.def",
        student.cookie.clone().unwrap()
    ));
    assert_eq!(student.get("/educator").await.status, StatusCode::SEE_OTHER);
    // Students see no educator link.
    assert!(
        !student
            .get("/lessons/all-kinds")
            .await
            .body
            .contains("/educator")
    );
}

#[tokio::test]
async fn signing_in_sets_a_strict_cookie_and_signing_out_ends_it() {
    let app = app();
    let mut browser = app.browser();
    let page = sign_in(&mut browser, EDUCATOR_TOKEN).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/educator");
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("lectern_educator="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let mut educator = educator(&app).await;
    let dashboard = educator.get("/educator").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("Fixture: every kind"));
    let out = educator
        .post("/educator/sign-out", &[("csrf".into(), dashboard.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_repeated_failures_are_slowed_down() {
    let app = app();
    let mut browser = app.browser();
    for _ in 0..5 {
        let page = sign_in(&mut browser, "guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("not the educator token"));
        assert!(
            page.headers
                .get("set-cookie")
                .is_none_or(|c| !c.to_str().unwrap().contains("lectern_educator"))
        );
    }
    let blocked = sign_in(&mut browser, EDUCATOR_TOKEN).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = blocked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
}

#[tokio::test]
async fn sign_in_without_the_csrf_token_is_refused() {
    let app = app();
    let mut browser = app.browser();
    browser.get("/educator/sign-in").await;
    let page = browser
        .post(
            "/educator/sign-in",
            &[("token".into(), EDUCATOR_TOKEN.into())],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_preview_shows_every_question_with_its_answer_and_explanation() {
    let app = app();
    let mut educator = educator(&app).await;
    let page = educator.get("/educator/lessons/all-kinds/preview").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Where was the protocol signed?",
        "✓ right: Bishkek",
        "✗ distractor: Minsk",
        "Minsk gave the Minsk Group its name.",
        "It is named after the city where it was signed.",
        "1. Karabakh movement",
        "Baku → Azerbaijan",
        "1994 year",
        "<dt>Objectives assessed</dt><dd>Say where and when the Bishkek Protocol was signed.</dd><dd>Name the countries that co-chaired the Minsk Group.</dd>",
    ] {
        assert!(page.body.contains(text), "preview lacks {text:?}");
    }
}

/// Five students get everything right, two everything wrong, one starts but never submits.
async fn take_attempts(app: &TestApp) -> Vec<(String, (f64, f64))> {
    let lesson = app.lesson("all-kinds");
    let mut results = Vec::new();
    for i in 0..7 {
        let mut student = app.browser();
        let attempt = student.start_quiz("all-kinds").await;
        let quiz = student.get(&attempt).await;
        let mode = if i < 5 {
            Answers::AllRight
        } else {
            Answers::AllWrong
        };
        student
            .post(&attempt, &fill_quiz(&quiz, &lesson, mode))
            .await;
        let result = student.get(&attempt).await;
        results.push((
            attempt.trim_start_matches("/attempts/").to_string(),
            score(&result),
        ));
    }
    app.browser().start_quiz("all-kinds").await;
    results
}

#[tokio::test]
async fn the_dashboard_and_lesson_statistics_count_attempts() {
    let app = app();
    take_attempts(&app).await;
    let mut educator = educator(&app).await;
    let dashboard = educator.get("/educator").await;
    // 8 started, 7 submitted, mean 5/7 = 71.43%, pass rate 71.43%.
    let row = dashboard.text_of("tbody tr");
    assert!(row.contains("Fixture: every kind"), "{row}");
    assert!(row.contains("8771.43%71.43%0"), "{row:?}");

    let stats = educator.get("/educator/lessons/all-kinds").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert!(stats.body.contains("<svg class=\"histogram\""));
    assert!(stats.body.contains("<title id=\"histogram-title\">"));
    // The text alternative: 2 attempts scored 0–9%, 5 scored 90–100%.
    assert!(stats.body.contains("<td>0–9%</td><td>2</td>"));
    assert!(stats.body.contains("<td>90–100%</td><td>5</td>"));
    // Every question: drawn 7 times, facility 5/7, perfect discrimination (1.00).
    let html = stats.html();
    let rows: Vec<String> = html
        .select(&scraper::Selector::parse("table.items tbody tr").unwrap())
        .map(|r| r.text().collect::<String>())
        .collect();
    assert_eq!(rows.len(), 7);
    for row in &rows {
        assert!(row.contains("70.711.00"), "{row:?}");
    }
    assert!(stats.body.contains("Bishkek (right): 5"));
    assert!(stats.body.contains("Minsk: 2"));
}

#[tokio::test]
async fn statistics_need_five_attempts() {
    let app = app();
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    student
        .post(
            &attempt,
            &fill_quiz(&quiz, &app.lesson("all-kinds"), Answers::AllRight),
        )
        .await;
    let mut educator = educator(&app).await;
    let stats = educator.get("/educator/lessons/all-kinds").await;
    assert!(stats.body.contains("not enough data"));
    assert!(!stats.body.contains("1.00"));
    assert!(
        stats.body.contains("1 attempt started, 1 submitted"),
        "{}",
        stats.body
    );
}

#[tokio::test]
async fn the_csv_export_parses_back_and_matches_the_result_pages() {
    let app = app();
    let results = take_attempts(&app).await;
    let mut educator = educator(&app).await;
    let page = educator
        .get("/educator/lessons/all-kinds/attempts.csv")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        page.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    let mut reader = csv::Reader::from_reader(page.body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "attempt",
            "learner_name",
            "learner_username",
            "started",
            "submitted",
            "duration_seconds",
            "earned",
            "possible",
            "percent",
            "passed",
            "capital",
            "co-chairs",
            "treaty",
            "protocol-name",
            "year",
            "sequence",
            "cities"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7, "one row per submitted attempt");
    for (token, (earned, possible)) in &results {
        let row = rows
            .iter()
            .find(|r| &r[0] == token)
            .expect("attempt in the CSV");
        // Anonymous attempts: no learner's name or username.
        assert_eq!((&row[1], &row[2]), ("", ""));
        assert_eq!(row[6].parse::<f64>().unwrap(), *earned);
        assert_eq!(row[7].parse::<f64>().unwrap(), *possible);
        let per_question: f64 = (10..17).map(|i| row[i].parse::<f64>().unwrap()).sum();
        assert_eq!(
            per_question, *earned,
            "question columns add up to the total"
        );
        assert_eq!(&row[9], if earned == possible { "true" } else { "false" });
    }
}

#[test]
fn csv_cells_that_look_like_formulas_are_neutralised() {
    use lectern::web::routes::educator::csv_cell;
    assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
    assert_eq!(csv_cell("+1"), "'+1");
    assert_eq!(csv_cell("-1"), "'-1");
    assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(csv_cell("\tx"), "'\tx");
    assert_eq!(csv_cell("plain"), "plain");
    assert_eq!(csv_cell("1.5"), "1.5");
}

/// Polls `check` for up to five seconds.
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..50 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn edits_go_live_without_a_restart_and_a_broken_edit_keeps_the_last_good_version() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("timed.toml");
    let original = std::fs::read_to_string(fixture("good/timed.toml")).unwrap();
    std::fs::write(&file, &original).unwrap();
    let app = TestApp::new(dir.path());
    let state = app.state.clone();
    let folder = dir.path().to_path_buf();
    let _watcher = lectern::watch::watch_folder(dir.path(), move || {
        let _ = state.reload_lessons(&folder);
    })
    .unwrap();

    // A valid edit.
    std::fs::write(
        &file,
        original.replace("Fixture: timed and limited", "Renamed lesson"),
    )
    .unwrap();
    let mut browser = app.browser();
    let live =
        eventually(|| app.state.catalog().lesson("timed").unwrap().title == "Renamed lesson").await;
    assert!(live, "the edit did not go live");
    assert!(
        browser
            .get("/lessons/timed")
            .await
            .body
            .contains("<h1>Renamed lesson</h1>")
    );

    // An invalid edit: the lesson keeps serving and the problem shows on the dashboard.
    std::fs::write(&file, original.replace("draw = 2", "draw = 20")).unwrap();
    let reported = eventually(|| !app.state.catalog().problems().is_empty()).await;
    assert!(reported, "the broken edit was not noticed");
    let reading = browser.get("/lessons/timed").await;
    assert_eq!(reading.status, StatusCode::OK);
    assert!(reading.body.contains("<h1>Renamed lesson</h1>"));
    let mut educator = educator(&app).await;
    let dashboard = educator.get("/educator").await;
    assert!(
        dashboard
            .body
            .contains("timed.toml:17:8: `quiz.draw` is 20 but the pool has 3 question(s)"),
        "{}",
        dashboard.body
    );
}
