//! Putting it together: start-up, the HTTP stack, background work, and graceful shutdown.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context;
use axum::{Router, extract::DefaultBodyLimit};
use leptos::config::{Env, LeptosOptions};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::{
    auth::Auth,
    catalog,
    config::Config,
    db::{Db, redact},
    notifications::{Notifications, retention},
    routes,
    signals::Signals,
    state::{AppState, Services},
    ui,
};

/// A server that is accepting connections.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Asks the server to stop: no new connections; in-flight requests finish.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Waits until the server has stopped.
    pub async fn stopped(self) -> anyhow::Result<()> {
        self.task.await.context("server task panicked")?
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Loads the catalog, opens and migrates the database, binds `server.listen`, and serves in the
/// background until [`Running::shutdown`].
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let catalog = catalog::load(&config.catalog.files)?;
    tracing::info!(users = catalog.user_count(), groups = catalog.group_count(), "catalog loaded");
    let db = Db::connect(&config.database).await?;
    db.migrate().await?;
    db.refresh_statistics().await.context("refreshing the database's statistics")?;
    tracing::info!(database = redact(&config.database.url), "database ready");
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {} (server.listen)", config.server.listen))?;
    let addr = listener.local_addr()?;

    let leptos = LeptosOptions::builder()
        .output_name(app::OUTPUT_NAME)
        .site_root(config.server.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(Env::PROD)
        .build();
    let secure_cookie = config.server.base_url.scheme() == "https";
    let auth = Auth::new(&config.auth, db.clone(), secure_cookie);
    let shutdown = CancellationToken::new();
    let signals = Signals::start(db.clone(), config.signals.clone(), shutdown.clone()).await?;
    let notifications = Notifications::new(
        db.clone(),
        signals.clone(),
        config.notifications.default_settings.clone(),
        config.server.base_url.clone(),
    );
    let state = AppState::new(Services {
        config,
        db,
        catalog,
        auth,
        notifications,
        signals,
        leptos,
        shutdown: shutdown.clone(),
    });

    spawn_housekeeping(state.clone(), shutdown.clone());
    retention::spawn_sweeper(
        state.notifications.store().clone(),
        state.config.notifications.retention,
        shutdown.clone(),
    );
    let router = router(&state);
    let grace = state.config.server.shutdown_timeout;
    let task = tokio::spawn(serve(listener, router, shutdown.clone(), grace, state.clone()));
    tracing::info!(%addr, base_url = %state.config.server.base_url, "Herald is listening");
    Ok(Running { addr, state, shutdown, task })
}

/// The whole HTTP surface.
pub fn router(state: &AppState) -> Router {
    Router::new()
        .merge(routes::health::router())
        .nest("/api", routes::api())
        .merge(ui::router(state))
        .layer(DefaultBodyLimit::max(state.config.server.max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(state.clone())
}

async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    grace: Duration,
    state: AppState,
) -> anyhow::Result<()> {
    let graceful = {
        let shutdown = shutdown.clone();
        async move { shutdown.cancelled().await }
    };
    // Served as a router made ready once: a plain `Router` is re-made for every connection,
    // cloning each of its ~85 routes (a third of the CPU of a request on a fresh connection).
    let server = axum::serve(listener, router.into_make_service()).with_graceful_shutdown(graceful);
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.context("HTTP server failed")?,
        () = deadline => tracing::warn!(?grace, "requests still running after the shutdown timeout; stopping anyway"),
    }
    // Upgraded connections are not the HTTP server's any more: they close on the same signal,
    // sending "going away" so clients reconnect elsewhere. Give them a moment to do so.
    let closing = tokio::time::Instant::now();
    while state.signals.hub.connection_count() > 0 && closing.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    state.db.close().await;
    tracing::info!("Herald stopped");
    Ok(())
}

/// Periodic upkeep that needs no coordination between instances.
fn spawn_housekeeping(state: AppState, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let hour = Duration::from_secs(3600);
        let mut every_hour = tokio::time::interval_at(tokio::time::Instant::now() + hour, hour);
        loop {
            tokio::select! {
                _ = every_hour.tick() => {}
                () = shutdown.cancelled() => return,
            }
            match state.auth.sessions.purge_expired().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "expired sessions removed"),
                Err(error) => tracing::warn!(?error, "could not remove expired sessions"),
            }
        }
    });
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when the
/// future is first polled: a supervisor may stop the server the moment it says it is listening,
/// and a signal before that would end the process without a graceful shutdown.
pub fn termination_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        [SignalKind::terminate(), SignalKind::interrupt()].map(|kind| signal(kind).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let [terminate, interrupt] = handlers;
            let wait = |handler: Option<tokio::signal::unix::Signal>| async move {
                match handler {
                    Some(mut handler) => {
                        handler.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(terminate) => {}
                () = wait(interrupt) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
