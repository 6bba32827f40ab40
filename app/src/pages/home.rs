//! The home page: who you are to Herald.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::{
        icons::{Icon, IconKind},
        layout::PageHeader,
    },
    islands::UnreadCard,
    model::Viewer,
};

#[component]
pub fn HomePage() -> impl IntoView {
    let viewer = expect_context::<Viewer>();
    let first_name = viewer.display_name.split_whitespace().next().unwrap_or_default().to_owned();
    view! {
        <Title text="Home"/>
        <PageHeader title=format!("Welcome, {first_name}") subtitle="Notifications and live signals for your teams"/>
        <div class="grid gap-6 p-6 lg:grid-cols-2">
            <Card title="Your profile" icon=IconKind::User>
                <dl class="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
                    <dt class="text-zinc-500 dark:text-zinc-400">"Name"</dt>
                    <dd>{viewer.display_name.clone()}</dd>
                    <dt class="text-zinc-500 dark:text-zinc-400">"Entity"</dt>
                    <dd class="font-mono text-xs leading-5" data-testid="viewer-ref">{viewer.user_ref.clone()}</dd>
                    <dt class="text-zinc-500 dark:text-zinc-400">"Email"</dt>
                    <dd>
                        {match viewer.email.clone() {
                            Some(email) => view! { <a class="text-sky-700 underline-offset-2 hover:underline dark:text-sky-400" href=format!("mailto:{email}")>{email.clone()}</a> }.into_any(),
                            None => view! { <span class="text-zinc-500">"Not in the catalog"</span> }.into_any(),
                        }}
                    </dd>
                </dl>
            </Card>
            <UnreadCard/>
            <Card title="Your groups" icon=IconKind::Users>
                {if viewer.groups.is_empty() {
                    view! { <p class="text-sm text-zinc-500 dark:text-zinc-400">"You are not a member of any group."</p> }.into_any()
                } else {
                    view! {
                        <ul class="flex flex-wrap gap-2" data-testid="viewer-groups">
                            {viewer.groups.iter().map(|group| view! {
                                <li class="rounded-full bg-sky-50 px-3 py-1 font-mono text-xs text-sky-800 ring-1 ring-sky-200 dark:bg-sky-950 dark:text-sky-200 dark:ring-sky-800">{group.clone()}</li>
                            }).collect_view()}
                        </ul>
                        <p class="mt-3 text-xs text-zinc-500 dark:text-zinc-400">
                            "Notifications sent to any of these groups, or to entities they own, reach you."
                        </p>
                    }.into_any()
                }}
            </Card>
        </div>
    }
    .into_any()
}

#[component]
pub fn Card(#[prop(into)] title: String, icon: IconKind, children: Children) -> impl IntoView {
    view! {
        <section class="rounded-lg bg-white p-5 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
            <h2 class="mb-4 flex items-center gap-2 text-base font-semibold">
                <Icon kind=icon class="h-5 w-5 text-sky-600 dark:text-sky-400"/>
                {title}
            </h2>
            {children()}
        </section>
    }
}
