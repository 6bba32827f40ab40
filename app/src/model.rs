//! The wire model shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// The signed-in person looking at the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// Canonical entity ref, `user:default/alice`.
    pub user_ref: String,
    pub display_name: String,
    pub email: Option<String>,
    /// Groups the user belongs to, directly or through parent groups.
    pub groups: Vec<String>,
}

/// A catalog user one may sign in as (guest sign-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub user_ref: String,
    pub display_name: String,
    pub email: Option<String>,
}

/// What the sign-in page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInChoices {
    pub guest_enabled: bool,
    pub people: Vec<Person>,
}

/// The initials shown in an avatar: "Alice Adams" → "AA", "carol" → "C".
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|word| word.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("Alice Adams"), "AA");
        assert_eq!(initials("carol"), "C");
        assert_eq!(initials("Jean Luc Picard"), "JL");
        assert_eq!(initials(""), "");
    }
}
