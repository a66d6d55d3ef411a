//! Class join codes: eight characters from an alphabet without look-alikes (no 0/O, 1/I/L),
//! shown as `ABCD-EFGH` so they read well from a projector and type easily on a phone.

/// The letters and digits a code uses: none that can be mistaken for another.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a code (31^8: about 8.5 × 10^11 codes).
const LENGTH: usize = 8;

/// A well-formed join code, stored without its dash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClassCode(String);

/// Why typed text is not a join code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "A join code has 8 letters and digits, like ABCD-EFGH. Check the code your teacher gave you."
)]
pub struct NotAClassCode;

impl ClassCode {
    /// A new random code.
    pub fn generate() -> ClassCode {
        ClassCode(
            (0..LENGTH)
                .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
                .collect(),
        )
    }

    /// Reads what a person typed: case, spaces and dashes do not matter. A code never has
    /// 0, O, 1, I or L, so text with one was mistyped.
    pub fn parse(input: &str) -> Result<ClassCode, NotAClassCode> {
        let code: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(ClassCode(code))
        } else {
            Err(NotAClassCode)
        }
    }

    /// The code as stored (no dash).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClassCode {
    /// `ABCD-EFGH`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", &self.0[..4], &self.0[4..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_code_parses_back_however_it_is_typed() {
        for _ in 0..100 {
            let code = ClassCode::generate();
            let shown = code.to_string();
            assert_eq!(shown.len(), 9);
            assert_eq!(ClassCode::parse(&shown), Ok(code.clone()));
            assert_eq!(ClassCode::parse(&shown.to_lowercase()), Ok(code.clone()));
            assert_eq!(
                ClassCode::parse(&format!(" {} ", code.as_str())),
                Ok(code.clone())
            );
        }
    }

    #[test]
    fn text_that_cannot_be_a_code_is_refused() {
        for typed in [
            "",
            "ABCD-EFG",
            "ABCD-EFGHJ",
            "ABCD-EF0H",
            "ABCD-EFGO",
            "ABCD EFG!",
        ] {
            assert_eq!(ClassCode::parse(typed), Err(NotAClassCode), "{typed:?}");
        }
    }
}
