//! What the UI needs from the server, as a trait the server implements.
//!
//! Server functions find an `Arc<dyn Backend>` in the Leptos context and call it, so the UI
//! shares the REST API's service layer without depending on the server crate or on SQL.

use std::sync::Arc;

use async_trait::async_trait;
use http::request::Parts;

use crate::model::{ListResponse, Notification, NotificationSettings, Person, Status, Viewer};

#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("something went wrong on the server")]
    Internal,
}

/// A new session: the cookie to set and who it belongs to.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub set_cookie: String,
    pub viewer: Viewer,
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The user signed in on this request, from its cookie or bearer token.
    async fn viewer(&self, request: &Parts) -> Result<Option<Viewer>, BackendError>;

    /// Whether development sign-in (pick any catalog user) is on.
    fn guest_sign_in_enabled(&self) -> bool;

    /// Catalog users, for the guest sign-in page.
    fn people(&self) -> Vec<Person>;

    async fn sign_in_as_guest(&self, user_ref: &str) -> Result<NewSession, BackendError>;

    /// Ends the request's session; returns the cookie that clears it in the browser.
    async fn sign_out(&self, request: &Parts) -> Result<String, BackendError>;

    // The signed-in user's notifications. Queries are the REST API's query strings, so the
    // pages and `GET /api/notifications/…` select exactly the same things.

    async fn list(&self, request: &Parts, query: &str) -> Result<ListResponse, BackendError>;

    async fn notification(&self, request: &Parts, id: &str) -> Result<Notification, BackendError>;

    async fn status(&self, request: &Parts) -> Result<Status, BackendError>;

    async fn topics(&self, request: &Parts, query: &str) -> Result<Vec<String>, BackendError>;

    async fn update(
        &self,
        request: &Parts,
        ids: Vec<String>,
        read: Option<bool>,
        saved: Option<bool>,
    ) -> Result<Vec<Notification>, BackendError>;

    /// Marks every unread notification matching the query read; returns how many.
    async fn mark_all_read(&self, request: &Parts, query: &str) -> Result<u64, BackendError>;

    async fn settings(&self, request: &Parts) -> Result<NotificationSettings, BackendError>;

    async fn save_settings(
        &self,
        request: &Parts,
        settings: NotificationSettings,
    ) -> Result<NotificationSettings, BackendError>;
}

pub type SharedBackend = Arc<dyn Backend>;
