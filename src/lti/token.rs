//! Checking a platform's id_token (IMS Security Framework §5.1.3, LTI Core 1.3 §5) and reading
//! its claims. Signature, algorithm, issuer, audience and times are checked by jsonwebtoken;
//! the rest here. Pure: the caller brings the platform's keys.

use std::collections::BTreeMap;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::LtiError;

/// Clock difference tolerated between platform and tool, in seconds.
pub const LEEWAY_SECS: u64 = 60;

const MESSAGE_TYPE: &str = "https://purl.imsglobal.org/spec/lti/claim/message_type";
const VERSION: &str = "https://purl.imsglobal.org/spec/lti/claim/version";
const DEPLOYMENT_ID: &str = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
const TARGET_LINK_URI: &str = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri";
const RESOURCE_LINK: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
const ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";
const CONTEXT: &str = "https://purl.imsglobal.org/spec/lti/claim/context";
const CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";
const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const DEEP_LINKING: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
/// The AGS scope that lets the tool post scores.
pub const SCORE_SCOPE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";

/// Context roles that open the educator's view of the course's class.
const TEACHING_ROLES: [&str; 5] = [
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    // LTI 1.3 still allows the simple names for context roles.
    "Instructor",
];

/// What the platform asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Open a resource (a lesson, or the class for an instructor).
    ResourceLink,
    /// An instructor is choosing content to add to the course.
    DeepLinking,
}

/// The course the launch comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub id: String,
    pub title: Option<String>,
    pub label: Option<String>,
}

/// What a deep-linking request allows the answer to contain.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepLinkingSettings {
    pub return_url: String,
    pub accept_multiple: bool,
    /// Opaque: must come back unchanged.
    pub data: Option<String>,
}

/// A launch whose id_token passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub message_type: MessageType,
    /// The platform's id of the user (`sub`).
    pub subject: String,
    pub name: Option<String>,
    pub deployment_id: String,
    pub roles: Vec<String>,
    pub context: Option<Context>,
    pub target_link_uri: String,
    pub custom: BTreeMap<String, String>,
    /// The line item to post scores to, when the platform grants the score scope.
    pub lineitem: Option<String>,
    pub deep_linking: Option<DeepLinkingSettings>,
}

impl Launch {
    /// Whether the user teaches in the launch's course.
    pub fn teaches(&self) -> bool {
        self.roles
            .iter()
            .any(|r| TEACHING_ROLES.contains(&r.as_str()))
    }

    /// The lesson the launch opens: the custom parameter `lesson`, else a `target_link_uri`
    /// ending in `/lessons/{id}`.
    pub fn lesson_id(&self) -> Option<String> {
        if let Some(id) = self.custom.get("lesson").filter(|id| !id.is_empty()) {
            return Some(id.clone());
        }
        let path = self.target_link_uri.split(['?', '#']).next()?;
        let (_, id) = path.rsplit_once("/lessons/")?;
        (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
    }
}

/// The key id of an id_token, after refusing any algorithm but RS256 (no `none`, no HS256
/// signed with a public key).
pub fn key_id(id_token: &str) -> Result<String, LtiError> {
    // The header is read before the signature is checked, only to pick the key; a header
    // naming any other algorithm ("none", HS256 …) is refused before anything else.
    let named = algorithm_named(id_token);
    if named != "RS256" {
        return Err(LtiError::WrongAlgorithm(named));
    }
    let header =
        jsonwebtoken::decode_header(id_token).map_err(|e| LtiError::Malformed(e.to_string()))?;
    if header.alg != Algorithm::RS256 {
        return Err(LtiError::WrongAlgorithm(format!("{:?}", header.alg)));
    }
    header
        .kid
        .ok_or(LtiError::Missing("key id (kid) in the token's header"))
}

/// The `alg` a token's header names, whatever it is (for the message).
fn algorithm_named(id_token: &str) -> String {
    use base64::Engine;
    id_token
        .split('.')
        .next()
        .and_then(|h| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .ok()
        })
        .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
        .and_then(|h| h.get("alg").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "an unknown algorithm".into())
}

/// What the launch must match.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub deployments: &'a [String],
    pub now_secs: i64,
}

/// Checks the id_token against the platform's keys and the login, and reads its claims.
pub fn verify(id_token: &str, keys: &JwkSet, expected: &Expected<'_>) -> Result<Launch, LtiError> {
    let kid = key_id(id_token)?;
    let jwk = keys.find(&kid).ok_or(LtiError::UnknownKey(kid))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| LtiError::Malformed(e.to_string()))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = LEEWAY_SECS;
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .map_err(|e| match e.into_kind() {
            ErrorKind::InvalidSignature => LtiError::BadSignature,
            ErrorKind::ExpiredSignature => LtiError::Expired,
            ErrorKind::ImmatureSignature => LtiError::IssuedInFuture,
            ErrorKind::InvalidIssuer => LtiError::WrongIssuer,
            ErrorKind::InvalidAudience => LtiError::WrongAudience,
            ErrorKind::InvalidAlgorithm => LtiError::WrongAlgorithm("another algorithm".into()),
            ErrorKind::MissingRequiredClaim(claim) => LtiError::Missing(match claim.as_str() {
                "exp" => "expiry time (exp)",
                "iat" => "issue time (iat)",
                "iss" => "issuer (iss)",
                "aud" => "audience (aud)",
                "sub" => "user (sub): anonymous launches are not supported",
                _ => "required claims",
            }),
            other => LtiError::Malformed(format!("{other:?}")),
        })?
        .claims;
    check_claims(&claims, expected)
}

fn string<'a>(claims: &'a Value, name: &'static str) -> Result<&'a str, LtiError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(LtiError::Missing(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(LtiError::BadClaim(name)),
    }
}

fn optional_string(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_string)
}

/// The checks jsonwebtoken does not make, then the claims.
fn check_claims(claims: &Value, expected: &Expected<'_>) -> Result<Launch, LtiError> {
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(LtiError::BadClaim("iat"))?;
    if iat > expected.now_secs + LEEWAY_SECS as i64 {
        return Err(LtiError::IssuedInFuture);
    }
    // With several audiences, azp must name this tool; when present it must anyway.
    let several_audiences = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1);
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != expected.client_id => return Err(LtiError::WrongAuthorisedParty),
        None if several_audiences => return Err(LtiError::Missing("authorised party (azp)")),
        _ => {}
    }
    if string(claims, "nonce").map_err(|_| LtiError::Missing("nonce"))? != expected.nonce {
        return Err(LtiError::WrongNonce);
    }
    let version = string(claims, VERSION)?;
    if version != "1.3.0" {
        return Err(LtiError::WrongVersion(version.to_string()));
    }
    let deployment_id = string(claims, DEPLOYMENT_ID)?;
    if !expected.deployments.iter().any(|d| d == deployment_id) {
        return Err(LtiError::UnknownDeployment(deployment_id.to_string()));
    }
    let message_type = match string(claims, MESSAGE_TYPE)? {
        "LtiResourceLinkRequest" => MessageType::ResourceLink,
        "LtiDeepLinkingRequest" => MessageType::DeepLinking,
        other => return Err(LtiError::UnknownMessageType(other.to_string())),
    };
    let roles = match claims.get(ROLES) {
        None => return Err(LtiError::Missing(ROLES)),
        Some(Value::Array(roles)) => roles
            .iter()
            .map(|r| {
                r.as_str()
                    .map(str::to_string)
                    .ok_or(LtiError::BadClaim(ROLES))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(LtiError::BadClaim(ROLES)),
    };
    let target_link_uri = match message_type {
        MessageType::ResourceLink => {
            let link = claims
                .get(RESOURCE_LINK)
                .ok_or(LtiError::Missing(RESOURCE_LINK))?;
            if link
                .get("id")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(LtiError::BadClaim(RESOURCE_LINK));
            }
            string(claims, TARGET_LINK_URI)?.to_string()
        }
        // A deep-linking request need not carry one.
        MessageType::DeepLinking => optional_string(claims, TARGET_LINK_URI).unwrap_or_default(),
    };
    let context = match claims.get(CONTEXT) {
        None | Some(Value::Null) => None,
        Some(c) => Some(Context {
            id: optional_string(c, "id")
                .filter(|id| !id.is_empty())
                .ok_or(LtiError::BadClaim(CONTEXT))?,
            title: optional_string(c, "title"),
            label: optional_string(c, "label"),
        }),
    };
    let custom = match claims.get(CUSTOM) {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect(),
        None | Some(Value::Null) => BTreeMap::new(),
        Some(_) => return Err(LtiError::BadClaim(CUSTOM)),
    };
    let lineitem = claims.get(AGS_ENDPOINT).and_then(|ags| {
        let scopes = ags.get("scope")?.as_array()?;
        scopes
            .iter()
            .any(|s| s.as_str() == Some(SCORE_SCOPE))
            .then(|| optional_string(ags, "lineitem"))?
    });
    let deep_linking = match message_type {
        MessageType::DeepLinking => {
            let settings = claims
                .get(DEEP_LINKING)
                .ok_or(LtiError::Missing(DEEP_LINKING))?;
            Some(DeepLinkingSettings {
                return_url: optional_string(settings, "deep_link_return_url")
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                    .ok_or(LtiError::BadClaim(DEEP_LINKING))?,
                accept_multiple: settings
                    .get("accept_multiple")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                data: optional_string(settings, "data"),
            })
        }
        MessageType::ResourceLink => None,
    };
    let name = optional_string(claims, "name").or_else(|| {
        let given = optional_string(claims, "given_name").unwrap_or_default();
        let family = optional_string(claims, "family_name").unwrap_or_default();
        let full = format!("{given} {family}").trim().to_string();
        (!full.is_empty()).then_some(full)
    });
    Ok(Launch {
        message_type,
        subject: string(claims, "sub")?.to_string(),
        name,
        deployment_id: deployment_id.to_string(),
        roles,
        context,
        target_link_uri,
        custom,
        lineitem,
        deep_linking,
    })
}
