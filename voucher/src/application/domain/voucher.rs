//! The voucher entity.

use std::{fmt, str::FromStr};

use checkout_domain::{CustomerId, Money};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::VoucherCode;

/// A voucher's id: a UUIDv7, so ids sort by issue time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VoucherId(Uuid);

impl VoucherId {
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for VoucherId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoucherStatus {
    Active,
    Redeemed,
}

/// A name that is not a voucher status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a voucher status")]
pub struct UnknownVoucherStatus(pub String);

impl VoucherStatus {
    pub const ALL: [VoucherStatus; 2] = [Self::Active, Self::Redeemed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Redeemed => "redeemed",
        }
    }
}

impl FromStr for VoucherStatus {
    type Err = UnknownVoucherStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        checkout_domain::by_name(&Self::ALL, Self::as_str, s).ok_or_else(|| UnknownVoucherStatus(s.to_owned()))
    }
}

/// A second redemption of a voucher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the voucher was already redeemed")]
pub struct AlreadyRedeemed;

/// A stored voucher that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidVoucher {
    #[error("a voucher is redeemed exactly when it has a redemption time")]
    RedemptionTime,
    #[error("a voucher must be worth at least 1 cent")]
    Worthless,
}

/// A voucher as stored, before the domain has checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVoucher {
    pub id: VoucherId,
    pub code: VoucherCode,
    pub customer_id: CustomerId,
    pub order_id: Uuid,
    pub value: Money,
    pub status: VoucherStatus,
    pub issued_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
}

/// A voucher a sent order earned. One per order; redeemed at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    id: VoucherId,
    code: VoucherCode,
    customer_id: CustomerId,
    order_id: Uuid,
    value: Money,
    status: VoucherStatus,
    issued_at: DateTime<Utc>,
    redeemed_at: Option<DateTime<Utc>>,
}

impl Voucher {
    /// A new, active voucher worth `value` for the customer of order `order_id`.
    pub fn issue(code: VoucherCode, customer_id: CustomerId, order_id: Uuid, value: Money, now: DateTime<Utc>) -> Self {
        Self {
            id: VoucherId::generate(),
            code,
            customer_id,
            order_id,
            value,
            status: VoucherStatus::Active,
            // PostgreSQL keeps microseconds; so does the model.
            issued_at: now.trunc_subsecs(6),
            redeemed_at: None,
        }
    }

    /// A voucher read back from storage, checked against the same rules.
    ///
    /// # Errors
    /// [`InvalidVoucher`] when the stored voucher breaks a rule.
    pub fn restore(stored: StoredVoucher) -> Result<Self, InvalidVoucher> {
        if (stored.status == VoucherStatus::Redeemed) != stored.redeemed_at.is_some() {
            return Err(InvalidVoucher::RedemptionTime);
        }
        if stored.value.amount.get() == 0 {
            return Err(InvalidVoucher::Worthless);
        }
        Ok(Self {
            id: stored.id,
            code: stored.code,
            customer_id: stored.customer_id,
            order_id: stored.order_id,
            value: stored.value,
            status: stored.status,
            issued_at: stored.issued_at,
            redeemed_at: stored.redeemed_at,
        })
    }

    /// Redeems the voucher at `at`.
    ///
    /// # Errors
    /// [`AlreadyRedeemed`] if it was redeemed before; it stays as it was.
    pub fn redeem(&mut self, at: DateTime<Utc>) -> Result<(), AlreadyRedeemed> {
        if self.status == VoucherStatus::Redeemed {
            return Err(AlreadyRedeemed);
        }
        self.status = VoucherStatus::Redeemed;
        self.redeemed_at = Some(at.trunc_subsecs(6));
        Ok(())
    }

    pub fn id(&self) -> VoucherId {
        self.id
    }

    pub fn code(&self) -> &VoucherCode {
        &self.code
    }

    pub fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    /// The order that earned it.
    pub fn order_id(&self) -> Uuid {
        self.order_id
    }

    pub fn value(&self) -> Money {
        self.value
    }

    pub fn status(&self) -> VoucherStatus {
        self.status
    }

    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }

    pub fn redeemed_at(&self) -> Option<DateTime<Utc>> {
        self.redeemed_at
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use checkout_domain::{Cents, Currency};

    use super::*;

    pub(crate) fn voucher() -> Voucher {
        Voucher::issue(
            VoucherCode::generate(),
            CustomerId::parse("cust-3").unwrap(),
            Uuid::now_v7(),
            Money::new(Cents::new(500).unwrap(), Currency::Eur),
            Utc::now(),
        )
    }

    #[test]
    fn a_new_voucher_is_active() {
        let v = voucher();
        assert_eq!(v.status(), VoucherStatus::Active);
        assert_eq!(v.redeemed_at(), None);
        assert_eq!(v.value().amount.get(), 500);
    }

    #[test]
    fn a_voucher_is_redeemed_once() {
        let mut v = voucher();
        let at = Utc::now();
        assert_eq!(v.redeem(at), Ok(()));
        assert_eq!(v.status(), VoucherStatus::Redeemed);
        assert_eq!(v.redeemed_at(), Some(at.trunc_subsecs(6)));
        let before = v.clone();
        assert_eq!(v.redeem(Utc::now()), Err(AlreadyRedeemed));
        assert_eq!(v, before, "a refused redemption changes nothing");
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in VoucherStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("spent".parse::<VoucherStatus>().is_err());
    }

    #[test]
    fn a_stored_voucher_is_checked_against_the_rules() {
        let v = voucher();
        let stored = StoredVoucher {
            id: v.id(),
            code: v.code().clone(),
            customer_id: v.customer_id().clone(),
            order_id: v.order_id(),
            value: v.value(),
            status: v.status(),
            issued_at: v.issued_at(),
            redeemed_at: None,
        };
        assert_eq!(Voucher::restore(stored.clone()), Ok(v));
        let inconsistent = StoredVoucher {
            status: VoucherStatus::Redeemed,
            ..stored.clone()
        };
        assert_eq!(Voucher::restore(inconsistent), Err(InvalidVoucher::RedemptionTime));
        let worthless = StoredVoucher {
            value: Money::new(Cents::ZERO, Currency::Eur),
            ..stored
        };
        assert_eq!(Voucher::restore(worthless), Err(InvalidVoucher::Worthless));
    }
}
