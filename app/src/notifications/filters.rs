//! The notifications page's state, as it lives in the URL (shareable; back and forward work),
//! and as the query strings of the REST API it turns into.

use crate::{model::Severity, time::format_iso};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Unread,
    Read,
    Saved,
    All,
}

impl View {
    pub const ALL: [View; 4] = [View::Unread, View::Read, View::Saved, View::All];

    pub fn key(self) -> &'static str {
        match self {
            View::Unread => "unread",
            View::Read => "read",
            View::Saved => "saved",
            View::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            View::Unread => "Unread notifications",
            View::Read => "Read notifications",
            View::Saved => "Saved",
            View::All => "All",
        }
    }

    /// The table title: "Unread notifications (3)".
    pub fn title(self, count: i64) -> String {
        let (one, many) = match self {
            View::Unread => ("Unread notification", "Unread notifications"),
            View::Read => ("Read notification", "Read notifications"),
            View::Saved => ("Saved notification", "Saved notifications"),
            View::All => ("Notification", "All notifications"),
        };
        format!("{} ({count})", if count == 1 { one } else { many })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SentOut {
    Day,
    Week,
    #[default]
    Any,
}

impl SentOut {
    pub const ALL: [SentOut; 3] = [SentOut::Day, SentOut::Week, SentOut::Any];

    pub fn key(self) -> &'static str {
        match self {
            SentOut::Day => "24h",
            SentOut::Week => "week",
            SentOut::Any => "any",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SentOut::Day => "Last 24h",
            SentOut::Week => "Last week",
            SentOut::Any => "Any time",
        }
    }

    fn millis(self) -> Option<i64> {
        match self {
            SentOut::Day => Some(86_400_000),
            SentOut::Week => Some(7 * 86_400_000),
            SentOut::Any => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Topic,
    Origin,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Newest, Sort::Oldest, Sort::Topic, Sort::Origin];

    pub fn key(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Topic => "topic",
            Sort::Origin => "origin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest on top",
            Sort::Oldest => "Oldest on top",
            Sort::Topic => "Topic",
            Sort::Origin => "Origin",
        }
    }

    fn order_field(self) -> &'static str {
        match self {
            Sort::Newest => "created,desc",
            Sort::Oldest => "created,asc",
            Sort::Topic => "topic,asc",
            Sort::Origin => "origin,asc",
        }
    }
}

pub const PAGE_SIZES: [u32; 4] = [5, 10, 20, 50];
/// The URL's parameters, in the order links write them.
const PARAMS: [&str; 9] = ["view", "sent", "sort", "severity", "topic", "search", "size", "page", "id"];
/// Backstage's initial page size.
pub const DEFAULT_PAGE_SIZE: u32 = 5;

/// Everything the page shows, from the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub view: View,
    pub sent_out: SentOut,
    pub sort: Sort,
    /// The least severe level shown; `low` shows everything.
    pub severity: Severity,
    pub topic: Option<String>,
    pub search: Option<String>,
    /// Zero-based.
    pub page: u32,
    pub size: u32,
    /// A deep link to one notification: found, highlighted, focused.
    pub focus: Option<String>,
}

impl Default for Filters {
    fn default() -> Self {
        Self {
            view: View::Unread,
            sent_out: SentOut::Any,
            sort: Sort::Newest,
            severity: Severity::Low,
            topic: None,
            search: None,
            page: 0,
            size: DEFAULT_PAGE_SIZE,
            focus: None,
        }
    }
}

impl Filters {
    /// Reads the URL's query (without `?`); anything unknown or malformed falls back to the
    /// default. The first of a repeated key counts.
    pub fn from_query(query: &str) -> Self {
        let defaults = Filters::default();
        let pairs = decode(query);
        let text = |key: &str| {
            pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
        };
        let pick = |key: &str, keys: &[&str]| text(key).and_then(|v| keys.iter().position(|k| *k == v));
        Self {
            view: pick("view", &View::ALL.map(View::key)).map_or(defaults.view, |i| View::ALL[i]),
            sent_out: pick("sent", &SentOut::ALL.map(SentOut::key)).map_or(defaults.sent_out, |i| SentOut::ALL[i]),
            sort: pick("sort", &Sort::ALL.map(Sort::key)).map_or(defaults.sort, |i| Sort::ALL[i]),
            severity: text("severity").and_then(|v| Severity::parse(&v)).unwrap_or(defaults.severity),
            topic: text("topic"),
            search: text("search"),
            page: text("page").and_then(|v| v.parse::<u32>().ok()).map_or(0, |p| p.saturating_sub(1)),
            size: text("size").and_then(|v| v.parse().ok()).filter(|s| PAGE_SIZES.contains(s)).unwrap_or(defaults.size),
            focus: text("id"),
        }
    }

    /// `/notifications?…` with only what differs from the defaults; pages are 1-based in URLs.
    pub fn href(&self) -> String {
        let pairs = self.params();
        if pairs.is_empty() { "/notifications".into() } else { format!("/notifications?{}", encode(&pairs)) }
    }

    /// The URL parameters that differ from the defaults, not yet encoded.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let defaults = Filters::default();
        PARAMS
            .into_iter()
            .filter_map(|key| {
                let value = self.param(key);
                (value != defaults.param(key)).then_some((key, value))
            })
            .collect()
    }

    /// The value of one URL parameter as a form shows it, defaults included.
    pub fn param(&self, key: &str) -> String {
        match key {
            "view" => self.view.key().to_owned(),
            "sent" => self.sent_out.key().to_owned(),
            "sort" => self.sort.key().to_owned(),
            "severity" => self.severity.as_str().to_owned(),
            "topic" => self.topic.clone().unwrap_or_default(),
            "search" => self.search.clone().unwrap_or_default(),
            "size" => self.size.to_string(),
            "page" => (u64::from(self.page) + 1).to_string(),
            "id" => self.focus.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// These filters with one URL parameter set, read as the URL would be (anything unknown
    /// falls back to the default), from the first page.
    pub fn with_param(&self, key: &str, value: &str) -> Self {
        let mut pairs: Vec<(&str, String)> =
            self.with_page(0).params().into_iter().filter(|(k, _)| *k != key).collect();
        pairs.push((key, value.to_owned()));
        Self::from_query(&encode(&pairs))
    }

    /// The same filters on another page (or another page size, which starts over).
    pub fn with_page(&self, page: u32) -> Self {
        Self { page, focus: None, ..self.clone() }
    }

    /// The filters the REST API shares between the list, the topics and mark-all-read.
    fn selection(&self, now: i64, with_view: bool) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if with_view {
            match self.view {
                View::Unread => pairs.push(("read", "false".into())),
                View::Read => pairs.push(("read", "true".into())),
                View::Saved => pairs.push(("saved", "true".into())),
                View::All => {}
            }
        }
        if let Some(age) = self.sent_out.millis() {
            // Rounded down to the minute: the server render and the browser agree on it.
            let after = (now - age).div_euclid(60_000) * 60_000;
            pairs.push(("createdAfter", format_iso(after)));
        }
        if self.severity != Severity::Low {
            pairs.push(("minimumSeverity", self.severity.as_str().into()));
        }
        if let Some(search) = &self.search {
            pairs.push(("search", search.clone()));
        }
        pairs
    }

    /// `GET /notifications` query for this page.
    pub fn list_query(&self, now: i64) -> String {
        let mut pairs = self.selection(now, true);
        if let Some(topic) = &self.topic {
            pairs.push(("topic", topic.clone()));
        }
        pairs.push(("orderField", self.sort.order_field().into()));
        pairs.push(("limit", self.size.to_string()));
        pairs.push(("offset", (u64::from(self.page) * u64::from(self.size)).to_string()));
        encode(&pairs)
    }

    /// `GET /topics` query: follows everything but the topic itself.
    pub fn topics_query(&self, now: i64) -> String {
        encode(&self.selection(now, true))
    }
}

/// `application/x-www-form-urlencoded`, by hand: the browser and the server agree on it.
pub fn encode(pairs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        for byte in value.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
                b' ' => out.push('+'),
                other => out.push_str(&format!("%{other:02X}")),
            }
        }
    }
    out
}

/// The pairs of an `application/x-www-form-urlencoded` string; malformed escapes are kept as
/// written, and bytes that are not UTF-8 become U+FFFD.
pub fn decode(query: &str) -> Vec<(String, String)> {
    fn unescape(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) => {
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (unescape(key), unescape(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_iso;

    fn query(pairs: &[(&str, &str)]) -> String {
        encode(&pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect::<Vec<_>>())
    }

    #[test]
    fn the_defaults_are_backstages_initial_state() {
        let f = Filters::from_query("");
        assert_eq!(f, Filters::default());
        assert_eq!(f.href(), "/notifications");
        assert_eq!(f.list_query(0), "read=false&orderField=created%2Cdesc&limit=5&offset=0");
    }

    #[test]
    fn the_url_round_trips() {
        let q = query(&[
            ("view", "saved"),
            ("sent", "week"),
            ("sort", "topic"),
            ("severity", "high"),
            ("topic", "ci builds"),
            ("search", "50% off"),
            ("size", "20"),
            ("page", "3"),
        ]);
        let f = Filters::from_query(&q);
        assert_eq!(
            (f.view, f.sent_out, f.sort, f.severity, f.page, f.size),
            (View::Saved, SentOut::Week, Sort::Topic, Severity::High, 2, 20)
        );
        let href = f.href();
        assert_eq!(
            href,
            "/notifications?view=saved&sent=week&sort=topic&severity=high&topic=ci+builds&search=50%25+off&size=20&page=3"
        );
    }

    #[test]
    fn api_queries_carry_the_filters() {
        let now = parse_iso("2026-11-21T12:00:30.000Z").unwrap();
        let f = Filters {
            view: View::Read,
            sent_out: SentOut::Day,
            severity: Severity::Critical,
            topic: Some("t".into()),
            page: 1,
            size: 10,
            ..Filters::default()
        };
        assert_eq!(
            f.list_query(now),
            "read=true&createdAfter=2026-11-20T12%3A00%3A00.000Z&minimumSeverity=critical&topic=t&orderField=created%2Cdesc&limit=10&offset=10"
        );
        assert_eq!(f.topics_query(now), "read=true&createdAfter=2026-11-20T12%3A00%3A00.000Z&minimumSeverity=critical");
    }

    #[test]
    fn junk_in_the_url_falls_back_to_defaults() {
        let f = Filters::from_query(&query(&[("view", "nope"), ("size", "7"), ("page", "-1"), ("severity", "HIGH")]));
        assert_eq!(f, Filters::default());
    }

    #[test]
    fn queries_decode_as_browsers_encode_them() {
        assert_eq!(
            decode("search=50%25+off&topic=ci%20builds&&empty=&bare&bad=%zz%4"),
            vec![
                ("search".to_owned(), "50% off".to_owned()),
                ("topic".to_owned(), "ci builds".to_owned()),
                ("empty".to_owned(), String::new()),
                ("bare".to_owned(), String::new()),
                ("bad".to_owned(), "%zz%4".to_owned()),
            ]
        );
        assert_eq!(decode("q=%E2%9C%93"), vec![("q".to_owned(), "✓".to_owned())]);
        let f = Filters::from_query("view=read&view=saved&topic=a%26b");
        assert_eq!((f.view, f.topic.as_deref()), (View::Read, Some("a&b")));
    }

    #[test]
    fn one_parameter_changes_and_the_page_starts_over() {
        let f = Filters { topic: Some("builds".into()), page: 3, ..Filters::default() };
        let g = f.with_param("severity", "high");
        assert_eq!((g.severity, g.topic.as_deref(), g.page), (Severity::High, Some("builds"), 0));
        assert_eq!(g.param("severity"), "high");
        assert_eq!(g.with_param("topic", "").topic, None);
        assert_eq!(g.with_param("view", "bogus").view, View::Unread);
        assert_eq!(Filters::default().param("topic"), "");
    }

    #[test]
    fn titles_are_pluralised() {
        assert_eq!(View::Unread.title(1), "Unread notification (1)");
        assert_eq!(View::Unread.title(3), "Unread notifications (3)");
        assert_eq!(View::All.title(0), "All notifications (0)");
    }
}
