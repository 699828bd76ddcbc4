//! The axum side of the WOPI host, shared by `wopi-files` and `wopi-contents`: reading the token
//! and headers, and turning [`Reply`]/[`WopiError`] into responses.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bridge_blobs::ByteStream;
use futures::TryStreamExt;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::{Reply, WopiError};

/// The access token: the `access_token` query parameter (what Office always sends), else an
/// `Authorization: Bearer` header.
pub fn access_token(raw_query: Option<&str>, headers: &HeaderMap) -> Option<String> {
    let from_query = raw_query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    });
    from_query.filter(|t| !t.is_empty()).or_else(|| {
        headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string)
            .filter(|t| !t.is_empty())
    })
}

/// A header as text, if present and valid (present-but-empty counts as present).
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The declared body length (`Content-Length`), if any.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    header(headers, http::header::CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse().ok())
}

/// An axum request body as the blob port's byte stream (never buffered whole).
pub fn body_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

fn set_headers(resp: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            resp.headers_mut().insert(HeaderName::from_static(name), v);
        }
    }
}

/// A reply as a response: JSON body when there is one.
pub fn reply(r: Reply) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match r.body {
        Some(json) => (status, axum::Json(json)).into_response(),
        None => status.into_response(),
    };
    set_headers(&mut resp, &r.headers);
    resp
}

/// A streamed body with the reply's status and headers.
pub fn streamed(r: Reply, body: ByteStream, len: u64) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, Body::from_stream(body)).into_response();
    set_headers(&mut resp, &r.headers);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    resp.headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    resp
}

/// A refusal: the bare WOPI status, with the reason in `X-WOPI-ServerError` for the logs of
/// Office's operators (never a token or content).
pub fn error(e: WopiError) -> Response {
    if e.status >= 500 {
        tracing::error!(status = e.status, reason = %e.reason, "WOPI request failed");
    } else {
        tracing::info!(status = e.status, reason = %e.reason, "WOPI request refused");
    }
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = status.into_response();
    set_headers(&mut resp, &[(bridge_wopi::headers::SERVER_ERROR, e.reason)]);
    resp
}

/// Where WOPI sources live: the configured public URL, else the scheme and host the request
/// came in on (API Gateway and load balancers set `X-Forwarded-Proto`).
pub fn wopi_base(public_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(u) = public_url {
        return u.trim_end_matches('/').to_string();
    }
    let proto = header(headers, "x-forwarded-proto").unwrap_or("http");
    let host = header(headers, "host").unwrap_or("localhost");
    format!("{proto}://{host}")
}

/// Verifies Office's proof (when the host enforces proof keys) for a request to `uri` (path and
/// raw query as received) under `base`.
pub fn check_proof(
    host: &crate::WopiHost,
    base: &str,
    uri: &http::Uri,
    access_token: &str,
    headers: &HeaderMap,
) -> Result<(), WopiError> {
    let path_and_query = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    let url = format!("{base}{path_and_query}");
    host.check_proof(
        access_token,
        &url,
        header(headers, bridge_wopi::headers::TIMESTAMP),
        header(headers, bridge_wopi::headers::PROOF),
        header(headers, bridge_wopi::headers::PROOF_OLD),
    )
}

/// The state of both WOPI routers.
#[derive(Debug, Clone)]
pub struct WopiState {
    /// The host service.
    pub host: crate::WopiHost,
    /// `BRIDGE_PUBLIC_URL`; without it the public URL comes from the request's Host.
    pub public_url: Option<String>,
}

/// What every WOPI request goes through first: the public base URL, the access token, and the
/// proof-key check (before any state is read). Returns the base and the token, if any.
pub fn front(
    state: &WopiState,
    uri: &http::Uri,
    raw_query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(String, Option<String>), WopiError> {
    let base = wopi_base(state.public_url.as_deref(), headers);
    let token = access_token(raw_query, headers);
    if let Some(t) = &token {
        check_proof(&state.host, &base, uri, t, headers)?;
    }
    Ok((base, token))
}
