//! Every read-only route, through the real router.

mod common;

use axum::http::{Method, Request, StatusCode};
use common::{TestApp, fixture};
use scraper::Selector;

fn app() -> TestApp {
    TestApp::new(&fixture("good"))
}

/// The page skeleton every HTML page shares.
fn assert_well_formed_page(body: &str) {
    assert!(body.starts_with("<!doctype html>"), "{body}");
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("<title>"));
    assert_eq!(body.matches("<h1").count(), 1, "exactly one h1");
    assert!(body.contains("href=\"#main\""), "skip link");
    assert!(body.contains("name=\"viewport\""));
    assert!(!body.contains("<script"), "no script on any page");
}

#[tokio::test]
async fn the_health_check_says_ok() {
    let page = app().browser().get("/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "ok");
}

#[tokio::test]
async fn the_index_lists_lessons_in_order_with_links() {
    let page = app().browser().get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_well_formed_page(&page.body);
    let first = page
        .body
        .find("<a href=\"/lessons/all-kinds\">Fixture: every kind</a>")
        .unwrap();
    let second = page
        .body
        .find("<a href=\"/lessons/timed\">Fixture: timed and limited</a>")
        .unwrap();
    assert!(first < second, "sorted by order");
    assert!(
        page.body
            .contains("A small lesson whose quiz uses all seven question kinds.")
    );
}

#[tokio::test]
async fn a_reading_shows_sections_timeline_sources_and_a_start_form() {
    let page = app().browser().get("/lessons/all-kinds").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_well_formed_page(&page.body);
    assert!(page.body.contains("<section id=\"first\""));
    assert!(page.body.contains("<section id=\"second\""));
    assert!(
        page.body.contains("<strong>Bishkek Protocol</strong>"),
        "Markdown rendered"
    );
    assert!(page.body.contains("<time datetime=\"1994-05-05\">"));
    assert!(
        page.body
            .contains("<a href=\"#first\">Bishkek Protocol signed</a>")
    );
    assert!(page.body.contains("href=\"https://example.org/source\""));
    assert!(
        page.body
            .contains("<form method=\"post\" action=\"/lessons/all-kinds/attempts\">")
    );
    assert!(
        !page.body.contains("alert("),
        "the lesson's script is stripped"
    );
}

#[tokio::test]
async fn a_reading_opens_with_its_reading_time_and_what_you_will_learn() {
    let page = app().browser().get("/lessons/all-kinds").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.text_of("header .reading-time"),
        "Reading time: about 1 minute"
    );
    assert!(
        page.body
            .contains("<time datetime=\"PT1M\">1 minute</time>")
    );
    let html = page.html();
    let heading = Selector::parse("section.objectives h2#objectives-heading").unwrap();
    assert_eq!(
        html.select(&heading)
            .next()
            .map(|h| h.text().collect::<String>()),
        Some("What you will learn".to_string())
    );
    let items =
        Selector::parse("section.objectives[aria-labelledby=objectives-heading] ul li").unwrap();
    let objectives: Vec<String> = html
        .select(&items)
        .map(|li| li.text().collect::<String>())
        .collect();
    assert_eq!(
        objectives,
        [
            "Say where and when the Bishkek Protocol was signed.",
            "Name the countries that co-chaired the Minsk Group.",
            "Put the conflict's main events in order.",
        ]
    );
    // At the top: before the contents and the first section.
    let at = |needle: &str| page.body.find(needle).unwrap();
    assert!(at("Reading time") < at("What you will learn"));
    assert!(at("What you will learn") < at("id=\"toc-heading\""));
    assert!(at("What you will learn") < at("<section id=\"first\""));
}

#[tokio::test]
async fn a_lesson_without_objectives_shows_its_reading_time_but_no_empty_list() {
    let page = app().browser().get("/lessons/timed").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.text_of("header .reading-time"),
        "Reading time: about 1 minute"
    );
    assert!(!page.body.contains("What you will learn"));
}

#[tokio::test]
async fn the_index_shows_each_lessons_reading_time() {
    let page = app().browser().get("/").await;
    let html = page.html();
    let times = Selector::parse(".lesson-list li .reading-time").unwrap();
    let shown: Vec<String> = html
        .select(&times)
        .map(|p| p.text().collect::<String>())
        .collect();
    assert_eq!(shown, ["Reading time: about 1 minute"; 2]);
}

#[tokio::test]
async fn the_first_visit_sets_a_safe_session_cookie() {
    let page = app().browser().get("/").await;
    let cookie = page.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("lectern_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http here");
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let mut browser = app().browser();
    for path in ["/", "/lessons/all-kinds", "/nowhere", "/healthz"] {
        let page = browser.get(path).await;
        let header = |name: &str| {
            page.headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'none'"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert!(header("referrer-policy").is_some(), "{path}");
    }
}

#[tokio::test]
async fn unknown_lessons_and_paths_get_our_404_page() {
    let mut browser = app().browser();
    for path in [
        "/lessons/nope",
        "/lessons/..%2f..%2fetc%2fpasswd",
        "/lessons/UPPER",
        "/no/such/page",
        "/attempts/zzz",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert_well_formed_page(&page.body);
        assert!(page.body.contains("Page not found"), "{path}");
    }
}

#[tokio::test]
async fn a_wrong_method_gets_our_405_page() {
    let mut browser = app().browser();
    let request = Request::builder()
        .method(Method::DELETE)
        .uri("/lessons/all-kinds")
        .body(axum::body::Body::empty())
        .unwrap();
    let page = browser.request(request).await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_well_formed_page(&page.body);
}

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary() {
    let page = app().browser().get("/static/style.css").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(page.body.contains("@media"), "responsive rules");
}

#[tokio::test]
async fn a_form_in_the_wrong_encoding_or_too_large_gets_a_clear_page() {
    let mut browser = app().browser();
    let reading = browser.get("/lessons/all-kinds").await;
    let json = browser
        .post_raw(
            "/lessons/all-kinds/attempts",
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(json.body.contains("application/x-www-form-urlencoded"));
    let huge = format!("csrf={}&x={}", reading.csrf(), "a".repeat(200_000));
    let big = browser
        .post_raw(
            "/lessons/all-kinds/attempts",
            "application/x-www-form-urlencoded",
            huge.into_bytes(),
        )
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(big.body.contains("Request too large"));
    let bad_utf8 = browser
        .post_raw(
            "/lessons/all-kinds/attempts",
            "application/x-www-form-urlencoded",
            b"csrf=%FF".to_vec(),
        )
        .await;
    assert_eq!(bad_utf8.status, StatusCode::BAD_REQUEST);
    assert!(bad_utf8.body.contains("not valid UTF-8"));
}
