//! Builds the HTTP request the validator would send for a `<Request>` element: URL, method,
//! headers (including the empty-header quirks) and body.

use crate::encoding::{
    append_or_replace_query_parameter, dotnet_bool, insert_path_suffix, query_parameter_value,
    url_key_value_encode, utf7_encode, utf7_target_header,
};
use crate::model::{Mutator, PutRelativeFileMode, Request, RequestKind, Suite};
use crate::state::State;

/// `User-Agent` the CLI sends for `OfficeNativeClient` cases.
pub const NATIVE_CLIENT_USER_AGENT: &str = "Microsoft Office WOPI Validator/1.0";

const STATE_PREFIX: &str = "$State:";

/// HTTP method of a prepared request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET (CheckFileInfo, GetFile, GetFromFileUrl).
    Get,
    /// POST (every other operation).
    Post,
}

/// A request ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    /// GET or POST.
    pub method: Method,
    /// Full URL including the query string.
    pub url: String,
    /// Headers in the order the validator adds them; values may be empty.
    pub headers: Vec<(String, String)>,
    /// Request body; POST requests always carry one (possibly empty, so `Content-Length: 0`).
    pub body: Option<Vec<u8>>,
    /// Whether the response is read as text (false only for GetFile).
    pub text_response: bool,
}

impl PreparedRequest {
    /// First header value with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Everything besides the request element needed to build a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// WopiSrc of the file under test.
    pub wopi_src: &'a str,
    /// Access token for it (unencoded).
    pub access_token: &'a str,
    /// `access_token_ttl` query value.
    pub access_token_ttl: u64,
    /// State saved so far in the test case.
    pub state: &'a State,
    /// The suite (for `ResourceId` bodies).
    pub suite: &'a Suite,
    /// `User-Agent` to send, if any.
    pub user_agent: Option<&'a str>,
}

/// Why a request could not be built; upstream most of these throw and abort the run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    /// `OverrideUrl="$State:Key"` but `Key` was never saved in this test case.
    #[error(
        "OverrideUrl refers to state key '{0}' that was never saved (did the request that saves it fail?)"
    )]
    MissingState(String),
    /// The request can only go to an `OverrideUrl` and there is none (DeleteFile,
    /// GetFromFileUrl), or the state value it refers to is empty.
    #[error("{request} has no target URL: {detail}")]
    NoUrl {
        /// Request name.
        request: String,
        /// Why.
        detail: String,
    },
    /// A body-carrying request has no `ResourceId`.
    #[error("{0} has no ResourceId attribute")]
    NoResourceId(String),
    /// `ResourceId` names no `<File>` resource.
    #[error("Resource with resourceId '{0}' doesn't exist.")]
    UnknownResource(String),
    /// PutRelativeFile without `PutRelativeFileMode`.
    #[error("Unknown PutRelativeFileMode specified")]
    NoPutRelativeMode,
    /// RenameFile without `Name`.
    #[error("RenameFile has no Name attribute")]
    NoRequestedName,
    /// Delay or an unsupported request type: nothing to send.
    #[error("{0} is not an HTTP request this runner sends")]
    NotHttp(String),
}

/// Resolves `OverrideUrl`: `None` when absent/empty or when the referenced state value is
/// empty (the validator then falls back to the plain WopiSrc URL).
fn resolve_override(
    override_url: Option<&str>,
    state: &State,
) -> Result<Option<String>, PrepareError> {
    let Some(raw) = override_url.filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let key = raw.strip_prefix(STATE_PREFIX).filter(|k| !k.is_empty());
    let url = match key {
        Some(key) => state
            .lookup(key)
            .ok_or_else(|| PrepareError::MissingState(key.to_string()))?,
        None => Some(raw),
    };
    Ok(url.filter(|u| !u.is_empty()).map(str::to_string))
}

/// `WopiRequest.BuildWopiUri`: `url + path + ('?' | '&') + access_token=<encoded>&access_token_ttl=<ttl>`.
/// (Like upstream, the `?`/`&` decision looks at `url` before the path suffix is appended.)
pub fn build_wopi_url(wopi_src: &str, path: &str, access_token: &str, ttl: u64) -> String {
    let mut url = format!("{wopi_src}{path}");
    if !wopi_src.contains('?') {
        url.push('?');
    } else if !wopi_src.ends_with('&') {
        url.push('&');
    }
    url.push_str(&format!(
        "access_token={}&access_token_ttl={ttl}",
        url_key_value_encode(access_token)
    ));
    url
}

struct Shape {
    method: Method,
    path: &'static str,
    override_header: Option<&'static str>,
}

fn shape(kind: &RequestKind) -> Result<Shape, PrepareError> {
    let post = |override_header| Shape {
        method: Method::Post,
        path: "",
        override_header: Some(override_header),
    };
    Ok(match kind {
        RequestKind::CheckFileInfo => Shape {
            method: Method::Get,
            path: "",
            override_header: None,
        },
        RequestKind::GetFile { .. } => Shape {
            method: Method::Get,
            path: "/contents",
            override_header: None,
        },
        RequestKind::PutFile { .. } => Shape {
            method: Method::Post,
            path: "/contents",
            override_header: Some("PUT"),
        },
        RequestKind::Lock { .. } | RequestKind::UnlockAndRelock { .. } => post("LOCK"),
        RequestKind::Unlock { .. } => post("UNLOCK"),
        RequestKind::RefreshLock { .. } => post("REFRESH_LOCK"),
        RequestKind::GetLock => post("GET_LOCK"),
        RequestKind::PutRelativeFile { .. } => post("PUT_RELATIVE"),
        RequestKind::RenameFile { .. } => post("RENAME_FILE"),
        RequestKind::DeleteFile => post("DELETE"),
        RequestKind::PutUserInfo { .. } => post("PUT_USER_INFO"),
        RequestKind::GetFromFileUrl | RequestKind::Delay { .. } | RequestKind::Unsupported(_) => {
            return Err(PrepareError::NotHttp(kind.name().to_string()));
        }
    })
}

fn resource_body(
    resource_id: Option<&str>,
    request: &str,
    suite: &Suite,
) -> Result<Vec<u8>, PrepareError> {
    let id = resource_id.ok_or_else(|| PrepareError::NoResourceId(request.to_string()))?;
    let resource = suite
        .resource(id)
        .ok_or_else(|| PrepareError::UnknownResource(id.to_string()))?;
    Ok(resource.content())
}

/// Header list in sending order.
type Headers = Vec<(String, String)>;

/// Request-specific headers (`DefaultHeaders` then `GetCustomHeaders`) and body.
fn headers_and_body(
    kind: &RequestKind,
    suite: &Suite,
) -> Result<(Headers, Option<Vec<u8>>), PrepareError> {
    let header =
        |name: &str, value: Option<&str>| (name.to_string(), value.unwrap_or_default().to_string());
    let mut headers = Vec::new();
    let mut body = None;
    match kind {
        RequestKind::GetFile { new_lock } => {
            if let Some(lock) = new_lock.as_deref().filter(|l| !l.is_empty()) {
                headers.push(header("X-WOPI-Lock", Some(lock)));
            }
        }
        RequestKind::PutFile { lock, resource_id } => {
            if let Some(lock) = lock.as_deref().filter(|l| !l.is_empty()) {
                headers.push(header("X-WOPI-Lock", Some(lock)));
            }
            body = Some(resource_body(resource_id.as_deref(), "PutFile", suite)?);
        }
        RequestKind::Lock {
            lock,
            lock_user_visible,
        } => {
            headers.push(header("X-WOPI-Lock", lock.as_deref()));
            if let Some(visible) = lock_user_visible {
                headers.push(header(
                    "X-WOPI-LockUserVisible",
                    Some(dotnet_bool(*visible)),
                ));
            }
        }
        RequestKind::Unlock { lock } | RequestKind::RefreshLock { lock } => {
            headers.push(header("X-WOPI-Lock", lock.as_deref()));
        }
        RequestKind::UnlockAndRelock { new_lock, old_lock } => {
            headers.push(header("X-WOPI-Lock", new_lock.as_deref()));
            headers.push(header("X-WOPI-OldLock", old_lock.as_deref()));
        }
        RequestKind::PutRelativeFile {
            mode,
            name,
            resource_id,
            overwrite_relative,
        } => {
            let content = resource_body(resource_id.as_deref(), "PutRelativeFile", suite)?;
            headers.push(header("X-WOPI-Size", Some(&content.len().to_string())));
            let target = utf7_target_header(name);
            match mode.ok_or(PrepareError::NoPutRelativeMode)? {
                PutRelativeFileMode::Suggested => {
                    headers.push(header("X-WOPI-SuggestedTarget", Some(&target)))
                }
                PutRelativeFileMode::ExactName => {
                    headers.push(header("X-WOPI-RelativeTarget", Some(&target)));
                    if let Some(overwrite) = overwrite_relative {
                        headers.push(header(
                            "X-WOPI-OverwriteRelativeTarget",
                            Some(dotnet_bool(*overwrite)),
                        ));
                    }
                }
                PutRelativeFileMode::Conflicting => {
                    headers.push(header("X-WOPI-SuggestedTarget", Some(&target)));
                    headers.push(header("X-WOPI-RelativeTarget", Some(&target)));
                }
            }
            body = Some(content);
        }
        RequestKind::RenameFile {
            name,
            lock,
            coauth_lock_id,
        } => {
            let name = name.as_deref().ok_or(PrepareError::NoRequestedName)?;
            headers.push(header("X-WOPI-RequestedName", Some(&utf7_encode(name))));
            headers.push(header("X-WOPI-Lock", lock.as_deref()));
            headers.push(header("X-WOPI-CoauthLockId", coauth_lock_id.as_deref()));
        }
        RequestKind::PutUserInfo { body: text } => body = Some(text.as_bytes().to_vec()),
        _ => {}
    }
    Ok((headers, body))
}

/// Builds the request for `request` as the validator's `WopiRequest` / `GetFromFileUrlRequest`
/// would.
pub fn prepare(
    request: &Request,
    ctx: &RequestContext<'_>,
) -> Result<PreparedRequest, PrepareError> {
    let override_url = resolve_override(request.override_url.as_deref(), ctx.state)?;
    if request.kind == RequestKind::GetFromFileUrl {
        let url = override_url.ok_or_else(|| PrepareError::NoUrl {
            request: request.name().to_string(),
            detail: "GetFromFileUrl needs an OverrideUrl with a value".into(),
        })?;
        return Ok(PreparedRequest {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: None,
            text_response: true,
        });
    }
    let shape = shape(&request.kind)?;
    let (mut url, mut token) = match override_url {
        Some(url) => {
            let url = insert_path_suffix(&url, shape.path);
            let token = query_parameter_value(&url, "access_token");
            (url, token)
        }
        // DeleteFile is never sent to the WopiSrc itself, so the file under test survives
        None if request.kind == RequestKind::DeleteFile => {
            return Err(PrepareError::NoUrl {
                request: request.name().to_string(),
                detail: format!(
                    "OverrideUrl {:?} has no value",
                    request.override_url.as_deref().unwrap_or("")
                ),
            });
        }
        None => (
            build_wopi_url(
                ctx.wopi_src,
                shape.path,
                ctx.access_token,
                ctx.access_token_ttl,
            ),
            Some(ctx.access_token.to_string()),
        ),
    };
    if let Some(Mutator::AccessToken { mutation }) = request
        .mutators
        .iter()
        .find(|m| matches!(m, Mutator::AccessToken { .. }))
    {
        let mutated = mutation
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if token.as_deref() != Some(mutated.as_str()) {
            url = append_or_replace_query_parameter(&url, "access_token", &mutated);
            token = Some(mutated);
        }
    }
    let (mut headers, body) = headers_and_body(&request.kind, ctx.suite)?;
    if let Some(value) = shape.override_header {
        headers.push(("X-WOPI-Override".into(), value.into()));
    }
    headers.push((
        "Authorization".into(),
        format!("Bearer {}", token.unwrap_or_default()),
    ));
    if let Some(agent) = ctx.user_agent {
        headers.push(("User-Agent".into(), agent.into()));
    }
    let body = match shape.method {
        Method::Post => Some(body.unwrap_or_default()),
        Method::Get => body,
    };
    Ok(PreparedRequest {
        method: shape.method,
        url,
        headers,
        body,
        text_response: !matches!(request.kind, RequestKind::GetFile { .. }),
    })
}

#[cfg(test)]
mod tests;
