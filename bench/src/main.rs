//! `lectern-bench`: the helper `bench/run` and `bench/pg` use to prepare and check a benchmark.
//!
//! DB is what `lectern serve --db` takes: a SQLite file or a `postgres://` URL.
//!
//! - `generate DIR COUNT`: writes COUNT valid lesson files (`gen-0000.toml`, ...) into DIR.
//! - `seed DB LESSONS LESSON_ID COUNT OUT`: opens (creating or migrating) the database, starts
//!   one browser session, draws COUNT + 1 unsubmitted attempts of LESSON_ID for it through the
//!   real `Store`, and writes OUT for the wrk scripts: the session cookie, then the quiz-page
//!   attempt, then one `token body` line per attempt to submit (a filled-in answer form with
//!   the session's CSRF token; half the questions answered right).
//! - `accounts DB COUNT PASSWORD`: creates learner accounts `bench-0` … `bench-{COUNT-1}`
//!   with PASSWORD (argon2id, as `/join` stores it) and prints one browser session and its
//!   CSRF token (`session csrf`), for `bench/sign-in`'s wrk script.
//! - `count DB`: prints how many attempts are submitted, read with a plain connection (a
//!   read-only SQLite connection, or a PostgreSQL client), not through lectern's store.

#[path = "fixtures.rs"]
mod fixtures;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lectern::accounts::Role;
use lectern::catalog::Catalog;
use lectern::store::{Location, NewAccount, NewAttempt};
use lectern::web::session::{Keys, random_token};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["generate", dir, count] => generate_lessons(Path::new(dir), count.parse().unwrap_or(0)),
        ["seed", db, lessons, lesson, count, out] => seed(
            db,
            Path::new(lessons),
            lesson,
            count.parse().unwrap_or(0),
            Path::new(out),
        ),
        ["accounts", db, count, password] => accounts(db, count.parse().unwrap_or(0), password),
        ["count", db] => count(db),
        _ => Err("usage: lectern-bench generate DIR COUNT | seed DB LESSONS LESSON_ID COUNT OUT | accounts DB COUNT PASSWORD | count DB".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lectern-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn generate_lessons(dir: &Path, count: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for n in 0..count {
        std::fs::write(
            dir.join(format!("gen-{n:04}.toml")),
            fixtures::lesson_toml(n),
        )?;
    }
    Ok(())
}

fn seed(db: &str, lessons: &Path, lesson_id: &str, count: usize, out: &Path) -> Result<()> {
    let catalog = Catalog::load(lessons)?;
    let lesson = catalog
        .lesson(lesson_id)
        .ok_or_else(|| format!("no lesson `{lesson_id}` in {}", lessons.display()))?
        .clone();
    if lesson.quiz.is_none() {
        return Err("that lesson has no quiz".into());
    }
    let store = Location::from_str(db)?.open()?;
    let keys = Keys::new(store.server_key()?);
    let session = random_token();
    let csrf = keys.sign("csrf", &session);

    // Many threads at once, so the store's group commit writes them in large transactions.
    let total = count + 1;
    let next = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (store, next, lesson, session, csrf) = (
                store.clone(),
                next.clone(),
                lesson.clone(),
                session.clone(),
                csrf.clone(),
            );
            std::thread::spawn(move || -> Result<Vec<(usize, String, String)>> {
                let mut made = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok(made);
                    }
                    let started_ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)?
                        .as_millis() as i64;
                    let attempt = NewAttempt::draw(
                        &lesson,
                        &session,
                        None,
                        random_token(),
                        rand::random(),
                        started_ms,
                        None,
                    )
                    .ok_or("that lesson has no quiz")?;
                    let body = fixtures::answer_form(&attempt.questions, &csrf);
                    if !store.create_attempt(&attempt, None)? {
                        return Err("the store refused an attempt".into());
                    }
                    made.push((i, attempt.token, body));
                }
            })
        })
        .collect();
    let mut attempts = Vec::with_capacity(total);
    for t in threads {
        attempts.extend(t.join().map_err(|_| "a seeding thread panicked")??);
    }
    attempts.sort_unstable_by_key(|(i, _, _)| *i);

    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    writeln!(file, "{session}")?;
    writeln!(file, "{}", attempts[0].1)?;
    for (_, token, body) in &attempts[1..] {
        writeln!(file, "{token} {body}")?;
    }
    file.flush()?;
    Ok(())
}

/// Creates `count` learner accounts sharing `password`; prints a session and its CSRF token.
fn accounts(db: &str, count: usize, password: &str) -> Result<()> {
    let store = Location::from_str(db)?.open()?;
    let keys = Keys::new(store.server_key()?);
    // One hash for all: every sign-in still verifies it in full.
    let password_hash = lectern::accounts::password::hash_password(password);
    for n in 0..count {
        let created = store.accounts().create_account(&NewAccount {
            username: format!("bench-{n}"),
            display_name: format!("Bench learner {n}"),
            role: Role::Student,
            password_hash: Some(password_hash.clone()),
            created_ms: 0,
        })?;
        if created.is_none() {
            return Err(format!("the username bench-{n} is taken").into());
        }
    }
    let session = random_token();
    println!("{session} {}", keys.sign("csrf", &session));
    Ok(())
}

/// Counts submitted attempts with a plain connection, independently of lectern's store code.
fn count(db: &str) -> Result<()> {
    const SUBMITTED: &str = "SELECT COUNT(*) FROM attempts WHERE submitted_ms IS NOT NULL";
    let submitted: i64 = match Location::from_str(db)? {
        Location::Sqlite(path) => {
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?
                .query_row(SUBMITTED, [], |r| r.get(0))?
        }
        Location::Postgres(url) => postgres::Client::connect(&url, postgres::NoTls)?
            .query_one(SUBMITTED, &[])?
            .get(0),
    };
    println!("{submitted}");
    Ok(())
}
