//! The OpenAPI document as served: poem-openapi's, completed from the operations'
//! declarations, and the pages that show it.

use std::sync::Arc;

use checkout_auth::Permission;
use poem::{Endpoint, IntoResponse, Response};
use serde_json::Value;

use crate::Routes;

/// The document as served: poem-openapi's, with what it cannot say added from the
/// operations' declarations: every schema a request body reaches refuses unknown fields (the
/// bodies are read with `deny_unknown_fields`), each operation states the scopes it needs,
/// its 429 where it is rate-limited, and exactly the error statuses of its problems, each
/// with an example.
pub fn finished_spec(generated: &str, routes: &Routes) -> Value {
    let Generated(mut spec) = serde_json::from_str(generated).expect("poem-openapi generates valid JSON");
    close_request_schemas(&mut spec);
    assert_served_as_declared(&spec, routes);
    for operation in routes.operations() {
        let pointer = format!(
            "/paths/{}/{}",
            operation.path.replace('/', "~1"),
            operation.method.as_str().to_ascii_lowercase()
        );
        let documented = spec
            .pointer_mut(&pointer)
            .and_then(Value::as_object_mut)
            .expect("every declared operation is served (assert_served_as_declared)");
        // Secure by default: a declared scope is only checked if the handler takes the caller.
        assert!(
            documented.contains_key("security"),
            "{} {} declares a permission but its handler takes no `Authenticated` caller",
            operation.method,
            operation.path
        );
        document_permission(documented, &operation.permission);
        if let Some(class) = operation.rate_limit
            && let Some(responses) = documented.get_mut("responses").and_then(Value::as_object_mut)
        {
            responses.insert("429".into(), super::rate_limit::too_many_requests_response(class));
        }
        if let Some(responses) = documented.get_mut("responses") {
            super::documented_responses::document(responses, operation);
        }
    }
    simplify_all_of(&mut spec);
    spec
}

/// Panics unless the document has exactly the operations of the route table: an operation
/// served without a declaration, or declared but not served, is a defect found at start.
fn assert_served_as_declared(spec: &Value, routes: &Routes) {
    let mut served: Vec<String> = spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, _)| format!("{} {path}", method.to_ascii_uppercase()))
        })
        .collect();
    let mut declared: Vec<String> = routes
        .operations()
        .map(|o| format!("{} {}", o.method, o.path))
        .collect();
    served.sort();
    declared.sort();
    assert_eq!(
        served, declared,
        "the operations served are not those of the route table"
    );
}

/// poem-openapi's document, read so that nothing of it is lost: each API of a tuple writes
/// its own entry under `paths`, so a path that two operations share (`GET` and `POST
/// /orders`) appears twice, and the entries are merged; limits come as floats (`1.0`) and
/// integral ones are read back as integers, as the domain states them.
struct Generated(Value);

impl<'de> serde::Deserialize<'de> for Generated {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(GeneratedVisitor).map(Generated)
    }
}

struct GeneratedVisitor;

impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an OpenAPI document")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        #[allow(clippy::cast_possible_truncation)]
        let integral = v.fract() == 0.0 && v.abs() < 2f64.powi(53);
        Ok(if integral { (v as i64).into() } else { v.into() })
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Generated(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some((key, Generated(value))) = map.next_entry::<String, Generated>()? {
            match (object.get_mut(&key), value) {
                (Some(Value::Object(earlier)), Value::Object(more)) => earlier.extend(more),
                (_, value) => {
                    object.insert(key, value);
                }
            }
        }
        Ok(Value::Object(object))
    }
}

/// Marks every schema a request body reaches (through properties, items and `allOf`) with
/// `additionalProperties: false`.
fn close_request_schemas(spec: &mut Value) {
    let mut pending: Vec<String> = Vec::new();
    for operation in spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, ops)| ops.as_object())
        .flatten()
    {
        collect_refs(&operation.1["requestBody"], &mut pending);
    }
    let mut closed = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !closed.insert(name.clone()) {
            continue;
        }
        let Some(schema) = spec.pointer_mut(&format!("/components/schemas/{name}")) else {
            continue;
        };
        collect_refs(schema, &mut pending);
        if let Some(schema) = schema.as_object_mut()
            && schema.get("type").and_then(Value::as_str) == Some("object")
        {
            schema.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
}

fn collect_refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                into.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, into)),
        _ => {}
    }
}

/// poem-openapi states a described (or nullable) reference as `allOf: [{$ref}, {description}]`
/// with the description repeated beside `allOf`. Code generators take an `allOf` for an
/// object to merge, and give up on one of an enum; the second member says nothing the
/// outer schema does not, so it goes, leaving `allOf: [{$ref}]`.
fn simplify_all_of(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let redundant = match map.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                Some([reference, Value::Object(annotations)]) if reference.get("$ref").is_some() => {
                    annotations.iter().all(|(keyword, v)| map.get(keyword) == Some(v))
                }
                _ => false,
            };
            if redundant && let Some(Value::Array(all_of)) = map.get_mut("allOf") {
                all_of.truncate(1);
            }
            map.values_mut().for_each(simplify_all_of);
        }
        Value::Array(items) => items.iter_mut().for_each(simplify_all_of),
        _ => {}
    }
}

/// States the scopes an operation needs in its description and as `x-required-scopes`
/// (OpenAPI 3.0 keeps a bearer scheme's requirement list empty).
fn document_permission(operation: &mut serde_json::Map<String, Value>, permission: &Permission) {
    let scopes: Vec<_> = permission.scopes.iter().map(|s| format!("`{s}`")).collect();
    let text = format!(
        "**Requires** a bearer token with {} {}. {}",
        if scopes.len() == 1 {
            "the scope"
        } else {
            "one of the scopes"
        },
        scopes.join(" or "),
        permission.rule
    );
    let description = match operation.get("description").and_then(Value::as_str) {
        Some(existing) => format!("{existing}\n\n{text}"),
        None => text,
    };
    operation.insert("description".into(), description.into());
    let names: Vec<_> = permission.scopes.iter().map(|s| s.as_str()).collect();
    operation.insert("x-required-scopes".into(), names.into());
}

/// Serves a fixed JSON document, serialized once.
pub fn json_document(document: &Value) -> impl Endpoint<Output = Response> + use<> {
    let body: Arc<str> = document.to_string().into();
    poem::endpoint::make_sync(move |_| {
        body.to_string()
            .with_content_type("application/json; charset=utf-8")
            .into_response()
    })
}

/// Swagger UI's page as poem-openapi renders it, with `document` in place of the one it
/// embeds (the generated one), a link to the raw document, and no favicon to fetch.
pub fn docs_page(swagger_ui: &str, document: &Value) -> String {
    const START: &str = "let spec = ";
    const END: &str = ";\n    let oauth2RedirectUrl";
    // The page inlines Swagger UI's script before the document: search back from the end.
    let end = swagger_ui.find(END);
    let start = end.and_then(|end| swagger_ui[..end].rfind(START));
    let page = match (start, end) {
        (Some(start), Some(end)) if start < end => format!(
            "{}{}{}",
            &swagger_ui[..start + START.len()],
            document,
            &swagger_ui[end..]
        ),
        // A template of another shape: fail loudly in the tests rather than embed a stale document.
        _ => panic!("Swagger UI's page no longer embeds its document as `let spec = ...;`"),
    };
    page.replacen("<head>", "<head>\n    <link rel=\"icon\" href=\"data:,\">", 1)
        .replacen(
            "<div id=\"ui\"></div>",
            "<p style=\"font-family:sans-serif;margin:1em 2em\">The OpenAPI document this page shows: \
         <a href=\"/openapi.json\">/openapi.json</a> (generate a client from it); the problem \
         types: <a href=\"/problems\">/problems</a>.</p>\n<div id=\"ui\"></div>",
            1,
        )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_docs_page_embeds_the_given_document_links_to_it_and_needs_no_favicon() {
        let swagger = "<html><head></head><body><div id=\"ui\"></div><script>\n    let spec = {\"old\": 1};\n    let oauth2RedirectUrl;</script></body></html>";
        let page = docs_page(swagger, &json!({"new": 2}));
        assert!(
            page.contains("let spec = {\"new\":2};\n    let oauth2RedirectUrl"),
            "{page}"
        );
        assert!(!page.contains("old"));
        assert!(page.contains("<a href=\"/openapi.json\">") && page.contains("rel=\"icon\" href=\"data:,\""));
    }

    #[test]
    fn a_described_reference_keeps_its_reference_alone_in_all_of() {
        let generated = json!({"components": {"schemas": {"Order": {"properties": {"status": {
            "allOf": [{"$ref": "#/components/schemas/Status"}, {"description": "Where it is."}],
            "description": "Where it is.",
        }}}}}});
        let finished = finished_spec(&generated.to_string(), &Routes::default());
        assert_eq!(
            finished["components"]["schemas"]["Order"]["properties"]["status"],
            json!({"allOf": [{"$ref": "#/components/schemas/Status"}], "description": "Where it is."})
        );
    }

    #[test]
    fn every_schema_a_request_body_reaches_refuses_additional_properties() {
        let body = |name: &str| json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}});
        let generated = json!({
            "paths": {"/orders": {"post": {"requestBody": body("CreateOrderRequest"), "security": []}}},
            "components": {"schemas": {
                "CreateOrderRequest": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}},
                "Item": {"type": "object"},
                "Currency": {"type": "string"},
                "OrderDto": {"type": "object"},
            }}
        });
        let create = crate::Operation {
            method: poem::http::Method::POST,
            path: "/orders",
            permission: checkout_auth::Permission { scopes: &[], rule: "" },
            rate_limit: None,
            takes_body: true,
            problems: &[],
        };
        let finished = finished_spec(&generated.to_string(), &Routes::new(&[create], &[]));
        let schemas = &finished["components"]["schemas"];
        assert_eq!(schemas["CreateOrderRequest"]["additionalProperties"], false);
        assert_eq!(schemas["Item"]["additionalProperties"], false);
        assert!(schemas["OrderDto"].get("additionalProperties").is_none());
        assert!(schemas["Currency"].get("additionalProperties").is_none());
    }
}
