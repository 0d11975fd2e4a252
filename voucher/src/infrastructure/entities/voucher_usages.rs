use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "voucher_usages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub voucher_id: Uuid,
    /// `reserved`, `released` or `redeemed`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// The order; the nil UUID for a redemption made before redemption went through orders.
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
