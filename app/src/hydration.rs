//! Knowing whether the page is live: before hydration, forms and links do the work; after it,
//! the same controls act in place.

use leptos::prelude::*;

#[derive(Clone, Copy)]
struct Hydrated(ReadSignal<bool>);

/// Set up once per island: an island is its own root in the browser.
pub fn provide_hydrated() {
    let (hydrated, set_hydrated) = signal(false);
    // Effects run in the browser only, once the island is live.
    Effect::new(move |_| set_hydrated.set(true));
    provide_context(Hydrated(hydrated));
}

/// False during server rendering and until the WASM has taken over.
pub fn use_hydrated() -> ReadSignal<bool> {
    use_context::<Hydrated>().map(|h| h.0).unwrap_or_else(|| signal(false).0)
}

/// Marks `<body data-hydrated>` once every island of the page is live, so tests (and anyone
/// reading the DOM) can tell a live page from server-rendered HTML. Leptos' loader hydrates the
/// islands right after the entry point returns, in one run of promise callbacks; a timer fires
/// after that run.
#[cfg(feature = "hydrate")]
pub fn mark_body_once_islands_are_live() {
    set_timeout(
        || {
            if let Some(body) = document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
