//! Keyboard triage: j/k to move, x to select, r to toggle read, s to toggle saved, Enter to
//! open, ? for help. Rows use a roving tab stop, so Tab moves between the table and the rest.

use leptos::prelude::*;

use super::{
    api::Changes,
    page::use_page_data,
    table::{MODAL, use_modal},
};
use crate::model::Notification;

#[derive(Clone, Copy)]
pub struct Triage {
    /// The row with the tab stop and keyboard focus.
    pub focused: RwSignal<Option<usize>>,
    /// The shortcuts dialog.
    pub help: RwSignal<bool>,
}

pub const SHORTCUTS: [(&str, &str); 7] = [
    ("j", "Next notification"),
    ("k", "Previous notification"),
    ("x", "Select or deselect"),
    ("r", "Mark read or unread"),
    ("s", "Save or unsave"),
    ("Enter", "Open the link"),
    ("?", "Show these shortcuts"),
];

pub fn provide_triage(rows: Memo<Vec<Notification>>, selected: RwSignal<Vec<String>>, update: Changes) -> Triage {
    let triage = Triage { focused: RwSignal::new(None), help: RwSignal::new(false) };
    let data = use_page_data();

    // A deep link focuses its row once, when it is there.
    let deep_link_done = StoredValue::new(false);
    Effect::new(move |_| {
        let Some(id) = data.filters.with(|f| f.focus.clone()) else { return };
        if deep_link_done.get_value() {
            return;
        }
        if let Some(index) = rows.with(|rows| rows.iter().position(|r| r.id == id)) {
            deep_link_done.set_value(true);
            triage.focused.set(Some(index));
        }
    });
    // Focus follows the index, and comes back to its row when an update re-renders it.
    Effect::new(move |previous: Option<Option<usize>>| {
        let index = triage.focused.get();
        rows.track();
        let moved = previous.is_none_or(|previous| previous != index);
        if let Some(index) = index
            && let Some(id) = rows.with_untracked(|rows| rows.get(index).map(|r| r.id.clone()))
        {
            focus_row(&id, moved);
        }
        index
    });

    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            on_key(&ev, triage, rows, selected, update);
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (selected, update);
    triage
}

/// Focuses a row once the DOM has caught up with the data (after the next frame). Unless the
/// keyboard moved there (`moved`), only when nothing else has the focus: a live update must not
/// pull the focus out of the search box.
#[cfg(feature = "hydrate")]
fn focus_row(id: &str, moved: bool) {
    use wasm_bindgen::JsCast;
    let id = format!("notification-{id}");
    request_animation_frame(move || {
        let idle = document().active_element().is_none_or(|e| e.tag_name() == "BODY");
        if !(moved || idle) {
            return;
        }
        if let Some(row) = document().get_element_by_id(&id)
            && let Ok(row) = row.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = row.focus();
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            row.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn focus_row(_: &str, _: bool) {}

#[cfg(feature = "hydrate")]
fn on_key(
    ev: &web_sys::KeyboardEvent,
    triage: Triage,
    rows: Memo<Vec<Notification>>,
    selected: RwSignal<Vec<String>>,
    update: Changes,
) {
    use wasm_bindgen::JsCast;
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return;
    }
    let key = ev.key();
    if key == "Escape" {
        triage.help.set(false);
        return;
    }
    // Typing in a field is typing, not a shortcut.
    let target = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(target) = &target {
        let tag = target.tag_name();
        if matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT") || target.is_content_editable() {
            return;
        }
    }
    let len = rows.with_untracked(Vec::len);
    let current = triage.focused.get_untracked();
    let row = move || current.and_then(|i| rows.with_untracked(|rows| rows.get(i).cloned()));
    match key.as_str() {
        "j" | "ArrowDown" if len > 0 => {
            triage.focused.set(Some(current.map_or(0, |i| (i + 1).min(len - 1))));
        }
        "k" | "ArrowUp" if len > 0 => {
            triage.focused.set(Some(current.map_or(0, |i| i.saturating_sub(1))));
        }
        "x" => {
            if let Some(n) = row() {
                selected.update(|s| super::toggle_in(s, &n.id));
            }
        }
        "r" => {
            if let Some(n) = row() {
                update.dispatch((vec![n.id.clone()], Some(n.read.is_none()), None));
            }
        }
        "s" => {
            if let Some(n) = row() {
                update.dispatch((vec![n.id.clone()], None, Some(n.saved.is_none())));
            }
        }
        "Enter" => {
            // Only when the row itself has focus: Enter on a link or button does its own thing.
            let on_row = target.as_ref().is_some_and(|t| t.tag_name() == "TR");
            if on_row
                && let Some(n) = row()
                && let Some(link) = document()
                    .query_selector(&format!("#notification-{} a[data-row-link]", n.id))
                    .ok()
                    .flatten()
                    .and_then(|l| l.dyn_into::<web_sys::HtmlElement>().ok())
            {
                link.click();
            }
        }
        "?" => triage.help.set(true),
        _ => return,
    }
    ev.prevent_default();
}

#[component]
pub fn ShortcutsDialog(triage: Triage) -> impl IntoView {
    let dialog = use_modal(triage.help);
    view! {
        <dialog
            node_ref=dialog
            aria-labelledby="shortcuts-title"
            class=MODAL
            on:close=move |_| triage.help.set(false)
            // A click on the backdrop lands on the dialog itself.
            on:click=move |ev| {
                if ev.target() == ev.current_target() {
                    triage.help.set(false);
                }
            }
        >
            <h2 id="shortcuts-title" class="text-lg font-semibold">"Keyboard shortcuts"</h2>
            <dl class="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                {SHORTCUTS.iter().map(|(key, what)| view! {
                    <dt><kbd class="rounded border border-zinc-300 bg-zinc-50 px-1.5 py-0.5 font-mono text-xs dark:border-zinc-600 dark:bg-zinc-800">{*key}</kbd></dt>
                    <dd class="text-zinc-700 dark:text-zinc-300">{*what}</dd>
                }).collect_view()}
            </dl>
            <div class="mt-6 flex justify-end">
                <button
                    type="button"
                    autofocus
                    class="rounded-md px-3 py-1.5 text-sm font-medium ring-1 ring-zinc-300 hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-sky-500 dark:ring-zinc-700 dark:hover:bg-zinc-800"
                    on:click=move |_| triage.help.set(false)
                >
                    "Close"
                </button>
            </div>
        </dialog>
    }
}
