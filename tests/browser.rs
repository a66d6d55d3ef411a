//! Real-browser tests: headless Chromium driven through WebDriver (chromedriver) against the
//! real `lectern` binary. A student takes a quiz with the keyboard alone, with JavaScript on and
//! off and on a phone-sized screen; every page kind passes axe-core (WCAG 2.1 A/AA) and the Nu
//! HTML Checker; a screenshot of each page kind is saved under `target/screenshots/`. Every
//! reading and quiz of the bundled course gets the same checks on a phone-sized screen, and so does
//! a class from its creation by an educator to its gradebook, with a student joining by code.
//!
//! Skips with a notice when Chromium or chromedriver is missing; `.ci/run` installs them (and
//! the npm tools) so CI always runs everything. On CI (`CI` set) a missing tool is a failure.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Answers, EDUCATOR_TOKEN, Page, Server, fill_quiz, fixture, vnu_errors, vnu_jar};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use lectern::catalog::Catalog;
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The programs and scripts the tests need.
struct Tools {
    chromedriver: PathBuf,
    chromium: PathBuf,
    axe: Option<String>,
    vnu: Option<PathBuf>,
}

fn first_existing(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Finds the tools; `None` (with a printed notice) when the browser is not installed.
fn tools() -> Option<Tools> {
    let on_ci = std::env::var_os("CI").is_some();
    let chromedriver = first_existing(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let chromium = first_existing(&[
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]);
    let (Some(chromedriver), Some(chromium)) = (chromedriver, chromium) else {
        assert!(
            !on_ci,
            "CI must install chromium and chromium-driver (see .ci/run)"
        );
        println!("skipped: chromium-driver not found (apt-get install chromium chromium-driver)");
        return None;
    };
    let modules = Path::new(ROOT).join("tests/browser/node_modules");
    let axe = std::fs::read_to_string(modules.join("axe-core/axe.min.js")).ok();
    let vnu = vnu_jar();
    if axe.is_none() || vnu.is_none() {
        assert!(
            !on_ci,
            "CI must install axe-core, vnu-jar and a JRE (see .ci/run)"
        );
        println!(
            "skipped: axe-core / vnu-jar / java not found (npm install --prefix tests/browser; a JRE)"
        );
    }
    Some(Tools {
        chromedriver,
        chromium,
        axe,
        vnu,
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A chromedriver process.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(tools: &Tools) -> Driver {
        let port = free_port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the browser is set up for a run.
#[derive(Clone, Copy, Debug)]
struct Setup {
    javascript: bool,
    phone: bool,
    name: &'static str,
}

async fn open_browser(tools: &Tools, driver: &Driver, setup: Setup, profile: &Path) -> Client {
    let mut options = json!({
        "binary": tools.chromium,
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--window-size=1280,900",
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    if !setup.javascript {
        options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    if setup.phone {
        options["mobileEmulation"] =
            json!({ "deviceMetrics": { "width": 375, "height": 667, "pixelRatio": 2.0 } });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

async fn press(client: &Client, key: char) {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(actions).await.expect("key press");
}

async fn type_text(client: &Client, text: &str) {
    for c in text.chars() {
        press(client, c).await;
    }
}

/// What has focus: tag, type, name, value, id, text.
async fn focused(client: &Client) -> (String, String, String, String, String, String) {
    let el = client.active_element().await.unwrap();
    let attr = |name: &'static str| {
        let el = el.clone();
        async move { el.attr(name).await.unwrap().unwrap_or_default() }
    };
    (
        el.tag_name().await.unwrap().to_lowercase(),
        attr("type").await,
        attr("name").await,
        attr("value").await,
        attr("href").await,
        el.text().await.unwrap_or_default(),
    )
}

/// Presses Tab until `wanted` holds for the focused element (at most 300 times).
/// Tabs to the control `wanted` picks, checks its focus is visible, presses Enter and waits
/// for `then` (a CSS selector) on the page that follows.
async fn enter_on(
    client: &Client,
    what: &str,
    then: &str,
    wanted: impl Fn(&(String, String, String, String, String, String)) -> bool,
) {
    tab_until(client, what, wanted).await;
    assert_visible_focus(client).await;
    press(client, Key::Enter.into()).await;
    client.wait().for_element(Locator::Css(then)).await.unwrap();
}

async fn tab_until(
    client: &Client,
    what: &str,
    wanted: impl Fn(&(String, String, String, String, String, String)) -> bool,
) {
    for _ in 0..300 {
        press(client, Key::Tab.into()).await;
        if wanted(&focused(client).await) {
            return;
        }
    }
    panic!("Tab never reached {what}");
}

/// The focused element shows a visible focus indicator.
async fn assert_visible_focus(client: &Client) {
    let el = client.active_element().await.unwrap();
    let outline = el.css_value("outline-style").await.unwrap();
    let width = el.css_value("outline-width").await.unwrap();
    assert!(
        outline != "none" && width != "0px",
        "focused element has no visible outline ({outline} {width})"
    );
}

fn save_screenshot(name: &str, png: &[u8]) {
    let dir = Path::new(ROOT).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Runs axe-core's WCAG 2.1 A/AA rules on the current page; returns the violations.
async fn axe_violations(client: &Client, axe: &str) -> Vec<String> {
    client
        .execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .expect("axe injects");
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
          .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
          .catch(e => done(['axe failed: ' + e]));
    "#;
    match client
        .execute_async(script, vec![])
        .await
        .expect("axe runs")
    {
        Value::Array(list) => list
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        other => vec![format!("unexpected axe result {other}")],
    }
}

/// Whether anything on the page is wider than the viewport.
async fn overflows_horizontally(client: &Client) -> bool {
    let v = client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    v.as_bool().unwrap_or(true)
}

/// The elements that reach furthest right, to name what makes a page too wide for a phone.
async fn widest_elements(client: &Client) -> Value {
    client
        .execute(
            r#"return [...document.querySelectorAll('body *')]
                .map(e => [e.getBoundingClientRect().right, e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40)])
                .sort((a, b) => b[0] - a[0]).slice(0, 5);"#,
            vec![],
        )
        .await
        .unwrap()
}

/// A page as the test sees it: its name, and the raw HTML the server sent for it.
type Visited = Vec<(String, String)>;

/// Checks the current page in every way the run can: screenshot, axe, overflow on phones.
async fn check_page(
    client: &Client,
    tools: &Tools,
    setup: Setup,
    name: &str,
    visited: &mut Visited,
) {
    save_screenshot(
        &format!("{}-{name}", setup.name),
        &client.screenshot().await.unwrap(),
    );
    let source = client.source().await.unwrap();
    visited.push((name.to_string(), source));
    if setup.javascript {
        if let Some(axe) = &tools.axe {
            let violations = axe_violations(client, axe).await;
            assert!(
                violations.is_empty(),
                "{name} ({}): axe violations:\n{}",
                setup.name,
                violations.join("\n")
            );
        }
        if setup.phone {
            assert_eq!(
                client
                    .execute("return window.innerWidth;", vec![])
                    .await
                    .unwrap(),
                json!(375),
                "{name}: the page widened the phone's viewport; widest elements: {}",
                widest_elements(client).await
            );
            assert!(
                !overflows_horizontally(client).await,
                "{name} overflows horizontally at 375 px"
            );
        }
    }
}

/// Fills the quiz form on the current page with the keyboard alone, answering every question
/// right, then submits with Enter.
async fn answer_with_keyboard(client: &Client, server: &Server, lesson: &lectern::lesson::Lesson) {
    let html = client.source().await.unwrap();
    let page = Page {
        status: axum::http::StatusCode::OK,
        headers: Default::default(),
        body: html,
    };
    let wanted = fill_quiz(&page, lesson, Answers::AllRight);
    let _ = server;
    let mut done_radio_groups: Vec<String> = Vec::new();
    for _ in 0..500 {
        press(client, Key::Tab.into()).await;
        let (tag, kind, name, value, _, text) = focused(client).await;
        let targets: Vec<&String> = wanted
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .collect();
        match (tag.as_str(), kind.as_str()) {
            ("input", "radio") if !done_radio_groups.contains(&name) => {
                done_radio_groups.push(name.clone());
                let first: usize = value.parse().unwrap();
                let target: usize = targets[0].parse().unwrap();
                if target == first {
                    press(client, ' ').await;
                } else {
                    for _ in first..target {
                        press(client, Key::Down.into()).await;
                    }
                }
                assert_visible_focus(client).await;
            }
            ("input", "checkbox") if targets.iter().any(|t| **t == value) => {
                press(client, ' ').await;
            }
            ("input", "text") => {
                if let Some(t) = targets.first() {
                    type_text(client, t).await;
                }
            }
            ("select", _) => {
                let select = client.active_element().await.unwrap();
                let options = select.find_all(Locator::Css("option")).await.unwrap();
                let mut index = 0;
                for (i, o) in options.iter().enumerate() {
                    if o.attr("value").await.unwrap().as_deref()
                        == targets.first().map(|s| s.as_str())
                    {
                        index = i;
                    }
                }
                for _ in 0..index {
                    press(client, Key::Down.into()).await;
                }
                assert_visible_focus(client).await;
            }
            ("button", _) if text.contains("Submit answers") => {
                assert_visible_focus(client).await;
                press(client, Key::Enter.into()).await;
                return;
            }
            _ => {}
        }
    }
    panic!("never reached the submit button");
}

/// The whole student path with one browser set-up.
async fn student_run(tools: &Tools, server: &Server, setup: Setup, visited: &mut Visited) {
    let driver = Driver::start(tools);
    let profile = tempfile::tempdir().unwrap();
    let client = open_browser(tools, &driver, setup, profile.path()).await;
    let base = format!("http://{}", server.addr);
    let lesson = Catalog::load(&fixture("good"))
        .unwrap()
        .lesson("all-kinds")
        .unwrap()
        .clone();

    client.goto(&format!("{base}/")).await.unwrap();
    check_page(&client, tools, setup, "index", visited).await;
    enter_on(&client, "the lesson link", "section#first", |f| {
        f.4.ends_with("/lessons/all-kinds")
    })
    .await;
    check_page(&client, tools, setup, "reading", visited).await;

    enter_on(&client, "the start button", "form.quiz", |f| {
        f.0 == "button" && f.5.contains("Start the quiz")
    })
    .await;
    check_page(&client, tools, setup, "quiz", visited).await;

    answer_with_keyboard(&client, server, &lesson).await;
    let score = client
        .wait()
        .for_element(Locator::Id("score"))
        .await
        .unwrap();
    let text = score.text().await.unwrap();
    assert!(
        text.contains("10 / 10"),
        "{} run: score {text:?}",
        setup.name
    );
    check_page(&client, tools, setup, "result", visited).await;

    client
        .goto(&format!("{base}/lessons/no-such-lesson"))
        .await
        .unwrap();
    check_page(&client, tools, setup, "not-found", visited).await;

    // The educator pages, signed in with the keyboard.
    client.goto(&format!("{base}/educator")).await.unwrap();
    client
        .wait()
        .for_element(Locator::Id("token"))
        .await
        .unwrap();
    check_page(&client, tools, setup, "educator-sign-in", visited).await;
    tab_until(&client, "the token field", |f| f.1 == "password").await;
    type_text(&client, EDUCATOR_TOKEN).await;
    press(&client, Key::Enter.into()).await;
    client
        .wait()
        .for_element(Locator::Css("table"))
        .await
        .unwrap();
    check_page(&client, tools, setup, "educator-dashboard", visited).await;
    client
        .goto(&format!("{base}/educator/lessons/all-kinds"))
        .await
        .unwrap();
    check_page(&client, tools, setup, "educator-lesson", visited).await;
    client
        .goto(&format!("{base}/educator/lessons/all-kinds/preview"))
        .await
        .unwrap();
    check_page(&client, tools, setup, "educator-preview", visited).await;

    client.close().await.unwrap();
}

/// The raw HTML the server sends for every page kind (vnu checks what was sent, not the DOM).
fn served_pages(server: &Server) -> Visited {
    let lesson = Catalog::load(&fixture("good"))
        .unwrap()
        .lesson("all-kinds")
        .unwrap()
        .clone();
    let mut pages = Vec::new();
    let index = server.request("GET", "/", None, None);
    let cookie = index.set_cookie();
    pages.push(("index".to_string(), index.body.clone()));
    let reading = server.request("GET", "/lessons/all-kinds", Some(&cookie), None);
    pages.push(("reading".to_string(), reading.body.clone()));
    let attempt = server.start_quiz("all-kinds", &cookie);
    let quiz = server.request("GET", &attempt, Some(&cookie), None);
    pages.push(("quiz".to_string(), quiz.body.clone()));
    let mut fields = fill_quiz(&quiz, &lesson, Answers::AllWrong);
    fields.push(("q1".into(), "not a choice".into()));
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let rejected = server.request("POST", &attempt, Some(&cookie), Some(&form));
    pages.push(("quiz-with-problems".to_string(), rejected.body));
    fields.pop();
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    server.request("POST", &attempt, Some(&cookie), Some(&form));
    pages.push((
        "result".to_string(),
        server.request("GET", &attempt, Some(&cookie), None).body,
    ));
    pages.push((
        "not-found".to_string(),
        server.request("GET", "/nope", Some(&cookie), None).body,
    ));
    let sign_in = server.request("GET", "/educator/sign-in", Some(&cookie), None);
    pages.push(("educator-sign-in".to_string(), sign_in.body.clone()));
    let signed = server.request(
        "POST",
        "/educator/sign-in",
        Some(&cookie),
        Some(&format!("csrf={}&token={EDUCATOR_TOKEN}", sign_in.csrf())),
    );
    let educator = signed.set_cookie();
    let both = format!("{cookie}; {educator}");
    for (name, path) in [
        ("educator-dashboard", "/educator"),
        ("educator-lesson", "/educator/lessons/all-kinds"),
        ("educator-preview", "/educator/lessons/all-kinds/preview"),
    ] {
        let page = server.request("GET", path, Some(&both), None);
        assert_eq!(page.status, 200, "{path}");
        pages.push((name.to_string(), page.body));
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn students_and_educators_can_do_everything_with_a_keyboard_in_a_real_browser() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &fixture("good"),
        &dir.path().join("lectern.db"),
        &[("LECTERN_EDUCATOR_TOKEN", EDUCATOR_TOKEN)],
    );
    let mut visited = Vec::new();
    for setup in [
        Setup {
            javascript: true,
            phone: false,
            name: "desktop",
        },
        Setup {
            javascript: false,
            phone: false,
            name: "no-js",
        },
        Setup {
            javascript: true,
            phone: true,
            name: "phone",
        },
    ] {
        student_run(&tools, &server, setup, &mut visited).await;
    }
    if let Some(vnu) = &tools.vnu {
        let pages = served_pages(&server);
        assert_eq!(pages.len(), 10);
        if let Some(report) = vnu_errors(vnu, &pages, dir.path()) {
            panic!("the Nu HTML Checker found errors:\n{report}");
        }
    }
}

/// The bundled course is what students read first: every reading and a quiz drawn from it
/// pass axe and the Nu HTML Checker, and nothing in them (tables, long names, long prompts)
/// overflows a phone screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_course_reading_and_quiz_is_accessible_valid_and_fits_a_phone() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lessons = Path::new(ROOT).join("lessons");
    let server = Server::start(&lessons, &dir.path().join("lectern.db"));
    let base = format!("http://{}", server.addr);
    let course = Catalog::load(&lessons).unwrap();
    let driver = Driver::start(&tools);
    let profile = tempfile::tempdir().unwrap();
    let setup = Setup {
        javascript: true,
        phone: true,
        name: "course-phone",
    };
    let client = open_browser(&tools, &driver, setup, profile.path()).await;
    let mut visited = Vec::new();
    for lesson in course.lessons() {
        let id = &lesson.id;
        client.goto(&format!("{base}/lessons/{id}")).await.unwrap();
        check_page(
            &client,
            &tools,
            setup,
            &format!("{id}-reading"),
            &mut visited,
        )
        .await;
        start_quiz_on_reading(&client, id).await;
        check_page(&client, &tools, setup, &format!("{id}-quiz"), &mut visited).await;
    }
    client.close().await.unwrap();
    assert_eq!(visited.len(), 2 * course.lessons().len());
    if let Some(vnu) = &tools.vnu {
        // vnu checks the bytes the server sends, not the browser's DOM.
        let mut sent = Vec::new();
        for lesson in course.lessons() {
            let id = &lesson.id;
            let reading = server.request("GET", &format!("/lessons/{id}"), None, None);
            let cookie = reading.set_cookie();
            let attempt = server.start_quiz(id, &cookie);
            let quiz = server.request("GET", &attempt, Some(&cookie), None);
            assert_eq!(quiz.status, 200, "{id} quiz");
            sent.push((format!("{id}-reading"), reading.body));
            sent.push((format!("{id}-quiz"), quiz.body));
        }
        if let Some(report) = vnu_errors(vnu, &sent, dir.path()) {
            panic!("the Nu HTML Checker found errors in the course:\n{report}");
        }
    }
}

/// Clicks the start button of the reading page on screen and waits for the quiz form.
async fn start_quiz_on_reading(client: &Client, lesson_id: &str) {
    client
        .find(Locator::Css(&format!(
            "form[action='/lessons/{lesson_id}/attempts'] button"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("form.quiz"))
        .await
        .unwrap();
}

/// Fills the form field `name` on the current page by typing into it.
async fn fill(client: &Client, name: &str, value: &str) {
    let field = client
        .find(Locator::Css(&format!("[name='{name}']")))
        .await
        .unwrap_or_else(|_| panic!("a field named {name}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Clicks the button whose text contains `label` and waits for `then` on the next page.
async fn click_button(client: &Client, label: &str, then: &str) {
    let mut found = None;
    for button in client.find_all(Locator::Css("button")).await.unwrap() {
        if button.text().await.unwrap().contains(label) {
            found = Some(button);
            break;
        }
    }
    found
        .unwrap_or_else(|| panic!("a button {label:?}"))
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(then))
        .await
        .unwrap_or_else(|_| panic!("after {label:?}, {then}"));
}

/// The browser's cookies as a `Cookie` header, so the test can fetch the bytes the server
/// sends to that browser.
async fn cookie_header(client: &Client) -> String {
    client
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A class from beginning to end in a real browser on a phone-sized screen: an educator made
/// with `lectern educator add` sets a password, creates a class with a lesson due, a student
/// joins with the code, takes the quiz and sees it on the progress page, and the educator's
/// gradebook shows the score. Every page passes axe, fits the phone and passes vnu.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_from_its_creation_to_the_gradebook_works_in_a_real_browser_on_a_phone() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lectern.db");
    let server = Server::start(&fixture("good"), &db);
    let base = format!("http://{}", server.addr);
    let lesson = Catalog::load(&fixture("good"))
        .unwrap()
        .lesson("all-kinds")
        .unwrap()
        .clone();
    let added = Command::new(env!("CARGO_BIN_EXE_lectern"))
        .args(["educator", "add", "teacher", "--name", "Ms Teacher", "--db"])
        .arg(&db)
        .args(["--base-url", &base])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let out = String::from_utf8(added.stdout).unwrap();
    let link = out
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{base}/set-password/")))
        .unwrap_or_else(|| panic!("no link in {out}"))
        .to_string();

    let driver = Driver::start(&tools);
    let setup = Setup {
        javascript: true,
        phone: true,
        name: "class-phone",
    };
    let mut visited = Vec::new();
    let mut sent = Vec::new();

    // The educator sets a password and creates a class with the lesson due in 2099.
    let educator_profile = tempfile::tempdir().unwrap();
    let educator = open_browser(&tools, &driver, setup, educator_profile.path()).await;
    educator.goto(&link).await.unwrap();
    check_page(&educator, &tools, setup, "set-password", &mut visited).await;
    sent.push((
        "set-password".to_string(),
        server.request("GET", &link[base.len()..], None, None).body,
    ));
    fill(&educator, "password", "a long classroom passphrase").await;
    fill(&educator, "password_again", "a long classroom passphrase").await;
    click_button(&educator, "Set the password", "main").await;
    educator
        .goto(&format!("{base}/educator/classes"))
        .await
        .unwrap();
    check_page(&educator, &tools, setup, "classes", &mut visited).await;
    fill(&educator, "name", "Year 11 history").await;
    educator
        .find(Locator::Id("lesson-all-kinds"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // A date input takes keys in the browser's locale; set the value as a date picker would.
    educator
        .execute(
            "document.getElementById('due-all-kinds').value = '2099-06-30';",
            vec![],
        )
        .await
        .unwrap();
    click_button(&educator, "Create the class", ".join-code code").await;
    let class_url = educator.current_url().await.unwrap().to_string();
    let class_path = class_url[base.len()..].to_string();
    check_page(&educator, &tools, setup, "class", &mut visited).await;
    let code = educator
        .find(Locator::Css(".join-code code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(code.len(), 9, "a code shown as ABCD-EFGH: {code:?}");

    // The student joins with the code, takes the quiz and finds it on the progress page.
    let student_profile = tempfile::tempdir().unwrap();
    let student = open_browser(&tools, &driver, setup, student_profile.path()).await;
    student.goto(&format!("{base}/join")).await.unwrap();
    check_page(&student, &tools, setup, "join", &mut visited).await;
    sent.push((
        "join".to_string(),
        server.request("GET", "/join", None, None).body,
    ));
    fill(&student, "code", &code.to_lowercase()).await;
    fill(&student, "display_name", "Ani Student").await;
    fill(&student, "username", "ani").await;
    fill(&student, "password", "my own good passphrase").await;
    fill(&student, "password_again", "my own good passphrase").await;
    click_button(&student, "Join the class", ".progress-list").await;
    assert!(student.current_url().await.unwrap().path() == "/progress");
    let progress = student.source().await.unwrap();
    assert!(progress.contains("<dd>Not started</dd>"), "{progress}");
    assert!(progress.contains("2099"), "the due date shows: {progress}");
    student
        .goto(&format!("{base}/lessons/all-kinds"))
        .await
        .unwrap();
    start_quiz_on_reading(&student, "all-kinds").await;
    answer_with_keyboard(&student, &server, &lesson).await;
    let score = student
        .wait()
        .for_element(Locator::Id("score"))
        .await
        .unwrap();
    assert!(score.text().await.unwrap().contains("10 / 10"));
    student.goto(&format!("{base}/progress")).await.unwrap();
    check_page(&student, &tools, setup, "progress", &mut visited).await;
    let progress = student.source().await.unwrap();
    assert!(progress.contains("<dd>Submitted</dd>"), "{progress}");
    let student_cookie = cookie_header(&student).await;
    sent.push((
        "progress".to_string(),
        server
            .request("GET", "/progress", Some(&student_cookie), None)
            .body,
    ));
    student.goto(&format!("{base}/sign-in")).await.unwrap();
    sent.push((
        "sign-in".to_string(),
        server.request("GET", "/sign-in", None, None).body,
    ));
    check_page(&student, &tools, setup, "sign-in", &mut visited).await;
    student.close().await.unwrap();

    // The educator's gradebook shows the student's score; its cell opens their attempts.
    educator.goto(&class_url).await.unwrap();
    check_page(&educator, &tools, setup, "gradebook", &mut visited).await;
    let cell = educator
        .find(Locator::Css("table.gradebook tbody td a"))
        .await
        .unwrap();
    assert!(
        cell.text().await.unwrap().contains("100"),
        "the score shows"
    );
    cell.click().await.unwrap();
    educator
        .wait()
        .for_element(Locator::Css("main table"))
        .await
        .unwrap();
    let learner_url = educator.current_url().await.unwrap().to_string();
    check_page(&educator, &tools, setup, "learner", &mut visited).await;
    let educator_cookie = cookie_header(&educator).await;
    for (name, path) in [
        ("classes", "/educator/classes".to_string()),
        ("gradebook", class_path),
        ("learner", learner_url[base.len()..].to_string()),
    ] {
        let page = server.request("GET", &path, Some(&educator_cookie), None);
        assert_eq!(page.status, 200, "{path}");
        sent.push((name.to_string(), page.body));
    }
    educator.close().await.unwrap();

    if let Some(report) = tools
        .vnu
        .as_ref()
        .and_then(|vnu| vnu_errors(vnu, &sent, dir.path()))
    {
        panic!("the Nu HTML Checker found errors on the class pages:\n{report}");
    }
}
