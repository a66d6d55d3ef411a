//! LTI 1.3: lectern as a tool that Moodle, Canvas, Brightspace and other platforms launch.
//!
//! - [`keys`]: the tool's RSA key pairs, its JWKS, and signing the tool's own JWTs;
//! - [`token`]: checking a platform's id_token with every check of the LTI 1.3 and IMS
//!   Security Framework specifications, and reading its claims into a [`Launch`];
//! - [`client`]: calls to platforms (their JWKS, access tokens, scores), with caches;
//! - [`passback`]: sending the grades owed in the store's outbox, with retries.
//!
//! The HTTP side (login, launch, deep linking, JWKS) is `web::routes::lti`; what the store
//! keeps is `store::lti`.

pub mod client;
pub mod keys;
pub mod passback;
pub mod token;

pub use token::{DeepLinkingSettings, Launch, MessageType};

/// Why an LTI message was refused. Every variant is the launcher's or the platform's doing and
/// becomes a 4xx page that names the check that failed; none reveals a secret.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LtiError {
    #[error("The launch is missing its {0}.")]
    Missing(&'static str),
    #[error("No platform is registered with issuer {issuer}{}.", client_id.as_ref().map(|c| format!(" and client id {c}")).unwrap_or_default())]
    UnknownPlatform {
        issuer: String,
        client_id: Option<String>,
    },
    #[error(
        "Several registrations share the issuer {0}: the platform must send its client_id with the login."
    )]
    AmbiguousPlatform(String),
    #[error(
        "This launch was already used, has expired (after 10 minutes), or was not started here. Launch again from your course."
    )]
    UnknownState,
    #[error("The token is not a valid JWT: {0}.")]
    Malformed(String),
    #[error("Only RS256-signed tokens are accepted, and this one says {0}.")]
    WrongAlgorithm(String),
    #[error("The token's key id (kid) {0} is not among the platform's published keys.")]
    UnknownKey(String),
    #[error("The token's signature does not verify with the platform's keys.")]
    BadSignature,
    #[error("The token has expired: check that the platform's clock and this server's agree.")]
    Expired,
    #[error(
        "The token was issued in the future: check that the platform's clock and this server's agree."
    )]
    IssuedInFuture,
    #[error("The token's issuer is not the platform the login started with.")]
    WrongIssuer,
    #[error("The token's audience is not this tool's client id.")]
    WrongAudience,
    #[error("The token's authorised party (azp) is not this tool's client id.")]
    WrongAuthorisedParty,
    #[error("The token's nonce does not match the login's: it may be a replay.")]
    WrongNonce,
    #[error("The deployment id {0} is not registered for this platform.")]
    UnknownDeployment(String),
    #[error("The message type {0} is not one this tool handles.")]
    UnknownMessageType(String),
    #[error("The LTI version is {0}, not 1.3.0.")]
    WrongVersion(String),
    #[error("The claim {0} is not what the LTI specification says.")]
    BadClaim(&'static str),
    #[error("The platform's keys could not be fetched from {url}: {reason}.")]
    KeysUnavailable { url: String, reason: String },
    #[error("This link names the lesson {0}, which this lectern does not have.")]
    UnknownLesson(String),
    #[error("This link names no lesson: set the custom parameter lesson=ID or use deep linking.")]
    NoLesson,
}
