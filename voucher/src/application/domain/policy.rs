//! Which sent orders earn a voucher, and what the voucher is worth.

use std::fmt;

use checkout_domain::{Cents, Currency, InvalidText, Money};

use super::InvalidSentOrder;

/// An order earns a voucher of `amount` when its total is strictly more than `threshold`,
/// both in `currency`; orders in other currencies earn nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoucherPolicy {
    threshold: Cents,
    amount: Cents,
    currency: Currency,
}

/// A policy that would issue worthless vouchers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a voucher must be worth at least 1 cent")]
pub struct InvalidPolicy;

/// Why a sent order earns nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotEligible {
    Currency { order: String, policy: Currency },
    AtOrBelowThreshold { total: i64, threshold: Cents },
}

impl fmt::Display for NotEligible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Currency { order, policy } => write!(f, "currency {order} is not {policy}"),
            Self::AtOrBelowThreshold { total, threshold } => {
                write!(f, "total {total} cents does not exceed {}", threshold.get())
            }
        }
    }
}

/// What the policy decided for one sent order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Issue a voucher worth this much.
    Issue(Money),
    NotEligible(NotEligible),
}

impl VoucherPolicy {
    /// More than 100.00 EUR earns 5.00 EUR.
    pub const DEFAULT_THRESHOLD_CENTS: i64 = 10_000;
    pub const DEFAULT_AMOUNT_CENTS: i64 = 500;

    /// # Errors
    /// [`InvalidPolicy`] for an amount of zero.
    pub fn new(threshold: Cents, amount: Cents, currency: Currency) -> Result<Self, InvalidPolicy> {
        if amount == Cents::ZERO {
            return Err(InvalidPolicy);
        }
        Ok(Self {
            threshold,
            amount,
            currency,
        })
    }

    /// Whether an order worth `total` earns a voucher.
    pub fn decide(&self, total: Money) -> Decision {
        if total.currency != self.currency {
            return Decision::NotEligible(NotEligible::Currency {
                order: total.currency.code().to_owned(),
                policy: self.currency,
            });
        }
        self.decide_total(total.amount.get())
    }

    /// Why an order whose values break a rule of the domain earns nothing, judged as far as
    /// its values allow: a currency the system does not know is another currency, and a
    /// negative total is below the threshold.
    ///
    /// # Errors
    /// The customer id's [`InvalidText`] for an order whose total would earn a voucher: a
    /// bad customer id does not change what the total earns, but no voucher can be issued to it.
    pub fn decide_invalid(&self, order: &InvalidSentOrder) -> Result<NotEligible, InvalidText> {
        match order {
            InvalidSentOrder::Currency { currency, .. } => Ok(NotEligible::Currency {
                order: currency.0.clone(),
                policy: self.currency,
            }),
            InvalidSentOrder::Total(negative) => Ok(NotEligible::AtOrBelowThreshold {
                total: negative.0,
                threshold: self.threshold,
            }),
            InvalidSentOrder::Customer { total, error } => match self.decide(*total) {
                Decision::NotEligible(reason) => Ok(reason),
                Decision::Issue(_) => Err(*error),
            },
        }
    }

    fn decide_total(&self, total_cents: i64) -> Decision {
        if total_cents <= self.threshold.get() {
            return Decision::NotEligible(NotEligible::AtOrBelowThreshold {
                total: total_cents,
                threshold: self.threshold,
            });
        }
        Decision::Issue(Money::new(self.amount, self.currency))
    }
}

impl Default for VoucherPolicy {
    fn default() -> Self {
        Self {
            threshold: Cents::new(Self::DEFAULT_THRESHOLD_CENTS).expect("the default threshold is positive"),
            amount: Cents::new(Self::DEFAULT_AMOUNT_CENTS).expect("the default amount is positive"),
            currency: Currency::Eur,
        }
    }
}

#[cfg(test)]
mod tests {
    use checkout_domain::{NegativeAmount, UnsupportedCurrency};

    use super::*;

    fn five_euros() -> Decision {
        Decision::Issue(Money::new(Cents::new(500).unwrap(), Currency::Eur))
    }

    fn eur(cents: i64) -> Money {
        Money::new(Cents::new(cents).unwrap(), Currency::Eur)
    }

    #[test]
    fn more_than_100_eur_earns_5_eur() {
        let policy = VoucherPolicy::default();
        assert_eq!(policy.decide(eur(10_001)), five_euros());
        assert_eq!(policy.decide(eur(1_000_000)), five_euros());
    }

    #[test]
    fn exactly_100_eur_or_less_earns_nothing() {
        let policy = VoucherPolicy::default();
        for total in [10_000, 9_999, 0] {
            let decision = policy.decide(eur(total));
            assert!(
                matches!(decision, Decision::NotEligible(NotEligible::AtOrBelowThreshold { .. })),
                "{total}"
            );
        }
        let Decision::NotEligible(reason) = policy.decide(eur(10_000)) else {
            unreachable!()
        };
        assert_eq!(reason.to_string(), "total 10000 cents does not exceed 10000");
    }

    #[test]
    fn another_currency_earns_nothing() {
        let invalid = InvalidSentOrder::Currency {
            currency: UnsupportedCurrency("USD".into()),
            total_cents: 50_000,
        };
        let Ok(reason) = VoucherPolicy::default().decide_invalid(&invalid) else {
            panic!("USD earned a voucher");
        };
        assert_eq!(reason.to_string(), "currency USD is not EUR");
    }

    #[test]
    fn a_negative_total_earns_nothing() {
        let invalid = InvalidSentOrder::Total(NegativeAmount(-5));
        let Ok(reason) = VoucherPolicy::default().decide_invalid(&invalid) else {
            panic!("a negative total earned a voucher");
        };
        assert_eq!(reason.to_string(), "total -5 cents does not exceed 10000");
    }

    #[test]
    fn a_bad_customer_id_does_not_change_what_the_total_earns() {
        let policy = VoucherPolicy::default();
        let customer = |total| InvalidSentOrder::Customer {
            total: eur(total),
            error: InvalidText,
        };
        assert_eq!(policy.decide_invalid(&customer(10_001)), Err(InvalidText));
        assert!(matches!(
            policy.decide_invalid(&customer(10_000)),
            Ok(NotEligible::AtOrBelowThreshold { .. })
        ));
    }

    #[test]
    fn the_threshold_and_amount_are_the_policy_s() {
        let policy = VoucherPolicy::new(Cents::new(5_000).unwrap(), Cents::new(1_000).unwrap(), Currency::Eur).unwrap();
        assert_eq!(
            policy.decide(eur(5_001)),
            Decision::Issue(Money::new(Cents::new(1_000).unwrap(), Currency::Eur))
        );
        assert!(matches!(policy.decide(eur(5_000)), Decision::NotEligible(_)));
    }

    #[test]
    fn a_worthless_voucher_is_no_policy() {
        assert_eq!(
            VoucherPolicy::new(Cents::ZERO, Cents::ZERO, Currency::Eur),
            Err(InvalidPolicy)
        );
        assert!(VoucherPolicy::new(Cents::ZERO, Cents::new(1).unwrap(), Currency::Eur).is_ok());
    }
}
