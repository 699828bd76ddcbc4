//! Server-rendered pages: templates (minijinja, HTML auto-escaped) rendered into responses with
//! the headers every page carries, the HTML error page, and the same-origin check of page forms.
//!
//! Every page crate lists its templates in a [`Templates`]; the layout (`base.html`) and the
//! error page (`notice.html`) live here, so all pages of the app look and refuse alike.

use std::sync::OnceLock;

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use minijinja::Environment;
use serde::Serialize;

use crate::ApiError;

/// The layout and the error page, available to every [`Templates`].
const BASE: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("notice.html", include_str!("../templates/notice.html")),
];

/// Content-Security-Policy of the ordinary pages: no scripts at all, forms only to ourselves,
/// not framed by other sites.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https:; \
                        form-action 'self'; frame-ancestors 'self'; base-uri 'none'";

/// A crate's templates (plus the layout and error page), compiled on first use.
pub struct Templates {
    list: &'static [(&'static str, &'static str)],
    env: OnceLock<Environment<'static>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("count", &self.list.len())
            .finish()
    }
}

impl Templates {
    /// Templates named as given, for a `static`.
    pub const fn new(list: &'static [(&'static str, &'static str)]) -> Self {
        Templates {
            list,
            env: OnceLock::new(),
        }
    }

    fn env(&self) -> &Environment<'static> {
        self.env.get_or_init(|| {
            let mut env = Environment::new();
            for (name, source) in BASE.iter().chain(self.list) {
                // A template that does not parse fails [`Templates::check`] in the crate's
                // tests; at run time the page answers 500 instead of taking the process down.
                if let Err(e) = env.add_template(name, source) {
                    tracing::error!(template = name, error = %e, "template does not parse");
                }
            }
            env
        })
    }

    /// Names the templates that do not parse (for a test that every template parses).
    pub fn check(&self) -> Vec<String> {
        BASE.iter()
            .chain(self.list)
            .filter(|(name, _)| self.env().get_template(name).is_err())
            .map(|(name, _)| (*name).to_string())
            .collect()
    }

    /// Renders `template` with `ctx`: 200, `no-store` (pages show a user's data), no sniffing,
    /// [`PAGE_CSP`].
    pub fn render(&self, template: &str, ctx: impl Serialize) -> PageResult<Html> {
        let body = self
            .env()
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
}

/// The templates every crate shares, for the error page.
static BASE_TEMPLATES: Templates = Templates::new(&[]);

/// A page answer: the rendered HTML with our page headers.
#[derive(Debug)]
pub struct Html {
    status: StatusCode,
    body: String,
    headers: Vec<(HeaderName, String)>,
}

impl Html {
    /// Adds or replaces a header (e.g. the host page's own CSP).
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// The status to answer with (200 by default).
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The rendered HTML.
    pub fn body(&self) -> &str {
        &self.body
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

/// What a page handler returns.
pub type PageResult<T> = Result<T, PageError>;

/// A refusal or failure shown as an HTML page with the same status the API would answer, a
/// message saying what to do, and a download link where the document itself is still available.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    title: String,
    message: String,
    download_url: Option<String>,
}

impl PageError {
    /// A page with `status`, `title` and `message`.
    pub fn new(status: StatusCode, title: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            title: title.to_string(),
            message: message.into(),
            download_url: None,
        }
    }

    /// Offers the download of the document as the way forward (DOC-3).
    pub fn with_download(mut self, url: String) -> Self {
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
            request_id: crate::request::current_request_id(),
        };
        match BASE_TEMPLATES.render("notice.html", ctx) {
            Ok(html) => html.status(self.status).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

/// Refuses a state-changing page request that does not come from our own pages: Fetch Metadata
/// must say same-origin (or a typed URL), and an `Origin` header must be ours. `base` is our
/// origin as the browser sees it. Together with the `SameSite=Lax` session cookies this stops
/// cross-site form posts.
pub fn same_origin(base: &str, headers: &HeaderMap) -> PageResult<()> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let refused = || {
        PageError::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "this form may only be sent from the app's own pages",
        )
    };
    if let Some(site) = header("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return Err(refused());
    }
    if let Some(origin) = header("origin")
        && origin != base
    {
        return Err(refused());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: Templates = Templates::new(&[]);

    #[test]
    fn every_template_parses() {
        assert!(T.check().is_empty(), "{:?}", T.check());
    }

    #[test]
    fn values_are_html_escaped() {
        let html = T
            .render(
                "notice.html",
                NoticeCtx {
                    title: "<b>t</b>",
                    message: "<script>alert(1)</script>",
                    download_url: Some("/x?a=1&b=\"2\""),
                    request_id: "r".into(),
                },
            )
            .expect("renders");
        assert!(!html.body.contains("<script>alert"), "{}", html.body);
        assert!(html.body.contains("&lt;script&gt;"));
        assert!(!html.body.contains("<b>t</b>"));
        assert!(
            html.body.contains("a=1&amp;b=&quot;2&quot;"),
            "{}",
            html.body
        );
    }

    #[test]
    fn a_cross_site_form_is_refused() {
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(same_origin("http://127.0.0.1:1", &h).is_err());
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        assert!(same_origin("http://127.0.0.1:1", &h).is_err());
        h.insert("origin", HeaderValue::from_static("http://127.0.0.1:1"));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin("http://127.0.0.1:1", &h).is_ok());
    }
}
