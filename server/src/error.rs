//! The one error type of the server and its single mapping to HTTP.
//!
//! Handlers return [`Error`]; its `IntoResponse` only decides the status and the Backstage error
//! name. The envelope itself (which also names the request) is written by [`envelope`], a
//! middleware, because only it sees the request. The same middleware wraps errors produced by
//! axum itself (unknown route, wrong method, body too large) so every `/api` error has one shape.

use axum::{
    body::Body,
    extract::{OriginalUri, Request},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or violates the contract.
    #[error("{0}")]
    Input(String),
    /// No credentials, or credentials that are not valid.
    #[error("{0}")]
    Authentication(String),
    /// Valid credentials of the wrong kind, or a disabled feature.
    #[error("{0}")]
    NotAllowed(String),
    /// Unknown, or not visible to the caller: the two are indistinguishable on purpose.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Anything the caller cannot fix. Logged with its context, answered without it.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(message: impl Into<String>) -> Self {
        Self::Input(message.into())
    }

    pub fn not_found() -> Self {
        Self::NotFound("Not found".into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Input(_) => StatusCode::BAD_REQUEST,
            Self::Authentication(_) => StatusCode::UNAUTHORIZED,
            Self::NotAllowed(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error.name` Backstage clients switch on.
    fn name(&self) -> &'static str {
        match self {
            Self::Input(_) => "InputError",
            Self::Authentication(_) => "AuthenticationError",
            Self::NotAllowed(_) => "NotAllowedError",
            Self::NotFound(_) => "NotFoundError",
            Self::PayloadTooLarge(_) => "PayloadTooLargeError",
            Self::Internal(_) => "Error",
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(anyhow::Error::new(error).context("database"))
    }
}

/// What the envelope middleware needs to finish an error response.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    name: &'static str,
    message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let message = match &self {
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                "Internal server error".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = self.status().into_response();
        response.extensions_mut().insert(ErrorInfo { name: self.name(), message });
        response
    }
}

/// Writes the Backstage error envelope for every error response below it.
pub async fn envelope(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    // Inside a nested router the URI has lost its prefix; the original is what the client sent.
    let uri = request.extensions().get::<OriginalUri>().map_or_else(|| request.uri().clone(), |o| o.0.clone());
    let url = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let info = match response.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        // A rejection from axum or a tower layer: keep its status, give it our shape.
        None => ErrorInfo { name: name_for_status(status), message: message_for_status(status, &method) },
    };
    let (mut parts, _) = response.into_parts();
    let body = json!({
        "error": { "name": info.name, "message": info.message },
        "request": { "method": method.as_str(), "url": url },
        "response": { "statusCode": status.as_u16() },
    });
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

fn name_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::UNPROCESSABLE_ENTITY => "InputError",
        StatusCode::UNAUTHORIZED => "AuthenticationError",
        StatusCode::FORBIDDEN => "NotAllowedError",
        StatusCode::NOT_FOUND => "NotFoundError",
        StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLargeError",
        _ => "Error",
    }
}

fn message_for_status(status: StatusCode, method: &Method) -> String {
    match status {
        StatusCode::NOT_FOUND => "Not found".into(),
        StatusCode::METHOD_NOT_ALLOWED => format!("Method {method} not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => "Request body too large".into(),
        other => other.canonical_reason().unwrap_or("Error").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_its_backstage_name_and_status() {
        let cases = [
            (Error::input("x"), 400, "InputError"),
            (Error::Authentication("x".into()), 401, "AuthenticationError"),
            (Error::NotAllowed("x".into()), 403, "NotAllowedError"),
            (Error::not_found(), 404, "NotFoundError"),
            (Error::Internal(anyhow::anyhow!("boom")), 500, "Error"),
        ];
        for (error, status, name) in cases {
            assert_eq!(error.status().as_u16(), status);
            assert_eq!(error.name(), name);
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let response = Error::Internal(anyhow::anyhow!("password=hunter2")).into_response();
        let info = response.extensions().get::<ErrorInfo>().unwrap();
        assert_eq!(info.message, "Internal server error");
    }
}
