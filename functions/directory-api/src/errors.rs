//! Link and Graph failures as HTTP answers, in one place so every route answers the same status
//! for the same cause. Details of Graph failures go to the log as codes only (Graph's messages
//! may name people); the caller gets a message that says what to do.

use bridge_graph::GraphError;
use bridge_graph_subs::LinkError;
use bridge_http::ApiError;
use http::StatusCode;

/// How a missing link is answered: 404 where the link is the resource read or deleted, 409
/// where something needs one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotLinked {
    NotFound,
    Conflict,
}

pub(crate) fn link_error(e: LinkError, not_linked: NotLinked) -> ApiError {
    match e {
        LinkError::UserNotFound | LinkError::M365UserNotFound => ApiError::not_found(e.to_string()),
        LinkError::InvalidGraphUserId => ApiError::bad_request(e.to_string()),
        LinkError::AppUserAlreadyLinked | LinkError::M365UserAlreadyLinked => {
            ApiError::conflict(e.to_string())
        }
        LinkError::NotLinked => match not_linked {
            NotLinked::NotFound => ApiError::not_found(e.to_string()),
            NotLinked::Conflict => ApiError::conflict(format!("{e}; link one first")),
        },
        LinkError::Unavailable(u) => ApiError::unavailable(u.to_string()),
        LinkError::Graph(g) => graph_error(g),
        LinkError::Store(s) => s.into(),
        LinkError::Queue(q) => q.into(),
        LinkError::Corrupt(_) => ApiError::internal(&e),
    }
}

fn bad_gateway(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_GATEWAY, "bad_gateway", message)
}

fn graph_error(g: GraphError) -> ApiError {
    match &g {
        GraphError::Auth(_) => {
            tracing::warn!("Graph refused the app's credentials or permissions");
            bad_gateway(
                "Microsoft Graph refused this app's credentials or permissions; \
                 an administrator must check the app registration and its consent",
            )
        }
        GraphError::BadRequest { code, .. } => {
            tracing::warn!(graph_code = %code, "Graph refused a request");
            bad_gateway(format!(
                "Microsoft Graph refused the request ({code}); check that BRIDGE_PUBLIC_URL \
                 reaches this service from the internet"
            ))
        }
        GraphError::NotFound => ApiError::not_found("not found at Microsoft Graph"),
        GraphError::Throttled { .. } | GraphError::Server { .. } => {
            tracing::warn!(error = %g, "Graph unavailable");
            ApiError::unavailable("Microsoft Graph is busy or unavailable; retry later")
        }
        // Transport errors carry the URL, which may hold a user principal name: not logged.
        GraphError::Decode(_) => {
            tracing::warn!("Graph answered something unreadable");
            bad_gateway("Microsoft Graph answered something unreadable")
        }
        _ => {
            tracing::warn!("Graph could not be reached");
            ApiError::unavailable("Microsoft Graph could not be reached; retry later")
        }
    }
}

/// A directory refusal as an HTTP answer, with the status the domain assigns to it
/// ([`DirectoryError::status`]) and its message (which names no secret and no other tenant).
pub(crate) fn directory_error(e: bridge_directory::DirectoryError) -> ApiError {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = match status.as_u16() {
        400 => "bad_request",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        410 => "gone",
        429 => "rate_limited",
        503 => "unavailable",
        _ => return ApiError::internal(&e),
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(error = %e, "directory unavailable");
    }
    ApiError::new(status, code, e.to_string())
}
