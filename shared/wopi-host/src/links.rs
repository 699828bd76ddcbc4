//! The app's page URLs that Office is told about (CheckFileInfo `HostEditUrl`, `HostViewUrl`,
//! `DownloadUrl`, `FileVersionUrl`, `CloseUrl`, breadcrumbs; PutRelativeFile's `HostEditUrl`)
//! and that the documents pages link to. Written once here so the URLs Office navigates to and
//! the routes `documents-api` serves cannot drift apart.

use bridge_documents::{ClientId, DocId};

/// Route of the page listing a tenant's client files.
pub const HOME: &str = "/app";
/// Route of a client file's documents page.
pub const CLIENT: &str = "/app/clients/{client}";
/// Route of the host page that opens a document for editing.
pub const EDIT: &str = "/app/documents/{doc}/edit";
/// Route of the host page that opens a document in the viewer.
pub const VIEW: &str = "/app/documents/{doc}/view";
/// Route of the host page that converts a legacy document to its modern format.
pub const CONVERT: &str = "/app/documents/{doc}/convert";
/// Route that downloads the latest version, always (DOC-3: whatever the document platform).
pub const DOWNLOAD: &str = "/app/documents/{doc}/download";
/// Route of a document's version history page.
pub const VERSIONS: &str = "/app/documents/{doc}/versions";
/// Route that downloads one version.
pub const VERSION_DOWNLOAD: &str = "/app/documents/{doc}/versions/{version}/download";
/// Route the history page's restore form posts to (DOC-12).
pub const RESTORE: &str = "/app/documents/{doc}/versions/{version}/restore";
/// Route of the page explaining Office's "Almost there…" message (DOC-13).
pub const ALMOST_THERE: &str = "/app/help/almost-there";

/// Absolute page URLs under one public base (e.g. `https://api.example.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLinks {
    base: String,
}

impl AppLinks {
    /// Links under `base` (scheme and host, no trailing slash needed).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn doc(&self, route: &str, doc: DocId) -> String {
        format!("{}{}", self.base, route.replace("{doc}", &doc.to_string()))
    }

    /// The tenant's list of client files (`BreadcrumbBrandUrl`).
    pub fn home(&self) -> String {
        format!("{}{HOME}", self.base)
    }

    /// A client file's documents page (`CloseUrl`, `BreadcrumbFolderUrl`).
    pub fn client(&self, client: ClientId) -> String {
        format!(
            "{}{}",
            self.base,
            CLIENT.replace("{client}", &client.to_string())
        )
    }

    /// The edit host page (`HostEditUrl`).
    pub fn edit(&self, doc: DocId) -> String {
        self.doc(EDIT, doc)
    }

    /// The view host page (`HostViewUrl`).
    pub fn view(&self, doc: DocId) -> String {
        self.doc(VIEW, doc)
    }

    /// The conversion host page (`HostEditUrl` of a legacy file the user may convert).
    pub fn convert(&self, doc: DocId) -> String {
        self.doc(CONVERT, doc)
    }

    /// Download of the latest version (`DownloadUrl`).
    pub fn download(&self, doc: DocId) -> String {
        self.doc(DOWNLOAD, doc)
    }

    /// The version history page (`FileVersionUrl`).
    pub fn versions(&self, doc: DocId) -> String {
        self.doc(VERSIONS, doc)
    }

    /// Download of one version (from the history page).
    pub fn version_download(&self, doc: DocId, version: &str) -> String {
        self.doc(VERSION_DOWNLOAD, doc)
            .replace("{version}", version)
    }

    /// Where the history page's restore form posts.
    pub fn restore(&self, doc: DocId, version: &str) -> String {
        self.doc(RESTORE, doc).replace("{version}", version)
    }

    /// The "Almost there…" explanation for one document (with its download link).
    pub fn almost_there(&self, doc: DocId) -> String {
        format!("{}{ALMOST_THERE}?doc={doc}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_absolute_under_the_base_and_name_the_document() {
        let doc = DocId(uuid::Uuid::nil());
        let links = AppLinks::new("https://api.example.com/");
        assert_eq!(
            links.edit(doc),
            "https://api.example.com/app/documents/00000000-0000-0000-0000-000000000000/edit"
        );
        assert_eq!(
            links.download(doc),
            "https://api.example.com/app/documents/00000000-0000-0000-0000-000000000000/download"
        );
        assert_eq!(links.home(), "https://api.example.com/app");
        assert!(
            links
                .almost_there(doc)
                .ends_with("/app/help/almost-there?doc=00000000-0000-0000-0000-000000000000")
        );
    }
}
