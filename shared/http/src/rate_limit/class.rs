//! How the document states a rate limit.

use crate::{PROBLEM_JSON, RateClass};

/// The 429 answer the document states for an operation limited by `class`.
pub(crate) fn too_many_requests_response(class: RateClass) -> serde_json::Value {
    serde_json::json!({
        "description": format!(
            "Too many {} requests from this caller (the subject of its token, or its address \
             without a valid token); nothing was done. Retry after `Retry-After` seconds.",
            class.label()
        ),
        "headers": {"Retry-After": {
            "description": "Seconds to wait before the caller's next request of this kind can pass.",
            "required": true,
            "schema": {"type": "integer", "minimum": 1},
        }},
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    })
}
