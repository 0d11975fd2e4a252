//! The error answers of each operation as the document states them: exactly the statuses
//! the operation can return, each with the kinds of problem behind it, an example of each,
//! and a link to the page that explains it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{DocumentedRules, PROBLEM_JSON, ProblemType};

/// Keeps, among the error responses poem-openapi generated for each operation in
/// `rules.problems` (every status [`ApiError`](super::ApiError) has), those of the kinds the
/// operation names, adds those it lacks (408), and gives each an example per kind. A 429
/// (stated by the rate limits) stays where it is and gets its example too.
///
/// # Panics
/// An operation names a kind that neither the service nor [`COMMON_PROBLEMS`](super::COMMON_PROBLEMS)
/// defines: a mistake in the service's rules, which every test of the document shows.
pub(super) fn document(spec: &mut Value, rules: &DocumentedRules) {
    for (method, path, kinds) in &rules.problems {
        let pointer = format!("/paths/{}/{method}/responses", path.replace('/', "~1"));
        let Some(responses) = spec.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        let mut declared: BTreeMap<u16, Vec<ProblemType>> = BTreeMap::new();
        let rate_limited = responses.contains_key("429").then_some(&"rate-limited");
        for kind in kinds.iter().chain(rate_limited) {
            let problem = rules
                .problem_type(kind)
                .unwrap_or_else(|| panic!("{method} {path} names an undefined problem kind {kind:?}"));
            declared.entry(problem.status).or_default().push(problem);
        }
        responses.retain(|status, _| {
            status
                .parse::<u16>()
                .map_or(true, |s| s < 400 || declared.contains_key(&s))
        });
        for (status, problems) in declared {
            let response = responses.entry(status.to_string()).or_insert_with(|| {
                json!({
                    "description": problems[0].example().title,
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                })
            });
            describe(response, &problems);
        }
        let mut sorted: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
        sorted.sort_by(|(a, _), (b, _)| a.cmp(b));
        responses.extend(sorted);
    }
}

fn describe(response: &mut Value, problems: &[ProblemType]) {
    let Some(response) = response.as_object_mut() else {
        return;
    };
    let list: Vec<String> = problems
        .iter()
        .map(|p| format!("- [`{uri}`]({uri}): {about}", uri = p.uri(), about = p.about))
        .collect();
    let description = match response.get("description").and_then(Value::as_str) {
        Some(existing) if !existing.is_empty() => format!("{existing}\n\n{}", list.join("\n")),
        _ => list.join("\n"),
    };
    response.insert("description".into(), description.into());
    let examples: Map<String, Value> = problems
        .iter()
        .map(|p| {
            let value = poem_openapi::types::ToJSON::to_json(&p.example()).unwrap_or_default();
            (p.kind.to_owned(), json!({"summary": p.uri(), "value": value}))
        })
        .collect();
    if let Some(media) = response
        .get_mut("content")
        .and_then(|c| c.get_mut(PROBLEM_JSON))
        .and_then(Value::as_object_mut)
    {
        media.insert("examples".into(), Value::Object(examples));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_keeps_exactly_the_statuses_of_its_kinds_each_with_examples() {
        let problem = json!({"description": "x", "content": {PROBLEM_JSON: {"schema": {}}}});
        let mut spec = json!({"paths": {"/things/{id}": {"get": {"responses": {
            "200": {"description": "ok"},
            "400": problem, "404": problem, "409": problem, "415": problem, "429": problem,
        }}}}});
        let rules = DocumentedRules {
            problems: vec![("get", "/things/{id}", &["validation", "not-found", "request-timeout"])],
            ..DocumentedRules::default()
        };
        document(&mut spec, &rules);
        let responses = spec["paths"]["/things/{id}"]["get"]["responses"].as_object().unwrap();
        let statuses: Vec<_> = responses.keys().map(String::as_str).collect();
        assert_eq!(statuses, ["200", "400", "404", "408", "429"]);
        assert_eq!(
            responses["429"]["content"][PROBLEM_JSON]["examples"]["rate-limited"]["value"]["type"],
            "/problems/rate-limited"
        );
        let description = responses["404"]["description"].as_str().unwrap();
        assert!(description.starts_with("x\n\n- [`/problems/not-found`](/problems/not-found): "));
        assert_eq!(
            responses["408"]["content"][PROBLEM_JSON]["examples"]["request-timeout"]["value"]["status"],
            408
        );
    }
}
