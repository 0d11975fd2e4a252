//! The voucher model the use cases work with.

use chrono::{DateTime, Utc};
use uuid::Uuid;

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
#[error("{0:?} is not a voucher code (16 characters of Crockford base32, e.g. 7K3M-QX9P-2HBD-W4RT)")]
pub struct InvalidCode(pub String);

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
            Err(InvalidCode(input.to_owned()))
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
}

impl std::fmt::Display for VoucherCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherStatus {
    Active,
    Redeemed,
}

impl VoucherStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Redeemed => "redeemed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Redeemed].into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    pub id: Uuid,
    pub code: VoucherCode,
    pub customer_id: String,
    /// The order that earned the voucher; one voucher per order.
    pub order_id: Uuid,
    pub amount_cents: i64,
    pub currency: String,
    pub status: VoucherStatus,
    pub issued_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
}

/// When an order earns a voucher and what it is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherPolicy {
    /// An order must total strictly more than this, in cents.
    pub threshold_cents: i64,
    pub amount_cents: i64,
    pub currency: String,
}

impl Default for VoucherPolicy {
    /// More than 100.00 EUR earns 5.00 EUR.
    fn default() -> Self {
        Self {
            threshold_cents: 10_000,
            amount_cents: 500,
            currency: "EUR".to_owned(),
        }
    }
}

/// Which vouchers to list: at least one filter is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherQuery {
    pub customer_id: Option<String>,
    pub order_id: Option<Uuid>,
    pub limit: u64,
}

impl VoucherQuery {
    pub const DEFAULT_LIMIT: u64 = 20;
    pub const MAX_LIMIT: u64 = 100;
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn generated_codes_are_grouped_crockford_and_distinct() {
        let codes: HashSet<_> = (0..1_000).map(|_| VoucherCode::generate()).collect();
        assert_eq!(codes.len(), 1_000);
        for code in &codes {
            let s = code.as_str();
            assert_eq!(s.len(), 19, "{s}");
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
