//! Route table.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::error::GraphError;
use crate::handlers::collection::{Contacts, Events};
use crate::handlers::{batch, collection, events, mail, subscriptions, users};
use crate::shared::Shared;
use crate::{auth, idp};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    const FOLDER: &str = "/v1.0/users/{user}/contactFolders/{folder}";
    const CAL: &str = "/v1.0/users/{user}/calendars/{folder}";
    let graph = Router::new()
        .route("/v1.0/users", get(users::list))
        .route("/v1.0/users/{user}", get(users::get))
        .route(
            "/v1.0/users/{user}/contactFolders",
            get(collection::list_folders::<Contacts>).post(collection::create_folder::<Contacts>),
        )
        .route(FOLDER, get(collection::get_folder::<Contacts>))
        .route(
            &format!("{FOLDER}/contacts"),
            get(collection::list_in_folder::<Contacts>)
                .post(collection::create_in_folder::<Contacts>),
        )
        .route(
            &format!("{FOLDER}/contacts/delta"),
            get(collection::delta_in_folder::<Contacts>),
        )
        .route(
            &format!("{FOLDER}/contacts/{{contact}}"),
            get(collection::get_in_folder::<Contacts>)
                .patch(collection::patch_in_folder::<Contacts>)
                .delete(collection::delete_in_folder::<Contacts>),
        )
        .route(
            "/v1.0/users/{user}/contacts",
            get(collection::list_default::<Contacts>).post(collection::create_default::<Contacts>),
        )
        .route(
            "/v1.0/users/{user}/contacts/delta",
            get(collection::delta_default::<Contacts>),
        )
        .route(
            "/v1.0/users/{user}/contacts/{contact}",
            get(collection::get_any::<Contacts>)
                .patch(collection::patch_any::<Contacts>)
                .delete(collection::delete_any::<Contacts>),
        )
        .route(
            "/v1.0/users/{user}/calendars",
            get(collection::list_folders::<Events>).post(collection::create_folder::<Events>),
        )
        .route(CAL, get(collection::get_folder::<Events>))
        .route(
            &format!("{CAL}/events"),
            get(collection::list_in_folder::<Events>).post(collection::create_in_folder::<Events>),
        )
        .route(
            &format!("{CAL}/events/{{event}}"),
            get(collection::get_in_folder::<Events>)
                .patch(collection::patch_in_folder::<Events>)
                .delete(collection::delete_in_folder::<Events>),
        )
        .route(
            &format!("{CAL}/calendarView"),
            get(events::view_in_calendar),
        )
        .route(
            &format!("{CAL}/calendarView/delta"),
            get(collection::delta_in_folder::<Events>),
        )
        .route(
            "/v1.0/users/{user}/events",
            get(collection::list_default::<Events>).post(collection::create_default::<Events>),
        )
        .route(
            "/v1.0/users/{user}/events/{event}",
            get(collection::get_any::<Events>)
                .patch(collection::patch_any::<Events>)
                .delete(collection::delete_any::<Events>),
        )
        .route("/v1.0/users/{user}/calendarView", get(events::view_default))
        .route(
            "/v1.0/users/{user}/calendarView/delta",
            get(collection::delta_default::<Events>),
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
        .route("/{tenant}/oauth2/v2.0/authorize", get(idp::authorize))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(idp::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(idp::jwks))
        .route("/{tenant}/adminconsent", get(idp::admin_consent))
        .route("/{tenant}/v2.0/adminconsent", get(idp::admin_consent))
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
