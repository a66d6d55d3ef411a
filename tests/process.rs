//! The real server process: an acknowledged submission survives `kill -9`, and SIGTERM lets
//! submissions in flight finish.

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
    let (cookie, attempt, form) = started_attempt(&server, &lesson);
    let reading = server.request("GET", "/lessons/all-kinds", Some(&cookie), None);
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

/// Starts an attempt and returns (cookie, attempt path, the filled-in answer form).
fn started_attempt(server: &Server, lesson: &lectern::lesson::Lesson) -> (String, String, String) {
    let cookie = server.request("GET", "/", None, None).set_cookie();
    let attempt = server.start_quiz("all-kinds", &cookie);
    let quiz = server.request("GET", &attempt, Some(&cookie), None);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fill_quiz(&quiz, lesson, Answers::AllRight))
        .finish();
    (cookie, attempt, form)
}

#[test]
fn sigterm_lets_submissions_in_flight_finish_and_loses_none() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lectern.db");
    let lessons = fixture("good");
    let lesson = Catalog::load(&lessons)
        .unwrap()
        .lesson("all-kinds")
        .unwrap()
        .clone();
    let mut server = Server::start(&lessons, &db);
    let attempts: Vec<_> = (0..12).map(|_| started_attempt(&server, &lesson)).collect();

    // Twelve submissions in flight: each request has sent its head and half of its body.
    let mut in_flight: Vec<(std::net::TcpStream, &str)> = attempts
        .iter()
        .map(|(cookie, attempt, form)| {
            let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
            let head = format!(
                "POST {attempt} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nCookie: {cookie}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
                server.addr,
                form.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream
                .write_all(&form.as_bytes()[..form.len() / 2])
                .unwrap();
            (stream, &form[form.len() / 2..])
        })
        .collect();
    // Let the server read what was sent, so every request is under way when the signal comes.
    std::thread::sleep(std::time::Duration::from_millis(300));

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(300));

    // The rest of each body arrives after SIGTERM; each submission is still acknowledged.
    for (stream, rest) in &mut in_flight {
        stream.write_all(rest.as_bytes()).unwrap();
    }
    for (stream, _) in &mut in_flight {
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 303"),
            "a submission in flight at SIGTERM was not acknowledged: {answer}"
        );
    }
    // Then the server stops by itself, cleanly.
    let status = server.child.wait().unwrap();
    assert!(status.success(), "lectern exited with {status}");
    drop(server);

    let restarted = Server::start(&lessons, &db);
    for (cookie, attempt, _) in &attempts {
        let result = restarted.request("GET", attempt, Some(cookie), None);
        assert_eq!(result.status, 200);
        assert_eq!(score(&result), (10.0, 10.0), "{attempt} lost its result");
    }
}
