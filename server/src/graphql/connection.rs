//! Relay cursor connections with offset cursors, paged forwards (`first`/`after`) or
//! backwards (`last`/`before`) as the Relay cursor connections spec describes. Cursors are
//! opaque to clients; a page holds at most [`MAX_PAGE_SIZE`] items and asking for more is
//! a `BAD_USER_INPUT` error, as is giving both `first` and `last`.

use std::future::Future;

use async_graphql::connection::PageInfo;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::errors::ApiError;
use crate::domain::Param;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// The window of a list that a page covers: `limit` items from `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

/// How many items a page takes, and from which end of the range the cursors leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Take {
    First(usize),
    Last(usize),
}

/// The validated paging arguments of one connection field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageArgs {
    /// First offset after the `after` cursor.
    start: usize,
    /// Offset of the `before` cursor (exclusive end), if given.
    end: Option<usize>,
    take: Take,
}

fn size(name: &str, n: Option<i32>) -> Result<Option<usize>, ApiError> {
    match n {
        None => Ok(None),
        Some(n) if n < 0 => Err(ApiError::bad_input(
            name,
            format!("`{name}` must not be negative"),
        )
        .with("min", Param::Int(0))
        .with("max", Param::Int(MAX_PAGE_SIZE as i64))),
        Some(n) if n as usize > MAX_PAGE_SIZE => Err(ApiError::bad_input(
            name,
            format!("`{name}` is {n}, but a page holds at most {MAX_PAGE_SIZE} items"),
        )
        .with("min", Param::Int(0))
        .with("max", Param::Int(MAX_PAGE_SIZE as i64))),
        Some(n) => Ok(Some(n as usize)),
    }
}

fn cursor(name: &str, value: Option<&str>) -> Result<Option<usize>, ApiError> {
    value
        .map(|c| {
            decode_cursor(c)
                .ok_or_else(|| ApiError::bad_input(name, format!("`{name}` is not a valid cursor")))
        })
        .transpose()
}

impl PageArgs {
    /// Validate `first`/`after`/`last`/`before`. Both `first` and `last` at once is refused
    /// (the spec strongly discourages it); without either, a page holds
    /// [`DEFAULT_PAGE_SIZE`] items, taken from the end when only `before` is given.
    pub fn new(
        first: Option<i32>,
        after: Option<&str>,
        last: Option<i32>,
        before: Option<&str>,
    ) -> Result<Self, ApiError> {
        let first = size("first", first)?;
        let last = size("last", last)?;
        let start = match cursor("after", after)? {
            Some(a) => a
                .checked_add(1)
                .ok_or_else(|| ApiError::bad_input("after", "`after` is not a valid cursor"))?,
            None => 0,
        };
        let end = cursor("before", before)?;
        let take = match (first, last) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_input(
                    "last",
                    "give `first` (with `after`) to page forwards or `last` (with `before`) to \
                     page backwards, not both",
                ));
            }
            (Some(n), None) => Take::First(n),
            (None, Some(n)) => Take::Last(n),
            (None, None) if end.is_some() => Take::Last(DEFAULT_PAGE_SIZE),
            (None, None) => Take::First(DEFAULT_PAGE_SIZE),
        };
        Ok(Self { start, end, take })
    }

    /// Forward paging only (`first`/`after`), for tests and internal callers.
    pub fn forward(first: Option<i32>, after: Option<&str>) -> Result<Self, ApiError> {
        Self::new(first, after, None, None)
    }

    /// The window when it does not depend on the length of the list (no `last`).
    fn window_without_total(self) -> Option<Page> {
        match self.take {
            Take::First(n) => {
                let room = self.end.map_or(n, |end| end.saturating_sub(self.start));
                Some(Page {
                    offset: self.start,
                    limit: n.min(room),
                })
            }
            Take::Last(_) => None,
        }
    }

    /// The window over a list of `total` items.
    pub fn window(self, total: u64) -> Page {
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        match self.take {
            Take::First(_) => self.window_without_total().unwrap_or(Page {
                offset: self.start,
                limit: 0,
            }),
            Take::Last(n) => {
                let end = self.end.map_or(total, |e| e.min(total));
                let offset = end.saturating_sub(n).max(self.start);
                Page {
                    offset,
                    limit: end.saturating_sub(offset),
                }
            }
        }
    }

    /// Apply the arguments to a complete in-memory list.
    pub fn slice<T>(self, items: Vec<T>) -> (Vec<T>, Page, u64) {
        let total = items.len() as u64;
        let page = self.window(total);
        let items = items
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .collect();
        (items, page, total)
    }

    /// Fetch one page through `fetch(offset, limit)`, which returns the items and the
    /// total count. Backward paging without `before` needs the total first, so it asks
    /// once with a limit of 0.
    pub async fn fetch<T, E, F, Fut>(self, fetch: F) -> Result<(Vec<T>, Page, u64), E>
    where
        F: Fn(u64, u64) -> Fut,
        Fut: Future<Output = Result<(Vec<T>, u64), E>>,
    {
        let page = match self.window_without_total() {
            Some(page) => page,
            None => self.window(fetch(0, 0).await?.1),
        };
        let (items, total) = fetch(page.offset as u64, page.limit as u64).await?;
        Ok((items, page, total))
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
        pub struct $connection {
            /// The page's items with their cursors. `edges` and `nodes` are built from
            /// them only when selected, so `nodes` never copies an item.
            items: Vec<(String, $node)>,
            page_info: async_graphql::connection::PageInfo,
            total_count: u64,
        }

        #[doc = concat!("A page of ", $what, " (Relay cursor connection).")]
        #[async_graphql::Object]
        impl $connection {
            /// The items of this page, each with its cursor.
            async fn edges(&self) -> Vec<$edge> {
                self.items
                    .iter()
                    .map(|(cursor, node)| $edge {
                        cursor: cursor.clone(),
                        node: node.clone(),
                    })
                    .collect()
            }
            /// The items of this page, without cursors.
            async fn nodes(&self) -> Vec<&$node> {
                self.items.iter().map(|(_, node)| node).collect()
            }
            /// Where this page lies in the whole list.
            async fn page_info(&self) -> &async_graphql::connection::PageInfo {
                &self.page_info
            }
            /// Number of items in the whole list, across all pages.
            async fn total_count(&self) -> u64 {
                self.total_count
            }
        }

        #[doc = concat!("One of ", $what, " with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque cursor: pass it as `after` to get the items that follow, or as
            /// `before` to get those that precede.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl From<$crate::graphql::connection::Paged<$node>> for $connection {
            fn from(paged: $crate::graphql::connection::Paged<$node>) -> Self {
                Self {
                    items: paged.edges,
                    page_info: paged.page_info,
                    total_count: paged.total_count,
                }
            }
        }
    };
}

/// Cost of a paged list for the complexity limit: its children once per item asked for
/// (`first` or `last`; the larger when a refused request gives both).
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let asked = match (first, last) {
        (Some(f), Some(l)) => Some(f.max(l)),
        (f, l) => f.or(l),
    };
    let items = asked.map_or(DEFAULT_PAGE_SIZE, |n| {
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

    fn args(
        first: Option<i32>,
        after: Option<usize>,
        last: Option<i32>,
        before: Option<usize>,
    ) -> PageArgs {
        let after = after.map(encode_cursor);
        let before = before.map(encode_cursor);
        PageArgs::new(first, after.as_deref(), last, before.as_deref()).expect("valid")
    }

    #[test]
    fn forward_pages_and_cursors() {
        assert_eq!(
            args(Some(2), None, None, None).window(5),
            Page {
                offset: 0,
                limit: 2
            }
        );
        let next = args(Some(2), Some(1), None, None);
        assert_eq!(next.slice(vec![1, 2, 3, 4, 5]).0, vec![3, 4]);
        // `before` bounds a forward page.
        assert_eq!(
            args(Some(10), Some(0), None, Some(3))
                .slice(vec![1, 2, 3, 4, 5])
                .0,
            vec![2, 3]
        );
    }

    #[test]
    fn backward_pages_mirror_forward_ones() {
        let all = vec![1, 2, 3, 4, 5];
        assert_eq!(
            args(None, None, Some(2), None).slice(all.clone()).0,
            vec![4, 5]
        );
        assert_eq!(
            args(None, None, Some(2), Some(3)).slice(all.clone()).0,
            vec![2, 3]
        );
        assert_eq!(
            args(None, None, Some(9), Some(3)).slice(all.clone()).0,
            vec![1, 2, 3]
        );
        assert_eq!(
            args(None, Some(0), Some(9), Some(3)).slice(all.clone()).0,
            vec![2, 3]
        );
        // Only `before`: the default page size, from the end of the range.
        assert_eq!(
            args(None, None, None, Some(4)).slice(all.clone()).0,
            vec![1, 2, 3, 4]
        );
        // A stale `before` past the end is clamped to the list.
        assert_eq!(args(None, None, Some(2), Some(50)).slice(all).0, vec![4, 5]);
    }

    #[test]
    fn limits() {
        assert!(PageArgs::forward(Some(100), None).is_ok());
        assert!(PageArgs::forward(Some(101), None).is_err());
        assert!(PageArgs::forward(Some(-1), None).is_err());
        assert!(PageArgs::new(None, None, Some(101), None).is_err());
        assert!(PageArgs::new(None, None, Some(-1), None).is_err());
        assert!(PageArgs::new(Some(1), None, Some(1), None).is_err());
        assert!(PageArgs::forward(None, Some("nonsense")).is_err());
        assert!(PageArgs::new(None, None, None, Some("nonsense")).is_err());
        assert_eq!(
            PageArgs::forward(None, None)
                .map(|p| p.window(1000).limit)
                .ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
    }
}
