//! The parts of Herald's pages that run in the browser. The rest (the router, the layout, the
//! headers, the sign-in and home pages) is rendered on the server only, so the WASM carries
//! these and what they use, and nothing else.
//!
//! Each island is a root of its own in the browser: it sets up what its components share.
//! Islands do not share state; they share the one signals WebSocket (see [`crate::signals`]).
//! Their props travel in the HTML as JSON, so they take the components' defaults: embedding
//! apps that want other props use the components themselves.
//!
//! The pages are rendered whole before they are sent (`SsrMode::Async`), so an island's
//! `<Transition>` never shows its fallback: the fallbacks are empty, and the WASM carries no
//! type-erased "Loading…" views.

use leptos::prelude::*;

use crate::{
    address::provide_address,
    hydration::provide_hydrated,
    notifications::{
        NotificationsSidebarItem, UnreadNotificationsCard, UserNotificationSettings, live::provide_live,
        page::NotificationsBody, settings::BrowserNotifications,
    },
    time::provide_clock,
};

/// Whether the island is live, the ticking clock, and the user's notification signals.
fn provide_island_context() {
    provide_hydrated();
    provide_clock();
    provide_live();
}

/// Herald's own sidebar item, with the component's defaults.
#[island]
pub fn SidebarItem() -> impl IntoView {
    provide_island_context();
    view! { <NotificationsSidebarItem/> }
}

/// The notifications page below its header: filters, search, the table and paging.
#[island]
pub fn NotificationsView(mark_as_read_on_link_open: bool) -> impl IntoView {
    provide_island_context();
    provide_address();
    view! { <NotificationsBody mark_as_read_on_link_open/> }
}

/// The settings page below its header.
#[island]
pub fn SettingsView() -> impl IntoView {
    provide_island_context();
    view! {
        <div class="space-y-6 p-4 sm:p-6">
            <UserNotificationSettings/>
            <BrowserNotifications/>
        </div>
    }
}

/// The latest unread notifications, for the home page.
#[island]
pub fn UnreadCard() -> impl IntoView {
    provide_island_context();
    view! { <UnreadNotificationsCard/> }
}
