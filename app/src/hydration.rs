//! Knowing whether the page is live: before hydration, forms and links do the work; after it,
//! the same controls act in place.

use leptos::prelude::*;

#[derive(Clone, Copy)]
struct Hydrated(ReadSignal<bool>);

/// Set up once, at the root. Also marks `<body data-hydrated>`, so tests (and anyone reading
/// the DOM) can tell a live page from server-rendered HTML.
pub fn provide_hydrated() {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| {
        set_hydrated.set(true);
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    provide_context(Hydrated(hydrated));
}

/// False during server rendering and until the WASM has taken over.
pub fn use_hydrated() -> ReadSignal<bool> {
    use_context::<Hydrated>().map(|h| h.0).unwrap_or_else(|| signal(false).0)
}
