//! `/api/signals`: the WebSocket browsers subscribe on, and publishing for services.

use axum::{
    Router,
    extract::{
        State,
        ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::{HeaderMap, header},
    response::Response,
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::{
    auth::{Caller, Principal},
    error::{Error, Result},
    extract::Json,
    signals::{model::PublishRequest, socket},
    state::AppState,
};

/// Frames from browsers are small control messages.
const MAX_CLIENT_FRAME: usize = 16 * 1024;
/// Buffers sized for many idle connections: browsers send frames of a few dozen bytes, so 1 KiB,
/// not the library's 128 KiB, keeps an idle connection under 8 KiB; larger frames still fit.
const READ_BUFFER: usize = 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signals", get(connect))
        .route("/signals/publish", post(publish))
        .route("/signals/health", get(health))
}

/// Upgrades to a WebSocket for a signed-in user. The user is the session cookie's, or the
/// token offered as the subprotocol (Backstage's browser client does this), which is then
/// echoed back as the handshake requires. Anything else is 401, without an upgrade.
async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response> {
    let offered = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let principal = match &offered {
        Some(token) => state.auth.authenticate(token).await?,
        None => {
            check_origin(&state, &headers)?;
            state.auth.identify(&headers).await?.ok_or_else(|| Error::Authentication("Missing credentials".into()))?
        }
    };
    let Principal::User(user) = principal else {
        return Err(Error::NotAllowed("Signals are for users, not services".into()));
    };
    let upgrade = upgrade.map_err(|_| Error::input("Expected a WebSocket upgrade"))?;
    let refs = state.catalog.ownership_refs(&user).iter().map(|r| r.as_str().into()).collect();
    let mut upgrade = upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME);
    if let Some(token) = offered {
        upgrade = upgrade.protocols([token]);
    }
    let signals = state.signals.clone();
    let shutdown = state.shutdown.clone();
    Ok(upgrade.on_upgrade(move |ws| socket::run(ws, signals, refs, shutdown)))
}

/// A cookie travels with any page's WebSocket to this host; only Herald's own pages may use it
/// (cross-site WebSocket hijacking). Token-authenticated clients prove themselves anyway.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let base = state.config.server.base_url.origin().ascii_serialization();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let same_host = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
    if origin == base || same_host {
        Ok(())
    } else {
        Err(Error::NotAllowed(format!("WebSocket connections from {origin} are not allowed")))
    }
}

/// Publishes a signal for services: `{"recipients", "channel", "message"}`. Answers with the
/// position the signal got in the log.
async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<PublishRequest>>,
) -> Result<axum::Json<Value>> {
    let Json(request) = body?;
    let outgoing = request.into_outgoing()?;
    caller.service_origin()?;
    let positions = state.signals.publish(std::slice::from_ref(&outgoing)).await?;
    Ok(axum::Json(json!({ "position": positions.first() })))
}

async fn health() -> axum::Json<Value> {
    axum::Json(json!({ "status": "ok" }))
}
