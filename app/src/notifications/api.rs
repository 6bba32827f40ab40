//! Server functions for the notifications UI. Each goes through the same service as the REST
//! API, with the REST API's query strings.

use leptos::{prelude::*, server_fn::codec::Json};

use crate::model::{ListResponse, Notification, NotificationSettings, Status};

#[cfg(feature = "ssr")]
use crate::session::ssr::{backend, request, to_server_error};

/// Responses as JSON, like server_fn's `Json`, but read from text. A resource reads its
/// server-rendered value from text; answers read the same way share that one decoder per type
/// in the WASM instead of bringing a second one for bytes.
pub type JsonText = leptos::server_fn::codec::Post<JsonTextEncoding>;

pub struct JsonTextEncoding;

mod json_text {
    use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
    use serde::{Serialize, de::DeserializeOwned};

    use super::JsonTextEncoding;

    impl ContentType for JsonTextEncoding {
        const CONTENT_TYPE: &'static str = "application/json";
    }

    impl FormatType for JsonTextEncoding {
        const FORMAT_TYPE: Format = Format::Text;
    }

    impl<T: Serialize> Encodes<T> for JsonTextEncoding {
        type Error = serde_json::Error;

        fn encode(output: &T) -> Result<Bytes, Self::Error> {
            serde_json::to_vec(output).map(Bytes::from)
        }
    }

    impl<T: DeserializeOwned> Decodes<T> for JsonTextEncoding {
        type Error = serde_json::Error;

        fn decode(bytes: Bytes) -> Result<T, Self::Error> {
            let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
            serde_json::from_str(text)
        }
    }
}

#[server(prefix = "/_srv", endpoint = "notifications/list", input = Json, output = JsonText)]
pub async fn list_notifications(query: String) -> Result<ListResponse, ServerFnError> {
    backend()?.list(&request()?, &query).await.map_err(to_server_error)
}

#[server(prefix = "/_srv", endpoint = "notifications/get", input = Json, output = JsonText)]
pub async fn get_notification(id: String) -> Result<Notification, ServerFnError> {
    backend()?.notification(&request()?, &id).await.map_err(to_server_error)
}

#[server(prefix = "/_srv", endpoint = "notifications/status", input = Json, output = JsonText)]
pub async fn notification_status() -> Result<Status, ServerFnError> {
    backend()?.status(&request()?).await.map_err(to_server_error)
}

#[server(prefix = "/_srv", endpoint = "notifications/topics", input = Json, output = JsonText)]
pub async fn notification_topics(query: String) -> Result<Vec<String>, ServerFnError> {
    backend()?.topics(&request()?, &query).await.map_err(to_server_error)
}

/// The page's one action for [`update_notifications`]: `(ids, read, saved)`.
pub type Changes = Action<(Vec<String>, Option<bool>, Option<bool>), Result<Vec<Notification>, ServerFnError>>;

/// Marks notifications read/unread and saved/unsaved (bulk actions).
#[server(prefix = "/_srv", endpoint = "notifications/update", input = Json, output = JsonText)]
pub async fn update_notifications(
    ids: Vec<String>,
    read: Option<bool>,
    saved: Option<bool>,
) -> Result<Vec<Notification>, ServerFnError> {
    backend()?.update(&request()?, ids, read, saved).await.map_err(to_server_error)
}

/// One row's read toggle: a plain form, so it works before (or without) JavaScript; without
/// JavaScript, Leptos sends the browser back to the page it came from.
#[server(prefix = "/_srv", endpoint = "notifications/set-read", output = JsonText)]
pub async fn set_read(id: String, read: bool) -> Result<(), ServerFnError> {
    backend()?.update(&request()?, vec![id], Some(read), None).await.map_err(to_server_error)?;
    Ok(())
}

/// One row's save toggle, as a plain form.
#[server(prefix = "/_srv", endpoint = "notifications/set-saved", output = JsonText)]
pub async fn set_saved(id: String, saved: bool) -> Result<(), ServerFnError> {
    backend()?.update(&request()?, vec![id], None, Some(saved)).await.map_err(to_server_error)?;
    Ok(())
}

#[server(prefix = "/_srv", endpoint = "notifications/read-all", input = Json, output = JsonText)]
pub async fn mark_all_read() -> Result<u64, ServerFnError> {
    backend()?.mark_all_read(&request()?, "").await.map_err(to_server_error)
}

#[server(prefix = "/_srv", endpoint = "notifications/settings", input = Json, output = JsonText)]
pub async fn get_settings() -> Result<NotificationSettings, ServerFnError> {
    backend()?.settings(&request()?).await.map_err(to_server_error)
}

#[server(prefix = "/_srv", endpoint = "notifications/save-settings", input = Json, output = JsonText)]
pub async fn save_settings(settings: NotificationSettings) -> Result<NotificationSettings, ServerFnError> {
    backend()?.save_settings(&request()?, settings).await.map_err(to_server_error)
}
