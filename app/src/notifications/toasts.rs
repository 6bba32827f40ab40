//! Toasts for new notifications: title, severity, "Open" and "Mark as read"; stacked and
//! hidden after a while.

use std::time::Duration;

use leptos::prelude::*;

use super::{api::update_notifications, live::use_live, severity_style};
use crate::{
    components::icons::{Icon, IconKind},
    model::{Notification, Severity},
};

/// At most this many toasts at once; older ones make room.
const MAX_TOASTS: usize = 3;
const TITLE_CHARS: usize = 50;

#[derive(Clone, PartialEq)]
struct Toast {
    id: String,
    title: String,
    severity: Severity,
    link: Option<String>,
}

impl Toast {
    fn of(notification: &Notification) -> Self {
        Self {
            id: notification.id.clone(),
            title: truncate(&notification.payload.title, TITLE_CHARS),
            severity: notification.payload.severity,
            link: notification.payload.link.clone(),
        }
    }
}

/// `text`, cut at `max` characters with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>().trim_end())
    }
}

#[component]
pub fn Toaster(auto_hide: Duration) -> impl IntoView {
    let toasts = RwSignal::new(Vec::<Toast>::new());
    let dismiss = move |id: &str| toasts.update(|list| list.retain(|t| t.id != id));
    if let Some(live) = use_live() {
        Effect::new(move |_| {
            let Some(message) = live.last.get() else { return };
            let Some(notification) = message.notification.filter(|_| message.action == "new_notification") else {
                return;
            };
            let toast = Toast::of(&notification);
            let id = toast.id.clone();
            toasts.update(|list| {
                list.retain(|t| t.id != toast.id);
                list.insert(0, toast);
                list.truncate(MAX_TOASTS);
            });
            set_timeout(move || dismiss(&id), auto_hide);
        });
    }
    view! {
        <div
            role="region"
            aria-label="New notifications"
            aria-live="polite"
            class="pointer-events-none fixed bottom-4 right-4 z-50 flex w-[min(24rem,calc(100vw-2rem))] flex-col gap-2"
        >
            // A few at most, so a plain list: the WASM carries no second keyed-list diff for
            // them (that was 9 KB gzip); a new toast rewrites the cards below it in place.
            {move || toasts.get().into_iter().map(|toast| view! { <ToastCard toast dismiss/> }).collect_view()}
        </div>
    }
}

#[component]
fn ToastCard(toast: Toast, dismiss: impl Fn(&str) + Copy + Send + Sync + 'static) -> impl IntoView {
    let style = severity_style(toast.severity);
    let (open_href, external) = match &toast.link {
        Some(link) => (link.clone(), true),
        None => (format!("/notifications?id={}", toast.id), false),
    };
    let id = toast.id.clone();
    let mark_read = move |_| {
        let id = id.clone();
        dismiss(&id);
        leptos::task::spawn_local(async move {
            let _ = update_notifications(vec![id], Some(true), None).await;
        });
    };
    let id_for_open = toast.id.clone();
    let opened = move |_| {
        dismiss(&id_for_open);
        // Opening a link counts as reading it (as upstream does).
        if external {
            let id = id_for_open.clone();
            leptos::task::spawn_local(async move {
                let _ = update_notifications(vec![id], Some(true), None).await;
            });
        }
    };
    let id_for_close = toast.id.clone();
    view! {
        <div
            role="status"
            data-testid="toast"
            class=format!("pointer-events-auto flex items-start gap-3 rounded-lg border-l-4 bg-white p-3 shadow-lg ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-700 {}", style.border)
        >
            <span class=style.text>
                <Icon kind=style.icon/>
                <span class="sr-only">{style.label}</span>
            </span>
            <div class="min-w-0 flex-1">
                <p class="text-sm font-medium text-zinc-900 dark:text-zinc-100">{toast.title.clone()}</p>
                <div class="mt-2 flex gap-3 text-sm">
                    <a
                        href=open_href
                        target=if external { "_blank" } else { "_self" }
                        rel="noopener"
                        on:click=opened
                        class="font-medium text-sky-700 hover:underline focus-visible:outline-2 focus-visible:outline-sky-500 dark:text-sky-400"
                    >
                        "Open"
                    </a>
                    <button type="button" on:click=mark_read class="font-medium text-zinc-700 hover:underline focus-visible:outline-2 focus-visible:outline-sky-500 dark:text-zinc-300">
                        "Mark as read"
                    </button>
                </div>
            </div>
            <button
                type="button"
                on:click=move |_| dismiss(&id_for_close)
                class="rounded p-1 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-800 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-800 dark:hover:text-zinc-200"
            >
                <Icon kind=IconKind::Close class="h-4 w-4"/>
                <span class="sr-only">"Dismiss"</span>
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn long_titles_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("short", 50), "short");
        assert_eq!(truncate("abcdef", 3), "abc…");
        assert_eq!(truncate("ab cdef", 3), "ab…");
    }
}
