//! Dynamic SQL for the list, count and topic queries, built from fixed fragments with every
//! value bound as a parameter (`$n`, which both engines accept).

use uuid::Uuid;

use crate::db::Engine;

/// A bound value.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
    Id(Uuid),
}

/// SQL text plus its arguments, in order.
#[derive(Debug, Clone)]
pub struct Sql {
    pub engine: Engine,
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(engine: Engine) -> Self {
        Self { engine, text: String::with_capacity(512), args: Vec::new() }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Binds a value and returns its placeholder.
    pub fn arg(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    /// Pushes `text` with `{}` replaced by a placeholder for `value`.
    pub fn push_bound(&mut self, text: &str, value: Arg) -> &mut Self {
        let placeholder = self.arg(value);
        self.text.push_str(&text.replacen("{}", &placeholder, 1));
        self
    }
}

/// Binds every argument of a [`Sql`] to a query of either engine.
#[macro_export]
macro_rules! bind_sql_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::notifications::sql::Arg::Int(value) => query.bind(*value),
                $crate::notifications::sql::Arg::Text(value) => query.bind(value.clone()),
                $crate::notifications::sql::Arg::Id(value) => query.bind(*value),
            };
        }
        query
    }};
}

/// `%text%` for LIKE with `\` as the escape character, so `%` and `_` match themselves.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// An FTS5 phrase matching `text` as a substring (trigram tokenizer): quotes are doubled.
pub fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), r"%50\%\_off\\%");
        assert_eq!(like_pattern("plain"), "%plain%");
    }

    #[test]
    fn fts_phrases_quote_quotes() {
        assert_eq!(fts_phrase(r#"say "hi""#), r#""say ""hi""""#);
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new(Engine::Sqlite);
        sql.push("a = ").push_bound("{} AND b = ", Arg::Int(1)).push_bound("{}", Arg::Text("x".into()));
        assert_eq!(sql.text, "a = $1 AND b = $2");
        assert_eq!(sql.args.len(), 2);
    }
}
