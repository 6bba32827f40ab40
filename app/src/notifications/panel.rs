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
    let address = use_address();
    // After hydration a change applies right away (no reload).
    let apply = move |change: &dyn Fn(&mut Filters)| {
        let mut next = filters.get_untracked().with_page(0);
        change(&mut next);
        address.navigate(&next.href(), false);
    };
    let apply = StoredValue::new(apply);
    let topics = move || {
        let mut topics = data.topics.get().and_then(Result::ok).unwrap_or_default();
        topics.sort_by_key(|t| t.to_lowercase());
        topics
    };
    view! {
        <form method="get" action="/notifications" class="space-y-5 rounded-lg bg-white p-4 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
            <h2 class="text-sm font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">"Filters"</h2>
            <Select
                label="View"
                name="view"
                options=View::ALL.iter().map(|v| (v.key().to_owned(), v.label().to_owned())).collect()
                selected=Signal::derive(move || filters.get().view.key().to_owned())
                on_change=move |value: String| apply.with_value(|apply| apply(&|f| f.view = View::ALL.into_iter().find(|v| v.key() == value).unwrap_or_default()))
            />
            <Select
                label="Sent out"
                name="sent"
                options=SentOut::ALL.iter().map(|v| (v.key().to_owned(), v.label().to_owned())).collect()
                selected=Signal::derive(move || filters.get().sent_out.key().to_owned())
                on_change=move |value: String| apply.with_value(|apply| apply(&|f| f.sent_out = SentOut::ALL.into_iter().find(|v| v.key() == value).unwrap_or_default()))
            />
            <Select
                label="Sort by"
                name="sort"
                options=Sort::ALL.iter().map(|v| (v.key().to_owned(), v.label().to_owned())).collect()
                selected=Signal::derive(move || filters.get().sort.key().to_owned())
                on_change=move |value: String| apply.with_value(|apply| apply(&|f| f.sort = Sort::ALL.into_iter().find(|v| v.key() == value).unwrap_or_default()))
            />
            <Select
                label="Min severity"
                name="severity"
                options=Severity::ALL.iter().map(|s| (s.as_str().to_owned(), super::display_name(s.as_str()))).collect()
                selected=Signal::derive(move || filters.get().severity.as_str().to_owned())
                on_change=move |value: String| apply.with_value(|apply| apply(&|f| f.severity = Severity::parse(&value).unwrap_or(Severity::Normal)))
            />
            <div>
                <label for="filter-topic" class="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300">"Topic"</label>
                <Transition fallback=|| ()>
                    <select
                        id="filter-topic"
                        name="topic"
                        class=SELECT_CLASS
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            apply.with_value(|apply| apply(&|f| f.topic = (!value.is_empty()).then(|| value.clone())));
                        }
                    >
                        <option value="" selected=move || filters.get().topic.is_none()>"Any topic"</option>
                        {move || {
                            let current = filters.get().topic;
                            let mut list = topics();
                            // A topic from the URL stays choosable even if nothing has it now.
                            if let Some(topic) = &current && !list.contains(topic) {
                                list.insert(0, topic.clone());
                            }
                            list.into_iter()
                                .map(|topic| {
                                    let selected = current.as_deref() == Some(topic.as_str());
                                    view! { <option value=topic.clone() selected=selected>{topic.clone()}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </Transition>
            </div>
            // The other parameters ride along, so the form changes only what it shows.
            {move || {
                let f = filters.get();
                view! {
                    {f.search.map(|s| view! { <input type="hidden" name="search" value=s/> })}
                    {(f.size != super::filters::DEFAULT_PAGE_SIZE).then(|| view! { <input type="hidden" name="size" value=f.size.to_string()/> })}
                }
            }}
            <button
                type="submit"
                class=move || if hydrated.get() { "sr-only" } else { "w-full rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800" }
            >
                "Apply filters"
            </button>
        </form>
    }
}

const SELECT_CLASS: &str = "block w-full rounded-md border-0 bg-white py-1.5 pl-2 pr-8 text-sm text-zinc-900 ring-1 ring-inset ring-zinc-300 focus:ring-2 focus:ring-sky-600 dark:bg-zinc-800 dark:text-zinc-100 dark:ring-zinc-700";

#[component]
fn Select(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    #[prop(into)] selected: Signal<String>,
    on_change: impl Fn(String) + 'static,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <div>
            <label for=id.clone() class="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300">{label}</label>
            <select id=id name=name class=SELECT_CLASS on:change=move |ev| on_change(event_target_value(&ev))>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let is_selected = {
                            let value = value.clone();
                            move || selected.get() == value
                        };
                        view! { <option value=value selected=is_selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
