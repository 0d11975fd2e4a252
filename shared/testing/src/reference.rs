//! Checks of a service's API reference: the document is complete (descriptions, examples,
//! problem pages), `/docs` shows it, and each operation answers with exactly the statuses it
//! declares.

use std::collections::BTreeSet;

use serde_json::Value;

/// Panics unless `value` is the same JSON, field for field and in the same order, through
/// serde (how `StrictJson` writes responses) as through poem-openapi's `ToJSON` (which
/// writes the document's examples).
pub fn assert_same_json<T: serde::Serialize + poem_openapi::types::ToJSON>(value: &T) {
    let through_serde = serde_json::to_string(value).expect("serializes");
    let through_openapi = value.to_json_string();
    assert_eq!(
        through_serde, through_openapi,
        "serde and poem-openapi disagree on the JSON of a value"
    );
}

/// Panics unless a request body `value`, written as the document writes it (poem-openapi's
/// `ToJSON`), reads back the same through serde (how `JsonBody` reads requests, refusing
/// unknown fields) as through poem-openapi's `ParseFromJSON`: the two derives of a request
/// type agree on every field's name and shape.
pub fn assert_same_reading<T>(value: &T)
where
    T: serde::de::DeserializeOwned + poem_openapi::types::ParseFromJSON + poem_openapi::types::ToJSON,
{
    let written = value.to_json().expect("writes as JSON");
    let through_serde: T = serde_json::from_value(written.clone())
        .unwrap_or_else(|e| panic!("serde does not read what the document writes, {written}: {e}"));
    let through_openapi = T::parse_from_json(Some(written.clone()))
        .unwrap_or_else(|e| panic!("poem-openapi does not read {written}: {}", e.into_message()));
    assert_eq!(
        through_serde.to_json(),
        Some(written.clone()),
        "serde reads {written} differently"
    );
    assert_eq!(
        through_openapi.to_json(),
        Some(written),
        "poem-openapi reads differently"
    );
}

/// The top-level field names of the JSON object `text`, in the order they were written.
pub fn field_order(text: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Map<String, Value>>(text)
        .expect("a JSON object")
        .keys()
        .cloned()
        .collect()
}

/// Panics unless the JSON object `text` has the fields of the document's schema `schema`,
/// in the document's order: no field the schema lacks, none out of order, every required one.
pub fn assert_fields_in_documented_order(text: &str, document: &Value, schema: &str) {
    let written = field_order(text);
    let schema = &document["components"]["schemas"][schema];
    let documented: Vec<String> = schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("the document has no schema {schema}"))
        .keys()
        .cloned()
        .collect();
    let expected: Vec<String> = documented.iter().filter(|f| written.contains(f)).cloned().collect();
    assert_eq!(
        written, expected,
        "fields of {text} against the document's {documented:?}"
    );
    for required in schema["required"].as_array().into_iter().flatten() {
        assert!(
            written.iter().any(|f| f == required.as_str().unwrap()),
            "{text} lacks the required {required}"
        );
    }
}

/// Sends `request` until it is refused with 429 (at most 300 times); the refusal.
pub async fn until_limited(request: impl Fn() -> reqwest::RequestBuilder) -> reqwest::Response {
    for _ in 0..300 {
        let response = request().send().await.expect("the request is answered");
        if response.status() == 429 {
            return response;
        }
    }
    panic!("never rate-limited");
}

/// Stops the database `db` is connected to from serving its service: the runtime role may
/// no longer log in, and its open connections are ended (the 503s of the status coverage).
pub async fn take_the_database_away(db: &sea_orm::DatabaseConnection) {
    use sea_orm::{ConnectionTrait, Statement};
    let superuser = super::connect(&super::servers().postgres_url).await;
    let database: String = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT current_database()".to_owned(),
        ))
        .await
        .expect("the database answers")
        .expect("one row")
        .try_get_by_index(0)
        .expect("its name");
    for sql in [
        format!(r#"ALTER ROLE "{database}_app" NOLOGIN"#),
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{database}_app'"),
    ] {
        superuser
            .execute_raw(Statement::from_string(superuser.get_database_backend(), sql))
            .await
            .expect("the superuser may");
    }
}

/// The document served at `address`/openapi.json.
pub async fn served_document(address: &str) -> Value {
    reqwest::get(format!("{address}/openapi.json"))
        .await
        .expect("GET /openapi.json")
        .json()
        .await
        .expect("a JSON document")
}

/// Every operation of `document` as (method, path template).
pub fn operations(document: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (path, methods) in document["paths"].as_object().into_iter().flatten() {
        for (method, _) in methods.as_object().into_iter().flatten() {
            found.push((method.clone(), path.clone()));
        }
    }
    found
}

/// Asserts that `/docs` at `address` embeds the very document served at `/openapi.json` and
/// links to it, and that the document describes the API, every operation, parameter,
/// response header, schema and property, has an example for every body, and that every
/// problem example's `type` is a page that explains it.
pub async fn assert_reference_is_complete(address: &str) {
    let document = served_document(address).await;
    let page = reqwest::get(format!("{address}/docs"))
        .await
        .expect("GET /docs")
        .text()
        .await
        .expect("the page");
    assert!(
        page.contains("href=\"/openapi.json\""),
        "/docs links to the raw document"
    );
    let embedded = page
        .split_once("let spec = ")
        .and_then(|(_, rest)| rest.split_once(";\n    let oauth2RedirectUrl"))
        .map(|(spec, _)| serde_json::from_str::<Value>(spec).expect("the embedded document is JSON"))
        .expect("/docs embeds a document");
    assert_eq!(embedded, document, "/docs embeds another document than /openapi.json");

    let mut missing = Vec::new();
    let described = |missing: &mut Vec<String>, what: String, value: &Value| {
        if value.as_str().is_none_or(|text| text.trim().is_empty()) {
            missing.push(what);
        }
    };
    described(
        &mut missing,
        "info.description".into(),
        &document["info"]["description"],
    );
    let mut problem_types = BTreeSet::new();
    for (method, path) in operations(&document) {
        let operation = &document["paths"][&path][&method];
        described(&mut missing, format!("{method} {path}: summary"), &operation["summary"]);
        described(
            &mut missing,
            format!("{method} {path}: description"),
            &operation["description"],
        );
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = &parameter["name"];
            described(
                &mut missing,
                format!("{method} {path}: parameter {name}"),
                &parameter["description"],
            );
            if parameter["schema"].get("example").is_none() {
                missing.push(format!("{method} {path}: example of parameter {name}"));
            }
        }
        if let Some(body) = operation.get("requestBody") {
            for (media, content) in body["content"].as_object().into_iter().flatten() {
                if example_of(&document, content).is_none() {
                    missing.push(format!("{method} {path}: example of the {media} request body"));
                }
            }
        }
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            described(
                &mut missing,
                format!("{method} {path} {status}"),
                &response["description"],
            );
            for (name, header) in response["headers"].as_object().into_iter().flatten() {
                described(
                    &mut missing,
                    format!("{method} {path} {status}: header {name}"),
                    &header["description"],
                );
            }
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                if status.starts_with('2') && example_of(&document, content).is_none() {
                    missing.push(format!("{method} {path} {status}: example of {media}"));
                }
                if !status.starts_with('2') {
                    let examples = content["examples"].as_object();
                    if examples.is_none_or(serde_json::Map::is_empty) {
                        missing.push(format!("{method} {path} {status}: problem examples"));
                    }
                    for example in examples.into_iter().flatten().map(|(_, e)| &e["value"]) {
                        assert_eq!(example["status"].as_u64(), status.parse().ok(), "{method} {path}");
                        problem_types.insert(example["type"].as_str().unwrap_or_default().to_owned());
                    }
                }
            }
        }
    }
    for (name, schema) in document["components"]["schemas"].as_object().into_iter().flatten() {
        described(&mut missing, format!("schema {name}"), &schema["description"]);
        for (property, definition) in schema["properties"].as_object().into_iter().flatten() {
            described(
                &mut missing,
                format!("schema {name}: {property}"),
                &definition["description"],
            );
        }
    }
    assert!(missing.is_empty(), "the reference lacks:\n{}", missing.join("\n"));

    let client = reqwest::Client::new();
    for uri in &problem_types {
        let response = client.get(format!("{address}{uri}")).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{uri} resolves");
        let text = response.text().await.unwrap_or_default();
        assert!(text.contains(&format!("<code>{uri}</code>")), "{uri} explains itself");
    }
}

/// The example of a media type: its own, or its schema's (followed through `$ref`).
fn example_of<'a>(document: &'a Value, content: &'a Value) -> Option<&'a Value> {
    if let Some(example) = content.get("example") {
        return Some(example);
    }
    let schema = &content["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(reference) => document.pointer(reference.trim_start_matches('#'))?,
        None => schema,
    };
    schema.get("example")
}

/// What the requests of a status-coverage test reached, against the statuses the served
/// document declares for each operation.
pub struct StatusCoverage {
    document: Value,
    reached: BTreeSet<(String, String, u16)>,
    undeclared: Vec<String>,
}

impl StatusCoverage {
    pub async fn of(address: &str) -> Self {
        Self {
            document: served_document(address).await,
            reached: BTreeSet::new(),
            undeclared: Vec::new(),
        }
    }

    /// Records the answer `response` to a request of `method` on the documented `path`,
    /// and returns its body as JSON (`Null` if it is not JSON). An error must be one of the
    /// problems the document gives as examples for its status.
    pub async fn record(&mut self, method: &str, path: &str, response: reqwest::Response) -> Value {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        self.record_text(method, path, status, &text)
    }

    /// As [`record`](Self::record), for an answer read off the wire.
    pub fn record_text(&mut self, method: &str, path: &str, status: u16, text: &str) -> Value {
        let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let declared = &self.document["paths"][path][method]["responses"][status.to_string()];
        if declared.is_null() {
            self.undeclared
                .push(format!("{method} {path} answered {status}, not declared: {text}"));
        } else if status >= 400 {
            let examples = &declared["content"]["application/problem+json"]["examples"];
            let documented: Vec<&Value> = examples
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, e)| &e["value"])
                .collect();
            let example = documented.iter().find(|e| e["type"] == body["type"]);
            match example {
                None => self.undeclared.push(format!(
                    "{method} {path} {status}: {} is none of the documented {:?}",
                    body["type"],
                    documented.iter().map(|e| &e["type"]).collect::<Vec<_>>()
                )),
                Some(example) if example["title"] != body["title"] => self.undeclared.push(format!(
                    "{method} {path} {status}: titled {}, its example {}",
                    body["title"], example["title"]
                )),
                Some(_) => {}
            }
        }
        self.reached.insert((method.to_owned(), path.to_owned(), status));
        body
    }

    /// Asserts that every request answered a declared status and that every declared
    /// status of every operation was answered by some request.
    pub fn finish(self) {
        let mut failures = self.undeclared;
        for (method, path) in operations(&self.document) {
            let responses = &self.document["paths"][&path][&method]["responses"];
            for status in responses.as_object().into_iter().flatten().map(|(s, _)| s) {
                let status: u16 = status.parse().expect("a numeric status");
                if !self.reached.contains(&(method.clone(), path.clone(), status)) {
                    failures.push(format!("{method} {path} declares {status}, which no case reached"));
                }
            }
        }
        assert!(failures.is_empty(), "status coverage:\n{}", failures.join("\n"));
    }
}
