//! Paging of lists: a request (cursor + size) and a page of results.
//!
//! Cursors are the store's opaque [`Cursor`]s: safe to hand to a browser, and refused when used
//! for another partition or list (so a cursor of tenant A is useless in tenant B).

use bridge_store::Cursor;

use crate::DocError;

/// Default page size.
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// Largest page size a caller may ask for.
pub const MAX_PAGE_SIZE: usize = 500;

/// Which page to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Continue after the page that returned this cursor; `None` for the first page.
    pub cursor: Option<Cursor>,
    /// Page size, 1..=[`MAX_PAGE_SIZE`].
    pub limit: usize,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            cursor: None,
            limit: DEFAULT_PAGE_SIZE,
        }
    }
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: usize) -> Self {
        PageRequest {
            cursor: None,
            limit,
        }
    }

    /// The page after `cursor`.
    pub fn after(cursor: Option<Cursor>, limit: usize) -> Self {
        PageRequest { cursor, limit }
    }

    pub(crate) fn checked_limit(&self) -> Result<usize, DocError> {
        if self.limit == 0 || self.limit > MAX_PAGE_SIZE {
            return Err(DocError::InvalidInput(format!(
                "page size must be 1..={MAX_PAGE_SIZE}"
            )));
        }
        Ok(self.limit)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    /// The items, in list order.
    pub items: Vec<T>,
    /// Present when more items may follow (the next page may turn out empty).
    pub next: Option<Cursor>,
}
