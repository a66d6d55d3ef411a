//! The password policy (NIST SP 800-63B: length, no composition rules, no commonly used
//! passwords) and argon2id hashing into PHC strings. Only hashes are ever stored.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Fewest characters a password may have.
pub const MIN_LENGTH: usize = 8;
/// Most characters a password may have: long passphrases are welcome, but hashing a megabyte
/// of "password" would only cost the server.
pub const MAX_LENGTH: usize = 256;

/// Why a new password was refused, in words for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("Choose a password of at least 8 characters. A few words together make a good one.")]
    TooShort,
    #[error("Choose a password of at most 256 characters.")]
    TooLong,
    #[error(
        "That password is one of the most commonly used, so it is easy to guess. Choose another."
    )]
    Common,
    #[error("A password may not be, or contain, your username.")]
    ContainsUsername,
    #[error("A password may not be a single character repeated.")]
    Repetitive,
}

/// The bundled list of commonly used passwords, lowercase.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
});

/// Checks a password someone is choosing against the policy.
pub fn check_new_password(password: &str, username: &str) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordProblem::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordProblem::TooLong);
    }
    let folded = password.to_lowercase();
    if COMMON.contains(&folded) || COMMON.contains(folded.trim()) {
        return Err(PasswordProblem::Common);
    }
    if !username.is_empty() && folded.contains(&username.to_lowercase()) {
        return Err(PasswordProblem::ContainsUsername);
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(PasswordProblem::Repetitive);
    }
    Ok(())
}

/// The hasher: argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane), which OWASP's
/// password storage guidance lists as a minimum configuration.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The argon2id PHC string of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    argon2()
        .hash_password(password.as_bytes())
        .expect("argon2id with default parameters hashes any password up to MAX_LENGTH")
        .to_string()
}

/// Whether `password` matches the PHC string `stored`; a string that is not a valid hash
/// matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password.chars().count() > MAX_LENGTH {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(hash) => argon2().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, verified against when a username is unknown so that the
/// answer takes as long as for a wrong password (no enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: LazyLock<String> = LazyLock::new(|| hash_password("no account has this one"));
    &DECOY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_asks_for_length_and_refuses_common_and_guessable_passwords() {
        assert_eq!(
            check_new_password("short", "ani"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_new_password("PassWord1", "ani"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_new_password("12345678", "ani"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_new_password("my-ani.k-pass", "ani.k"),
            Err(PasswordProblem::ContainsUsername)
        );
        assert_eq!(
            check_new_password("zzzzzzzzzz", "ani"),
            Err(PasswordProblem::Repetitive)
        );
        assert_eq!(
            check_new_password(&"ab".repeat(129), "ani"),
            Err(PasswordProblem::TooLong)
        );
        // No composition rules: lowercase words with spaces are fine, as is any script.
        assert_eq!(check_new_password("correct horse battery", "ani"), Ok(()));
        assert_eq!(check_new_password("Ծիրանի ծառ 1988", "ani"), Ok(()));
    }

    #[test]
    fn a_hash_is_an_argon2id_phc_string_that_verifies_only_its_password() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert_ne!(hash, hash_password("correct horse battery"), "salted");
        assert!(!verify_password("anything at all", decoy_hash()));
    }

    #[test]
    fn the_bundled_list_is_loaded_and_every_entry_would_pass_the_length_rule() {
        assert!(COMMON.len() > 150);
        assert!(
            COMMON.iter().all(|p| p.chars().count() >= MIN_LENGTH),
            "{:?}",
            COMMON
                .iter()
                .filter(|p| p.chars().count() < MIN_LENGTH)
                .collect::<Vec<_>>()
        );
    }
}
