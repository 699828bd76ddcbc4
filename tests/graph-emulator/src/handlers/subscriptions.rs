//! `/subscriptions`: create (with validation handshakes), renew, delete, list, get.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::object;
use crate::auth::Caller;
use crate::error::GraphError;
use crate::notify::{SubTarget, Subscription, parse_resource, validate_url};
use crate::shared::Shared;
use crate::time::{now_millis, parse_millis};

/// Outlook resources: at most 4,230 minutes.
pub(crate) const MAX_LIFETIME_MS: i64 = 4230 * 60 * 1000;
/// Shorter requested lifetimes are bumped to 45 minutes.
const MIN_LIFETIME_MS: i64 = 45 * 60 * 1000;

type R = Result<Response, GraphError>;

fn invalid(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "InvalidRequest", message)
}

fn str_field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn expiration(body: &Map<String, Value>) -> Result<i64, GraphError> {
    let raw = str_field(body, "expirationDateTime")
        .ok_or_else(|| invalid("expirationDateTime is required."))?;
    let exp =
        parse_millis(raw).ok_or_else(|| invalid("expirationDateTime is not a valid date."))?;
    let now = now_millis();
    if exp <= now {
        return Err(invalid("Subscription expiration must be in the future."));
    }
    if exp - now > MAX_LIFETIME_MS {
        return Err(invalid(
            "Subscription expiration can only be 4230 minutes in the future.",
        ));
    }
    Ok(exp.max(now + MIN_LIFETIME_MS))
}

fn http_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// `POST /v1.0/subscriptions`
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<Value>,
) -> R {
    let body = object(body)?;
    let change_type = str_field(&body, "changeType")
        .ok_or_else(|| invalid("changeType is required."))?
        .to_owned();
    if change_type
        .split(',')
        .any(|c| !["created", "updated", "deleted"].contains(&c.trim()))
    {
        return Err(invalid(format!("Invalid changeType '{change_type}'.")));
    }
    let notification_url = str_field(&body, "notificationUrl")
        .filter(|u| http_url(u))
        .ok_or_else(|| invalid("notificationUrl must be an http(s) URL."))?
        .to_owned();
    let lifecycle_url = str_field(&body, "lifecycleNotificationUrl").map(str::to_owned);
    if lifecycle_url.as_deref().is_some_and(|u| !http_url(u)) {
        return Err(invalid("lifecycleNotificationUrl must be an http(s) URL."));
    }
    let client_state = str_field(&body, "clientState").map(str::to_owned);
    if client_state.as_ref().is_some_and(|c| c.len() > 128) {
        return Err(invalid("clientState is limited to 128 characters."));
    }
    let resource = str_field(&body, "resource")
        .ok_or_else(|| invalid("resource is required."))?
        .to_owned();
    let (user_ref, target) = parse_resource(&resource)
        .ok_or_else(|| invalid(format!("Unsupported resource '{resource}'.")))?;
    let expiration_ms = expiration(&body)?;
    let user_id = {
        let st = shared.lock();
        let uid = st.resolve_user(Some(&caller.tenant_id), &user_ref)?;
        if let SubTarget::ContactFolder(f) = &target {
            st.user(&uid)?
                .mailbox
                .folder(crate::mailbox::Coll::Contacts, f)?;
        }
        uid
    };
    for url in std::iter::once(&notification_url).chain(lifecycle_url.as_ref()) {
        validate_url(&shared, url).await.map_err(|e| {
            invalid(format!(
                "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request. ({e})"
            ))
        })?;
    }
    let sub = Subscription {
        id: uuid::Uuid::new_v4().to_string(),
        app_id: caller.app_id,
        tenant_id: caller.tenant_id,
        user_id,
        resource,
        target,
        change_type,
        notification_url,
        lifecycle_url,
        client_state,
        expiration_ms,
    };
    let mut json = sub.to_json();
    json["@odata.context"] = json!(format!(
        "{}/$metadata#subscriptions/$entity",
        shared.graph_base()
    ));
    shared.lock().subscriptions.push(sub);
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

fn not_found(id: &str) -> GraphError {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("The object was not found: subscription {id}."),
    )
}

/// `GET /v1.0/subscriptions` (this app's only)
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
) -> R {
    let st = shared.lock();
    let value: Vec<Value> = st
        .subscriptions
        .iter()
        .filter(|s| s.app_id == caller.app_id && s.tenant_id == caller.tenant_id)
        .map(Subscription::to_json)
        .collect();
    Ok(Json(json!({ "value": value })).into_response())
}

/// `GET /v1.0/subscriptions/{id}`
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> R {
    let st = shared.lock();
    let sub = st
        .subscriptions
        .iter()
        .find(|s| s.id == id && s.app_id == caller.app_id)
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(sub.to_json()).into_response())
}

/// `PATCH /v1.0/subscriptions/{id}` `{"expirationDateTime"}` (renew)
pub(crate) async fn renew(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> R {
    let exp = expiration(&object(body)?)?;
    let mut st = shared.lock();
    let sub = st
        .subscriptions
        .iter_mut()
        .find(|s| s.id == id && s.app_id == caller.app_id)
        .ok_or_else(|| not_found(&id))?;
    sub.expiration_ms = exp;
    Ok(Json(sub.to_json()).into_response())
}

/// `DELETE /v1.0/subscriptions/{id}`
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> R {
    let mut st = shared.lock();
    let before = st.subscriptions.len();
    st.subscriptions
        .retain(|s| !(s.id == id && s.app_id == caller.app_id));
    if st.subscriptions.len() == before {
        return Err(not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
