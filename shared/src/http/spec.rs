//! The OpenAPI document as served, with what poem-openapi cannot express added, and the
//! `Allow` header that 405 answers owe, taken from that same document.

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, StatusCode, header},
    web::Json,
};
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

/// The documented paths and the methods each answers: for `Allow` headers and metric labels.
#[derive(Debug, Clone, Default)]
pub struct DocumentedRoutes(Vec<(String, Vec<String>, String)>);

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
            let segments = path.trim_matches('/').split('/').map(str::to_owned).collect();
            routes.push((path.clone(), segments, methods.join(", ")));
        }
        Self(routes)
    }

    /// The `Allow` value for a request path, if it matches a documented path.
    pub fn for_path(&self, path: &str) -> Option<&str> {
        self.find(path).map(|(_, _, allow)| allow.as_str())
    }

    /// The documented path template a request path matches, e.g. `/orders/{id}`.
    pub fn route_of(&self, path: &str) -> Option<&str> {
        self.find(path).map(|(route, _, _)| route.as_str())
    }

    fn find(&self, path: &str) -> Option<&(String, Vec<String>, String)> {
        let wanted: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0.iter().find(|(_, template, _)| {
            template.len() == wanted.len() && template.iter().zip(&wanted).all(|(t, w)| t.starts_with('{') || t == w)
        })
    }

    /// Adds `Allow` to a 405 answer.
    pub async fn apply<E: Endpoint>(self: Arc<Self>, next: Arc<E>, req: Request) -> Result<Response> {
        let path = req.uri().path().to_owned();
        let mut response = match next.call(req).await {
            Ok(response) => response.into_response(),
            Err(err) => err.into_response(),
        };
        if response.status() == StatusCode::METHOD_NOT_ALLOWED
            && let Some(allow) = self.for_path(&path)
            && let Ok(value) = HeaderValue::from_str(allow)
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
        Ok(response)
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
        assert_eq!(allowed.for_path("/orders"), Some("GET, HEAD, POST"));
        assert_eq!(allowed.for_path("/orders/abc/status"), Some("PATCH"));
        assert_eq!(allowed.for_path("/nope"), None);
        assert_eq!(allowed.route_of("/orders/abc/status"), Some("/orders/{id}/status"));
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
