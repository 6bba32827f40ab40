//! The filter panel: view, sent out, sort, minimum severity and topic. A plain GET form, so it
//! works without JavaScript; once hydrated, every change applies at once.

use leptos::prelude::*;

use super::{
    filters::{Filters, SentOut, Sort, View},
    page::use_page_data,
};
use crate::{address::use_address, hydration::use_hydrated, model::Severity};

#[component]
pub fn FilterPanel() -> impl IntoView {
    let data = use_page_data();
    let filters = data.filters;
    let hydrated = use_hydrated();
    let choices = |pairs: Vec<(&str, String)>| -> Signal<Vec<(String, String)>> {
        Signal::stored(pairs.into_iter().map(|(key, label)| (key.to_owned(), label)).collect())
    };
    let topics = Signal::derive(move || {
        let mut topics = data.topics.get().and_then(Result::ok).unwrap_or_default();
        // ASCII case only: Unicode's case tables would add 25 KB to the WASM for topic ids.
        topics.sort_by_key(|t| t.to_ascii_lowercase());
        // A topic from the URL stays choosable even if nothing has it now.
        if let Some(current) = filters.with(|f| f.topic.clone())
            && !topics.contains(&current)
        {
            topics.insert(0, current);
        }
        let mut options = vec![(String::new(), "Any topic".to_owned())];
        options.extend(topics.into_iter().map(|topic| (topic.clone(), topic)));
        options
    });
    view! {
        <form method="get" action="/notifications" class="space-y-5 rounded-lg bg-white p-4 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
            <h2 class="text-sm font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">"Filters"</h2>
            <Select label="View" name="view" options=choices(View::ALL.map(|v| (v.key(), v.label().to_owned())).into())/>
            <Select label="Sent out" name="sent" options=choices(SentOut::ALL.map(|v| (v.key(), v.label().to_owned())).into())/>
            <Select label="Sort by" name="sort" options=choices(Sort::ALL.map(|v| (v.key(), v.label().to_owned())).into())/>
            <Select
                label="Min severity"
                name="severity"
                options=choices(Severity::ALL.map(|s| (s.as_str(), super::display_name(s.as_str()))).into())
            />
            <Select label="Topic" name="topic" options=topics/>
            <HiddenFields except=&["view", "sent", "sort", "severity", "topic"]/>
            <button
                type="submit"
                class=move || if hydrated.get() { "sr-only" } else { "w-full rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800" }
            >
                "Apply filters"
            </button>
        </form>
    }
}

/// One choice of the page's state: shows the URL's value of `name` and, once hydrated, sets it
/// on change (back to the first page). One component, not generic, for the five filters and the
/// page size: the WASM carries it once. `inline` puts the label beside the list.
#[component]
pub fn Select(
    label: &'static str,
    name: &'static str,
    options: Signal<Vec<(String, String)>>,
    #[prop(optional)] inline: bool,
) -> impl IntoView {
    let data = use_page_data();
    let address = use_address();
    let id = format!("filter-{name}");
    let on_change = move |ev| {
        let next = data.filters.get_untracked().with_param(name, &event_target_value(&ev));
        address.navigate(&next.href(), false);
    };
    view! {
        <div class=inline.then_some("flex items-center gap-2")>
            <label
                for=id.clone()
                class=if inline { "text-zinc-500 dark:text-zinc-400" } else { "mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300" }
            >
                {label}
            </label>
            <select
                id=id
                name=name
                class=if inline {
                    "rounded-md border-0 bg-white py-1 pl-2 pr-7 text-sm text-zinc-900 ring-1 ring-inset ring-zinc-300 focus:ring-2 focus:ring-sky-600 dark:bg-zinc-800 dark:text-zinc-100 dark:ring-zinc-700"
                } else {
                    "block w-full rounded-md border-0 bg-white py-1.5 pl-2 pr-8 text-sm text-zinc-900 ring-1 ring-inset ring-zinc-300 focus:ring-2 focus:ring-sky-600 dark:bg-zinc-800 dark:text-zinc-100 dark:ring-zinc-700"
                }
                on:change=on_change
            >
                {move || {
                    let current = data.filters.with(|f| f.param(name));
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            let selected = value == current;
                            // The attribute for the first paint; the property after it, since the
                            // attribute no longer moves an option the user has picked.
                            view! { <option value=value selected=selected prop:selected=selected>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </div>
    }
}

/// The rest of the page's state as hidden inputs, so a GET form changes only what it shows
/// (`except`), from the first page.
#[component]
pub fn HiddenFields(except: &'static [&'static str]) -> impl IntoView {
    let data = use_page_data();
    move || {
        data.filters
            .with(|f| hidden_fields(f, except))
            .into_iter()
            .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
            .collect_view()
    }
}

fn hidden_fields(filters: &Filters, except: &[&str]) -> Vec<(&'static str, String)> {
    filters.with_page(0).params().into_iter().filter(|(name, _)| !except.contains(name)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_fields_keep_everything_but_what_the_form_shows() {
        let f =
            Filters { search: Some("a b&c".into()), topic: Some("t".into()), size: 20, page: 3, ..Filters::default() };
        assert_eq!(hidden_fields(&f, &["search"]), vec![("topic", "t".to_owned()), ("size", "20".to_owned())]);
        assert_eq!(hidden_fields(&f, &["size"]), vec![("topic", "t".to_owned()), ("search", "a b&c".to_owned())]);
        assert_eq!(hidden_fields(&f, &["view", "sent", "sort", "severity", "topic"]).len(), 2);
    }
}
