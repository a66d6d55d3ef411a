//! Strict reading of `application/x-www-form-urlencoded` bodies: every field in order (repeats
//! kept), real UTF-8 only, with caps on the number of fields.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use percent_encoding::percent_decode;

use super::error::AppError;
use super::session::{CSRF_FIELD, Session, check_csrf};

/// A posted form whose CSRF token matched the session's: what every POST handler takes.
/// Holds the other fields, in order.
pub struct CheckedForm(pub Vec<(String, String)>);

/// A form's fields by name, each name one of those the form has (see [`CheckedForm::named`]).
pub struct NamedFields(Vec<(&'static str, String)>);

impl NamedFields {
    /// The first value of `name`, or "" when the form did not send it (an unticked box).
    pub fn one(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order (ticked boxes of one group).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl CheckedForm {
    /// The fields by name; a field whose name is not in `names` is refused.
    pub fn named(self, names: &[&'static str]) -> Result<NamedFields, AppError> {
        let mut named = Vec::with_capacity(self.0.len());
        for (name, value) in self.0 {
            match names.iter().find(|n| **n == name) {
                Some(n) => named.push((*n, value)),
                None => {
                    return Err(AppError::BadRequest(format!(
                        "The form has an unexpected field `{}`.",
                        name.chars().take(40).collect::<String>()
                    )));
                }
            }
        }
        Ok(NamedFields(named))
    }

    /// Refuses any field besides the CSRF token (forms that are only a button).
    pub fn without_fields(self) -> Result<(), AppError> {
        match self.0.first() {
            None => Ok(()),
            Some((name, _)) => Err(AppError::BadRequest(format!(
                "The form has an unexpected field `{}`.",
                name.chars().take(40).collect::<String>()
            ))),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for CheckedForm {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let session = request
            .extensions()
            .get::<Session>()
            .cloned()
            .ok_or_else(|| AppError::Internal("session layer missing".into()))?;
        let headers = request.headers().clone();
        let body =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
                    _ => AppError::BadRequest("The request body could not be read.".into()),
                })?;
        let mut fields = parse_form(&headers, &body)?;
        let token = take_field(&mut fields, CSRF_FIELD)?;
        check_csrf(&headers, &session.csrf, token.as_deref())?;
        Ok(CheckedForm(fields))
    }
}

/// Most fields a form may carry (a quiz of 100 match questions of 2 pairs stays well below).
pub const MAX_FIELDS: usize = 1000;

/// The posted fields, name and value, in order.
pub fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(AppError::UnsupportedMediaType);
    }
    let mut fields = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        if fields.len() == MAX_FIELDS {
            return Err(AppError::BadRequest(format!(
                "The form has more than {MAX_FIELDS} fields."
            )));
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        fields.push((decode(name)?, decode(value)?));
    }
    Ok(fields)
}

fn decode(raw: &[u8]) -> Result<String, AppError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&plus_as_space)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| AppError::BadRequest("The form contains text that is not valid UTF-8.".into()))
}

/// Takes the one CSRF field out of `fields`; a repeated one is refused.
pub fn take_field(
    fields: &mut Vec<(String, String)>,
    name: &str,
) -> Result<Option<String>, AppError> {
    let mut found = None;
    let mut duplicate = false;
    fields.retain(|(n, v)| {
        if n == name {
            duplicate |= found.replace(v.clone()).is_some();
            false
        } else {
            true
        }
    });
    if duplicate {
        return Err(AppError::BadRequest(format!(
            "The field `{name}` was sent more than once."
        )));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn form_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        h
    }

    #[test]
    fn fields_decode_in_order_with_plus_and_percent_escapes() {
        let fields = parse_form(&form_headers(), b"a=1&q2=x+y&q2=%C3%A9&empty=&bare").unwrap();
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("a", "1"),
                ("q2", "x y"),
                ("q2", "é"),
                ("empty", ""),
                ("bare", "")
            ]
        );
    }

    #[test]
    fn bad_bodies_get_clear_errors() {
        assert!(matches!(
            parse_form(&HeaderMap::new(), b"a=1"),
            Err(AppError::UnsupportedMediaType)
        ));
        assert!(matches!(
            parse_form(&form_headers(), b"a=%FF%FE"),
            Err(AppError::BadRequest(_))
        ));
        let many = vec!["a=1"; MAX_FIELDS + 1].join("&");
        assert!(matches!(
            parse_form(&form_headers(), many.as_bytes()),
            Err(AppError::BadRequest(_))
        ));
        let mut dup = vec![
            ("csrf".to_string(), "a".to_string()),
            ("csrf".to_string(), "b".to_string()),
        ];
        assert!(take_field(&mut dup, "csrf").is_err());
    }
}
