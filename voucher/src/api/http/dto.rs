//! Response bodies. Their doc comments are the OpenAPI text.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::application::domain::{Voucher, VoucherStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum VoucherStatusDto {
    Active,
    Redeemed,
}

/// A voucher earned by a sent order.
#[derive(Debug, Object)]
pub struct VoucherDto {
    pub id: Uuid,
    /// The code to give at checkout, e.g. `7K3M-QX9P-2HBD-W4RT`.
    pub code: String,
    pub customer_id: String,
    /// The order that earned it.
    pub order_id: Uuid,
    /// Value in cents.
    pub amount_cents: i64,
    pub currency: String,
    pub status: VoucherStatusDto,
    pub issued_at: DateTime<Utc>,
    /// Present once redeemed.
    #[oai(skip_serializing_if_is_none)]
    pub redeemed_at: Option<DateTime<Utc>>,
}

/// Vouchers matching the filters, newest first.
#[derive(Debug, Object)]
pub struct VoucherListDto {
    pub items: Vec<VoucherDto>,
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
            redeemed_at: v.redeemed_at(),
        }
    }
}
