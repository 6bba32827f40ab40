//! The page's address, as islands see it. The router runs on the server only; an island reads
//! the address from the request while it renders there, and from `window.location` in the
//! browser, where it changes the query with the History API (no reload; back and forward work).

use leptos::prelude::*;

/// The query of the page's address, reactive in the browser.
#[derive(Clone, Copy)]
pub struct Address {
    query: RwSignal<String>,
}

impl Address {
    /// The query string, without `?`.
    pub fn query(self) -> RwSignal<String> {
        self.query
    }

    /// Goes to `href` (a path with a query on this page) without reloading; `replace` keeps the
    /// history as it was (search as you type).
    pub fn navigate(self, href: &str, replace: bool) {
        #[cfg(feature = "hydrate")]
        {
            let history = window().history();
            let done = match history {
                Ok(history) if replace => history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href)),
                Ok(history) => history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href)),
                Err(error) => Err(error),
            };
            if done.is_err() {
                let _ = window().location().set_href(href);
                return;
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = replace;
        let query = href.split_once('?').map(|(_, query)| query).unwrap_or_default();
        self.query.set(query.to_owned());
    }
}

/// The address for the current island; back and forward update it.
pub fn provide_address() -> Address {
    let address = Address { query: RwSignal::new(current_query()) };
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::popstate, move |_| address.query.set(current_query()));
        on_cleanup(move || handle.remove());
    }
    provide_context(address);
    address
}

pub fn use_address() -> Address {
    expect_context::<Address>()
}

/// The path of the page's address.
pub fn current_path() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().map(|parts| parts.uri.path().to_owned()).unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        window().location().pathname().unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

fn current_query() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().and_then(|parts| parts.uri.query().map(str::to_owned)).unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        let search = window().location().search().unwrap_or_default();
        search.strip_prefix('?').unwrap_or(&search).to_owned()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}
