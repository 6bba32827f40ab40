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
    Settings,
    Critical,
    Warning,
    Info,
    Low,
    Megaphone,
    Bookmark,
    BookmarkFilled,
    Check,
    Envelope,
    Close,
    Search,
    ChevronLeft,
    ChevronRight,
    ChevronDown,
    External,
    Keyboard,
    Build,
    Rocket,
    Shield,
}

impl IconKind {
    /// Icons a sender may name in `payload.icon`; others fall back to the severity's.
    pub fn named(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "bell" | "notification" | "notifications" => IconKind::Bell,
            "warning" | "alert" => IconKind::Warning,
            "error" | "critical" => IconKind::Critical,
            "info" => IconKind::Info,
            "build" | "ci" | "wrench" => IconKind::Build,
            "deploy" | "release" | "rocket" => IconKind::Rocket,
            "security" | "shield" => IconKind::Shield,
            "mail" | "email" => IconKind::Mail,
            "user" | "person" => IconKind::User,
            "group" | "team" | "users" => IconKind::Users,
            "broadcast" | "megaphone" | "announcement" => IconKind::Megaphone,
            "docs" | "documentation" | "bookmark" => IconKind::Bookmark,
            _ => return None,
        })
    }

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
            IconKind::Settings => &[
                "M4 7h10",
                "M18 7h2",
                "M4 17h4",
                "M12 17h8",
                "M16 9a2 2 0 1 0 0-4 2 2 0 0 0 0 4Z",
                "M10 19a2 2 0 1 0 0-4 2 2 0 0 0 0 4Z",
            ],
            IconKind::Critical => &["M8.5 3h7L21 8.5v7L15.5 21h-7L3 15.5v-7L8.5 3Z", "M12 8v5", "M12 16.5v.01"],
            IconKind::Warning => &["M12 3.5 22 20H2L12 3.5Z", "M12 10v4", "M12 17v.01"],
            IconKind::Info => &["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Z", "M12 11v6", "M12 7.5v.01"],
            IconKind::Low => &["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Z", "M8 12h8"],
            IconKind::Megaphone => {
                &["M3 11v2a1 1 0 0 0 1 1h2l5 4V6L6 10H4a1 1 0 0 0-1 1Z", "M15 9a4 4 0 0 1 0 6", "M18 6a8 8 0 0 1 0 12"]
            }
            IconKind::Bookmark => &["M6 3h12v18l-6-4-6 4V3Z"],
            IconKind::BookmarkFilled => &["M6 3h12v18l-6-4-6 4V3Z", "M9 7h6", "M9 10h6"],
            IconKind::Check => &["m4 12 5 5L20 6"],
            IconKind::Envelope => &["M3 6h18v12H3z", "m3 7 9 6 9-6"],
            IconKind::Close => &["M6 6l12 12", "M18 6 6 18"],
            IconKind::Search => &["M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14Z", "m20 20-4-4"],
            IconKind::ChevronLeft => &["m15 6-6 6 6 6"],
            IconKind::ChevronRight => &["m9 6 6 6-6 6"],
            IconKind::ChevronDown => &["m6 9 6 6 6-6"],
            IconKind::External => {
                &["M14 4h6v6", "M20 4 11 13", "M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"]
            }
            IconKind::Keyboard => &["M3 6h18v12H3z", "M7 10h.01", "M11 10h.01", "M15 10h.01", "M8 14h8"],
            IconKind::Build => &["M14.5 6.5a4 4 0 0 0 5 5L12 19l-3 1-1-1 1-3 7.5-7.5Z", "M14.5 6.5 17 4l3 3-2.5 2.5"],
            IconKind::Rocket => {
                &["M12 15c5-3 8-7 8-12-5 0-9 3-12 8l4 4Z", "M9 12l-4 1-2 3 4 1", "M12 15l-1 4-3 2-1-4", "M15 9h.01"]
            }
            IconKind::Shield => &["M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6l-8-3Z", "m9 12 2 2 4-4"],
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
