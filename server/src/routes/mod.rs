//! The REST API under `/api`, and the probes.

pub mod auth;
pub mod health;
pub mod notifications;
pub mod openapi;
pub mod signals;

use axum::{Router, middleware};

use crate::{error, state::AppState};

/// Everything under `/api`: one error envelope, one 404 for unknown paths.
pub fn api() -> Router<AppState> {
    Router::new()
        .nest("/auth", auth::router())
        .merge(notifications::router())
        .merge(signals::router())
        .fallback(|| async { error::Error::not_found() })
        .layer(middleware::from_fn(error::envelope))
}
