use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vouchers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code_digest: String,
    pub customer_id: String,
    pub amount_cents: i64,
    pub currency: String,
    pub issued_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// The order that took it at checkout, if any.
    pub held_by: Option<Uuid>,
    /// Whether that order was sent, spending it.
    pub redeemed: bool,
    /// When its `voucher.issued` was recorded here: from `issued_at`, the projection lag.
    pub known_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
