//! `wopi-contents`: WOPI GetFile (streamed) and PutFile on `/wopi/files/{id}/contents`. The
//! behaviour lives in `bridge-wopi-host`; this crate routes HTTP to it.

use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::routing::get;
use bridge_http::Readiness;
use bridge_platform::{Adapters, ConfigError};
use bridge_wopi::headers::{self, Operation, Route};
use bridge_wopi_host::http::{
    WopiState, body_stream, content_length, error, front, header, reply, streamed,
};
use bridge_wopi_host::{WopiError, WopiHost};

/// The function's name: its binary, its health route `/health/wopi-contents`, its log field.
pub const NAME: &str = "wopi-contents";

/// What this function depends on, checked by its health route.
pub fn readiness(adapters: &Adapters) -> Result<Readiness, ConfigError> {
    Ok(Readiness::new(NAME)
        .table(adapters.table.clone())
        .blobs(adapters.blobs.clone()))
}

/// The function's router.
pub fn router(adapters: &Adapters) -> Result<Router, ConfigError> {
    let wopi = Router::new()
        .route("/wopi/files/{id}/contents", get(contents).post(contents))
        .with_state(WopiState {
            host: adapters.wopi_host(),
            public_url: adapters.config.public_url.clone(),
        });
    Ok(readiness(adapters)?.route().merge(wopi))
}

async fn contents(
    State(state): State<WopiState>,
    method: Method,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
    hdrs: HeaderMap,
    body: Body,
) -> Response {
    let (_, token) = match front(&state, &uri, query.as_deref(), &hdrs) {
        Ok(f) => f,
        Err(e) => return error(e),
    };
    match run(&state.host, &method, &id, token, &hdrs, body).await {
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
) -> Result<Response, WopiError> {
    let op = Operation::resolve(
        Route::Contents,
        method.as_str(),
        header(hdrs, headers::OVERRIDE),
        false,
    )
    .map_err(|e| WopiError::new(e.status(), e.to_string()))?;
    bridge_http::request::record_operation(&format!("{op:?}"));
    let token = token.ok_or_else(|| WopiError::unauthorized("no access token"))?;
    let s = host.authorize(id, &token).await?;
    bridge_http::request::record_tenant(&s.tenant);
    match op {
        Operation::GetFile => {
            let (r, blob) = host
                .get_file(&s, header(hdrs, headers::MAX_EXPECTED_SIZE))
                .await?;
            Ok(streamed(r, blob.body, blob.meta.size))
        }
        Operation::PutFile => {
            let r = host
                .put_file(
                    &s,
                    header(hdrs, headers::LOCK),
                    content_length(hdrs),
                    body_stream(body),
                )
                .await?;
            Ok(reply(r))
        }
        _ => Err(WopiError::new(501, "not an operation of this route")),
    }
}
