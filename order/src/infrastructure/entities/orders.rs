use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: String,
    /// `[{"sku", "quantity", "unit_price_cents"}]`; items are only ever read with their order.
    #[sea_orm(column_type = "JsonBinary")]
    pub items: Json,
    /// What the customer pays: the items' sum less `discount_cents`.
    pub total_cents: i64,
    pub currency: String,
    /// The voucher the order used, if any.
    pub voucher_id: Option<Uuid>,
    /// What the voucher took off (0 without one).
    pub discount_cents: i64,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
