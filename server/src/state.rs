//! The services every request handler and server function shares.

use std::{ops::Deref, sync::Arc};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use tokio_util::sync::CancellationToken;

use crate::{auth::Auth, catalog::Catalog, config::Config, db::Db, notifications::Notifications, signals::Signals};

pub struct Services {
    pub config: Config,
    pub db: Db,
    pub catalog: Catalog,
    pub auth: Auth,
    pub notifications: Notifications,
    pub signals: Arc<Signals>,
    pub leptos: LeptosOptions,
    /// Cancelled when the server stops; long-lived connections watch it.
    pub shutdown: CancellationToken,
}

/// Cheap to clone: one `Arc` around the services.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
