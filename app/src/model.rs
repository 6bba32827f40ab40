//! The wire model shared by the server and the browser.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The signed-in person looking at the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// Canonical entity ref, `user:default/alice`.
    pub user_ref: String,
    pub display_name: String,
    pub email: Option<String>,
    /// Groups the user belongs to, directly or through parent groups.
    pub groups: Vec<String>,
}

/// A catalog user one may sign in as (guest sign-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub user_ref: String,
    pub display_name: String,
    pub email: Option<String>,
}

/// What the sign-in page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInChoices {
    pub guest_enabled: bool,
    pub people: Vec<Person>,
}

// ---- notifications ----------------------------------------------------------------------

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
    /// Returned when it was sent; the schema has no `null` for it. The browser never shows it,
    /// so its WASM skips it rather than carry a decoder for any JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "hydrate", serde(skip_deserializing))]
    pub metadata: Option<Value>,
}

/// Counts for `/status`; `saved` is Herald's addition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Status {
    pub unread: i64,
    pub read: i64,
    pub saved: i64,
}

/// `GET /notifications`: Backstage's shape plus `nextCursor` for keyset paging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    pub total_count: i64,
    pub notifications: Vec<Notification>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    pub channels: Vec<ChannelSetting>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSetting {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    pub origins: Vec<OriginSetting>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginSetting {
    pub id: String,
    pub enabled: bool,
    #[serde(default)]
    pub topics: Vec<TopicSetting>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSetting {
    pub id: String,
    pub enabled: bool,
}

/// Origins with their topics, in first-seen order and without repeats: how settings list them.
pub type OriginTopics = Vec<(String, Vec<String>)>;

/// Adds the origins (and topics) of `settings` to `origins`.
pub fn add_origins<'a>(origins: &mut OriginTopics, settings: impl IntoIterator<Item = &'a OriginSetting>) {
    for origin in settings {
        let index = match origins.iter().position(|(id, _)| *id == origin.id) {
            Some(index) => index,
            None => {
                origins.push((origin.id.clone(), Vec::new()));
                origins.len() - 1
            }
        };
        for topic in &origin.topics {
            if !origins[index].1.contains(&topic.id) {
                origins[index].1.push(topic.id.clone());
            }
        }
    }
}

/// The initials shown in an avatar: "Alice Adams" → "AA", "carol" → "C".
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|word| word.chars().next()).take(2).flat_map(char::to_uppercase).collect()
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
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("Alice Adams"), "AA");
        assert_eq!(initials("carol"), "C");
        assert_eq!(initials("Jean Luc Picard"), "JL");
        assert_eq!(initials(""), "");
    }
}
