//! Handlers shared by contacts and events: folders (contact folders / calendars), items
//! (CRUD with `If-Match`) and delta. Each is generic over the collection [`Kind`], so the two
//! collections are routed to one implementation (`contacts` paths shown; calendars and events
//! are the same with their own names).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::HeaderMap;
use serde_json::Value;

use super::Params;
use super::items::{self, R};
use crate::auth::Caller;
use crate::mailbox::Coll;
use crate::shared::Shared;

/// Which collection a generic handler serves.
pub(crate) trait Kind: Send + Sync + 'static {
    /// The collection.
    const C: Coll;
}

/// Contact folders and contacts.
pub(crate) struct Contacts;

impl Kind for Contacts {
    const C: Coll = Coll::Contacts;
}

/// Calendars and events.
pub(crate) struct Events;

impl Kind for Events {
    const C: Coll = Coll::Events;
}

/// `GET /users/{u}/contactFolders`
pub(crate) async fn list_folders<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> R {
    items::list_folders(&s, &c, K::C, &user, &q)
}

/// `POST /users/{u}/contactFolders` `{"displayName"}`
pub(crate) async fn create_folder<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Json(body): Json<Value>,
) -> R {
    items::create_folder(&s, &c, K::C, &user, body)
}

/// `GET /users/{u}/contactFolders/{f}`
pub(crate) async fn get_folder<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
) -> R {
    items::get_folder(&s, &c, K::C, &user, &folder)
}

/// `GET /users/{u}/contactFolders/{f}/contacts`
pub(crate) async fn list_in_folder<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> R {
    items::list(&s, &c, K::C, &user, Some(&folder), &q)
}

/// `GET /users/{u}/contacts` (default folder)
pub(crate) async fn list_default<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> R {
    items::list(&s, &c, K::C, &user, None, &q)
}

/// `POST /users/{u}/contactFolders/{f}/contacts`
pub(crate) async fn create_in_folder<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> R {
    items::create(&s, &c, K::C, &user, Some(&folder), body)
}

/// `POST /users/{u}/contacts`
pub(crate) async fn create_default<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Json(body): Json<Value>,
) -> R {
    items::create(&s, &c, K::C, &user, None, body)
}

/// `GET /users/{u}/contactFolders/{f}/contacts/{c}`
pub(crate) async fn get_in_folder<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
) -> R {
    items::get(&s, &c, K::C, &user, Some(&folder), &id)
}

/// `GET /users/{u}/contacts/{c}`
pub(crate) async fn get_any<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
) -> R {
    items::get(&s, &c, K::C, &user, None, &id)
}

/// `PATCH /users/{u}/contactFolders/{f}/contacts/{c}`
pub(crate) async fn patch_in_folder<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> R {
    items::patch(&s, &c, K::C, (&user, Some(&folder), &id), &headers, body)
}

/// `PATCH /users/{u}/contacts/{c}`
pub(crate) async fn patch_any<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> R {
    items::patch(&s, &c, K::C, (&user, None, &id), &headers, body)
}

/// `DELETE /users/{u}/contactFolders/{f}/contacts/{c}`
pub(crate) async fn delete_in_folder<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> R {
    items::delete(&s, &c, K::C, (&user, Some(&folder), &id), &headers)
}

/// `DELETE /users/{u}/contacts/{c}`
pub(crate) async fn delete_any<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> R {
    items::delete(&s, &c, K::C, (&user, None, &id), &headers)
}

/// `GET /users/{u}/contactFolders/{f}/contacts/delta`
pub(crate) async fn delta_in_folder<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Query(q): Query<Params>,
    headers: HeaderMap,
) -> R {
    items::delta_page(&s, &c, K::C, (&user, Some(&folder)), &q, &headers)
}

/// `GET /users/{u}/contacts/delta` (default folder)
pub(crate) async fn delta_default<K: Kind>(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
    headers: HeaderMap,
) -> R {
    items::delta_page(&s, &c, K::C, (&user, None), &q, &headers)
}
