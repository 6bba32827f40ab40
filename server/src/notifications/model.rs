//! Notifications as stored and as they appear on the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::timestamp::Timestamp;

/// How urgent a notification is. Stored as its rank, so "at least this severe" is `rank <= n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Normal,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Normal, Severity::Low];

    pub fn rank(self) -> i16 {
        match self {
            Severity::Critical => 1,
            Severity::High => 2,
            Severity::Normal => 3,
            Severity::Low => 4,
        }
    }

    pub fn from_rank(rank: i16) -> Self {
        match rank {
            1 => Severity::Critical,
            2 => Severity::High,
            4 => Severity::Low,
            _ => Severity::Normal,
        }
    }

    /// The exact, lower-case names of the contract; anything else is not a severity.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Normal => "normal",
            Severity::Low => "low",
        }
    }
}

/// One notification as a user sees it: a personal row, or a broadcast with this user's state.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Stored {
    pub id: Uuid,
    /// `None` for broadcasts.
    pub user_ref: Option<String>,
    pub origin: String,
    pub scope: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub link: Option<String>,
    pub severity: i16,
    pub topic: Option<String>,
    pub icon: Option<String>,
    pub metadata: Option<sqlx::types::Json<Value>>,
    pub created: i64,
    pub updated: Option<i64>,
    pub read: Option<i64>,
    pub saved: Option<i64>,
}

impl Stored {
    pub fn is_broadcast(&self) -> bool {
        self.user_ref.is_none()
    }

    pub fn to_wire(&self) -> Notification {
        let iso = |micros: i64| Timestamp::from_micros(micros).to_iso();
        Notification {
            id: self.id.to_string(),
            user: self.user_ref.clone(),
            created: iso(self.created),
            saved: self.saved.map(iso),
            read: self.read.map(iso),
            updated: self.updated.map(iso),
            origin: self.origin.clone(),
            payload: Payload {
                title: self.title.clone(),
                description: self.description.clone(),
                link: self.link.clone(),
                severity: Severity::from_rank(self.severity),
                topic: self.topic.clone(),
                scope: self.scope.clone(),
                icon: self.icon.clone(),
                metadata: self.metadata.as_ref().map(|m| m.0.clone()),
            },
        }
    }
}

/// The `Notification` of the Backstage API: unset fields are `null`, instants ISO 8601.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub user: Option<String>,
    pub created: String,
    pub saved: Option<String>,
    pub read: Option<String>,
    pub updated: Option<String>,
    pub origin: String,
    pub payload: Payload,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    pub title: String,
    pub description: Option<String>,
    pub link: Option<String>,
    pub severity: Severity,
    pub topic: Option<String>,
    pub scope: Option<String>,
    pub icon: Option<String>,
    /// Returned when it was sent; the schema has no `null` for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// Counts for `/status`; `saved` is Herald's addition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Status {
    pub unread: i64,
    pub read: i64,
    pub saved: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_names_are_exact_and_ranked() {
        assert_eq!(Severity::parse("high"), Some(Severity::High));
        assert_eq!(Severity::parse("HIGH"), None);
        assert_eq!(Severity::parse("urgent"), None);
        for severity in Severity::ALL {
            assert_eq!(Severity::from_rank(severity.rank()), severity);
        }
        assert!(Severity::Critical.rank() < Severity::Low.rank());
    }

    #[test]
    fn unset_fields_are_null_and_metadata_is_omitted() {
        let stored = Stored {
            id: Uuid::nil(),
            user_ref: None,
            origin: "external:x".into(),
            scope: None,
            title: "t".into(),
            description: None,
            link: None,
            severity: 3,
            topic: None,
            icon: None,
            metadata: None,
            created: 0,
            updated: None,
            read: None,
            saved: None,
        };
        let json = serde_json::to_value(stored.to_wire()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "00000000-0000-0000-0000-000000000000", "user": null, "created": "1970-01-01T00:00:00.000Z",
                "saved": null, "read": null, "updated": null, "origin": "external:x",
                "payload": { "title": "t", "description": null, "link": null, "severity": "normal",
                             "topic": null, "scope": null, "icon": null }
            })
        );
    }
}
