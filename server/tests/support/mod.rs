//! Test support: a real Herald on port 0 with a fresh database, SQLite or PostgreSQL.
#![allow(dead_code)]

use std::path::PathBuf;

use herald::{
    config::{Config, ServiceTokenConfig},
    server::{self, Running},
};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

pub const SERVICE_TOKEN: &str = "test-service-token-0123456789";
pub const SERVICE_SUBJECT: &str = "test-service";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per engine for each listed `async fn name(engine: Engine)`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Engine::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::support::postgres_available() {
                        super::$name($crate::support::Engine::Postgres).await
                    }
                }
            )*
        }
    };
}

/// The throw-away cluster `make test` starts. Without it PostgreSQL tests are skipped with a
/// notice, unless `HERALD_TEST_REQUIRE_POSTGRES` is set (as in CI), where that is a failure.
pub fn postgres_available() -> bool {
    if std::env::var("HERALD_TEST_POSTGRES_URL").is_ok() {
        return true;
    }
    if std::env::var("HERALD_TEST_REQUIRE_POSTGRES").is_ok() {
        panic!("HERALD_TEST_REQUIRE_POSTGRES is set but HERALD_TEST_POSTGRES_URL is not");
    }
    eprintln!("skipping a PostgreSQL test: set HERALD_TEST_POSTGRES_URL (make test does)");
    false
}

/// A fresh, empty database on the test cluster, named after this process.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let admin_url = std::env::var("HERALD_TEST_POSTGRES_URL").expect("HERALD_TEST_POSTGRES_URL");
    let name = format!("herald_test_p{}_{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to the test cluster");
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT.get_or_init(|| drop_abandoned_databases(&mut admin)).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// Drops the databases of test processes that have ended. Tests cannot drop their own (a test
/// ends without an async drop), and on a long-lived cluster they pile up by the hundred; a
/// cluster thrown away after the run (`make test`) never has any. Best effort, Linux only: a
/// process is known to have ended by its missing `/proc` entry, and names from before the
/// process id was in them count as ended.
async fn drop_abandoned_databases(admin: &mut sqlx::PgConnection) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'herald\\_test\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let owner = name.strip_prefix("herald_test_p").and_then(|rest| rest.split('_').next());
        if owner.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            continue;
        }
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&mut *admin)
            .await;
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}

/// A test configuration: demo catalog, guest sign-in on, one service token, a fresh database.
pub async fn test_config(engine: Engine, dir: &TempDir) -> Config {
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.server.site_root = dir.path().join("site");
    config.server.shutdown_timeout = std::time::Duration::from_secs(5);
    config.catalog.files = vec![repo_path("catalog/*.yaml").to_string_lossy().into_owned()];
    config.auth.guest = true;
    config.auth.service_tokens =
        vec![ServiceTokenConfig { subject: SERVICE_SUBJECT.into(), token: SERVICE_TOKEN.into() }];
    config.database.url = match engine {
        Engine::Sqlite => format!("sqlite://{}", dir.path().join("herald.db").display()),
        Engine::Postgres => fresh_postgres_database().await,
    };
    config.database.max_connections = 4;
    config
}

/// An HTTP client for tests: a response that never finishes fails the test instead of hanging it.
pub fn client() -> reqwest::ClientBuilder {
    Client::builder().timeout(std::time::Duration::from_secs(60))
}

/// A running server and an HTTP client for it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub engine: Engine,
    pub running: Option<Running>,
    pub dir: TempDir,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> Self {
        Self::spawn_with(engine, |_| {}).await
    }

    /// Spawns with the test configuration after `adjust` has changed it.
    pub async fn spawn_with(engine: Engine, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(engine, &dir).await;
        adjust(&mut config);
        let running = server::start(config).await.expect("the server starts");
        Self { base: running.base_url(), client: client().build().unwrap(), engine, running: Some(running), dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path))
    }

    /// Signs in through the guest endpoint and returns the session token.
    pub async fn sign_in(&self, user: &str) -> String {
        let response =
            self.post("/api/auth/guest/sign-in").json(&serde_json::json!({ "user": user })).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "signing in as {user}");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().expect("a token").to_owned()
    }

    pub fn get_as(&self, token: &str, path: &str) -> RequestBuilder {
        self.get(path).bearer_auth(token)
    }

    pub fn post_as(&self, token: &str, path: &str) -> RequestBuilder {
        self.post(path).bearer_auth(token)
    }

    /// `GET` as a user, expecting 200 and JSON.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self.get_as(token, path).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// `POST` JSON as `token`, expecting 200 and JSON.
    pub async fn post_json(&self, token: &str, path: &str, body: Value) -> Value {
        let response = self.post_as(token, path).json(&body).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "POST {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Sends a notification as the test service; returns the created notifications.
    pub async fn send(&self, body: Value) -> Vec<Value> {
        let value = self.post_json(SERVICE_TOKEN, "/api/notifications/notifications", body).await;
        value.as_array().expect("an array of notifications").clone()
    }

    /// Sends `title` to one user and returns its id.
    pub async fn send_to(&self, user: &str, title: &str) -> String {
        let created = self
            .send(serde_json::json!({ "recipients": { "type": "entity", "entityRef": user }, "payload": { "title": title } }))
            .await;
        created[0]["id"].as_str().unwrap().to_owned()
    }

    pub async fn broadcast(&self, payload: Value) -> String {
        let created = self.send(serde_json::json!({ "recipients": { "type": "broadcast" }, "payload": payload })).await;
        created[0]["id"].as_str().unwrap().to_owned()
    }

    /// Rows in a table, straight from the database.
    pub async fn rows(&self, table: &str) -> i64 {
        let state = &self.running.as_ref().unwrap().state;
        let sql = format!("SELECT count(*) FROM {table}");
        herald::with_pool!(&state.db, read, |pool| {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())).fetch_one(pool).await.unwrap()
        })
    }

    /// Waits until `n` connections are subscribed to `channel` (subscribing is asynchronous).
    pub async fn await_subscribers(&self, channel: &str, n: usize) {
        let hub = &self.running.as_ref().unwrap().state.signals.hub;
        for _ in 0..500 {
            if hub.subscriber_count(channel) == n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{} subscribers to {channel}, expected {n}", hub.subscriber_count(channel));
    }

    /// Publishes a signal as the test service.
    pub async fn publish(&self, recipients: Value, channel: &str, message: Value) -> Value {
        self.post_json(
            SERVICE_TOKEN,
            "/api/signals/publish",
            serde_json::json!({ "recipients": recipients, "channel": channel, "message": message }),
        )
        .await
    }

    /// Stops the server the way SIGTERM does and waits for it.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown();
            running.stopped().await.expect("a clean stop");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.shutdown();
        }
    }
}

/// Reads a response expected to be a Backstage error and checks its envelope.
pub async fn expect_error(response: Response, status: u16, name: &str) -> Value {
    let actual = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "status; body: {text}");
    assert_eq!(content_type.as_deref(), Some("application/json; charset=utf-8"));
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("an error envelope, got {text}"));
    assert_eq!(body["error"]["name"], name, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body["response"]["statusCode"], status, "{body}");
    assert!(body["request"]["method"].is_string() && body["request"]["url"].is_string(), "{body}");
    body
}

/// A WebSocket client of `/api/signals`, reading frames as JSON.
pub mod ws {
    use std::time::Duration;

    use futures::{SinkExt, StreamExt};
    use serde_json::Value;
    use tokio::net::TcpStream;
    use tokio_tungstenite::{
        MaybeTlsStream, WebSocketStream, connect_async,
        tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
    };

    pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

    /// How a client proves who it is.
    pub enum Credentials<'a> {
        /// The token as subprotocol, like Backstage's browser client.
        Protocol(&'a str),
        /// The session cookie, like Herald's pages, from this origin.
        Cookie(&'a str, Option<&'a str>),
        None,
    }

    /// Connects; on an HTTP refusal returns its status.
    pub async fn connect(base: &str, credentials: Credentials<'_>) -> Result<(Socket, Option<String>), u16> {
        let url = format!("{}/api/signals", base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        match credentials {
            Credentials::Protocol(token) => {
                request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(token).unwrap());
            }
            Credentials::Cookie(token, origin) => {
                let cookie = format!("herald_session={token}");
                request.headers_mut().insert("cookie", HeaderValue::from_str(&cookie).unwrap());
                if let Some(origin) = origin {
                    request.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
                }
            }
            Credentials::None => {}
        }
        match connect_async(request).await {
            Ok((socket, response)) => {
                let protocol = response.headers().get("sec-websocket-protocol").map(|v| v.to_str().unwrap().to_owned());
                Ok((socket, protocol))
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(error) => panic!("unexpected WebSocket error: {error}"),
        }
    }

    pub async fn send(socket: &mut Socket, frame: Value) {
        socket.send(Message::Text(frame.to_string().into())).await.unwrap();
    }

    pub async fn subscribe(socket: &mut Socket, channel: &str) {
        send(socket, serde_json::json!({ "action": "subscribe", "channel": channel })).await;
    }

    /// The next text frame as JSON, or `None` if nothing comes within `wait`.
    pub async fn next_within(socket: &mut Socket, wait: Duration) -> Option<Value> {
        loop {
            match tokio::time::timeout(wait, socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => return None,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// The next text frame, which must come within five seconds.
    pub async fn next(socket: &mut Socket) -> Value {
        next_within(socket, Duration::from_secs(5)).await.expect("a frame within five seconds")
    }

    /// Asserts nothing arrives for a little while.
    pub async fn quiet(socket: &mut Socket) {
        if let Some(frame) = next_within(socket, Duration::from_millis(300)).await {
            panic!("expected no frame, got {frame}");
        }
    }
}
