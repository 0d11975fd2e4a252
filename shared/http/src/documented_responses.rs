//! The error answers of each operation as the document states them: exactly the statuses
//! the operation can return, each with the kinds of problem behind it, an example of each,
//! and a link to the page that explains it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Operation, PROBLEM_JSON, ProblemType, problem_types::RATE_LIMITED};

/// Keeps, among the error responses poem-openapi generated for `operation` (every status
/// [`ApiError`](super::ApiError) has), those of the problems it declares, adds those it lacks
/// (408), and gives each an example per kind. A 429 (stated by the rate limit) stays and gets
/// its example too.
pub(super) fn document(responses: &mut Value, operation: &Operation) {
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    let mut declared: BTreeMap<u16, Vec<ProblemType>> = BTreeMap::new();
    let rate_limited = operation.rate_limit.map(|_| RATE_LIMITED);
    for problem in operation.problems.iter().copied().chain(rate_limited) {
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
    use checkout_auth::{Permission, Scope};
    use poem::http::Method;

    use super::*;
    use crate::{
        RateClass,
        problem_types::{NOT_FOUND, REQUEST_TIMEOUT, VALIDATION},
    };

    #[test]
    fn an_operation_keeps_exactly_the_statuses_of_its_kinds_each_with_examples() {
        let problem = json!({"description": "x", "content": {PROBLEM_JSON: {"schema": {}}}});
        let mut responses = json!({
            "200": {"description": "ok"},
            "400": problem, "404": problem, "409": problem, "415": problem, "429": problem,
        });
        let operation = Operation {
            method: Method::GET,
            path: "/things/{id}",
            permission: Permission {
                scopes: &[Scope::OrdersRead],
                rule: "",
            },
            rate_limit: Some(RateClass::Lookup),
            takes_body: false,
            problems: &[VALIDATION, NOT_FOUND, REQUEST_TIMEOUT],
        };
        document(&mut responses, &operation);
        let responses = responses.as_object().unwrap();
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
