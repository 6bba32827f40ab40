//! The notifications table: selection, rows, per-row and bulk actions, mark-all-read, search
//! and paging.

use leptos::{either::Either, html, prelude::*, server_fn::ServerFn};

use super::{
    api::{Changes, SetRead, SetSaved, mark_all_read, update_notifications},
    filters::PAGE_SIZES,
    keyboard::{ShortcutsDialog, Triage, provide_triage},
    page::use_page_data,
    panel::{HiddenFields, Select},
    severity_style, toggle_in,
};
use crate::{
    address::use_address,
    components::icons::{Icon, IconKind},
    hydration::use_hydrated,
    model::Notification,
    time::{parse_iso, relative, use_clock},
};

/// Descriptions longer than this are cut, with "Show more".
const DESCRIPTION_CHARS: usize = 100;

#[component]
pub fn NotificationsTable(mark_as_read_on_link_open: bool) -> impl IntoView {
    let data = use_page_data();
    let filters = data.filters;
    let selected = RwSignal::new(Vec::<String>::new());
    // One action for every read and save change, one row or many: rows post their forms
    // through it once hydrated.
    let update: Changes = Action::new(|(ids, read, saved): &(Vec<String>, Option<bool>, Option<bool>)| {
        update_notifications(ids.clone(), *read, *saved)
    });
    let mark_all = Action::new(|_: &()| mark_all_read());
    // Whatever this page changes, it shows at once (other tabs hear it through signals).
    Effect::new(move |_| {
        update.version().track();
        mark_all.version().track();
        data.refresh.run(());
    });

    let rows = Memo::new(move |_| data.list.get().and_then(Result::ok).map(|l| l.notifications).unwrap_or_default());
    let total = Signal::derive(move || data.list.get().and_then(Result::ok).map_or(0, |l| l.total_count));
    // The selection only ever holds what is shown.
    Effect::new(move |_| {
        let shown: Vec<String> = rows.with(|rows| rows.iter().map(|r| r.id.clone()).collect());
        if selected.with_untracked(|s| s.iter().any(|id| !shown.contains(id))) {
            selected.update(|s| s.retain(|id| shown.contains(id)));
        }
    });
    let triage = provide_triage(rows, selected, update);
    let confirming = RwSignal::new(false);

    let table_title = move || filters.get().view.title(total.get());
    view! {
        <div class="rounded-lg bg-white shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
            <div class="flex flex-wrap items-center justify-between gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <h2 class="text-lg font-semibold" id="notifications-title" data-testid="table-title">
                    {table_title}
                </h2>
                <div class="flex w-full items-center gap-2 sm:w-auto">
                    <SearchBox/>
                    <button
                        type="button"
                        title="Keyboard shortcuts (?)"
                        class="rounded-md p-1.5 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
                        on:click=move |_| triage.help.set(true)
                    >
                        <Icon kind=IconKind::Keyboard/>
                        <span class="sr-only">"Keyboard shortcuts"</span>
                    </button>
                </div>
            </div>
            // The table is built once; only what depends on the data reacts (the rows by key), so
            // live updates neither flash nor move the focus.
            {move || data.list.get().and_then(Result::err).map(|error| view! {
                <p role="alert" class="p-6 text-sm text-red-700 dark:text-red-400">{format!("Could not load notifications: {error}")}</p>
            })}
            // The empty state is always there, hidden while there are rows: a second view for the
            // `Show` to swap in would cost the WASM a type-erased copy of it.
            <EmptyState shown=Signal::derive(move || rows.with(Vec::is_empty))/>
            <Show when=move || !rows.with(Vec::is_empty)>
                <BulkToolbar rows selected update unread=data.unread confirming/>
                <table class="w-full table-fixed border-collapse text-sm" aria-labelledby="notifications-title">
                    <thead class="sr-only sm:not-sr-only">
                        <tr class="border-b border-zinc-200 text-left text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
                            <th scope="col" class="w-12 px-4 py-2"><SelectAll rows selected/></th>
                            <th scope="col" class="px-2 py-2 font-medium">"Notification"</th>
                            <th scope="col" class="w-24 px-4 py-2 text-right font-medium">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || rows.get().into_iter().enumerate()
                            key=|(index, n)| (n.id.clone(), n.read.clone(), n.saved.clone(), n.updated.clone(), *index)
                            let:((index, notification))
                        >
                            <Row notification index selected triage update mark_as_read_on_link_open/>
                        </For>
                    </tbody>
                </table>
            </Show>
            <Pager total/>
        </div>
        <ConfirmMarkAll open=confirming mark_all/>
        <ShortcutsDialog triage/>
    }
}

#[component]
fn EmptyState(shown: Signal<bool>) -> impl IntoView {
    let data = use_page_data();
    let unread_view = move || data.filters.get().view == super::filters::View::Unread;
    view! {
        <div hidden=move || !shown.get() class="flex flex-col items-center gap-2 px-6 py-16 text-center">
            <Icon kind=IconKind::Bell class="h-10 w-10 text-zinc-300 dark:text-zinc-600"/>
            <p class="text-base font-medium" data-testid="empty">"No records to display"</p>
            <p class="text-sm text-zinc-500 dark:text-zinc-400">
                {move || if unread_view() { "You are all caught up." } else { "Nothing matches these filters." }}
            </p>
        </div>
    }
}

/// Tri-state "select all" for the rows shown.
#[component]
fn SelectAll(rows: Memo<Vec<Notification>>, selected: RwSignal<Vec<String>>) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let count = move || selected.with(Vec::len);
    let all = move || count() > 0 && count() == rows.with(Vec::len);
    let some = move || count() > 0 && !all();
    Effect::new(move |_| {
        let indeterminate = some();
        if let Some(input) = input.get() {
            input.set_indeterminate(indeterminate);
        }
    });
    view! {
        <label class="flex items-center">
            <input
                node_ref=input
                type="checkbox"
                class="h-4 w-4 rounded border-zinc-300 accent-sky-600"
                prop:checked=all
                aria-checked=move || if some() { "mixed" } else if all() { "true" } else { "false" }
                on:change=move |_| {
                    if all() {
                        selected.set(Vec::new());
                    } else {
                        selected.set(rows.with(|rows| rows.iter().map(|r| r.id.clone()).collect()));
                    }
                }
            />
            <span class="sr-only">{move || format!("Select all ({})", count())}</span>
        </label>
    }
}

/// Mark selected read/unread and saved/unsaved, and mark all read.
#[component]
fn BulkToolbar(
    rows: Memo<Vec<Notification>>,
    selected: RwSignal<Vec<String>>,
    update: Changes,
    unread: Signal<i64>,
    confirming: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-4 py-2 dark:border-zinc-800" role="toolbar" aria-label="Bulk actions">
            <span class="mr-2 text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite">
                {move || match selected.with(Vec::len) { 0 => None, n => Some(format!("{n} selected")) }}
            </span>
            <BulkButton rows selected update field="read" icon=IconKind::Check
                labels=("Return selected among unread", "Mark selected as read")/>
            <BulkButton rows selected update field="saved" icon=IconKind::Bookmark
                labels=("Undo save for selected", "Save selected for later")/>
            <button
                type="button"
                class=format!("{BUTTON} ml-auto")
                disabled=move || unread.get() == 0
                on:click=move |_| confirming.set(true)
            >
                "Mark all read"
            </button>
        </div>
    }
}

/// Marks the selected read (or saved); if any of them already is, it undoes that instead.
#[component]
fn BulkButton(
    rows: Memo<Vec<Notification>>,
    selected: RwSignal<Vec<String>>,
    update: Changes,
    /// `read` or `saved`.
    field: &'static str,
    icon: IconKind,
    /// (when any is, when none is)
    labels: (&'static str, &'static str),
) -> impl IntoView {
    let flag = move |n: &Notification| if field == "read" { n.read.is_some() } else { n.saved.is_some() };
    let any = move || rows.with(|rows| selected.with(|s| rows.iter().any(|r| s.contains(&r.id) && flag(r))));
    view! {
        <button
            type="button"
            class=BUTTON
            disabled=move || selected.with(Vec::is_empty)
            on:click=move |_| {
                let value = Some(!any());
                let (read, saved) = if field == "read" { (value, None) } else { (None, value) };
                update.dispatch((selected.get(), read, saved));
            }
        >
            <Icon kind=icon class="h-4 w-4"/>
            {move || if any() { labels.0 } else { labels.1 }}
        </button>
    }
}

const BUTTON: &str = "inline-flex items-center gap-1.5 rounded-md px-2.5 py-1.5 text-sm font-medium text-zinc-700 ring-1 ring-inset ring-zinc-300 hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-sky-500 disabled:cursor-not-allowed disabled:opacity-40 dark:text-zinc-200 dark:ring-zinc-700 dark:hover:bg-zinc-800";

#[component]
fn ConfirmMarkAll(open: RwSignal<bool>, mark_all: Action<(), Result<u64, ServerFnError>>) -> impl IntoView {
    let dialog = use_modal(open);
    let failed = move || mark_all.value().with(|v| matches!(v, Some(Err(_))));
    view! {
        <dialog
            node_ref=dialog
            aria-labelledby="confirm-title"
            aria-describedby="confirm-text"
            class=MODAL
            on:close=move |_| open.set(false)
        >
            <h2 id="confirm-title" class="text-lg font-semibold">"Are you sure?"</h2>
            <p id="confirm-text" class="mt-2 text-sm text-zinc-600 dark:text-zinc-400">"Mark all notifications as read."</p>
            <div class="mt-6 flex justify-end gap-2">
                <button type="button" autofocus class=BUTTON on:click=move |_| open.set(false)>"Cancel"</button>
                <button
                    type="button"
                    class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600"
                    on:click=move |_| {
                        mark_all.dispatch(());
                        open.set(false);
                    }
                >
                    "Mark All"
                </button>
            </div>
        </dialog>
        <p role="alert" hidden=move || !failed() class="fixed bottom-4 left-4 z-50 rounded-md bg-red-700 px-4 py-2 text-sm text-white shadow-lg">
            "Failed to mark all notifications as read"
        </p>
    }
}

/// A modal `<dialog>`'s look: centred, over a dimmed page.
pub const MODAL: &str = "m-auto w-[calc(100%-2rem)] max-w-sm rounded-lg bg-white p-6 text-zinc-900 shadow-xl backdrop:bg-zinc-950/50 dark:bg-zinc-900 dark:text-zinc-100";

/// Shows the `<dialog>` it is put on as a modal while `open` is true. The browser keeps focus
/// inside, focuses its `autofocus` control, and closes it on Escape (which sets `open` false
/// through the dialog's `close` event).
pub fn use_modal(open: RwSignal<bool>) -> NodeRef<html::Dialog> {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        match (open.get(), dialog.open()) {
            (true, false) => {
                let _ = dialog.show_modal();
            }
            (false, true) => dialog.close(),
            _ => {}
        }
    });
    dialog
}

#[component]
fn Row(
    notification: Notification,
    index: usize,
    selected: RwSignal<Vec<String>>,
    triage: Triage,
    update: Changes,
    mark_as_read_on_link_open: bool,
) -> impl IntoView {
    let data = use_page_data();
    let clock = use_clock();
    let n = notification;
    let id = n.id.clone();
    let is_read = n.read.is_some();
    let is_saved = n.saved.is_some();
    let style = severity_style(n.payload.severity);
    let icon = n.payload.icon.as_deref().and_then(IconKind::named).unwrap_or(style.icon);
    let highlighted = data.filters.with_untracked(|f| f.focus.as_deref() == Some(n.id.as_str()));
    let created = parse_iso(&n.created).unwrap_or_default();
    let checked = {
        let id = id.clone();
        move || selected.with(|s| s.contains(&id))
    };
    let toggle = {
        let id = id.clone();
        move |_| selected.update(|s| toggle_in(s, &id))
    };
    let is_focused = move || triage.focused.get() == Some(index);
    let row_class = {
        let mut class = String::from(
            "group border-b border-zinc-100 align-top outline-none last:border-0 focus-visible:bg-sky-50 dark:border-zinc-800 dark:focus-visible:bg-sky-950/40",
        );
        if highlighted {
            class.push_str(" bg-amber-50 ring-2 ring-inset ring-amber-400 dark:bg-amber-950/30");
        } else if !is_read {
            class.push_str(" bg-sky-50/40 dark:bg-sky-950/20");
        }
        class
    };
    let title_text = n.payload.title.clone();
    let meta = {
        let mut parts = vec![n.origin.clone()];
        if let Some(topic) = &n.payload.topic {
            parts.push(topic.clone());
        }
        parts.join(" • ")
    };
    let title_view = match n.payload.link.clone() {
        Some(link) => {
            let external = link.starts_with("http://") || link.starts_with("https://") || link.starts_with("//");
            let id = id.clone();
            let on_open = move |_| {
                if mark_as_read_on_link_open && !is_read {
                    update.dispatch((vec![id.clone()], Some(true), None));
                }
            };
            Either::Left(view! {
                <a
                    href=link
                    target=if external { "_blank" } else { "_self" }
                    rel="noopener"
                    on:click=on_open
                    data-row-link="true"
                    class="font-medium text-zinc-900 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-sky-500 dark:text-zinc-100"
                >
                    {title_text.clone()}
                    {external.then(|| view! { <Icon kind=IconKind::External class="ml-1 inline h-3.5 w-3.5 align-[-2px] text-zinc-400"/> })}
                </a>
            })
        }
        None => Either::Right(
            view! { <span class="font-medium text-zinc-900 dark:text-zinc-100">{title_text.clone()}</span> },
        ),
    };
    let (row_id, id_for_save, id_for_read) = (format!("notification-{id}"), id.clone(), id.clone());
    view! {
        <tr
            id=row_id
            data-testid="notification-row"
            data-id=id
            data-read=is_read.to_string()
            data-saved=is_saved.to_string()
            tabindex=move || if is_focused() || (triage.focused.get().is_none() && index == 0) { "0" } else { "-1" }
            aria-current=move || is_focused().then_some("true")
            class=row_class
            on:focus=move |_| triage.focused.set(Some(index))
        >
            <td class="px-4 py-3">
                <label class="flex items-center">
                    <input type="checkbox" class="h-4 w-4 rounded border-zinc-300 accent-sky-600" prop:checked=checked on:change=toggle/>
                    <span class="sr-only">{format!("Select “{}”", n.payload.title)}</span>
                </label>
            </td>
            <td class="px-2 py-3">
                <div class="flex gap-3">
                    <span class=format!("mt-0.5 {}", style.text) title=style.label>
                        <Icon kind=icon/>
                        <span class="sr-only">{format!("Severity: {}", style.label)}</span>
                    </span>
                    <div class="min-w-0 flex-1">
                        <div class="flex flex-wrap items-baseline gap-x-2">
                            {(!is_read).then(|| view! { <span class="sr-only">"Unread:"</span> })}
                            <span class=if is_read { "" } else { "font-semibold" }>{title_view}</span>
                        </div>
                        {n.payload.description.clone().map(|text| view! { <Description text/> })}
                        <p class="mt-1 flex flex-wrap items-center gap-x-1 text-xs text-zinc-500 dark:text-zinc-400">
                            {n.user.is_none().then(|| view! {
                                <span class="inline-flex items-center gap-1" title="Broadcast: sent to everyone">
                                    <Icon kind=IconKind::Megaphone class="h-3.5 w-3.5"/>
                                    <span>"Broadcast"</span>
                                    <span aria-hidden="true">"•"</span>
                                </span>
                            })}
                            <span>{meta}</span>
                            <span aria-hidden="true">"•"</span>
                            <time datetime=n.created.clone() title=n.created.clone()>{move || relative(created, clock.get())}</time>
                        </p>
                    </div>
                </div>
            </td>
            <td class="px-4 py-3">
                <div class="flex justify-end gap-1">
                    <RowToggle id=id_for_save field="saved" on=is_saved update
                        labels=("Undo save", "Save for later") icons=(IconKind::BookmarkFilled, IconKind::Bookmark)/>
                    <RowToggle id=id_for_read field="read" on=is_read update
                        labels=("Mark as unread", "Mark as read") icons=(IconKind::Envelope, IconKind::Check)/>
                </div>
            </td>
        </tr>
    }
}

/// A row's read or save form: it posts `id` and the flag's new value to its server function, so
/// it works without JavaScript; hydrated, the change goes through `update` in place.
#[component]
fn RowToggle(
    id: String,
    field: &'static str,
    on: bool,
    update: Changes,
    /// (when on, when off)
    labels: (&'static str, &'static str),
    icons: (IconKind, IconKind),
) -> impl IntoView {
    let (label, icon) = if on { (labels.0, icons.0) } else { (labels.1, icons.1) };
    let icon_class = if on && field == "saved" { "h-5 w-5 text-amber-600 dark:text-amber-400" } else { "h-5 w-5" };
    let url = if field == "read" { SetRead::url() } else { SetSaved::url() };
    let submit = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (read, saved) = if field == "read" { (Some(!on), None) } else { (None, Some(!on)) };
            update.dispatch((vec![id.clone()], read, saved));
        }
    };
    view! {
        <form method="post" action=url class="contents" on:submit=submit>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name=field value=(!on).to_string()/>
            <button
                type="submit"
                data-action=field
                title=label
                aria-pressed=on.to_string()
                class="rounded p-1.5 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
            >
                <Icon kind=icon class=icon_class/>
                <span class="sr-only">{label}</span>
            </button>
        </form>
    }
}

/// A description, cut at 100 characters with "Show more" / "Show less".
#[component]
fn Description(text: String) -> impl IntoView {
    let long = text.chars().count() > DESCRIPTION_CHARS;
    let expanded = RwSignal::new(false);
    let short: String = text.chars().take(DESCRIPTION_CHARS).collect::<String>().trim_end().to_owned() + "…";
    view! {
        <p class="mt-0.5 whitespace-pre-line break-words text-zinc-600 dark:text-zinc-300">
            {move || if long && !expanded.get() { short.clone() } else { text.clone() }}
            {long.then(|| view! {
                " "
                <button
                    type="button"
                    class="text-xs font-medium text-sky-700 hover:underline focus-visible:outline-2 focus-visible:outline-sky-500 dark:text-sky-400"
                    aria-expanded=move || expanded.get().to_string()
                    on:click=move |_| expanded.update(|e| *e = !*e)
                >
                    {move || if expanded.get() { "Show less" } else { "Show more" }}
                </button>
            })}
        </p>
    }
}

/// Search as you type once hydrated (debounced, replacing history); a GET form before.
#[component]
fn SearchBox() -> impl IntoView {
    let data = use_page_data();
    let filters = data.filters;
    let address = use_address();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                let mut next = filters.get_untracked().with_page(0);
                next.search = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
                address.navigate(&next.href(), true);
            },
            std::time::Duration::from_millis(400),
        )
        .ok();
        pending.set_value(handle);
    };
    view! {
        <form method="get" action="/notifications" role="search" class="relative w-full sm:w-72" on:submit=|ev| ev.prevent_default()>
            <label for="notification-search" class="sr-only">"Search notifications"</label>
            <Icon kind=IconKind::Search class="pointer-events-none absolute left-2.5 top-2 h-4 w-4 text-zinc-400"/>
            <input
                id="notification-search"
                type="search"
                name="search"
                placeholder="Search"
                autocomplete="off"
                prop:value=move || filters.get().search.unwrap_or_default()
                on:input=on_input
                class="block w-full rounded-md border-0 bg-white py-1.5 pl-8 pr-2 text-sm text-zinc-900 ring-1 ring-inset ring-zinc-300 placeholder:text-zinc-400 focus:ring-2 focus:ring-sky-600 dark:bg-zinc-800 dark:text-zinc-100 dark:ring-zinc-700"
            />
            <HiddenFields except=&["search"]/>
        </form>
    }
}

/// Rows per page, the range shown, and previous/next as links (they work without JavaScript).
#[component]
fn Pager(total: Signal<i64>) -> impl IntoView {
    let data = use_page_data();
    let filters = data.filters;
    let hydrated = use_hydrated();
    let address = use_address();
    let range = move || {
        let f = filters.get();
        let total = total.get();
        let first = i64::from(f.page) * i64::from(f.size);
        if total == 0 {
            "0 of 0".to_owned()
        } else {
            format!("{}–{} of {total}", (first + 1).min(total), (first + i64::from(f.size)).min(total))
        }
    };
    let previous = move || {
        let f = filters.get();
        (f.page > 0).then(|| f.with_page(f.page - 1).href())
    };
    let next = move || {
        let f = filters.get();
        let shown = (i64::from(f.page) + 1) * i64::from(f.size);
        (shown < total.get()).then(|| f.with_page(f.page + 1).href())
    };
    view! {
        <nav aria-label="Pages" class="flex flex-wrap items-center justify-end gap-4 border-t border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800">
            <form method="get" action="/notifications" class="flex items-center gap-2">
                <Select
                    label="Rows per page"
                    name="size"
                    inline=true
                    options=Signal::stored(PAGE_SIZES.iter().map(|size| (size.to_string(), size.to_string())).collect())
                />
                <HiddenFields except=&["size"]/>
                <button type="submit" class=move || if hydrated.get() { "sr-only" } else { "rounded-md px-2 py-1 ring-1 ring-zinc-300" }>"Apply"</button>
            </form>
            <span class="tabular-nums text-zinc-600 dark:text-zinc-300" data-testid="range">{range}</span>
                <span class="flex gap-1">
                    {move || page_link(previous(), "prev", "Previous page", IconKind::ChevronLeft, address)}
                    {move || page_link(next(), "next", "Next page", IconKind::ChevronRight, address)}
                </span>
        </nav>
    }
}

/// Previous or next: a link that works without JavaScript and, once hydrated, changes the page
/// in place; greyed out where there is no such page.
fn page_link(
    href: Option<String>,
    rel: &'static str,
    label: &'static str,
    icon: IconKind,
    address: crate::address::Address,
) -> impl IntoView {
    match href {
        Some(href) => Either::Left(view! {
            <a
                href=href.clone()
                rel=rel
                class="inline-flex items-center rounded-md p-1.5 text-zinc-600 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:text-zinc-300 dark:hover:bg-zinc-800"
                on:click=move |ev| {
                    // A new tab or window stays the browser's business.
                    if ev.button() == 0 && !(ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key()) {
                        ev.prevent_default();
                        address.navigate(&href, false);
                    }
                }
            >
                <Icon kind=icon/>
                <span class="sr-only">{label}</span>
            </a>
        }),
        None => Either::Right(view! {
            <span class="inline-flex items-center rounded-md p-1.5 text-zinc-300 dark:text-zinc-700" aria-hidden="true">
                <Icon kind=icon/>
            </span>
        }),
    }
}
