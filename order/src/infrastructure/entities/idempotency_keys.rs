use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// The token subject of the caller that sent the key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub caller: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The request body's canonical form; a reuse with another body is refused.
    pub fingerprint: String,
    /// The order as first created, written with the order. `None` only in a claim that an
    /// earlier version committed before creating its order.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub order_snapshot: Option<Json>,
    pub created_at: DateTimeUtc,
    /// The lease of such an earlier claim; rows written since hold `created_at` here.
    pub locked_until: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
