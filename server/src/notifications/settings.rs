//! Delivery settings: channels × origins × topics, with administrator defaults.
//!
//! The semantics are Backstage's (contract §5.4), including its opt-in model: a channel that the
//! configuration disables delivers only what a user switched on. Channel ids match
//! case-insensitively (as upstream does for them); origins and topics match exactly, everywhere
//! (upstream mixes the two).

pub use app::model::{ChannelSetting, NotificationSettings, OriginSetting, TopicSetting};
use app::model::{OriginTopics, add_origins};
use serde::{Deserialize, Serialize};

use super::store::SettingRow;

/// The channel of Herald's own UI; other channels come from processors (email, …).
pub const WEB_CHANNEL: &str = "Web";

/// Administrator defaults (`notifications.default_settings`): like user settings, but a
/// channel's `enabled` and its `origins` are optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultSettings {
    #[serde(default)]
    pub channels: Vec<DefaultChannel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultChannel {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub origins: Vec<OriginSetting>,
}

impl DefaultSettings {
    fn channel(&self, id: &str) -> Option<&DefaultChannel> {
        self.channels.iter().find(|c| c.id.eq_ignore_ascii_case(id))
    }
}

/// A user's stored settings for one channel, grouped by origin.
struct UserOrigin<'a> {
    id: &'a str,
    /// The origin switch; an origin known only through topic rows counts as on.
    enabled: bool,
    topics: Vec<(&'a str, bool)>,
}

fn user_origins<'a>(rows: &'a [SettingRow], channel: &str) -> Vec<UserOrigin<'a>> {
    let mut origins: Vec<UserOrigin<'a>> = Vec::new();
    for row in rows.iter().filter(|r| r.channel.eq_ignore_ascii_case(channel)) {
        let index = match origins.iter().position(|o| o.id == row.origin) {
            Some(index) => index,
            None => {
                origins.push(UserOrigin { id: &row.origin, enabled: true, topics: Vec::new() });
                origins.len() - 1
            }
        };
        match &row.topic {
            None => origins[index].enabled = row.enabled,
            Some(topic) => origins[index].topics.push((topic, row.enabled)),
        }
    }
    origins
}

/// The settings a user sees: every channel, over the origins (and topics) they received
/// personal notifications from plus those the defaults name.
pub fn effective(
    channels: &[String],
    defaults: &DefaultSettings,
    received: &[(String, Vec<String>)],
    rows: &[SettingRow],
) -> NotificationSettings {
    let mut channel_ids: Vec<String> = channels.to_vec();
    for channel in &defaults.channels {
        if !channel_ids.iter().any(|c| c.eq_ignore_ascii_case(&channel.id)) {
            channel_ids.push(channel.id.clone());
        }
    }
    // Origins with their topics, in first-seen order: received ones, then the defaults'.
    let mut origins: OriginTopics = received.to_vec();
    add_origins(&mut origins, defaults.channels.iter().flat_map(|c| &c.origins));

    let channels = channel_ids
        .into_iter()
        .map(|channel_id| {
            let config = defaults.channel(&channel_id);
            let channel_enabled = config.and_then(|c| c.enabled);
            let base_default = channel_enabled.unwrap_or(true);
            let explicit = channel_enabled.is_some();
            let user = user_origins(rows, &channel_id);
            let origins = origins
                .iter()
                .map(|(origin_id, topics)| {
                    let user_origin = user.iter().find(|o| o.id == origin_id);
                    let config_origin = config.and_then(|c| c.origins.iter().find(|o| o.id == *origin_id));
                    let enabled = match user_origin {
                        Some(o) => o.enabled,
                        None => config_origin.map_or(base_default, |o| o.enabled),
                    };
                    let topics = topics
                        .iter()
                        .map(|topic_id| {
                            let user_topic = user_origin.and_then(|o| o.topics.iter().find(|(t, _)| t == topic_id));
                            let config_topic = config_origin.and_then(|o| o.topics.iter().find(|t| t.id == *topic_id));
                            let topic_enabled = match (user_topic, config_topic) {
                                (Some((_, value)), _) => *value,
                                (None, Some(topic)) => topic.enabled,
                                (None, None) if explicit => base_default,
                                (None, None) => enabled,
                            };
                            TopicSetting { id: topic_id.clone(), enabled: topic_enabled }
                        })
                        .collect();
                    OriginSetting { id: origin_id.clone(), enabled, topics }
                })
                .collect();
            ChannelSetting { id: channel_id, enabled: channel_enabled, origins }
        })
        .collect();
    NotificationSettings { channels }
}

/// Whether a notification from `origin` about `topic` goes out on `channel` for a user whose
/// stored settings for that channel and origin are `rows` (topic `None` = the origin switch).
pub fn is_enabled(
    defaults: &DefaultSettings,
    channel: &str,
    rows: &[(Option<String>, bool)],
    origin: &str,
    topic: Option<&str>,
) -> bool {
    let config = defaults.channel(channel);
    let channel_enabled = config.and_then(|c| c.enabled);
    if !rows.is_empty() {
        if let Some(topic) = topic
            && let Some((_, enabled)) = rows.iter().find(|(t, _)| t.as_deref() == Some(topic))
        {
            return *enabled;
        }
        return rows.iter().find(|(t, _)| t.is_none()).is_none_or(|(_, enabled)| *enabled);
    }
    // No user rows for this origin: the defaults decide, unless the channel is opt-in, where
    // only the user's own switches count.
    let config_origin = match config {
        Some(c) if channel_enabled != Some(false) => c.origins.iter().find(|o| o.id == origin),
        _ => None,
    };
    match config_origin {
        Some(o) => topic.and_then(|t| o.topics.iter().find(|x| x.id == t)).map_or(o.enabled, |t| t.enabled),
        None => channel_enabled.unwrap_or(true),
    }
}

/// The rows that persist a posted settings document: one per (channel, origin), one per topic,
/// where a topic is on only if its origin is. Channel-level `enabled` is not stored.
pub fn rows_from(settings: &NotificationSettings) -> Vec<SettingRow> {
    let mut rows = Vec::new();
    for channel in &settings.channels {
        for origin in &channel.origins {
            rows.push(SettingRow {
                channel: channel.id.clone(),
                origin: origin.id.clone(),
                topic: None,
                enabled: origin.enabled,
            });
            for topic in &origin.topics {
                rows.push(SettingRow {
                    channel: channel.id.clone(),
                    origin: origin.id.clone(),
                    topic: Some(topic.id.clone()),
                    enabled: origin.enabled && topic.enabled,
                });
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(channel: &str, origin: &str, topic: Option<&str>, enabled: bool) -> SettingRow {
        SettingRow { channel: channel.into(), origin: origin.into(), topic: topic.map(Into::into), enabled }
    }

    /// The configuration of upstream's settings tests: service2 off; service3 on, its topic3 off.
    fn upstream_defaults() -> DefaultSettings {
        DefaultSettings {
            channels: vec![DefaultChannel {
                id: "Web".into(),
                enabled: None,
                origins: vec![
                    OriginSetting { id: "external:test-service2".into(), enabled: false, topics: vec![] },
                    OriginSetting {
                        id: "external:test-service3".into(),
                        enabled: true,
                        topics: vec![TopicSetting { id: "test-topic3".into(), enabled: false }],
                    },
                ],
            }],
        }
    }

    fn received() -> Vec<(String, Vec<String>)> {
        vec![
            ("external:test-service".into(), vec!["test-topic".into()]),
            ("external:test-service2".into(), vec!["test-topic2".into()]),
        ]
    }

    /// (origin, enabled, [(topic, enabled)]).
    type OriginView = (String, bool, Vec<(String, bool)>);
    type Expected<'a> = (&'a str, bool, &'a [(&'a str, bool)]);

    fn web(settings: &NotificationSettings) -> Vec<OriginView> {
        settings.channels[0]
            .origins
            .iter()
            .map(|o| (o.id.clone(), o.enabled, o.topics.iter().map(|t| (t.id.clone(), t.enabled)).collect()))
            .collect()
    }

    fn expect(rows: &[Expected]) -> Vec<OriginView> {
        rows.iter().map(|(o, e, t)| (o.to_string(), *e, t.iter().map(|(t, e)| (t.to_string(), *e)).collect())).collect()
    }

    #[test]
    fn an_origin_switched_off_turns_its_topics_off() {
        let rows = [row("Web", "external:test-service", None, false)];
        let s = effective(&["Web".into()], &upstream_defaults(), &received(), &rows);
        assert_eq!(
            web(&s),
            expect(&[
                ("external:test-service", false, &[("test-topic", false)]),
                ("external:test-service2", false, &[("test-topic2", false)]),
                ("external:test-service3", true, &[("test-topic3", false)]),
            ])
        );
    }

    #[test]
    fn a_topic_switched_off_leaves_its_origin_on() {
        let rows = [row("Web", "external:test-service", Some("test-topic"), false)];
        let s = effective(&["Web".into()], &upstream_defaults(), &received(), &rows);
        assert_eq!(web(&s)[0], expect(&[("external:test-service", true, &[("test-topic", false)])])[0]);
    }

    #[test]
    fn without_user_rows_the_defaults_apply() {
        let s = effective(&["Web".into()], &upstream_defaults(), &received(), &[]);
        assert_eq!(
            web(&s),
            expect(&[
                ("external:test-service", true, &[("test-topic", true)]),
                ("external:test-service2", false, &[("test-topic2", false)]),
                ("external:test-service3", true, &[("test-topic3", false)]),
            ])
        );
        assert_eq!(s.channels[0].enabled, None, "no channel-level value unless configured");
    }

    #[test]
    fn a_disabled_channel_turns_everything_off() {
        let defaults = DefaultSettings {
            channels: vec![DefaultChannel { id: "Web".into(), enabled: Some(false), origins: vec![] }],
        };
        let s = effective(&["Web".into()], &defaults, &received(), &[]);
        assert_eq!(s.channels[0].enabled, Some(false));
        assert!(s.channels[0].origins.iter().all(|o| !o.enabled && o.topics.iter().all(|t| !t.enabled)));
    }

    #[test]
    fn enabling_one_topic_under_a_disabled_channel_enables_its_origin_only_for_that_topic() {
        let defaults = DefaultSettings {
            channels: vec![DefaultChannel { id: "Web".into(), enabled: Some(false), origins: vec![] }],
        };
        let received = vec![("external:ci".to_owned(), vec!["topic-build-failed".to_owned(), "other".to_owned()])];
        let rows = [row("Web", "external:ci", Some("topic-build-failed"), true)];
        let s = effective(&["Web".into()], &defaults, &received, &rows);
        assert_eq!(web(&s), expect(&[("external:ci", true, &[("topic-build-failed", true), ("other", false)])]));
    }

    #[test]
    fn config_channels_are_listed_after_known_ones() {
        let defaults = DefaultSettings {
            channels: vec![
                DefaultChannel { id: "web".into(), enabled: None, origins: vec![] },
                DefaultChannel { id: "Pager".into(), enabled: Some(true), origins: vec![] },
            ],
        };
        let s = effective(&["Web".into()], &defaults, &[], &[]);
        let ids: Vec<&str> = s.channels.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["Web", "Pager"]);
    }

    #[test]
    fn send_time_checks_follow_rows_then_defaults() {
        let none = DefaultSettings::default();
        assert!(is_enabled(&none, "Web", &[], "external:x", None), "opt-out by default");
        assert!(!is_enabled(&none, "Web", &[(None, false)], "external:x", None));
        assert!(!is_enabled(&none, "Web", &[(Some("t".into()), false)], "external:x", Some("t")));
        assert!(is_enabled(&none, "Web", &[(Some("t".into()), false)], "external:x", None), "no topic: origin decides");
        assert!(is_enabled(&none, "Web", &[(Some("t".into()), false)], "external:x", Some("u")));

        let opt_in = DefaultSettings {
            channels: vec![DefaultChannel { id: "Web".into(), enabled: Some(false), origins: vec![] }],
        };
        assert!(!is_enabled(&opt_in, "Web", &[], "external:x", Some("important-topic")));
        assert!(is_enabled(
            &opt_in,
            "Web",
            &[(Some("important-topic".into()), true)],
            "external:x",
            Some("important-topic")
        ));

        let defaults = upstream_defaults();
        assert!(!is_enabled(&defaults, "Web", &[], "external:test-service2", None));
        assert!(!is_enabled(&defaults, "Web", &[], "external:test-service3", Some("test-topic3")));
        assert!(is_enabled(&defaults, "Web", &[], "external:test-service3", Some("other")));
    }

    #[test]
    fn posted_settings_become_rows_with_topics_capped_by_their_origin() {
        let settings = NotificationSettings {
            channels: vec![ChannelSetting {
                id: "Web".into(),
                enabled: Some(false),
                origins: vec![OriginSetting {
                    id: "external:x".into(),
                    enabled: false,
                    topics: vec![TopicSetting { id: "t".into(), enabled: true }],
                }],
            }],
        };
        assert_eq!(
            rows_from(&settings),
            vec![row("Web", "external:x", None, false), row("Web", "external:x", Some("t"), false)]
        );
    }
}
