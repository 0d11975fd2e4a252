//! The voucher as every operation answers it, and the code that names one in a path.

use checkout_http::{Rule, rfc3339};
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object, registry::MetaSchema, types::Example};
use serde::Serialize;
use uuid::Uuid;

use crate::application::domain::{VOUCHER_CODE_PATTERN, Voucher, VoucherStatus};

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

/// Whether a voucher can still be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum VoucherStatusDto {
    Active,
    Redeemed,
}

/// A voucher earned by a sent order.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct VoucherDto {
    /// The voucher's id.
    pub id: Uuid,
    /// The code to give at checkout: 16 Crockford base32 characters in groups of four.
    pub code: String,
    /// The customer who earned it, and the only one who may redeem it.
    pub customer_id: String,
    /// The order that earned it.
    pub order_id: Uuid,
    /// Value in cents (500 is 5.00 EUR).
    pub amount_cents: i64,
    /// Currency of `amount_cents`: `EUR`.
    pub currency: String,
    /// `active` until redeemed, then `redeemed`.
    pub status: VoucherStatusDto,
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
            issued_at,
            expires_at: issued_at + chrono::Duration::days(90),
            redeemed_at: None,
        }
    }
}

impl From<Voucher> for VoucherDto {
    fn from(v: Voucher) -> Self {
        VoucherDto {
            id: v.id().as_uuid(),
            code: v.code().to_string(),
            customer_id: v.customer_id().as_str().to_owned(),
            order_id: v.order_id(),
            amount_cents: v.value().amount.get(),
            currency: v.value().currency.code().to_owned(),
            status: match v.status() {
                VoucherStatus::Active => VoucherStatusDto::Active,
                VoucherStatus::Redeemed => VoucherStatusDto::Redeemed,
            },
            issued_at: v.issued_at(),
            expires_at: v.expires_at(),
            redeemed_at: v.redeemed_at(),
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
        checkout_testing::assert_same_json(&VoucherDto {
            status: VoucherStatusDto::Redeemed,
            redeemed_at: Some(active.issued_at + chrono::Duration::microseconds(1_234_567)),
            ..VoucherDto::example()
        });
    }
}
