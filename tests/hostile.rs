//! Attacks a student or a bored visitor might try, through the real router: hostile requests,
//! cheating, races, hostile lesson files, limits and store faults.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Answers, EDUCATOR_TOKEN, TestApp, fill_quiz, fixture, score};
use lectern::store::{
    AccountStore, Attempt, NewAttempt, Owner, SqliteStore, Store, StoreError, Submission,
};

/// Text that would betray a framework, library or panic message in a response body.
const LEAKS: &[&str] = &[
    "Invalid URL",
    "Failed to",
    "deserialize",
    "serde",
    "axum",
    "hyper",
    "rusqlite",
    "SQLITE",
    "panicked",
    "thread '",
    "missing field",
    "invalid type",
    "stack backtrace",
    "RUST_BACKTRACE",
];

/// One hostile request: method, path, content type, body and extra headers.
struct Hostile {
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
    /// Send the owner's cookie (otherwise the attacker's own).
    as_owner: bool,
}

fn get(path: impl Into<String>) -> Hostile {
    Hostile {
        method: Method::GET,
        path: path.into(),
        content_type: None,
        body: Vec::new(),
        headers: Vec::new(),
        as_owner: false,
    }
}

fn post(path: impl Into<String>, body: impl Into<Vec<u8>>) -> Hostile {
    Hostile {
        method: Method::POST,
        content_type: Some("application/x-www-form-urlencoded"),
        body: body.into(),
        ..get(path)
    }
}

#[tokio::test]
async fn two_hundred_hostile_requests_get_clean_4xx_pages_and_change_nothing() {
    let app = TestApp::new(&fixture("good"));
    let lesson = app.lesson("all-kinds");
    let mut owner = app.browser();
    let attempt = owner.start_quiz("all-kinds").await;
    let quiz = owner.get(&attempt).await;
    let csrf = quiz.csrf();
    let token = attempt.trim_start_matches("/attempts/").to_string();
    let before = app.state.store.lesson_attempts("all-kinds").unwrap().len();
    let mut attacker = app.browser();
    let attacker_csrf = attacker.get("/lessons/all-kinds").await.csrf();

    let mut requests: Vec<Hostile> = Vec::new();
    // Paths that name nothing, try to escape, or are malformed.
    for path in [
        "/lessons/..%2f..%2fetc%2fpasswd",
        "/lessons/../../etc/passwd",
        "/lessons/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/lessons/%00",
        "/lessons/%FF",
        "/lessons/%zz",
        "/lessons/all-kinds%00",
        "/lessons/ALL-KINDS",
        "/lessons/all_kinds",
        "/lessons/all-kinds/",
        "/lessons/all-kinds/extra",
        "/lessons/",
        "/lessons",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/style.css/..",
        "/static/nope.css",
        "/attempts/%FF",
        "/attempts/zzzz",
        "/attempts/00000000000000000000000000000000",
        "/attempts/../lessons/all-kinds",
        "/attempts/",
        "//lessons//all-kinds",
        "/educator/lessons/%FF",
        "/educator/../lessons/all-kinds",
        "/.git/config",
        "/lectern.db",
        "/index.php",
        "/wp-admin/",
        "/lessons/all-kinds?%3Cscript%3E=1",
        "/?q=%FF%FE",
        "/%E2%80%AE",
    ] {
        requests.push(get(path));
    }
    requests.push(get(format!("/lessons/{}", "a".repeat(10_000))));
    requests.push(get(format!("/attempts/{}", "f".repeat(5_000))));
    requests.push(get(format!("/{}", "%2F".repeat(2_000))));
    // Someone else's attempt, under every verb.
    for path in [attempt.clone(), format!("{attempt}/retry")] {
        requests.push(get(path.clone()));
        requests.push(post(path.clone(), format!("csrf={attacker_csrf}")));
        requests.push(post(path, format!("csrf={attacker_csrf}&q1=0")));
    }
    // Wrong methods everywhere.
    for method in [
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ] {
        for path in [
            "/",
            "/lessons/all-kinds",
            "/lessons/all-kinds/attempts",
            &attempt,
            "/healthz",
            "/educator",
            "/educator/sign-in",
        ] {
            requests.push(Hostile {
                method: method.clone(),
                ..get(path)
            });
        }
    }
    requests.push(post("/", "a=1"));
    requests.push(post("/lessons/all-kinds", "a=1"));
    requests.push(post("/healthz", ""));
    // Forged and broken forms on the owner's own attempt: each must be refused before grading.
    let owner_bodies: Vec<String> = vec![
        format!("csrf={csrf}&score=100"),
        format!("csrf={csrf}&points=10"),
        format!("csrf={csrf}&correct=1"),
        format!("csrf={csrf}&earned=10&possible=10"),
        format!("csrf={csrf}&passed=true"),
        format!("csrf={csrf}&q0=1"),
        format!("csrf={csrf}&q8=1"),
        format!("csrf={csrf}&q99999=1"),
        format!("csrf={csrf}&q1-1-1=1"),
        format!("csrf={csrf}&q=1"),
        format!("csrf={csrf}&Q1=1"),
        format!("csrf={csrf}&q1[]=1"),
        format!("csrf={csrf}&q-1=1"),
        format!("csrf={csrf}&q1.5=1"),
        format!("csrf={csrf}&%FF=1"),
        format!("csrf={csrf}&q1=%FF"),
        format!("csrf={csrf}&csrf={csrf}"),
        format!("csrf={csrf}&{}=1", "q".repeat(5000)),
        "q1=0".to_string(),
        "csrf=&q1=0".to_string(),
        format!("csrf={}&q1=0", "0".repeat(64)),
        format!("csrf={csrf}x&q1=0"),
        format!("csrf={}", &csrf[..10]),
        format!("csrf={attacker_csrf}&q1=0"),
        format!("csrf={csrf}&{}", vec!["z=1"; 1500].join("&")),
    ];
    for body in &owner_bodies {
        requests.push(Hostile {
            as_owner: true,
            ..post(attempt.clone(), body.clone())
        });
    }
    // Every value a question field cannot take, on every question of the attempt.
    for q in 1..=7 {
        for value in [
            "-1", "99", "1e9", "0x1", " 1", "1 ", "%00", "true", "Bishkek", "1,2", "NaN", "", "01",
        ] {
            let body = format!("csrf={csrf}&q{q}={value}&unknown=1");
            requests.push(Hostile {
                as_owner: true,
                ..post(attempt.clone(), body)
            });
        }
    }
    // Wrong content types and encodings.
    for content_type in [
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "text/html",
        "application/xml",
        "application/x-www-form-urlencodedx",
        "",
    ] {
        requests.push(Hostile {
            content_type: Some(content_type),
            as_owner: true,
            ..post(attempt.clone(), format!("csrf={csrf}"))
        });
    }
    requests.push(Hostile {
        content_type: None,
        as_owner: true,
        ..post(attempt.clone(), format!("csrf={csrf}"))
    });
    requests.push(Hostile {
        as_owner: true,
        ..post(attempt.clone(), vec![0xff, 0xfe, b'=', 0x80])
    });
    requests.push(Hostile {
        as_owner: true,
        ..post(attempt.clone(), vec![b'a'; 100_000])
    });
    // Cross-site posts and odd headers.
    for site in ["cross-site"] {
        for path in [
            "/lessons/all-kinds/attempts".to_string(),
            attempt.clone(),
            "/educator/sign-in".to_string(),
        ] {
            requests.push(Hostile {
                headers: vec![("sec-fetch-site", site.into())],
                as_owner: true,
                ..post(path, format!("csrf={csrf}"))
            });
        }
    }
    for cookie in [
        "lectern_session=../../etc/passwd".to_string(),
        "lectern_session=".to_string(),
        format!("lectern_session={}", "a".repeat(4000)),
        "lectern_educator=1.2.3".to_string(),
        "lectern_educator=99999999999999999999.x.y".to_string(),
        "lectern_session=%FF".to_string(),
    ] {
        for path in ["/educator", "/educator/lessons/all-kinds/attempts.csv"] {
            requests.push(Hostile {
                headers: vec![("cookie", cookie.clone())],
                ..get(path)
            });
        }
        requests.push(Hostile {
            headers: vec![("cookie", cookie.clone())],
            ..post("/lessons/all-kinds/attempts", format!("csrf={csrf}"))
        });
    }
    // Educator sign-in abuse.
    for body in [
        format!("csrf={attacker_csrf}&token="),
        format!("csrf={attacker_csrf}&token=' OR '1'='1"),
        format!("csrf={attacker_csrf}&token={EDUCATOR_TOKEN}&token={EDUCATOR_TOKEN}"),
        format!("csrf={attacker_csrf}&token={EDUCATOR_TOKEN}&admin=1"),
        format!("token={EDUCATOR_TOKEN}"),
    ] {
        requests.push(post("/educator/sign-in", body));
    }
    requests.push(post("/educator/sign-out", ""));

    let distinct: std::collections::HashSet<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {} {:?} {:?} {:?} {}",
                r.method, r.path, r.content_type, r.body, r.headers, r.as_owner
            )
        })
        .collect();
    assert!(
        distinct.len() >= 200,
        "only {} distinct hostile requests",
        distinct.len()
    );

    for r in requests {
        let mut request = Request::builder().method(r.method.clone()).uri(&r.path);
        if let Some(ct) = r.content_type {
            request = request.header("content-type", ct);
        }
        for (name, value) in &r.headers {
            request = request.header(*name, value);
        }
        let request = request.body(Body::from(r.body.clone())).unwrap();
        let page = if r.as_owner {
            owner.request(request).await
        } else {
            // A hostile cookie header replaces the attacker's own for that request.
            let mut one_off = attacker.clone();
            if r.headers.iter().any(|(n, _)| *n == "cookie") {
                one_off.cookie = None;
            }
            one_off.request(request).await
        };
        let label = format!(
            "{} {} ({} bytes)",
            r.method,
            r.path.chars().take(80).collect::<String>(),
            r.body.len()
        );
        assert!(!page.status.is_server_error(), "{label}: {}", page.status);
        assert!(
            page.status.is_client_error()
                || page.status.is_redirection()
                || page.status == StatusCode::OK,
            "{label}: {}",
            page.status
        );
        for leak in LEAKS {
            assert!(
                !page.body.contains(leak),
                "{label}: body leaks {leak:?}: {}",
                page.body
            );
        }
        if page.status.is_client_error() {
            assert!(
                page.body.contains("<html lang=\"en\">"),
                "{label}: not our error page: {}",
                page.body
            );
        }
    }

    // Nothing the attacks did reached the database, and the attempt is still open.
    let after = app.state.store.lesson_attempts("all-kinds").unwrap();
    assert_eq!(after.len(), before);
    assert!(
        app.state
            .store
            .attempt(&token)
            .unwrap()
            .unwrap()
            .submission
            .is_none()
    );
    // And the owner can still submit normally.
    let fields = fill_quiz(&quiz, &lesson, Answers::AllRight);
    assert_eq!(
        owner.post(&attempt, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(score(&owner.get(&attempt).await), (10.0, 10.0));
}

#[tokio::test]
async fn concurrent_submissions_of_one_attempt_grade_it_exactly_once() {
    let app = TestApp::new(&fixture("good"));
    let lesson = app.lesson("all-kinds");
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    let right = fill_quiz(&quiz, &lesson, Answers::AllRight);
    let wrong = fill_quiz(&quiz, &lesson, Answers::AllWrong);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let mut browser = student.clone();
        let fields = if i % 2 == 0 {
            right.clone()
        } else {
            wrong.clone()
        };
        let path = attempt.clone();
        tasks.push(tokio::spawn(async move {
            browser.post(&path, &fields).await.status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::SEE_OTHER);
    }
    let token = attempt.trim_start_matches("/attempts/");
    let stored = app
        .state
        .store
        .attempt(token)
        .unwrap()
        .unwrap()
        .submission
        .unwrap();
    let shown = score(&student.get(&attempt).await);
    assert!(shown == (10.0, 10.0) || shown == (0.0, 10.0), "{shown:?}");
    assert_eq!(
        stored.score.earned, shown.0,
        "the page shows the one stored grade"
    );
}

#[tokio::test]
async fn a_hostile_lesson_renders_inert_on_every_page() {
    let app = TestApp::new(&fixture("hostile"));
    let mut student = app.browser();
    let mut pages = vec![
        student.get("/").await,
        student.get("/lessons/hostile").await,
    ];
    let attempt = student.start_quiz("hostile").await;
    let quiz = student.get(&attempt).await;
    pages.push(student.get(&attempt).await);
    student
        .post(&attempt, &[("csrf".into(), quiz.csrf())])
        .await;
    pages.push(student.get(&attempt).await);
    let form = student.get("/educator/sign-in").await;
    student
        .post(
            "/educator/sign-in",
            &[
                ("csrf".into(), form.csrf()),
                ("token".into(), EDUCATOR_TOKEN.into()),
            ],
        )
        .await;
    for path in [
        "/educator",
        "/educator/lessons/hostile",
        "/educator/lessons/hostile/preview",
    ] {
        let page = student.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        pages.push(page);
    }
    let any = scraper::Selector::parse("*").unwrap();
    for page in &pages {
        let html = page.html();
        for element in html.select(&any) {
            let name = element.value().name();
            let forbidden = ["script", "iframe", "object", "embed"];
            assert!(!forbidden.contains(&name), "<{name}> in {}", page.body);
            for (attr, value) in element.value().attrs() {
                assert!(!attr.starts_with("on"), "{attr} on <{name}>: {}", page.body);
                let v = value.trim().to_lowercase();
                assert!(!v.starts_with("javascript:"), "{attr}={value} on <{name}>");
                assert!(attr != "style", "inline style on <{name}>");
            }
        }
    }
    // The text is still there, shown as text.
    assert_eq!(
        pages[1].text_of("h1"),
        "<script>alert('title')</script> Hostile"
    );
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let app = TestApp::with(&fixture("good"), store, |c| c.behind_https = true);
    let page = app.browser().get("/").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn starting_too_many_attempts_gets_a_429_with_retry_after() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let app = TestApp::with(&fixture("good"), store, |c| c.starts_per_minute = 3);
    let mut student = app.browser();
    for _ in 0..3 {
        student.start_quiz("all-kinds").await;
    }
    let refused = student.try_start_quiz("all-kinds").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers["retry-after"].to_str().unwrap(), "20");
    assert!(refused.body.contains("Too many requests"));
}

#[tokio::test]
async fn submitting_too_often_gets_a_429_and_the_attempt_stays_open() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let app = TestApp::with(&fixture("good"), store, |c| c.submits_per_minute = 2);
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    let bad = vec![
        ("csrf".to_string(), quiz.csrf()),
        ("score".to_string(), "100".to_string()),
    ];
    assert_eq!(
        student.post(&attempt, &bad).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        student.post(&attempt, &bad).await.status,
        StatusCode::BAD_REQUEST
    );
    let limited = student.post(&attempt, &bad).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_request_that_takes_too_long_gets_a_408_page() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let app = TestApp::with(&fixture("good"), store, |c| {
        c.request_timeout = Duration::from_millis(200)
    });
    let mut student = app.browser();
    student.get("/").await;
    // A body that never finishes arriving.
    let never = futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
    let request = Request::post("/lessons/all-kinds/attempts")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from_stream(never))
        .unwrap();
    let page = student.request(request).await;
    assert_eq!(page.status, StatusCode::REQUEST_TIMEOUT);
    assert!(page.body.contains("Request timed out"));
}

/// A store whose writes fail while `broken` is set, as with a read-only file or a full disk.
struct FaultyStore {
    inner: SqliteStore,
    broken: AtomicBool,
}

impl FaultyStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("disk I/O error (simulated)".into()))
        } else {
            Ok(())
        }
    }
}

impl Store for FaultyStore {
    fn server_key(&self) -> Result<[u8; 32], StoreError> {
        self.inner.server_key()
    }
    fn create_attempt(&self, attempt: &NewAttempt, max: Option<u32>) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.create_attempt(attempt, max)
    }
    fn attempt(&self, token: &str) -> Result<Option<Attempt>, StoreError> {
        self.inner.attempt(token)
    }
    fn is_submitted(&self, token: &str) -> Result<Option<bool>, StoreError> {
        self.inner.is_submitted(token)
    }
    fn submit(&self, token: &str, submission: &Submission) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.submit(token, submission)
    }
    fn count_attempts(&self, owner: &Owner, lesson_id: &str) -> Result<u32, StoreError> {
        self.inner.count_attempts(owner, lesson_id)
    }
    fn open_attempts(&self, owner: &Owner, since_ms: i64) -> Result<u32, StoreError> {
        self.inner.open_attempts(owner, since_ms)
    }
    fn accounts(&self) -> &dyn AccountStore {
        &self.inner
    }
    fn lti(&self) -> &dyn lectern::store::LtiStore {
        &self.inner
    }
    fn lesson_attempts(&self, lesson_id: &str) -> Result<Vec<Attempt>, StoreError> {
        self.inner.lesson_attempts(lesson_id)
    }
}

#[tokio::test]
async fn a_store_fault_gets_a_503_that_saves_nothing_and_the_server_recovers() {
    let store = Arc::new(FaultyStore {
        inner: SqliteStore::in_memory().unwrap(),
        broken: AtomicBool::new(false),
    });
    let app = TestApp::with(&fixture("good"), store.clone(), |_| {});
    let lesson = app.lesson("all-kinds");
    let mut student = app.browser();
    let attempt = student.start_quiz("all-kinds").await;
    let quiz = student.get(&attempt).await;
    let fields = fill_quiz(&quiz, &lesson, Answers::AllRight);

    store.broken.store(true, Ordering::SeqCst);
    let failed = student.post(&attempt, &fields).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(failed.body.contains("could not save"), "{}", failed.body);
    assert!(!failed.body.contains("disk I/O"), "internal detail leaked");
    let reading = student.get("/lessons/all-kinds").await;
    assert_eq!(reading.status, StatusCode::OK, "readings still served");
    let start = student
        .post(
            "/lessons/all-kinds/attempts",
            &[("csrf".into(), reading.csrf())],
        )
        .await;
    assert_eq!(start.status, StatusCode::SERVICE_UNAVAILABLE);
    // Nothing was recorded: the attempt is still open.
    assert_eq!(student.get(&attempt).await.text_of("#score"), "");

    store.broken.store(false, Ordering::SeqCst);
    assert_eq!(
        student.post(&attempt, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(score(&student.get(&attempt).await), (10.0, 10.0));
}

#[tokio::test]
async fn a_session_with_too_many_open_attempts_must_submit_one_before_starting_another() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let app = TestApp::with(&fixture("good"), store, |c| c.open_attempts_per_session = 2);
    let mut student = app.browser();
    let first = student.start_quiz("all-kinds").await;
    student.start_quiz("all-kinds").await;

    // A third start, while two are open, is refused with a page that says what to do.
    let refused = student.try_start_quiz("all-kinds").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("Submit one of them"),
        "{}",
        refused.body
    );

    // Another student is not affected.
    app.browser().start_quiz("all-kinds").await;

    // Submitting one frees a place.
    let quiz = student.get(&first).await;
    let answers = fill_quiz(&quiz, &app.lesson("all-kinds"), Answers::AllRight);
    assert_eq!(
        student.post(&first, &answers).await.status,
        StatusCode::SEE_OTHER
    );
    student.start_quiz("all-kinds").await;

    // Attempts left open for more than a day no longer count.
    app.state.advance_clock(24 * 60 * 60 * 1000 + 1);
    student.start_quiz("all-kinds").await;
    student.start_quiz("all-kinds").await;
}
