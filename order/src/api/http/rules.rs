//! The domain's rules as the API states them: the constraints the OpenAPI document
//! publishes for each request field and parameter, and the message a client gets when a
//! value has the wrong type. Both come from the domain's constants and error messages.

use serde_json::json;
use shared::http::{DocumentedRules, page_limit_field, text_field};

use crate::application::domain::{
    Currency, IdempotencyKey, InvalidIdempotencyKey, InvalidItemCount, InvalidOrderId, InvalidPageLimit,
    InvalidQuantity, InvalidText, InvalidUnitPrice, ItemCount, OrderStatus, Quantity, UnitPrice, access,
};

/// What the document publishes of the domain's rules, for request properties and parameters.
pub fn documented() -> DocumentedRules {
    let statuses: Vec<_> = OrderStatus::ALL.map(OrderStatus::as_str).into();
    DocumentedRules {
        closed_schemas: vec!["CreateOrderRequest", "OrderItemDto", "UpdateStatusRequest"],
        properties: vec![
            ("customer_id", text_field()),
            ("sku", text_field()),
            ("quantity", json!({"minimum": Quantity::MIN, "maximum": Quantity::MAX})),
            (
                "unit_price_cents",
                json!({"minimum": UnitPrice::MIN_CENTS, "maximum": UnitPrice::MAX_CENTS}),
            ),
            ("items", json!({"minItems": ItemCount::MIN, "maxItems": ItemCount::MAX})),
        ],
        parameters: vec![
            ("customer_id", text_field()),
            ("status", json!({"enum": statuses})),
            ("limit", page_limit_field()),
            ("cursor", json!({"format": "uuid"})),
            ("id", json!({"format": "uuid"})),
            (
                "Idempotency-Key",
                json!({"minLength": 1, "maxLength": IdempotencyKey::MAX_BYTES}),
            ),
        ],
        permissions: vec![
            ("post", "/orders", access::CREATE),
            ("get", "/orders", access::READ),
            ("get", "/orders/{id}", access::READ),
            ("patch", "/orders/{id}/status", access::CHANGE_STATUS),
        ],
        // Only the writes are rate-limited: an order id is a UUID, not worth guessing.
        lookups: Vec::new(),
    }
}

/// The rule of a request field, for a value of the wrong JSON type.
pub fn rule(field: &str) -> Option<String> {
    Some(match field {
        "customer_id" | "sku" => InvalidText.to_string(),
        "quantity" => InvalidQuantity.to_string(),
        "unit_price_cents" => InvalidUnitPrice.to_string(),
        "items" => InvalidItemCount.to_string(),
        "currency" => Currency::rule(),
        "status" => {
            let targets: Vec<_> = OrderStatus::targets().map(OrderStatus::as_str).collect();
            format!("must be one of {}", targets.join(", "))
        }
        "limit" => InvalidPageLimit.to_string(),
        "cursor" | "id" => InvalidOrderId.to_string(),
        "Idempotency-Key" => InvalidIdempotencyKey.to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::domain::UnknownStatus;

    #[test]
    fn status_rules_name_the_domain_statuses() {
        assert_eq!(rule("status").unwrap(), "must be one of sent, delivered, cancelled");
        assert_eq!(
            UnknownStatus("x".into()).to_string(),
            "must be one of created, sent, delivered, cancelled"
        );
    }
}
