//! Relay cursor connections with offset cursors. Cursors are opaque to clients; a page
//! holds at most [`MAX_PAGE_SIZE`] items and asking for more is a `BAD_USER_INPUT` error.

use async_graphql::connection::PageInfo;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::errors::ApiError;
use crate::domain::Param;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// The window a `first`/`after` pair selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self, ApiError> {
        let limit = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => {
                return Err(ApiError::bad_input("first", "`first` must not be negative")
                    .with("min", Param::Int(0))
                    .with("max", Param::Int(MAX_PAGE_SIZE as i64)));
            }
            Some(n) if n as usize > MAX_PAGE_SIZE => {
                return Err(ApiError::bad_input(
                    "first",
                    format!("`first` is {n}, but a page holds at most {MAX_PAGE_SIZE} items"),
                )
                .with("min", Param::Int(0))
                .with("max", Param::Int(MAX_PAGE_SIZE as i64)));
            }
            Some(n) => n as usize,
        };
        let offset = match after {
            None => 0,
            Some(cursor) => decode_cursor(cursor)
                .and_then(|o| o.checked_add(1))
                .ok_or_else(|| ApiError::bad_input("after", "`after` is not a valid cursor"))?,
        };
        Ok(Self { offset, limit })
    }

    /// Apply the window to a complete in-memory list.
    pub fn slice<T>(self, items: Vec<T>) -> (Vec<T>, u64) {
        let total = items.len() as u64;
        let items = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        (items, total)
    }
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let offset = text.strip_prefix("o:")?.parse().ok()?;
    // Only the canonical form: `o:+5` or `o:005` must not alias `o:5`.
    (encode_cursor(offset) == cursor).then_some(offset)
}

/// One page of items that starts at `page.offset`, with cursors, ready to become a
/// concrete connection type (see `crate::connection_types!`).
pub struct Paged<T> {
    pub edges: Vec<(String, T)>,
    pub page_info: PageInfo,
    pub total_count: u64,
}

pub fn connection<T>(items: Vec<T>, page: Page, total: u64) -> Paged<T> {
    let end = page.offset as u64 + items.len() as u64;
    let edges: Vec<(String, T)> = items
        .into_iter()
        .enumerate()
        .map(|(i, node)| (encode_cursor(page.offset + i), node))
        .collect();
    let page_info = PageInfo {
        has_previous_page: page.offset > 0,
        has_next_page: end < total,
        start_cursor: edges.first().map(|e| e.0.clone()),
        end_cursor: edges.last().map(|e| e.0.clone()),
    };
    Paged {
        edges,
        page_info,
        total_count: total,
    }
}

/// Declares `XConnection` and `XEdge` for a node type, with descriptions (async-graphql's
/// generic `Connection` type has none, and every public type must be described).
#[macro_export]
macro_rules! connection_types {
    ($connection:ident, $edge:ident, $node:ident, $what:literal) => {
        #[doc = concat!("A page of ", $what, " (Relay cursor connection).")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            /// The items of this page, each with its cursor.
            pub edges: Vec<$edge>,
            /// The items of this page, without cursors.
            pub nodes: Vec<$node>,
            /// Where this page lies in the whole list.
            pub page_info: async_graphql::connection::PageInfo,
            /// Number of items in the whole list, across all pages.
            pub total_count: u64,
        }

        #[doc = concat!("One of ", $what, " with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque cursor: pass it as `after` to get the items that follow.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl From<$crate::graphql::connection::Paged<$node>> for $connection {
            fn from(paged: $crate::graphql::connection::Paged<$node>) -> Self {
                let nodes = paged.edges.iter().map(|(_, node)| node.clone()).collect();
                Self {
                    edges: paged
                        .edges
                        .into_iter()
                        .map(|(cursor, node)| $edge { cursor, node })
                        .collect(),
                    nodes,
                    page_info: paged.page_info,
                    total_count: paged.total_count,
                }
            }
        }
    };
}

/// Cost of a paged list for the complexity limit: its children once per item asked for.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(DEFAULT_PAGE_SIZE, |n| {
        (n.max(0) as usize).min(MAX_PAGE_SIZE)
    });
    items
        .max(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// Cost of an unpaged list for the complexity limit, from its usual size.
pub fn list_cost(usual_len: usize, child_complexity: usize) -> usize {
    usual_len.saturating_mul(child_complexity).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_cursors() {
        let page = Page::new(Some(2), None).expect("valid");
        assert_eq!(
            page,
            Page {
                offset: 0,
                limit: 2
            }
        );
        let next = Page::new(Some(2), Some(&encode_cursor(1))).expect("valid");
        assert_eq!(next.offset, 2);
        assert_eq!(next.slice(vec![1, 2, 3, 4, 5]), (vec![3, 4], 5));
    }

    #[test]
    fn limits() {
        assert!(Page::new(Some(100), None).is_ok());
        assert!(Page::new(Some(101), None).is_err());
        assert!(Page::new(Some(-1), None).is_err());
        assert!(Page::new(None, Some("nonsense")).is_err());
        assert_eq!(
            Page::new(None, None).map(|p| p.limit).ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
    }
}
