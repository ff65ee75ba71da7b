//! Abuse limits on GraphQL documents, checked on the raw text before anything runs, so a
//! malicious document never reaches a resolver or the database.
//!
//! Tokens are counted before parsing (a huge document is refused without building a
//! tree). Then aliases, directives, depth and the number of fields after expanding
//! fragments are counted on the parsed document, with each fragment measured once, so
//! fragment bombs cost linear time to detect. The weighted cost (lists cost `first` times
//! their items) is async-graphql's complexity check, configured in `build_schema`.
//! Introspection (`__schema`, `__type`) counts too: its depth has its own, higher limit
//! (the standard introspection query of GraphQL tooling nests `ofType` about nine levels
//! deep), and in its cost every list field (`types`, `fields`, `possibleTypes`, …)
//! multiplies what it selects by [`INTROSPECTION_LIST_COST`], so the standard query
//! passes while `possibleTypes { interfaces { possibleTypes … } } }` chains are refused.
//!
//! String values in arguments and variables are checked here as well: a control
//! character (other than tab, line feed and carriage return) is refused before anything
//! runs, so no such string ever reaches the database.
//!
//! Over 600 lines: every document check with its unit tests (the last 150 lines); the
//! counters share one walk over the parsed document and are kept together.

use std::{collections::HashMap, convert::Infallible};

use super::errors::ErrorCode;

use async_graphql::{
    Name, Value, Variables,
    parser::{
        Positioned,
        types::{Directive, ExecutableDocument, Field, Selection, SelectionSet},
    },
};

/// What one list field of the introspection schema multiplies its selection by, in the
/// cost. The standard introspection query nests three lists (`types`, `fields`, `args`):
/// it costs about 6 000 with this weight, a `possibleTypes`/`interfaces` chain of six
/// lists already 15 000.
pub const INTROSPECTION_LIST_COST: usize = 5;

/// The list fields of the introspection types (`__Schema`, `__Type`, `__Field`,
/// `__Directive`).
const INTROSPECTION_LISTS: &[&str] = &[
    "types",
    "directives",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "locations",
];

/// The configured limits (see `Config` for defaults).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Most fields after expanding fragments (introspection lists weighted).
    pub max_fields: usize,
    pub max_aliases: usize,
    pub max_directives: usize,
    pub max_tokens: usize,
    pub max_batch: usize,
    /// Whether `__schema` and `__type` may be asked for.
    pub introspection: bool,
    /// Deepest nesting below and including `__schema` / `__type`.
    pub max_introspection_depth: usize,
    /// Largest serialised response of one operation, in bytes.
    pub max_response_bytes: usize,
}

impl Limits {
    /// The limits a configuration sets (the configuration knows nothing of this type).
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_depth: config.graphql_max_depth,
            max_complexity: config.graphql_max_complexity,
            max_fields: config.graphql_max_fields,
            max_aliases: config.graphql_max_aliases,
            max_directives: config.graphql_max_directives,
            max_tokens: config.graphql_max_tokens,
            max_batch: config.graphql_max_batch,
            introspection: config.graphql_introspection,
            max_introspection_depth: config.graphql_max_introspection_depth,
            max_response_bytes: config.graphql_max_response_bytes,
        }
    }
}

/// Why a document was refused; each has its own `extensions.code`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitError {
    /// Each with what was measured, then the limit. Tokens are counted only until the
    /// count passes the limit.
    Tokens(usize, usize),
    Aliases(usize, usize),
    Directives(usize, usize),
    Depth(usize, usize),
    /// The weighted cost (see `README.md`, "Cost").
    Complexity(usize, usize),
    /// Fields after expanding fragments (introspection lists weighted).
    Fields(usize, usize),
    Batch(usize, usize),
    Introspection,
    /// Not a limit but invalid GraphQL, refused here because expanding it never ends.
    FragmentCycle,
    /// The answer would be larger than `max_response_bytes`.
    Response(usize),
}

impl LimitError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Tokens(..) => ErrorCode::TokenLimitExceeded,
            Self::Aliases(..) => ErrorCode::AliasLimitExceeded,
            Self::Directives(..) => ErrorCode::DirectiveLimitExceeded,
            Self::Depth(..) => ErrorCode::DepthLimitExceeded,
            Self::Complexity(..) | Self::Fields(..) => ErrorCode::ComplexityLimitExceeded,
            Self::Batch(..) => ErrorCode::BatchLimitExceeded,
            Self::Introspection => ErrorCode::IntrospectionDisabled,
            Self::FragmentCycle => ErrorCode::GraphqlValidationFailed,
            Self::Response(_) => ErrorCode::ResponseTooLarge,
        }
    }

    /// The numbers for `extensions`: what was measured, under its own name, and `limit`.
    pub fn numbers(&self) -> Vec<(&'static str, usize)> {
        let (name, found, max) = match *self {
            Self::Tokens(n, max) => ("tokens", n, max),
            Self::Aliases(n, max) => ("aliases", n, max),
            Self::Directives(n, max) => ("directives", n, max),
            Self::Depth(n, max) => ("depth", n, max),
            Self::Complexity(n, max) => ("cost", n, max),
            Self::Fields(n, max) => ("fields", n, max),
            Self::Batch(n, max) => ("operations", n, max),
            Self::Response(max) => return vec![("limit", max)],
            Self::Introspection | Self::FragmentCycle => return Vec::new(),
        };
        vec![(name, found), ("limit", max)]
    }

    pub fn message(&self) -> String {
        match self {
            Self::Tokens(_, max) => format!("the document has more than {max} tokens"),
            Self::Aliases(n, max) => {
                format!("the document uses {n} aliases; at most {max} are allowed")
            }
            Self::Directives(n, max) => {
                format!("the document uses {n} directives; at most {max} are allowed")
            }
            Self::Depth(n, max) => {
                format!("the query is nested {n} levels deep; at most {max} are allowed")
            }
            Self::Complexity(cost, max) => {
                format!("the query costs {cost}; at most {max} is allowed")
            }
            Self::Fields(n, max) => format!(
                "the query selects {n} fields with its fragments expanded; at most {max} are allowed"
            ),
            Self::Batch(n, max) => {
                format!("the batch holds {n} operations; at most {max} are allowed")
            }
            Self::Introspection => "introspection is disabled on this server".to_owned(),
            Self::FragmentCycle => {
                "a fragment spreads itself (directly or through others)".to_owned()
            }
            Self::Response(max) => format!(
                "the answer would be larger than {max} bytes; ask for fewer fields or items"
            ),
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
    let tokens = count_tokens(query, limits.max_tokens);
    if tokens > limits.max_tokens {
        return Err(LimitError::Tokens(tokens, limits.max_tokens));
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
    let mut introspection_depth = 0;
    let mut size = 0usize;
    for (_, op) in document.operations.iter() {
        counter.directives += op.node.directives.len();
        for var in &op.node.variable_definitions {
            counter.directives += var.node.directives.len();
        }
        let m = counter.measure(&op.node.selection_set, false, &mut Vec::new());
        depth = depth.max(m.depth);
        introspection_depth = introspection_depth.max(m.introspection_depth);
        size = size.saturating_add(m.size);
    }
    // Fragments that no operation uses still count towards aliases and directives.
    for (name, fragment) in &document.fragments {
        counter.directives += fragment.node.directives.len();
        let inside = fragment.node.type_condition.node.on.node.starts_with("__");
        counter.fragment(name.as_str(), inside, &mut Vec::new());
    }
    if counter.cycle {
        return Err(LimitError::FragmentCycle);
    }
    if counter.aliases > limits.max_aliases {
        return Err(LimitError::Aliases(counter.aliases, limits.max_aliases));
    }
    if counter.directives > limits.max_directives {
        return Err(LimitError::Directives(
            counter.directives,
            limits.max_directives,
        ));
    }
    if depth > limits.max_depth {
        return Err(LimitError::Depth(depth, limits.max_depth));
    }
    if introspection_depth > limits.max_introspection_depth {
        return Err(LimitError::Depth(
            introspection_depth,
            limits.max_introspection_depth,
        ));
    }
    if size > limits.max_fields {
        return Err(LimitError::Fields(size, limits.max_fields));
    }
    Ok(Some(document))
}

/// Depth and number of fields of a selection set with fragments expanded.
#[derive(Clone, Copy, Default)]
struct Measure {
    /// Deepest nesting of data fields.
    depth: usize,
    /// Deepest nesting of branches that enter `__schema` or `__type`.
    introspection_depth: usize,
    size: usize,
}

struct Counter<'a> {
    document: &'a ExecutableDocument,
    /// Each fragment is measured once per context (inside introspection or not); its
    /// aliases and directives are counted once.
    fragments: HashMap<(&'a str, bool), Measure>,
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

    fn fragment(&mut self, name: &'a str, inside: bool, visiting: &mut Vec<&'a str>) -> Measure {
        if let Some(m) = self.fragments.get(&(name, inside)) {
            return *m;
        }
        // Aliases and directives of a fragment are counted in its first context only.
        let counted = self.fragments.keys().any(|(n, _)| *n == name);
        let (aliases, directives) = (self.aliases, self.directives);
        // A cycle is invalid GraphQL: note it and stop here.
        if visiting.contains(&name) {
            self.cycle = true;
            return Measure::default();
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Measure::default();
        };
        visiting.push(key.as_str());
        let m = self.measure(&fragment.node.selection_set, inside, visiting);
        visiting.pop();
        if counted {
            (self.aliases, self.directives) = (aliases, directives);
        }
        self.fragments.insert((key.as_str(), inside), m);
        m
    }

    /// Measure a selection set; `inside` is whether it lies below `__schema` / `__type`.
    fn measure(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        inside: bool,
        visiting: &mut Vec<&'a str>,
    ) -> Measure {
        let mut depth = 0;
        let mut introspection_depth = 0;
        let mut size = 0usize;
        for selection in &set.node.items {
            let m = match &selection.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    self.directives += f.directives.len();
                    if f.alias.is_some() {
                        self.aliases += 1;
                    }
                    let name = f.name.node.as_str();
                    let enters = matches!(name, "__schema" | "__type");
                    let inner = self.measure(&f.selection_set, inside || enters, visiting);
                    let size = if inside && INTROSPECTION_LISTS.contains(&name) {
                        inner
                            .size
                            .saturating_add(1)
                            .saturating_mul(INTROSPECTION_LIST_COST)
                    } else {
                        inner.size.saturating_add(1)
                    };
                    if inside || enters {
                        Measure {
                            depth: 0,
                            introspection_depth: inner.depth.max(inner.introspection_depth) + 1,
                            size,
                        }
                    } else {
                        Measure {
                            depth: inner.depth + 1,
                            introspection_depth: if inner.introspection_depth > 0 {
                                inner.introspection_depth + 1
                            } else {
                                0
                            },
                            size,
                        }
                    }
                }
                Selection::FragmentSpread(spread) => {
                    self.directives += spread.node.directives.len();
                    self.fragment(spread.node.fragment_name.node.as_str(), inside, visiting)
                }
                Selection::InlineFragment(inline) => {
                    self.directives += inline.node.directives.len();
                    self.measure(&inline.node.selection_set, inside, visiting)
                }
            };
            depth = depth.max(m.depth);
            introspection_depth = introspection_depth.max(m.introspection_depth);
            size = size.saturating_add(m.size);
        }
        Measure {
            depth,
            introspection_depth,
            size,
        }
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

/// Whether a string holds a control character other than tab, line feed and carriage
/// return (NUL above all: PostgreSQL cannot store it and fails the whole statement).
fn has_forbidden_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_ascii_control() && c != '\u{7f}' && !matches!(c, '\t' | '\n' | '\r'))
}

/// Find a string with a forbidden control character in `value`; returns the name of the
/// nearest argument, input field or variable that holds it.
fn forbidden_in<'a>(value: &'a Value, field: &'a str) -> Option<&'a str> {
    match value {
        Value::String(s) if has_forbidden_control(s) => Some(field),
        Value::List(items) => items.iter().find_map(|item| forbidden_in(item, field)),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if has_forbidden_control(key) {
                Some(field)
            } else {
                forbidden_in(item, key.as_str())
            }
        }),
        _ => None,
    }
}

/// Check every string value in the document's arguments (fields and directives, in
/// operations and fragments), in variable defaults, and in the variables, nested input
/// objects and lists included. On a forbidden control character, the name of the
/// argument, input field or variable holding it.
pub fn forbidden_control(document: &ExecutableDocument, variables: &Variables) -> Option<String> {
    for (name, value) in variables.iter() {
        if has_forbidden_control(name) {
            return Some(String::new());
        }
        if let Some(field) = forbidden_in(value, name.as_str()) {
            return Some(field.to_owned());
        }
    }
    let mut found = None;
    for (_, op) in document.operations.iter() {
        for var in &op.node.variable_definitions {
            if let Some(default) = &var.node.default_value
                && let Some(field) = forbidden_in(&default.node, var.node.name.node.as_str())
            {
                return Some(field.to_owned());
            }
            directives_forbidden(&var.node.directives, &mut found);
        }
        directives_forbidden(&op.node.directives, &mut found);
        set_forbidden(&op.node.selection_set.node, &mut found);
    }
    for fragment in document.fragments.values() {
        directives_forbidden(&fragment.node.directives, &mut found);
        set_forbidden(&fragment.node.selection_set.node, &mut found);
    }
    found
}

fn set_forbidden(set: &SelectionSet, found: &mut Option<String>) {
    for selection in &set.items {
        if found.is_some() {
            return;
        }
        match &selection.node {
            Selection::Field(field) => field_forbidden(&field.node, found),
            Selection::FragmentSpread(spread) => {
                directives_forbidden(&spread.node.directives, found);
            }
            Selection::InlineFragment(inline) => {
                directives_forbidden(&inline.node.directives, found);
                set_forbidden(&inline.node.selection_set.node, found);
            }
        }
    }
}

fn field_forbidden(field: &Field, found: &mut Option<String>) {
    let arguments = field
        .arguments
        .iter()
        .map(|(name, value)| (name.node.as_str(), value.node.clone().into_const_with(null)));
    if arguments_forbidden(arguments, found) {
        return;
    }
    directives_forbidden(&field.directives, found);
    set_forbidden(&field.selection_set.node, found);
}

fn directives_forbidden(directives: &[Positioned<Directive>], found: &mut Option<String>) {
    for directive in directives {
        let arguments =
            directive.node.arguments.iter().map(|(name, value)| {
                (name.node.as_str(), value.node.clone().into_const_with(null))
            });
        if arguments_forbidden(arguments, found) {
            return;
        }
    }
}

/// Variables are checked on their own; in arguments they stand for nothing.
fn null(_: Name) -> Result<Value, Infallible> {
    Ok(Value::Null)
}

/// Whether an argument (name and value) holds a forbidden input field; the first one
/// found goes into `found`.
fn arguments_forbidden<'a>(
    arguments: impl Iterator<Item = (&'a str, Result<Value, Infallible>)>,
    found: &mut Option<String>,
) -> bool {
    for (name, value) in arguments {
        if let Ok(value) = value
            && let Some(field) = forbidden_in(&value, name)
        {
            *found = Some(field.to_owned());
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_depth: 4,
        max_complexity: 50,
        max_fields: 50,
        max_aliases: 2,
        max_directives: 2,
        max_tokens: 60,
        max_batch: 3,
        introspection: true,
        max_introspection_depth: 6,
        max_response_bytes: 1000,
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
        assert!(matches!(
            check(&long, &LIMITS),
            Err(LimitError::Tokens(_, 60))
        ));
        assert!(matches!(
            check("{ x: a y: a z: a }", &LIMITS),
            Err(LimitError::Aliases(_, 2))
        ));
        assert!(matches!(
            check(
                "{ a @skip(if: false) @include(if: true) b @skip(if: false) }",
                &LIMITS
            ),
            Err(LimitError::Directives(_, 2))
        ));
        assert!(matches!(
            check("{ a { b { c { d { e } } } } }", &LIMITS),
            Err(LimitError::Depth(_, 4))
        ));
    }

    #[test]
    fn fragments_are_expanded_for_depth_and_size_but_measured_once() {
        assert!(matches!(
            check(
                "{ a { ...F } } fragment F on T { b { c { d { e } } } }",
                &LIMITS
            ),
            Err(LimitError::Depth(_, 4))
        ));
        // Each level doubles: 2^6 = 64 fields after expansion from a tiny document.
        let bomb = "{ ...A } fragment A on Q { ...B ...B } fragment B on Q { ...C ...C } \
                    fragment C on Q { ...D ...D } fragment D on Q { ...E ...E } \
                    fragment E on Q { ...G ...G } fragment G on Q { a b }";
        let limits = Limits {
            max_tokens: 1000,
            ..LIMITS
        };
        assert!(matches!(
            check(bomb, &limits),
            Err(LimitError::Fields(_, 50))
        ));
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
    fn introspection_has_its_own_depth_and_lists_multiply_its_cost() {
        let limits = Limits {
            max_tokens: 1000,
            max_complexity: 1000,
            max_fields: 1000,
            ..LIMITS
        };
        // Deeper than data may go, within the introspection depth.
        let ok = "{ __schema { types { fields { type { ofType { name } } } } } }";
        assert_eq!(check(ok, &limits), Ok(()));
        let deep =
            "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }";
        assert!(matches!(check(deep, &limits), Err(LimitError::Depth(_, 6))));
        // Also through a fragment on an introspection type.
        let via_fragment = "{ __type(name: \"Q\") { ...T } } \
            fragment T on __Type { ofType { ofType { ofType { ofType { ofType { name } } } } } }";
        assert!(matches!(
            check(via_fragment, &limits),
            Err(LimitError::Depth(_, 6))
        ));
        // Three nested lists: 5 * (1 + 5 * (1 + 5 * 2)) + 1 = 281.
        let lists =
            "{ __type(name: \"Q\") { possibleTypes { interfaces { possibleTypes { name } } } } }";
        let roomy = Limits {
            max_complexity: 281,
            max_fields: 281,
            ..limits
        };
        assert_eq!(check(lists, &roomy), Ok(()));
        let tight = Limits {
            max_complexity: 280,
            max_fields: 280,
            ..limits
        };
        assert!(matches!(
            check(lists, &tight),
            Err(LimitError::Fields(_, 280))
        ));
        // A data field named like an introspection list is not multiplied.
        assert_eq!(check("{ a { fields { types { b } } } }", &tight), Ok(()));
    }

    #[test]
    fn control_characters_are_found_in_arguments_and_variables() {
        let parse = |q: &str| async_graphql::parser::parse_query(q).expect("parses");
        let none = Variables::default();
        let doc = parse("{ a(s: \"x\\u0000y\") }");
        assert_eq!(forbidden_control(&doc, &none), Some("s".to_owned()));
        let doc = parse("{ a(i: { list: [\"ok\", \"x\\u001by\"] }) }");
        assert_eq!(forbidden_control(&doc, &none), Some("list".to_owned()));
        let doc = parse("{ ...F } fragment F on Q { a @include(if: true) { b(s: \"\\u0001\") } }");
        assert_eq!(forbidden_control(&doc, &none), Some("s".to_owned()));
        let doc = parse("query($v: String = \"\\u0000\") { a(s: $v) }");
        assert_eq!(forbidden_control(&doc, &none), Some("v".to_owned()));
        let ok = parse("query($v: I) { a(s: \"tab\\tline\\nreturn\\r\", i: $v) }");
        assert_eq!(forbidden_control(&ok, &none), None);
        let vars = Variables::from_json(serde_json::json!({
            "v": { "name": "ok", "nested": [{ "email": "a\u{0}b" }] }
        }));
        assert_eq!(forbidden_control(&ok, &vars), Some("email".to_owned()));
        let vars = Variables::from_json(serde_json::json!({ "v": "line\nbreak\ttab" }));
        assert_eq!(forbidden_control(&ok, &vars), None);
    }
}
