//! `UnreadNotificationsCard`: the latest unread notifications, for a home page.

use std::time::Duration;

use leptos::{either::Either, prelude::*};

use super::{
    api::{list_notifications, update_notifications},
    live::use_live,
    severity_style,
    toasts::truncate,
};
use crate::components::icons::{Icon, IconKind};

const DESCRIPTION_CHARS: usize = 120;
/// Without live signals, how often the card looks again while the tab is visible.
const POLL_EVERY: Duration = Duration::from_secs(30);

/// Plain text from a description that may carry HTML or markdown: tags go, emphasis and code
/// marks go, heading and quote marks at the start of a line go, `[text](url)` keeps its text.
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim_start().trim_start_matches(['#', '>']).trim_start();
        let mut in_tag = false;
        let mut in_url = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '<' if chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!') => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if in_tag => {}
                ']' if chars.peek() == Some(&'(') => {
                    chars.next();
                    in_url = true;
                }
                ')' if in_url => in_url = false,
                _ if in_url => {}
                '*' | '`' | '[' | ']' => {}
                c if c.is_whitespace() => {
                    if !out.ends_with(' ') {
                        out.push(' ');
                    }
                }
                c => out.push(c),
            }
        }
        if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_owned()
}

#[component]
pub fn UnreadNotificationsCard(
    /// How many to show (1–20).
    #[prop(default = 5)]
    max_messages: u32,
    /// Titles are cut at this many characters (20–200).
    #[prop(default = 80)]
    char_limit: usize,
) -> impl IntoView {
    let max_messages = max_messages.clamp(1, 20);
    let char_limit = char_limit.clamp(20, 200);
    let live = use_live();
    let (polls, set_polls) = signal(0u64);
    let version = move || (live.map(|l| l.version.get()).unwrap_or_default(), polls.get());
    let list = Resource::new(version, move |_| {
        list_notifications(format!("read=false&orderField=created%2Cdesc&limit={max_messages}"))
    });
    // Without signals, look again now and then, while anyone can see it.
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let connected = live.is_some_and(|l| l.available.get_untracked());
            if !connected && document().visibility_state() == web_sys::VisibilityState::Visible {
                set_polls.update(|n| *n += 1);
            }
        },
        POLL_EVERY,
    ) {
        on_cleanup(move || handle.clear());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_polls, POLL_EVERY);
    let act = Action::new(|(id, read, saved): &(String, Option<bool>, Option<bool>)| {
        update_notifications(vec![id.clone()], *read, *saved)
    });
    Effect::new(move |previous: Option<()>| {
        act.version().track();
        if previous.is_some() {
            set_polls.update(|n| *n += 1);
        }
    });
    view! {
        <section class="rounded-lg bg-white p-5 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-labelledby="unread-card-title">
            <div class="mb-3 flex items-center justify-between">
                <h2 id="unread-card-title" class="flex items-center gap-2 text-base font-semibold">
                    <Icon kind=IconKind::Bell class="h-5 w-5 text-sky-600 dark:text-sky-400"/>
                    "Unread notifications"
                </h2>
                <a href="/notifications" class="text-sm font-medium text-sky-700 hover:underline focus-visible:outline-2 focus-visible:outline-sky-500 dark:text-sky-400">"View all"</a>
            </div>
            <Transition fallback=|| ()>
                {move || {
                    let notifications = list.get().and_then(Result::ok).map(|l| l.notifications).unwrap_or_default();
                    if notifications.is_empty() {
                        return Either::Left(view! { <p class="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400" data-testid="caught-up">"All caught up!"</p> });
                    }
                    Either::Right(view! {
                        <ul class="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="unread-card">
                            {notifications.into_iter().map(|n| {
                                let style = severity_style(n.payload.severity);
                                let id = n.id.clone();
                                let id_save = n.id.clone();
                                let saved = n.saved.is_some();
                                view! {
                                    <li class="flex items-start gap-3 py-2">
                                        <span class=format!("mt-0.5 {}", style.text) title=style.label>
                                            <Icon kind=style.icon class="h-4 w-4"/>
                                            <span class="sr-only">{format!("Severity: {}", style.label)}</span>
                                        </span>
                                        <div class="min-w-0 flex-1">
                                            <a href=format!("/notifications?id={}", n.id) class="block truncate text-sm font-medium hover:underline focus-visible:outline-2 focus-visible:outline-sky-500">
                                                {truncate(&plain_text(&n.payload.title), char_limit)}
                                            </a>
                                            {n.payload.description.as_deref().map(|d| view! {
                                                <p class="truncate text-xs text-zinc-500 dark:text-zinc-400">{truncate(&plain_text(d), DESCRIPTION_CHARS)}</p>
                                            })}
                                        </div>
                                        <button type="button" title="Mark as read" on:click=move |_| { act.dispatch((id.clone(), Some(true), None)); }
                                            class="rounded p-1 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-800">
                                            <Icon kind=IconKind::Check class="h-4 w-4"/>
                                            <span class="sr-only">"Mark as read"</span>
                                        </button>
                                        <button type="button" title=if saved { "Undo save" } else { "Save for later" } aria-pressed=saved.to_string()
                                            on:click=move |_| { act.dispatch((id_save.clone(), None, Some(!saved))); }
                                            class="rounded p-1 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-800">
                                            <Icon kind=if saved { IconKind::BookmarkFilled } else { IconKind::Bookmark } class="h-4 w-4"/>
                                            <span class="sr-only">{if saved { "Undo save" } else { "Save for later" }}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })
                }}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn markup_is_stripped() {
        assert_eq!(plain_text("<b>Build</b> **failed** on `main`"), "Build failed on main");
        assert_eq!(plain_text("# Title\n\nline  two"), "Title line two");
        assert_eq!(plain_text("a < b"), "a < b");
        assert_eq!(
            plain_text("Build #7 of billing_api: see [the logs](https://ci/7)"),
            "Build #7 of billing_api: see the logs"
        );
    }
}
