//! lectern: TOML lesson files in, server-rendered readings and scored quizzes out.

/// Accounts and classes as values: names, the password policy, join codes (pure).
pub mod accounts;
/// Loading a folder of lesson files (the only lesson-file I/O).
pub mod catalog;
/// The command line (`serve`, `check`).
pub mod cli;
/// Lesson model, strict TOML reader and validator (pure).
pub mod lesson;
pub mod lti;
/// Drawing, answer-form decoding and grading of quizzes (pure).
pub mod quiz;
/// Persistence of attempts (the only SQL).
pub mod store;
/// Watching the lessons folder for edits.
pub mod watch;
/// HTTP: router, sessions, pages, templates and the error page.
pub mod web;

/// Lowercase hex of the SHA-256 of `value`: what the store keeps of a secret (session ids,
/// one-time links, LTI states) and a lesson file's content hash.
pub fn sha256_hex(value: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(value.as_bytes()))
}

/// Lowercase hex of bytes (content hashes, tokens, signatures).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_two_lowercase_digits_per_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(super::hex(&[]), "");
    }
}
