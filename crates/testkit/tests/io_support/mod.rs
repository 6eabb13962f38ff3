//! What the import and export tests share: uploading a file, waiting for its job.

#![allow(dead_code)]

use std::time::Duration;

use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::reqwest::header::HeaderMap;
use rapport_testkit::serde_json::Value;
use rapport_testkit::{Answer, TestApp};

/// Sends a file as the raw body of `POST /api/v1/imports?{query}`.
pub async fn upload(app: &TestApp, query: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
    let res = app
        .client
        .post(format!("{}/api/v1/imports?{query}", app.base))
        .bearer_auth(&app.token)
        .header("content-type", content_type)
        .body(body.into())
        .send()
        .await
        .expect("request");
    TestApp::answer(res).await
}

/// Polls a job until it is done or failed.
pub async fn wait(app: &TestApp, id: &str) -> Value {
    for _ in 0..600 {
        let a = app.get(&format!("/api/v1/imports/{id}")).await;
        assert_eq!(a.status, StatusCode::OK, "[{}] job {id}: {}", app.name(), a.body);
        if matches!(a.body["status"].as_str(), Some("done" | "failed")) {
            return a.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("[{}] import job {id} did not finish", app.name());
}

/// Uploads a file, expects 202, and returns the finished job.
pub async fn import(app: &TestApp, query: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Value {
    let a = upload(app, query, content_type, body).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "[{}] import {query}: {}", app.name(), a.body);
    let job = wait(app, a.body["id"].as_str().expect("job id")).await;
    assert_eq!(job["status"], "done", "[{}] import {query}: {job}", app.name());
    job
}

/// A GET whose body is text (exports, reject files).
pub async fn get_text(app: &TestApp, path: &str) -> (StatusCode, HeaderMap, String) {
    let res = app.client.get(format!("{}{path}", app.base)).bearer_auth(&app.token).send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.text().await.expect("text body"))
}

pub fn counts(job: &Value) -> (u64, u64, u64, u64) {
    let c = &job["counts"];
    let n = |k: &str| c[k].as_u64().unwrap_or(u64::MAX);
    (n("created"), n("updated"), n("skipped"), n("failed"))
}

/// A test data file.
pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/io_data/{name}", env!("CARGO_MANIFEST_DIR"))).expect("test data file")
}

/// Percent-encodes a query-string value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// A `multipart/form-data` body: text fields, then the file.
pub fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "rapport-test-boundary-7d1f";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Reads CSV text (quotes, doubled quotes, commas and newlines in quotes) into records.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
