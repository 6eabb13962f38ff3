//! Errors as RFC 9457 problem details (`application/problem+json`), naming
//! each field at fault. Every failure a client can cause is a 4xx; a 500 means
//! a bug or a database outage, and its details go to the log, not the client.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::{FieldError, ValidationErrors};
use rapport_store::StoreError;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Records a change could not be applied to (ids, values and reasons), when it names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Box<serde_json::Value>>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Self {
            kind: format!("https://rapport.dev/problems/{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            errors: vec![],
            records: None,
        }
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
    pub fn invalid(errors: ValidationErrors) -> Self {
        let detail = errors.to_string();
        Self {
            errors: errors.0,
            ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "The request has invalid fields")
        }
        .detail(detail)
    }
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            errors: vec![FieldError::new(field, "invalid", message.clone())],
            ..Problem::new(StatusCode::BAD_REQUEST, "bad-request", "The request is malformed")
        }
        .detail(message)
    }
    pub fn not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "No such resource")
    }
    pub fn unauthorized(detail: &str) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required").detail(detail)
    }
    pub fn internal() -> Self {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error").detail("the error was logged")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(&self)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"rapport\""));
        }
        res
    }
}

impl From<ValidationErrors> for Problem {
    fn from(e: ValidationErrors) -> Self {
        Problem::invalid(e)
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Problem::not_found(),
            StoreError::Forbidden(m) => Problem::new(StatusCode::FORBIDDEN, "forbidden", "You may not do this").detail(m),
            StoreError::Invalid(v) => Problem::invalid(v),
            StoreError::VersionMismatch { expected, current } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                "The record has changed since you read it",
            )
            .detail(format!(
                "If-Match named version {expected}, the record is at version {current}: read it again and reapply your change"
            )),
            StoreError::NotConvertible { field, attribute, to, total, records } => {
                let message = format!("{total} records have values of '{field}' that are not a valid {to}");
                Self {
                    errors: vec![FieldError::new(attribute, "not_convertible", message.clone())],
                    records: Some(Box::new(serde_json::json!(records))),
                    ..Problem::new(StatusCode::CONFLICT, "not-convertible", "Some values would not convert")
                }
                .detail(format!("{message}; the first {} are listed in `records`, nothing was changed", records.len()))
            }
            StoreError::Conflict(c) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "The request conflicts with the current state").detail(c.message)
            }
            other => {
                tracing::error!(error = %other, "request failed");
                Problem::internal()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, Problem>;
