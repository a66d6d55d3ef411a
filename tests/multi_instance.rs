//! Two `lectern serve` processes on one PostgreSQL database, as behind a load balancer: a
//! student moves between them freely, and a submission raced on both is graded once.
//! Skipped with a notice when PostgreSQL is not installed (see `pg_cluster`).

mod common;
mod pg_cluster;

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{Answers, Server, fill_quiz, fixture, score};
use lectern::catalog::Catalog;
use lectern::lesson::Lesson;

fn lesson() -> Arc<Lesson> {
    Catalog::load(&fixture("good"))
        .unwrap()
        .lesson("all-kinds")
        .unwrap()
        .clone()
}

/// Two instances on one fresh database, or `None` without PostgreSQL.
fn two_instances() -> Option<(String, Server, Server)> {
    let url = pg_cluster::database()?;
    let a = Server::start(&fixture("good"), Path::new(&url));
    let b = Server::start(&fixture("good"), Path::new(&url));
    Some((url, a, b))
}

fn encode(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// Opens the reading on `server` with `cookie` and starts the quiz; the attempt's path.
#[test]
fn a_student_starts_on_one_instance_submits_on_the_other_and_reads_the_result_on_the_first() {
    let Some((_url, a, b)) = two_instances() else {
        return;
    };
    let lesson = lesson();

    // The session cookie comes from A; B knows the same key, so the same CSRF token.
    let reading_on_a = a.request("GET", "/lessons/all-kinds", None, None);
    let cookie = reading_on_a.set_cookie();
    let reading_on_b = b.request("GET", "/lessons/all-kinds", Some(&cookie), None);
    assert_eq!(reading_on_b.csrf(), reading_on_a.csrf());

    let attempt = a.start_quiz("all-kinds", &cookie);
    let quiz_on_b = b.request("GET", &attempt, Some(&cookie), None);
    assert_eq!(quiz_on_b.status, 200, "B shows the attempt A drew");
    let quiz_on_a = a.request("GET", &attempt, Some(&cookie), None);
    assert_eq!(
        quiz_on_a.text_of("form.quiz"),
        quiz_on_b.text_of("form.quiz"),
        "both draw the same questions in the same order"
    );

    let fields = fill_quiz(&quiz_on_b, &lesson, Answers::AllRight);
    let submitted = b.request("POST", &attempt, Some(&cookie), Some(&encode(&fields)));
    assert_eq!(submitted.status, 303, "{}", submitted.body);

    let result_on_a = a.request("GET", &attempt, Some(&cookie), None);
    assert_eq!(result_on_a.status, 200);
    assert_eq!(score(&result_on_a), (10.0, 10.0));

    // Another browser cannot see it on either instance.
    let stranger = b.request("GET", "/lessons/all-kinds", None, None);
    let stranger_cookie = stranger.set_cookie();
    assert_eq!(
        a.request("GET", &attempt, Some(&stranger_cookie), None)
            .status,
        404
    );
}

#[test]
fn the_same_attempt_submitted_on_both_instances_at_once_is_graded_once() {
    let Some((url, a, b)) = two_instances() else {
        return;
    };
    let lesson = lesson();
    // Count every write of a grade, whichever instance makes it.
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    db.batch_execute(
        "CREATE TABLE grade_writes (token TEXT NOT NULL);
         CREATE FUNCTION note_grade() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN INSERT INTO grade_writes VALUES (NEW.token); RETURN NEW; END $$;
         CREATE TRIGGER note_grade AFTER UPDATE OF submitted_ms ON attempts
             FOR EACH ROW EXECUTE FUNCTION note_grade();",
    )
    .unwrap();

    let reading = a.request("GET", "/lessons/all-kinds", None, None);
    let cookie = reading.set_cookie();
    let rounds = 6;
    for round in 0..rounds {
        let attempt = a.start_quiz("all-kinds", &cookie);
        let quiz = a.request("GET", &attempt, Some(&cookie), None);
        let right = encode(&fill_quiz(&quiz, &lesson, Answers::AllRight));
        let wrong = encode(&fill_quiz(&quiz, &lesson, Answers::AllWrong));

        // A gets the right answers, B the wrong ones, released together.
        let barrier = Barrier::new(2);
        let (on_a, on_b) = std::thread::scope(|scope| {
            let on_a = scope.spawn(|| {
                barrier.wait();
                a.request("POST", &attempt, Some(&cookie), Some(&right))
            });
            let on_b = scope.spawn(|| {
                barrier.wait();
                b.request("POST", &attempt, Some(&cookie), Some(&wrong))
            });
            (on_a.join().unwrap(), on_b.join().unwrap())
        });
        assert_eq!((on_a.status.as_u16(), on_b.status.as_u16()), (303, 303));

        let result_a = score(&a.request("GET", &attempt, Some(&cookie), None));
        let result_b = score(&b.request("GET", &attempt, Some(&cookie), None));
        assert_eq!(result_a, result_b, "round {round}: one grade for both");
        assert!(
            result_a == (10.0, 10.0) || result_a == (0.0, 10.0),
            "round {round}: {result_a:?} is one of the two submissions"
        );
    }

    let writes: Vec<i64> = db
        .query(
            "SELECT COUNT(*) FROM grade_writes GROUP BY token ORDER BY token",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(writes, vec![1; rounds], "each attempt's grade written once");
}

#[test]
fn serve_with_an_unreachable_database_stops_at_once_without_showing_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lectern"))
        .args(["serve", "--addr", "127.0.0.1:0", "--lessons"])
        .arg(fixture("good"))
        .arg("--db")
        .arg(format!(
            "postgres://lectern:hunter2@127.0.0.1:{port}/lectern"
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        stderr.contains(&format!(
            "opening the database postgres://lectern:***@127.0.0.1:{port}/lectern"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn serve_refuses_a_postgres_url_asking_for_tls_without_showing_the_password() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lectern"))
        .args(["serve", "--addr", "127.0.0.1:0", "--lessons"])
        .arg(fixture("good"))
        .args(["--db", "postgres://u:hunter2@db/lectern?sslmode=require"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(
        stderr.contains("sslmode=require is not supported"),
        "{stderr}"
    );
    assert!(stderr.contains("postgres://u:***@db/lectern"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
