//! Retention: notifications untouched for longer than `notifications.retention` are deleted.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio_util::sync::CancellationToken;

use super::store::Store;
use crate::timestamp::Timestamp;

/// `"365d"` (any humantime duration) or `false` to keep everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    Keep,
    For(Duration),
}

impl Default for Retention {
    fn default() -> Self {
        Retention::For(Duration::from_secs(365 * 24 * 3600))
    }
}

impl Serialize for Retention {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Retention::Keep => serializer.serialize_bool(false),
            Retention::For(duration) => serializer.serialize_str(&humantime::format_duration(*duration).to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Retention {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Flag(false) => Ok(Retention::Keep),
            Raw::Flag(true) => {
                Err(serde::de::Error::custom("use a duration like \"365d\", or false to keep everything"))
            }
            Raw::Text(text) => humantime::parse_duration(&text)
                .map(Retention::For)
                .map_err(|e| serde::de::Error::custom(format!("{text:?} is not a duration ({e}); try \"365d\""))),
        }
    }
}

/// How often the sweep runs; deleting is idempotent, so several instances need no coordination.
const SWEEP_EVERY: Duration = Duration::from_secs(6 * 3600);
const FIRST_SWEEP_AFTER: Duration = Duration::from_secs(60);

pub fn spawn_sweeper(store: Store, retention: Retention, shutdown: CancellationToken) {
    let Retention::For(age) = retention else {
        tracing::info!("notification retention is disabled; nothing is deleted");
        return;
    };
    tokio::spawn(async move {
        let mut next = tokio::time::Instant::now() + FIRST_SWEEP_AFTER;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(next) => {}
                () = shutdown.cancelled() => return,
            }
            next += SWEEP_EVERY;
            match store.delete_older_than(Timestamp::now().minus(age)).await {
                Ok(deleted) => tracing::info!(deleted, "notification retention sweep completed"),
                Err(error) => tracing::warn!(?error, "notification retention sweep failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        retention: Retention,
    }

    fn parse(text: &str) -> Result<Retention, toml::de::Error> {
        toml::from_str::<Holder>(&format!("retention = {text}")).map(|h| h.retention)
    }

    #[test]
    fn retention_is_a_duration_or_false() {
        assert_eq!(parse("\"30d\"").unwrap(), Retention::For(Duration::from_secs(30 * 24 * 3600)));
        assert_eq!(parse("false").unwrap(), Retention::Keep);
        assert!(parse("true").is_err());
        assert!(parse("\"soon\"").is_err());
    }
}
