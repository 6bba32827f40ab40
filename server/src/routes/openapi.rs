//! The OpenAPI document served at `/api/notifications/openapi.json`: written as YAML beside this
//! file, served as JSON with the paths under the mount point, as Backstage serves its own.

use std::sync::LazyLock;

use serde_json::{Map, Value};

pub const MOUNT: &str = "/api/notifications";

static DOCUMENT: LazyLock<Value> = LazyLock::new(build);

pub fn document() -> &'static Value {
    &DOCUMENT
}

fn build() -> Value {
    let mut yaml: serde_yaml::Value =
        serde_yaml::from_str(include_str!("openapi.yaml")).expect("openapi.yaml is valid YAML");
    yaml.apply_merge().expect("openapi.yaml merge keys are valid");
    let mut document: Value = serde_json::to_value(yaml).expect("openapi.yaml maps to JSON");
    let root = document.as_object_mut().expect("the document is an object");
    // Anchors for shared operation parts; they have served their purpose.
    root.retain(|key, _| !key.starts_with("x-"));
    if let Some(Value::Object(paths)) = root.remove("paths") {
        let mounted: Map<String, Value> =
            paths.into_iter().map(|(path, item)| (format!("{MOUNT}{path}"), item)).collect();
        root.insert("paths".into(), Value::Object(mounted));
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_every_operation_under_the_mount_point() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.0.3");
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.keys().all(|p| p.starts_with(MOUNT)), "{:?}", paths.keys());
        let ids: Vec<&str> = paths
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        for id in [
            "ListNotifications",
            "ListNotificationsLegacy",
            "CreateNotifications",
            "CreateNotificationsLegacy",
            "UpdateNotifications",
            "UpdateNotificationsLegacy",
            "GetStatus",
            "GetSettings",
            "UpdateSettings",
            "GetTopics",
            "GetNotification",
            "GetNotificationLegacy",
            "MarkAllRead",
        ] {
            assert!(ids.contains(&id), "{id} is missing");
        }
        assert!(doc["paths"][format!("{MOUNT}/notifications")]["get"]["parameters"].as_array().unwrap().len() >= 10);
        assert!(doc.as_object().unwrap().keys().all(|k| !k.starts_with("x-")));
    }
}
