//! The rule for free-text identifiers (customer ids, SKUs), as a check and as the regular
//! expression the OpenAPI documents publish for clients.

/// Pattern of free-text fields: no control characters, and at least one character that is
/// neither whitespace nor control. Spelled out as character classes so that it means the
/// same in Rust, Python and JavaScript regex engines. It is published in the OpenAPI
/// documents; the services themselves check [`is_clean_text`], which is equivalent.
pub const TEXT_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$";

/// Pattern of voucher codes as accepted in paths: 16 Crockford base32 characters (any case,
/// with I, L and O read as 1, 1 and 0), hyphens anywhere.
pub const VOUCHER_CODE_PATTERN: &str = r"^-*([0-9A-TV-Za-tv-z]-*){16}$";

/// Whether `s` is 1 to `max_chars` characters, has no control character, and is not blank.
pub fn is_clean_text(s: &str, max_chars: usize) -> bool {
    !s.chars().any(char::is_control) && s.chars().any(|c| !c.is_whitespace()) && s.chars().count() <= max_chars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_control_and_long_texts_are_refused() {
        assert!(is_clean_text("cust-1", 64));
        assert!(is_clean_text(" a b ", 64));
        for bad in ["", " ", "\t\u{3000}", "a\u{0}b", "a\u{85}", &"x".repeat(65)] {
            assert!(!is_clean_text(bad, 64), "{bad:?}");
        }
    }
}
