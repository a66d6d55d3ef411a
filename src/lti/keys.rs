//! The tool's RSA key pairs: generated at first use, kept in the store, published at
//! `/lti/jwks`, rotated with `lectern lti rotate-key`.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde::Serialize;
use serde_json::{Value, json};

use crate::store::{Store, StoreError, ToolKey};

/// How long a replaced key stays published, so JWTs it signed just before still verify and
/// platforms that cache the JWKS pick up the new key.
pub const GRACE_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// RSA modulus size: what the IMS Security Framework asks of RS256 keys, at least.
const BITS: usize = 2048;

/// Generates a new key pair (a fraction of a second to a few seconds: primes).
pub fn generate(now_ms: i64) -> Result<ToolKey, String> {
    let private = rsa::PrivateKey::new(&mut rand::rng(), BITS)
        .map_err(|e| format!("generating an RSA key: {e}"))?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("encoding the RSA key: {e}"))?
        .to_string();
    let encoding = EncodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|e| format!("reading the new RSA key: {e}"))?;
    let jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
        .map_err(|e| format!("deriving the public key: {e}"))?;
    let AlgorithmParameters::RSA(public) = jwk.algorithm else {
        return Err("the new key is not an RSA key".into());
    };
    Ok(ToolKey {
        kid: crate::web::session::random_token(),
        private_pem: pem,
        public_n: public.n,
        public_e: public.e,
        created_ms: now_ms,
        retired_ms: None,
    })
}

/// The key that signs now, generated at first use (by whichever instance gets there first:
/// the store adds a first key only when there is none).
pub fn ensure_current(store: &dyn Store, now_ms: i64) -> Result<ToolKey, StoreError> {
    if let Some(key) = current(&store.lti().tool_keys()?) {
        return Ok(key.clone());
    }
    let key = generate(now_ms).map_err(StoreError::Unavailable)?;
    store.lti().add_tool_key(&key, true)?;
    current(&store.lti().tool_keys()?)
        .cloned()
        .ok_or_else(|| StoreError::Corrupt("no LTI key after adding one".into()))
}

/// The key that signs now: the newest one not retired.
pub fn current(keys: &[ToolKey]) -> Option<&ToolKey> {
    keys.iter()
        .filter(|k| k.retired_ms.is_none())
        .max_by_key(|k| k.created_ms)
}

/// The keys to publish: the current one and those retired less than [`GRACE_MS`] ago.
pub fn published(keys: &[ToolKey], now_ms: i64) -> Vec<&ToolKey> {
    keys.iter()
        .filter(|k| k.retired_ms.is_none_or(|at| at + GRACE_MS > now_ms))
        .collect()
}

/// The JWKS document of `keys`.
pub fn jwks(keys: &[&ToolKey]) -> Value {
    json!({
        "keys": keys.iter().map(|k| json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": k.kid,
            "n": k.public_n,
            "e": k.public_e,
        })).collect::<Vec<_>>()
    })
}

/// Signs `claims` as an RS256 JWT with `key`, naming it in the header's `kid`.
pub fn sign<T: Serialize>(key: &ToolKey, claims: &T) -> Result<String, String> {
    let encoding = EncodingKey::from_rsa_pem(key.private_pem.as_bytes())
        .map_err(|e| format!("reading the tool's key {}: {e}", key.kid))?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &encoding).map_err(|e| format!("signing a JWT: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, created_ms: i64, retired_ms: Option<i64>) -> ToolKey {
        ToolKey {
            kid: kid.into(),
            private_pem: String::new(),
            public_n: String::new(),
            public_e: String::new(),
            created_ms,
            retired_ms,
        }
    }

    #[test]
    fn the_newest_unretired_key_signs_and_retired_keys_stay_published_for_the_grace_period() {
        let keys = [key("old", 0, Some(100)), key("new", 100, None)];
        assert_eq!(current(&keys).unwrap().kid, "new");
        let kids = |now| -> Vec<String> {
            published(&keys, now)
                .iter()
                .map(|k| k.kid.clone())
                .collect()
        };
        assert_eq!(kids(100 + GRACE_MS - 1), ["old", "new"]);
        assert_eq!(kids(100 + GRACE_MS), ["new"]);
    }
}
