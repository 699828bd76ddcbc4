//! Rendering templates (minijinja, HTML auto-escaped) into responses with the headers every page
//! carries, and the HTML error page.

use std::sync::OnceLock;

use axum::response::{IntoResponse, Response};
use bridge_http::ApiError;
use http::{HeaderName, HeaderValue, StatusCode, header};
use minijinja::Environment;
use serde::Serialize;

/// Every template, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("client.html", include_str!("../../templates/client.html")),
    (
        "versions.html",
        include_str!("../../templates/versions.html"),
    ),
    ("notice.html", include_str!("../../templates/notice.html")),
    (
        "almost_there.html",
        include_str!("../../templates/almost_there.html"),
    ),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("host.html", include_str!("../../templates/host.html")),
];

/// Content-Security-Policy of the ordinary pages: no scripts at all, forms only to ourselves,
/// not framed by other sites.
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https:; \
                        form-action 'self'; frame-ancestors 'self'; base-uri 'none'";

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // A template that does not parse fails the `every_template_renders` test; at run
            // time the page answers 500 (render error) instead of taking the process down.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "template does not parse");
            }
        }
        env
    })
}

/// A page answer: the rendered HTML with our page headers.
#[derive(Debug)]
pub(crate) struct Html {
    status: StatusCode,
    body: String,
    headers: Vec<(HeaderName, String)>,
}

impl Html {
    /// Adds or replaces a header (e.g. the host page's own CSP).
    pub(crate) fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// The status to answer with (200 by default).
    pub(crate) fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl IntoResponse for Html {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        for (name, value) in self.headers {
            match HeaderValue::from_str(&value) {
                Ok(v) => {
                    h.insert(name, v);
                }
                Err(_) => tracing::error!(header = %name, "page header value is not valid"),
            }
        }
        resp
    }
}

/// Renders `template` with `ctx`: 200, `no-store` (pages show a user's documents), no sniffing,
/// [`PAGE_CSP`].
pub(crate) fn render(template: &str, ctx: impl Serialize) -> PageResult<Html> {
    let body = env()
        .get_template(template)
        .and_then(|t| t.render(ctx))
        .map_err(|e| PageError::from(ApiError::internal(&e)))?;
    Ok(Html {
        status: StatusCode::OK,
        body,
        headers: vec![
            (header::CACHE_CONTROL, "no-store".into()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::REFERRER_POLICY, "same-origin".into()),
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP.into()),
        ],
    })
}

/// What a page handler returns.
pub(crate) type PageResult<T> = Result<T, PageError>;

/// A refusal or failure shown as an HTML page with the same status the API would answer, a
/// message saying what to do, and a download link where the document itself is still available.
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    title: String,
    message: String,
    download_url: Option<String>,
}

impl PageError {
    /// A page with `status`, `title` and `message`.
    pub(crate) fn new(status: StatusCode, title: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            title: title.to_string(),
            message: message.into(),
            download_url: None,
        }
    }

    /// Offers the download of the document as the way forward (DOC-3).
    pub(crate) fn with_download(mut self, url: String) -> Self {
        self.download_url = Some(url);
        self
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        let title = match e.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::BAD_REQUEST => "Bad request",
            StatusCode::CONFLICT => "Not possible right now",
            s if s.is_server_error() => "Something went wrong",
            _ => "Not possible",
        };
        PageError::new(e.status, title, e.message)
    }
}

#[derive(Serialize)]
struct NoticeCtx<'a> {
    title: &'a str,
    message: &'a str,
    download_url: Option<&'a str>,
    request_id: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let ctx = NoticeCtx {
            title: &self.title,
            message: &self.message,
            download_url: self.download_url.as_deref(),
            request_id: bridge_http::request::current_request_id(),
        };
        match render("notice.html", ctx) {
            Ok(html) => html.status(self.status).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            assert!(env().get_template(name).is_ok(), "{name} does not parse");
        }
    }

    #[test]
    fn values_are_html_escaped() {
        let html = render(
            "notice.html",
            NoticeCtx {
                title: "<b>t</b>",
                message: "<script>alert(1)</script>",
                download_url: Some("/x?a=1&b=\"2\""),
                request_id: "r".into(),
            },
        )
        .unwrap();
        assert!(!html.body.contains("<script>alert"), "{}", html.body);
        assert!(
            html.body
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
                || html.body.contains("&lt;script&gt;")
        );
        assert!(!html.body.contains("<b>t</b>"));
        assert!(
            html.body.contains("a=1&amp;b=&quot;2&quot;"),
            "{}",
            html.body
        );
    }
}
