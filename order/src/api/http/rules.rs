//! The domain's rules as the API states them: the constraints the OpenAPI document
//! publishes for each request field and parameter, and the message a client gets when a
//! value has the wrong type. Both come from the domain's constants and error messages.

use checkout_http::{DocumentedRules, ProblemType, page_limit_field, text_field};
use serde_json::{Value, json};

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
            ("customer_id", example(text_field(), "alice")),
            ("status", json!({"enum": statuses, "example": "created"})),
            ("limit", example(page_limit_field(), 20)),
            ("cursor", json!({"format": "uuid", "example": EXAMPLE_ID})),
            ("id", json!({"format": "uuid", "example": EXAMPLE_ID})),
            (
                "Idempotency-Key",
                json!({"minLength": 1, "maxLength": IdempotencyKey::MAX_BYTES, "example": "checkout-7f3a9c2e-0001"}),
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
        // No operation declares 500: it would mean a defect, which no request can be made to
        // cause on purpose and no client can act on beyond retrying; `/problems/internal`
        // still explains it. 503 is the database (or the identity provider's keys) being
        // out of reach, or a request that took too long; 408 and 413 only come where a
        // body is read.
        problems: vec![
            (
                "post",
                "/orders",
                &[
                    "validation",
                    "invalid-json",
                    "invalid-token",
                    "insufficient-scope",
                    "other-customer",
                    "request-timeout",
                    "idempotency-key-in-flight",
                    "payload-too-large",
                    "unsupported-media-type",
                    "idempotency-key-reused",
                    "unavailable",
                    "timeout",
                ],
            ),
            (
                "get",
                "/orders",
                &[
                    "validation",
                    "invalid-token",
                    "insufficient-scope",
                    "other-customer",
                    "unavailable",
                    "timeout",
                ],
            ),
            (
                "get",
                "/orders/{id}",
                &[
                    "validation",
                    "invalid-token",
                    "insufficient-scope",
                    "order-not-found",
                    "unavailable",
                    "timeout",
                ],
            ),
            (
                "patch",
                "/orders/{id}/status",
                &[
                    "validation",
                    "invalid-json",
                    "invalid-token",
                    "insufficient-scope",
                    "order-not-found",
                    "request-timeout",
                    "invalid-transition",
                    "concurrent-update",
                    "payload-too-large",
                    "unsupported-media-type",
                    "unavailable",
                    "timeout",
                ],
            ),
        ],
        problem_types: PROBLEM_TYPES.to_vec(),
        description: DESCRIPTION,
    }
}

/// The id the examples of the document share.
const EXAMPLE_ID: &str = "0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d";

fn example(mut schema: Value, value: impl Into<Value>) -> Value {
    schema["example"] = value.into();
    schema
}

/// The order service's own kinds of problem.
const PROBLEM_TYPES: &[ProblemType] = &[
    ProblemType::new(
        "order-not-found",
        404,
        "No order has this id, or it is another customer's: both answers are the same, so that \
         ids cannot be probed.",
        "order 0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d not found",
    ),
    ProblemType::new(
        "invalid-transition",
        409,
        "The lifecycle does not allow this change: `created` goes to `sent` or `cancelled`, \
         `sent` to `delivered`, and nothing goes back. Nothing was changed.",
        "an order cannot go from delivered to cancelled",
    ),
    ProblemType::new(
        "concurrent-update",
        409,
        "Other changes of the same order won every retry of this one. Nothing was changed; read \
         the order and try again.",
        "order 0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d kept changing under concurrent updates; retry",
    ),
    ProblemType::new(
        "idempotency-key-in-flight",
        409,
        "The first request with this `Idempotency-Key` has been in progress for more than 5 s. \
         Retry with the same key: the answer will be that request's.",
        "a request with this Idempotency-Key is still being processed; retry later",
    ),
    ProblemType::new(
        "idempotency-key-reused",
        422,
        "This `Idempotency-Key` was used within 24 hours with another body. Nothing was created: \
         a new order needs a new key.",
        "this Idempotency-Key was already used with a different request body",
    ),
];

/// The document's description of the API.
const DESCRIPTION: &str = "\
Takes orders, serves them, and moves them through their lifecycle:

    created ──> sent ──> delivered
       └──────> cancelled

Nothing goes back, and asking for the current status again changes nothing. When an order \
becomes `sent`, the service publishes an `order.sent` event; the **voucher service** answers an \
order that totals **more than 100.00 EUR** (by default) with exactly one **5.00 EUR** voucher \
for its customer.

Money is integer cents (`6000` is 60.00 EUR); the only currency is EUR. The server computes an \
order's total from its items. Unknown fields and repeated keys in a body are refused.

**Access.** Every operation needs an OAuth 2.0 bearer access token (\"Authorize\"); each \
operation says which scopes. A customer (the token's subject) orders, reads and lists for \
itself only; another customer's order answers 404.

**Retries.** `POST /orders` takes an `Idempotency-Key`: the same key and body within 24 hours \
replay the first answer (`Idempotent-Replayed: true`) and create nothing.

**Errors** are RFC 9457 problem documents (`application/problem+json`); each `type` is a page \
explaining it (all of them: [/problems](/problems)). Every operation lists exactly the statuses \
it can answer with, each with an example.

**Clients.** The document is [/openapi.json](/openapi.json): generate a client from it (the \
project's tests do, with openapi-python-client).";

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
