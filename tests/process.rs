//! The real server process: an acknowledged submission survives `kill -9`.

mod common;

use common::{Answers, Server, fill_quiz, fixture, score};
use lectern::catalog::Catalog;

#[test]
fn a_submitted_attempt_survives_sigkill_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lectern.db");
    let lessons = fixture("good");
    let lesson = Catalog::load(&lessons)
        .unwrap()
        .lesson("all-kinds")
        .unwrap()
        .clone();

    let server = Server::start(&lessons, &db);
    let reading = server.request("GET", "/lessons/all-kinds", None, None);
    let cookie = reading.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let started = server.request(
        "POST",
        "/lessons/all-kinds/attempts",
        Some(&cookie),
        Some(&format!("csrf={}", reading.csrf())),
    );
    assert_eq!(started.status, 303, "{}", started.body);
    let attempt = started.location().to_string();
    let quiz = server.request("GET", &attempt, Some(&cookie), None);
    let fields = fill_quiz(&quiz, &lesson, Answers::AllRight);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let submitted = server.request("POST", &attempt, Some(&cookie), Some(&form));
    assert_eq!(submitted.status, 303, "{}", submitted.body);

    // SIGKILL right after the acknowledgement: no chance to flush anything.
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);

    let restarted = Server::start(&lessons, &db);
    let result = restarted.request("GET", &attempt, Some(&cookie), None);
    assert_eq!(result.status, 200);
    assert_eq!(score(&result), (10.0, 10.0));
    // The session (and so its CSRF token) survived the restart too.
    let again = restarted.request("GET", "/lessons/all-kinds", Some(&cookie), None);
    assert_eq!(again.csrf(), reading.csrf());
}
