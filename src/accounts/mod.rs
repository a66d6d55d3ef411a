//! Accounts and classes as values: usernames, display names, the password policy and hashing,
//! class join codes and roles. Pure: no I/O, no HTTP, no SQL (hashing is CPU work only).

pub mod class_code;
pub mod password;

pub use class_code::ClassCode;
pub use password::{PasswordProblem, check_new_password, hash_password, verify_password};

/// The database id of an account.
pub type AccountId = i64;
/// The database id of a class.
pub type ClassId = i64;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Takes quizzes; joins classes with a code.
    Student,
    /// Creates classes and follows their learners.
    Educator,
}

impl Role {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Educator => "educator",
        }
    }

    /// The role a stored name stands for.
    pub fn from_name(name: &str) -> Option<Role> {
        match name {
            "student" => Some(Role::Student),
            "educator" => Some(Role::Educator),
            _ => None,
        }
    }
}

/// Why a username or display name was refused, in words for the person typing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    #[error("Choose a username of 3 to 32 characters.")]
    UsernameLength,
    #[error(
        "A username may use only the letters a to z, digits, and . _ - (no spaces); it is not case-sensitive."
    )]
    UsernameCharacters,
    #[error("Give a display name of 1 to 80 characters.")]
    DisplayNameLength,
    #[error("A display name may not contain control characters.")]
    DisplayNameCharacters,
}

/// A username: 3–32 of `a-z 0-9 . _ -`, compared without case (stored lowercase).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Reads what a person typed: trimmed and lowercased, then checked.
    pub fn parse(input: &str) -> Result<Username, NameProblem> {
        let name = input.trim().to_lowercase();
        if !(3..=32).contains(&name.chars().count()) {
            return Err(NameProblem::UsernameLength);
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            return Err(NameProblem::UsernameCharacters);
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name shown to educators and on a learner's own pages: 1–80 characters, trimmed, no
/// control characters, any script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<DisplayName, NameProblem> {
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if !(1..=80).contains(&name.chars().count()) {
            return Err(NameProblem::DisplayNameLength);
        }
        if name.chars().any(char::is_control) {
            return Err(NameProblem::DisplayNameCharacters);
        }
        Ok(DisplayName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_lowercased_and_limited_to_a_plain_alphabet() {
        assert_eq!(Username::parse("  Ani.K_1 ").unwrap().as_str(), "ani.k_1");
        assert_eq!(Username::parse("ab"), Err(NameProblem::UsernameLength));
        assert_eq!(
            Username::parse(&"a".repeat(33)),
            Err(NameProblem::UsernameLength)
        );
        assert_eq!(
            Username::parse("ani k"),
            Err(NameProblem::UsernameCharacters)
        );
        assert_eq!(Username::parse("anı"), Err(NameProblem::UsernameCharacters));
    }

    #[test]
    fn display_names_take_any_script_and_fold_white_space() {
        assert_eq!(
            DisplayName::parse("  Անի   Կարապետյան ").unwrap().as_str(),
            "Անի Կարապետյան"
        );
        assert_eq!(
            DisplayName::parse("   "),
            Err(NameProblem::DisplayNameLength)
        );
        assert_eq!(
            DisplayName::parse("a\u{7}b"),
            Err(NameProblem::DisplayNameCharacters)
        );
    }

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in [Role::Student, Role::Educator] {
            assert_eq!(Role::from_name(role.as_str()), Some(role));
        }
        assert_eq!(Role::from_name("admin"), None);
    }
}
