//! The OpenAPI document as served, with what poem-openapi cannot express added, and the
//! `Allow` header that 405 answers owe, taken from that same document.

use std::sync::Arc;

use poem::{Endpoint, IntoResponse, Response, http::HeaderValue, web::Json};
use serde_json::Value;

/// Patches the generated document with what the services check but poem-openapi cannot say:
/// request schemas that refuse unknown fields get `additionalProperties: false`, and the
/// properties of those schemas and the parameters named in `patterns` get their `pattern`.
/// (poem-openapi's own pattern validator compiles its regex on every request, so the
/// services check these rules in code and only publish the patterns here.)
pub fn finished_spec(generated: &str, closed_schemas: &[&str], patterns: &[(&str, &str)]) -> Value {
    let mut spec: Value = serde_json::from_str(generated).expect("poem-openapi generates valid JSON");
    let pattern_of = |name: &str| patterns.iter().find(|(n, _)| *n == name).map(|(_, p)| Value::from(*p));
    if let Some(schemas) = spec.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for name in closed_schemas {
            let Some(schema) = schemas.get_mut(*name).and_then(Value::as_object_mut) else {
                continue;
            };
            schema.insert("additionalProperties".into(), Value::Bool(false));
            for (property, definition) in schema
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flatten()
            {
                if let (Some(pattern), Some(definition)) = (pattern_of(property), definition.as_object_mut()) {
                    definition.insert("pattern".into(), pattern);
                }
            }
        }
    }
    let operations = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flatten();
    for operation in operations.flat_map(|(_, ops)| ops.as_object_mut().into_iter().flatten().map(|(_, op)| op)) {
        for parameter in operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let Some(pattern) = parameter["name"].as_str().and_then(pattern_of) else {
                continue;
            };
            if let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) {
                schema.insert("pattern".into(), pattern);
            }
        }
    }
    spec
}

/// Serves a fixed JSON document.
pub fn json_document(document: Value) -> impl Endpoint<Output = Response> {
    let document = Arc::new(document);
    poem::endpoint::make_sync(move |_| Json(document.as_ref().clone()).into_response())
}

/// A documented path: its template (`/orders/{id}`) and the `Allow` value of its methods
/// (a header value, cheap to clone).
#[derive(Debug, Clone)]
pub struct DocumentedRoute {
    pub template: String,
    pub allow: HeaderValue,
    segments: Vec<String>,
}

/// The documented paths: for metric labels and the `Allow` header of 405 answers.
#[derive(Debug, Clone, Default)]
pub struct DocumentedRoutes(Vec<DocumentedRoute>);

impl DocumentedRoutes {
    pub fn from_spec(spec: &Value) -> Self {
        let mut routes = Vec::new();
        for (path, operations) in spec["paths"].as_object().into_iter().flatten() {
            let mut methods: Vec<String> = operations
                .as_object()
                .into_iter()
                .flatten()
                .map(|(m, _)| m.to_ascii_uppercase())
                .collect();
            if methods.iter().any(|m| m == "GET") {
                methods.push("HEAD".into());
            }
            methods.sort();
            routes.push(DocumentedRoute {
                template: path.clone(),
                allow: HeaderValue::from_str(&methods.join(", ")).expect("method names are valid header text"),
                segments: path.trim_matches('/').split('/').map(str::to_owned).collect(),
            });
        }
        Self(routes)
    }

    /// The documented route a request path matches, if any.
    pub fn matching(&self, path: &str) -> Option<&DocumentedRoute> {
        let wanted: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0.iter().find(|route| {
            route.segments.len() == wanted.len()
                && route
                    .segments
                    .iter()
                    .zip(&wanted)
                    .all(|(t, w)| t.starts_with('{') || t == w)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Value {
        json!({
            "paths": {
                "/orders": {"get": {}, "post": {}},
                "/orders/{id}/status": {"patch": {}},
            },
            "components": {"schemas": {"CreateOrderRequest": {"type": "object"}, "OrderDto": {"type": "object"}}}
        })
    }

    #[test]
    fn allowed_methods_follow_the_documented_paths() {
        let allowed = DocumentedRoutes::from_spec(&spec());
        assert_eq!(allowed.matching("/orders").unwrap().allow, "GET, HEAD, POST");
        let status = allowed.matching("/orders/abc/status").unwrap();
        assert_eq!(status.allow, "PATCH");
        assert_eq!(status.template, "/orders/{id}/status");
        assert!(allowed.matching("/nope").is_none());
    }

    #[test]
    fn closed_schemas_refuse_additional_properties() {
        let finished = finished_spec(&spec().to_string(), &["CreateOrderRequest"], &[]);
        assert_eq!(
            finished["components"]["schemas"]["CreateOrderRequest"]["additionalProperties"],
            false
        );
        assert!(
            finished["components"]["schemas"]["OrderDto"]
                .get("additionalProperties")
                .is_none()
        );
    }
}
