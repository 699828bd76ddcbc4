//! The request span and request id.
//!
//! Every request runs in a span `request` with `request_id`, `method`, `path`, and the empty
//! fields `tenant` and `operation`, which handlers fill in with [`record_tenant`] and
//! [`record_operation`] as soon as they know them. The id comes from a well-formed incoming
//! `x-request-id`, else from the Lambda context, else is new; it is echoed in the `x-request-id`
//! response header and in every error body.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The header carrying the request id both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served, or `-` outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".into())
}

/// Records the tenant on the current request span.
pub fn record_tenant(tenant: &impl std::fmt::Display) {
    tracing::Span::current().record("tenant", tracing::field::display(tenant));
}

/// Records the request's route (`METHOD /matched/{path}`) as its operation.
pub fn record_route(parts: &http::request::Parts) {
    let operation = match parts.extensions.get::<axum::extract::MatchedPath>() {
        Some(p) => format!("{} {}", parts.method, p.as_str()),
        None => format!("{} {}", parts.method, parts.uri.path()),
    };
    record_operation(&operation);
}

/// Records the operation (e.g. `CheckFileInfo`) on the current request span.
pub fn record_operation(operation: &str) {
    tracing::Span::current().record("operation", operation);
}

/// Accepts an incoming id only if it is short and plain, so it cannot inject into logs.
fn well_formed(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn pick_request_id(req: &Request) -> String {
    let incoming = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Some(id) = incoming
        && well_formed(id)
    {
        return id.to_string();
    }
    if let Some(ctx) = req.extensions().get::<lambda_http::Context>()
        && well_formed(&ctx.request_id)
    {
        return ctx.request_id.clone();
    }
    uuid::Uuid::new_v4().to_string()
}

/// Path prefixes whose next segment is a secret (an e-mailed single-use link token).
const SECRET_SEGMENT_AFTER: [&str; 2] = ["/app/invitations/", "/app/relation-requests/"];

/// `path` as it may be logged: the token of an e-mailed link becomes `{token}`, so logs never
/// hold a usable link.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in SECRET_SEGMENT_AFTER {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            return format!("{prefix}{{token}}{tail}").into();
        }
    }
    path.into()
}

/// Middleware: opens the request span, scopes the request id, logs one line per request.
pub async fn request_context(req: Request, next: Next) -> Response {
    let id = pick_request_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %loggable_path(req.uri().path()),
        tenant = tracing::field::Empty,
        operation = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let fut = REQUEST_ID.scope(id.clone(), next.run(req));
    let mut response = async move {
        let response = fut.await;
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "request done"
        );
        response
    }
    .instrument(span)
    .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn link_tokens_never_reach_the_log() {
        assert_eq!(
            super::loggable_path("/app/invitations/abc123/accept"),
            "/app/invitations/{token}/accept"
        );
        assert_eq!(
            super::loggable_path("/app/relation-requests/abc123"),
            "/app/relation-requests/{token}"
        );
        assert_eq!(super::loggable_path("/app/users"), "/app/users");
    }
}
