//! The store's contract, run against every backend: SQLite always, PostgreSQL when it is
//! installed (a throwaway cluster; see `pg_cluster`). Each case gets a fresh database and may
//! open several stores on it, as several lectern instances would.

mod pg_cluster;

use std::path::PathBuf;
use std::sync::Barrier;

use lectern::accounts::{AccountId, ClassId, Role};
use lectern::quiz::{DrawnKind, DrawnQuestion, Response, Score};
use lectern::store::{
    Account, AccountStore, Class, ClassLesson, NewAccount, NewAttempt, NewClass, Owner,
    PostgresStore, SqliteStore, Store, StoreError, Submission,
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
    an_account_round_trips_and_a_taken_username_gives_none,
    a_username_taken_at_once_on_two_instances_goes_to_one_account,
    twenty_wrong_passwords_in_a_row_throttle_and_a_sign_in_clears_the_count,
    wrong_passwords_at_once_on_two_instances_all_count,
    a_signed_in_session_finds_its_account_on_every_instance_until_it_expires_or_signs_out,
    setting_a_password_signs_out_every_session_but_the_kept_one,
    a_password_link_works_once_and_not_after_it_expires,
    using_a_password_link_sets_the_hash_clears_the_throttle_and_signs_out_everywhere,
    a_password_link_used_at_once_on_two_instances_works_once,
    claiming_moves_only_that_sessions_anonymous_attempts_to_the_learner,
    max_attempts_counts_a_learners_attempts_made_before_signing_in,
    a_class_keeps_its_lessons_in_order_with_their_due_dates,
    a_class_is_found_by_its_code_only_while_joining_is_open,
    a_taken_join_code_creates_no_class_and_is_not_set,
    updating_a_class_replaces_its_name_and_lessons_in_order,
    a_learner_joins_a_class_once,
    members_are_listed_by_name_with_their_last_activity,
    a_removed_member_leaves_the_class_but_keeps_their_account_and_attempts,
    a_learners_classes_are_listed_oldest_first,
    class_attempts_are_only_the_current_members_attempts_oldest_first,
    an_owner_sees_only_their_classes_and_the_administrator_sees_every_class_newest_first,
    an_lti_platform_registers_once_and_lists_its_deployments,
    the_first_tool_key_is_added_once_and_a_rotation_retires_the_old_one,
    an_lti_login_is_taken_once_and_not_after_it_expires,
    an_lms_user_and_course_map_to_one_account_and_one_class_across_registrations,
    a_submission_makes_its_grade_owed_claimed_once_and_sent_unless_submitted_again,
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

    assert_eq!(
        store
            .count_attempts(&Owner::Session("s".into()), "l")
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .count_attempts(&Owner::Session("other".into()), "l")
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_attempts(&Owner::Session("s".into()), "m")
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_attempts(&Owner::Session("nobody".into()), "l")
            .unwrap(),
        0
    );
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
    assert_eq!(
        store
            .count_attempts(&Owner::Session("session".into()), "lesson")
            .unwrap(),
        5
    );
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
    assert_eq!(
        store
            .count_attempts(&Owner::Session("session".into()), "lesson")
            .unwrap(),
        1
    );
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
        let count = db
            .instance()
            .count_attempts(&Owner::Session(session.clone()), "lesson")
            .unwrap();
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
        assert_eq!(versions, [1, 2, 3]);
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
    assert_eq!(
        store
            .open_attempts(&Owner::Session("s".into()), 5_000)
            .unwrap(),
        2
    );
    assert_eq!(
        store.open_attempts(&Owner::Session("s".into()), 0).unwrap(),
        3
    );
    assert_eq!(
        store
            .open_attempts(&Owner::Session("s".into()), 6_001)
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .open_attempts(&Owner::Session("other".into()), 0)
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .open_attempts(&Owner::Session("nobody".into()), 0)
            .unwrap(),
        0
    );
}

// The AccountStore contract: accounts, sign-ins, password links and classes.

/// A new account: `username` also gives its display name ("Name" for "name").
fn new_account(username: &str, role: Role) -> NewAccount {
    let mut display_name = username.to_string();
    display_name[..1].make_ascii_uppercase();
    NewAccount {
        username: username.into(),
        display_name,
        role,
        password_hash: Some(format!("$argon2id$v=19$m=19456,t=2,p=1$salt${username}")),
        created_ms: 1_000,
    }
}

/// Creates an account and returns its id.
fn create(accounts: &dyn AccountStore, username: &str, role: Role) -> AccountId {
    accounts
        .create_account(&new_account(username, role))
        .unwrap()
        .expect("the username is free")
}

/// An attempt at `lesson` started at `started_ms` by `session`, for `learner` when signed in.
fn attempt_of(
    token: &str,
    session: &str,
    learner: Option<AccountId>,
    lesson: &str,
    started_ms: i64,
) -> NewAttempt {
    NewAttempt {
        learner_id: learner,
        started_ms,
        deadline_ms: None,
        ..attempt_for(token, session, lesson)
    }
}

fn tokens(attempts: Vec<lectern::store::Attempt>) -> Vec<String> {
    attempts.into_iter().map(|a| a.attempt.token).collect()
}

fn lesson(id: &str, due_ms: Option<i64>) -> ClassLesson {
    ClassLesson {
        lesson_id: id.into(),
        due_ms,
    }
}

fn new_class(name: &str, owner: Option<AccountId>, code: &str, created_ms: i64) -> NewClass {
    NewClass {
        name: name.into(),
        owner_id: owner,
        join_code: code.into(),
        created_ms,
        lessons: vec![lesson("toml-basics", Some(5_000)), lesson("tables", None)],
    }
}

/// Creates a class and returns its id.
fn create_class(accounts: &dyn AccountStore, class: &NewClass) -> ClassId {
    accounts
        .create_class(class)
        .unwrap()
        .expect("the join code is free")
}

fn class_ids(classes: Vec<Class>) -> Vec<ClassId> {
    classes.into_iter().map(|c| c.id).collect()
}

fn an_account_round_trips_and_a_taken_username_gives_none(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let ada = new_account("ada", Role::Student);
    let id = accounts.create_account(&ada).unwrap().expect("created");
    let expected = Account {
        id,
        username: "ada".into(),
        display_name: "Ada".into(),
        role: Role::Student,
        password_hash: ada.password_hash.clone(),
        created_ms: 1_000,
        last_sign_in_ms: None,
        failed_sign_ins: 0,
        throttled_until_ms: 0,
    };
    assert_eq!(accounts.account(id).unwrap(), Some(expected.clone()));
    assert_eq!(
        accounts.account_by_username("ada").unwrap(),
        Some(expected.clone())
    );

    // Callers store usernames lowercase: the store matches them exactly.
    assert_eq!(accounts.account_by_username("ADA").unwrap(), None);
    assert_eq!(accounts.account_by_username("nobody").unwrap(), None);
    assert_eq!(accounts.account(id + 1000).unwrap(), None);

    let taken = NewAccount {
        display_name: "Another Ada".into(),
        role: Role::Educator,
        ..ada
    };
    assert_eq!(accounts.create_account(&taken).unwrap(), None);
    assert_eq!(
        accounts.account(id).unwrap(),
        Some(expected),
        "the first account is untouched"
    );

    // An educator added from the command line has no password yet.
    let grace = NewAccount {
        password_hash: None,
        ..new_account("grace", Role::Educator)
    };
    let grace_id = accounts.create_account(&grace).unwrap().expect("created");
    assert_ne!(grace_id, id);
    let stored = accounts.account(grace_id).unwrap().unwrap();
    assert_eq!((stored.role, stored.password_hash), (Role::Educator, None));
}

fn a_username_taken_at_once_on_two_instances_goes_to_one_account(db: &dyn Database) {
    let created = race(db, 8, |store, i| {
        let account = NewAccount {
            display_name: format!("Sam {i}"),
            ..new_account("sam", Role::Student)
        };
        store.accounts().create_account(&account).unwrap()
    });
    let ids: Vec<AccountId> = created.into_iter().flatten().collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let stored = db.instance().accounts().account_by_username("sam").unwrap();
    assert_eq!(stored.map(|a| a.id), Some(ids[0]));
}

fn twenty_wrong_passwords_in_a_row_throttle_and_a_sign_in_clears_the_count(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let id = create(accounts, "ada", Role::Student);
    let other = create(accounts, "bob", Role::Student);
    for i in 0..19 {
        accounts
            .record_failed_sign_in(id, 10_000 + i, 20, 60_000)
            .unwrap();
    }
    let ada = accounts.account(id).unwrap().unwrap();
    assert_eq!((ada.failed_sign_ins, ada.throttled_until_ms), (19, 0));

    accounts
        .record_failed_sign_in(id, 20_000, 20, 60_000)
        .unwrap();
    let ada = accounts.account(id).unwrap().unwrap();
    assert_eq!((ada.failed_sign_ins, ada.throttled_until_ms), (20, 80_000));
    let bob = accounts.account(other).unwrap().unwrap();
    assert_eq!(
        (bob.failed_sign_ins, bob.throttled_until_ms),
        (0, 0),
        "another account is not throttled"
    );

    // A sign-in (once the throttle has passed) clears the count and records when.
    accounts
        .start_account_session("hash", id, 90_000, 190_000)
        .unwrap();
    let ada = accounts.account(id).unwrap().unwrap();
    assert_eq!(
        (
            ada.failed_sign_ins,
            ada.throttled_until_ms,
            ada.last_sign_in_ms
        ),
        (0, 0, Some(90_000))
    );
    // The count starts again from nothing.
    accounts
        .record_failed_sign_in(id, 91_000, 20, 60_000)
        .unwrap();
    let ada = accounts.account(id).unwrap().unwrap();
    assert_eq!((ada.failed_sign_ins, ada.throttled_until_ms), (1, 0));
}

fn wrong_passwords_at_once_on_two_instances_all_count(db: &dyn Database) {
    let id = create(db.instance().accounts(), "ada", Role::Student);
    race(db, 8, |store, i| {
        store
            .accounts()
            .record_failed_sign_in(id, 1_000 + i as i64, 8, 60_000)
            .unwrap()
    });
    let ada = db.instance().accounts().account(id).unwrap().unwrap();
    assert_eq!(ada.failed_sign_ins, 8);
    assert!(
        ada.throttled_until_ms >= 61_000,
        "the eighth in a row throttles: {}",
        ada.throttled_until_ms
    );
}

fn a_signed_in_session_finds_its_account_on_every_instance_until_it_expires_or_signs_out(
    db: &dyn Database,
) {
    let (a, b) = (db.instance(), db.instance());
    let id = create(a.accounts(), "ada", Role::Student);
    a.accounts()
        .start_account_session("laptop", id, 1_000, 2_000)
        .unwrap();
    a.accounts()
        .start_account_session("phone", id, 1_000, 9_000)
        .unwrap();

    let found = b.accounts().session_account("laptop", 1_999).unwrap();
    assert_eq!(
        found.map(|a| (a.id, a.last_sign_in_ms)),
        Some((id, Some(1_000)))
    );
    assert_eq!(
        b.accounts().session_account("laptop", 2_000).unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        b.accounts().session_account("unknown", 1_500).unwrap(),
        None
    );

    b.accounts().end_account_session("phone").unwrap();
    assert_eq!(
        a.accounts().session_account("phone", 1_500).unwrap(),
        None,
        "signed out"
    );
    // Signing out an unknown session is no error.
    a.accounts().end_account_session("phone").unwrap();
}

fn setting_a_password_signs_out_every_session_but_the_kept_one(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let ada = create(accounts, "ada", Role::Student);
    let bob = create(accounts, "bob", Role::Student);
    for session in ["a1", "a2", "a3"] {
        accounts
            .start_account_session(session, ada, 1_000, 9_000)
            .unwrap();
    }
    accounts
        .start_account_session("b1", bob, 1_000, 9_000)
        .unwrap();

    accounts.set_password(ada, "new hash", Some("a2")).unwrap();
    let signed_in = |session: &str| {
        accounts
            .session_account(session, 2_000)
            .unwrap()
            .map(|a| a.id)
    };
    assert_eq!(
        [
            signed_in("a1"),
            signed_in("a2"),
            signed_in("a3"),
            signed_in("b1")
        ],
        [None, Some(ada), None, Some(bob)]
    );
    let stored = accounts.account(ada).unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some("new hash"));

    accounts.set_password(ada, "newer hash", None).unwrap();
    assert_eq!([signed_in("a2"), signed_in("b1")], [None, Some(bob)]);
    let stored = accounts.account(ada).unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some("newer hash"));
}

fn a_password_link_works_once_and_not_after_it_expires(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let id = create(accounts, "ada", Role::Educator);
    let before = accounts.account(id).unwrap().unwrap();

    accounts
        .create_password_link("expiring", id, 5_000)
        .unwrap();
    let account = accounts.password_link_account("expiring", 4_999).unwrap();
    assert_eq!(account.map(|a| a.id), Some(id));
    assert_eq!(
        accounts.password_link_account("expiring", 5_000).unwrap(),
        None
    );
    assert_eq!(
        accounts
            .use_password_link("expiring", 5_000, "late hash")
            .unwrap(),
        None,
        "an expired link sets nothing"
    );
    assert_eq!(accounts.account(id).unwrap(), Some(before.clone()));
    assert_eq!(
        accounts.use_password_link("unknown", 1_000, "h").unwrap(),
        None
    );

    accounts.create_password_link("once", id, 5_000).unwrap();
    let used = accounts
        .use_password_link("once", 2_000, "first hash")
        .unwrap();
    assert_eq!(
        used.map(|a| (a.id, a.password_hash)),
        Some((id, Some("first hash".into())))
    );
    assert_eq!(
        accounts.password_link_account("once", 2_001).unwrap(),
        None,
        "used"
    );
    assert_eq!(
        accounts
            .use_password_link("once", 2_001, "second hash")
            .unwrap(),
        None,
        "a used link sets nothing"
    );
    let stored = accounts.account(id).unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some("first hash"));
}

fn using_a_password_link_sets_the_hash_clears_the_throttle_and_signs_out_everywhere(
    db: &dyn Database,
) {
    let store = db.instance();
    let accounts = store.accounts();
    let ada = create(accounts, "ada", Role::Student);
    let bob = create(accounts, "bob", Role::Student);
    accounts
        .start_account_session("a1", ada, 1_000, 90_000)
        .unwrap();
    accounts
        .start_account_session("a2", ada, 1_000, 90_000)
        .unwrap();
    accounts
        .start_account_session("b1", bob, 1_000, 90_000)
        .unwrap();
    for i in 0..3 {
        accounts
            .record_failed_sign_in(ada, 2_000 + i, 3, 60_000)
            .unwrap();
    }

    accounts.create_password_link("reset", ada, 50_000).unwrap();
    let account = accounts
        .use_password_link("reset", 3_000, "reset hash")
        .unwrap()
        .expect("the link works");
    assert_eq!(account.id, ada);
    assert_eq!(account.password_hash.as_deref(), Some("reset hash"));
    assert_eq!(
        (account.failed_sign_ins, account.throttled_until_ms),
        (0, 0)
    );
    assert_eq!(accounts.account(ada).unwrap(), Some(account));
    assert_eq!(accounts.session_account("a1", 4_000).unwrap(), None);
    assert_eq!(accounts.session_account("a2", 4_000).unwrap(), None);
    let bob_signed_in = accounts.session_account("b1", 4_000).unwrap();
    assert_eq!(
        bob_signed_in.map(|a| a.id),
        Some(bob),
        "another account stays signed in"
    );
}

fn a_password_link_used_at_once_on_two_instances_works_once(db: &dyn Database) {
    let id = {
        let store = db.instance();
        let id = create(store.accounts(), "ada", Role::Student);
        store
            .accounts()
            .create_password_link("link", id, 50_000)
            .unwrap();
        id
    };
    let results = race(db, 8, |store, i| {
        let hash = format!("hash {i}");
        let used = store
            .accounts()
            .use_password_link("link", 1_000, &hash)
            .unwrap();
        (hash, used)
    });
    let winners: Vec<&String> = results
        .iter()
        .filter(|r| r.1.is_some())
        .map(|r| &r.0)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let stored = db.instance().accounts().account(id).unwrap().unwrap();
    assert_eq!(stored.password_hash.as_ref(), Some(winners[0]));
}

fn claiming_moves_only_that_sessions_anonymous_attempts_to_the_learner(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let ada = create(accounts, "ada", Role::Student);
    let bob = create(accounts, "bob", Role::Student);
    for attempt in [
        attempt_of("mine-1", "browser", None, "l", 1_000),
        attempt_of("mine-2", "browser", None, "m", 3_000),
        attempt_of("theirs", "other", None, "l", 1_500),
        attempt_of("ada-elsewhere", "phone", Some(ada), "l", 2_000),
        attempt_of("bob-here", "browser", Some(bob), "l", 2_500),
    ] {
        assert!(store.create_attempt(&attempt, None).unwrap());
    }

    assert_eq!(accounts.claim_attempts("browser", ada).unwrap(), 2);
    assert_eq!(
        tokens(accounts.learner_attempts(ada).unwrap()),
        ["mine-1", "ada-elsewhere", "mine-2"]
    );
    assert_eq!(
        tokens(accounts.learner_attempts(bob).unwrap()),
        ["bob-here"]
    );
    let learner = |token: &str| store.attempt(token).unwrap().unwrap().attempt.learner_id;
    assert_eq!(
        learner("theirs"),
        None,
        "another session's attempt stays anonymous"
    );
    assert_eq!(
        learner("bob-here"),
        Some(bob),
        "a signed-in attempt keeps its learner"
    );
    assert_eq!(learner("mine-2"), Some(ada));

    assert_eq!(store.count_attempts(&Owner::Learner(ada), "l").unwrap(), 2);
    assert_eq!(
        store
            .count_attempts(&Owner::Session("browser".into()), "l")
            .unwrap(),
        0
    );
    assert_eq!(
        accounts.claim_attempts("browser", ada).unwrap(),
        0,
        "nothing left"
    );
    assert_eq!(accounts.claim_attempts("nowhere", ada).unwrap(), 0);
}

fn max_attempts_counts_a_learners_attempts_made_before_signing_in(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let ada = create(accounts, "ada", Role::Student);
    // Signed in on the phone: one attempt at l.
    assert!(
        store
            .create_attempt(&attempt_of("p1", "phone", Some(ada), "l", 1_000), Some(3))
            .unwrap()
    );
    // Anonymous on the laptop: two at l (the session's limit of 3 is not reached), one at m.
    for (token, lesson) in [("a1", "l"), ("a2", "l"), ("a3", "m")] {
        let attempt = attempt_of(token, "laptop", None, lesson, 2_000);
        assert!(store.create_attempt(&attempt, Some(3)).unwrap(), "{token}");
    }

    assert_eq!(accounts.claim_attempts("laptop", ada).unwrap(), 3);
    let signed_in =
        |token: &str, lesson: &str| attempt_of(token, "laptop", Some(ada), lesson, 3_000);
    assert!(
        !store
            .create_attempt(&signed_in("s1", "l"), Some(3))
            .unwrap(),
        "three attempts at l already: one signed in, two claimed"
    );
    assert!(
        store
            .create_attempt(&signed_in("s2", "m"), Some(2))
            .unwrap()
    );
    assert!(
        !store
            .create_attempt(&signed_in("s3", "m"), Some(2))
            .unwrap(),
        "two at m: one claimed, one signed in"
    );
    assert!(store.attempt("s1").unwrap().is_none());
    assert_eq!(store.count_attempts(&Owner::Learner(ada), "l").unwrap(), 3);
    assert_eq!(store.count_attempts(&Owner::Learner(ada), "m").unwrap(), 2);

    // The laptop's anonymous count starts again; a later claim adds to the learner's.
    let anonymous = attempt_of("a4", "laptop", None, "l", 4_000);
    assert!(store.create_attempt(&anonymous, Some(1)).unwrap());
    assert_eq!(accounts.claim_attempts("laptop", ada).unwrap(), 1);
    assert!(
        !store
            .create_attempt(&signed_in("s4", "l"), Some(4))
            .unwrap()
    );
    assert!(
        store
            .create_attempt(&signed_in("s5", "l"), Some(5))
            .unwrap()
    );
    assert_eq!(store.count_attempts(&Owner::Learner(ada), "l").unwrap(), 5);
}

fn a_class_keeps_its_lessons_in_order_with_their_due_dates(db: &dyn Database) {
    let (a, b) = (db.instance(), db.instance());
    let owner = create(a.accounts(), "grace", Role::Educator);
    let class = new_class("Period 1", Some(owner), "ABCD2345", 7_000);
    let id = create_class(a.accounts(), &class);

    let expected = Class {
        id,
        name: "Period 1".into(),
        owner_id: Some(owner),
        join_code: Some("ABCD2345".into()),
        created_ms: 7_000,
        lessons: vec![lesson("toml-basics", Some(5_000)), lesson("tables", None)],
    };
    assert_eq!(b.accounts().class(id).unwrap(), Some(expected));
    assert_eq!(b.accounts().class(id + 1000).unwrap(), None);

    // The administrator's class (no owner) with no lessons.
    let admin = NewClass {
        lessons: Vec::new(),
        ..new_class("Staff", None, "WXYZ6789", 8_000)
    };
    let admin_id = create_class(a.accounts(), &admin);
    let stored = b.accounts().class(admin_id).unwrap().unwrap();
    assert_eq!((stored.owner_id, stored.lessons), (None, Vec::new()));
}

fn a_class_is_found_by_its_code_only_while_joining_is_open(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let id = create_class(accounts, &new_class("Period 1", None, "ABCD2345", 1_000));
    let found = accounts.class_by_code("ABCD2345").unwrap();
    assert_eq!(found.map(|c| (c.id, c.lessons.len())), Some((id, 2)));
    assert_eq!(accounts.class_by_code("ABCD2346").unwrap(), None);

    assert!(accounts.set_join_code(id, None).unwrap(), "closed");
    assert_eq!(accounts.class_by_code("ABCD2345").unwrap(), None);
    assert_eq!(accounts.class(id).unwrap().unwrap().join_code, None);

    assert!(
        accounts.set_join_code(id, Some("NEWC0DE9")).unwrap(),
        "reopened"
    );
    assert_eq!(
        accounts.class_by_code("NEWC0DE9").unwrap().map(|c| c.id),
        Some(id)
    );
    assert_eq!(
        accounts.class_by_code("ABCD2345").unwrap(),
        None,
        "the old code is gone"
    );
}

fn a_taken_join_code_creates_no_class_and_is_not_set(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let first = create_class(accounts, &new_class("Period 1", None, "ABCD2345", 1_000));
    let taken = new_class("Period 2", None, "ABCD2345", 2_000);
    assert_eq!(accounts.create_class(&taken).unwrap(), None);
    assert_eq!(
        class_ids(accounts.classes(None).unwrap()),
        [first],
        "nothing was left behind"
    );
    let found = accounts.class_by_code("ABCD2345").unwrap().unwrap();
    assert_eq!((found.id, found.name.as_str()), (first, "Period 1"));

    // With another code it is made, lessons and all.
    let second = create_class(accounts, &new_class("Period 2", None, "EFGH2345", 2_000));
    assert_eq!(accounts.class(second).unwrap().unwrap().lessons.len(), 2);
    assert!(!accounts.set_join_code(second, Some("ABCD2345")).unwrap());
    assert_eq!(
        accounts
            .class(second)
            .unwrap()
            .unwrap()
            .join_code
            .as_deref(),
        Some("EFGH2345"),
        "the code stays as it was"
    );
    // Two closed classes are no conflict.
    assert!(accounts.set_join_code(first, None).unwrap());
    assert!(accounts.set_join_code(second, None).unwrap());
    // A freed code may be used again.
    let third = create_class(accounts, &new_class("Period 3", None, "ABCD2345", 3_000));
    assert_eq!(
        accounts.class_by_code("ABCD2345").unwrap().map(|c| c.id),
        Some(third)
    );
}

fn updating_a_class_replaces_its_name_and_lessons_in_order(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let id = create_class(accounts, &new_class("Period 1", None, "ABCD2345", 1_000));
    let other = create_class(accounts, &new_class("Period 2", None, "EFGH2345", 2_000));

    let lessons = [
        lesson("arrays", Some(9_000)),
        lesson("toml-basics", None),
        lesson("dates", Some(3_000)),
    ];
    accounts
        .update_class(id, "Period 1 (spring)", &lessons)
        .unwrap();
    let stored = accounts.class(id).unwrap().unwrap();
    assert_eq!(stored.name, "Period 1 (spring)");
    assert_eq!(stored.lessons, lessons);
    assert_eq!(
        stored.join_code.as_deref(),
        Some("ABCD2345"),
        "the code is kept"
    );
    assert_eq!(
        accounts.class(other).unwrap().unwrap().lessons.len(),
        2,
        "another class keeps its lessons"
    );

    accounts.update_class(id, "Empty", &[]).unwrap();
    let stored = accounts.class(id).unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.lessons.len()), ("Empty", 0));
}

fn a_learner_joins_a_class_once(db: &dyn Database) {
    let (a, b) = (db.instance(), db.instance());
    let ada = create(a.accounts(), "ada", Role::Student);
    let id = create_class(
        a.accounts(),
        &new_class("Period 1", None, "ABCD2345", 1_000),
    );
    assert!(a.accounts().join_class(id, ada, 2_000).unwrap());
    assert!(
        !b.accounts().join_class(id, ada, 3_000).unwrap(),
        "already a member"
    );
    let members = a.accounts().members(id).unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].joined_ms, 2_000, "the first join stands");
}

fn members_are_listed_by_name_with_their_last_activity(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let id = create_class(accounts, &new_class("Period 1", None, "ABCD2345", 100));
    let zoe = create(accounts, "zoe", Role::Student);
    let amy = create(accounts, "amy", Role::Student);
    let sam2 = accounts
        .create_account(&NewAccount {
            display_name: "Sam".into(),
            ..new_account("sam2", Role::Student)
        })
        .unwrap()
        .unwrap();
    let sam1 = accounts
        .create_account(&NewAccount {
            display_name: "Sam".into(),
            ..new_account("sam1", Role::Student)
        })
        .unwrap()
        .unwrap();
    let outsider = create(accounts, "olga", Role::Student);
    for (learner, joined_ms) in [(zoe, 1_000), (amy, 2_000), (sam2, 3_000), (sam1, 4_000)] {
        assert!(accounts.join_class(id, learner, joined_ms).unwrap());
    }

    // Zoe signed in after joining; Amy started an attempt, then submitted it; Sam 2 only
    // started one; Sam 1 did nothing since joining (an older attempt does not count).
    accounts
        .start_account_session("zoe", zoe, 5_000, 99_000)
        .unwrap();
    assert!(
        store
            .create_attempt(&attempt_of("amy", "s", Some(amy), "l", 6_000), None)
            .unwrap()
    );
    let submitted = Submission {
        submitted_ms: 8_000,
        ..submission(1.0)
    };
    assert!(store.submit("amy", &submitted).unwrap());
    assert!(
        store
            .create_attempt(&attempt_of("sam", "s", Some(sam2), "l", 7_000), None)
            .unwrap()
    );
    assert!(
        store
            .create_attempt(&attempt_of("old", "s", Some(sam1), "l", 500), None)
            .unwrap()
    );
    assert!(
        store
            .create_attempt(&attempt_of("olga", "s", Some(outsider), "l", 9_000), None)
            .unwrap()
    );

    let members = accounts.members(id).unwrap();
    let listed: Vec<(&str, i64, i64)> = members
        .iter()
        .map(|m| (m.account.username.as_str(), m.joined_ms, m.last_activity_ms))
        .collect();
    assert_eq!(
        listed,
        [
            ("amy", 2_000, 8_000),
            ("sam1", 4_000, 4_000),
            ("sam2", 3_000, 7_000),
            ("zoe", 1_000, 5_000),
        ]
    );
    assert_eq!(members[3].account, accounts.account(zoe).unwrap().unwrap());
    assert!(accounts.members(id + 1000).unwrap().is_empty());
}

fn a_removed_member_leaves_the_class_but_keeps_their_account_and_attempts(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let id = create_class(accounts, &new_class("Period 1", None, "ABCD2345", 100));
    let other = create_class(accounts, &new_class("Period 2", None, "EFGH2345", 200));
    let ada = create(accounts, "ada", Role::Student);
    let bob = create(accounts, "bob", Role::Student);
    assert!(accounts.join_class(id, ada, 1_000).unwrap());
    assert!(accounts.join_class(id, bob, 1_000).unwrap());
    assert!(accounts.join_class(other, ada, 1_000).unwrap());
    assert!(
        store
            .create_attempt(&attempt_of("t", "s", Some(ada), "l", 2_000), None)
            .unwrap()
    );

    assert!(accounts.remove_member(id, ada).unwrap());
    assert!(
        !accounts.remove_member(id, ada).unwrap(),
        "no longer a member"
    );
    assert!(!accounts.remove_member(id, ada + 1000).unwrap());
    let usernames: Vec<String> = accounts
        .members(id)
        .unwrap()
        .into_iter()
        .map(|m| m.account.username)
        .collect();
    assert_eq!(usernames, ["bob"]);
    assert_eq!(
        accounts.members(other).unwrap().len(),
        1,
        "still in the other class"
    );
    assert!(accounts.account(ada).unwrap().is_some());
    assert_eq!(tokens(accounts.learner_attempts(ada).unwrap()), ["t"]);
    assert_eq!(class_ids(accounts.learner_classes(ada).unwrap()), [other]);
    // Joining again is allowed.
    assert!(accounts.join_class(id, ada, 3_000).unwrap());
}

fn a_learners_classes_are_listed_oldest_first(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let first = create_class(accounts, &new_class("First made", None, "AAAA2345", 100));
    let second = create_class(accounts, &new_class("Second made", None, "BBBB2345", 200));
    let unjoined = create_class(accounts, &new_class("Not joined", None, "CCCC2345", 300));
    let ada = create(accounts, "ada", Role::Student);
    let bob = create(accounts, "bob", Role::Student);
    assert!(accounts.join_class(second, ada, 1_000).unwrap());
    assert!(accounts.join_class(first, ada, 2_000).unwrap());
    assert!(accounts.join_class(unjoined, bob, 500).unwrap());

    let classes = accounts.learner_classes(ada).unwrap();
    assert_eq!(
        class_ids(classes.clone()),
        [second, first],
        "by when they were joined"
    );
    assert_eq!(
        classes[1],
        accounts.class(first).unwrap().unwrap(),
        "with their lessons"
    );
    assert!(accounts.learner_classes(ada + 1000).unwrap().is_empty());
}

fn class_attempts_are_only_the_current_members_attempts_oldest_first(db: &dyn Database) {
    let store = db.instance();
    let accounts = store.accounts();
    let id = create_class(accounts, &new_class("Period 1", None, "ABCD2345", 100));
    let ada = create(accounts, "ada", Role::Student);
    let bob = create(accounts, "bob", Role::Student);
    let left = create(accounts, "cleo", Role::Student);
    let outsider = create(accounts, "dan", Role::Student);
    for learner in [ada, bob, left] {
        assert!(accounts.join_class(id, learner, 1_000).unwrap());
    }
    for attempt in [
        attempt_of("bob-2", "s1", Some(bob), "m", 4_000),
        attempt_of("ada-1", "s2", Some(ada), "l", 2_000),
        attempt_of("bob-1", "s1", Some(bob), "l", 3_000),
        attempt_of("left", "s3", Some(left), "l", 2_500),
        attempt_of("outsider", "s4", Some(outsider), "l", 2_600),
        attempt_of("anonymous", "s5", None, "l", 2_700),
    ] {
        assert!(store.create_attempt(&attempt, None).unwrap());
    }
    assert!(accounts.remove_member(id, left).unwrap());

    assert_eq!(
        tokens(accounts.class_attempts(id).unwrap()),
        ["ada-1", "bob-1", "bob-2"]
    );
    assert!(accounts.class_attempts(id + 1000).unwrap().is_empty());
}

fn an_owner_sees_only_their_classes_and_the_administrator_sees_every_class_newest_first(
    db: &dyn Database,
) {
    let store = db.instance();
    let accounts = store.accounts();
    let grace = create(accounts, "grace", Role::Educator);
    let alan = create(accounts, "alan", Role::Educator);
    let g1 = create_class(accounts, &new_class("G1", Some(grace), "AAAA2345", 1_000));
    let a1 = create_class(accounts, &new_class("A1", Some(alan), "BBBB2345", 2_000));
    let admin = create_class(accounts, &new_class("Admin", None, "CCCC2345", 3_000));
    let g2 = create_class(accounts, &new_class("G2", Some(grace), "DDDD2345", 4_000));
    // Made in the same millisecond: the later one first.
    let g3 = create_class(accounts, &new_class("G3", Some(grace), "EEEE2345", 4_000));

    assert_eq!(
        class_ids(accounts.classes(Some(grace)).unwrap()),
        [g3, g2, g1]
    );
    assert_eq!(class_ids(accounts.classes(Some(alan)).unwrap()), [a1]);
    let nobody = create(accounts, "nobody", Role::Educator);
    assert!(accounts.classes(Some(nobody)).unwrap().is_empty());
    let all = accounts.classes(None).unwrap();
    assert_eq!(class_ids(all.clone()), [g3, g2, admin, a1, g1]);
    assert!(
        all.iter().all(|c| c.lessons.len() == 2),
        "with their lessons"
    );
}

fn platform(issuer: &str, client_id: &str) -> lectern::store::NewPlatform {
    lectern::store::NewPlatform {
        issuer: issuer.into(),
        client_id: client_id.into(),
        auth_url: format!("{issuer}/auth"),
        token_url: format!("{issuer}/token"),
        jwks_url: format!("{issuer}/jwks"),
        token_audience: None,
        deployments: vec!["d2".into(), "d1".into()],
        created_ms: 1,
    }
}

fn an_lti_platform_registers_once_and_lists_its_deployments(db: &dyn Database) {
    let store = db.instance();
    let lti = store.lti();
    let id = lti
        .add_platform(&platform("https://lms", "c"))
        .unwrap()
        .unwrap();
    assert_eq!(
        lti.add_platform(&platform("https://lms", "c")).unwrap(),
        None
    );
    let listed = lti.platforms().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].deployments, ["d1", "d2"]);
    assert_eq!(
        lti.platform(id).unwrap().unwrap().jwks_url,
        "https://lms/jwks"
    );
    assert!(lti.remove_platform("https://lms", "c").unwrap());
    assert!(!lti.remove_platform("https://lms", "c").unwrap());
    assert!(lti.platforms().unwrap().is_empty());
}

fn tool_key(kid: &str, created_ms: i64) -> lectern::store::ToolKey {
    lectern::store::ToolKey {
        kid: kid.into(),
        private_pem: "pem".into(),
        public_n: "n".into(),
        public_e: "AQAB".into(),
        created_ms,
        retired_ms: None,
    }
}

fn the_first_tool_key_is_added_once_and_a_rotation_retires_the_old_one(db: &dyn Database) {
    let (a, b) = (db.instance(), db.instance());
    assert!(a.lti().add_tool_key(&tool_key("k1", 10), true).unwrap());
    assert!(!b.lti().add_tool_key(&tool_key("k2", 11), true).unwrap());
    assert!(b.lti().add_tool_key(&tool_key("k3", 20), false).unwrap());
    let keys = a.lti().tool_keys().unwrap();
    let kids: Vec<(&str, Option<i64>)> = keys
        .iter()
        .map(|k| (k.kid.as_str(), k.retired_ms))
        .collect();
    assert_eq!(kids, [("k3", None), ("k1", Some(20))]);
}

fn an_lti_login_is_taken_once_and_not_after_it_expires(db: &dyn Database) {
    let store = db.instance();
    let id = store
        .lti()
        .add_platform(&platform("https://lms", "c"))
        .unwrap()
        .unwrap();
    let login = lectern::store::Login {
        nonce: "n".into(),
        platform_id: id,
        params: "[]".into(),
    };
    store.lti().start_login("s1", &login, 1_000).unwrap();
    store.lti().start_login("s2", &login, 1_000).unwrap();
    assert_eq!(
        store.lti().take_login("s1", 999).unwrap(),
        Some(login.clone())
    );
    assert_eq!(db.instance().lti().take_login("s1", 999).unwrap(), None);
    assert_eq!(
        store.lti().take_login("s2", 1_000).unwrap(),
        None,
        "expired"
    );
}

fn an_lms_user_and_course_map_to_one_account_and_one_class_across_registrations(db: &dyn Database) {
    let store = db.instance();
    let lti = store.lti();
    let first = lti
        .add_platform(&platform("https://lms", "c1"))
        .unwrap()
        .unwrap();
    let second = lti
        .add_platform(&platform("https://lms", "c2"))
        .unwrap()
        .unwrap();
    let new = |name: &str, role| NewAccount {
        username: "lti-abc".into(),
        display_name: name.into(),
        role,
        password_hash: None,
        created_ms: 5,
    };
    let a = lti
        .lti_account(first, "sub-1", &new("Ani", Role::Student))
        .unwrap();
    let b = lti
        .lti_account(second, "sub-1", &new("Ani B.", Role::Educator))
        .unwrap();
    assert_eq!(a.id, b.id, "the same issuer and sub is one person");
    assert_eq!(b.display_name, "Ani B.");
    assert_eq!(b.role, Role::Educator);
    let c = lti
        .lti_account(first, "sub-1", &new("Ani", Role::Student))
        .unwrap();
    assert_eq!(c.role, Role::Educator, "an educator stays one");

    let class = lti.lti_class(first, "course", "History", None, 7).unwrap();
    assert_eq!(class.join_code, None);
    assert_eq!(class.owner_id, None);
    let again = lti
        .lti_class(first, "course", "Renamed", Some(a.id), 8)
        .unwrap();
    assert_eq!((again.id, again.owner_id), (class.id, Some(a.id)));
    let other = store.accounts().create_account(&NewAccount {
        username: "someone".into(),
        ..new("X", Role::Educator)
    });
    let other = other.unwrap().unwrap();
    let third = lti
        .lti_class(first, "course", "History", Some(other), 9)
        .unwrap();
    assert_eq!(third.owner_id, Some(a.id), "an owner is kept");
    // The other instructor teaches it too: it is among their classes.
    assert!(lti.co_teaches(class.id, other).unwrap());
    assert!(
        !lti.co_teaches(class.id, a.id).unwrap(),
        "the owner is not a co-teacher"
    );
    let theirs: Vec<ClassId> = store
        .accounts()
        .classes(Some(other))
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(theirs, [class.id]);
}

fn a_submission_makes_its_grade_owed_claimed_once_and_sent_unless_submitted_again(
    db: &dyn Database,
) {
    let (store, other) = (db.instance(), db.instance());
    let lti = store.lti();
    let pid = lti
        .add_platform(&platform("https://lms", "c"))
        .unwrap()
        .unwrap();
    let learner = lti
        .lti_account(
            pid,
            "sub",
            &NewAccount {
                username: "lti-learner".into(),
                display_name: "L".into(),
                role: Role::Student,
                password_hash: None,
                created_ms: 1,
            },
        )
        .unwrap();
    let class = lti.lti_class(pid, "course", "C", None, 1).unwrap();
    store
        .accounts()
        .join_class(class.id, learner.id, 1)
        .unwrap();
    lti.set_grade_target(learner.id, "lesson", pid, "https://lms/li/1", "sub")
        .unwrap();
    let attempt = |token: &str| NewAttempt {
        learner_id: Some(learner.id),
        ..new_attempt(token)
    };
    // An anonymous submission owes nothing.
    assert!(store.create_attempt(&new_attempt("anon"), None).unwrap());
    assert!(store.submit("anon", &submission(1.0)).unwrap());
    assert!(
        lti.claim_due_grades(i64::MAX / 2, 0, 10)
            .unwrap()
            .is_empty()
    );

    assert!(store.create_attempt(&attempt("a1"), None).unwrap());
    assert!(store.submit("a1", &submission(1.0)).unwrap());
    let claimed = lti
        .claim_due_grades(1_800_000_000_000, 1_900_000_000_000, 10)
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (claimed[0].subject.as_str(), claimed[0].lesson_id.as_str()),
        ("sub", "lesson")
    );
    assert!(
        other
            .lti()
            .claim_due_grades(1_800_000_000_000, 1_900_000_000_000, 10)
            .unwrap()
            .is_empty(),
        "claimed by one instance only"
    );
    // A failed send waits; a refused one stops.
    lti.grade_not_sent(&claimed[0], "503", Some(5)).unwrap();
    let passbacks = lti.class_passbacks(class.id).unwrap();
    assert_eq!((passbacks[0].pending, passbacks[0].tries), (true, 1));
    assert_eq!(passbacks[0].last_error.as_deref(), Some("503"));
    let again = lti.claim_due_grades(10, 20, 10).unwrap();
    assert_eq!(again.len(), 1);
    // Submitted again while it was being sent: still owed after this send.
    assert!(store.create_attempt(&attempt("a2"), None).unwrap());
    assert!(store.submit("a2", &submission(2.0)).unwrap());
    lti.grade_sent(&again[0], 50.0, 30).unwrap();
    let latest = lti
        .claim_due_grades(i64::MAX / 2, i64::MAX / 2 + 1, 10)
        .unwrap();
    assert_eq!(latest.len(), 1, "the newer grade is still owed");
    lti.grade_sent(&latest[0], 80.0, 40).unwrap();
    let passbacks = lti.class_passbacks(class.id).unwrap();
    assert_eq!(
        (
            passbacks[0].pending,
            passbacks[0].failed,
            passbacks[0].sent_score
        ),
        (false, false, Some(80.0))
    );
    assert!(
        lti.claim_due_grades(i64::MAX / 2, 0, 10)
            .unwrap()
            .is_empty()
    );
    // Submitted again, then refused for good.
    assert!(store.create_attempt(&attempt("a3"), None).unwrap());
    assert!(store.submit("a3", &submission(2.0)).unwrap());
    let owed = lti.claim_due_grades(i64::MAX / 2, 0, 10).unwrap();
    lti.grade_not_sent(&owed[0], "400", None).unwrap();
    let passbacks = lti.class_passbacks(class.id).unwrap();
    assert_eq!((passbacks[0].pending, passbacks[0].failed), (false, true));
}
