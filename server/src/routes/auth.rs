//! `/api/auth`: guest sign-in, sign-out, and who am I.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header::SET_COOKIE},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    auth::{Caller, presented_token},
    error::Result,
    extract::Json,
    identity::{UserInfo, ensure_guest_enabled, guest_sign_in},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/guest/sign-in", post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/session", get(session))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    user: String,
}

async fn sign_in(State(state): State<AppState>, body: Result<Json<SignIn>>) -> Result<Response> {
    // Disabled guest sign-in is 403 whatever the body says.
    ensure_guest_enabled(&state)?;
    let Json(body) = body?;
    let (token, user) = guest_sign_in(&state, &body.user).await?;
    let cookie = HeaderValue::from_str(&state.auth.session_cookie(&token)).map_err(anyhow::Error::from)?;
    Ok(([(SET_COOKIE, cookie)], axum::Json(json!({ "token": token, "user": user }))).into_response())
}

/// Ends the session of the presented token, if any, and clears the cookie. Idempotent.
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if let Ok(Some(token)) = presented_token(&headers) {
        state.auth.sessions.delete(&token).await?;
    }
    let cookie = HeaderValue::from_str(&state.auth.clearing_cookie()).map_err(anyhow::Error::from)?;
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

async fn session(State(state): State<AppState>, caller: Caller) -> Result<axum::Json<UserInfo>> {
    let user = caller.user()?;
    Ok(axum::Json(UserInfo::of(&state.catalog, user)))
}
