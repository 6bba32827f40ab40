//! Hosting the Leptos app: server-side rendering, server functions, and the built assets.

use std::sync::{Arc, LazyLock};

use app::{
    backend::{Backend, BackendError, NewSession, SharedBackend},
    model::{ListResponse, Notification, NotificationSettings, Person, Status, Viewer},
};
use async_trait::async_trait;
use axum::{
    Router,
    http::{
        HeaderName, HeaderValue, StatusCode,
        header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION},
    },
    middleware,
    response::Response,
};
use http::request::Parts;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use crate::{
    auth::{Principal, presented_token},
    catalog::EntityRef,
    error::Error,
    identity::{UserInfo, guest_sign_in, user_of},
    notifications::{UpdateRequest, query},
    state::AppState,
};

/// The app's routes, walked once per process. Walking them switches off resource loading for the
/// whole process while it runs (a global in leptos), so a second server started in the same
/// process (tests do) would stall the pages another one is rendering at that moment.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(app::App));

/// The app's pages, its server functions (under `/_srv`), and the static site.
pub fn router(state: &AppState) -> Router<AppState> {
    let backend: SharedBackend = Arc::new(UiBackend(state.clone()));
    let context = move || provide_context(backend.clone());
    let options = state.leptos.clone();
    let pkg_dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    // Bundles keep their names across builds, so browsers revalidate them (cheap 304s) rather
    // than cache blindly; the build writes .gz and .br beside each file.
    let pkg = Router::new()
        .fallback_service(ServeDir::new(pkg_dir).precompressed_gzip().precompressed_br())
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    Router::new()
        .nest(&format!("/{}", options.site_pkg_dir), pkg)
        .leptos_routes_with_context(state, ROUTES.clone(), context.clone(), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, app::shell))
        .layer(middleware::map_response(page_redirects))
        .layer(middleware::from_fn(with_memory))
}

/// What a request's server functions share, asked of the database once however many of them
/// its page calls: who made it (a stale or foreign token is no one), and their counts (each
/// island that shows them fetches them; a page renders reading, so they do not change under it).
#[derive(Clone, Default)]
struct Memory(Arc<MemoryCells>);

#[derive(Default)]
struct MemoryCells {
    caller: tokio::sync::OnceCell<Option<Principal>>,
    status: tokio::sync::OnceCell<Status>,
}

async fn with_memory(mut request: axum::extract::Request, next: middleware::Next) -> Response {
    request.extensions_mut().insert(Memory::default());
    next.run(request).await
}

/// Leptos answers a redirect during rendering with a 302 only when the request says it accepts
/// HTML, and otherwise with a hint header meant for server-function clients. A page is never a
/// server-function client, so every page redirect becomes a real 302 (curl, crawlers, tests).
async fn page_redirects(mut response: Response) -> Response {
    let hint = HeaderName::from_static("serverfnredirect");
    let is_page = response.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_page && response.headers().contains_key(&hint) && response.headers().contains_key(LOCATION) {
        response.headers_mut().remove(&hint);
        *response.status_mut() = StatusCode::FOUND;
    }
    response
}

/// The UI's view of the server's services.
struct UiBackend(AppState);

#[async_trait]
impl Backend for UiBackend {
    async fn viewer(&self, request: &Parts) -> Result<Option<Viewer>, BackendError> {
        let principal = self.caller(request).await?;
        Ok(principal.as_ref().and_then(user_of).map(|user| viewer(&UserInfo::of(&self.0.catalog, user))))
    }

    fn guest_sign_in_enabled(&self) -> bool {
        self.0.auth.guest_enabled()
    }

    fn people(&self) -> Vec<Person> {
        self.0
            .catalog
            .users()
            .into_iter()
            .map(|user| Person {
                user_ref: user.entity_ref.to_string(),
                display_name: user.label().to_owned(),
                email: user.email.clone(),
            })
            .collect()
    }

    async fn sign_in_as_guest(&self, user_ref: &str) -> Result<NewSession, BackendError> {
        let (token, user) = guest_sign_in(&self.0, user_ref).await.map_err(to_backend)?;
        Ok(NewSession {
            set_cookie: self.0.auth.session_cookie(&token),
            viewer: viewer(&UserInfo::of(&self.0.catalog, &user)),
        })
    }

    async fn sign_out(&self, request: &Parts) -> Result<String, BackendError> {
        if let Ok(Some(token)) = presented_token(&request.headers) {
            self.0.auth.sessions.delete(&token).await.map_err(to_backend)?;
        }
        Ok(self.0.auth.clearing_cookie())
    }

    async fn list(&self, request: &Parts, query: &str) -> Result<ListResponse, BackendError> {
        let user = self.user(request).await?;
        let query = query::parse_list(Some(query)).map_err(to_backend)?;
        self.0.notifications.list(&user, &query).await.map_err(to_backend)
    }

    async fn notification(&self, request: &Parts, id: &str) -> Result<Notification, BackendError> {
        let user = self.user(request).await?;
        self.0.notifications.get(&user, id).await.map_err(to_backend)
    }

    async fn status(&self, request: &Parts) -> Result<Status, BackendError> {
        let count = || async {
            let user = self.user(request).await?;
            self.0.notifications.status(&user).await.map_err(to_backend)
        };
        match request.extensions.get::<Memory>() {
            Some(Memory(memory)) => memory.status.get_or_try_init(count).await.copied(),
            None => count().await,
        }
    }

    async fn topics(&self, request: &Parts, query: &str) -> Result<Vec<String>, BackendError> {
        let user = self.user(request).await?;
        let filter = query::parse_topics(Some(query)).map_err(to_backend)?;
        self.0.notifications.topics(&user, &filter).await.map_err(to_backend)
    }

    async fn update(
        &self,
        request: &Parts,
        ids: Vec<String>,
        read: Option<bool>,
        saved: Option<bool>,
    ) -> Result<Vec<Notification>, BackendError> {
        let user = self.user(request).await?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let update = UpdateRequest::new(&ids, read, saved);
        self.0.notifications.update(&user, &update).await.map_err(to_backend)
    }

    async fn mark_all_read(&self, request: &Parts, query: &str) -> Result<u64, BackendError> {
        let user = self.user(request).await?;
        let filter = query::parse_read_all(Some(query)).map_err(to_backend)?;
        self.0.notifications.mark_all_read(&user, &filter).await.map_err(to_backend)
    }

    async fn settings(&self, request: &Parts) -> Result<NotificationSettings, BackendError> {
        let user = self.user(request).await?;
        self.0.notifications.settings(&user).await.map_err(to_backend)
    }

    async fn save_settings(
        &self,
        request: &Parts,
        settings: NotificationSettings,
    ) -> Result<NotificationSettings, BackendError> {
        let user = self.user(request).await?;
        self.0.notifications.save_settings(&user, &settings).await.map_err(to_backend)
    }
}

impl UiBackend {
    /// The signed-in user of a server-function call.
    async fn user(&self, request: &Parts) -> Result<EntityRef, BackendError> {
        match self.caller(request).await? {
            Some(Principal::User(user)) => Ok(user),
            _ => Err(BackendError::Unauthenticated),
        }
    }

    /// The caller, from the request's memory when [`with_memory`] gave it one. Failures other
    /// than a bad token are not remembered: the next call asks again.
    async fn caller(&self, request: &Parts) -> Result<Option<Principal>, BackendError> {
        let identify = || async {
            match self.0.auth.identify(&request.headers).await {
                Ok(principal) => Ok(principal),
                Err(Error::Authentication(_)) => Ok(None),
                Err(error) => Err(to_backend(error)),
            }
        };
        match request.extensions.get::<Memory>() {
            Some(Memory(memory)) => memory.caller.get_or_try_init(identify).await.cloned(),
            None => identify().await,
        }
    }
}

fn viewer(info: &UserInfo) -> Viewer {
    Viewer {
        user_ref: info.user.to_string(),
        display_name: info.display_name.clone(),
        email: info.email.clone(),
        groups: info.ownership_entity_refs.iter().filter(|r| !r.is_user()).map(ToString::to_string).collect(),
    }
}

fn to_backend(error: Error) -> BackendError {
    match error {
        Error::Authentication(_) => BackendError::Unauthenticated,
        Error::NotAllowed(message) => BackendError::NotAllowed(message),
        Error::NotFound(message) => BackendError::NotFound(message),
        Error::Input(message) | Error::PayloadTooLarge(message) => BackendError::Invalid(message),
        Error::Internal(error) => {
            tracing::error!(error = format!("{error:#}"), "internal error in a server function");
            BackendError::Internal
        }
    }
}
