//! Probes for orchestrators: liveness (`/healthz`) and readiness (`/readyz`).

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};

use crate::{db::Engine, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// The process is up and serving HTTP.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// The process can do its work: the database answers.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = match state.db.engine() {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": database }))),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": database })))
        }
    }
}
