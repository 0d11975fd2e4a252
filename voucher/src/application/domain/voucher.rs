//! The voucher entity.

use std::{fmt, str::FromStr, time::Duration};

use checkout_domain::{CustomerId, Money};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::{OrderId, VoucherCode};

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

/// What a voucher is now, derived from its history ([`Voucher::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoucherStatus {
    /// Free, and not expired: an order can take it.
    Active,
    /// Held by an open order: spent if that order is sent, free again if it is cancelled.
    Reserved,
    /// Spent by a sent order.
    Redeemed,
    /// Free, but past `expires_at`: no new order can take it.
    Expired,
}

impl VoucherStatus {
    pub const ALL: [VoucherStatus; 4] = [Self::Active, Self::Reserved, Self::Redeemed, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Reserved => "reserved",
            Self::Redeemed => "redeemed",
            Self::Expired => "expired",
        }
    }
}

/// What an order did with a voucher, as the order service told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageKind {
    /// An order took it at checkout.
    Reserved,
    /// That order was cancelled: it is free again.
    Released,
    /// That order was sent: it is spent.
    Redeemed,
}

/// A name that is not a usage kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a voucher usage")]
pub struct UnknownUsageKind(pub String);

impl UsageKind {
    pub const ALL: [UsageKind; 3] = [Self::Reserved, Self::Released, Self::Redeemed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Released => "released",
            Self::Redeemed => "redeemed",
        }
    }
}

impl FromStr for UsageKind {
    type Err = UnknownUsageKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        checkout_domain::by_name(&Self::ALL, Self::as_str, s).ok_or_else(|| UnknownUsageKind(s.to_owned()))
    }
}

/// One entry of a voucher's history: what an order did with it, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub kind: UsageKind,
    /// The order; `None` only for a redemption made before redemption went through orders
    /// (the retired `POST /vouchers/{code}/redeem`).
    pub order_id: Option<OrderId>,
    pub at: DateTime<Utc>,
}

/// A stored voucher that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidVoucher {
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
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub history: Vec<Usage>,
}

/// A voucher a sent order earned. One per order; spent by at most one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    id: VoucherId,
    code: VoucherCode,
    customer_id: CustomerId,
    order_id: Uuid,
    value: Money,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    history: Vec<Usage>,
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
            issued_at,
            expires_at: validity.expiry(issued_at),
            history: Vec::new(),
        }
    }

    /// A voucher read back from storage, checked against the same rules; its history in
    /// the order it happened.
    ///
    /// # Errors
    /// [`InvalidVoucher`] when the stored voucher breaks a rule.
    pub fn restore(mut stored: StoredVoucher) -> Result<Self, InvalidVoucher> {
        if stored.value.amount.get() == 0 {
            return Err(InvalidVoucher::Worthless);
        }
        if stored.expires_at <= stored.issued_at {
            return Err(InvalidVoucher::ExpiresBeforeIssue);
        }
        stored.history.sort_by_key(|u| u.at);
        Ok(Self {
            id: stored.id,
            code: stored.code,
            customer_id: stored.customer_id,
            order_id: stored.order_id,
            value: stored.value,
            issued_at: stored.issued_at,
            expires_at: stored.expires_at,
            history: stored.history,
        })
    }

    /// What the voucher is at `now`, and the order that holds or spent it. Derived from the
    /// history as a set, so the order in which its entries arrived does not matter (an
    /// `order.cancelled` heard before its `order.placed` leaves the voucher free): spent if
    /// any order spent it; else reserved by an order that took it and was not cancelled;
    /// else expired past `expires_at`, else active. An order that took it while it was valid
    /// keeps it after it expires.
    pub fn status(&self, now: DateTime<Utc>) -> (VoucherStatus, Option<OrderId>) {
        let of = |kind: UsageKind| self.history.iter().filter(move |u| u.kind == kind);
        if let Some(spent) = of(UsageKind::Redeemed).next() {
            return (VoucherStatus::Redeemed, spent.order_id);
        }
        let released = |order: Option<OrderId>| of(UsageKind::Released).any(|u| u.order_id == order);
        if let Some(open) = of(UsageKind::Reserved).find(|u| !released(u.order_id)) {
            return (VoucherStatus::Reserved, open.order_id);
        }
        if now >= self.expires_at {
            (VoucherStatus::Expired, None)
        } else {
            (VoucherStatus::Active, None)
        }
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

    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }

    /// From this instant on, no new order can take it.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// What orders did with it, oldest first.
    pub fn history(&self) -> &[Usage] {
        &self.history
    }

    /// When it was spent, if it was.
    pub fn redeemed_at(&self) -> Option<DateTime<Utc>> {
        self.history
            .iter()
            .find(|u| u.kind == UsageKind::Redeemed)
            .map(|u| u.at)
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
    fn a_new_voucher_is_active_until_it_expires() {
        let v = voucher();
        assert_eq!(v.status(Utc::now()), (VoucherStatus::Active, None));
        assert_eq!(v.status(v.expires_at()), (VoucherStatus::Expired, None));
        assert_eq!(v.redeemed_at(), None);
        assert_eq!(v.value().amount.get(), 500);
    }

    /// `voucher()` with this history.
    fn with(history: &[(UsageKind, OrderId)]) -> Voucher {
        let v = voucher();
        let start = Utc::now();
        let history = history
            .iter()
            .enumerate()
            .map(|(i, (kind, order))| Usage {
                kind: *kind,
                order_id: Some(*order),
                at: start + chrono::Duration::milliseconds(i as i64),
            })
            .collect();
        Voucher::restore(StoredVoucher { history, ..stored(&v) }).unwrap()
    }

    fn stored(v: &Voucher) -> StoredVoucher {
        StoredVoucher {
            id: v.id(),
            code: v.code().clone(),
            customer_id: v.customer_id().clone(),
            order_id: v.order_id(),
            value: v.value(),
            issued_at: v.issued_at(),
            expires_at: v.expires_at(),
            history: v.history().to_vec(),
        }
    }

    #[test]
    fn the_status_follows_the_orders_that_took_it() {
        use UsageKind::*;
        let (a, b) = (OrderId::from_uuid(Uuid::now_v7()), OrderId::from_uuid(Uuid::now_v7()));
        let now = Utc::now();
        assert_eq!(with(&[(Reserved, a)]).status(now), (VoucherStatus::Reserved, Some(a)));
        assert_eq!(
            with(&[(Reserved, a), (Released, a)]).status(now),
            (VoucherStatus::Active, None)
        );
        let spent = with(&[(Reserved, a), (Released, a), (Reserved, b), (Redeemed, b)]);
        assert_eq!(spent.status(now), (VoucherStatus::Redeemed, Some(b)));
        assert!(spent.redeemed_at().is_some());
        // Held or spent before it expired, it stays so after.
        let later = spent.expires_at() + chrono::Duration::days(1);
        assert_eq!(spent.status(later), (VoucherStatus::Redeemed, Some(b)));
        assert_eq!(with(&[(Reserved, a)]).status(later), (VoucherStatus::Reserved, Some(a)));
        assert_eq!(
            with(&[(Reserved, a), (Released, a)]).status(later),
            (VoucherStatus::Expired, None)
        );
    }

    #[test]
    fn the_order_in_which_the_history_arrived_does_not_change_the_status() {
        use UsageKind::*;
        let (a, b) = (OrderId::from_uuid(Uuid::now_v7()), OrderId::from_uuid(Uuid::now_v7()));
        let histories: [&[(UsageKind, OrderId)]; 3] = [
            &[(Reserved, a), (Released, a)],
            &[(Reserved, a), (Released, a), (Reserved, b)],
            &[(Reserved, a), (Released, a), (Reserved, b), (Redeemed, b)],
        ];
        for history in histories {
            let expected = with(history).status(Utc::now());
            // Every arrival order: the entries' times are their arrival here.
            let mut entries = history.to_vec();
            for _ in 0..entries.len() {
                entries.rotate_left(1);
                let mut reversed = entries.clone();
                reversed.reverse();
                for arrival in [entries.clone(), reversed] {
                    assert_eq!(with(&arrival).status(Utc::now()), expected, "{arrival:?}");
                }
            }
        }
    }

    #[test]
    fn kinds_and_statuses_round_trip_through_their_names() {
        for kind in UsageKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert!("spent".parse::<UsageKind>().is_err());
        assert_eq!(
            VoucherStatus::ALL.map(VoucherStatus::as_str),
            ["active", "reserved", "redeemed", "expired"]
        );
    }

    #[test]
    fn a_stored_voucher_is_checked_against_the_rules() {
        let v = voucher();
        let stored = stored(&v);
        assert_eq!(Voucher::restore(stored.clone()), Ok(v));
        let expired_at_issue = StoredVoucher {
            expires_at: stored.issued_at,
            ..stored.clone()
        };
        assert_eq!(
            Voucher::restore(expired_at_issue),
            Err(InvalidVoucher::ExpiresBeforeIssue)
        );
        let worthless = StoredVoucher {
            value: Money::new(Cents::ZERO, Currency::Eur),
            ..stored
        };
        assert_eq!(Voucher::restore(worthless), Err(InvalidVoucher::Worthless));
    }
}
