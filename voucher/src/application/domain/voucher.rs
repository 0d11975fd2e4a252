//! The voucher entity.

use std::{fmt, str::FromStr, time::Duration};

use checkout_domain::{CustomerId, Money};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::VoucherCode;

/// How long a voucher can be spent after it is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity(Duration);

/// A validity outside [`Validity::MIN`]..=[`Validity::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a voucher's validity must be from 1 second to 10 years")]
pub struct InvalidValidity;

impl Validity {
    /// 90 days.
    pub const DEFAULT_SECONDS: u64 = 90 * 24 * 3600;
    pub const MIN: Duration = Duration::from_secs(1);
    pub const MAX: Duration = Duration::from_secs(10 * 366 * 24 * 3600);

    /// # Errors
    /// [`InvalidValidity`] outside the bounds.
    pub fn new(validity: Duration) -> Result<Self, InvalidValidity> {
        if (Self::MIN..=Self::MAX).contains(&validity) {
            Ok(Self(validity))
        } else {
            Err(InvalidValidity)
        }
    }

    /// When a voucher issued at `issued_at` expires.
    pub fn expiry(self, issued_at: DateTime<Utc>) -> DateTime<Utc> {
        issued_at + chrono::Duration::from_std(self.0).expect("the validity is at most 10 years")
    }
}

impl Default for Validity {
    fn default() -> Self {
        Self(Duration::from_secs(Self::DEFAULT_SECONDS))
    }
}

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
    #[error("a voucher expires after it is issued")]
    ExpiresBeforeIssue,
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
    pub expires_at: DateTime<Utc>,
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
    expires_at: DateTime<Utc>,
    redeemed_at: Option<DateTime<Utc>>,
}

impl Voucher {
    /// A new, active voucher worth `value` for the customer of order `order_id`, spendable
    /// for `validity` from `now`.
    pub fn issue(
        code: VoucherCode,
        customer_id: CustomerId,
        order_id: Uuid,
        value: Money,
        now: DateTime<Utc>,
        validity: Validity,
    ) -> Self {
        // PostgreSQL keeps microseconds; so does the model.
        let issued_at = now.trunc_subsecs(6);
        Self {
            id: VoucherId::generate(),
            code,
            customer_id,
            order_id,
            value,
            status: VoucherStatus::Active,
            issued_at,
            expires_at: validity.expiry(issued_at),
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
        if stored.expires_at <= stored.issued_at {
            return Err(InvalidVoucher::ExpiresBeforeIssue);
        }
        Ok(Self {
            id: stored.id,
            code: stored.code,
            customer_id: stored.customer_id,
            order_id: stored.order_id,
            value: stored.value,
            status: stored.status,
            issued_at: stored.issued_at,
            expires_at: stored.expires_at,
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

    /// From this instant on, no new order can take it.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
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
            Validity::default(),
        )
    }

    #[test]
    fn a_voucher_expires_its_validity_after_it_is_issued() {
        let now = Utc::now();
        let validity = Validity::new(Duration::from_secs(60)).unwrap();
        let v = Voucher::issue(
            VoucherCode::generate(),
            CustomerId::parse("cust-3").unwrap(),
            Uuid::now_v7(),
            Money::new(Cents::new(500).unwrap(), Currency::Eur),
            now,
            validity,
        );
        assert_eq!(v.expires_at() - v.issued_at(), chrono::Duration::seconds(60));
        assert_eq!(Validity::default().expiry(now) - now, chrono::Duration::days(90));
        assert_eq!(Validity::new(Duration::ZERO), Err(InvalidValidity));
        assert_eq!(
            Validity::new(Validity::MAX + Duration::from_secs(1)),
            Err(InvalidValidity)
        );
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
            expires_at: v.expires_at(),
            redeemed_at: None,
        };
        assert_eq!(Voucher::restore(stored.clone()), Ok(v));
        let expired_at_issue = StoredVoucher {
            expires_at: stored.issued_at,
            ..stored.clone()
        };
        assert_eq!(
            Voucher::restore(expired_at_issue),
            Err(InvalidVoucher::ExpiresBeforeIssue)
        );
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
