//! Configuration: one TOML file, every key overridable from the environment.
//!
//! Precedence, lowest first: built-in defaults, the TOML file, `HERALD_<SECTION>__<KEY>` variables.
//! Everything is checked before the server starts; a bad value is reported with the dotted key
//! that holds it, so the operator knows exactly what to fix.

use std::{
    collections::HashSet,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    notifications::{retention::Retention, settings::DefaultSettings},
    signals::SignalsConfig,
};

/// Environment variables that override configuration keys start with this.
pub const ENV_PREFIX: &str = "HERALD_";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub catalog: CatalogConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub notifications: NotificationsConfig,
    pub signals: SignalsConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Loopback by default: exposing the service is a deliberate choice.
    pub listen: SocketAddr,
    /// The public address of this Herald, for absolute links (emails, relative notification links).
    pub base_url: Url,
    /// The built site: `pkg/` with the WASM, JS and CSS, and the public assets.
    pub site_root: PathBuf,
    /// How long in-flight requests may run after SIGTERM or Ctrl-C before the process exits.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            base_url: Url::parse("http://127.0.0.1:3000").expect("valid default URL"),
            site_root: PathBuf::from("target/site"),
            shutdown_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created if missing) or `postgres://…`.
    pub url: String,
    /// Upper bound of pooled connections per instance.
    pub max_connections: u32,
    /// SQLite only: how much of the database file readers map into memory, in MiB. Mapped
    /// pages are shared by every reader through the OS page cache; unmapped ones are copied
    /// into each connection's own cache. 0 turns mapping off (for a network filesystem).
    pub sqlite_mmap_mib: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://data/herald.db".into(), max_connections: 8, sqlite_mmap_mib: 2048 }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// Glob patterns of Backstage catalog YAML files (users, groups, owned entities).
    pub files: Vec<String>,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self { files: vec!["catalog/*.yaml".into()] }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Development sign-in as any catalog user, without a password. Never enable in production.
    pub guest: bool,
    /// Lifetime of a user session (cookie and bearer token).
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// Static tokens for services that send notifications; origin `external:<subject>`.
    pub service_tokens: Vec<ServiceTokenConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { guest: false, session_ttl: Duration::from_secs(7 * 24 * 3600), service_tokens: Vec::new() }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTokenConfig {
    pub subject: String,
    pub token: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `human` for terminals, `json` for log collectors.
    pub format: LogFormat,
    /// A tracing filter: a level, or per-module directives like `info,herald=debug`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Human, level: "info".into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    /// Administrator defaults for delivery settings (Backstage's `defaultSettings`): a channel
    /// with `enabled = false` turns it into opt-in.
    pub default_settings: DefaultSettings,
    /// Notifications untouched this long are deleted; `false` keeps everything.
    pub retention: Retention,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    fn at(key: &str, problem: impl std::fmt::Display) -> Self {
        Self(format!("`{key}`: {problem}"))
    }
}

impl Config {
    /// Reads defaults, then `file` (which must exist when given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!("file {} not found", file.display())));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        // Only `SECTION__KEY` names are configuration; `HERALD_URL` and the like belong to the CLI.
        figment = figment.merge(Env::prefixed(ENV_PREFIX).filter(|key| key.as_str().contains("__")).split("__"));
        let config: Config = figment.extract().map_err(|error| {
            let problems: Vec<String> = error.into_iter().map(describe_figment_error).collect();
            ConfigError(problems.join("; "))
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot: value ranges, URL schemes, token strength, duplicates.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let base = &self.server.base_url;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(ConfigError::at("server.base_url", "must be an absolute http(s) URL"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(ConfigError::at("server.base_url", "must not have a query or fragment"));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(ConfigError::at("server.max_body_bytes", "must be at least 1024"));
        }
        let url = self.database.url.as_str();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::at("database.url", "must start with sqlite:, postgres:// or postgresql://"));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::at("database.max_connections", "must be at least 1"));
        }
        if self.catalog.files.iter().any(|pattern| glob::Pattern::new(pattern).is_err()) {
            return Err(ConfigError::at("catalog.files", "contains an invalid glob pattern"));
        }
        if self.auth.session_ttl < Duration::from_secs(60) {
            return Err(ConfigError::at("auth.session_ttl", "must be at least one minute"));
        }
        let mut subjects = HashSet::new();
        let mut tokens = HashSet::new();
        for (i, service) in self.auth.service_tokens.iter().enumerate() {
            let key = format!("auth.service_tokens[{i}]");
            let subject_ok = !service.subject.is_empty()
                && service.subject.len() <= 200
                && service.subject.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c));
            if !subject_ok {
                return Err(ConfigError::at(
                    &format!("{key}.subject"),
                    "must be 1-200 characters of A-Z a-z 0-9 - _ . : @",
                ));
            }
            if service.token.len() < 16 || service.token.chars().any(|c| c.is_whitespace()) {
                return Err(ConfigError::at(&format!("{key}.token"), "must be at least 16 characters without spaces"));
            }
            if !subjects.insert(&service.subject) {
                return Err(ConfigError::at(&format!("{key}.subject"), "is used by another service token"));
            }
            if !tokens.insert(&service.token) {
                return Err(ConfigError::at(&format!("{key}.token"), "is used by another service token"));
            }
        }
        for (i, channel) in self.notifications.default_settings.channels.iter().enumerate() {
            if channel.id.trim().is_empty() {
                return Err(ConfigError::at(
                    &format!("notifications.default_settings.channels[{i}].id"),
                    "must not be empty",
                ));
            }
        }
        if self.signals.queue_length < 8 {
            return Err(ConfigError::at("signals.queue_length", "must be at least 8"));
        }
        if self.signals.ping_interval < Duration::from_secs(1) {
            return Err(ConfigError::at("signals.ping_interval", "must be at least one second"));
        }
        if self.signals.max_replay < 1 {
            return Err(ConfigError::at("signals.max_replay", "must be at least 1"));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(ConfigError::at("log.level", "is not a valid filter (try `info` or `info,herald=debug`)"));
        }
        Ok(())
    }
}

fn describe_figment_error(error: figment::Error) -> String {
    let key = error.path.join(".");
    let source = match &error.metadata {
        // Name the exact variable: figment only knows it came from "the environment".
        Some(meta) if meta.name.contains("environment") && !key.is_empty() => {
            format!(" (from {ENV_PREFIX}{})", error.path.join("__").to_uppercase())
        }
        Some(meta) => match &meta.source {
            Some(source) => format!(" (from {source})"),
            None => format!(" (from {})", meta.name),
        },
        None => String::new(),
    };
    let kind = &error.kind;
    if key.is_empty() { format!("{kind}{source}") } else { format!("`{key}`: {kind}{source}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_toml(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database.url, "sqlite://data/herald.db");
        assert!(!config.auth.guest, "guest sign-in must be opt-in");
    }

    #[test]
    fn a_file_sets_values() {
        let file = write_toml(
            r#"
            [server]
            listen = "0.0.0.0:8080"
            [auth]
            guest = true
            session_ttl = "2h"
            [[auth.service_tokens]]
            subject = "ci-bot"
            token = "0123456789abcdef0123"
            "#,
        );
        let config = Config::load(Some(file.path())).unwrap();
        assert_eq!(config.server.listen.port(), 8080);
        assert!(config.auth.guest);
        assert_eq!(config.auth.session_ttl, Duration::from_secs(7200));
        assert_eq!(config.auth.service_tokens[0].subject, "ci-bot");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let file = write_toml("[server]\nlisten_on = \"1.2.3.4:1\"\n");
        let error = Config::load(Some(file.path())).unwrap_err().to_string();
        assert!(error.contains("listen_on"), "{error}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_with_its_key() {
        let file = write_toml("[auth]\nguest = \"sometimes\"\n");
        let error = Config::load(Some(file.path())).unwrap_err().to_string();
        assert!(error.contains("auth.guest"), "{error}");
    }

    #[test]
    fn a_weak_service_token_is_rejected_by_key() {
        let file = write_toml("[[auth.service_tokens]]\nsubject = \"x\"\ntoken = \"short\"\n");
        let error = Config::load(Some(file.path())).unwrap_err().to_string();
        assert!(error.contains("auth.service_tokens[0].token"), "{error}");
    }

    #[test]
    fn notification_defaults_and_retention_are_read() {
        let file = write_toml(
            r#"
            [notifications]
            retention = false
            [[notifications.default_settings.channels]]
            id = "Web"
            enabled = false
            [[notifications.default_settings.channels.origins]]
            id = "external:ci-bot"
            enabled = true
            "#,
        );
        let config = Config::load(Some(file.path())).unwrap();
        assert_eq!(config.notifications.retention, Retention::Keep);
        let channel = &config.notifications.default_settings.channels[0];
        assert_eq!((channel.id.as_str(), channel.enabled), ("Web", Some(false)));
        assert_eq!(channel.origins[0].id, "external:ci-bot");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let error = Config::load(Some(Path::new("/nonexistent/herald.toml"))).unwrap_err();
        assert!(error.to_string().contains("not found"));
    }

    #[test]
    fn a_bad_database_url_is_named() {
        let file = write_toml("[database]\nurl = \"mysql://x\"\n");
        let error = Config::load(Some(file.path())).unwrap_err().to_string();
        assert!(error.contains("database.url"), "{error}");
    }
}
