//! What the two services must agree on about each voucher, and how to tell where they do
//! not: the rule an operator's reconciliation (`voucher reconcile`) applies.

use std::fmt;

use chrono::{DateTime, Utc};

use super::{OrderId, Voucher, VoucherId, VoucherStatus};

/// Which order has a voucher, as one service sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Free,
    Reserved(OrderId),
    Redeemed(OrderId),
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Free => f.write_str("free"),
            Self::Reserved(order) => write!(f, "reserved by order {order}"),
            Self::Redeemed(order) => write!(f, "redeemed by order {order}"),
        }
    }
}

/// A voucher as the order service's copy has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedVoucher {
    pub id: VoucherId,
    /// `VoucherCode::digest` of its code.
    pub code_digest: String,
    pub customer_id: String,
    pub amount_cents: i64,
    pub expires_at: DateTime<Utc>,
    pub holder: Holder,
}

/// One way the services disagree about a voucher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Issued here, not (yet) in the order service's copy: its `voucher.issued` has not
    /// arrived.
    MissingFromCopy(VoucherId),
    /// In the order service's copy, unknown here.
    UnknownHere(VoucherId),
    /// A field of the announcement differs.
    Field {
        id: VoucherId,
        field: &'static str,
        here: String,
        copy: String,
    },
    /// The services disagree on which order has it: an event of the order service has not
    /// arrived (yet), or was lost.
    Holder { id: VoucherId, here: Holder, copy: Holder },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingFromCopy(id) => write!(f, "voucher {id}: issued, not in the order service's copy"),
            Self::UnknownHere(id) => write!(
                f,
                "voucher {id}: in the order service's copy, unknown to the voucher service"
            ),
            Self::Field { id, field, here, copy } => {
                write!(
                    f,
                    "voucher {id}: {field} is {here} here, {copy} in the order service's copy"
                )
            }
            Self::Holder { id, here, copy } => {
                write!(f, "voucher {id}: {here} here, {copy} in the order service's copy")
            }
        }
    }
}

/// Who has `voucher` by its history: `None` for a voucher redeemed before redemption went
/// through orders, which was never announced and has nothing to agree on.
pub fn holder_of(voucher: &Voucher, now: DateTime<Utc>) -> Option<Holder> {
    match voucher.status(now) {
        (VoucherStatus::Redeemed, Some(order)) => Some(Holder::Redeemed(order)),
        (VoucherStatus::Redeemed, None) => None,
        (VoucherStatus::Reserved, Some(order)) => Some(Holder::Reserved(order)),
        (VoucherStatus::Reserved, None) => None,
        (VoucherStatus::Active | VoucherStatus::Expired, _) => Some(Holder::Free),
    }
}

/// Where the voucher service's `here` and the order service's `copy` of one voucher
/// disagree (at most one of them is `None`).
pub fn compare(here: Option<&Voucher>, copy: Option<&CopiedVoucher>, now: DateTime<Utc>) -> Vec<Difference> {
    let (here, copy) = match (here, copy) {
        (Some(here), Some(copy)) => (here, copy),
        (Some(here), None) => {
            return match holder_of(here, now) {
                Some(_) => vec![Difference::MissingFromCopy(here.id())],
                None => Vec::new(),
            };
        }
        (None, Some(copy)) => return vec![Difference::UnknownHere(copy.id)],
        (None, None) => return Vec::new(),
    };
    let id = here.id();
    let mut differences = Vec::new();
    let mut field = |field: &'static str, mine: String, theirs: String| {
        if mine != theirs {
            differences.push(Difference::Field {
                id,
                field,
                here: mine,
                copy: theirs,
            });
        }
    };
    field("code_digest", here.code().digest(), copy.code_digest.clone());
    field(
        "customer_id",
        here.customer_id().as_str().to_owned(),
        copy.customer_id.clone(),
    );
    field(
        "amount_cents",
        here.value().amount.get().to_string(),
        copy.amount_cents.to_string(),
    );
    field(
        "expires_at",
        here.expires_at().to_rfc3339(),
        copy.expires_at.to_rfc3339(),
    );
    if let Some(holder) = holder_of(here, now)
        && holder != copy.holder
    {
        differences.push(Difference::Holder {
            id,
            here: holder,
            copy: copy.holder,
        });
    }
    differences
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::application::domain::{StoredVoucher, Usage, UsageKind, fixtures};

    fn copy_of(voucher: &Voucher, holder: Holder) -> CopiedVoucher {
        CopiedVoucher {
            id: voucher.id(),
            code_digest: voucher.code().digest(),
            customer_id: voucher.customer_id().as_str().to_owned(),
            amount_cents: voucher.value().amount.get(),
            expires_at: voucher.expires_at(),
            holder,
        }
    }

    fn with(voucher: &Voucher, history: Vec<Usage>) -> Voucher {
        Voucher::restore(StoredVoucher {
            id: voucher.id(),
            code: voucher.code().clone(),
            customer_id: voucher.customer_id().clone(),
            order_id: voucher.order_id(),
            value: voucher.value(),
            issued_at: voucher.issued_at(),
            expires_at: voucher.expires_at(),
            history,
        })
        .unwrap()
    }

    #[test]
    fn a_voucher_both_services_see_alike_has_no_difference() {
        let now = Utc::now();
        let voucher = fixtures::voucher();
        assert_eq!(compare(Some(&voucher), Some(&copy_of(&voucher, Holder::Free)), now), []);
        let order = OrderId::from_uuid(Uuid::now_v7());
        let held = with(
            &voucher,
            vec![Usage {
                kind: UsageKind::Reserved,
                order_id: Some(order),
                at: now,
            }],
        );
        assert_eq!(
            compare(Some(&held), Some(&copy_of(&held, Holder::Reserved(order))), now),
            []
        );
    }

    #[test]
    fn each_disagreement_is_named() {
        let now = Utc::now();
        let voucher = fixtures::voucher();
        let order = OrderId::from_uuid(Uuid::now_v7());
        assert_eq!(
            compare(Some(&voucher), Some(&copy_of(&voucher, Holder::Redeemed(order))), now),
            [Difference::Holder {
                id: voucher.id(),
                here: Holder::Free,
                copy: Holder::Redeemed(order)
            }]
        );
        assert_eq!(
            compare(Some(&voucher), None, now),
            [Difference::MissingFromCopy(voucher.id())]
        );
        let copy = copy_of(&voucher, Holder::Free);
        assert_eq!(compare(None, Some(&copy), now), [Difference::UnknownHere(voucher.id())]);
        let other = CopiedVoucher {
            amount_cents: 9_999,
            ..copy
        };
        let differences = compare(Some(&voucher), Some(&other), now);
        assert!(
            matches!(
                &differences[..],
                [Difference::Field {
                    field: "amount_cents",
                    ..
                }]
            ),
            "{differences:?}"
        );
    }

    #[test]
    fn a_voucher_redeemed_before_checkout_spent_vouchers_has_nothing_to_agree_on() {
        let now = Utc::now();
        let legacy = with(
            &fixtures::voucher(),
            vec![Usage {
                kind: UsageKind::Redeemed,
                order_id: None,
                at: now,
            }],
        );
        assert_eq!(holder_of(&legacy, now), None);
        assert_eq!(compare(Some(&legacy), None, now), []);
    }
}
