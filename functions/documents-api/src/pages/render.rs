//! The documents pages' templates, rendered with the app's shared page machinery
//! ([`bridge_http::page`]: layout, error page, headers).

use bridge_http::page::Templates;
pub(crate) use bridge_http::page::{Html, PageError, PageResult};
use serde::Serialize;

/// Every template of the documents pages, compiled into the binary.
static TEMPLATES: Templates = Templates::new(&[
    ("home.html", include_str!("../../templates/home.html")),
    ("client.html", include_str!("../../templates/client.html")),
    (
        "versions.html",
        include_str!("../../templates/versions.html"),
    ),
    (
        "almost_there.html",
        include_str!("../../templates/almost_there.html"),
    ),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("host.html", include_str!("../../templates/host.html")),
]);

/// Renders one of the documents pages.
pub(crate) fn render(template: &str, ctx: impl Serialize) -> PageResult<Html> {
    TEMPLATES.render(template, ctx)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        assert!(
            super::TEMPLATES.check().is_empty(),
            "{:?}",
            super::TEMPLATES.check()
        );
    }
}
