//! Calendars, events (CRUD with `If-Match`, `transactionId`), calendarView and its delta.

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

const C: Coll = Coll::Events;

/// `GET /users/{u}/calendars`
pub(crate) async fn list_folders(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> R {
    items::list_folders(&s, &c, C, &user, &q)
}

/// `POST /users/{u}/calendars` `{"name"}`
pub(crate) async fn create_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Json(body): Json<Value>,
) -> R {
    items::create_folder(&s, &c, C, &user, body)
}

/// `GET /users/{u}/calendars/{f}`
pub(crate) async fn get_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
) -> R {
    items::get_folder(&s, &c, C, &user, &folder)
}

/// `GET /users/{u}/calendars/{f}/events`
pub(crate) async fn list_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> R {
    items::list(&s, &c, C, &user, Some(&folder), &q)
}

/// `GET /users/{u}/events` (primary calendar)
pub(crate) async fn list_default(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> R {
    items::list(&s, &c, C, &user, None, &q)
}

/// `POST /users/{u}/calendars/{f}/events`
pub(crate) async fn create_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> R {
    items::create(&s, &c, C, &user, Some(&folder), body)
}

/// `POST /users/{u}/events`
pub(crate) async fn create_default(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Json(body): Json<Value>,
) -> R {
    items::create(&s, &c, C, &user, None, body)
}

/// `GET /users/{u}/calendars/{f}/events/{e}`
pub(crate) async fn get_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
) -> R {
    items::get(&s, &c, C, &user, Some(&folder), &id)
}

/// `GET /users/{u}/events/{e}`
pub(crate) async fn get_any(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
) -> R {
    items::get(&s, &c, C, &user, None, &id)
}

/// `PATCH /users/{u}/calendars/{f}/events/{e}`
pub(crate) async fn patch_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> R {
    items::patch(&s, &c, C, (&user, Some(&folder), &id), &headers, body)
}

/// `PATCH /users/{u}/events/{e}`
pub(crate) async fn patch_any(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> R {
    items::patch(&s, &c, C, (&user, None, &id), &headers, body)
}

/// `DELETE /users/{u}/calendars/{f}/events/{e}`
pub(crate) async fn delete_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> R {
    items::delete(&s, &c, C, (&user, Some(&folder), &id), &headers)
}

/// `DELETE /users/{u}/events/{e}`
pub(crate) async fn delete_any(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> R {
    items::delete(&s, &c, C, (&user, None, &id), &headers)
}

/// `GET /users/{u}/calendars/{f}/calendarView/delta` (beta in Graph)
pub(crate) async fn delta_in_folder(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Query(q): Query<Params>,
    headers: HeaderMap,
) -> R {
    items::delta_page(&s, &c, C, (&user, Some(&folder)), &q, &headers)
}

/// `GET /users/{u}/calendarView/delta` (primary calendar)
pub(crate) async fn delta_default(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
    headers: HeaderMap,
) -> R {
    items::delta_page(&s, &c, C, (&user, None), &q, &headers)
}

/// `GET /users/{u}/calendarView` (primary calendar)
pub(crate) async fn view_default(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> R {
    items::calendar_view(&s, &c, &user, None, &q)
}

/// `GET /users/{u}/calendars/{f}/calendarView`
pub(crate) async fn view_in_calendar(
    State(s): State<Arc<Shared>>,
    Extension(c): Extension<Caller>,
    Path((user, folder)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> R {
    items::calendar_view(&s, &c, &user, Some(&folder), &q)
}
