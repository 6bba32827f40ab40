//! The notifications UI: the page, the sidebar item, the settings and the unread card.

pub mod api;
pub mod card;
pub mod filters;
pub mod keyboard;
pub mod live;
pub mod page;
pub mod panel;
pub mod settings;
pub mod sidebar;
pub mod table;
pub mod toasts;

pub use card::UnreadNotificationsCard;
pub use page::NotificationsPage;
pub use settings::{NotificationSettingsPage, UserNotificationSettings};
pub use sidebar::{NotificationsSidebarItem, RenderItem, RenderItemProps};

use crate::{components::icons::IconKind, model::Severity};

/// How a severity looks. Colour is never the only sign: each has its own icon and a label.
pub struct SeverityStyle {
    pub icon: IconKind,
    pub label: &'static str,
    /// Text colour of the icon.
    pub text: &'static str,
    /// Left border of a toast.
    pub border: &'static str,
}

pub fn severity_style(severity: Severity) -> SeverityStyle {
    match severity {
        Severity::Critical => SeverityStyle {
            icon: IconKind::Critical,
            label: "Critical",
            text: "text-red-600 dark:text-red-400",
            border: "border-red-600",
        },
        Severity::High => SeverityStyle {
            icon: IconKind::Warning,
            label: "High",
            text: "text-orange-600 dark:text-orange-400",
            border: "border-orange-500",
        },
        Severity::Normal => SeverityStyle {
            icon: IconKind::Info,
            label: "Normal",
            text: "text-sky-600 dark:text-sky-400",
            border: "border-sky-500",
        },
        Severity::Low => SeverityStyle {
            icon: IconKind::Low,
            label: "Low",
            text: "text-zinc-500 dark:text-zinc-400",
            border: "border-zinc-400",
        },
    }
}

/// Adds `id` to a small set kept as a list, or takes it out if it is there. (A list: the WASM
/// then carries no hash table for the page's selection and expanded rows.)
pub fn toggle_in(set: &mut Vec<String>, id: &str) {
    match set.iter().position(|x| x == id) {
        Some(at) => {
            set.swap_remove(at);
        }
        None => set.push(id.to_owned()),
    }
}

/// "ci-bot:builds_failed" → "Ci bot builds failed": ids made readable where no name is given.
/// Only an ASCII first letter is capitalised: Unicode's case tables would cost the WASM more
/// than all of the settings page, for ids that are ASCII in practice.
pub fn display_name(id: &str) -> String {
    let spaced: String = id.chars().map(|c| if matches!(c, '-' | '_' | ':') { ' ' } else { c }).collect();
    let mut name = spaced.trim().to_owned();
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn ids_become_readable_names() {
        assert_eq!(display_name("external:ci-bot"), "External ci bot");
        assert_eq!(display_name("émile"), "émile");
        assert_eq!(display_name("build_failed"), "Build failed");
        assert_eq!(display_name(""), "");
    }
}
