use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <div class="flex min-h-screen flex-col items-center justify-center gap-4 bg-zinc-50 p-6 text-center text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100">
            <h1 class="text-3xl font-semibold">"Page not found"</h1>
            <p class="text-zinc-600 dark:text-zinc-400">"There is nothing at this address."</p>
            <a href="/" class="rounded-md bg-sky-700 px-4 py-2 text-sm font-medium text-white hover:bg-sky-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600">"Go home"</a>
        </div>
    }
}
