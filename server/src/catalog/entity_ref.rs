//! Entity references (`kind:namespace/name`), always held in one canonical form.
//!
//! The Backstage catalog compares refs case-insensitively and fills in a default kind and the
//! `default` namespace; upstream's notifications backend does not, so `user:alice` never reaches
//! `user:default/alice` there. Herald parses every ref into the canonical lower-case form once, at
//! the edge, and compares strings afterwards.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const DEFAULT_NAMESPACE: &str = "default";

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityRef {
    /// `kind:namespace/name`, lower case.
    text: String,
    colon: usize,
    slash: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid entity reference {input:?}: {problem}")]
pub struct RefError {
    pub input: String,
    pub problem: &'static str,
}

impl EntityRef {
    /// Parses `[kind:][namespace/]name`. Without a kind in the text, `default_kind` is used;
    /// without one there either, the ref is invalid.
    pub fn parse_with(input: &str, default_kind: Option<&str>, default_namespace: &str) -> Result<Self, RefError> {
        let fail = |problem| RefError { input: input.to_owned(), problem };
        let text = input.trim();
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        if text.len() > 512 {
            return Err(fail("it is longer than 512 characters"));
        }
        let (kind, rest) = match text.split_once(':') {
            Some((kind, rest)) => (kind, rest),
            None => (default_kind.ok_or_else(|| fail("it has no kind (like `user:`)"))?, text),
        };
        let (namespace, name) = rest.split_once('/').unwrap_or((default_namespace, rest));
        if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(fail("the kind must be letters, digits, - or _"));
        }
        for part in [namespace, name] {
            if part.is_empty() {
                return Err(fail("the namespace and name must not be empty"));
            }
            if part.chars().any(|c| c.is_whitespace() || c.is_control() || c == ':' || c == '/') {
                return Err(fail("the namespace and name must not contain spaces, : or /"));
            }
        }
        Ok(Self::from_parts(kind, namespace, name))
    }

    /// Parses a ref that must name its kind.
    pub fn parse(input: &str) -> Result<Self, RefError> {
        Self::parse_with(input, None, DEFAULT_NAMESPACE)
    }

    pub fn from_parts(kind: &str, namespace: &str, name: &str) -> Self {
        let text = format!("{kind}:{namespace}/{name}").to_lowercase();
        let colon = kind.len();
        let slash = colon + 1 + namespace.to_lowercase().len();
        Self { text, colon, slash }
    }

    pub fn kind(&self) -> &str {
        &self.text[..self.colon]
    }

    pub fn namespace(&self) -> &str {
        &self.text[self.colon + 1..self.slash]
    }

    pub fn name(&self) -> &str {
        &self.text[self.slash + 1..]
    }

    pub fn is_user(&self) -> bool {
        self.kind() == "user"
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntityRef({})", self.text)
    }
}

impl Serialize for EntityRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for EntityRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_ref_is_lower_cased() {
        let r = EntityRef::parse("User:Default/Alice").unwrap();
        assert_eq!(r.as_str(), "user:default/alice");
        assert_eq!((r.kind(), r.namespace(), r.name()), ("user", "default", "alice"));
    }

    #[test]
    fn the_namespace_defaults_to_default() {
        assert_eq!(EntityRef::parse("user:alice").unwrap().as_str(), "user:default/alice");
        assert_eq!(EntityRef::parse("group:team-a").unwrap().as_str(), "group:default/team-a");
    }

    #[test]
    fn a_default_kind_fills_in_a_bare_name() {
        let r = EntityRef::parse_with("team-a", Some("group"), "ops").unwrap();
        assert_eq!(r.as_str(), "group:ops/team-a");
        let r = EntityRef::parse_with("other/team-b", Some("group"), "ops").unwrap();
        assert_eq!(r.as_str(), "group:other/team-b");
    }

    #[test]
    fn malformed_refs_are_rejected() {
        for bad in ["", "alice", ":default/alice", "user:/alice", "user:default/", "user:a b", "user:x/y/z", "us er:x"]
        {
            assert!(EntityRef::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn refs_round_trip_through_json() {
        let r: EntityRef = serde_json::from_str("\"user:Alice\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"user:default/alice\"");
    }
}
