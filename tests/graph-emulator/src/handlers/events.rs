//! Calendar views of events (`calendarView` of the primary or a given calendar). Calendars,
//! events and their delta share the generic handlers of `collection`.

use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};

use super::Params;
use super::items::{self, R};
use crate::auth::Caller;
use crate::shared::Shared;

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
