//! `wopi-files`: WOPI CheckFileInfo and the `X-WOPI-Override` operations on
//! `/wopi/files/{id}` (locks, rename, delete, user info). The behaviour lives in
//! `bridge-wopi-host`; this crate routes HTTP to it.

use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::routing::get;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError};
use bridge_wopi::headers::{self, Operation, Route};
use bridge_wopi_host::http::{WopiState, body_stream, content_length, error, front, header, reply};
use bridge_wopi_host::relative::RelativeRequest;
use bridge_wopi_host::{AppLinks, LockOp, WopiError, WopiHost};

/// Largest PutUserInfo body read (WOPI allows 1024 characters).
const MAX_USER_INFO_BODY: usize = 4096;

/// The function's name: its binary, its health route `/health/wopi-files`, its log field.
pub const NAME: &str = "wopi-files";

/// What this function depends on, checked by its health route.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::new(NAME)
        .table(adapters.table.clone())
        .blobs(adapters.blobs.clone()))
}

/// The function's router.
pub fn router(adapters: &Adapters) -> Result<Router, ConfigError> {
    let wopi = Router::new()
        .route("/wopi/files/{id}", get(file).post(file))
        .with_state(WopiState {
            host: adapters.wopi_host(),
            public_url: adapters.config.public_url.clone(),
        });
    Ok(readiness(adapters)?.route().merge(wopi))
}

async fn file(
    State(state): State<WopiState>,
    method: Method,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
    hdrs: HeaderMap,
    body: Body,
) -> Response {
    let (base, token) = match front(&state, &uri, query.as_deref(), &hdrs) {
        Ok(f) => f,
        Err(e) => return error(e),
    };
    match run(&state.host, &method, &id, token, &hdrs, body, &base).await {
        Ok(r) => r,
        Err(e) => error(e),
    }
}

async fn run(
    host: &WopiHost,
    method: &Method,
    id: &str,
    token: Option<String>,
    hdrs: &HeaderMap,
    body: Body,
    base: &str,
) -> Result<Response, WopiError> {
    let op = Operation::resolve(
        Route::File,
        method.as_str(),
        header(hdrs, headers::OVERRIDE),
        hdrs.contains_key(headers::OLD_LOCK),
    )
    .map_err(|e| WopiError::new(e.status(), e.to_string()))?;
    bridge_http::request::record_operation(&format!("{op:?}"));
    let token = token.ok_or_else(|| WopiError::unauthorized("no access token"))?;
    let s = host.authorize(id, &token).await?;
    bridge_http::request::record_tenant(&s.tenant);
    let lock = header(hdrs, headers::LOCK);
    let r = match op {
        Operation::CheckFileInfo => host.check_file_info(&s, &AppLinks::new(base)).await?,
        Operation::Lock => host.lock_op(&s, LockOp::Lock, lock, None).await?,
        Operation::UnlockAndRelock => {
            host.lock_op(
                &s,
                LockOp::UnlockAndRelock,
                lock,
                header(hdrs, headers::OLD_LOCK),
            )
            .await?
        }
        Operation::Unlock => host.lock_op(&s, LockOp::Unlock, lock, None).await?,
        Operation::RefreshLock => host.lock_op(&s, LockOp::RefreshLock, lock, None).await?,
        Operation::GetLock => host.lock_op(&s, LockOp::GetLock, None, None).await?,
        Operation::RenameFile => {
            host.rename(&s, lock, header(hdrs, headers::REQUESTED_NAME))
                .await?
        }
        Operation::DeleteFile => host.delete(&s).await?,
        Operation::PutUserInfo => {
            let bytes = axum::body::to_bytes(body, MAX_USER_INFO_BODY)
                .await
                .map_err(|_| WopiError::new(400, "UserInfo body too large or unreadable"))?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| WopiError::new(400, "UserInfo is not UTF-8"))?;
            host.put_user_info(&s, text).await?
        }
        Operation::PutRelativeFile => {
            let size = header(hdrs, headers::SIZE)
                .and_then(|v| v.trim().parse().ok())
                .or_else(|| content_length(hdrs));
            let req = RelativeRequest {
                suggested: header(hdrs, headers::SUGGESTED_TARGET),
                relative: header(hdrs, headers::RELATIVE_TARGET),
                overwrite: header(hdrs, headers::OVERWRITE_RELATIVE_TARGET),
                size,
                conversion: hdrs.contains_key(headers::FILE_CONVERSION),
                wopi_base: base,
            };
            host.put_relative(&s, req, body_stream(body)).await?
        }
        Operation::GetFile | Operation::PutFile => {
            return Err(WopiError::new(501, "not an operation of this route"));
        }
    };
    Ok(reply(r))
}
