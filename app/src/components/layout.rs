//! The page frame: a Backstage-like sidebar with navigation and the signed-in user, and a main
//! area with a header banner.

use leptos::prelude::*;
use leptos_router::components::A;

use super::icons::{Icon, IconKind};
use crate::islands::SidebarItem;
use crate::{
    Session,
    model::{Viewer, initials},
};

#[component]
pub fn Layout(viewer: Viewer, children: Children) -> impl IntoView {
    view! {
        <div class="min-h-screen bg-zinc-50 text-zinc-900 md:flex dark:bg-zinc-950 dark:text-zinc-100">
            <a
                href="#main"
                class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-zinc-900"
            >
                "Skip to content"
            </a>
            <aside
                aria-label="Sidebar"
                class="flex flex-row items-center gap-2 bg-zinc-900 px-3 py-2 text-zinc-100 md:sticky md:top-0 md:h-screen md:w-60 md:flex-col md:items-stretch md:gap-0 md:px-0 md:py-0"
            >
                <A href="/" attr:class="flex items-center gap-2 rounded px-2 py-1 md:px-5 md:py-5">
                    <Icon kind=IconKind::Logo class="h-7 w-7 text-sky-400"/>
                    <span class="text-lg font-semibold tracking-tight">"Herald"</span>
                </A>
                <nav aria-label="Main" class="flex-1">
                    <ul class="flex flex-row gap-1 md:flex-col md:px-2">
                        <NavItem href="/" icon=IconKind::Home label="Home"/>
                        <li><SidebarItem/></li>
                        <NavItem href="/notifications/settings" icon=IconKind::Settings label="Settings"/>
                    </ul>
                </nav>
                <UserMenu viewer/>
            </aside>
            <main id="main" class="min-w-0 flex-1">
                {children()}
            </main>
        </div>
    }
    .into_any()
}

/// A sidebar link; the router marks the current page with `aria-current="page"`.
#[component]
pub fn NavItem(href: &'static str, icon: IconKind, label: &'static str) -> impl IntoView {
    view! {
        <li>
            <A
                href=href
                exact=true
                attr:class="flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-zinc-300 outline-none hover:bg-zinc-800 hover:text-white focus-visible:ring-2 focus-visible:ring-sky-400 aria-[current=page]:bg-zinc-800 aria-[current=page]:text-white"
            >
                <Icon kind=icon/>
                <span class="hidden sm:inline">{label}</span>
            </A>
        </li>
    }
}

#[component]
fn UserMenu(viewer: Viewer) -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <div class="flex items-center gap-2 md:border-t md:border-zinc-800 md:px-4 md:py-4">
            <span
                aria-hidden="true"
                class="flex h-8 w-8 shrink-0 items-center justify-center rounded-full bg-sky-700 text-xs font-semibold text-white"
            >
                {initials(&viewer.display_name)}
            </span>
            <div class="hidden min-w-0 flex-1 md:block">
                <p class="truncate text-sm font-medium" data-testid="viewer-name">{viewer.display_name.clone()}</p>
                <p class="truncate text-xs text-zinc-400">{viewer.user_ref.clone()}</p>
            </div>
            <ActionForm action=session.sign_out>
                <button
                    type="submit"
                    title="Sign out"
                    class="flex items-center gap-1 rounded-md px-2 py-2 text-sm text-zinc-300 outline-none hover:bg-zinc-800 hover:text-white focus-visible:ring-2 focus-visible:ring-sky-400"
                >
                    <Icon kind=IconKind::Logout/>
                    <span class="sr-only">"Sign out"</span>
                </button>
            </ActionForm>
        </div>
    }
}

/// The coloured banner at the top of a page, as in Backstage.
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    /// Shown under the title when not empty.
    #[prop(into, optional)]
    subtitle: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="bg-gradient-to-r from-indigo-700 to-sky-700 px-6 py-8 text-white shadow-sm dark:from-indigo-950 dark:to-sky-900">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div class="min-w-0">
                    <h1 class="text-2xl font-semibold tracking-tight sm:text-3xl">{title}</h1>
                    {(!subtitle.is_empty()).then(|| view! { <p class="mt-1 text-sm text-white/90">{subtitle}</p> })}
                </div>
                {children.map(|children| children())}
            </div>
        </header>
    }
}
