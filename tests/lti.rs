//! LTI 1.3 end to end: a test platform on loopback (its own keys, JWKS, token and score
//! endpoints) and the real `lectern` binary. Login → launch → quiz → submit → the score
//! arrives; an instructor's launch opens the class; deep linking round trip; every check of
//! the id_token refuses a bad one with a 4xx that names it; a score owed while the platform is
//! down arrives after it is back, across a restart of lectern.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use common::{Answers, Page, Server, fill_quiz, fixture, vnu_errors, vnu_jar};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lectern::catalog::Catalog;
use lectern::lti::keys;
use lectern::store::ToolKey;
use serde_json::{Value, json};

const CLIENT_ID: &str = "lectern-client";
const DEPLOYMENT: &str = "deployment-1";

/// What the test platform saw and can be told.
#[derive(Default)]
struct Seen {
    scores: Mutex<Vec<Value>>,
    down: AtomicBool,
}

struct Platform {
    url: String,
    key: ToolKey,
    seen: Arc<Seen>,
    /// Where the platform finds the tool's keys (known once lectern runs).
    tool_jwks: Arc<Mutex<String>>,
    _runtime: tokio::runtime::Runtime,
}

#[derive(Clone)]
struct PlatformState {
    key: ToolKey,
    seen: Arc<Seen>,
    url: String,
    tool_jwks: Arc<Mutex<String>>,
}

async fn platform_jwks(State(s): State<PlatformState>) -> axum::Json<Value> {
    axum::Json(keys::jwks(&[&s.key]))
}

/// The token endpoint checks the tool's client assertion against the tool's own JWKS.
async fn platform_token(State(s): State<PlatformState>, body: String) -> (StatusCode, String) {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let assertion = form.get("client_assertion").cloned().unwrap_or_default();
    let jwks_url = s.tool_jwks.lock().unwrap().clone();
    let jwks: Option<JwkSet> = match reqwest::get(&jwks_url).await {
        Ok(r) => r.json().await.ok(),
        Err(_) => None,
    };
    let kid = jsonwebtoken::decode_header(&assertion)
        .ok()
        .and_then(|h| h.kid);
    let Some(key) = jwks
        .zip(kid)
        .and_then(|(jwks, kid)| DecodingKey::from_jwk(jwks.find(&kid)?).ok())
    else {
        return (StatusCode::UNAUTHORIZED, "{}".into());
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[format!("{}/token", s.url)]);
    validation.set_issuer(&[CLIENT_ID]);
    let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && jsonwebtoken::decode::<Value>(&assertion, &key, &validation).is_ok();
    if !ok {
        return (StatusCode::UNAUTHORIZED, "{}".into());
    }
    (
        StatusCode::OK,
        json!({"access_token": "granted", "token_type": "Bearer", "expires_in": 3600}).to_string(),
    )
}

async fn platform_score(
    State(s): State<PlatformState>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    if s.seen.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer granted")
        || headers.get("content-type").and_then(|v| v.to_str().ok())
            != Some("application/vnd.ims.lis.v1.score+json")
    {
        return StatusCode::UNAUTHORIZED;
    }
    s.seen
        .scores
        .lock()
        .unwrap()
        .push(serde_json::from_str(&body).unwrap());
    StatusCode::OK
}

impl Platform {
    fn start() -> Platform {
        // The platform's own calls (to the tool's JWKS) go through reqwest over rustls.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let key = keys::generate(0).unwrap();
        let seen = Arc::new(Seen::default());
        let state = PlatformState {
            key: key.clone(),
            seen: seen.clone(),
            url: url.clone(),
            tool_jwks: Arc::default(),
        };
        let tool_jwks = state.tool_jwks.clone();
        let app = Router::new()
            .route("/jwks", get(platform_jwks))
            .route("/token", post(platform_token))
            .route("/lineitems/{n}/scores", post(platform_score))
            .with_state(state);
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Platform {
            url,
            key,
            seen,
            tool_jwks,
            _runtime: runtime,
        }
    }

    /// Registers this platform in lectern's database with the command line.
    fn register(&self, db: &Path) {
        let out = Command::new(env!("CARGO_BIN_EXE_lectern"))
            .args(["lti", "add-platform", "--issuer", &self.url])
            .args(["--client-id", CLIENT_ID, "--deployment-id", DEPLOYMENT])
            .args(["--auth-url", &format!("{}/auth", self.url)])
            .args(["--token-url", &format!("{}/token", self.url)])
            .args(["--jwks-url", &format!("{}/jwks", self.url)])
            .arg("--db")
            .arg(db)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    fn scores(&self) -> Vec<Value> {
        self.seen.scores.lock().unwrap().clone()
    }
}

/// Every `name=value` a response sets, as one `Cookie` header.
fn cookies_of(page: &Page) -> String {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .filter(|c| !c.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The claims of a launch of `lesson` by `sub` with `role`, in course `course-1`.
fn claims(platform: &Platform, nonce: &str, sub: &str, role: &str) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    json!({
        "iss": platform.url,
        "aud": CLIENT_ID,
        "sub": sub,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "name": format!("Learner {sub}"),
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT,
        "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": "http://lectern.test/lti/launch",
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": { "id": "link-1" },
        "https://purl.imsglobal.org/spec/lti/claim/roles": [role],
        "https://purl.imsglobal.org/spec/lti/claim/context": { "id": "course-1", "title": "History 101" },
        "https://purl.imsglobal.org/spec/lti/claim/custom": { "lesson": "all-kinds" },
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": format!("{}/lineitems/1", platform.url),
        },
    })
}

const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";

/// An OIDC login at lectern: the redirect's state and nonce, and the browser's cookies.
fn login(server: &Server, platform: &Platform) -> (String, String, String) {
    let path = format!(
        "/lti/login?iss={}&login_hint=u&target_link_uri=http%3A%2F%2Flectern.test%2Flti%2Flaunch&client_id={CLIENT_ID}",
        platform.url
    );
    let page = server.request("GET", &path, None, None);
    assert_eq!(page.status, 302, "{}", page.body);
    let location = page.location().to_string();
    assert!(
        location.starts_with(&format!("{}/auth?", platform.url)),
        "{location}"
    );
    let query: HashMap<String, String> =
        form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["response_mode"], "form_post");
    assert_eq!(query["scope"], "openid");
    (
        query["state"].clone(),
        query["nonce"].clone(),
        cookies_of(&page),
    )
}

fn launch(server: &Server, cookies: &str, state: &str, id_token: &str) -> Page {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("state", state)
        .append_pair("id_token", id_token)
        .finish();
    server.request("POST", "/lti/launch", Some(cookies), Some(&body))
}

/// Logs in and launches with the claims `edit` makes, signed with the platform's key.
fn launch_with(
    server: &Server,
    platform: &Platform,
    edit: impl FnOnce(&mut Value),
) -> (Page, String) {
    let (state, nonce, cookies) = login(server, platform);
    let mut c = claims(platform, &nonce, "learner-1", LEARNER);
    edit(&mut c);
    let token = keys::sign(&platform.key, &c).unwrap();
    (launch(server, &cookies, &state, &token), cookies)
}

fn wait_for_scores(platform: &Platform, count: usize, within: Duration) -> Vec<Value> {
    let start = Instant::now();
    while start.elapsed() < within {
        let scores = platform.scores();
        if scores.len() >= count {
            return scores;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{count} score(s) expected, got {:?}", platform.scores());
}

/// Sets up a platform, a database it is registered in, and lectern on it.
fn setup(dir: &Path) -> (Platform, Server) {
    let platform = Platform::start();
    let db = dir.join("lectern.db");
    platform.register(&db);
    let server = Server::start(&fixture("good"), &db);
    *platform.tool_jwks.lock().unwrap() = format!("http://{}/lti/jwks", server.addr);
    (platform, server)
}

fn take_quiz(server: &Server, cookies: &str) {
    let lesson = Catalog::load(&fixture("good"))
        .unwrap()
        .lesson("all-kinds")
        .unwrap()
        .clone();
    let attempt = server.start_quiz("all-kinds", cookies);
    let quiz = server.request("GET", &attempt, Some(cookies), None);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fill_quiz(&quiz, &lesson, Answers::AllRight))
        .finish();
    let submitted = server.request("POST", &attempt, Some(cookies), Some(&form));
    assert_eq!(submitted.status, 303, "{}", submitted.body);
}

#[test]
fn a_learner_launched_from_the_lms_takes_the_quiz_and_the_score_arrives_in_its_gradebook() {
    let dir = tempfile::tempdir().unwrap();
    let (platform, server) = setup(dir.path());
    let (page, _) = launch_with(&server, &platform, |_| {});
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), "/lessons/all-kinds");
    let session = cookies_of(&page);
    assert!(session.contains("lectern_session="), "{session}");
    take_quiz(&server, &session);
    let scores = wait_for_scores(&platform, 1, Duration::from_secs(10));
    let score = &scores[0];
    assert_eq!(score["userId"], "learner-1");
    assert_eq!(score["scoreGiven"], 100.0);
    assert_eq!(score["scoreMaximum"], 100.0);
    assert_eq!(score["activityProgress"], "Completed");
    assert_eq!(score["gradingProgress"], "FullyGraded");
    assert!(score["timestamp"].as_str().unwrap().ends_with('Z'));

    // The instructor's launch opens the course's class, with the learner in its gradebook.
    let (state, nonce, cookies) = login(&server, &platform);
    let mut c = claims(&platform, &nonce, "teacher-1", INSTRUCTOR);
    c["name"] = json!("Ms Teacher");
    let page = launch(
        &server,
        &cookies,
        &state,
        &keys::sign(&platform.key, &c).unwrap(),
    );
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        page.location().starts_with("/educator/classes/"),
        "{}",
        page.location()
    );
    let class = server.request("GET", page.location(), Some(&cookies_of(&page)), None);
    assert_eq!(class.status, 200, "{}", class.body);
    assert!(class.body.contains("History 101"), "{}", class.body);
    assert!(class.body.contains("Learner learner-1"), "{}", class.body);
    assert!(class.body.contains("100"), "{}", class.body);

    // A second instructor of the course sees the same class.
    let (state, nonce, cookies) = login(&server, &platform);
    let c = claims(&platform, &nonce, "teacher-2", INSTRUCTOR);
    let second = launch(
        &server,
        &cookies,
        &state,
        &keys::sign(&platform.key, &c).unwrap(),
    );
    assert_eq!(second.location(), page.location());
    let seen = server.request("GET", second.location(), Some(&cookies_of(&second)), None);
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(seen.body.contains("Learner learner-1"), "{}", seen.body);
}

/// A way to launch badly.
type BadLaunch<'a> = Box<dyn Fn(&Server, &Platform) -> Page + 'a>;

#[test]
fn every_check_of_the_id_token_refuses_a_bad_launch_with_a_4xx_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (platform, server) = setup(dir.path());
    let other = keys::generate(0).unwrap();
    let cases: Vec<(&str, BadLaunch<'_>, &str)> = vec![
        (
            "bad signature",
            Box::new(|s, p| {
                let (state, nonce, cookies) = login(s, p);
                // Signed by another key under the platform's key id.
                let mut forged = other.clone();
                forged.kid = p.key.kid.clone();
                let token = keys::sign(&forged, &claims(p, &nonce, "x", LEARNER)).unwrap();
                launch(s, &cookies, &state, &token)
            }),
            "signature does not verify",
        ),
        (
            "expired",
            Box::new(|s, p| launch_with(s, p, |c| c["exp"] = json!(1_000_000)).0),
            "expired",
        ),
        (
            "wrong audience",
            Box::new(|s, p| launch_with(s, p, |c| c["aud"] = json!("someone-else")).0),
            "audience",
        ),
        (
            "unknown deployment",
            Box::new(|s, p| {
                launch_with(s, p, |c| {
                    c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = json!("nope")
                })
                .0
            }),
            "deployment id nope",
        ),
        (
            "missing message type",
            Box::new(|s, p| {
                launch_with(s, p, |c| {
                    c.as_object_mut()
                        .unwrap()
                        .remove("https://purl.imsglobal.org/spec/lti/claim/message_type");
                })
                .0
            }),
            "message_type",
        ),
        (
            "wrong version",
            Box::new(|s, p| {
                launch_with(s, p, |c| {
                    c["https://purl.imsglobal.org/spec/lti/claim/version"] = json!("1.1")
                })
                .0
            }),
            "not 1.3.0",
        ),
        (
            "alg none",
            Box::new(|s, p| {
                let (state, nonce, cookies) = login(s, p);
                use base64::Engine;
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                let token = format!(
                    "{}.{}.",
                    b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
                    b64.encode(claims(p, &nonce, "x", LEARNER).to_string())
                );
                launch(s, &cookies, &state, &token)
            }),
            "Only RS256",
        ),
        (
            "HS256 keyed with the public key",
            Box::new(|s, p| {
                let (state, nonce, cookies) = login(s, p);
                let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
                header.kid = Some(p.key.kid.clone());
                let secret =
                    jsonwebtoken::EncodingKey::from_secret(p.key.public_n.as_bytes()).unwrap();
                let token =
                    jsonwebtoken::encode(&header, &claims(p, &nonce, "x", LEARNER), &secret)
                        .unwrap();
                launch(s, &cookies, &state, &token)
            }),
            "Only RS256",
        ),
        (
            "replayed token",
            Box::new(|s, p| {
                let (state, nonce, cookies) = login(s, p);
                let token = keys::sign(&p.key, &claims(p, &nonce, "x", LEARNER)).unwrap();
                let first = launch(s, &cookies, &state, &token);
                assert_eq!(first.status, 303, "{}", first.body);
                // The same token again, with a fresh login: the nonce is not the new one's.
                let (state, _, cookies) = login(s, p);
                launch(s, &cookies, &state, &token)
            }),
            "nonce does not match",
        ),
        (
            "state used twice",
            Box::new(|s, p| {
                let (state, nonce, cookies) = login(s, p);
                let token = keys::sign(&p.key, &claims(p, &nonce, "x", LEARNER)).unwrap();
                let _ = launch(s, &cookies, &state, &token);
                launch(s, &cookies, &state, &token)
            }),
            "already used",
        ),
        (
            "unknown lesson",
            Box::new(|s, p| {
                launch_with(s, p, |c| {
                    c["https://purl.imsglobal.org/spec/lti/claim/custom"] =
                        json!({"lesson": "no-such"})
                })
                .0
            }),
            "no-such",
        ),
    ];
    for (name, run, says) in cases {
        let page = run(&server, &platform);
        assert!(
            page.status.is_client_error(),
            "{name}: {} {}",
            page.status,
            page.body
        );
        let message = page.text_of("main");
        assert!(message.contains(says), "{name}: {message}");
    }
}

#[test]
fn a_blocked_cookie_offers_a_new_tab_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let (platform, server) = setup(dir.path());
    let (state, nonce, _) = login(&server, &platform);
    let token = keys::sign(&platform.key, &claims(&platform, &nonce, "x", LEARNER)).unwrap();
    let page = launch(&server, "", &state, &token);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("target=\"_blank\""), "{}", page.body);
    assert!(
        page.body.contains(&format!("value=\"{}\"", platform.url)),
        "{}",
        page.body
    );
    if let Some(vnu) = vnu_jar() {
        let pages = [("new-tab".to_string(), page.body.clone())];
        if let Some(report) = vnu_errors(&vnu, &pages, dir.path()) {
            panic!("the Nu HTML Checker found errors:\n{report}");
        }
    }
}

#[test]
fn a_score_owed_while_the_platform_is_down_arrives_after_it_is_back_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (platform, server) = setup(dir.path());
    let (page, _) = launch_with(&server, &platform, |_| {});
    let session = cookies_of(&page);
    platform.seen.down.store(true, Ordering::SeqCst);
    take_quiz(&server, &session);
    std::thread::sleep(Duration::from_secs(2));
    assert!(platform.scores().is_empty());
    // The instructor sees the grade waiting, with the platform's answer.
    let (state, nonce, cookies) = login(&server, &platform);
    let c = claims(&platform, &nonce, "teacher-1", INSTRUCTOR);
    let page = launch(
        &server,
        &cookies,
        &state,
        &keys::sign(&platform.key, &c).unwrap(),
    );
    let (class, teacher) = (page.location().to_string(), cookies_of(&page));
    let waiting = server
        .request("GET", &class, Some(&teacher), None)
        .text_of("#passback");
    assert!(waiting.contains("waiting: 1 failed tries"), "{waiting}");
    assert!(waiting.contains("503"), "{waiting}");

    drop(server);
    let server = Server::start(&fixture("good"), &dir.path().join("lectern.db"));
    *platform.tool_jwks.lock().unwrap() = format!("http://{}/lti/jwks", server.addr);
    platform.seen.down.store(false, Ordering::SeqCst);
    let scores = wait_for_scores(&platform, 1, Duration::from_secs(30));
    assert_eq!(scores[0]["scoreGiven"], 100.0);
    std::thread::sleep(Duration::from_millis(300));
    let delivered = server
        .request("GET", &class, Some(&teacher), None)
        .text_of("#passback");
    assert!(delivered.contains("delivered"), "{delivered}");
    assert!(delivered.contains("100%"), "{delivered}");
    drop(server);
}

#[test]
fn deep_linking_returns_a_signed_link_per_chosen_lesson() {
    let dir = tempfile::tempdir().unwrap();
    let (platform, server) = setup(dir.path());
    let (state, nonce, cookies) = login(&server, &platform);
    let mut c = claims(&platform, &nonce, "teacher-1", INSTRUCTOR);
    let map = c.as_object_mut().unwrap();
    map.insert(
        "https://purl.imsglobal.org/spec/lti/claim/message_type".into(),
        json!("LtiDeepLinkingRequest"),
    );
    map.remove("https://purl.imsglobal.org/spec/lti/claim/resource_link");
    map.insert(
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
        json!({
            "deep_link_return_url": format!("{}/deep-link-return", platform.url),
            "accept_types": ["ltiResourceLink"],
            "accept_multiple": true,
            "data": "opaque-42",
        }),
    );
    let page = launch(
        &server,
        &cookies,
        &state,
        &keys::sign(&platform.key, &c).unwrap(),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let session = cookies_of(&page);
    let picker = page.body.clone();
    let html = page.html();
    let request = html
        .select(&scraper::Selector::parse("input[name=request]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_string();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &page.csrf())
        .append_pair("request", &request)
        .append_pair("lesson", "all-kinds")
        .append_pair("lesson", "timed")
        .finish();
    let answer = server.request("POST", "/lti/deep-link", Some(&session), Some(&body));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let csp = answer.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' {}", platform.url)),
        "{csp}"
    );
    let html = answer.html();
    let form = html
        .select(&scraper::Selector::parse("form").unwrap())
        .find(|f| f.value().attr("action") == Some(&format!("{}/deep-link-return", platform.url)))
        .expect("a form back to the platform");
    let jwt = form
        .select(&scraper::Selector::parse("input[name=JWT]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap();
    // The picker and the answer page are valid HTML (the Nu HTML Checker, where installed).
    if let Some(vnu) = vnu_jar() {
        let pages = [
            ("deep-link-picker".to_string(), picker),
            ("deep-link-return".to_string(), answer.body.clone()),
        ];
        if let Some(report) = vnu_errors(&vnu, &pages, dir.path()) {
            panic!("the Nu HTML Checker found errors:\n{report}");
        }
    }
    let jwks: JwkSet =
        serde_json::from_str(&server.request("GET", "/lti/jwks", None, None).body).unwrap();
    let kid = jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&platform.url]);
    validation.set_issuer(&[CLIENT_ID]);
    let claims = jsonwebtoken::decode::<Value>(
        jwt,
        &DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque-42"
    );
    let items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["type"], "ltiResourceLink");
    assert_eq!(items[0]["custom"]["lesson"], "all-kinds");
    assert_eq!(items[0]["lineItem"]["scoreMaximum"], 100);
}
