//! Inline SVG icons (24×24, stroked with the current colour), decorative unless labelled.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconKind {
    Home,
    Bell,
    Logout,
    User,
    Users,
    Mail,
    Logo,
}

impl IconKind {
    fn paths(self) -> &'static [&'static str] {
        match self {
            IconKind::Home => &["M3 10.5 12 3l9 7.5", "M5 9v11a1 1 0 0 0 1 1h4v-6h4v6h4a1 1 0 0 0 1-1V9"],
            IconKind::Bell => &["M6 16V11a6 6 0 1 1 12 0v5l1.5 2h-15L6 16Z", "M10 20.5a2 2 0 0 0 4 0"],
            IconKind::Logout => &["M15 12H4", "m8 8-4 4 4 4", "M13 4h5a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-5"],
            IconKind::User => &["M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Z", "M4 21a8 8 0 0 1 16 0"],
            IconKind::Users => &[
                "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8Z",
                "M2 21a7 7 0 0 1 14 0",
                "M16 3.5a4 4 0 0 1 0 7",
                "M18 14a7 7 0 0 1 4 7",
            ],
            IconKind::Mail => &["M3 6h18v12H3z", "m3 7 9 6 9-6"],
            IconKind::Logo => &[
                "M12 3c-3.5 0-6 2.6-6 6v4.5L4 17h16l-2-3.5V9c0-3.4-2.5-6-6-6Z",
                "M9.5 20a2.5 2.5 0 0 0 5 0",
                "M19 3.5c1.3 1.2 2 2.8 2 4.5",
                "M5 3.5C3.7 4.7 3 6.3 3 8",
            ],
        }
    }
}

#[component]
pub fn Icon(kind: IconKind, #[prop(into, optional)] class: String) -> impl IntoView {
    let class = if class.is_empty() { "h-5 w-5 shrink-0".to_owned() } else { class };
    view! {
        <svg
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.8"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
            class=class
        >
            {kind.paths().iter().map(|d| view! { <path d=*d></path> }).collect_view()}
        </svg>
    }
}
