//! Contact and calendarView delta: exact, driven by the collection's change log.
//!
//! A token encodes (folder, since-seq, upto-seq, offset, initial?, epoch, window). A round lists
//! the items touched in `(since, upto]` in the folder, ordered by their last change, and pages
//! over that (deterministic) list. Initial rounds omit deleted items (and, for calendarView, items
//! outside the window); later rounds report them as `@removed`.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::mailbox::Store;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    f: String,
    s: u64,
    u: u64,
    o: usize,
    i: bool,
    e: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    w: Option<(i64, i64)>,
}

impl Token {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(s: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// Why a delta request failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DeltaError {
    /// Token unknown/expired (→ 410 `syncStateNotFound`).
    SyncStateNotFound,
    /// Token malformed or for another folder (→ 400).
    BadToken,
}

/// One delta page.
#[derive(Debug)]
pub(crate) struct DeltaPage {
    pub items: Vec<Value>,
    /// `$skiptoken` for the next page.
    pub skip_token: Option<String>,
    /// `$deltatoken` ending the round.
    pub delta_token: Option<String>,
}

/// Where a delta round starts from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeltaRequest<'a> {
    pub folder_id: &'a str,
    pub skip_token: Option<&'a str>,
    pub delta_token: Option<&'a str>,
    pub page_size: usize,
    /// Mailbox delta epoch (see `invalidate_delta_tokens`).
    pub epoch: u64,
    /// calendarView window `[start, end)` in epoch ms, for an initial round.
    pub window: Option<(i64, i64)>,
}

/// Computes one page of delta over `store`.
pub(crate) fn delta(store: &Store, req: DeltaRequest<'_>) -> Result<DeltaPage, DeltaError> {
    let DeltaRequest {
        folder_id,
        skip_token,
        delta_token,
        page_size,
        epoch,
        window,
    } = req;
    let token = match (skip_token, delta_token) {
        (Some(t), _) => Token::decode(t).ok_or(DeltaError::BadToken)?,
        (None, Some(t)) => {
            let prev = Token::decode(t).ok_or(DeltaError::BadToken)?;
            Token {
                u: store.seq,
                o: 0,
                i: false,
                ..prev
            }
        }
        (None, None) => Token {
            f: folder_id.to_owned(),
            s: 0,
            u: store.seq,
            o: 0,
            i: true,
            e: epoch,
            w: window,
        },
    };
    if token.f != folder_id {
        return Err(DeltaError::BadToken);
    }
    if token.e != epoch {
        return Err(DeltaError::SyncStateNotFound);
    }
    // Items touched in (s, u], by last change.
    let mut last: HashMap<&str, u64> = HashMap::new();
    for c in store
        .log
        .iter()
        .filter(|c| c.seq > token.s && c.seq <= token.u && c.folder_id == folder_id)
    {
        last.insert(c.item_id.as_str(), c.seq);
    }
    let mut ids: Vec<(&str, u64)> = last.into_iter().collect();
    ids.sort_by_key(|(_, seq)| *seq);

    let page_size = page_size.max(1);
    let end = (token.o + page_size).min(ids.len());
    let mut items = Vec::new();
    for (id, _) in ids.get(token.o..end).unwrap_or_default() {
        let in_window = |span: Option<(i64, i64)>| match (token.w, span) {
            (None, _) => true,
            (Some((ws, we)), Some((s, e))) => s < we && (e > ws || (s == e && s >= ws)),
            (Some(_), None) => false,
        };
        match store.items.get(*id) {
            Some(item) if item.folder_id == folder_id && in_window(item.span()) => {
                items.push(item.to_json());
            }
            _ if !token.i => {
                items.push(json!({ "id": id, "@removed": { "reason": "deleted" } }));
            }
            _ => {}
        }
    }
    if end < ids.len() {
        Ok(DeltaPage {
            items,
            skip_token: Some(Token { o: end, ..token }.encode()),
            delta_token: None,
        })
    } else {
        let next = Token {
            s: token.u,
            o: 0,
            i: false,
            ..token
        };
        Ok(DeltaPage {
            items,
            skip_token: None,
            delta_token: Some(next.encode()),
        })
    }
}
