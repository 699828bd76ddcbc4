//! Which file opens how in Office for the web — **the one place for DOC-5** — and who may edit
//! it (DOC-6).
//!
//! DOC-5: only modern formats are editable; legacy binary formats open for viewing and can be
//! converted; PDF is never editable (view, or download and re-upload); everything else is a plain
//! download. The lists follow what Office for the web actually offers per extension (reference
//! §8, discovery snapshot), because promising "edit" for a type Office only views would fail at
//! launch:
//!
//! | mode | extensions |
//! |---|---|
//! | [`OpenMode::Edit`] | docx docm odt · xlsx xlsm xlsb ods · pptx ppsx odp |
//! | [`OpenMode::ViewAndConvert`] | doc · xls csv · ppt pps (each has a `convert` action to the -x format) |
//! | [`OpenMode::ViewOnly`] | pdf · dotx dotm dot rtf · potx potm pot pptm ppsm (Office views, never edits them) |
//! | [`OpenMode::DownloadOnly`] | everything else (xlt, xltx, txt, images, …) |
//!
//! OpenDocument (odt/ods/odp) is editable: Office for the web lists `edit` and `editnew` for all
//! three, and they are modern XML formats, not the legacy binaries DOC-5 excludes.
//!
//! The static table is the policy; the live discovery can only narrow it
//! ([`effective_open_mode`]): if Microsoft stops offering an action, we fall back instead of
//! launching a URL that fails.

use crate::discovery::Discovery;

/// How a document opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpenMode {
    /// Opens in Office for the web's editor (if the user may edit, see [`may_edit`]; else view).
    Edit,
    /// Opens in the viewer; "Edit" converts it to the modern format (a new file via PutRelativeFile).
    ViewAndConvert,
    /// Opens in the viewer only.
    ViewOnly,
    /// Not opened in Office at all; regular download (DOC-3's fallback for every type).
    DownloadOnly,
}

impl OpenMode {
    /// Whether Office for the web opens the file at all (view or edit).
    pub fn opens_in_office(self) -> bool {
        !matches!(self, OpenMode::DownloadOnly)
    }
}

/// The Office app that handles a type, for the document list icon (DOC-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfficeApp {
    /// Word
    Word,
    /// Excel
    Excel,
    /// PowerPoint
    PowerPoint,
}

impl OfficeApp {
    /// The `<app name>` in discovery.
    pub fn discovery_name(self) -> &'static str {
        match self {
            OfficeApp::Word => "Word",
            OfficeApp::Excel => "Excel",
            OfficeApp::PowerPoint => "PowerPoint",
        }
    }
}

/// The validator's test extension; only opens when explicitly allowed (test deployments).
pub const WOPITEST_EXT: &str = "wopitest";

/// The extension the validator gives the files it creates with PutRelativeFile (and then locks,
/// renames and deletes); gated like [`WOPITEST_EXT`].
pub const WOPITESTX_EXT: &str = "wopitestx";

const WORD_EDIT: &[&str] = &["docx", "docm", "odt"];
const EXCEL_EDIT: &[&str] = &["xlsx", "xlsm", "xlsb", "ods"];
const POWERPOINT_EDIT: &[&str] = &["pptx", "ppsx", "odp"];

const WORD_CONVERT: &[&str] = &["doc"];
const EXCEL_CONVERT: &[&str] = &["xls", "csv"];
const POWERPOINT_CONVERT: &[&str] = &["ppt", "pps"];

const WORD_VIEW: &[&str] = &["dotx", "dotm", "dot", "rtf"];
const POWERPOINT_VIEW: &[&str] = &["potx", "potm", "pot", "pptm", "ppsm"];

/// Normalises an extension: trims whitespace and one leading dot, lower-cases ASCII.
pub fn normalize_ext(ext: &str) -> String {
    let t = ext.trim();
    t.strip_prefix('.').unwrap_or(t).to_ascii_lowercase()
}

/// The extension of a file name (after the last dot, lower-cased), or `""` if it has none.
/// `"Report.final.DOCX"` → `"docx"`; `".bashrc"` → `""` (a dot-file has no extension).
pub fn extension_of(file_name: &str) -> String {
    match file_name.rfind('.') {
        Some(i) if i > 0 => normalize_ext(&file_name[i + 1..]),
        _ => String::new(),
    }
}

/// DOC-5: how a document with extension `ext` opens. Case-insensitive; a leading dot is fine.
/// `.wopitest` and `.wopitestx` (the validator's types) are editable only when `allow_wopitest`
/// (test deployments), otherwise download-only like any unknown type.
pub fn open_mode(ext: &str, allow_wopitest: bool) -> OpenMode {
    let e = normalize_ext(ext);
    let e = e.as_str();
    let any = |lists: &[&[&str]]| lists.iter().any(|l| l.contains(&e));
    if e == WOPITEST_EXT || e == WOPITESTX_EXT {
        return if allow_wopitest {
            OpenMode::Edit
        } else {
            OpenMode::DownloadOnly
        };
    }
    if any(&[WORD_EDIT, EXCEL_EDIT, POWERPOINT_EDIT]) {
        OpenMode::Edit
    } else if any(&[WORD_CONVERT, EXCEL_CONVERT, POWERPOINT_CONVERT]) {
        OpenMode::ViewAndConvert
    } else if e == "pdf" || any(&[WORD_VIEW, POWERPOINT_VIEW]) {
        OpenMode::ViewOnly
    } else {
        OpenMode::DownloadOnly
    }
}

/// DOC-10: the Office app icon for a type, or `None` (no Office icon). PDF gets none: Office
/// shows it in Word's PDF viewer, but a Word icon would tell users it is a Word document.
pub fn office_app(ext: &str) -> Option<OfficeApp> {
    let e = normalize_ext(ext);
    let e = e.as_str();
    let in_any = |lists: &[&[&str]]| lists.iter().any(|l| l.contains(&e));
    if in_any(&[WORD_EDIT, WORD_CONVERT, WORD_VIEW]) {
        Some(OfficeApp::Word)
    } else if in_any(&[EXCEL_EDIT, EXCEL_CONVERT]) {
        Some(OfficeApp::Excel)
    } else if in_any(&[POWERPOINT_EDIT, POWERPOINT_CONVERT, POWERPOINT_VIEW]) {
        Some(OfficeApp::PowerPoint)
    } else {
        None
    }
}

/// DOC-6: editing needs the user's "add document (to a client)" right **and** an editable type.
/// Without the right, an editable document still opens, read-only (CheckFileInfo
/// `UserCanWrite=false`, view action).
pub fn may_edit(user_has_add_document_right: bool, mode: OpenMode) -> bool {
    user_has_add_document_right && mode == OpenMode::Edit
}

/// Converting a legacy file writes a new document (PutRelativeFile), so it needs the same right
/// as editing, on a convertible type.
pub fn may_convert(user_has_add_document_right: bool, mode: OpenMode) -> bool {
    user_has_add_document_right && mode == OpenMode::ViewAndConvert
}

/// [`open_mode`] narrowed by what the live discovery offers for `ext`: `Edit` needs an `edit`
/// action, `ViewAndConvert` a `convert` action, and every mode but download a `view` action
/// (the WopiTest app has no `view` requirement here: its `edit` suffices). Never widens the policy.
pub fn effective_open_mode(ext: &str, allow_wopitest: bool, discovery: &Discovery) -> OpenMode {
    let has = |action: &str| discovery.action(ext, action).is_some();
    let view = if has("view") {
        OpenMode::ViewOnly
    } else {
        OpenMode::DownloadOnly
    };
    match open_mode(ext, allow_wopitest) {
        OpenMode::Edit if has("edit") => OpenMode::Edit,
        OpenMode::Edit | OpenMode::ViewOnly => view,
        OpenMode::ViewAndConvert if has("convert") && has("view") => OpenMode::ViewAndConvert,
        OpenMode::ViewAndConvert => view,
        OpenMode::DownloadOnly => OpenMode::DownloadOnly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc5_modern_formats_are_editable() {
        for ext in [
            "docx", "docm", "xlsx", "xlsm", "xlsb", "pptx", "ppsx", "odt", "ods", "odp",
        ] {
            assert_eq!(open_mode(ext, false), OpenMode::Edit, "{ext}");
        }
        assert_eq!(open_mode("DOCX", false), OpenMode::Edit, "case-insensitive");
        assert_eq!(
            open_mode(".Xlsx", false),
            OpenMode::Edit,
            "leading dot tolerated"
        );
        assert_eq!(
            open_mode(" .pptx ", false),
            OpenMode::Edit,
            "surrounding whitespace tolerated"
        );
    }

    #[test]
    fn doc5_legacy_formats_open_for_view_and_convert() {
        for ext in ["doc", "xls", "ppt", "pps", "csv", ".DOC"] {
            assert_eq!(open_mode(ext, false), OpenMode::ViewAndConvert, "{ext}");
        }
    }

    #[test]
    fn doc5_templates_macro_shows_and_rtf_open_view_only() {
        // Office for the web views these but offers neither edit nor convert for them.
        for ext in [
            "dotx", "dotm", "dot", "rtf", "potx", "potm", "pot", "pptm", "ppsm",
        ] {
            assert_eq!(open_mode(ext, false), OpenMode::ViewOnly, "{ext}");
        }
    }

    #[test]
    fn doc5_pdf_is_never_editable() {
        for allow in [false, true] {
            assert_eq!(open_mode("pdf", allow), OpenMode::ViewOnly);
            assert_eq!(open_mode(".PDF", allow), OpenMode::ViewOnly);
            assert!(!may_edit(true, open_mode("pdf", allow)));
            assert!(!may_convert(true, open_mode("pdf", allow)));
        }
    }

    #[test]
    fn doc5_unknown_types_are_download_only() {
        for ext in [
            "", "txt", "png", "zip", "xlt", "xltx", "msg", "eml", "vsdx", "one", "docx.exe", ".",
        ] {
            assert_eq!(open_mode(ext, false), OpenMode::DownloadOnly, "{ext:?}");
            assert!(!open_mode(ext, false).opens_in_office());
        }
    }

    #[test]
    fn doc5_wopitest_is_editable_only_when_allowed() {
        assert_eq!(open_mode("wopitest", true), OpenMode::Edit);
        assert_eq!(open_mode(".WOPITEST", true), OpenMode::Edit);
        assert_eq!(open_mode("wopitest", false), OpenMode::DownloadOnly);
        assert_eq!(open_mode("wopitestx", true), OpenMode::Edit);
        assert_eq!(open_mode("wopitestx", false), OpenMode::DownloadOnly);
        assert_eq!(office_app("wopitest"), None);
    }

    #[test]
    fn doc6_edit_requires_add_document_right() {
        assert!(may_edit(true, OpenMode::Edit));
        assert!(
            !may_edit(false, OpenMode::Edit),
            "without the right: view only"
        );
        for mode in [
            OpenMode::ViewAndConvert,
            OpenMode::ViewOnly,
            OpenMode::DownloadOnly,
        ] {
            assert!(!may_edit(true, mode), "{mode:?}");
            assert!(!may_edit(false, mode), "{mode:?}");
        }
        assert!(may_convert(true, OpenMode::ViewAndConvert));
        assert!(!may_convert(false, OpenMode::ViewAndConvert));
    }

    #[test]
    fn doc10_supported_documents_carry_their_office_app() {
        for (ext, app) in [
            ("docx", OfficeApp::Word),
            ("doc", OfficeApp::Word),
            ("odt", OfficeApp::Word),
            ("rtf", OfficeApp::Word),
            ("xlsx", OfficeApp::Excel),
            ("csv", OfficeApp::Excel),
            ("ods", OfficeApp::Excel),
            ("pptx", OfficeApp::PowerPoint),
            ("pps", OfficeApp::PowerPoint),
            ("potx", OfficeApp::PowerPoint),
        ] {
            assert_eq!(office_app(ext), Some(app), "{ext}");
        }
        assert_eq!(office_app("pdf"), None);
        assert_eq!(office_app("txt"), None);
    }

    #[test]
    fn every_type_that_opens_has_an_app_except_pdf_and_wopitest() {
        for list in [
            WORD_EDIT,
            EXCEL_EDIT,
            POWERPOINT_EDIT,
            WORD_CONVERT,
            EXCEL_CONVERT,
            POWERPOINT_CONVERT,
            WORD_VIEW,
            POWERPOINT_VIEW,
        ] {
            for ext in list {
                assert!(open_mode(ext, false).opens_in_office(), "{ext}");
                assert!(office_app(ext).is_some(), "{ext}");
            }
        }
    }

    #[test]
    fn extension_of_takes_the_last_dot_and_lowercases() {
        assert_eq!(extension_of("Report.final.DOCX"), "docx");
        assert_eq!(extension_of("letter.pdf"), "pdf");
        assert_eq!(extension_of("README"), "");
        assert_eq!(extension_of(".bashrc"), "");
        assert_eq!(extension_of("trailing."), "");
    }
}
