//! Helpers shared by the API test files.

#![allow(dead_code)]

use std::collections::HashSet;

use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::Value;
use rapport_testkit::{Answer, TestApp};

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `id` of a JSON record.
pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// The ids of a list of records, in order.
pub fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id).collect()
}

/// The `items` of a list answer.
pub fn items(a: &Answer) -> Vec<Value> {
    a.body["items"].as_array().cloned().unwrap_or_else(|| panic!("no items in {}", a.body))
}

/// A list answer's item ids as a set.
pub fn id_set(items: &[Value]) -> HashSet<String> {
    items.iter().map(id).collect()
}

/// Asserts a problem+json error with this status that blames `field` (when given).
#[track_caller]
pub fn assert_problem(app: &TestApp, a: &Answer, status: StatusCode, field: Option<&str>, what: &str) {
    let name = app.name();
    assert_eq!(a.status, status, "[{name}] {what}: expected {status}, got {} {}", a.status, a.body);
    assert!(
        a.header("content-type").is_some_and(|c| c.starts_with("application/problem+json")),
        "[{name}] {what}: expected application/problem+json, got {:?}",
        a.header("content-type")
    );
    assert_eq!(a.body["status"].as_u64(), Some(status.as_u16() as u64), "[{name}] {what}: problem status in {}", a.body);
    if let Some(f) = field {
        assert!(a.error_fields().iter().any(|x| x == f), "[{name}] {what}: expected field '{f}' blamed, got {}", a.body);
    }
}

/// Asserts a 2xx-free, 5xx-free answer: a 4xx problem.
#[track_caller]
pub fn assert_client_error(app: &TestApp, a: &Answer, what: &str) {
    let name = app.name();
    assert!(a.status.is_client_error(), "[{name}] {what}: expected a 4xx, got {} {}", a.status, a.body);
    assert!(
        a.header("content-type").is_some_and(|c| c.starts_with("application/problem+json")),
        "[{name}] {what}: expected application/problem+json, got {:?} ({})",
        a.header("content-type"),
        a.body
    );
}

/// Asserts a status, naming the app and the request in the message.
#[track_caller]
pub fn assert_status(app: &TestApp, a: &Answer, status: StatusCode, what: &str) {
    assert_eq!(a.status, status, "[{}] {what}: {}", app.name(), a.body);
}

/// The workspace's default pipeline.
pub async fn default_pipeline(app: &TestApp) -> Value {
    let a = app.get("/api/v1/pipelines").await;
    assert_status(app, &a, StatusCode::OK, "list pipelines");
    items(&a)
        .into_iter()
        .find(|p| p["is_default"] == Value::Bool(true))
        .unwrap_or_else(|| panic!("[{}] no default pipeline in {}", app.name(), a.body))
}

/// The first stage of a pipeline with this outcome.
pub fn stage_with(pipeline: &Value, outcome: &str) -> Value {
    pipeline["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["outcome"] == outcome).cloned())
        .unwrap_or_else(|| panic!("no {outcome} stage in {pipeline}"))
}
