//! The domain's rules as the API states them: the constraints the OpenAPI document
//! publishes for each parameter and the scopes each operation needs, from the domain's
//! constants.

use checkout_http::{DocumentedRules, ProblemType, page_limit_field, text_field};
use serde_json::{Value, json};

use crate::application::domain::{
    VOUCHER_CODE_PATTERN,
    access::{READ, REDEEM},
};

/// What the document publishes of the domain's rules.
pub fn documented() -> DocumentedRules {
    DocumentedRules {
        closed_schemas: Vec::new(),
        properties: Vec::new(),
        parameters: vec![
            ("customer_id", example(text_field(), "alice")),
            (
                "order_id",
                json!({"format": "uuid", "example": "0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d"}),
            ),
            ("limit", example(page_limit_field(), 20)),
            (
                "code",
                json!({"pattern": VOUCHER_CODE_PATTERN, "example": "7K3M-QX9P-2HBD-W4RT"}),
            ),
        ],
        permissions: vec![
            ("get", "/vouchers", READ),
            ("get", "/vouchers/{code}", READ),
            ("post", "/vouchers/{code}/redeem", REDEEM),
        ],
        // Everything that answers "is this a voucher code?" counts against the lookup limit,
        // redeeming included (an unknown code is a 404 there too), so that codes cannot be
        // harvested by guessing at speed.
        lookups: vec![
            ("get", "/vouchers"),
            ("get", "/vouchers/{code}"),
            ("post", "/vouchers/{code}/redeem"),
        ],
        // No operation declares 500: it would mean a defect, which no request can be made to
        // cause on purpose and no client can act on beyond retrying; `/problems/internal`
        // still explains it. 503 is the database (or the identity provider's keys) being
        // out of reach, or a request that took too long. No operation reads a body, so none
        // answers 408, 413 or 415.
        problems: vec![
            (
                "get",
                "/vouchers",
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
                "/vouchers/{code}",
                &[
                    "validation",
                    "invalid-token",
                    "insufficient-scope",
                    "voucher-not-found",
                    "unavailable",
                    "timeout",
                ],
            ),
            (
                "post",
                "/vouchers/{code}/redeem",
                &[
                    "validation",
                    "invalid-token",
                    "insufficient-scope",
                    "voucher-not-found",
                    "already-redeemed",
                    "unavailable",
                    "timeout",
                ],
            ),
        ],
        problem_types: PROBLEM_TYPES.to_vec(),
        description: DESCRIPTION,
    }
}

fn example(mut schema: Value, value: impl Into<Value>) -> Value {
    schema["example"] = value.into();
    schema
}

/// The voucher service's own kinds of problem.
const PROBLEM_TYPES: &[ProblemType] = &[
    ProblemType::new(
        "voucher-not-found",
        404,
        "No voucher has this code, or it is another customer's: both answers are the same, so \
         that codes cannot be probed.",
        "no voucher has this code",
    ),
    ProblemType::new(
        "already-redeemed",
        409,
        "The voucher was redeemed before: a voucher is redeemed once. Nothing was changed.",
        "the voucher was already redeemed",
    ),
];

/// The document's description of the API.
const DESCRIPTION: &str = "\
Vouchers earned by orders. When the order service marks an order `sent`, it publishes an \
`order.sent` event; this service answers an order that totals **more than 100.00 EUR** (by \
default, `VOUCHER_THRESHOLD_CENTS`) with exactly **one 5.00 EUR voucher** \
(`VOUCHER_AMOUNT_CENTS`) for its customer, usually within milliseconds. An order never earns \
a second voucher, however often its event arrives.

A voucher is `active` until it is redeemed, once: `active ──> redeemed`. Its code is 16 \
Crockford base32 characters (80 random bits) in groups of four, such as `7K3M-QX9P-2HBD-W4RT`; \
lookups ignore case and hyphens.

Money is integer cents (`500` is 5.00 EUR); the only currency is EUR.

**Access.** Every operation needs an OAuth 2.0 bearer access token (\"Authorize\"); each \
operation says which scopes. A customer lists, reads and redeems its own vouchers only; \
another customer's voucher answers 404. Lookups and redemptions are rate-limited per caller \
(429 with `Retry-After`), so codes cannot be guessed at speed.

**Errors** are RFC 9457 problem documents (`application/problem+json`); each `type` is a page \
explaining it (all of them: [/problems](/problems)). Every operation lists exactly the statuses \
it can answer with, each with an example.

**Clients.** The document is [/openapi.json](/openapi.json): generate a client from it (the \
project's tests do, with openapi-python-client).";
