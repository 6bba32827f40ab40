//! Signals on the wire and in the log.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, value::RawValue};

use crate::{
    catalog::EntityRef,
    error::{Error, Result},
};

/// The largest message a publisher may send, as serialised JSON.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Who a signal is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    Broadcast,
    /// User or group refs (canonical); a connection matches through its ownership refs.
    Refs(Vec<String>),
}

impl Recipients {
    pub fn user(user: &EntityRef) -> Self {
        Recipients::Refs(vec![user.to_string()])
    }
}

/// A signal about to be published.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub channel: String,
    pub recipients: Recipients,
    /// The message as JSON text, written once: the log, NOTIFY and every frame copy the text.
    pub message: Box<RawValue>,
}

impl Outgoing {
    /// Serialises `message` straight to text: through a `Value` first, a new notification's
    /// signal cost a tenth of its send (built, cloned, written out and dropped).
    pub fn new(channel: &str, recipients: Recipients, message: &impl Serialize) -> Result<Self> {
        Ok(Self { channel: channel.to_owned(), recipients, message: json_text(message)? })
    }
}

fn json_text(message: &impl Serialize) -> Result<Box<RawValue>> {
    serde_json::value::to_raw_value(message).map_err(|error| Error::Internal(error.into()))
}

/// A signal that is in the log: it has a position, and its frame text is ready to send.
#[derive(Debug)]
pub struct Delivered {
    pub seq: i64,
    pub channel: Arc<str>,
    pub recipients: Recipients,
    /// `{"channel":…,"message":…,"position":…}`, serialised once; receivers share the bytes.
    pub frame: Utf8Bytes,
}

impl Delivered {
    /// From a message already serialised (as the log stores it).
    pub fn from_raw(seq: i64, channel: &str, recipients: Recipients, message: &str) -> Self {
        Self { seq, channel: channel.into(), recipients, frame: Self::frame_text(seq, channel, message) }
    }

    /// The text frame a browser receives.
    pub fn frame_text(seq: i64, channel: &str, message: &str) -> Utf8Bytes {
        let channel = serde_json::to_string(channel).unwrap_or_else(|_| "\"\"".into());
        format!(r#"{{"channel":{channel},"message":{message},"position":{seq}}}"#).into()
    }
}

/// Channel names: 1–128 characters of letters, digits and `- _ . : / @`, starting with a
/// letter or digit.
pub fn validate_channel(channel: &str) -> Result<()> {
    let valid = (1..=128).contains(&channel.len())
        && channel.starts_with(|c: char| c.is_ascii_alphanumeric())
        && channel.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/@".contains(c));
    if valid {
        Ok(())
    } else {
        Err(Error::input(
            "channel must be 1-128 characters of letters, digits and - _ . : / @, starting with a letter or digit",
        ))
    }
}

/// What a browser sends: `{"action": "subscribe"|"unsubscribe", "channel": …}`, and, from
/// Herald's own client, `since`: the last position it received on that channel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClientFrame {
    pub action: String,
    pub channel: String,
    #[serde(default)]
    pub since: Option<i64>,
}

/// `POST /api/signals/publish`.
#[derive(Debug, Deserialize)]
pub struct PublishRequest {
    pub recipients: Value,
    pub channel: Value,
    pub message: Value,
}

impl PublishRequest {
    pub fn into_outgoing(self) -> Result<Outgoing> {
        let channel = self.channel.as_str().ok_or_else(|| Error::input("channel must be a string"))?.to_owned();
        validate_channel(&channel)?;
        if !self.message.is_object() {
            return Err(Error::input("message must be a JSON object"));
        }
        let message = json_text(&self.message)?;
        if message.get().len() > MAX_MESSAGE_BYTES {
            return Err(Error::PayloadTooLarge(format!("message is larger than {MAX_MESSAGE_BYTES} bytes")));
        }
        let recipients = parse_recipients(&self.recipients)?;
        Ok(Outgoing { channel, recipients, message })
    }
}

/// `{"type":"broadcast"}` or `{"type":"user","entityRef": ref | [ref…]}`; refs are normalised.
fn parse_recipients(value: &Value) -> Result<Recipients> {
    match value.get("type").and_then(Value::as_str) {
        Some("broadcast") => Ok(Recipients::Broadcast),
        Some("user") => {
            let refs: Vec<&str> = match value.get("entityRef") {
                Some(Value::String(one)) => vec![one.as_str()],
                Some(Value::Array(many)) => many
                    .iter()
                    .map(|r| r.as_str().ok_or_else(|| Error::input("recipients.entityRef must hold strings")))
                    .collect::<Result<_>>()?,
                _ => return Err(Error::input("recipients.entityRef must be a string or an array of strings")),
            };
            if refs.is_empty() || refs.len() > 1000 {
                return Err(Error::input("recipients.entityRef must name 1 to 1000 refs"));
            }
            let refs = refs
                .into_iter()
                .map(|r| {
                    EntityRef::parse(r)
                        .map(|r| r.to_string())
                        .map_err(|e| Error::input(format!("recipients.entityRef: {e}")))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Recipients::Refs(refs))
        }
        _ => Err(Error::input("recipients.type must be \"user\" or \"broadcast\"")),
    }
}

/// Serialises to upstream's recipient shape, for NOTIFY payloads between instances.
#[derive(Serialize, Deserialize)]
pub(crate) struct WireDelivered {
    pub seq: i64,
    pub channel: String,
    #[serde(default)]
    pub broadcast: bool,
    #[serde(default)]
    pub refs: Vec<String>,
    /// Absent when the message was too large for a NOTIFY: then it is read from the log.
    #[serde(default)]
    pub message: Option<Box<RawValue>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn channels_are_checked() {
        for good in ["notifications", "devtools:logs", "team-a/builds", "x"] {
            assert!(validate_channel(good).is_ok(), "{good}");
        }
        for bad in ["", "-x", "has space", "ünïcode", &"x".repeat(129)] {
            assert!(validate_channel(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn publish_requests_are_validated() {
        let ok = PublishRequest {
            recipients: json!({ "type": "user", "entityRef": ["user:Alice", "group:team-a"] }),
            channel: json!("builds"),
            message: json!({ "x": 1 }),
        };
        let outgoing = ok.into_outgoing().unwrap();
        assert_eq!(
            outgoing.recipients,
            Recipients::Refs(vec!["user:default/alice".into(), "group:default/team-a".into()])
        );
        let too_big = PublishRequest {
            recipients: json!({ "type": "broadcast" }),
            channel: json!("builds"),
            message: json!({ "x": "y".repeat(MAX_MESSAGE_BYTES) }),
        };
        assert!(matches!(too_big.into_outgoing(), Err(Error::PayloadTooLarge(_))));
        for (recipients, channel, message) in [
            (json!({ "type": "group" }), json!("c"), json!({})),
            (json!({ "type": "user" }), json!("c"), json!({})),
            (json!({ "type": "user", "entityRef": "nokind" }), json!("c"), json!({})),
            (json!({ "type": "broadcast" }), json!(5), json!({})),
            (json!({ "type": "broadcast" }), json!("c"), json!("text")),
        ] {
            assert!(PublishRequest { recipients, channel, message }.into_outgoing().is_err());
        }
    }

    #[test]
    fn frames_carry_channel_message_and_position() {
        let delivered = Delivered::from_raw(7, "notifications", Recipients::Broadcast, r#"{"action":"x"}"#);
        let frame: Value = serde_json::from_str(&delivered.frame).unwrap();
        assert_eq!(frame, json!({ "channel": "notifications", "message": { "action": "x" }, "position": 7 }));
    }
}
