//! Notifications: the service behind the REST API and the UI.

pub mod model;
pub mod query;
pub mod retention;
pub mod search;
pub mod send;
pub mod settings;
pub mod sql;
pub mod store;

use std::{collections::HashSet, sync::Arc};

pub use app::model::ListResponse;
use serde::Serialize;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

use self::{
    model::{Notification, Status, Stored},
    query::{Cursor, Filter, ListQuery},
    send::SendRequest,
    settings::{DefaultSettings, NotificationSettings, WEB_CHANNEL},
    store::{NewNotification, Store},
};
use crate::{
    catalog::{Catalog, EntityRef},
    db::Db,
    error::{Error, Result},
    signals::{
        Signals,
        model::{Outgoing, Recipients},
    },
    timestamp::Timestamp,
};

/// `POST /notifications/update`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateRequest {
    pub ids: Vec<Uuid>,
    pub read: Option<bool>,
    pub saved: Option<bool>,
}

impl UpdateRequest {
    /// `ids` is required; ids that are not UUIDs cannot name anything and are ignored, like any
    /// other unknown id.
    pub fn parse(body: &Value) -> Result<Self> {
        let object = body.as_object().ok_or_else(|| Error::input("The request body must be a JSON object"))?;
        let ids = object
            .get("ids")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::input("ids must be an array of strings"))?
            .iter()
            .map(|id| id.as_str().ok_or_else(|| Error::input("ids must be an array of strings")))
            .collect::<Result<Vec<&str>>>()?;
        let flag = |name: &str| match object.get(name) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(_) => Err(Error::input(format!("{name} must be true or false"))),
        };
        Ok(Self::new(&ids, flag("read")?, flag("saved")?))
    }

    /// Ids that are not UUIDs are dropped (they name nothing); repeats collapse.
    pub fn new(ids: &[&str], read: Option<bool>, saved: Option<bool>) -> Self {
        let mut unique = HashSet::new();
        let ids = ids.iter().filter_map(|id| Uuid::parse_str(id).ok()).filter(|id| unique.insert(*id)).collect();
        Self { ids, read, saved }
    }
}

/// The channel every notification signal goes out on.
pub const SIGNAL_CHANNEL: &str = "notifications";

pub struct Notifications {
    store: Store,
    signals: Arc<Signals>,
    defaults: Arc<DefaultSettings>,
    base_url: Url,
}

impl Notifications {
    pub fn new(db: Db, signals: Arc<Signals>, defaults: DefaultSettings, base_url: Url) -> Self {
        Self { store: Store::new(db), signals, defaults: Arc::new(defaults), base_url }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The channels a user can switch: the Web UI, then one per processor.
    pub fn channels(&self) -> Vec<String> {
        vec![WEB_CHANNEL.to_owned()]
    }

    pub async fn list(&self, user: &EntityRef, query: &ListQuery) -> Result<ListResponse> {
        let (rows, total_count) = self.store.list(user.as_str(), query).await?;
        let next_cursor = match (query.limit, query.created_direction(), rows.last()) {
            (Some(limit), Some(_), Some(last)) if rows.len() as u64 == limit => {
                Some(Cursor { created: last.created, id: last.id }.encode())
            }
            _ => None,
        };
        Ok(ListResponse { total_count, notifications: rows.iter().map(Stored::to_wire).collect(), next_cursor })
    }

    /// One notification the user can see; anything else, including a malformed id, is 404.
    pub async fn get(&self, user: &EntityRef, id: &str) -> Result<Notification> {
        let id = Uuid::parse_str(id).map_err(|_| Error::not_found())?;
        self.store.get(user.as_str(), id).await?.map(|row| row.to_wire()).ok_or_else(Error::not_found)
    }

    pub async fn status(&self, user: &EntityRef) -> Result<Status> {
        self.store.status(user.as_str()).await
    }

    pub async fn topics(&self, user: &EntityRef, filter: &Filter) -> Result<Vec<String>> {
        self.store.topics(user.as_str(), filter).await
    }

    /// Marks notifications read/unread and saved/unsaved, and tells the user's other pages:
    /// `notification_read` / `notification_unread` (as upstream) and, Herald's addition,
    /// `notification_saved` / `notification_unsaved`.
    pub async fn update(&self, user: &EntityRef, request: &UpdateRequest) -> Result<Vec<Notification>> {
        let ids: Vec<String> = request.ids.iter().map(Uuid::to_string).collect();
        let flags = [
            (request.read, "notification_read", "notification_unread"),
            (request.saved, "notification_saved", "notification_unsaved"),
        ];
        let signals = flags
            .into_iter()
            .filter_map(|(flag, on, off)| flag.map(|value| if value { on } else { off }))
            .filter(|_| !ids.is_empty())
            .map(|action| {
                let message = json!({ "action": action, "notification_ids": ids });
                Outgoing::new(SIGNAL_CHANNEL, Recipients::user(user), &message)
            })
            .collect::<Result<_>>()?;
        let (rows, delivered) =
            self.store.update(user.as_str(), &request.ids, request.read, request.saved, signals).await?;
        self.signals.committed(delivered);
        Ok(rows.iter().map(Stored::to_wire).collect())
    }

    /// Marks every unread notification matching `filter` read; returns how many changed. The
    /// user's pages hear `notification_read_all` with the count.
    pub async fn mark_all_read(&self, user: &EntityRef, filter: &Filter) -> Result<u64> {
        let announce = |count: u64| match count {
            0 => None,
            _ => {
                let message = json!({ "action": "notification_read_all", "count": count });
                Outgoing::new(SIGNAL_CHANNEL, Recipients::user(user), &message).ok()
            }
        };
        let (count, delivered) = self.store.mark_all_read(user.as_str(), filter, announce).await?;
        self.signals.committed(delivered);
        Ok(count)
    }

    /// Sends a notification from `origin`: resolves recipients through the catalog, respects
    /// each user's Web settings, stores (or updates in place by scope), and returns what was
    /// stored.
    pub async fn send(&self, catalog: &Catalog, origin: &str, request: SendRequest) -> Result<Vec<Notification>> {
        let created = Timestamp::now();
        let payload = request.payload;
        let base = |user_ref: Option<String>| NewNotification {
            id: Uuid::now_v7(),
            user_ref,
            origin: origin.to_owned(),
            scope: payload.scope.clone(),
            title: payload.title.clone(),
            description: payload.description.clone(),
            link: payload.link.clone(),
            severity: payload.severity,
            topic: payload.topic.clone(),
            icon: payload.icon.clone(),
            metadata: payload.metadata.clone(),
            created,
        };
        let (include, exclude) = match request.recipients {
            send::Recipients::Broadcast => {
                let (stored, delivered) = self.store.upsert_broadcast(&base(None), new_notification_signal).await?;
                self.signals.committed(delivered);
                return Ok(vec![stored.to_wire()]);
            }
            send::Recipients::Entities { include, exclude } => (include, exclude),
        };
        let excluded: HashSet<EntityRef> = exclude.into_iter().collect();
        let users: Vec<String> =
            catalog.resolve_recipients(&include, &excluded).into_iter().map(|u| u.as_str().to_owned()).collect();
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<NewNotification> = users.into_iter().map(|user| base(Some(user))).collect();
        let (stored, delivered) = self.store.deliver_personal(&rows, &self.defaults, new_notification_signal).await?;
        self.signals.committed(delivered);
        Ok(stored.iter().map(Stored::to_wire).collect())
    }

    pub async fn settings(&self, user: &EntityRef) -> Result<NotificationSettings> {
        let received = self.store.received_origins(user.as_str()).await?;
        let rows = self.store.settings(user.as_str()).await?;
        Ok(settings::effective(&self.channels(), &self.defaults, &received, &rows))
    }

    /// Replaces the user's settings. Channels must be known ones, spelled exactly.
    pub async fn save_settings(&self, user: &EntityRef, posted: &NotificationSettings) -> Result<NotificationSettings> {
        let channels = self.channels();
        for channel in &posted.channels {
            if !channels.contains(&channel.id) {
                return Err(Error::input(format!(
                    "Invalid channel {:?}; known channels: {}",
                    channel.id,
                    channels.join(", ")
                )));
            }
            for origin in &channel.origins {
                let too_long = origin.id.chars().count() > send::MAX_SHORT_CHARS
                    || origin.topics.iter().any(|t| t.id.chars().count() > send::MAX_SHORT_CHARS);
                if too_long {
                    return Err(Error::input(format!(
                        "Origin and topic ids are at most {} characters",
                        send::MAX_SHORT_CHARS
                    )));
                }
                // The REST body extractor refuses NULs; the UI's server functions arrive here directly.
                if origin.id.contains('\0') || origin.topics.iter().any(|t| t.id.contains('\0')) {
                    return Err(Error::input("Origin and topic ids must not contain a NUL character"));
                }
            }
        }
        self.store.replace_settings(user.as_str(), &settings::rows_from(posted)).await?;
        self.settings(user).await
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }
}

/// `new_notification` to its user (or everybody), with the notification itself beside the id,
/// so a page needs no request to show it.
fn new_notification_signal(stored: &Stored) -> Option<Outgoing> {
    let recipients = match &stored.user_ref {
        Some(user) => Recipients::Refs(vec![user.clone()]),
        None => Recipients::Broadcast,
    };
    let notification = stored.to_wire();
    let message = NewNotificationMessage {
        action: "new_notification",
        notification_id: &notification.id,
        notification: &notification,
    };
    Outgoing::new(SIGNAL_CHANNEL, recipients, &message).ok()
}

/// The signal of a new or updated notification, upstream's shape.
#[derive(Serialize)]
struct NewNotificationMessage<'a> {
    action: &'static str,
    notification_id: &'a str,
    notification: &'a Notification,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_requests_need_ids_and_boolean_flags() {
        let id = Uuid::now_v7();
        let request =
            UpdateRequest::parse(&json!({ "ids": [id.to_string(), "abc", id.to_string()], "read": true })).unwrap();
        assert_eq!(request, UpdateRequest { ids: vec![id], read: Some(true), saved: None });
        for bad in
            [json!({}), json!({ "ids": "x" }), json!({ "ids": [1] }), json!({ "ids": [], "read": "yes" }), json!([])]
        {
            assert!(UpdateRequest::parse(&bad).is_err(), "{bad}");
        }
    }
}
