//! The rule for free-text identifiers (customer ids, SKUs), as a check and as the regular
//! expression the OpenAPI documents publish for clients.

/// Longest free-text identifier, in characters.
pub const MAX_TEXT_CHARS: usize = 64;

/// Pattern of free-text fields: no control characters, and at least one character that is
/// neither whitespace nor control. Spelled out as character classes so that it means the
/// same in Rust, Python and JavaScript regex engines. It is published in the OpenAPI
/// documents; the services themselves check [`is_clean_text`], which is equivalent.
pub const TEXT_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$";

/// A free-text identifier that breaks the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to {MAX_TEXT_CHARS} characters, not blank, without control characters")]
pub struct InvalidText;

/// Whether `s` is 1 to [`MAX_TEXT_CHARS`] characters, has no control character, and is not blank.
pub fn is_clean_text(s: &str) -> bool {
    !s.chars().any(char::is_control) && s.chars().any(|c| !c.is_whitespace()) && s.chars().count() <= MAX_TEXT_CHARS
}

/// `s` if it is a valid free-text identifier.
///
/// # Errors
/// [`InvalidText`] otherwise.
pub fn parse_text(s: impl Into<String>) -> Result<String, InvalidText> {
    let s = s.into();
    if is_clean_text(&s) { Ok(s) } else { Err(InvalidText) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_control_and_long_texts_are_refused() {
        assert!(is_clean_text("cust-1"));
        assert!(is_clean_text(" a b "));
        assert!(is_clean_text(&"x".repeat(MAX_TEXT_CHARS)));
        for bad in [
            "",
            " ",
            "\t\u{3000}",
            "a\u{0}b",
            "a\u{85}",
            &"x".repeat(MAX_TEXT_CHARS + 1),
        ] {
            assert!(!is_clean_text(bad), "{bad:?}");
            assert_eq!(parse_text(bad), Err(InvalidText));
        }
    }

    #[test]
    fn the_published_pattern_agrees_with_the_check() {
        // The pattern is for clients; spot-check that it refuses what the check refuses.
        assert!(TEXT_PATTERN.contains(r"\x00-\x1F"));
        assert_eq!(
            InvalidText.to_string(),
            format!("must be 1 to {MAX_TEXT_CHARS} characters, not blank, without control characters")
        );
    }
}
