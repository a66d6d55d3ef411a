//! The store's contract, run against every backend: SQLite always, PostgreSQL when it is
//! installed (a throwaway cluster; see `pg_cluster`). Each case gets a fresh database and may
//! open several stores on it, as several lectern instances would.

mod pg_cluster;

use std::path::PathBuf;
use std::sync::Barrier;

use lectern::quiz::{DrawnKind, DrawnQuestion, Response, Score};
use lectern::store::{
    NewAttempt, Owner, PostgresStore, SqliteStore, Store, StoreError, Submission,
};

/// A fresh database that stores can be opened on.
trait Database: Sync {
    /// A new store on this database: what one more lectern instance would open.
    fn instance(&self) -> Box<dyn Store>;
}

struct Sqlite {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Database for Sqlite {
    fn instance(&self) -> Box<dyn Store> {
        Box::new(SqliteStore::open(&self.path).expect("open sqlite"))
    }
}

fn sqlite() -> Sqlite {
    let dir = tempfile::tempdir().unwrap();
    Sqlite {
        path: dir.path().join("lectern.db"),
        _dir: dir,
    }
}

struct Postgres {
    url: String,
}

impl Database for Postgres {
    fn instance(&self) -> Box<dyn Store> {
        Box::new(PostgresStore::connect(&self.url).expect("connect to postgres"))
    }
}

fn postgres() -> Option<Postgres> {
    pg_cluster::database().map(|url| Postgres { url })
}

/// Runs each case as `on_sqlite::case` and `on_postgres::case`.
macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[test]
            fn $case() {
                super::$case(&super::sqlite());
            })*
        }
        mod on_postgres {
            $(#[test]
            fn $case() {
                if let Some(db) = super::postgres() {
                    super::$case(&db);
                }
            })*
        }
    };
}

suite!(
    an_attempt_round_trips_with_every_field,
    a_submission_is_graded_once_and_the_first_grade_stands,
    submitting_an_unknown_attempt_changes_nothing,
    max_attempts_counts_per_session_and_lesson,
    without_a_limit_any_number_of_attempts_start,
    a_session_at_its_limit_starts_nothing_whatever_the_token,
    an_attempt_started_on_one_instance_is_submitted_on_another_and_read_on_the_first,
    parallel_starts_on_two_instances_never_exceed_max_attempts,
    parallel_submits_on_two_instances_grade_the_attempt_once,
    the_server_key_is_created_once_and_shared_by_every_instance,
    lesson_attempts_are_one_lessons_attempts_oldest_first,
    attempts_survive_reopening_the_database,
    open_attempts_count_a_sessions_unsubmitted_attempts_since_a_time,
);

fn new_attempt(token: &str) -> NewAttempt {
    NewAttempt {
        token: token.into(),
        lesson_id: "lesson".into(),
        lesson_hash: "hash".into(),
        lesson_title: "A lesson — with “quotes”".into(),
        pass_percent: 62.5,
        session_id: "session".into(),
        learner_id: None,
        practice: false,
        seed: u64::MAX - 7,
        questions: vec![
            DrawnQuestion {
                id: "q1".into(),
                section: "intro".into(),
                prompt: "Is it?".into(),
                explanation: "It is.".into(),
                points: 2.0,
                kind: DrawnKind::TrueFalse { answer: true },
            },
            DrawnQuestion {
                id: "q2".into(),
                section: "intro".into(),
                prompt: "Really?".into(),
                explanation: "Yes.".into(),
                points: 1.5,
                kind: DrawnKind::TrueFalse { answer: false },
            },
        ],
        started_ms: 1_700_000_000_123,
        deadline_ms: Some(1_700_000_600_123),
    }
}

fn attempt_for(token: &str, session: &str, lesson: &str) -> NewAttempt {
    NewAttempt {
        session_id: session.into(),
        lesson_id: lesson.into(),
        ..new_attempt(token)
    }
}

fn submission(earned: f64) -> Submission {
    Submission {
        submitted_ms: 1_700_000_100_000,
        responses: vec![Response::Choice(Some(0)), Response::Choice(None)],
        points: vec![earned, 0.0],
        score: Score {
            earned,
            possible: 3.5,
        },
        late: false,
    }
}

fn an_attempt_round_trips_with_every_field(db: &dyn Database) {
    let store = db.instance();
    let a = new_attempt("t1");
    assert!(store.create_attempt(&a, Some(3)).unwrap());

    let stored = store.attempt("t1").unwrap().expect("stored");
    let s = &stored.attempt;
    assert_eq!(
        (
            s.token.as_str(),
            s.lesson_id.as_str(),
            s.lesson_hash.as_str()
        ),
        ("t1", "lesson", "hash")
    );
    assert_eq!(s.lesson_title, a.lesson_title);
    assert_eq!(s.pass_percent, 62.5);
    assert_eq!(s.session_id, "session");
    assert_eq!(s.seed, u64::MAX - 7, "the full u64 seed survives");
    assert_eq!(s.questions, a.questions);
    assert_eq!(s.started_ms, a.started_ms);
    assert_eq!(s.deadline_ms, a.deadline_ms);
    assert!(stored.submission.is_none());

    let late = Submission {
        late: true,
        ..submission(0.0)
    };
    assert!(store.submit("t1", &late).unwrap());
    let graded = store.attempt("t1").unwrap().unwrap();
    assert_eq!(graded.submission, Some(late));
}

fn a_submission_is_graded_once_and_the_first_grade_stands(db: &dyn Database) {
    let store = db.instance();
    assert!(store.create_attempt(&new_attempt("t"), None).unwrap());

    assert!(store.submit("t", &submission(2.0)).unwrap());
    assert!(!store.submit("t", &submission(0.0)).unwrap());

    let graded = store.attempt("t").unwrap().unwrap();
    assert_eq!(graded.submission, Some(submission(2.0)));
}

fn submitting_an_unknown_attempt_changes_nothing(db: &dyn Database) {
    let store = db.instance();
    assert!(!store.submit("nope", &submission(1.0)).unwrap());
    assert!(store.attempt("nope").unwrap().is_none());
}

fn max_attempts_counts_per_session_and_lesson(db: &dyn Database) {
    let store = db.instance();
    assert!(
        store
            .create_attempt(&attempt_for("a1", "s", "l"), Some(2))
            .unwrap()
    );
    assert!(
        store
            .create_attempt(&attempt_for("a2", "s", "l"), Some(2))
            .unwrap()
    );
    assert!(
        !store
            .create_attempt(&attempt_for("a3", "s", "l"), Some(2))
            .unwrap()
    );
    // Another session, or another lesson, has its own count.
    assert!(
        store
            .create_attempt(&attempt_for("b1", "other", "l"), Some(2))
            .unwrap()
    );
    assert!(
        store
            .create_attempt(&attempt_for("c1", "s", "m"), Some(2))
            .unwrap()
    );

    assert_eq!(store.count_attempts(&Owner::Session("s".into()), "l").unwrap(), 2);
    assert_eq!(store.count_attempts(&Owner::Session("other".into()), "l").unwrap(), 1);
    assert_eq!(store.count_attempts(&Owner::Session("s".into()), "m").unwrap(), 1);
    assert_eq!(store.count_attempts(&Owner::Session("nobody".into()), "l").unwrap(), 0);
    assert!(
        store.attempt("a3").unwrap().is_none(),
        "a refused start saves nothing"
    );
    // Raising the limit (an edited lesson) lets the session go on.
    assert!(
        store
            .create_attempt(&attempt_for("a4", "s", "l"), Some(3))
            .unwrap()
    );
}

fn without_a_limit_any_number_of_attempts_start(db: &dyn Database) {
    let store = db.instance();
    for i in 0..5 {
        let token = format!("t{i}");
        assert!(store.create_attempt(&new_attempt(&token), None).unwrap());
    }
    assert_eq!(store.count_attempts(&Owner::Session("session".into()), "lesson").unwrap(), 5);
}

fn a_session_at_its_limit_starts_nothing_whatever_the_token(db: &dyn Database) {
    let store = db.instance();
    assert!(
        store
            .create_attempt(&new_attempt("first"), Some(1))
            .unwrap()
    );
    // A duplicate token is an error, and leaves the count alone.
    assert!(matches!(
        store.create_attempt(&new_attempt("first"), None),
        Err(StoreError::Unavailable(_))
    ));
    assert!(
        !store
            .create_attempt(&new_attempt("second"), Some(1))
            .unwrap()
    );
    assert_eq!(store.count_attempts(&Owner::Session("session".into()), "lesson").unwrap(), 1);
}

fn an_attempt_started_on_one_instance_is_submitted_on_another_and_read_on_the_first(
    db: &dyn Database,
) {
    let a = db.instance();
    let b = db.instance();
    assert!(a.create_attempt(&new_attempt("t"), Some(1)).unwrap());
    assert!(
        !b.create_attempt(&new_attempt("u"), Some(1)).unwrap(),
        "the limit is shared"
    );

    let on_b = b.attempt("t").unwrap().expect("B sees A's attempt");
    assert_eq!(on_b.attempt.questions, new_attempt("t").questions);
    assert!(b.submit("t", &submission(3.5)).unwrap());

    assert!(
        !a.submit("t", &submission(0.0)).unwrap(),
        "A sees it graded"
    );
    let on_a = a.attempt("t").unwrap().unwrap();
    assert_eq!(on_a.submission, Some(submission(3.5)));
}

/// Runs `f(instance, i)` on `threads` threads spread over two instances, all released at once.
fn race<T: Send>(
    db: &dyn Database,
    threads: usize,
    f: impl Fn(&dyn Store, usize) -> T + Sync,
) -> Vec<T> {
    let instances = [db.instance(), db.instance()];
    let barrier = Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (instances, barrier, f) = (&instances, &barrier, &f);
                scope.spawn(move || {
                    let store = instances[i % 2].as_ref();
                    barrier.wait();
                    f(store, i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn parallel_starts_on_two_instances_never_exceed_max_attempts(db: &dyn Database) {
    for round in 0..3 {
        let session = format!("session-{round}");
        let started = race(db, 8, |store, i| {
            let token = format!("r{round}-t{i}");
            store
                .create_attempt(&attempt_for(&token, &session, "lesson"), Some(3))
                .unwrap()
        });
        assert_eq!(started.iter().filter(|s| **s).count(), 3, "round {round}");
        let count = db.instance().count_attempts(&Owner::Session(session.clone()), "lesson").unwrap();
        assert_eq!(count, 3, "round {round}");
    }
}

fn parallel_submits_on_two_instances_grade_the_attempt_once(db: &dyn Database) {
    for round in 0..3 {
        let token = format!("t{round}");
        assert!(
            db.instance()
                .create_attempt(&new_attempt(&token), None)
                .unwrap()
        );
        let results = race(db, 8, |store, i| {
            let earned = i as f64 * 0.25;
            (earned, store.submit(&token, &submission(earned)).unwrap())
        });
        let winners: Vec<f64> = results.iter().filter(|r| r.1).map(|r| r.0).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let stored = db.instance().attempt(&token).unwrap().unwrap();
        assert_eq!(
            stored.submission,
            Some(submission(winners[0])),
            "round {round}"
        );
    }
}

fn the_server_key_is_created_once_and_shared_by_every_instance(db: &dyn Database) {
    let keys = race(db, 6, |store, _| store.server_key().unwrap());
    assert!(keys.iter().all(|k| *k == keys[0]), "one key: {keys:?}");
    assert_ne!(keys[0], [0; 32]);
    assert_eq!(db.instance().server_key().unwrap(), keys[0], "kept");
}

fn lesson_attempts_are_one_lessons_attempts_oldest_first(db: &dyn Database) {
    let store = db.instance();
    for (token, started_ms, lesson) in [("c", 3, "l"), ("a", 1, "l"), ("x", 2, "m"), ("b", 2, "l")]
    {
        let a = NewAttempt {
            started_ms,
            ..attempt_for(token, "s", lesson)
        };
        assert!(store.create_attempt(&a, None).unwrap());
    }
    let tokens: Vec<String> = store
        .lesson_attempts("l")
        .unwrap()
        .into_iter()
        .map(|a| a.attempt.token)
        .collect();
    assert_eq!(tokens, ["a", "b", "c"]);
    assert!(store.lesson_attempts("none").unwrap().is_empty());
}

fn attempts_survive_reopening_the_database(db: &dyn Database) {
    let key = {
        let store = db.instance();
        assert!(store.create_attempt(&new_attempt("t"), Some(1)).unwrap());
        assert!(store.submit("t", &submission(1.0)).unwrap());
        store.server_key().unwrap()
    };
    let reopened = db.instance();
    assert_eq!(reopened.server_key().unwrap(), key);
    let stored = reopened.attempt("t").unwrap().unwrap();
    assert_eq!(stored.submission, Some(submission(1.0)));
    assert!(!reopened.create_attempt(&new_attempt("u"), Some(1)).unwrap());
}

/// PostgreSQL only: the schema shared by several instances, and the connections to it.
mod postgres_only {
    use super::*;

    #[test]
    fn instances_starting_at_once_migrate_the_database_once() {
        let Some(db) = postgres() else { return };
        let barrier = Barrier::new(4);
        let stores = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        PostgresStore::connect(&db.url)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        for store in &stores {
            assert!(store.is_ok(), "{store:?}");
        }
        let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        let versions: Vec<i32> = client
            .query(
                "SELECT version FROM lectern_migrations ORDER BY version",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(versions, [1]);
    }

    #[test]
    fn a_database_migrated_by_a_newer_lectern_is_refused() {
        let Some(db) = postgres() else { return };
        drop(PostgresStore::connect(&db.url).unwrap());
        let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        client
            .batch_execute("INSERT INTO lectern_migrations (version) VALUES (99)")
            .unwrap();

        let error = PostgresStore::connect(&db.url).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
        assert!(error.to_string().contains("schema version 99"), "{error}");
    }

    #[test]
    fn a_server_that_cannot_be_reached_fails_at_once_with_the_reason() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = std::time::Instant::now();
        let error =
            PostgresStore::connect(&format!("postgres://lectern:pw@127.0.0.1:{port}/lectern"))
                .unwrap_err();
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert!(error.to_string().contains("connect"), "{error}");
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    }

    #[test]
    fn connections_the_server_closed_cost_no_request() {
        let Some(db) = postgres() else { return };
        let store = PostgresStore::connect(&db.url).unwrap();
        assert!(store.create_attempt(&new_attempt("t"), None).unwrap());
        // Open several pooled connections at once.
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| store.attempt("t").unwrap().unwrap());
            }
        });

        // The server ends every one of them, as a restart or failover would.
        let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        let ended: Vec<i32> = admin
            .query(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(ended.len() >= 2, "{} connections ended", ended.len());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let still_running = "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ANY($1)";
        while admin
            .query_one(still_running, &[&ended])
            .unwrap()
            .get::<_, i64>(0)
            > 0
        {
            assert!(
                std::time::Instant::now() < deadline,
                "backends still running"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }

        for _ in 0..6 {
            assert!(store.attempt("t").unwrap().is_some());
        }
        assert!(store.submit("t", &submission(1.0)).unwrap());
    }
}

fn open_attempts_count_a_sessions_unsubmitted_attempts_since_a_time(db: &dyn Database) {
    let store = db.instance();
    let at = |token: &str, session: &str, lesson: &str, started_ms: i64| NewAttempt {
        started_ms,
        ..attempt_for(token, session, lesson)
    };
    for attempt in [
        at("old", "s", "l", 1_000),
        at("a", "s", "l", 5_000),
        at("b", "s", "m", 6_000),
        at("done", "s", "l", 7_000),
        at("theirs", "other", "l", 8_000),
    ] {
        assert!(store.create_attempt(&attempt, None).unwrap());
    }
    assert!(store.submit("done", &submission(1.0)).unwrap());

    // Every lesson counts; submitted attempts, older ones and other sessions do not.
    assert_eq!(store.open_attempts(&Owner::Session("s".into()), 5_000).unwrap(), 2);
    assert_eq!(store.open_attempts(&Owner::Session("s".into()), 0).unwrap(), 3);
    assert_eq!(store.open_attempts(&Owner::Session("s".into()), 6_001).unwrap(), 0);
    assert_eq!(store.open_attempts(&Owner::Session("other".into()), 0).unwrap(), 1);
    assert_eq!(store.open_attempts(&Owner::Session("nobody".into()), 0).unwrap(), 0);
}
