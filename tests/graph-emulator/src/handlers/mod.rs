//! HTTP handlers for the Graph endpoints, and small helpers they share.

pub(crate) mod batch;
pub(crate) mod collection;
pub(crate) mod events;
pub(crate) mod items;
pub(crate) mod mail;
pub(crate) mod subscriptions;
pub(crate) mod users;

use std::collections::HashMap;

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use crate::error::GraphError;

/// Query parameters, keys verbatim (`$top`, `$skiptoken`, …).
pub(crate) type Params = HashMap<String, String>;

/// `odata.maxpagesize` from a `Prefer` header.
pub(crate) fn prefer_max_page_size(headers: &HeaderMap) -> Option<usize> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("odata.maxpagesize")
                .then(|| v.trim().trim_matches('"').parse().ok())
                .flatten()
        })
}

/// Parses a non-negative integer query parameter.
pub(crate) fn int_param(q: &Params, name: &str) -> Result<Option<usize>, GraphError> {
    q.get(name)
        .map(|v| {
            v.parse::<usize>()
                .map_err(|_| GraphError::bad_request(format!("Invalid value '{v}' for {name}")))
        })
        .transpose()
}

/// `If-Match` header value.
pub(crate) fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Requires a JSON object body.
pub(crate) fn object(body: Value) -> Result<Map<String, Value>, GraphError> {
    match body {
        Value::Object(m) => Ok(m),
        _ => Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        )),
    }
}

/// One page of a collection with `$top`/`$skip` paging; `link` is the collection URL.
pub(crate) fn paged(items: Vec<Value>, skip: usize, top: usize, link: &str) -> Value {
    let top = top.max(1);
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(skip).take(top).collect();
    let mut out = json!({ "@odata.context": link, "value": value });
    if skip + top < total {
        let sep = if link.contains('?') { '&' } else { '?' };
        out["@odata.nextLink"] =
            Value::String(format!("{link}{sep}$top={top}&$skip={}", skip + top));
    }
    out
}
