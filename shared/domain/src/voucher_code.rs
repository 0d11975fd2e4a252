//! Voucher codes: what they look like, how they are drawn, how input is read, and the
//! digest by which the order service knows a code without holding it.

use sha2::{Digest, Sha256};

/// Random bytes per code: 80 bits, well over the 60 needed to make guessing hopeless.
const CODE_BYTES: usize = 10;
/// Characters per code before grouping: 80 bits in base 32 is exactly 16 characters.
const CODE_CHARS: usize = 16;

/// A voucher code: 16 Crockford base32 characters from the OS CSPRNG, shown in groups of
/// four (`7K3M-QX9P-2HBD-W4RT`). Crockford's alphabet has no I, L, O or U, so codes read
/// aloud or typed by hand are hard to get wrong; parsing forgives case, missing hyphens
/// and the look-alikes I/L (for 1) and O (for 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoucherCode(String);

/// A string that cannot be a voucher code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a voucher code: 16 characters of Crockford base32, e.g. 7K3M-QX9P-2HBD-W4RT")]
pub struct InvalidCode;

impl VoucherCode {
    /// A fresh random code.
    ///
    /// # Panics
    /// If the operating system's random source fails, which leaves no safe way to go on.
    pub fn generate() -> Self {
        let mut bytes = [0u8; CODE_BYTES];
        getrandom::fill(&mut bytes).expect("the OS random number generator is available");
        let raw = base32::encode(base32::Alphabet::Crockford, &bytes);
        Self::group(&raw)
    }

    /// Parses user input into the canonical grouped form.
    ///
    /// # Errors
    /// [`InvalidCode`] when the input does not have 16 base32 characters.
    pub fn parse(input: &str) -> Result<Self, InvalidCode> {
        let normalized: String = input
            .chars()
            .filter(|c| *c != '-')
            .map(|c| match c.to_ascii_uppercase() {
                'I' | 'L' => '1',
                'O' => '0',
                other => other,
            })
            .collect();
        let valid = normalized.len() == CODE_CHARS
            && normalized
                .chars()
                .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && c != 'U'));
        if valid {
            Ok(Self::group(&normalized))
        } else {
            Err(InvalidCode)
        }
    }

    fn group(raw: &str) -> Self {
        let groups: Vec<&str> = (0..raw.len())
            .step_by(4)
            .map(|i| &raw[i..(i + 4).min(raw.len())])
            .collect();
        Self(groups.join("-"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the canonical form, in lowercase hex: what `voucher.issued` carries and
    /// the order service stores, so that neither the bus nor the order database holds a
    /// spendable code. With 80 random bits per code, no salt is needed against guessing.
    pub fn digest(&self) -> String {
        format!("{:x}", Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Display for VoucherCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Pattern of voucher codes as accepted in paths: 16 Crockford base32 characters (any case,
/// with I, L and O read as 1, 1 and 0), hyphens anywhere. Published in the OpenAPI document;
/// [`VoucherCode::parse`] is the check.
pub const VOUCHER_CODE_PATTERN: &str = r"^-*([0-9A-TV-Za-tv-z]-*){16}$";

/// Length of a code as stored and shown: 16 characters in four groups of four.
pub const VOUCHER_CODE_LEN: usize = CODE_CHARS + CODE_CHARS / 4 - 1;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const SHA256_OF_SAMPLE: &str = "56962a2a20df369c3ba8cf90f93264eff6075dd23fe00eda6aad78729849ec6e";

    #[test]
    fn generated_codes_are_grouped_crockford_and_distinct() {
        let codes: HashSet<_> = (0..1_000).map(|_| VoucherCode::generate()).collect();
        assert_eq!(codes.len(), 1_000);
        for code in &codes {
            let s = code.as_str();
            assert_eq!(s.len(), VOUCHER_CODE_LEN, "{s}");
            assert_eq!(s.matches('-').count(), 3, "{s}");
            assert!(!s.contains(['I', 'L', 'O', 'U']), "{s}");
            assert_eq!(VoucherCode::parse(s).as_ref(), Ok(code));
        }
    }

    #[test]
    fn parsing_forgives_case_hyphens_and_look_alikes() {
        let canonical = VoucherCode::parse("7K3M-QX9P-2HBD-W410").unwrap();
        assert_eq!(VoucherCode::parse("7k3mqx9p2hbdw4lo"), Ok(canonical.clone()));
        assert_eq!(VoucherCode::parse("7K3M-QX9P-2HBD-W4IO"), Ok(canonical));
    }

    #[test]
    fn the_digest_is_of_the_canonical_form() {
        let code = VoucherCode::parse("7K3M-QX9P-2HBD-W410").unwrap();
        assert_eq!(VoucherCode::parse("7k3mqx9p2hbdw4lo").unwrap().digest(), code.digest());
        // sha256("7K3M-QX9P-2HBD-W410"), computed independently (sha256sum).
        assert_eq!(code.digest(), SHA256_OF_SAMPLE);
        assert_ne!(VoucherCode::generate().digest(), code.digest());
    }

    #[test]
    fn malformed_codes_are_refused() {
        for input in [
            "",
            "7K3M-QX9P-2HBD",
            "7K3M-QX9P-2HBD-W4RTX",
            "7K3M-QX9P-2HBD-W4R!",
            "UUUU-UUUU-UUUU-UUUU",
        ] {
            assert!(VoucherCode::parse(input).is_err(), "{input}");
        }
    }
}
