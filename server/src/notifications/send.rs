//! The body of `POST /notifications`, validated into a [`SendRequest`] before anything is
//! stored: a bad request stores nothing.

use serde_json::{Map, Value};
use url::Url;

use super::model::Severity;
use crate::{
    catalog::EntityRef,
    error::{Error, Result},
};

/// Limits chosen far above real use and far below abuse; each breach is a 400 that says so.
pub const MAX_TITLE_CHARS: usize = 1000;
pub const MAX_DESCRIPTION_CHARS: usize = 50_000;
pub const MAX_LINK_CHARS: usize = 4096;
pub const MAX_SHORT_CHARS: usize = 255;
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
pub const MAX_REFS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub enum Recipients {
    Broadcast,
    Entities { include: Vec<EntityRef>, exclude: Vec<EntityRef> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendPayload {
    pub title: String,
    pub description: Option<String>,
    pub link: Option<String>,
    pub severity: Severity,
    pub topic: Option<String>,
    pub scope: Option<String>,
    pub icon: Option<String>,
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendRequest {
    pub recipients: Recipients,
    pub payload: SendPayload,
}

impl SendRequest {
    /// Validates a `NotificationSendOptions` body; relative links resolve against `base_url`.
    pub fn parse(body: &Value, base_url: &Url) -> Result<Self> {
        let body = body.as_object().ok_or_else(|| Error::input("The request body must be a JSON object"))?;
        let recipients = body.get("recipients").ok_or_else(|| Error::input("Missing recipients"))?;
        let payload = body.get("payload").ok_or_else(|| Error::input("Missing payload"))?;
        Ok(Self { recipients: parse_recipients(recipients)?, payload: parse_payload(payload, base_url)? })
    }
}

fn parse_recipients(value: &Value) -> Result<Recipients> {
    let object = value.as_object().ok_or_else(|| Error::input("recipients must be an object"))?;
    match object.get("type").and_then(Value::as_str) {
        Some("broadcast") => Ok(Recipients::Broadcast),
        Some("entity") => {
            let include = refs(
                object.get("entityRef").ok_or_else(|| Error::input("recipients.entityRef is required"))?,
                "entityRef",
            )?;
            let exclude = match object.get("excludeEntityRef") {
                None => Vec::new(),
                Some(value) => refs(value, "excludeEntityRef")?,
            };
            Ok(Recipients::Entities { include, exclude })
        }
        _ => Err(Error::input("recipients.type must be \"entity\" or \"broadcast\"")),
    }
}

/// A ref or a list of refs; one malformed ref fails the whole send.
fn refs(value: &Value, field: &str) -> Result<Vec<EntityRef>> {
    let texts: Vec<&str> = match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(|| Error::input(format!("recipients.{field} must hold strings"))))
            .collect::<Result<_>>()?,
        _ => return Err(Error::input(format!("recipients.{field} must be a string or an array of strings"))),
    };
    if texts.len() > MAX_REFS {
        return Err(Error::input(format!("recipients.{field} holds more than {MAX_REFS} refs")));
    }
    texts
        .into_iter()
        .map(|text| EntityRef::parse(text).map_err(|e| Error::input(format!("recipients.{field}: {e}"))))
        .collect()
}

fn parse_payload(value: &Value, base_url: &Url) -> Result<SendPayload> {
    let object = value.as_object().ok_or_else(|| Error::input("payload must be an object"))?;
    let title = optional_string(object, "title", MAX_TITLE_CHARS)?
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Error::input("Invalid notification request received: missing title"))?;
    let severity = match object.get("severity") {
        None => Severity::Normal,
        Some(value) => value
            .as_str()
            .and_then(Severity::parse)
            .ok_or_else(|| Error::input("payload.severity must be one of critical, high, normal, low"))?,
    };
    let link = optional_string(object, "link", MAX_LINK_CHARS)?;
    if let Some(link) = &link {
        validate_link(link, base_url)?;
    }
    let metadata = match object.get("metadata") {
        None => None,
        Some(Value::Object(map)) => {
            if serde_json::to_vec(map).map_or(usize::MAX, |v| v.len()) > MAX_METADATA_BYTES {
                return Err(Error::input(format!("payload.metadata is larger than {MAX_METADATA_BYTES} bytes")));
            }
            Some(Value::Object(map.clone()))
        }
        Some(_) => return Err(Error::input("payload.metadata must be an object")),
    };
    Ok(SendPayload {
        title,
        description: optional_string(object, "description", MAX_DESCRIPTION_CHARS)?,
        link,
        severity,
        topic: optional_string(object, "topic", MAX_SHORT_CHARS)?,
        scope: optional_string(object, "scope", MAX_SHORT_CHARS)?,
        icon: optional_string(object, "icon", MAX_SHORT_CHARS)?,
        metadata,
    })
}

fn optional_string(object: &Map<String, Value>, field: &str, max_chars: usize) -> Result<Option<String>> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(text)) if text.chars().count() > max_chars => {
            Err(Error::input(format!("payload.{field} is longer than {max_chars} characters")))
        }
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(Error::input(format!("payload.{field} must be a string"))),
    }
}

/// Links must lead to http(s): absolute, or relative to Herald's base URL. `javascript:`,
/// `data:`, `ftp:` and the like are refused. The link is stored as given.
pub fn validate_link(link: &str, base_url: &Url) -> Result<()> {
    let mut base = base_url.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    let resolved = base.join(link.trim_start_matches('/')).map_err(|_| Error::input("Invalid link provided"))?;
    if matches!(resolved.scheme(), "http" | "https") { Ok(()) } else { Err(Error::input("Invalid link provided")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("https://herald.example.com/").unwrap()
    }

    fn parse(body: Value) -> Result<SendRequest> {
        SendRequest::parse(&body, &base())
    }

    #[test]
    fn a_full_entity_send_is_understood() {
        let request = parse(json!({
            "recipients": { "type": "entity", "entityRef": ["user:alice", "group:default/team-a"], "excludeEntityRef": "user:bob" },
            "payload": { "title": "Deploy", "description": "d", "link": "/catalog", "severity": "high",
                         "topic": "t", "scope": "s", "icon": "i", "metadata": { "attr": 1 } }
        }))
        .unwrap();
        let Recipients::Entities { include, exclude } = &request.recipients else { panic!("entity") };
        assert_eq!(
            include.iter().map(EntityRef::as_str).collect::<Vec<_>>(),
            ["user:default/alice", "group:default/team-a"]
        );
        assert_eq!(exclude[0].as_str(), "user:default/bob");
        assert_eq!(request.payload.severity, Severity::High);
        assert_eq!(request.payload.link.as_deref(), Some("/catalog"));
        assert_eq!(request.payload.metadata, Some(json!({ "attr": 1 })));
    }

    #[test]
    fn severity_defaults_to_normal() {
        let request = parse(json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "x" } })).unwrap();
        assert_eq!(request.payload.severity, Severity::Normal);
        assert_eq!(request.recipients, Recipients::Broadcast);
    }

    #[test]
    fn invalid_sends_are_rejected() {
        let cases = [
            json!({ "payload": { "title": "x" } }),
            json!({ "recipients": { "type": "broadcast" } }),
            json!({ "recipients": { "type": "invalid" }, "payload": { "title": "x" } }),
            json!({ "recipients": { "type": "entity" }, "payload": { "title": "x" } }),
            json!({ "recipients": { "type": "entity", "entityRef": "alice" }, "payload": { "title": "x" } }),
            json!({ "recipients": { "type": "entity", "entityRef": ["user:a", 5] }, "payload": { "title": "x" } }),
            json!({ "recipients": { "type": "broadcast" }, "payload": {} }),
            json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "" } }),
            json!({ "recipients": { "type": "broadcast" }, "payload": { "title": 5 } }),
            json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "x", "severity": "HIGH" } }),
            json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "x", "severity": "urgent" } }),
            json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "x", "metadata": [1] } }),
            json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "x", "description": null } }),
            json!({ "recipients": { "type": "broadcast" }, "payload": { "title": "x".repeat(1001) } }),
            json!([1, 2]),
        ];
        for body in cases {
            assert!(parse(body.clone()).is_err(), "{body} should be rejected");
        }
    }

    #[test]
    fn links_must_be_http_or_relative() {
        for good in ["/catalog", "catalog/x", "http://localhost/test", "https://example.com", "//cdn.example.com/x"] {
            assert!(validate_link(good, &base()).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            " javascript:x",
            "java\tscript:x",
            "ftp://x",
            "data:text/html,x",
            "vbscript:x",
        ] {
            assert!(validate_link(bad, &base()).is_err(), "{bad}");
        }
    }
}
