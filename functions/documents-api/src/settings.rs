//! Tenant document settings (DOC-7, DOC-8): read by any user, changed by administrators.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use bridge_documents::{DocumentPlatform, MailOutputFormat, SettingsChange};
use bridge_http::{ApiError, ApiUser};
use serde::Deserialize;

use crate::ApiState;
use crate::errors::doc_error;
use crate::extract::JsonBody;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/api/settings", get(read).put(update))
}

/// `PUT /api/settings` body: the settings to change; absent fields stay. Unknown fields are a
/// 400, so a typo never looks like a successful change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    document_platform: Option<DocumentPlatform>,
    mail_output_format: Option<MailOutputFormat>,
    save_generated_letters: Option<bool>,
}

async fn read(auth: ApiUser, State(s): State<ApiState>) -> Result<impl IntoResponse, ApiError> {
    let settings = s.docs.settings(auth.tenant).await.map_err(doc_error)?;
    Ok(axum::Json(settings))
}

async fn update(
    auth: ApiUser,
    State(s): State<ApiState>,
    JsonBody(c): JsonBody<Change>,
) -> Result<impl IntoResponse, ApiError> {
    let change = SettingsChange {
        document_platform: c.document_platform,
        mail_output_format: c.mail_output_format,
        save_generated_letters: c.save_generated_letters,
    };
    let settings = s
        .docs
        .update_settings(auth.tenant, &auth.user, change)
        .await
        .map_err(doc_error)?;
    Ok(axum::Json(settings))
}
