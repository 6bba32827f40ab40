//! Notifications as stored and as they appear on the wire.

pub use app::model::{Notification, Payload, Severity, Status};
use serde_json::Value;
use uuid::Uuid;

use crate::timestamp::Timestamp;

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

#[cfg(test)]
mod tests {
    use super::*;

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
