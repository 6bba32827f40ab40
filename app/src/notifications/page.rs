//! `NotificationsPage` (`/notifications`): filters, search, paging, the table, bulk actions and
//! mark-all-read; complete on first paint, usable without JavaScript, live once hydrated.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    api::{get_notification, list_notifications, notification_status, notification_topics},
    filters::Filters,
    live::use_live,
    panel::FilterPanel,
    table::NotificationsTable,
};
use crate::{
    address::use_address,
    components::{
        icons::{Icon, IconKind},
        layout::PageHeader,
    },
    model::ListResponse,
    time::now_millis,
};

/// The page's data, shared with the table and the filter panel.
#[derive(Clone, Copy)]
pub struct PageData {
    pub filters: Memo<Filters>,
    /// The page of the list, a deep-linked notification on top when it is not on it.
    pub list: Resource<Result<ListResponse, ServerFnError>>,
    pub topics: Resource<Result<Vec<String>, ServerFnError>>,
    /// The unread count decides whether "Mark all read" is possible.
    pub unread: Signal<i64>,
    /// Refetch everything now (after this page's own actions), coalesced with live updates.
    pub refresh: Callback<()>,
}

#[component]
pub fn NotificationsPage(
    #[prop(into, default = "Notifications".to_owned())] title: String,
    #[prop(into, optional)] subtitle: Option<String>,
    /// Shown as a hint beside the title.
    #[prop(into, optional)]
    tooltip: Option<String>,
    /// A label in the header, like Backstage's page type ("tool").
    #[prop(into, optional)]
    r#type: Option<String>,
    /// Where the type label links to.
    #[prop(into, optional)]
    type_link: Option<String>,
    /// Opening a notification's link marks it read.
    #[prop(optional)]
    mark_as_read_on_link_open: bool,
) -> impl IntoView {
    let page_title = title.clone();
    view! {
        <Title text=page_title/>
        <PageHeader title=title subtitle=subtitle.unwrap_or_default()>
            <div class="flex items-center gap-3">
                {r#type.map(|label| match type_link {
                    Some(href) => view! { <a href=href class="rounded-full bg-white/15 px-3 py-1 text-xs font-medium uppercase tracking-wide text-white hover:bg-white/25">{label}</a> }.into_any(),
                    None => view! { <span class="rounded-full bg-white/15 px-3 py-1 text-xs font-medium uppercase tracking-wide text-white">{label}</span> }.into_any(),
                })}
                {tooltip.map(|hint| {
                    let text = hint.clone();
                    view! {
                        <span title=hint class="text-white/80">
                            <Icon kind=IconKind::Info/>
                            <span class="sr-only">{text}</span>
                        </span>
                    }
                })}
                <a
                    href="/notifications/settings"
                    class="flex items-center gap-2 rounded-md bg-white/15 px-3 py-1.5 text-sm font-medium text-white hover:bg-white/25 focus-visible:outline-2 focus-visible:outline-white"
                >
                    <Icon kind=IconKind::Settings class="h-4 w-4"/>
                    "Settings"
                </a>
            </div>
        </PageHeader>
        <crate::islands::NotificationsView mark_as_read_on_link_open/>
    }
}

/// The filters and the table: the page's live part.
#[component]
pub fn NotificationsBody(mark_as_read_on_link_open: bool) -> impl IntoView {
    let query = use_address().query();
    let filters = Memo::new(move |_| query.with(|query| Filters::from_query(query)));
    let live = use_live();
    let (local_version, set_local_version) = signal(0u64);
    let version = move || (live.map(|l| l.version.get()).unwrap_or_default(), local_version.get());
    let refresh = Callback::new(move |()| match live {
        Some(live) => live.refresh(),
        None => set_local_version.update(|v| *v += 1),
    });

    // The rows: the page of the list, with a deep-linked notification on top when it is not on
    // it (one resource, so the first paint waits for both).
    let list = Resource::new(
        move || (filters.get(), version()),
        |(f, _)| async move {
            let mut list = list_notifications(f.list_query(now_millis())).await?;
            if let Some(id) = f.focus
                && !list.notifications.iter().any(|n| n.id == id)
                && let Ok(focused) = get_notification(id).await
            {
                list.notifications.insert(0, focused);
            }
            Ok(list)
        },
    );
    let topics_key = move || {
        let f = filters.get();
        (f.topics_query(0), f.sent_out, version())
    };
    let topics =
        Resource::new(topics_key, move |_| notification_topics(filters.get_untracked().topics_query(now_millis())));
    let status = match live {
        Some(live) => live.status,
        None => Resource::new(version, |_| notification_status()),
    };
    let unread = Signal::derive(move || status.get().and_then(Result::ok).map_or(0, |s| s.unread));
    provide_context(PageData { filters, list, topics, unread, refresh });

    // One transition for the whole: the first paint waits for every resource (the list, the
    // topics, the counts, a deep-linked notification), and later changes show what was there
    // until the new data is in, so nothing flashes.
    view! {
        <Transition fallback=|| ()>
        <div class="grid gap-6 p-4 sm:p-6 lg:grid-cols-[14rem_minmax(0,1fr)]">
            <aside aria-label="Filters">
                <FilterPanel/>
            </aside>
            <section aria-label="Notifications" class="min-w-0">
                <NotificationsTable mark_as_read_on_link_open/>
            </section>
        </div>
        </Transition>
    }
}

pub fn use_page_data() -> PageData {
    expect_context::<PageData>()
}
