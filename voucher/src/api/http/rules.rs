//! The domain's rules as the API states them: the constraints the OpenAPI document
//! publishes for each parameter and the scopes each operation needs, from the domain's
//! constants.

use serde_json::json;
use shared::http::{DocumentedRules, page_limit_field, text_field};

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
            ("customer_id", text_field()),
            ("order_id", json!({"format": "uuid"})),
            ("limit", page_limit_field()),
            ("code", json!({"pattern": VOUCHER_CODE_PATTERN})),
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
    }
}
