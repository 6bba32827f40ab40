//! Request extractors whose rejections are ordinary [`Error`]s, so they get the envelope and
//! a message that says what was wrong.

use axum::{
    extract::{FromRequest, Request, rejection::JsonRejection},
    http::StatusCode,
};
use serde::de::DeserializeOwned;

use crate::{error::Error, state::AppState};

/// A JSON body; malformed JSON, a wrong content type or a schema violation is a 400.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Error> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> Error {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge("Request body too large".into()),
        _ => match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Error::input("Expected a JSON body (Content-Type: application/json)")
            }
            JsonRejection::JsonDataError(error) => Error::input(format!(
                "Invalid request body: {}",
                error.body_text().trim_start_matches("Failed to deserialize the JSON body into the target type: ")
            )),
            JsonRejection::JsonSyntaxError(_) => Error::input("Request body is not valid JSON"),
            other => Error::input(other.body_text()),
        },
    }
}
