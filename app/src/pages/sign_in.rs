//! The sign-in page. With guest sign-in on (development), it lists the catalog's users.

use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

use crate::{
    Session,
    components::icons::{Icon, IconKind},
    model::{Person, initials},
    session::sign_in_choices,
};

#[component]
pub fn SignInPage() -> impl IntoView {
    let choices = sign_in_choices();
    if choices.is_none() {
        Effect::new(|_| {
            let _ = window().location().reload();
        });
    }
    view! {
        <Title text="Sign in"/>
        <div class="flex min-h-screen items-start justify-center bg-zinc-100 px-4 py-16 text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100">
            <main class="w-full max-w-md rounded-xl bg-white p-8 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
                <div class="mb-6 flex items-center gap-3">
                    <Icon kind=IconKind::Logo class="h-9 w-9 text-sky-600 dark:text-sky-400"/>
                    <h1 class="text-2xl font-semibold tracking-tight">"Sign in to Herald"</h1>
                </div>
                {match choices {
                    Some(choices) if choices.guest_enabled => Either::Left(view! { <GuestSignIn people=choices.people/> }),
                    Some(_) => Either::Right(view! {
                        <p class="text-sm text-zinc-600 dark:text-zinc-400">
                            "Guest sign-in is turned off. Ask your administrator how to sign in."
                        </p>
                    }.into_any()),
                    None => Either::Right(view! { <p class="text-sm text-zinc-500">"Loading…"</p> }.into_any()),
                }}
            </main>
        </div>
    }
}

#[component]
fn GuestSignIn(people: Vec<Person>) -> impl IntoView {
    let session = expect_context::<Session>();
    let action = session.sign_in;
    let failure = move || {
        action.value().get().and_then(Result::err).map(|error| {
            view! { <p role="alert" class="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">{error.to_string()}</p> }
        })
    };
    view! {
        <p class="mb-4 text-sm text-zinc-600 dark:text-zinc-400">
            "Development sign-in: choose who you are. Anyone can sign in as anyone; never enable this in production."
        </p>
        {failure}
        {if people.is_empty() {
            Either::Left(view! { <p class="text-sm text-zinc-500">"The catalog has no users."</p> })
        } else {
            Either::Right(view! {
                <ul class="divide-y divide-zinc-200 dark:divide-zinc-800" aria-label="Catalog users">
                    {people.into_iter().map(|person| view! { <PersonRow person action/> }).collect_view()}
                </ul>
            })
        }}
    }
}

#[component]
fn PersonRow(person: Person, action: ServerAction<crate::session::GuestSignIn>) -> impl IntoView {
    let label = format!("Sign in as {}", person.display_name);
    view! {
        <li>
            <ActionForm action>
                <input type="hidden" name="user" value=person.user_ref.clone()/>
                <button
                    type="submit"
                    aria-label=label
                    class="flex w-full items-center gap-3 rounded-md px-2 py-3 text-left outline-none hover:bg-zinc-50 focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-50 dark:hover:bg-zinc-800"
                    disabled=move || action.pending().get()
                >
                    <span aria-hidden="true" class="flex h-9 w-9 shrink-0 items-center justify-center rounded-full bg-sky-700 text-sm font-semibold text-white">
                        {initials(&person.display_name)}
                    </span>
                    <span class="min-w-0 flex-1">
                        <span class="block truncate text-sm font-medium">{person.display_name.clone()}</span>
                        <span class="block truncate font-mono text-xs text-zinc-500 dark:text-zinc-400">{person.user_ref.clone()}</span>
                    </span>
                    {person.email.clone().map(|email| view! {
                        <span class="hidden truncate text-xs text-zinc-500 sm:block dark:text-zinc-400">{email}</span>
                    })}
                </button>
            </ActionForm>
        </li>
    }
}
