//! Request bodies read as JSON with precise errors, and conditional-request headers.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::Value as Json;

use crate::problem::Problem;

/// A JSON body. Malformed JSON, a wrong content type or an oversized body is a
/// 4xx problem that says what is wrong and where.
pub struct JsonBody(pub Json, pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
            if !(ct.starts_with("application/json") || ct.starts_with("application/merge-patch+json") || ct.contains("+json")) {
                return Err(Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Send JSON")
                    .detail(format!("Content-Type is '{ct}'; use application/json")));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(status, "too-large", "The request body is too large").detail(e.body_text())
            } else {
                Problem::new(status, "bad-body", "The request body could not be read").detail(e.body_text())
            }
        })?;
        if bytes.is_empty() {
            return Err(Problem::bad_request("body", "the request needs a JSON body"));
        }
        let value: Json = serde_json::from_slice(&bytes).map_err(|e| {
            Problem::bad_request("body", format!("malformed JSON at line {} column {}: {e}", e.line(), e.column()))
        })?;
        Ok(JsonBody(value, bytes))
    }
}

/// The version named by `If-Match` (`"3"`, `W/"3"`); `None` when absent or `*`.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let s = v.to_str().unwrap_or_default().trim();
    if s == "*" {
        return Ok(None);
    }
    let inner = s.trim_start_matches("W/").trim_matches('"');
    inner
        .parse::<i64>()
        .map(Some)
        .map_err(|_| Problem::bad_request("If-Match", format!("'{s}' is not an ETag this server gave (like \"3\")")))
}

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}
