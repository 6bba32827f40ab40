//! Notification settings: the channel × origin × topic switches (`UserNotificationSettings`)
//! and the page that holds them. Every change is saved at once.

use std::collections::HashMap;

use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

use super::{
    api::{get_settings, save_settings},
    display_name,
    sidebar::browser,
    toggle_in,
};
use crate::{
    components::{
        icons::{Icon, IconKind},
        layout::PageHeader,
    },
    model::{NotificationSettings, OriginTopics, add_origins},
};

/// Whether a notification from `origin` (about `topic`) is on for `channel`, as the settings
/// say: no entry for the channel means on; an unknown origin follows the channel.
pub fn enabled_for(settings: &NotificationSettings, channel: &str, origin: &str, topic: Option<&str>) -> bool {
    let Some(channel) = settings.channels.iter().find(|c| c.id == channel) else { return true };
    let Some(origin) = channel.origins.iter().find(|o| o.id == origin) else { return channel.enabled.unwrap_or(true) };
    match topic.and_then(|t| origin.topics.iter().find(|x| x.id == t)) {
        Some(topic) => topic.enabled,
        None => origin.enabled,
    }
}

/// Turning an origin on or off turns all its topics with it; a topic can only be on while its
/// origin is.
pub fn toggled(
    settings: &NotificationSettings,
    channel: &str,
    origin: &str,
    topic: Option<&str>,
    value: bool,
) -> NotificationSettings {
    let mut next = settings.clone();
    for c in next.channels.iter_mut().filter(|c| c.id == channel) {
        for o in c.origins.iter_mut().filter(|o| o.id == origin) {
            match topic {
                None => {
                    o.enabled = value;
                    for t in &mut o.topics {
                        t.enabled = value;
                    }
                }
                Some(topic) => {
                    let origin_on = o.enabled;
                    for t in o.topics.iter_mut().filter(|t| t.id == topic) {
                        t.enabled = origin_on && value;
                    }
                }
            }
        }
    }
    next
}

#[component]
pub fn NotificationSettingsPage() -> impl IntoView {
    view! {
        <Title text="Notification settings"/>
        <PageHeader title="Notification settings" subtitle="Choose what reaches you, and where"/>
        <crate::islands::SettingsView/>
    }
}

#[component]
pub fn UserNotificationSettings(
    /// Display names for origin ids; others are made readable from the id.
    #[prop(optional)]
    origin_names: HashMap<String, String>,
    /// Display names for topic ids.
    #[prop(optional)]
    topic_names: HashMap<String, String>,
) -> impl IntoView {
    let loaded = Resource::new(|| (), |_| get_settings());
    let save = Action::new(|settings: &NotificationSettings| save_settings(settings.clone()));
    // What the switches show: the last answer from the server (loaded, then after each save).
    // Read inside the transition, so rendering waits for the settings.
    let current = move || {
        let loaded = loaded.get();
        match save.value().get() {
            Some(Ok(saved)) => Some(saved),
            _ => loaded.and_then(Result::ok),
        }
    };
    let expanded = RwSignal::new(Vec::<String>::new());
    let failed = move || matches!(save.value().get(), Some(Err(_)));
    let toggle = Callback::new(move |(channel, origin, topic, value): (String, String, Option<String>, bool)| {
        if let Some(settings) = untrack(current) {
            save.dispatch(toggled(&settings, &channel, &origin, topic.as_deref(), value));
        }
    });
    view! {
        <section class="rounded-lg bg-white shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-labelledby="settings-title">
            <h2 id="settings-title" class="border-b border-zinc-200 px-4 py-3 text-lg font-semibold dark:border-zinc-800">"Notification settings"</h2>
            <Show when=failed>
                <p role="alert" class="px-4 py-2 text-sm text-red-700 dark:text-red-400">"Could not save the settings; showing what is stored."</p>
            </Show>
            <Transition fallback=|| ()>
                {move || {
                    let message = |class: &'static str, testid: Option<&'static str>, text: &'static str| {
                        Either::Left(view! { <p class=class data-testid=testid>{text}</p> })
                    };
                    let Some(settings) = current() else {
                        return message("p-6 text-sm text-red-700 dark:text-red-400", None, "Could not load the settings.");
                    };
                    let rows = setting_rows(&settings, &origin_names, &topic_names);
                    if rows.is_empty() {
                        return message(
                            "p-6 text-sm text-zinc-500 dark:text-zinc-400",
                            Some("settings-empty"),
                            "No notification settings available, check back later",
                        );
                    }
                    let channels: Vec<String> = settings.channels.iter().map(|c| c.id.clone()).collect();
                    Either::Right(view! {
                        <div class="overflow-x-auto">
                            <table class="w-full text-sm">
                                <thead>
                                    <tr class="border-b border-zinc-200 text-left text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
                                        <th scope="col" class="w-10 px-4 py-2"><span class="sr-only">"Expand"</span></th>
                                        <th scope="col" class="px-2 py-2 font-medium">"Origin"</th>
                                        <th scope="col" class="px-2 py-2 font-medium">"Topic"</th>
                                        {channels.into_iter().map(|c| view! { <th scope="col" class="px-4 py-2 text-center font-medium">{c}</th> }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows.into_iter().map(|row| view! { <SettingRow row expanded toggle/> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    })
                }}
            </Transition>
        </section>
    }
}

/// One line of the matrix: an origin (all its topics), or one topic of it.
struct SettingLine {
    origin: String,
    origin_label: String,
    /// `None` for the origin's own line.
    topic: Option<(String, String)>,
    /// Whether the origin has topics to show (origin lines only).
    expandable: bool,
    /// Per channel: its id and whether the switch is on.
    switches: Vec<(String, bool)>,
}

/// The matrix's lines: origins once, whichever channels list them, with the union of their
/// topics; each origin followed by its topics.
fn setting_rows(
    settings: &NotificationSettings,
    origin_names: &HashMap<String, String>,
    topic_names: &HashMap<String, String>,
) -> Vec<SettingLine> {
    let mut origins = OriginTopics::new();
    add_origins(&mut origins, settings.channels.iter().flat_map(|c| &c.origins));
    let switches = |origin: &str, topic: Option<&str>| {
        settings.channels.iter().map(|c| (c.id.clone(), enabled_for(settings, &c.id, origin, topic))).collect()
    };
    let mut lines = Vec::new();
    for (origin, topics) in origins {
        let origin_label = origin_names.get(&origin).cloned().unwrap_or_else(|| display_name(&origin));
        lines.push(SettingLine {
            origin: origin.clone(),
            origin_label: origin_label.clone(),
            topic: None,
            expandable: !topics.is_empty(),
            switches: switches(&origin, None),
        });
        for topic in topics {
            let topic_label = topic_names.get(&topic).cloned().unwrap_or_else(|| display_name(&topic));
            lines.push(SettingLine {
                origin: origin.clone(),
                origin_label: origin_label.clone(),
                switches: switches(&origin, Some(&topic)),
                topic: Some((topic, topic_label)),
                expandable: false,
            });
        }
    }
    lines
}

/// One line of switches. Topic lines show while their origin is expanded.
#[component]
fn SettingRow(
    row: SettingLine,
    expanded: RwSignal<Vec<String>>,
    toggle: Callback<(String, String, Option<String>, bool)>,
) -> impl IntoView {
    let SettingLine { origin, origin_label, topic, expandable, switches } = row;
    let is_open = {
        let origin = origin.clone();
        move || expanded.with(|e| e.contains(&origin))
    };
    let is_topic = topic.is_some();
    let expand = expandable.then(|| {
        let origin = origin.clone();
        let is_open = is_open.clone();
        let is_open_class = is_open.clone();
        view! {
            <button
                type="button"
                class="rounded p-1 text-zinc-500 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-800"
                aria-expanded=move || is_open().to_string()
                on:click=move |_| expanded.update(|e| toggle_in(e, &origin))
            >
                <span class=move || if is_open_class() { "block rotate-0 transition" } else { "block -rotate-90 transition" }>
                    <Icon kind=IconKind::ChevronDown class="h-4 w-4"/>
                </span>
                <span class="sr-only">{format!("Topics of {origin_label}")}</span>
            </button>
        }
    });
    let about = match &topic {
        Some((_, label)) => format!(" about {label}"),
        None => String::new(),
    };
    let cells = switches
        .into_iter()
        .map(|(channel, on)| {
            let label = format!("{channel} notifications from {origin_label}{about}");
            let (origin, topic) = (origin.clone(), topic.as_ref().map(|(id, _)| id.clone()));
            let on_toggle =
                Callback::new(move |value| toggle.run((channel.clone(), origin.clone(), topic.clone(), value)));
            view! { <td class="px-4 py-2 text-center"><Switch on label on_toggle/></td> }
        })
        .collect_view();
    view! {
        <tr
            class=if is_topic { "border-b border-zinc-100 bg-zinc-50/60 dark:border-zinc-800 dark:bg-zinc-950/40" } else { "border-b border-zinc-100 dark:border-zinc-800" }
            hidden=move || is_topic && !is_open()
            data-testid=if is_topic { "settings-topic" } else { "settings-origin" }
            data-origin=(!is_topic).then(|| origin.clone())
            data-topic=topic.as_ref().map(|(id, _)| id.clone())
        >
            <td class="px-4 py-2">{expand}</td>
            <td class="px-2 py-2 font-medium">{(!is_topic).then(|| origin_label.clone())}</td>
            <td class=if is_topic { "px-2 py-2" } else { "px-2 py-2 text-zinc-500 dark:text-zinc-400" }>
                {topic.as_ref().map_or_else(|| "all".to_owned(), |(_, label)| label.clone())}
            </td>
            {cells}
        </tr>
    }
}

/// The choice of desktop notifications, kept in this browser.
#[component]
pub fn BrowserNotifications() -> impl IntoView {
    let hydrated = crate::hydration::use_hydrated();
    let on = RwSignal::new(false);
    let permission = RwSignal::new("default");
    Effect::new(move |_| {
        if hydrated.get() {
            on.set(browser::preferred());
            permission.set(browser::permission());
        }
    });
    let note = move || match (on.get(), permission.get()) {
        (true, "denied") => "This browser blocks notifications from Herald; allow them in its site settings.",
        (true, "default") => "Your browser will ask for permission.",
        (true, _) => "New notifications also appear on your desktop, once per notification across tabs.",
        (false, _) => "Off: new notifications show in Herald only.",
    };
    view! {
        <section class="rounded-lg bg-white p-4 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-labelledby="browser-title">
            <div class="flex items-center justify-between gap-4">
                <div>
                    <h2 id="browser-title" class="text-lg font-semibold">"Desktop notifications"</h2>
                    <p class="mt-1 text-sm text-zinc-600 dark:text-zinc-400" aria-live="polite">{note}</p>
                </div>
                {move || view! {
                    <Switch on=on.get() label="Desktop notifications in this browser".to_owned() on_toggle=Callback::new(move |value| {
                        browser::set_preferred(value);
                        on.set(value);
                        permission.set(browser::permission());
                    })/>
                }}
            </div>
        </section>
    }
}

/// An accessible on/off switch.
#[component]
fn Switch(on: bool, label: String, on_toggle: Callback<bool>) -> impl IntoView {
    view! {
        <button
            type="button"
            role="switch"
            aria-checked=on.to_string()
            aria-label=label
            on:click=move |_| on_toggle.run(!on)
            class=if on {
                "relative inline-flex h-6 w-11 items-center rounded-full bg-sky-600 transition focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600"
            } else {
                "relative inline-flex h-6 w-11 items-center rounded-full bg-zinc-300 transition focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 dark:bg-zinc-600"
            }
        >
            <span class=if on { "inline-block h-5 w-5 translate-x-5 rounded-full bg-white shadow transition" } else { "inline-block h-5 w-5 translate-x-0.5 rounded-full bg-white shadow transition" }></span>
            <span class="sr-only">{if on { "On" } else { "Off" }}</span>
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChannelSetting, OriginSetting, TopicSetting};

    fn settings(channel_enabled: Option<bool>, origin_enabled: bool, topic_enabled: bool) -> NotificationSettings {
        NotificationSettings {
            channels: vec![ChannelSetting {
                id: "Web".into(),
                enabled: channel_enabled,
                origins: vec![OriginSetting {
                    id: "external:ci".into(),
                    enabled: origin_enabled,
                    topics: vec![TopicSetting { id: "builds".into(), enabled: topic_enabled }],
                }],
            }],
        }
    }

    #[test]
    fn switches_follow_channel_origin_and_topic() {
        let s = settings(None, true, false);
        assert!(enabled_for(&s, "Web", "external:ci", None));
        assert!(!enabled_for(&s, "Web", "external:ci", Some("builds")));
        assert!(enabled_for(&s, "Web", "external:ci", Some("deploys")), "unknown topic: the origin decides");
        assert!(enabled_for(&s, "Email", "external:ci", None), "no channel entry: on");
        assert!(
            !enabled_for(&settings(Some(false), true, true), "Web", "external:other", None),
            "unknown origin: the channel decides"
        );
    }

    #[test]
    fn toggling_an_origin_carries_its_topics_and_topics_need_their_origin() {
        let off = toggled(&settings(None, true, true), "Web", "external:ci", None, false);
        assert!(
            !enabled_for(&off, "Web", "external:ci", None) && !enabled_for(&off, "Web", "external:ci", Some("builds"))
        );
        let on = toggled(&off, "Web", "external:ci", None, true);
        assert!(enabled_for(&on, "Web", "external:ci", Some("builds")));
        let topic_off = toggled(&on, "Web", "external:ci", Some("builds"), false);
        assert!(
            enabled_for(&topic_off, "Web", "external:ci", None)
                && !enabled_for(&topic_off, "Web", "external:ci", Some("builds"))
        );
        let topic_on_under_disabled_origin = toggled(&off, "Web", "external:ci", Some("builds"), true);
        assert!(!enabled_for(&topic_on_under_disabled_origin, "Web", "external:ci", Some("builds")));
    }
}
