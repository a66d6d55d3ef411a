//! Helpers shared by the integration tests: an app on real lesson files, a cookie-keeping
//! "browser" that talks to the real router, and a student who fills in quiz forms by reading
//! the page the way a person would (by prompt and label text).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use lectern::catalog::Catalog;
use lectern::lesson::{Lesson, QuestionKind};
use lectern::store::{SqliteStore, Store};
use lectern::web::{AppState, WebConfig, router};
use scraper::{ElementRef, Html, Selector};
use tower::ServiceExt;

/// Path of a fixture folder or file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The educator token of test apps.
pub const EDUCATOR_TOKEN: &str = "test-educator-token";

/// The app serving `lessons` with a fresh in-memory database.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
}

impl TestApp {
    pub fn new(lessons: &Path) -> TestApp {
        TestApp::with(
            lessons,
            Arc::new(SqliteStore::in_memory().expect("in-memory store")),
            |_| {},
        )
    }

    /// An app on `store`, with `configure` applied to the test configuration.
    pub fn with(
        lessons: &Path,
        store: Arc<dyn Store>,
        configure: impl FnOnce(&mut WebConfig),
    ) -> TestApp {
        let catalog = Catalog::load(lessons).expect("fixture lessons load");
        assert!(catalog.problems().is_empty(), "{:?}", catalog.problems());
        let mut config = WebConfig {
            educator_token: EDUCATOR_TOKEN.into(),
            ..WebConfig::default()
        };
        configure(&mut config);
        let state = AppState::new(catalog, store, config).expect("state");
        TestApp {
            router: router(state.clone()),
            state,
        }
    }

    /// A new browser with no cookies.
    pub fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            cookie: None,
        }
    }

    /// The lesson as currently served.
    pub fn lesson(&self, id: &str) -> Arc<Lesson> {
        self.state.catalog().lesson(id).expect("lesson").clone()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The `name=value` of the first cookie the response sets, ready for a `Cookie` header.
    pub fn set_cookie(&self) -> String {
        self.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let html = self.html();
        let sel = Selector::parse("input[name=csrf]").unwrap();
        html.select(&sel)
            .next()
            .and_then(|e| e.value().attr("value"))
            .expect("a csrf field")
            .to_string()
    }

    /// Text of the element matching `css`.
    pub fn text_of(&self, css: &str) -> String {
        let html = self.html();
        let sel = Selector::parse(css).unwrap();
        html.select(&sel)
            .next()
            .map(|e| e.text().collect::<String>())
            .unwrap_or_default()
    }
}

/// A browser: keeps its session cookie, follows nothing by itself.
#[derive(Clone)]
pub struct Browser {
    router: Router,
    pub cookie: Option<String>,
}

impl Browser {
    pub async fn request(&mut self, request: Request<Body>) -> Page {
        let mut request = request;
        if let Some(cookie) = &self.cookie {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        self.remember_cookies(&headers);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Merges the response's `Set-Cookie` headers into the cookies this browser sends,
    /// dropping cookies set with `Max-Age=0`.
    fn remember_cookies(&mut self, headers: &HeaderMap) {
        let mut jar: Vec<(String, String)> = self
            .cookie
            .iter()
            .flat_map(|c| c.split("; "))
            .filter_map(|pair| pair.split_once('='))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        for set in headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            jar.retain(|(n, _)| n != name);
            if !set.contains("Max-Age=0") {
                jar.push((name.to_string(), value.to_string()));
            }
        }
        let header: Vec<String> = jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
        self.cookie = (!header.is_empty()).then(|| header.join("; "));
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// POSTs `fields` form-encoded.
    pub async fn post(&mut self, path: &str, fields: &[(String, String)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.post_raw(path, "application/x-www-form-urlencoded", body.into_bytes())
            .await
    }

    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.request(request).await
    }

    /// Opens the reading and presses "Start the quiz"; returns the answer, whatever it is.
    pub async fn try_start_quiz(&mut self, lesson_id: &str) -> Page {
        let reading = self.get(&format!("/lessons/{lesson_id}")).await;
        assert_eq!(reading.status, StatusCode::OK);
        self.post(
            &format!("/lessons/{lesson_id}/attempts"),
            &[("csrf".into(), reading.csrf())],
        )
        .await
    }

    /// Opens the reading and presses "Start the quiz"; returns the attempt's path.
    pub async fn start_quiz(&mut self, lesson_id: &str) -> String {
        let started = self.try_start_quiz(lesson_id).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
        started.location().to_string()
    }
}

/// How a simulated student answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    AllRight,
    AllWrong,
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

fn text(e: &ElementRef<'_>) -> String {
    e.text().collect::<String>().trim().to_string()
}

/// The `<label for=id>` text of a control.
fn label_of(form: &ElementRef<'_>, id: &str) -> String {
    form.select(&sel("label"))
        .find(|l| l.value().attr("for") == Some(id))
        .map(|l| text(&l))
        .unwrap_or_else(|| panic!("control {id} has no label"))
}

/// Fills in the quiz form on `page` as a student who knows (or gets wrong) every answer,
/// finding each question in `lesson` by its prompt and each option by its label.
pub fn fill_quiz(page: &Page, lesson: &Lesson, mode: Answers) -> Vec<(String, String)> {
    let html = page.html();
    let form = html.select(&sel("form.quiz")).next().expect("a quiz form");
    let mut fields = vec![("csrf".to_string(), page.csrf())];
    let quiz = lesson.quiz.as_ref().expect("lesson has a quiz");
    for fieldset in form.select(&sel("fieldset")) {
        let prompt = fieldset
            .select(&sel("legend .prompt"))
            .next()
            .map(|p| text(&p))
            .expect("legend has the prompt");
        let question = quiz
            .questions
            .iter()
            .find(|q| q.prompt == prompt)
            .unwrap_or_else(|| panic!("no question with prompt {prompt:?}"));
        let right = mode == Answers::AllRight;
        let inputs: Vec<ElementRef<'_>> = fieldset.select(&sel("input")).collect();
        let pick = |wanted: &dyn Fn(&str) -> bool| -> Vec<(String, String)> {
            inputs
                .iter()
                .filter(|i| wanted(&label_of(&form, i.value().attr("id").unwrap())))
                .map(|i| {
                    (
                        i.value().attr("name").unwrap().to_string(),
                        i.value().attr("value").unwrap().to_string(),
                    )
                })
                .collect()
        };
        let text_field = || inputs[0].value().attr("name").unwrap().to_string();
        match &question.kind {
            QuestionKind::Single {
                answer,
                distractors,
            } => {
                let target = if right {
                    &answer.text
                } else {
                    &distractors[0].text
                };
                fields.extend(pick(&|l| l == target));
            }
            QuestionKind::Multiple {
                answers,
                distractors,
            } => {
                let set = if right { answers } else { distractors };
                fields.extend(pick(&|l| set.iter().any(|c| c.text == l)));
            }
            QuestionKind::TrueFalse { answer } => {
                let target = if *answer == right { "True" } else { "False" };
                fields.extend(pick(&|l| l == target));
            }
            QuestionKind::Short { answers } => {
                let given = if right {
                    answers[0].to_uppercase()
                } else {
                    "no idea".into()
                };
                fields.push((text_field(), given));
            }
            QuestionKind::Number {
                answer, tolerance, ..
            } => {
                let given = if right {
                    *answer
                } else {
                    answer + tolerance + 1000.0
                };
                fields.push((text_field(), given.to_string()));
            }
            QuestionKind::Order { items } => {
                let n = items.len();
                for select in fieldset.select(&sel("select")) {
                    let item = label_of(&form, select.value().attr("id").unwrap());
                    let rank = items.iter().position(|i| *i == item).expect("known item");
                    // Reversed order has Kendall tau -1, which scores 0.
                    let position = if right { rank + 1 } else { n - rank };
                    fields.push((
                        select.value().attr("name").unwrap().to_string(),
                        position.to_string(),
                    ));
                }
            }
            QuestionKind::Match { pairs } => {
                let n = pairs.len();
                for select in fieldset.select(&sel("select")) {
                    let left = label_of(&form, select.value().attr("id").unwrap());
                    let i = pairs
                        .iter()
                        .position(|(l, _)| *l == left)
                        .expect("known left");
                    let target = if right {
                        &pairs[i].1
                    } else {
                        &pairs[(i + 1) % n].1
                    };
                    let option = select
                        .select(&sel("option"))
                        .find(|o| text(o) == *target)
                        .expect("the right side is offered");
                    fields.push((
                        select.value().attr("name").unwrap().to_string(),
                        option.value().attr("value").unwrap().to_string(),
                    ));
                }
            }
        }
    }
    fields
}

/// `(earned, possible)` parsed from the result page's `#score`.
pub fn score(page: &Page) -> (f64, f64) {
    let text = page.text_of("#score");
    let fraction = text.split(" points").next().unwrap_or("").trim();
    let (earned, possible) = fraction
        .split_once(" / ")
        .unwrap_or_else(|| panic!("no score in {text:?}"));
    (
        earned.trim().parse().unwrap(),
        possible.trim().parse().unwrap(),
    )
}

/// An answer to one question, written the way a student sees the form.
pub enum Given<'a> {
    /// Tick the radio buttons or checkboxes with these labels.
    Labels(&'a [&'a str]),
    /// Type this into the text box.
    Text(&'a str),
    /// For each select (by label), choose the option with this text.
    Selects(&'a [(&'a str, &'a str)]),
}

/// Replaces the answer to the question with `prompt` in `fields` by `given`.
pub fn answer_with(
    page: &Page,
    fields: &mut Vec<(String, String)>,
    prompt: &str,
    given: &Given<'_>,
) {
    let html = page.html();
    let form = html.select(&sel("form.quiz")).next().expect("a quiz form");
    let fieldset = form
        .select(&sel("fieldset"))
        .find(|f| {
            f.select(&sel("legend .prompt"))
                .next()
                .map(|p| text(&p))
                .as_deref()
                == Some(prompt)
        })
        .unwrap_or_else(|| panic!("no question {prompt:?} on the page"));
    let prefix = fieldset
        .value()
        .attr("id")
        .unwrap()
        .replace("question-", "q");
    fields.retain(|(n, _)| *n != prefix && !n.starts_with(&format!("{prefix}-")));
    match given {
        Given::Labels(labels) => {
            for input in fieldset.select(&sel("input")) {
                let id = input.value().attr("id").unwrap();
                if labels.contains(&label_of(&form, id).as_str()) {
                    fields.push((
                        prefix.clone(),
                        input.value().attr("value").unwrap().to_string(),
                    ));
                }
            }
        }
        Given::Text(t) => fields.push((prefix, t.to_string())),
        Given::Selects(choices) => {
            for select in fieldset.select(&sel("select")) {
                let label = label_of(&form, select.value().attr("id").unwrap());
                let Some((_, wanted)) = choices.iter().find(|(l, _)| *l == label) else {
                    continue;
                };
                let option = select
                    .select(&sel("option"))
                    .find(|o| text(o) == *wanted)
                    .unwrap_or_else(|| panic!("no option {wanted:?} for {label:?}"));
                fields.push((
                    select.value().attr("name").unwrap().to_string(),
                    option.value().attr("value").unwrap().to_string(),
                ));
            }
        }
    }
}

/// A `lectern serve` process on a free loopback port.
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
}

impl Server {
    /// Starts the real binary and waits until it listens.
    pub fn start(lessons: &Path, db: &Path) -> Server {
        Server::start_with(lessons, db, &[])
    }

    /// Starts the real binary with extra environment variables.
    pub fn start_with(lessons: &Path, db: &Path, env: &[(&str, &str)]) -> Server {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lectern"))
            .args(["serve", "--addr", "127.0.0.1:0", "--lessons"])
            .arg(lessons)
            .arg("--db")
            .arg(db)
            .envs(env.iter().copied())
            .env("RUST_LOG", "lectern=info")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("lectern starts");
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("lectern printed where it listens")
                .unwrap();
            if let Some(at) = line.find("listening on http://") {
                break line[at + "listening on http://".len()..].trim().to_string();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        // LECTERN_TEST_LOG=1 shows it, to debug a failing test.
        let show = std::env::var_os("LECTERN_TEST_LOG").is_some();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if show {
                    eprintln!("lectern: {line}");
                }
            }
        });
        Server { child, addr }
    }

    /// Starts an attempt at `lesson_id` for the browser holding `cookie`, the way its start
    /// button does (CSRF token from the reading page); returns the attempt's path.
    pub fn start_quiz(&self, lesson_id: &str, cookie: &str) -> String {
        let reading = self.request("GET", &format!("/lessons/{lesson_id}"), Some(cookie), None);
        let started = self.request(
            "POST",
            &format!("/lessons/{lesson_id}/attempts"),
            Some(cookie),
            Some(&format!("csrf={}", reading.csrf())),
        );
        assert_eq!(started.status, 303, "{}", started.body);
        started.location().to_string()
    }

    /// One HTTP/1.1 request over a fresh connection.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        form: Option<&str>,
    ) -> Page {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(c) = cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        let body = form.unwrap_or("");
        if form.is_some() {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        stream.write_all(head.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        for line in lines {
            if let Some((n, v)) = line.split_once(": ") {
                headers.append(
                    axum::http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
        }
        Page {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.to_string(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Nu HTML Checker's jar (`npm ci --prefix tests/browser`), when it and a JRE are here.
#[allow(dead_code)] // not every test file checks HTML
pub fn vnu_jar() -> Option<PathBuf> {
    Some(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/browser/node_modules/vnu-jar/build/dist/vnu.jar"),
    )
    .filter(|p| p.exists())
    .filter(|_| {
        std::process::Command::new("java")
            .arg("-version")
            .output()
            .is_ok()
    })
}

#[allow(dead_code)] // not every test file checks HTML
/// Runs the Nu HTML Checker on the pages; returns its error report when there are errors.
pub fn vnu_errors(vnu: &Path, pages: &[(String, String)], dir: &Path) -> Option<String> {
    let mut files = Vec::new();
    for (i, (name, html)) in pages.iter().enumerate() {
        let path = dir.join(format!("{i:02}-{name}.html"));
        std::fs::write(&path, html).unwrap();
        files.push(path);
    }
    let out = std::process::Command::new("java")
        .args(["-jar"])
        .arg(vnu)
        .args(["--errors-only", "--format", "text"])
        .args(&files)
        .output()
        .expect("java runs vnu");
    (!out.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
