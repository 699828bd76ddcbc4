//! Route table.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::auth;
use crate::error::GraphError;
use crate::handlers::{batch, contacts, events, mail, subscriptions, users};
use crate::shared::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    const FOLDER: &str = "/v1.0/users/{user}/contactFolders/{folder}";
    const CAL: &str = "/v1.0/users/{user}/calendars/{folder}";
    let graph = Router::new()
        .route("/v1.0/users", get(users::list))
        .route("/v1.0/users/{user}", get(users::get))
        .route(
            "/v1.0/users/{user}/contactFolders",
            get(contacts::list_folders).post(contacts::create_folder),
        )
        .route(FOLDER, get(contacts::get_folder))
        .route(
            &format!("{FOLDER}/contacts"),
            get(contacts::list_in_folder).post(contacts::create_in_folder),
        )
        .route(
            &format!("{FOLDER}/contacts/delta"),
            get(contacts::delta_in_folder),
        )
        .route(
            &format!("{FOLDER}/contacts/{{contact}}"),
            get(contacts::get_in_folder)
                .patch(contacts::patch_in_folder)
                .delete(contacts::delete_in_folder),
        )
        .route(
            "/v1.0/users/{user}/contacts",
            get(contacts::list_default).post(contacts::create_default),
        )
        .route(
            "/v1.0/users/{user}/contacts/delta",
            get(contacts::delta_default),
        )
        .route(
            "/v1.0/users/{user}/contacts/{contact}",
            get(contacts::get_any)
                .patch(contacts::patch_any)
                .delete(contacts::delete_any),
        )
        .route(
            "/v1.0/users/{user}/calendars",
            get(events::list_folders).post(events::create_folder),
        )
        .route(CAL, get(events::get_folder))
        .route(
            &format!("{CAL}/events"),
            get(events::list_in_folder).post(events::create_in_folder),
        )
        .route(
            &format!("{CAL}/events/{{event}}"),
            get(events::get_in_folder)
                .patch(events::patch_in_folder)
                .delete(events::delete_in_folder),
        )
        .route(
            &format!("{CAL}/calendarView"),
            get(events::view_in_calendar),
        )
        .route(
            &format!("{CAL}/calendarView/delta"),
            get(events::delta_in_folder),
        )
        .route(
            "/v1.0/users/{user}/events",
            get(events::list_default).post(events::create_default),
        )
        .route(
            "/v1.0/users/{user}/events/{event}",
            get(events::get_any)
                .patch(events::patch_any)
                .delete(events::delete_any),
        )
        .route("/v1.0/users/{user}/calendarView", get(events::view_default))
        .route(
            "/v1.0/users/{user}/calendarView/delta",
            get(events::delta_default),
        )
        .route("/v1.0/users/{user}/sendMail", post(mail::send_mail))
        .route("/v1.0/$batch", post(batch::batch))
        .route(
            "/v1.0/subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        )
        .route(
            "/v1.0/subscriptions/{id}",
            get(subscriptions::get)
                .patch(subscriptions::renew)
                .delete(subscriptions::delete),
        )
        .route_layer(from_fn_with_state(Arc::clone(&shared), auth::guard));
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .merge(graph)
        .fallback(|| async {
            GraphError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Resource not found for the segment (not emulated).",
            )
            .into_response()
        })
        .with_state(shared)
}
