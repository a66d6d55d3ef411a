//! Calls from lectern to platforms: their public keys, access tokens for grades, and scores.
//! Over rustls; every call has a timeout; keys and tokens are cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use serde_json::json;

use super::LtiError;
use crate::store::{Platform, PlatformId, ToolKey};

/// How long a platform's JWKS is trusted before it is fetched again (a launch signed with an
/// unknown key id fetches it at once, at most once per [`REFETCH_GAP`]).
const KEYS_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// A burst of launches with a bogus key id must not make lectern hammer the platform.
const REFETCH_GAP: Duration = Duration::from_secs(10);
/// Any call to a platform.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Why a score was not delivered.
#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    /// Worth trying again later: the platform is down, slow, or answered 5xx, 429 or 401.
    Retry(String),
    /// The platform refused it for good (another 4xx): trying again would not help.
    Refused(String),
}

/// A score for one user on one line item (LTI AGS 2.0 §3.4).
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub user_id: String,
    pub given: f64,
    pub maximum: f64,
    /// RFC 3339, with milliseconds: platforms keep the score with the latest timestamp.
    pub timestamp: String,
}

struct Cached<T> {
    value: T,
    until: Instant,
}

/// The HTTP client to platforms, with its caches. One per server.
pub struct PlatformClient {
    http: reqwest::Client,
    keys: Mutex<HashMap<String, (JwkSet, Instant)>>,
    tokens: Mutex<HashMap<PlatformId, Cached<String>>>,
}

impl Default for PlatformClient {
    fn default() -> Self {
        PlatformClient::new()
    }
}

impl PlatformClient {
    pub fn new() -> PlatformClient {
        // rustls needs one process-wide cryptography provider; a second install is refused,
        // harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("lectern/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        PlatformClient {
            http,
            keys: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// The platform's keys, from cache when it holds `kid` and is fresh; else fetched.
    pub async fn keys(&self, jwks_url: &str, kid: &str) -> Result<JwkSet, LtiError> {
        let cached = self
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(jwks_url)
            .cloned();
        if let Some((keys, fetched)) = &cached {
            let fresh = fetched.elapsed() < KEYS_LIFETIME;
            if (fresh && keys.find(kid).is_some()) || fetched.elapsed() < REFETCH_GAP {
                return Ok(keys.clone());
            }
        }
        let unavailable = |reason: String| LtiError::KeysUnavailable {
            url: jwks_url.to_string(),
            reason,
        };
        let response = self
            .http
            .get(jwks_url)
            .send()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(unavailable(format!("it answered {}", response.status())));
        }
        let keys: JwkSet = response
            .json()
            .await
            .map_err(|e| unavailable(format!("not a JWKS: {}", e.without_url())))?;
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(jwks_url.to_string(), (keys.clone(), Instant::now()));
        Ok(keys)
    }

    /// An access token for posting scores: client credentials with a JWT assertion signed by
    /// the tool's key (RFC 7523, IMS Security Framework §4.1), cached until shortly before it
    /// expires.
    pub async fn access_token(
        &self,
        platform: &Platform,
        key: &ToolKey,
        now_secs: i64,
    ) -> Result<String, SendError> {
        if let Some(token) = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&platform.id)
            .filter(|t| t.until > Instant::now())
        {
            return Ok(token.value.clone());
        }
        let assertion = super::keys::sign(
            key,
            &json!({
                "iss": platform.client_id,
                "sub": platform.client_id,
                "aud": platform.token_audience.as_deref().unwrap_or(&platform.token_url),
                "iat": now_secs,
                "exp": now_secs + 300,
                "jti": crate::web::session::random_token(),
            }),
        )
        .map_err(SendError::Retry)?;
        let response = self
            .http
            .post(&platform.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
                ("scope", super::token::SCORE_SCOPE),
            ])
            .send()
            .await
            .map_err(|e| SendError::Retry(format!("token request: {}", e.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            let message = format!("the token endpoint answered {status}");
            // A refused client is a registration problem the administrator can fix: retried.
            return Err(SendError::Retry(message));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| SendError::Retry(format!("token answer: {}", e.without_url())))?;
        let token = body
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| SendError::Retry("the token answer has no access_token".into()))?
            .to_string();
        let lifetime = body
            .get("expires_in")
            .and_then(|e| e.as_u64())
            .unwrap_or(3600);
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                platform.id,
                Cached {
                    value: token.clone(),
                    until: Instant::now() + Duration::from_secs(lifetime.saturating_sub(60)),
                },
            );
        Ok(token)
    }

    /// Posts a score to the line item's `/scores` endpoint.
    pub async fn post_score(
        &self,
        platform: &Platform,
        key: &ToolKey,
        lineitem_url: &str,
        score: &Score,
        now_secs: i64,
    ) -> Result<(), SendError> {
        let token = self.access_token(platform, key, now_secs).await?;
        let response = self
            .http
            .post(scores_url(lineitem_url))
            .bearer_auth(&token)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/vnd.ims.lis.v1.score+json",
            )
            .body(
                json!({
                    "userId": score.user_id,
                    "scoreGiven": score.given,
                    "scoreMaximum": score.maximum,
                    "activityProgress": "Completed",
                    "gradingProgress": "FullyGraded",
                    "timestamp": score.timestamp,
                })
                .to_string(),
            )
            .send()
            .await
            .map_err(|e| SendError::Retry(format!("score request: {}", e.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status == reqwest::StatusCode::UNAUTHORIZED {
            // The token may have been revoked early: the next try gets a new one.
            self.tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&platform.id);
        }
        let message = format!("the platform answered {status} to the score");
        if status.is_server_error()
            || status == reqwest::StatusCode::UNAUTHORIZED
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            Err(SendError::Retry(message))
        } else {
            Err(SendError::Refused(message))
        }
    }
}

/// The scores endpoint of a line item: `/scores` added to its path, before any query.
pub fn scores_url(lineitem_url: &str) -> String {
    match lineitem_url.split_once('?') {
        Some((path, query)) => format!("{}/scores?{query}", path.trim_end_matches('/')),
        None => format!("{}/scores", lineitem_url.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scores_go_to_the_line_items_path_with_its_query_kept() {
        assert_eq!(
            super::scores_url("https://lms.example/api/lti/courses/1/line_items/7"),
            "https://lms.example/api/lti/courses/1/line_items/7/scores"
        );
        assert_eq!(
            super::scores_url(
                "https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem?type_id=3"
            ),
            "https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=3"
        );
    }
}
