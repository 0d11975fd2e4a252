//! Money as integer cents with its currency. Both services and the event between them speak
//! of amounts this way, so the type lives beside the event contract.

use std::{fmt, str::FromStr};

/// The currencies the system knows (ISO 4217). Orders and vouchers are in euros only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Currency {
    #[default]
    Eur,
}

impl Currency {
    pub const ALL: [Currency; 1] = [Currency::Eur];

    /// What a currency field must hold: `must be EUR`.
    pub fn rule() -> String {
        format!("must be {}", supported_codes())
    }

    /// The ISO 4217 code, as stored and sent on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Self::Eur => "EUR",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A currency code the system does not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a supported currency; only {codes} is accepted", codes = supported_codes())]
pub struct UnsupportedCurrency(pub String);

fn supported_codes() -> String {
    Currency::ALL.map(Currency::code).join(", ")
}

impl FromStr for Currency {
    type Err = UnsupportedCurrency;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::by_name(&Self::ALL, Self::code, s).ok_or_else(|| UnsupportedCurrency(s.to_owned()))
    }
}

/// A non-negative amount in minor units (cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(i64);

/// An amount below zero where only zero or more makes sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be zero or more cents, not {0}")]
pub struct NegativeAmount(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    /// # Errors
    /// [`NegativeAmount`] below zero.
    pub const fn new(cents: i64) -> Result<Self, NegativeAmount> {
        if cents < 0 {
            Err(NegativeAmount(cents))
        } else {
            Ok(Self(cents))
        }
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// `self * factor`, or `None` on overflow.
    pub fn checked_mul(self, factor: u32) -> Option<Cents> {
        self.0.checked_mul(i64::from(factor)).map(Cents)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cents", self.0)
    }
}

impl FromStr for Cents {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let cents: i64 = s
            .trim()
            .parse()
            .map_err(|e| format!("not a whole number of cents: {e}"))?;
        Cents::new(cents).map_err(|e| e.to_string())
    }
}

/// An amount of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub amount: Cents,
    pub currency: Currency,
}

impl Money {
    pub const fn new(amount: Cents, currency: Currency) -> Self {
        Self { amount, currency }
    }
}

impl fmt::Display for Money {
    /// `120.50 EUR`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = self.amount.get();
        write!(f, "{}.{:02} {}", cents / 100, cents % 100, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_round_trip_through_their_codes_and_others_are_refused() {
        for currency in Currency::ALL {
            assert_eq!(currency.code().parse(), Ok(currency));
        }
        let err = "USD".parse::<Currency>().unwrap_err();
        assert_eq!(err, UnsupportedCurrency("USD".into()));
        assert!(err.to_string().contains("only EUR"), "{err}");
        assert!("eur".parse::<Currency>().is_err());
    }

    #[test]
    fn amounts_are_never_negative() {
        assert_eq!(Cents::new(-1), Err(NegativeAmount(-1)));
        assert_eq!(Cents::new(0).map(Cents::get), Ok(0));
        assert!("-5".parse::<Cents>().is_err());
        assert!("1.5".parse::<Cents>().is_err());
        assert_eq!("500".parse::<Cents>().map(Cents::get), Ok(500));
    }

    #[test]
    fn arithmetic_reports_overflow() {
        let max = Cents::new(i64::MAX).unwrap();
        assert_eq!(max.checked_add(Cents::new(1).unwrap()), None);
        assert_eq!(max.checked_mul(2), None);
        assert_eq!(Cents::new(250).unwrap().checked_mul(3).map(Cents::get), Some(750));
    }

    #[test]
    fn money_reads_as_an_amount_with_its_currency() {
        assert_eq!(
            Money::new(Cents::new(12_050).unwrap(), Currency::Eur).to_string(),
            "120.50 EUR"
        );
        assert_eq!(
            Money::new(Cents::new(5).unwrap(), Currency::Eur).to_string(),
            "0.05 EUR"
        );
    }
}
