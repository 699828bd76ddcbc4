//! `POST /users/{id}/sendMail` into an inspectable outbox.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::object;
use crate::auth::Caller;
use crate::error::GraphError;
use crate::notify::SentMail;
use crate::shared::Shared;

/// `POST /v1.0/users/{id}/sendMail` → 202, message appended to the outbox.
pub(crate) async fn send_mail(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(user): Path<String>,
    Json(body): Json<Value>,
) -> Result<StatusCode, GraphError> {
    let mut body = object(body)?;
    let Some(Value::Object(message)) = body.remove("message") else {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "The 'message' parameter is required.",
        ));
    };
    let recipients: usize = ["toRecipients", "ccRecipients", "bccRecipients"]
        .iter()
        .filter_map(|k| message.get(*k).and_then(Value::as_array))
        .map(Vec::len)
        .sum();
    if recipients == 0 {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid.",
        ));
    }
    let save = body
        .get("saveToSentItems")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut st = shared.lock();
    let user_id = st.resolve_user(Some(&caller.tenant_id), &user)?;
    st.outbox.push(SentMail {
        user_id,
        message: Value::Object(message),
        save_to_sent_items: save,
    });
    Ok(StatusCode::ACCEPTED)
}
