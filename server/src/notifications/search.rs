//! Which trigrams of a search term the trigram indexes are asked for (SQLite's FTS5, PostgreSQL's
//! pg_trgm): few and rare ones, since the rows found are checked against the whole term anyway.
//!
//! FTS5 intersects the lists of the trigrams it is given by stepping through all of them, so a
//! search costs about (matches × trigrams asked) in the common case where every candidate is a
//! match: for `checkout-indexer` (1,000 matches) its six covering trigrams cost 2.0 ms, its two
//! rarest 0.2 ms. The rarest are told apart by how often each trigram occurred in the
//! notifications this process has seen (a sample at start, then every insert),
//! counted in a fixed table of hashed slots: a collision only makes a rare trigram look common,
//! which costs time, never a match, since the rows found are checked against the whole term.

use std::{
    ops::Range,
    sync::atomic::{AtomicU32, Ordering},
};

use super::sql::like_in_order;

/// Trigrams AND-ed per search: past two, each list adds more steps than it removes candidates.
const TRIGRAMS_ASKED: usize = 2;
/// A further trigram is asked for only if it is at most this many times as common as the
/// rarest: `t-i` (0.5 % of rows) AND `cko` (5 %) reads ten times the entries `t-i` alone does,
/// to drop candidates that the check of the whole term drops anyway.
const FURTHER_AT_MOST: u32 = 4;
const SLOTS: usize = 1 << 16;
/// Characters of a text counted: a 50,000-character description tells no more about which
/// trigrams are common than its start does.
const OBSERVED_CHARS: usize = 2_000;

pub struct TrigramCounts {
    slots: Box<[AtomicU32]>,
    texts: AtomicU32,
}

impl Default for TrigramCounts {
    fn default() -> Self {
        Self { slots: (0..SLOTS).map(|_| AtomicU32::new(0)).collect(), texts: AtomicU32::new(0) }
    }
}

impl TrigramCounts {
    /// Counts each trigram of `text` once.
    pub fn observe(&self, text: &str) {
        let chars: Vec<char> = text.chars().take(OBSERVED_CHARS).collect();
        let mut seen: Vec<usize> = chars.windows(3).map(slot).collect();
        seen.sort_unstable();
        seen.dedup();
        for slot in seen {
            bump(&self.slots[slot]);
        }
        bump(&self.texts);
    }

    /// Counts a notification's title and description, as separate texts: a term never spans them.
    pub fn observe_notification(&self, title: &str, description: Option<&str>) {
        self.observe(title);
        self.observe(description.unwrap_or_default());
    }

    pub(super) fn count(&self, trigram: &[char]) -> u32 {
        self.slots[slot(trigram)].load(Ordering::Relaxed)
    }

    /// An FTS5 query for the rows holding the rarest trigrams of `term`: a superset of the rows
    /// containing it, which the caller checks. `None` below three characters, which a trigram
    /// index cannot serve.
    pub fn fts_query(&self, term: &str) -> Option<String> {
        let chars: Vec<char> = term.chars().collect();
        let ranked = self.ranked(&chars, std::slice::from_ref(&(0..chars.len())));
        let further_at_most = ranked.first()?.0.saturating_mul(FURTHER_AT_MOST);
        let quoted: Vec<String> = ranked
            .iter()
            .take(TRIGRAMS_ASKED)
            .take_while(|&&(count, _)| count <= further_at_most)
            .map(|&(_, start)| {
                let trigram: String = chars[start..start + 3].iter().collect();
                format!("\"{}\"", trigram.replace('"', "\"\""))
            })
            .collect();
        Some(quoted.join(" AND "))
    }

    /// A LIKE pattern for pg_trgm naming few, rare trigrams of `term`'s words of four or more
    /// letters or digits, so its index reads a few short posting lists, not one per trigram of
    /// every word (`checkout-indexer`: 2 lists instead of 11, 5.8 -> 1.3 ms). Shorter words are
    /// left out: the single trigram of one (`INC` in `INC-31337`) is in so many rows that
    /// reading its list costs more than the rest of the search, and pg_trgm takes no trigram
    /// across a non-word character. At least two are asked for: one list of a common term
    /// leaves thousands of rows to fetch and check (46 ms). Overlapping trigrams are asked for
    /// as one substring (`1337` for `133` and `337`), the rest in the term's order, so every
    /// text containing the term matches. `None` if the term has no such word.
    pub fn index_pattern(&self, term: &str) -> Option<String> {
        let chars: Vec<char> = term.chars().collect();
        let mut words = Vec::new();
        let mut start = 0;
        for (at, c) in chars.iter().chain([&' ']).enumerate() {
            if !c.is_alphanumeric() {
                if at - start >= 4 {
                    words.push(start..at);
                }
                start = at + 1;
            }
        }
        // The rarest trigram of each of the two rarest words: trigrams of one word occur
        // together (every `checkout` has `cko` and `out`), so a second from the same word
        // narrows nothing. A term of one word gives its two rarest.
        let per_word: Vec<Vec<(u32, usize)>> =
            words.iter().map(|word| self.ranked(&chars, std::slice::from_ref(word))).collect();
        let mut best: Vec<(u32, usize)> = match per_word.as_slice() {
            [only] => only.clone(),
            _ => per_word.iter().filter_map(|ranked| ranked.first().copied()).collect(),
        };
        best.sort_by_key(|&(count, _)| count);
        let mut asked: Vec<usize> = best.into_iter().take(TRIGRAMS_ASKED).map(|(_, start)| start).collect();
        // A rare trigram's list is short to read and may spare rows to fetch and check:
        // `31337` asks for all three of its own, each in well under 1 % of texts.
        let rare = self.texts.load(Ordering::Relaxed) / 100;
        for (count, start) in per_word.iter().flatten() {
            if *count <= rare && !asked.contains(start) {
                asked.push(*start);
            }
        }
        asked.sort_unstable();
        let mut spans: Vec<Range<usize>> = Vec::new();
        for start in asked {
            match spans.last_mut() {
                Some(last) if start < last.end => last.end = start + 3,
                _ => spans.push(start..start + 3),
            }
        }
        let substrings: Vec<String> = spans.into_iter().map(|span| chars[span].iter().collect()).collect();
        let substrings: Vec<&str> = substrings.iter().map(String::as_str).collect();
        (!substrings.is_empty()).then(|| like_in_order(&substrings))
    }

    /// The starts of the trigrams within `spans` of `chars`, each folded trigram once, rarest
    /// first (counted once: the counts move under concurrent inserts). Among equal counts,
    /// non-overlapping ones come first, so without counts the choice still spans each span.
    fn ranked(&self, chars: &[char], spans: &[Range<usize>]) -> Vec<(u32, usize)> {
        let mut starts: Vec<usize> = Vec::new();
        for span in spans.iter().filter(|span| span.len() >= 3) {
            let last = span.end - 3;
            starts.extend((span.start..=last).step_by(3).chain([last]));
        }
        for span in spans.iter().filter(|span| span.len() >= 3) {
            starts.extend(span.start..=span.end - 3);
        }
        let mut seen = Vec::new();
        starts.retain(|&start| {
            let folded: Vec<char> = chars[start..start + 3].iter().map(|&c| fold(c)).collect();
            let fresh = !seen.contains(&folded);
            seen.push(folded);
            fresh
        });
        let mut ranked: Vec<(u32, usize)> =
            starts.into_iter().map(|start| (self.count(&chars[start..start + 3]), start)).collect();
        ranked.sort_by_key(|&(count, _)| count);
        ranked
    }
}

/// Adds one, and stays at the maximum rather than wrap to rare.
fn bump(counter: &AtomicU32) {
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1));
}

fn fold(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

fn slot(trigram: &[char]) -> usize {
    let hash = trigram.iter().fold(0x811c_9dc5_u32, |hash, &c| (hash ^ u32::from(fold(c))).wrapping_mul(0x0100_0193));
    (hash ^ (hash >> 16)) as usize % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts_of(texts: &[(&str, usize)]) -> TrigramCounts {
        let counts = TrigramCounts::default();
        texts.iter().for_each(|&(text, times)| (0..times).for_each(|_| counts.observe(text)));
        counts
    }

    fn counts(texts: &[&str]) -> TrigramCounts {
        let counts = TrigramCounts::default();
        texts.iter().for_each(|text| counts.observe(text));
        counts
    }

    #[test]
    fn without_counts_the_query_spans_the_term() {
        let counts = TrigramCounts::default();
        assert_eq!(counts.fts_query("INC-31337").as_deref(), Some(r#""INC" AND "-31""#));
        assert_eq!(counts.fts_query("abc").as_deref(), Some(r#""abc""#));
        assert_eq!(counts.fts_query("abcd").as_deref(), Some(r#""abc" AND "bcd""#));
        assert_eq!(counts.fts_query("ab"), None);
    }

    #[test]
    fn the_rarest_trigrams_are_asked_for() {
        let counts = counts(&["checkout-api", "checkout-web", "search-indexer", "search-indexer", "checkout-indexer"]);
        // `t-i` occurs once; every other trigram of the term at least twice.
        let query = counts.fts_query("checkout-indexer").unwrap();
        assert!(query.starts_with(r#""t-i" AND "#), "{query}");
        // A second trigram far more common than the rarest costs more than it saves.
        let counts = counts_of(&[("checkout-indexer", 1), ("checkout-api", 10), ("search-indexer", 10)]);
        assert_eq!(counts.fts_query("checkout-indexer").as_deref(), Some(r#""t-i""#));
    }

    #[test]
    fn case_does_not_split_counts_and_quotes_are_escaped() {
        let counts = counts(&["ABC abc Abc"]);
        assert_eq!(counts.count(&['a', 'b', 'c']), 1);
        assert_eq!(counts.fts_query(r#"a"bcd"#).as_deref(), Some(r#""a""b" AND "bcd""#));
    }

    #[test]
    fn the_index_is_asked_for_the_rarest_trigrams_of_long_words() {
        let counts = counts_of(&[("checkout-indexer", 1), ("checkout-api", 5), ("search-indexer", 10), ("cache", 20)]);
        // One trigram of each word; `cko` (in 6 texts) rather than `che` (26, `cache` has it).
        assert_eq!(counts.index_pattern("checkout-indexer").as_deref(), Some("%cko%ind%"));
        // Overlapping trigrams are one substring; short words are left out.
        let counts = counts_of(&[("INC-31337", 1), ("31300", 9), ("99313", 9)]);
        assert_eq!(counts.index_pattern("INC-31337").as_deref(), Some("%1337%"));
        // Trigrams in under 1 % of texts come along: short lists that may spare rows to check.
        let counts = counts_of(&[("INC-31337", 1), ("31300", 9), ("nothing alike", 2000)]);
        assert_eq!(counts.index_pattern("INC-31337").as_deref(), Some("%31337%"));
        assert_eq!(counts.index_pattern("INC-1 ab"), None);
        assert_eq!(TrigramCounts::default().index_pattern("Ärger").as_deref(), Some("%Ärger%"));
        assert_eq!(TrigramCounts::default().index_pattern("50%_off now"), None);
    }

    #[test]
    fn repeated_trigrams_are_asked_for_once() {
        assert_eq!(TrigramCounts::default().fts_query("aaaaaa").as_deref(), Some(r#""aaa""#));
        assert_eq!(TrigramCounts::default().fts_query("äöüß").as_deref(), Some(r#""äöü" AND "öüß""#));
    }
}
