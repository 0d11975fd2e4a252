//! The JSON shape of an order's `items` column, which the group-committed insert writes and
//! the repository reads back.

use serde::{Deserialize, Serialize};

use crate::application::domain::Order;

/// One line of an order's `items` column. Orders taken before the catalog existed have no
/// `name`: their lines are named by their SKU.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredItem {
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

/// The `items` column of `order`.
pub(super) fn stored_items(order: &Order) -> Vec<StoredItem> {
    order
        .items()
        .iter()
        .map(|i| StoredItem {
            sku: i.sku.as_str().to_owned(),
            name: Some(i.name.as_str().to_owned()),
            quantity: i64::from(i.quantity.get()),
            unit_price_cents: i.unit_price.cents().get(),
        })
        .collect()
}
