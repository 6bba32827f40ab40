//! `/api/notifications`: Backstage's notifications REST API, with its deprecated aliases, plus
//! mark-all-read and keyset paging.
//!
//! Checks come in Backstage's order: credentials (401), then the request itself (400), then the
//! kind of credentials (403).

use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use serde_json::{Value, json};

use crate::{
    auth::Caller,
    error::{Error, Result},
    extract::Json,
    notifications::{
        ListResponse, UpdateRequest,
        model::{Notification, Status},
        query,
        send::SendRequest,
        settings::NotificationSettings,
    },
    routes::openapi,
    state::AppState,
};

/// Full paths, not a nested router: Backstage clients use both `/api/notifications` and
/// `/api/notifications/` (the node client posts to the latter), and a nest would serve only one.
pub fn router() -> Router<AppState> {
    let routes = [
        ("/notifications", get(list).post(create)),
        ("/", get(list).post(create)),
        ("/status", get(status)),
        ("/settings", get(get_settings).post(post_settings)),
        ("/topics", get(topics)),
        // GET on these names is a lookup of an id that cannot exist: 404, as for any unknown id.
        // POST is their only method, and what a 405 lists.
        ("/notifications/update", get(no_such_notification).post(update).fallback(post_only)),
        ("/update", get(no_such_notification).post(update).fallback(post_only)),
        ("/notifications/read-all", get(no_such_notification).post(read_all).fallback(post_only)),
        ("/notifications/{id}", get(get_one)),
        ("/openapi.json", get(openapi_document)),
        ("/{id}", get(get_one)),
    ];
    let mut router = Router::new().route(MOUNT, get(list).post(create));
    for (path, handler) in routes {
        router = router.route(&format!("{MOUNT}{path}"), handler);
    }
    router
}

/// The mount point relative to `/api`.
const MOUNT: &str = "/notifications";

async fn no_such_notification(_caller: Caller) -> Error {
    Error::not_found()
}

async fn post_only() -> impl IntoResponse {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")])
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<axum::Json<ListResponse>> {
    let query = query::parse_list(raw.as_deref())?;
    let user = caller.user()?;
    Ok(axum::Json(state.notifications.list(user, &query).await?))
}

async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Notification>> {
    let user = caller.user()?;
    Ok(axum::Json(state.notifications.get(user, &id).await?))
}

async fn status(State(state): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> Result<axum::Json<Status>> {
    query::parse_none(raw.as_deref())?;
    let user = caller.user()?;
    Ok(axum::Json(state.notifications.status(user).await?))
}

async fn topics(State(state): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> Result<axum::Json<Value>> {
    let filter = query::parse_topics(raw.as_deref())?;
    let user = caller.user()?;
    let topics = state.notifications.topics(user, &filter).await?;
    Ok(axum::Json(json!({ "topics": topics })))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<Value>>,
) -> Result<axum::Json<Vec<Notification>>> {
    let Json(body) = body?;
    let request = UpdateRequest::parse(&body)?;
    let user = caller.user()?;
    Ok(axum::Json(state.notifications.update(user, &request).await?))
}

async fn read_all(State(state): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> Result<axum::Json<Value>> {
    let filter = query::parse_read_all(raw.as_deref())?;
    let user = caller.user()?;
    let count = state.notifications.mark_all_read(user, &filter).await?;
    Ok(axum::Json(json!({ "count": count })))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<Value>>,
) -> Result<axum::Json<Vec<Notification>>> {
    let Json(body) = body?;
    let request = SendRequest::parse(&body, state.notifications.base_url())?;
    let origin = caller.service_origin()?;
    Ok(axum::Json(state.notifications.send(&state.catalog, &origin, request).await?))
}

async fn get_settings(State(state): State<AppState>, caller: Caller) -> Result<axum::Json<NotificationSettings>> {
    let user = caller.user()?;
    Ok(axum::Json(state.notifications.settings(user).await?))
}

async fn post_settings(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NotificationSettings>>,
) -> Result<axum::Json<NotificationSettings>> {
    let Json(settings) = body?;
    let user = caller.user()?;
    Ok(axum::Json(state.notifications.save_settings(user, &settings).await?))
}

/// Any authenticated caller may read the API description.
async fn openapi_document(_caller: Caller) -> axum::Json<Value> {
    axum::Json(openapi::document().clone())
}
