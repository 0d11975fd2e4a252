//! Which operations are limited, against which limit, and how the document says so.

use poem::http::Method;

use crate::{DocumentedRules, PROBLEM_JSON};

/// Which limit an operation counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Write,
    Lookup,
}

impl Class {
    /// The class of `method` on the documented path `template`, if it is limited at all.
    pub(crate) fn of(method: &Method, template: &str, rules: &DocumentedRules) -> Option<Self> {
        // HEAD is a GET without the body: it answers the same question.
        let looked_up = |m: &str| {
            m.eq_ignore_ascii_case(method.as_str()) || (*method == Method::HEAD && m.eq_ignore_ascii_case("get"))
        };
        if rules.lookups.iter().any(|(m, p)| *p == template && looked_up(m)) {
            return Some(Self::Lookup);
        }
        match *method {
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE => Some(Self::Write),
            _ => None,
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Write => "write",
            Self::Lookup => "lookup",
        }
    }
}

/// States the 429 in the document for every operation that is limited.
pub(crate) fn document(spec: &mut serde_json::Value, rules: &DocumentedRules) {
    let paths = spec.get_mut("paths").and_then(serde_json::Value::as_object_mut);
    for (template, operations) in paths.into_iter().flatten() {
        for (method, operation) in operations.as_object_mut().into_iter().flatten() {
            let limited = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .ok()
                .and_then(|m| Class::of(&m, template, rules));
            let responses = operation
                .get_mut("responses")
                .and_then(serde_json::Value::as_object_mut);
            if let (Some(class), Some(responses)) = (limited, responses) {
                responses.insert("429".into(), too_many_requests_response(class));
            }
        }
    }
}

fn too_many_requests_response(class: Class) -> serde_json::Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_limited_everywhere_and_lookups_where_named() {
        let rules = DocumentedRules {
            lookups: vec![("get", "/vouchers/{code}"), ("post", "/vouchers/{code}/redeem")],
            ..DocumentedRules::default()
        };
        assert_eq!(
            Class::of(&Method::POST, "/vouchers/{code}/redeem", &rules),
            Some(Class::Lookup),
            "a write that answers a guess counts as a lookup"
        );
        assert_eq!(Class::of(&Method::POST, "/orders", &rules), Some(Class::Write));
        assert_eq!(Class::of(&Method::DELETE, "/orders", &rules), Some(Class::Write));
        assert_eq!(Class::of(&Method::GET, "/orders", &rules), None);
        assert_eq!(Class::of(&Method::GET, "/vouchers/{code}", &rules), Some(Class::Lookup));
        assert_eq!(
            Class::of(&Method::HEAD, "/vouchers/{code}", &rules),
            Some(Class::Lookup)
        );
        assert_eq!(Class::of(&Method::OPTIONS, "/vouchers/{code}", &rules), None);
    }
}
