//! Relay cursor connections with offset cursors. Cursors are opaque to clients; a page
//! holds at most [`MAX_PAGE_SIZE`] items and asking for more is a `BAD_USER_INPUT` error.

use async_graphql::{
    OutputType, SimpleObject,
    connection::{Connection, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::errors::ApiError;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// Extra fields every connection carries.
#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// Number of items in the whole list, across all pages.
    pub total_count: u64,
}

/// A connection type with `totalCount`.
pub type Paged<T> = Connection<String, T, ConnectionTotals>;

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
                return Err(ApiError::bad_input("first", "`first` must not be negative"));
            }
            Some(n) if n as usize > MAX_PAGE_SIZE => {
                return Err(ApiError::bad_input(
                    "first",
                    format!("`first` is {n}, but a page holds at most {MAX_PAGE_SIZE} items"),
                ));
            }
            Some(n) => n as usize,
        };
        let offset = match after {
            None => 0,
            Some(cursor) => {
                decode_cursor(cursor)
                    .ok_or_else(|| ApiError::bad_input("after", "`after` is not a valid cursor"))?
                    + 1
            }
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
    text.strip_prefix("o:")?.parse().ok()
}

/// Build a connection from one page of items that starts at `page.offset`.
pub fn connection<T: OutputType>(items: Vec<T>, page: Page, total: u64) -> Paged<T> {
    let end = page.offset as u64 + items.len() as u64;
    let mut connection = Connection::with_additional_fields(
        page.offset > 0,
        end < total,
        ConnectionTotals { total_count: total },
    );
    connection.edges.extend(
        items
            .into_iter()
            .enumerate()
            .map(|(i, node)| Edge::new(encode_cursor(page.offset + i), node)),
    );
    connection
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
