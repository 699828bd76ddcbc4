//! `wopi-files`: WOPI CheckFileInfo and the `X-WOPI-Override` operations on
//! `/wopi/files/{id}` (locks, rename, delete, user info). The behaviour lives in
//! `bridge-wopi-host`; this crate routes HTTP to it.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::routing::get;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError};
use bridge_wopi::headers::{self, Operation, Route};
use bridge_wopi_host::http::{access_token, error, header, reply};
use bridge_wopi_host::{LockOp, WopiError, WopiHost};

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
        .with_state(adapters.wopi_host());
    Ok(readiness(adapters)?.route().merge(wopi))
}

async fn file(
    State(host): State<WopiHost>,
    method: Method,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    hdrs: HeaderMap,
    body: Bytes,
) -> Response {
    match run(&host, &method, &id, query.as_deref(), &hdrs, &body).await {
        Ok(r) => r,
        Err(e) => error(e),
    }
}

async fn run(
    host: &WopiHost,
    method: &Method,
    id: &str,
    query: Option<&str>,
    hdrs: &HeaderMap,
    body: &[u8],
) -> Result<Response, WopiError> {
    let op = Operation::resolve(
        Route::File,
        method.as_str(),
        header(hdrs, headers::OVERRIDE),
        hdrs.contains_key(headers::OLD_LOCK),
    )
    .map_err(|e| WopiError::new(e.status(), e.to_string()))?;
    bridge_http::request::record_operation(&format!("{op:?}"));
    let token =
        access_token(query, hdrs).ok_or_else(|| WopiError::unauthorized("no access token"))?;
    let s = host.authorize(id, &token).await?;
    bridge_http::request::record_tenant(&s.tenant);
    let lock = header(hdrs, headers::LOCK);
    let r = match op {
        Operation::CheckFileInfo => host.check_file_info(&s).await?,
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
            let text = std::str::from_utf8(body)
                .map_err(|_| WopiError::new(400, "UserInfo is not UTF-8"))?;
            host.put_user_info(&s, text).await?
        }
        Operation::PutRelativeFile => {
            return Err(WopiError::new(
                501,
                "PutRelativeFile is not implemented yet",
            ));
        }
        Operation::GetFile | Operation::PutFile => {
            return Err(WopiError::new(501, "not an operation of this route"));
        }
    };
    Ok(reply(r))
}
