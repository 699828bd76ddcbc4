//! Contact folders, contacts (CRUD with `If-Match`) and contact delta.

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

const C: Coll = Coll::Contacts;

/// `GET /users/{u}/contactFolders`
pub(crate) async fn list_folders(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> R {
    items::list_folders(&s, &c, C, &user, &q)
}

/// `POST /users/{u}/contactFolders` `{"displayName"}`
pub(crate) async fn create_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Json(body): Json<Value>,
) -> R {
    items::create_folder(&s, &c, C, &user, body)
}

/// `GET /users/{u}/contactFolders/{f}`
pub(crate) async fn get_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
) -> R {
    items::get_folder(&s, &c, C, &user, &folder)
}

/// `GET /users/{u}/contactFolders/{f}/contacts`
pub(crate) async fn list_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> R {
    items::list(&s, &c, C, &user, Some(&folder), &q)
}

/// `GET /users/{u}/contacts` (default folder)
pub(crate) async fn list_default(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> R {
    items::list(&s, &c, C, &user, None, &q)
}

/// `POST /users/{u}/contactFolders/{f}/contacts`
pub(crate) async fn create_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> R {
    items::create(&s, &c, C, &user, Some(&folder), body)
}

/// `POST /users/{u}/contacts`
pub(crate) async fn create_default(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Json(body): Json<Value>,
) -> R {
    items::create(&s, &c, C, &user, None, body)
}

/// `GET /users/{u}/contactFolders/{f}/contacts/{c}`
pub(crate) async fn get_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
) -> R {
    items::get(&s, &c, C, &user, Some(&folder), &id)
}

/// `GET /users/{u}/contacts/{c}`
pub(crate) async fn get_any(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
) -> R {
    items::get(&s, &c, C, &user, None, &id)
}

/// `PATCH /users/{u}/contactFolders/{f}/contacts/{c}`
pub(crate) async fn patch_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> R {
    items::patch(&s, &c, C, (&user, Some(&folder), &id), &headers, body)
}

/// `PATCH /users/{u}/contacts/{c}`
pub(crate) async fn patch_any(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> R {
    items::patch(&s, &c, C, (&user, None, &id), &headers, body)
}

/// `DELETE /users/{u}/contactFolders/{f}/contacts/{c}`
pub(crate) async fn delete_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> R {
    items::delete(&s, &c, C, (&user, Some(&folder), &id), &headers)
}

/// `DELETE /users/{u}/contacts/{c}`
pub(crate) async fn delete_any(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> R {
    items::delete(&s, &c, C, (&user, None, &id), &headers)
}

/// `GET /users/{u}/contactFolders/{f}/contacts/delta`
pub(crate) async fn delta_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Query(q): Query<Params>,
    headers: HeaderMap,
) -> R {
    items::delta_page(&s, &c, C, (&user, Some(&folder)), &q, &headers)
}

/// `GET /users/{u}/contacts/delta` (default folder)
pub(crate) async fn delta_default(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
    headers: HeaderMap,
) -> R {
    items::delta_page(&s, &c, C, (&user, None), &q, &headers)
}
