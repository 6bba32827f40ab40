//! `NotificationsSidebarItem`: the sidebar link with the live unread count, the `(N) ` title
//! prefix, toasts for new notifications, and browser notifications.

use std::{sync::Arc, time::Duration};

use leptos::{either::Either, prelude::*};

use super::{api::notification_status, live::use_live, toasts::Toaster};
use crate::{
    address::current_path,
    components::icons::{Icon, IconKind},
};

/// What a custom `render_item` gets.
#[derive(Clone)]
pub struct RenderItemProps {
    pub unread_count: Signal<i64>,
    pub to: String,
    pub on_click: Callback<()>,
}

/// Replaces the sidebar item entirely.
pub type RenderItem = Arc<dyn Fn(RenderItemProps) -> AnyView + Send + Sync>;

/// `title` with `(N) ` in front while N are unread, in place of any count it had.
pub fn counted_title(title: &str, count: i64) -> String {
    let bare = match title.strip_prefix('(').and_then(|rest| rest.split_once(") ")) {
        Some((number, rest)) if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => title,
    };
    if count > 0 { format!("({count}) {bare}") } else { bare.to_owned() }
}

/// `99+` above 99; nothing at 0.
pub fn badge_text(count: i64) -> Option<String> {
    match count {
        ..=0 => None,
        1..=99 => Some(count.to_string()),
        _ => Some("99+".into()),
    }
}

/// The link and its toasts; place it in a list item of the sidebar's navigation.
#[component]
pub fn NotificationsSidebarItem(
    /// Show a browser notification for each new notification (permission is asked for on a
    /// click on the item).
    #[prop(optional)]
    web_notifications_enabled: bool,
    /// Prefix the document title with `(N) ` while N notifications are unread.
    #[prop(default = true)]
    title_counter_enabled: bool,
    /// Show a toast for each new notification.
    #[prop(default = true)]
    snackbar_enabled: bool,
    /// How long a toast stays.
    #[prop(default = Duration::from_secs(15))]
    snackbar_auto_hide_duration: Duration,
    /// Extra classes for the link.
    #[prop(into, optional)]
    class: String,
    #[prop(default = IconKind::Bell)] icon: IconKind,
    #[prop(into, default = "Notifications".to_owned())] text: String,
    /// Renders the item instead of the default link.
    #[prop(optional)]
    render_item: Option<RenderItem>,
) -> impl IntoView {
    let live = use_live();
    // Outside the signed-in pages there are no live updates: the count of the first paint.
    let status = match live {
        Some(live) => live.status,
        None => Resource::new(|| (), |_| notification_status()),
    };
    let unread = Signal::derive(move || status.get().and_then(Result::ok).map_or(0, |s| s.unread));
    // The page's `<title>` is written on the server; the browser keeps its count current.
    #[cfg(feature = "hydrate")]
    if title_counter_enabled {
        Effect::new(move |_| {
            let count = unread.get();
            document().set_title(&counted_title(&document().title(), count));
        });
        on_cleanup(|| document().set_title(&counted_title(&document().title(), 0)));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = title_counter_enabled;
    let current = (current_path() == "/notifications").then_some("page");
    // On when the embedding app says so, or when the user switched them on in the settings.
    let web_notifications = move || web_notifications_enabled || browser::preferred();
    let on_click = Callback::new(move |()| {
        if web_notifications() {
            browser::ask_permission();
        }
    });
    if let Some(live) = live {
        Effect::new(move |_| {
            if let Some(message) = live.last.get()
                && message.action == "new_notification"
                && let Some(notification) = message.notification
                && web_notifications()
            {
                browser::show(&notification);
            }
        });
    }
    let label = text.clone();
    match render_item {
        // A custom item places itself; the toasts follow it.
        Some(render) => Either::Left(view! {
            {render(RenderItemProps { unread_count: unread, to: "/notifications".into(), on_click })}
            {snackbar_enabled.then(|| view! { <Toaster auto_hide=snackbar_auto_hide_duration/> })}
        }),
        // Inside a transition: the first paint waits for the count (the label names it too).
        None => Either::Right(view! {
                <Transition fallback=|| ()>
                <a
                    href="/notifications"
                    aria-current=current
                    class=format!(
                        "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-zinc-300 outline-none hover:bg-zinc-800 hover:text-white focus-visible:ring-2 focus-visible:ring-sky-400 aria-[current=page]:bg-zinc-800 aria-[current=page]:text-white {class}"
                    )
                    aria-label=move || match unread.get() {
                        0 => label.clone(),
                        n => format!("{label}, {n} unread"),
                    }
                    on:click=move |_| on_click.run(())
                >
                    <span class="relative">
                        <Icon kind=icon/>
                        {move || badge_text(unread.get()).map(|badge| view! {
                            <span
                                data-testid="unread-badge"
                                class="absolute -right-2.5 -top-2 min-w-[1.125rem] rounded-full bg-red-600 px-1 text-center text-[0.6875rem] font-semibold leading-[1.125rem] text-white ring-2 ring-zinc-900"
                            >
                                {badge}
                            </span>
                        })}
                    </span>
                    <span class="hidden sm:inline" aria-hidden="true">{text.clone()}</span>
                </a>
                </Transition>
                {snackbar_enabled.then(|| view! { <Toaster auto_hide=snackbar_auto_hide_duration/> })}
        }),
    }
}

/// Browser notifications (the Notification API), only in the browser.
pub mod browser {
    use crate::model::Notification;

    /// Where the user's choice is kept: it is a property of this browser, not of the account.
    pub const PREFERENCE_KEY: &str = "herald.webNotifications";

    /// Whether the user switched browser notifications on (in this browser).
    #[cfg(feature = "hydrate")]
    pub fn preferred() -> bool {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|storage| storage.get_item(PREFERENCE_KEY).ok().flatten())
            .is_some_and(|value| value == "on")
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn preferred() -> bool {
        false
    }

    #[cfg(feature = "hydrate")]
    pub fn set_preferred(on: bool) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(PREFERENCE_KEY, if on { "on" } else { "off" });
        }
        if on {
            ask_permission();
        }
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn set_preferred(_: bool) {}

    /// `granted`, `denied`, `default`, or `unsupported`.
    #[cfg(feature = "hydrate")]
    pub fn permission() -> &'static str {
        use web_sys::NotificationPermission;
        match web_sys::Notification::permission() {
            NotificationPermission::Granted => "granted",
            NotificationPermission::Denied => "denied",
            _ => "default",
        }
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn permission() -> &'static str {
        "default"
    }

    #[cfg(feature = "hydrate")]
    pub fn ask_permission() {
        use web_sys::NotificationPermission;
        if web_sys::Notification::permission() == NotificationPermission::Default {
            let _ = web_sys::Notification::request_permission();
        }
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn ask_permission() {}

    /// Shows one; `tag` = id, so several tabs showing it collapse into one. A click opens the
    /// link (or the notification on its page) and marks it read.
    #[cfg(feature = "hydrate")]
    pub fn show(notification: &Notification) {
        use wasm_bindgen::{JsCast, closure::Closure};
        use web_sys::{NotificationOptions, NotificationPermission};
        if web_sys::Notification::permission() != NotificationPermission::Granted {
            return;
        }
        let options = NotificationOptions::new();
        options.set_tag(&notification.id);
        if let Some(description) = &notification.payload.description {
            options.set_body(description);
        }
        let Ok(shown) = web_sys::Notification::new_with_options(&notification.payload.title, &options) else { return };
        let id = notification.id.clone();
        let target = notification.payload.link.clone().unwrap_or_else(|| format!("/notifications?id={id}"));
        let has_link = notification.payload.link.is_some();
        let on_click = Closure::<dyn FnMut()>::new(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
                let _ = window.open_with_url_and_target(&target, "_blank");
            }
            if has_link {
                let id = id.clone();
                leptos::task::spawn_local(async move {
                    let _ = super::super::api::update_notifications(vec![id], Some(true), None).await;
                });
            }
        });
        shown.set_onclick(Some(on_click.as_ref().unchecked_ref()));
        on_click.forget();
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn show(_: &Notification) {}
}

#[cfg(test)]
mod tests {
    use super::{badge_text, counted_title};

    #[test]
    fn the_title_carries_the_count_once() {
        assert_eq!(counted_title("Home · Herald", 3), "(3) Home · Herald");
        assert_eq!(counted_title("(3) Home · Herald", 12), "(12) Home · Herald");
        assert_eq!(counted_title("(12) Home · Herald", 0), "Home · Herald");
        assert_eq!(counted_title("(draft) notes", 0), "(draft) notes");
    }

    #[test]
    fn the_badge_counts_to_99() {
        assert_eq!(badge_text(0), None);
        assert_eq!(badge_text(7).as_deref(), Some("7"));
        assert_eq!(badge_text(99).as_deref(), Some("99"));
        assert_eq!(badge_text(100).as_deref(), Some("99+"));
    }
}
