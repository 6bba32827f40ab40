//! Query parameters of the list, topics and mark-all-read routes, checked as strictly as
//! Backstage's OpenAPI validator: unknown names, empty values, wrong types and wrong enum values
//! are all 400s with a message naming the parameter.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use super::model::Severity;
use crate::{
    error::{Error, Result},
    timestamp::Timestamp,
};

/// What selects notifications, shared by list, count, topics and mark-all-read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub read: Option<bool>,
    pub saved: Option<bool>,
    pub topic: Option<String>,
    pub search: Option<String>,
    pub created_after: Option<Timestamp>,
    pub minimum_severity: Option<Severity>,
}

impl Filter {
    /// `low` admits every severity: it is no filter at all.
    pub fn severity_rank(&self) -> Option<i16> {
        self.minimum_severity.filter(|s| *s != Severity::Low).map(Severity::rank)
    }

    /// True when only the read/saved view and a minimum severity are set: what the kept
    /// per-severity totals count.
    pub fn is_view_and_severity(&self) -> bool {
        self.topic.is_none() && self.search.is_none() && self.created_after.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Created,
    Updated,
    Topic,
    Origin,
    Title,
    Severity,
    Read,
    Saved,
}

impl SortKey {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "created" => SortKey::Created,
            "updated" => SortKey::Updated,
            "topic" => SortKey::Topic,
            "origin" => SortKey::Origin,
            "title" => SortKey::Title,
            "severity" => SortKey::Severity,
            "read" => SortKey::Read,
            "saved" => SortKey::Saved,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// A keyset position: the last row of the previous page in `created` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created: i64,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(24);
        bytes.extend_from_slice(&self.created.to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        if bytes.len() != 24 {
            return None;
        }
        let created = i64::from_be_bytes(bytes[..8].try_into().ok()?);
        let id = Uuid::from_slice(&bytes[8..]).ok()?;
        Some(Self { created, id })
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub filter: Filter,
    /// Empty means newest first.
    pub order: Vec<(SortKey, Direction)>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    pub cursor: Option<Cursor>,
}

impl ListQuery {
    /// The direction of a `created`-only order, which is what keyset paging supports.
    pub fn created_direction(&self) -> Option<Direction> {
        match self.order.as_slice() {
            [] => Some(Direction::Desc),
            [(SortKey::Created, direction)] => Some(*direction),
            _ => None,
        }
    }
}

const LIST_PARAMS: &[&str] =
    &["offset", "limit", "orderField", "topic", "search", "read", "saved", "createdAfter", "minimumSeverity", "cursor"];
const TOPICS_PARAMS: &[&str] = &["search", "read", "saved", "createdAfter", "minimumSeverity"];
const READ_ALL_PARAMS: &[&str] = &["topic", "search", "saved", "createdAfter", "minimumSeverity"];

pub fn parse_list(raw: Option<&str>) -> Result<ListQuery> {
    let mut query = ListQuery::default();
    for (name, value) in pairs(raw, LIST_PARAMS)? {
        match name.as_str() {
            "orderField" => query.order.push(parse_order(&value)?),
            "offset" => query.offset = Some(parse_count(&name, &value)?),
            "limit" => query.limit = Some(parse_count(&name, &value)?),
            "cursor" => {
                query.cursor = Some(Cursor::decode(&value).ok_or_else(|| Error::input("Invalid cursor"))?);
            }
            _ => apply_filter(&mut query.filter, &name, value)?,
        }
    }
    if query.cursor.is_some() {
        if query.offset.is_some() {
            return Err(Error::input("cursor and offset cannot be combined"));
        }
        if query.created_direction().is_none() {
            return Err(Error::input("cursor works only with the created order"));
        }
    }
    Ok(query)
}

pub fn parse_topics(raw: Option<&str>) -> Result<Filter> {
    parse_filter(raw, TOPICS_PARAMS)
}

/// Mark-all-read takes the list filters except the view: it always acts on unread ones.
pub fn parse_read_all(raw: Option<&str>) -> Result<Filter> {
    parse_filter(raw, READ_ALL_PARAMS)
}

/// For routes that take no parameters: any parameter is an error that names it.
pub fn parse_none(raw: Option<&str>) -> Result<()> {
    pairs(raw, &[]).map(|_| ())
}

fn parse_filter(raw: Option<&str>, allowed: &[&str]) -> Result<Filter> {
    let mut filter = Filter::default();
    for (name, value) in pairs(raw, allowed)? {
        apply_filter(&mut filter, &name, value)?;
    }
    Ok(filter)
}

/// Decoded pairs; rejects unknown names, repeats (except `orderField`) and empty values.
fn pairs(raw: Option<&str>, allowed: &[&str]) -> Result<Vec<(String, String)>> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let name = match name.as_ref() {
            "orderField[]" => "orderField".to_owned(),
            other => other.to_owned(),
        };
        if !allowed.contains(&name.as_str()) {
            return Err(Error::input(format!("Unknown query parameter '{name}'")));
        }
        if value.is_empty() {
            return Err(Error::input(format!("Empty value found for query parameter '{name}'")));
        }
        if name != "orderField" {
            if seen.contains(&name) {
                return Err(Error::input(format!("Query parameter '{name}' must be given once")));
            }
            seen.push(name.clone());
        }
        out.push((name, value.into_owned()));
    }
    Ok(out)
}

/// Titles and descriptions are short; a longer term can only match nothing, slowly.
const MAX_SEARCH_CHARS: usize = 1000;

fn apply_filter(filter: &mut Filter, name: &str, value: String) -> Result<()> {
    match name {
        "search" if value.chars().count() > MAX_SEARCH_CHARS => {
            return Err(Error::input(format!("search must be at most {MAX_SEARCH_CHARS} characters")));
        }
        // No stored text holds a NUL (PostgreSQL cannot store one), and the engines refuse it in
        // a query: a 400, not their error.
        "search" | "topic" if value.contains('\0') => {
            return Err(Error::input(format!("{name} must not contain a NUL character")));
        }
        "search" => filter.search = Some(value),
        "topic" => filter.topic = Some(value),
        "read" => filter.read = Some(parse_bool(name, &value)?),
        "saved" => filter.saved = Some(parse_bool(name, &value)?),
        "createdAfter" => {
            filter.created_after =
                Some(Timestamp::parse(&value).ok_or_else(|| Error::input("Unexpected date format"))?);
        }
        "minimumSeverity" => {
            filter.minimum_severity = Some(Severity::parse(&value).ok_or_else(|| {
                Error::input("minimumSeverity must be one of critical, high, normal, low".to_owned())
            })?);
        }
        other => return Err(Error::input(format!("Unknown query parameter '{other}'"))),
    }
    Ok(())
}

fn parse_bool(name: &str, value: &str) -> Result<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::input(format!("Query parameter '{name}' must be true or false"))),
    }
}

fn parse_count(name: &str, value: &str) -> Result<u64> {
    let invalid = || Error::input(format!("Query parameter '{name}' must be a whole number from 0 to {}", i64::MAX));
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    value.parse::<u64>().ok().filter(|n| i64::try_from(*n).is_ok()).ok_or_else(invalid)
}

fn parse_order(value: &str) -> Result<(SortKey, Direction)> {
    let mut parts = value.split(',');
    let field = parts.next().unwrap_or_default();
    let direction = match parts.next() {
        None | Some("") | Some("asc") => Direction::Asc,
        Some("desc") => Direction::Desc,
        Some(_) => return Err(Error::input("Invalid order field order, must be asc or desc")),
    };
    let key = SortKey::parse(field).ok_or_else(|| {
        Error::input(format!(
            "Invalid order field '{field}', must be one of created, updated, topic, origin, title, severity, read, saved"
        ))
    })?;
    Ok((key, direction))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(raw: &str) -> Result<ListQuery> {
        parse_list(Some(raw))
    }

    #[test]
    fn every_list_parameter_is_understood() {
        let q = list("offset=5&limit=10&orderField=topic,asc&orderField=created,desc&topic=t&search=s&read=false&saved=true&createdAfter=2026-01-01T00:00:00Z&minimumSeverity=high").unwrap();
        assert_eq!((q.offset, q.limit), (Some(5), Some(10)));
        assert_eq!(q.order, vec![(SortKey::Topic, Direction::Asc), (SortKey::Created, Direction::Desc)]);
        assert_eq!(q.filter.topic.as_deref(), Some("t"));
        assert_eq!(q.filter.read, Some(false));
        assert_eq!(q.filter.saved, Some(true));
        assert_eq!(q.filter.minimum_severity, Some(Severity::High));
        assert!(q.filter.created_after.is_some());
    }

    #[test]
    fn bad_input_is_rejected() {
        for raw in [
            "bogus=1",
            "created_after=2026-01-01",
            "limit=",
            "search=",
            "limit=-1",
            "limit=abc",
            "offset=1.5",
            "offset=99999999999999999999",
            "read=yes",
            "minimumSeverity=HIGH",
            "createdAfter=yesterday",
            "orderField=created,DESC",
            "orderField=nonsense",
            "limit=1&limit=2",
            "cursor=garbage",
            "search=a%00b",
            "topic=%00",
        ] {
            assert!(list(raw).is_err(), "{raw} should be rejected");
        }
    }

    #[test]
    fn order_fields_take_both_array_spellings_and_ignore_extra_parts() {
        let q = list("orderField[]=origin&orderField=title,desc,extra").unwrap();
        assert_eq!(q.order, vec![(SortKey::Origin, Direction::Asc), (SortKey::Title, Direction::Desc)]);
    }

    #[test]
    fn topics_reject_paging_and_topic() {
        for raw in ["topic=x", "limit=1", "offset=1", "orderField=created"] {
            assert!(parse_topics(Some(raw)).is_err(), "{raw}");
        }
        assert!(parse_topics(Some("search=x&read=true")).is_ok());
    }

    #[test]
    fn cursors_round_trip_and_need_the_created_order() {
        let cursor = Cursor { created: 1_700_000_000_000_000, id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        let text = cursor.encode();
        assert!(list(&format!("cursor={text}&limit=5")).is_ok());
        assert!(list(&format!("cursor={text}&orderField=created,asc")).is_ok());
        assert!(list(&format!("cursor={text}&orderField=topic")).is_err());
        assert!(list(&format!("cursor={text}&offset=5")).is_err());
    }

    #[test]
    fn percent_encoding_is_decoded() {
        let q = list("search=50%25%20off").unwrap();
        assert_eq!(q.filter.search.as_deref(), Some("50% off"));
    }
}
