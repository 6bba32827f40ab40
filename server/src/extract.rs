//! Request extractors whose rejections are ordinary [`Error`]s, so they get the envelope and
//! a message that says what was wrong.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request, rejection::JsonRejection},
    http::{StatusCode, header},
};
use serde::de::DeserializeOwned;

use crate::{error::Error, state::AppState};

/// A JSON body; malformed JSON, a wrong content type, a schema violation or a NUL character
/// anywhere in it is a 400.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Error> {
        if !is_json(&request) {
            return Err(Error::input("Expected a JSON body (Content-Type: application/json)"));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge("Request body too large".into())
            } else {
                Error::input(rejection.body_text())
            }
        })?;
        // PostgreSQL's text and jsonb cannot hold a NUL, so a body carrying one would be stored on
        // one engine and fail on the other; refusing it up front keeps both the same and never 500.
        if has_nul_escape(&bytes) {
            return Err(Error::input("Request body must not contain a NUL character (\\u0000)"));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

/// `application/json` or any `application/*+json`, parameters ignored, as axum accepts.
fn is_json(request: &Request) -> bool {
    let Some(value) = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.strip_prefix("application/") {
        Some(subtype) => subtype == "json" || subtype.ends_with("+json"),
        None => false,
    }
}

/// Valid JSON can carry a NUL only as the escape `\u0000`; it is one when preceded by an odd
/// number of backslashes (`\\u0000` is the six characters `\u0000`).
fn has_nul_escape(body: &[u8]) -> bool {
    let needle = b"u0000";
    body.windows(needle.len()).enumerate().any(|(at, window)| {
        window == needle && body[..at].iter().rev().take_while(|&&byte| byte == b'\\').count() % 2 == 1
    })
}

fn json_error(rejection: JsonRejection) -> Error {
    match rejection {
        JsonRejection::JsonDataError(error) => Error::input(format!(
            "Invalid request body: {}",
            error.body_text().trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        )),
        JsonRejection::JsonSyntaxError(_) => Error::input("Request body is not valid JSON"),
        other => Error::input(other.body_text()),
    }
}

#[cfg(test)]
mod tests {
    use super::has_nul_escape;

    #[test]
    fn a_nul_is_an_escape_after_an_odd_number_of_backslashes() {
        assert!(has_nul_escape(br#"{"title":"a\u0000b"}"#));
        assert!(has_nul_escape(br#"{"title":"a\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"title":"a\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"title":"u0000"}"#));
    }
}
