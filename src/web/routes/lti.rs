//! LTI 1.3 over HTTP: the tool's JWKS, the OIDC login, the launch (resource links and deep
//! linking), the deep-linking answer, and the background work (grade passback, framing).
//! The checks themselves are in `crate::lti`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::accounts::Role;
use crate::lti::token::{self, Expected};
use crate::lti::{Launch, LtiError, MessageType, keys};
use crate::sha256_hex;
use crate::store::{ClassLesson, LOGIN_LIFETIME_MS, Login, NewAccount, Platform, ToolKey};
use crate::web::auth::ClientIp;
use crate::web::error::AppError;
use crate::web::form::{CheckedForm, parse_form};
use crate::web::identity::start_signed_in_session;
use crate::web::session::{Session, constant_time_eq, cookie, random_token, set_cookie};
use crate::web::templates::{LtiDeepLinkPage, LtiDeepLinkReturnPage, LtiNewTabPage};
use crate::web::{AppState, CSP_NOT_FRAMED};

/// The cookie that binds a login's state to the browser that started it.
const STATE_COOKIE: &str = "lectern_lti_state";
/// Login parameters kept to start again in a new tab (the OIDC initiation's, LTI Core §4.1).
const LOGIN_PARAMS: [&str; 6] = [
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/lti/jwks", get(jwks))
        .route("/lti/login", get(login_get).post(login_post))
        .route("/lti/launch", post(launch))
        .route("/lti/deep-link", post(deep_link))
}

/// The tool's signing key, generated at first use (by whichever instance gets there first).
pub async fn signing_key(state: &AppState) -> Result<ToolKey, AppError> {
    let now = state.now_ms();
    state
        .with_store(move |s| keys::ensure_current(s, now))
        .await
}

async fn jwks(State(state): State<AppState>) -> Result<Response, AppError> {
    signing_key(&state).await?;
    let now = state.now_ms();
    let all = state.with_store(|s| s.lti().tool_keys()).await?;
    let published = keys::published(&all, now);
    Ok((
        [(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        )],
        Json(keys::jwks(&published)),
    )
        .into_response())
}

async fn login_get(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    // Each login stores a row for 10 minutes: it counts like starting a quiz.
    state.start_limiter.take(ip, Instant::now())?;
    start_login(&state, &headers, params).await
}

async fn login_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    state.start_limiter.take(ip, Instant::now())?;
    let params = parse_form(&headers, &body)?.into_iter().collect();
    start_login(&state, &headers, params).await
}

/// This server's address as the browser sees it (the registered redirect URI must match).
fn base_url(state: &AppState, headers: &HeaderMap) -> Result<String, AppError> {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', '\\', ' ', '@']))
        .ok_or_else(|| AppError::BadRequest("The request has no usable Host header.".into()))?;
    let scheme = if state.config.behind_https {
        "https"
    } else {
        "http"
    };
    Ok(format!("{scheme}://{host}"))
}

/// A cookie an LMS frame must keep. The launch arrives as a cross-site POST, often inside the
/// LMS's frame: over https the cookie must be SameSite=None, and Partitioned so browsers that
/// block third-party cookies keep it for this LMS. Plain http cannot do that; LTI needs https
/// (docs/lti.md).
fn embedded_cookie(state: &AppState, name: &str, value: &str, max_age: u64) -> HeaderValue {
    let same_site = if state.config.behind_https {
        "None; Partitioned"
    } else {
        "Lax"
    };
    set_cookie(name, value, max_age, same_site, state.config.behind_https)
}

fn state_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    embedded_cookie(state, STATE_COOKIE, value, max_age)
}

/// OIDC third-party login (IMS Security Framework §5.1.1): finds the platform, records a
/// state and nonce for this browser, and redirects to the platform's authorisation endpoint.
async fn start_login(
    state: &AppState,
    headers: &HeaderMap,
    params: BTreeMap<String, String>,
) -> Result<Response, AppError> {
    let get = |name: &'static str| params.get(name).filter(|v| !v.is_empty()).cloned();
    let issuer = get("iss").ok_or(LtiError::Missing("issuer (iss) of the login"))?;
    let login_hint = get("login_hint").ok_or(LtiError::Missing("login_hint of the login"))?;
    // Required by the spec, though the launch's own claim is what decides the lesson.
    get("target_link_uri").ok_or(LtiError::Missing("target_link_uri of the login"))?;
    let client_id = get("client_id");
    let platforms = state.with_store(|s| s.lti().platforms()).await?;
    let matching: Vec<&Platform> = platforms
        .iter()
        .filter(|p| p.issuer == issuer && client_id.as_ref().is_none_or(|c| *c == p.client_id))
        .collect();
    let platform = match matching.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(LtiError::UnknownPlatform { issuer, client_id }.into());
        }
        _ => return Err(LtiError::AmbiguousPlatform(issuer).into()),
    };
    let base = base_url(state, headers)?;
    let (state_value, nonce) = (random_token(), random_token());
    let kept: Vec<(String, String)> = LOGIN_PARAMS
        .iter()
        .filter_map(|n| get(n).map(|v| (n.to_string(), v)))
        .collect();
    let login = Login {
        nonce: nonce.clone(),
        platform_id: platform.id,
        params: serde_json::to_string(&kept).unwrap_or_default(),
    };
    let (hash, expires) = (sha256_hex(&state_value), state.now_ms() + LOGIN_LIFETIME_MS);
    state
        .with_store(move |s| s.lti().start_login(&hash, &login, expires))
        .await?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("scope", "openid")
        .append_pair("response_type", "id_token")
        .append_pair("response_mode", "form_post")
        .append_pair("prompt", "none")
        .append_pair("client_id", &platform.client_id)
        .append_pair("redirect_uri", &format!("{base}/lti/launch"))
        .append_pair("login_hint", &login_hint)
        .append_pair("state", &state_value)
        .append_pair("nonce", &nonce);
    if let Some(hint) = get("lti_message_hint") {
        query.append_pair("lti_message_hint", &hint);
    }
    let separator = if platform.auth_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let location = format!("{}{separator}{}", platform.auth_url, query.finish());
    Ok((
        StatusCode::FOUND,
        [
            (
                LOCATION,
                HeaderValue::from_str(&location).map_err(|_| {
                    AppError::BadRequest("The login makes an invalid address.".into())
                })?,
            ),
            (
                SET_COOKIE,
                state_cookie(state, &state_value, (LOGIN_LIFETIME_MS / 1000) as u64),
            ),
        ],
    )
        .into_response())
}

/// The launch (IMS Security Framework §5.1.3): checks the state against this browser, the
/// id_token against the platform, maps the user and course, and opens the lesson or class.
async fn launch(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    body: Bytes,
) -> Result<Response, AppError> {
    let fields: BTreeMap<String, String> = parse_form(&headers, &body)?.into_iter().collect();
    if let Some(error) = fields.get("error") {
        let detail = fields.get("error_description").map_or("", String::as_str);
        return Err(AppError::BadRequest(format!(
            "The platform did not sign you in ({error}). {detail}"
        )));
    }
    let given_state = fields
        .get("state")
        .filter(|s| !s.is_empty())
        .ok_or(LtiError::Missing("state"))?
        .clone();
    let id_token = fields
        .get("id_token")
        .filter(|s| !s.is_empty())
        .ok_or(LtiError::Missing("id_token"))?
        .clone();
    let now = state.now_ms();
    let hash = sha256_hex(&given_state);
    let login = state
        .with_store(move |s| s.lti().take_login(&hash, now))
        .await?
        .ok_or(LtiError::UnknownState)?;
    let bound = cookie(&headers, STATE_COOKIE)
        .is_some_and(|c| constant_time_eq(c.as_bytes(), given_state.as_bytes()));
    if !bound {
        // The login was started here, but this browser did not keep the cookie (third-party
        // cookies blocked in the LMS's frame): offer to start again in a tab of its own.
        let params: Vec<(String, String)> = serde_json::from_str(&login.params).unwrap_or_default();
        return Ok((StatusCode::OK, Html(LtiNewTabPage { params }.render()?)).into_response());
    }
    let platform_id = login.platform_id;
    let platform = state
        .with_store(move |s| s.lti().platform(platform_id))
        .await?
        .ok_or(LtiError::UnknownState)?;
    let kid = token::key_id(&id_token)?;
    let platform_keys = state.lti_client.keys(&platform.jwks_url, &kid).await?;
    let launch = token::verify(
        &id_token,
        &platform_keys,
        &Expected {
            issuer: &platform.issuer,
            client_id: &platform.client_id,
            nonce: &login.nonce,
            deployments: &platform.deployments,
            now_secs: now / 1000,
        },
    )?;
    let catalog = state.catalog();
    let lesson_id = match launch.message_type {
        MessageType::ResourceLink if !launch.teaches() || launch.context.is_none() => {
            let id = launch.lesson_id().ok_or(LtiError::NoLesson)?;
            if catalog.lesson(&id).is_none() {
                return Err(LtiError::UnknownLesson(id).into());
            }
            Some(id)
        }
        _ => launch.lesson_id().filter(|id| catalog.lesson(id).is_some()),
    };
    let (account, class_id) =
        map_user_and_course(&state, &platform, &launch, lesson_id.as_deref()).await?;
    let new_id = start_signed_in_session(&state, &session, &account).await?;
    let session_cookie = embedded_cookie(
        &state,
        crate::web::session::COOKIE_NAME,
        &new_id,
        60 * 60 * 24 * 365,
    );
    let clear_state = state_cookie(&state, "", 0);
    let mut response = match launch.message_type {
        MessageType::DeepLinking => {
            if !launch.teaches() {
                return Err(AppError::NotAllowed(
                    "Only a course's instructors can add lessons to it.".into(),
                ));
            }
            let settings = launch
                .deep_linking
                .clone()
                .ok_or(LtiError::Missing("deep_linking_settings"))?;
            let request = json!({
                "platform": platform.id,
                "deployment": launch.deployment_id,
                "return_url": settings.return_url,
                "data": settings.data,
                "multiple": settings.accept_multiple,
            })
            .to_string();
            let signed = format!(
                "{}.{}",
                state.keys.sign("lti-deep-link", &request),
                URL_SAFE_NO_PAD.encode(&request)
            );
            // The page's forms post with the new session's token.
            let csrf = state.keys.session(new_id.clone()).csrf;
            let page = LtiDeepLinkPage {
                csrf: &csrf,
                request: signed,
                multiple: settings.accept_multiple,
                lessons: catalog
                    .lessons()
                    .iter()
                    .filter(|l| l.quiz.is_some())
                    .map(|l| (l.id.clone(), l.title.clone()))
                    .collect(),
            };
            Html(page.render()?).into_response()
        }
        MessageType::ResourceLink => {
            let to = match (launch.teaches(), class_id, &lesson_id) {
                // The owner, or another instructor of the course (a co-teacher).
                (true, Some((class, _)), _) => format!("/educator/classes/{class}"),
                (_, _, Some(lesson)) => format!("/lessons/{lesson}"),
                _ => "/progress".to_string(),
            };
            (
                StatusCode::SEE_OTHER,
                [(
                    LOCATION,
                    HeaderValue::from_str(&to).map_err(|_| AppError::NotFound)?,
                )],
            )
                .into_response()
        }
    };
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, session_cookie);
    headers.append(SET_COOKIE, clear_state);
    Ok(response)
}

/// The LMS user's account (created at first launch), their course's class (created at first
/// launch from it), membership, the lesson assigned to the class, and where its grade goes.
async fn map_user_and_course(
    state: &AppState,
    platform: &Platform,
    launch: &Launch,
    lesson_id: Option<&str>,
) -> Result<(crate::store::Account, Option<(i64, Option<i64>)>), AppError> {
    let now = state.now_ms();
    let teaches = launch.teaches();
    let username = format!(
        "lti-{}",
        &sha256_hex(&format!("{}\n{}", platform.issuer, launch.subject))[..16]
    );
    let display_name = launch
        .name
        .as_deref()
        .and_then(|n| crate::accounts::DisplayName::parse(n).ok())
        .map_or_else(|| "LMS user".to_string(), |n| n.as_str().to_string());
    let new = NewAccount {
        username,
        display_name,
        role: if teaches {
            Role::Educator
        } else {
            Role::Student
        },
        password_hash: None,
        created_ms: now,
    };
    let (platform_id, subject) = (platform.id, launch.subject.clone());
    let context = launch.context.clone();
    let lineitem = launch.lineitem.clone();
    let lesson_id = lesson_id.map(str::to_string);
    state
        .with_store(move |s| {
            let account = s.lti().lti_account(platform_id, &subject, &new)?;
            let class = match &context {
                Some(c) => {
                    let name = c
                        .title
                        .clone()
                        .or_else(|| c.label.clone())
                        .unwrap_or_else(|| format!("Course {}", c.id));
                    let owner = teaches.then_some(account.id);
                    let class = s.lti().lti_class(platform_id, &c.id, &name, owner, now)?;
                    if !teaches {
                        s.accounts().join_class(class.id, account.id, now)?;
                    }
                    if let Some(lesson) = &lesson_id
                        && !class.lessons.iter().any(|l| &l.lesson_id == lesson)
                    {
                        let mut lessons = class.lessons.clone();
                        lessons.push(ClassLesson {
                            lesson_id: lesson.clone(),
                            due_ms: None,
                        });
                        s.accounts().update_class(class.id, &class.name, &lessons)?;
                    }
                    Some((class.id, class.owner_id))
                }
                None => None,
            };
            if let (Some(lesson), Some(lineitem), false) = (&lesson_id, &lineitem, teaches) {
                s.lti()
                    .set_grade_target(account.id, lesson, platform_id, lineitem, &subject)?;
            }
            Ok((account, class))
        })
        .await
}

/// The deep-linking answer (Deep Linking 2.0 §4.2): one ltiResourceLink per chosen lesson,
/// signed with the tool's key, posted back to the platform by the instructor's browser.
async fn deep_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: CheckedForm,
) -> Result<Response, AppError> {
    let form = form.named(&["request", "lesson"])?;
    let damaged = || AppError::BadRequest("The deep-linking request is damaged.".into());
    let (signature, encoded) = form.one("request").split_once('.').ok_or_else(damaged)?;
    let request = URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(damaged)?;
    if !constant_time_eq(
        state.keys.sign("lti-deep-link", &request).as_bytes(),
        signature.as_bytes(),
    ) {
        return Err(AppError::Forbidden(
            "The deep-linking request was altered.".into(),
        ));
    }
    let request: serde_json::Value = serde_json::from_str(&request)
        .map_err(|_| AppError::BadRequest("The deep-linking request is damaged.".into()))?;
    let platform_id = request["platform"].as_i64().unwrap_or_default();
    let platform = state
        .with_store(move |s| s.lti().platform(platform_id))
        .await?
        .ok_or(LtiError::UnknownState)?;
    let catalog = state.catalog();
    let chosen: Vec<&str> = form.all("lesson");
    if chosen.is_empty() {
        return Err(AppError::BadRequest("Choose at least one lesson.".into()));
    }
    if chosen.len() > 1 && !request["multiple"].as_bool().unwrap_or(false) {
        return Err(AppError::BadRequest(
            "Your course accepts one lesson at a time: choose one.".into(),
        ));
    }
    let base = base_url(&state, &headers)?;
    let mut items = Vec::new();
    for id in &chosen {
        let lesson = catalog
            .lesson(id)
            .ok_or_else(|| AppError::BadRequest(format!("There is no lesson {id}.")))?;
        items.push(json!({
            "type": "ltiResourceLink",
            "title": lesson.title,
            "text": lesson.summary,
            "url": format!("{base}/lti/launch"),
            "custom": { "lesson": lesson.id },
            "lineItem": {
                "scoreMaximum": 100,
                "label": lesson.title,
                "resourceId": lesson.id,
            },
        }));
    }
    let key = signing_key(&state).await?;
    let now_secs = state.now_ms() / 1000;
    let mut claims = json!({
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now_secs,
        "exp": now_secs + 600,
        "nonce": random_token(),
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": request["deployment"],
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": items,
    });
    if let Some(data) = request["data"].as_str() {
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = json!(data);
    }
    let jwt = keys::sign(&key, &claims).map_err(AppError::Internal)?;
    let return_url = request["return_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // This one form posts to the platform: the policy names its origin.
    let origin = origin_of(&return_url).ok_or_else(|| {
        AppError::BadRequest("The platform's return address is not valid.".into())
    })?;
    let policy = CSP_NOT_FRAMED.replace(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
    );
    let page = LtiDeepLinkReturnPage {
        return_url,
        jwt,
        count: chosen.len(),
    };
    Ok((
        [(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&policy).map_err(|_| {
                AppError::BadRequest("The platform's return address is not valid.".into())
            })?,
        )],
        Html(page.render()?),
    )
        .into_response())
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains(['\'', ';', ' ', '"', ',']))
        .then(|| format!("{scheme}://{host}"))
}

/// Lets registered platforms frame lectern: the policy lists their origins.
pub async fn refresh_framing_policy(state: &AppState) -> Result<(), AppError> {
    let platforms = state.with_store(|s| s.lti().platforms()).await?;
    let mut origins: Vec<String> = platforms
        .iter()
        .flat_map(|p| [origin_of(&p.issuer), origin_of(&p.auth_url)])
        .flatten()
        .collect();
    origins.sort();
    origins.dedup();
    let policy = (!origins.is_empty()).then(|| {
        CSP_NOT_FRAMED.replace(
            "frame-ancestors 'none'",
            &format!("frame-ancestors 'self' {}", origins.join(" ")),
        )
    });
    *state
        .framing_policy
        .write()
        .unwrap_or_else(|p| p.into_inner()) = policy.and_then(|p| HeaderValue::from_str(&p).ok());
    Ok(())
}

/// The background work of LTI, for as long as the server runs: grade passback every second
/// (the outbox survives restarts, so nothing is lost when the server stops), and the framing
/// policy every 30 seconds (platforms are registered from the command line).
pub fn spawn_background(state: AppState) {
    tokio::spawn(async move {
        let mut round = 0u64;
        loop {
            if round.is_multiple_of(30)
                && let Err(e) = refresh_framing_policy(&state).await
            {
                tracing::warn!("refreshing the LTI framing policy: {e}");
            }
            let sent = crate::lti::passback::send_due(
                state.store.clone(),
                state.catalog(),
                &state.lti_client,
                state.now_ms(),
            )
            .await;
            match sent {
                Ok(r) if r.sent + r.retrying + r.refused > 0 => tracing::info!(
                    "grade passback: {} sent, {} to retry, {} refused",
                    r.sent,
                    r.retrying,
                    r.refused
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("grade passback: {e}"),
            }
            round += 1;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}
