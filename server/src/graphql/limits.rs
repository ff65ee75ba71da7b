//! Abuse limits on GraphQL documents, checked on the raw text before anything runs, so a
//! malicious document never reaches a resolver or the database.
//!
//! Tokens are counted before parsing (a huge document is refused without building a
//! tree). Then aliases, directives, depth and the number of fields after expanding
//! fragments are counted on the parsed document, with each fragment measured once, so
//! fragment bombs cost linear time to detect. The weighted cost (lists cost `first` times
//! their items) is async-graphql's complexity check, configured in `build_schema`.
//! Introspection (`__schema`, `__type`) is exempt from depth and size: it is governed by
//! its own switch, and GraphiQL's standard introspection query is deeper than any data
//! query needs to be.

use std::collections::HashMap;

use async_graphql::parser::{
    Positioned,
    types::{ExecutableDocument, Selection, SelectionSet},
};

/// The configured limits (see `Config` for defaults).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_directives: usize,
    pub max_tokens: usize,
    pub max_batch: usize,
    /// Whether `__schema` and `__type` may be asked for.
    pub introspection: bool,
}

/// Why a document was refused; each has its own `extensions.code`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitError {
    Tokens(usize),
    Aliases(usize),
    Directives(usize),
    Depth(usize),
    Complexity(usize),
    Batch(usize),
    Introspection,
    /// Not a limit but invalid GraphQL, refused here because expanding it never ends.
    FragmentCycle,
}

impl LimitError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Tokens(_) => "TOKEN_LIMIT_EXCEEDED",
            Self::Aliases(_) => "ALIAS_LIMIT_EXCEEDED",
            Self::Directives(_) => "DIRECTIVE_LIMIT_EXCEEDED",
            Self::Depth(_) => "DEPTH_LIMIT_EXCEEDED",
            Self::Complexity(_) => "COMPLEXITY_LIMIT_EXCEEDED",
            Self::Batch(_) => "BATCH_LIMIT_EXCEEDED",
            Self::Introspection => "INTROSPECTION_DISABLED",
            Self::FragmentCycle => "GRAPHQL_VALIDATION_FAILED",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Tokens(max) => format!("the document has more than {max} tokens"),
            Self::Aliases(max) => format!("the document uses more than {max} aliases"),
            Self::Directives(max) => format!("the document uses more than {max} directives"),
            Self::Depth(max) => format!("the query is nested deeper than {max} levels"),
            Self::Complexity(max) => format!("the query is more complex than {max}"),
            Self::Batch(max) => format!("a batch may hold at most {max} operations"),
            Self::Introspection => "introspection is disabled on this server".to_owned(),
            Self::FragmentCycle => {
                "a fragment spreads itself (directly or through others)".to_owned()
            }
        }
    }
}

/// Check one document.
pub fn check(query: &str, limits: &Limits) -> Result<(), LimitError> {
    inspect(query, limits).map(|_| ())
}

/// Check one document and return it parsed. A document that does not parse passes here
/// as `None`: execution then reports it as `GRAPHQL_PARSE_FAILED`.
pub fn inspect(query: &str, limits: &Limits) -> Result<Option<ExecutableDocument>, LimitError> {
    if count_tokens(query, limits.max_tokens) > limits.max_tokens {
        return Err(LimitError::Tokens(limits.max_tokens));
    }
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return Ok(None);
    };
    let mut counter = Counter {
        document: &document,
        fragments: HashMap::new(),
        aliases: 0,
        directives: 0,
        cycle: false,
    };
    if !limits.introspection && counter.introspects() {
        return Err(LimitError::Introspection);
    }
    let mut depth = 0;
    let mut size = 0usize;
    for (_, op) in document.operations.iter() {
        counter.directives += op.node.directives.len();
        for var in &op.node.variable_definitions {
            counter.directives += var.node.directives.len();
        }
        let m = counter.measure(&op.node.selection_set, &mut Vec::new());
        depth = depth.max(m.depth);
        size = size.saturating_add(m.size);
    }
    // Fragments that no operation uses still count towards aliases and directives.
    for (name, fragment) in &document.fragments {
        counter.directives += fragment.node.directives.len();
        counter.fragment(name.as_str(), &mut Vec::new());
    }
    if counter.cycle {
        return Err(LimitError::FragmentCycle);
    }
    if counter.aliases > limits.max_aliases {
        return Err(LimitError::Aliases(limits.max_aliases));
    }
    if counter.directives > limits.max_directives {
        return Err(LimitError::Directives(limits.max_directives));
    }
    if depth > limits.max_depth {
        return Err(LimitError::Depth(limits.max_depth));
    }
    if size > limits.max_complexity {
        return Err(LimitError::Complexity(limits.max_complexity));
    }
    Ok(Some(document))
}

/// Depth and number of fields of a selection set with fragments expanded.
#[derive(Clone, Copy, Default)]
struct Measure {
    depth: usize,
    size: usize,
}

struct Counter<'a> {
    document: &'a ExecutableDocument,
    /// Each fragment is measured once; its aliases and directives are counted once.
    fragments: HashMap<&'a str, Measure>,
    aliases: usize,
    directives: usize,
    /// A fragment spreads itself, directly or through others.
    cycle: bool,
}

impl<'a> Counter<'a> {
    /// Whether any operation or fragment selects `__schema` or `__type`.
    fn introspects(&self) -> bool {
        fn any(set: &SelectionSet) -> bool {
            set.items.iter().any(|s| match &s.node {
                Selection::Field(f) => {
                    matches!(f.node.name.node.as_str(), "__schema" | "__type")
                        || any(&f.node.selection_set.node)
                }
                Selection::InlineFragment(i) => any(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => false,
            })
        }
        self.document
            .operations
            .iter()
            .any(|(_, op)| any(&op.node.selection_set.node))
            || self
                .document
                .fragments
                .values()
                .any(|f| any(&f.node.selection_set.node))
    }

    fn fragment(&mut self, name: &'a str, visiting: &mut Vec<&'a str>) -> Measure {
        if let Some(m) = self.fragments.get(name) {
            return *m;
        }
        // A cycle is invalid GraphQL: note it and stop here.
        if visiting.contains(&name) {
            self.cycle = true;
            return Measure::default();
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Measure::default();
        };
        visiting.push(key.as_str());
        let m = self.measure(&fragment.node.selection_set, visiting);
        visiting.pop();
        self.fragments.insert(key.as_str(), m);
        m
    }

    fn measure(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        visiting: &mut Vec<&'a str>,
    ) -> Measure {
        let mut depth = 0;
        let mut size = 0usize;
        for selection in &set.node.items {
            let m = match &selection.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    self.directives += f.directives.len();
                    if f.alias.is_some() {
                        self.aliases += 1;
                    }
                    if f.name.node.starts_with("__") && f.name.node != "__typename" {
                        Measure::default()
                    } else {
                        let inner = self.measure(&f.selection_set, visiting);
                        Measure {
                            depth: inner.depth + 1,
                            size: inner.size.saturating_add(1),
                        }
                    }
                }
                Selection::FragmentSpread(spread) => {
                    self.directives += spread.node.directives.len();
                    self.fragment(spread.node.fragment_name.node.as_str(), visiting)
                }
                Selection::InlineFragment(inline) => {
                    self.directives += inline.node.directives.len();
                    self.measure(&inline.node.selection_set, visiting)
                }
            };
            depth = depth.max(m.depth);
            size = size.saturating_add(m.size);
        }
        Measure { depth, size }
    }
}

/// Count lexical tokens (names, numbers, strings, punctuators), stopping once past `max`.
/// Whitespace, commas and comments are not tokens.
fn count_tokens(query: &str, max: usize) -> usize {
    let bytes = query.as_bytes();
    let mut i = 0;
    let mut count = 0;
    while i < bytes.len() && count <= max {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
                count += 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                count += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                i += 3;
                count += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || matches!(bytes[i], b'_' | b'-' | b'.' | b'+'))
                {
                    i += 1;
                }
                count += 1;
            }
            _ => {
                // A punctuator, or any other character (one token each; the parser
                // reports what is not GraphQL).
                i += query[i..].chars().next().map_or(1, char::len_utf8);
                count += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_depth: 4,
        max_complexity: 50,
        max_aliases: 2,
        max_directives: 2,
        max_tokens: 60,
        max_batch: 3,
        introspection: true,
    };

    #[test]
    fn tokens_are_counted_without_whitespace_comments_and_commas() {
        assert_eq!(count_tokens("{ a, b # c d e\n }", 100), 4);
        assert_eq!(count_tokens(r#"{ a(s: "x y \" z") }"#, 100), 8);
        assert_eq!(count_tokens("query Q($v: Int = -1) { ...F }", 100), 14);
        assert_eq!(count_tokens(r#"{ a(s: """x "" y""") }"#, 100), 8);
        assert!(count_tokens(&"{a}".repeat(10_000), 10) <= 11, "stops early");
    }

    #[test]
    fn each_limit_has_its_own_error() {
        assert_eq!(check("{ a { b } }", &LIMITS), Ok(()));
        let long = format!("{{ {} }}", "a ".repeat(70));
        assert_eq!(check(&long, &LIMITS), Err(LimitError::Tokens(60)));
        assert_eq!(
            check("{ x: a y: a z: a }", &LIMITS),
            Err(LimitError::Aliases(2))
        );
        assert_eq!(
            check(
                "{ a @skip(if: false) @include(if: true) b @skip(if: false) }",
                &LIMITS
            ),
            Err(LimitError::Directives(2))
        );
        assert_eq!(
            check("{ a { b { c { d { e } } } } }", &LIMITS),
            Err(LimitError::Depth(4))
        );
    }

    #[test]
    fn fragments_are_expanded_for_depth_and_size_but_measured_once() {
        assert_eq!(
            check(
                "{ a { ...F } } fragment F on T { b { c { d { e } } } }",
                &LIMITS
            ),
            Err(LimitError::Depth(4))
        );
        // Each level doubles: 2^6 = 64 fields after expansion from a tiny document.
        let bomb = "{ ...A } fragment A on Q { ...B ...B } fragment B on Q { ...C ...C } \
                    fragment C on Q { ...D ...D } fragment D on Q { ...E ...E } \
                    fragment E on Q { ...G ...G } fragment G on Q { a b }";
        let limits = Limits {
            max_tokens: 1000,
            ..LIMITS
        };
        assert_eq!(check(bomb, &limits), Err(LimitError::Complexity(50)));
        // A cycle does not loop; it is refused as invalid.
        assert_eq!(
            check(
                "{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }",
                &limits
            ),
            Err(LimitError::FragmentCycle)
        );
    }

    #[test]
    fn introspection_can_be_refused_even_inside_fragments() {
        let closed = Limits {
            introspection: false,
            ..LIMITS
        };
        assert_eq!(
            check(
                "{ ...F } fragment F on Query { __schema { queryType { name } } }",
                &closed
            ),
            Err(LimitError::Introspection)
        );
        assert_eq!(check("{ a { __typename } }", &closed), Ok(()));
    }

    #[test]
    fn introspection_is_exempt_from_depth() {
        let deep =
            "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }";
        assert_eq!(
            check(
                deep,
                &Limits {
                    max_tokens: 1000,
                    ..LIMITS
                }
            ),
            Ok(())
        );
    }
}
