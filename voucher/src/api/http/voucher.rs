//! The voucher as every operation answers it, and the code that names one in a path.

use checkout_http::{Rule, rfc3339};
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object, registry::MetaSchema, types::Example};
use serde::Serialize;
use uuid::Uuid;

use crate::application::domain::{UsageKind, VOUCHER_CODE_PATTERN, Voucher, VoucherStatus};

/// A voucher code in a path: case-insensitive, hyphens optional.
pub enum VoucherCodeParam {}

impl Rule for VoucherCodeParam {
    type Value = String;

    fn schema() -> MetaSchema {
        MetaSchema {
            pattern: Some(VOUCHER_CODE_PATTERN.to_owned()),
            example: Some(EXAMPLE_CODE.into()),
            ..MetaSchema::new("string")
        }
    }
}

const EXAMPLE_CODE: &str = "7K3M-QX9P-2HBD-W4RT";

/// What a voucher is now: `active` (an order can take it), `reserved` (held by an open
/// order), `redeemed` (spent by a sent order) or `expired` (free, past `expires_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum VoucherStatusDto {
    Active,
    Reserved,
    Redeemed,
    Expired,
}

/// What happened to a voucher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum VoucherEventKind {
    /// A sent order earned it.
    Issued,
    /// An order took it at checkout.
    Reserved,
    /// That order was cancelled: it was given back.
    Released,
    /// That order was sent: it was spent.
    Redeemed,
}

/// One entry of a voucher's history.
#[derive(Debug, Clone, Object, Serialize)]
pub struct VoucherEventDto {
    /// What happened.
    pub event: VoucherEventKind,
    /// The order: the one that earned it (`issued`), or the one that took, gave back or spent
    /// it; null only for a redemption made before redemption went through orders.
    #[oai(nullable)]
    pub order_id: Option<Uuid>,
    /// When it happened (at the order service, for what an order did).
    #[serde(serialize_with = "rfc3339::serialize")]
    pub at: DateTime<Utc>,
}

/// A voucher earned by a sent order.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct VoucherDto {
    /// The voucher's id.
    pub id: Uuid,
    /// The code to give at checkout: 16 Crockford base32 characters in groups of four.
    pub code: String,
    /// The customer who earned it, and the only one who may spend it.
    pub customer_id: String,
    /// The order that earned it.
    pub order_id: Uuid,
    /// Value in cents (500 is 5.00 EUR).
    pub amount_cents: i64,
    /// Currency of `amount_cents`: `EUR`.
    pub currency: String,
    /// What it is now; see its `history` for how it got there.
    pub status: VoucherStatusDto,
    /// The order that holds it (`reserved`) or spent it (`redeemed`); null otherwise.
    #[oai(nullable)]
    pub used_by_order_id: Option<Uuid>,
    /// When the voucher was issued (shortly after its order became `sent`).
    #[serde(serialize_with = "rfc3339::serialize")]
    pub issued_at: DateTime<Utc>,
    /// From this instant on, no new order can take it (`VOUCHER_VALIDITY_SECONDS` after it
    /// was issued; 90 days by default). An order that took it before keeps it.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub expires_at: DateTime<Utc>,
    /// Present once redeemed.
    #[oai(skip_serializing_if_is_none)]
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339::option::serialize"
    )]
    pub redeemed_at: Option<DateTime<Utc>>,
    /// What happened to it, oldest first: issued, then each order that reserved, released or
    /// redeemed it.
    pub history: Vec<VoucherEventDto>,
}

impl Example for VoucherDto {
    fn example() -> Self {
        let issued_at = DateTime::parse_from_rfc3339("2026-11-23T18:40:00.512Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        Self {
            id: Uuid::from_u128(0x0193_a5c2_8011_7c4a_b2d9_5e1f_0a3c_6d7e),
            code: EXAMPLE_CODE.into(),
            customer_id: "alice".into(),
            order_id: Uuid::from_u128(0x0193_a5c2_7f4e_7b21_9c3d_2f6e_8a1b_4c5d),
            amount_cents: 500,
            currency: "EUR".into(),
            status: VoucherStatusDto::Active,
            used_by_order_id: None,
            issued_at,
            expires_at: issued_at + chrono::Duration::days(90),
            redeemed_at: None,
            history: vec![VoucherEventDto {
                event: VoucherEventKind::Issued,
                order_id: Some(Uuid::from_u128(0x0193_a5c2_7f4e_7b21_9c3d_2f6e_8a1b_4c5d)),
                at: issued_at,
            }],
        }
    }
}

impl From<Voucher> for VoucherDto {
    /// The voucher as it is now.
    fn from(v: Voucher) -> Self {
        let (status, used_by) = v.status(Utc::now());
        let issued = VoucherEventDto {
            event: VoucherEventKind::Issued,
            order_id: Some(v.order_id()),
            at: v.issued_at(),
        };
        let history = std::iter::once(issued)
            .chain(v.history().iter().map(|u| VoucherEventDto {
                event: match u.kind {
                    UsageKind::Reserved => VoucherEventKind::Reserved,
                    UsageKind::Released => VoucherEventKind::Released,
                    UsageKind::Redeemed => VoucherEventKind::Redeemed,
                },
                order_id: u.order_id.map(|o| o.as_uuid()),
                at: u.at,
            }))
            .collect();
        VoucherDto {
            id: v.id().as_uuid(),
            code: v.code().to_string(),
            customer_id: v.customer_id().as_str().to_owned(),
            order_id: v.order_id(),
            amount_cents: v.value().amount.get(),
            currency: v.value().currency.code().to_owned(),
            status: match status {
                VoucherStatus::Active => VoucherStatusDto::Active,
                VoucherStatus::Reserved => VoucherStatusDto::Reserved,
                VoucherStatus::Redeemed => VoucherStatusDto::Redeemed,
                VoucherStatus::Expired => VoucherStatusDto::Expired,
            },
            used_by_order_id: used_by.map(|o| o.as_uuid()),
            issued_at: v.issued_at(),
            expires_at: v.expires_at(),
            redeemed_at: v.redeemed_at(),
            history,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voucher_is_the_same_json_through_serde_as_through_the_documents_types() {
        let active = VoucherDto::example();
        checkout_testing::assert_same_json(&active);
        let at = active.issued_at + chrono::Duration::microseconds(1_234_567);
        let order = Some(Uuid::from_u128(7));
        let mut history = active.history.clone();
        history.extend(
            [VoucherEventKind::Reserved, VoucherEventKind::Redeemed].map(|event| VoucherEventDto {
                event,
                order_id: order,
                at,
            }),
        );
        checkout_testing::assert_same_json(&VoucherDto {
            status: VoucherStatusDto::Redeemed,
            used_by_order_id: order,
            redeemed_at: Some(at),
            history,
            ..VoucherDto::example()
        });
    }
}
