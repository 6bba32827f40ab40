//! Herald's user interface: a Leptos app rendered on the server and hydrated in the browser.
//!
//! Compiled twice: with `ssr` into the server, with `hydrate` into the WASM bundle. The server
//! renders every page; the browser hydrates only the [`islands`], the parts that change in
//! place. It never touches storage; server functions reach the server's services through
//! [`backend::Backend`].

#![recursion_limit = "256"]

pub mod address;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod hydration;
pub mod islands;
pub mod model;
pub mod notifications;
pub mod pages;
pub mod session;
pub mod signals;
pub mod time;

use leptos::{either::Either, prelude::*};
use leptos_meta::{Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Outlet, ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    components::layout::Layout,
    model::Viewer,
    notifications::{NotificationSettingsPage, NotificationsPage},
    pages::{home::HomePage, not_found::NotFound, sign_in::SignInPage},
    session::{GuestSignIn, SignOut, get_viewer},
};

/// The name the build gives the WASM, JS and CSS bundles under `/pkg`.
pub const OUTPUT_NAME: &str = "herald";

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body class="antialiased">
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in, and the actions that change it; shared by every page.
#[derive(Clone, Copy)]
pub struct Session {
    pub viewer: Resource<Result<Option<Viewer>, ServerFnError>>,
    pub sign_in: ServerAction<GuestSignIn>,
    pub sign_out: ServerAction<SignOut>,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let sign_in = ServerAction::<GuestSignIn>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let viewer = Resource::new(move || (sign_in.version().get(), sign_out.version().get()), |_| get_viewer());
    provide_context(Session { viewer, sign_in, sign_out });
    // The sidebar item puts the unread count in front, in the browser.
    let format_title =
        |title: String| if title.is_empty() { "Herald".to_owned() } else { format!("{title} · Herald") };

    view! {
        <Stylesheet id="herald" href=format!("/pkg/{OUTPUT_NAME}.css")/>
        <Title formatter=format_title/>
        <Meta name="color-scheme" content="light dark"/>
        <Meta name="description" content="Herald: notifications and live signals"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=SignedIn ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage/>
                    <Route path=path!("/notifications") view=|| view! { <NotificationsPage/> }/>
                    <Route path=path!("/notifications/settings") view=NotificationSettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Pages below this need a session: anonymous visitors are sent to the sign-in page.
#[component]
fn SignedIn() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match session.viewer.await {
                    Ok(Some(viewer)) => {
                        provide_context(viewer.clone());
                        Either::Left(view! { <Layout viewer><Outlet/></Layout> })
                    }
                    Ok(None) => Either::Right(view! { <Redirect path="/sign-in"/> }.into_any()),
                    Err(error) => Either::Right(view! {
                        <p role="alert" class="p-6 text-red-700">{format!("Could not load your session: {error}")}</p>
                    }.into_any()),
                }
            })}
        </Transition>
    }
}
