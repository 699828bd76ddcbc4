//! Naming rules for documents, client files and labels.
//!
//! Document names travel to Office for the web (`BaseFileName`), into `Content-Disposition`
//! headers and onto users' disks when downloaded, so they must be safe everywhere: no path
//! separators, no control characters, none of the characters Windows refuses in file names, and
//! an extension, because the extension decides how a document opens (DOC-5, DOC-10).

use crate::DocError;

/// Longest base name (the part before the extension), in characters.
pub const MAX_BASE_NAME_CHARS: usize = 250;

/// Longest extension, in characters. Office extensions are 3–4 long; 10 leaves room.
pub const MAX_EXTENSION_CHARS: usize = 10;

/// Longest client-file name, in characters.
pub const MAX_CLIENT_NAME_CHARS: usize = 200;

/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

/// Most labels on one document.
pub const MAX_LABELS: usize = 20;

/// The label generated letters carry (DOC-8): it exists even if the tenant never configured it.
pub const GENERATED_LETTER_LABEL: &str = "generated letter";

/// Characters refused in document names besides control characters: path separators and what
/// Windows refuses in file names (downloads must be savable as-is).
const FORBIDDEN: [char; 9] = ['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

/// A validated document name: `<base>.<extension>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentName {
    full: String,
    extension: String,
}

impl DocumentName {
    /// Validates a name from outside. Surrounding whitespace is trimmed; everything else must
    /// follow the rules or the name is refused with the reason.
    pub fn parse(raw: &str) -> Result<DocumentName, DocError> {
        let name = raw.trim();
        let invalid = |why: &str| Err(DocError::InvalidName(why.to_owned()));
        if name.is_empty() {
            return invalid("the name is empty");
        }
        if let Some(c) = name.chars().find(|c| c.is_control()) {
            return Err(DocError::InvalidName(format!(
                "the name contains the control character U+{:04X}",
                u32::from(c)
            )));
        }
        if let Some(c) = name.chars().find(|c| FORBIDDEN.contains(c)) {
            return Err(DocError::InvalidName(format!(
                "the name contains {c:?}; not allowed are control characters and / \\ : * ? \" < > |"
            )));
        }
        let Some((base, ext)) = name.rsplit_once('.') else {
            return invalid("the name has no extension (such as .docx)");
        };
        if base.trim().is_empty() {
            return invalid("the name has nothing before the extension");
        }
        if base.chars().count() > MAX_BASE_NAME_CHARS {
            return Err(DocError::InvalidName(format!(
                "the name is longer than {MAX_BASE_NAME_CHARS} characters before the extension"
            )));
        }
        if ext.is_empty() {
            return invalid("the name ends with a dot; it needs an extension");
        }
        if !ext.chars().all(|c| c.is_ascii_alphanumeric()) || ext.len() > MAX_EXTENSION_CHARS {
            return Err(DocError::InvalidName(format!(
                "the extension must be 1..={MAX_EXTENSION_CHARS} ASCII letters or digits"
            )));
        }
        Ok(DocumentName {
            full: name.to_owned(),
            extension: ext.to_ascii_lowercase(),
        })
    }

    /// The whole name, extension included, as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The extension, lowercase, without the dot.
    pub fn extension(&self) -> &str {
        &self.extension
    }
}

/// Validates a client-file name: trimmed, 1..=[`MAX_CLIENT_NAME_CHARS`] characters, no control
/// characters. Returns the trimmed name.
pub fn client_name(raw: &str) -> Result<String, DocError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DocError::InvalidName("the client name is empty".into()));
    }
    if name.chars().count() > MAX_CLIENT_NAME_CHARS {
        return Err(DocError::InvalidName(format!(
            "the client name is longer than {MAX_CLIENT_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(DocError::InvalidName(
            "the client name contains a control character".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Validates labels: each trimmed, 1..=[`MAX_LABEL_CHARS`] characters without control
/// characters, at most [`MAX_LABELS`]; duplicates are dropped, order kept.
pub fn labels(raw: &[String]) -> Result<Vec<String>, DocError> {
    let mut out: Vec<String> = Vec::new();
    for l in raw {
        let l = l.trim();
        if l.is_empty() || l.chars().count() > MAX_LABEL_CHARS || l.chars().any(char::is_control) {
            return Err(DocError::InvalidInput(format!(
                "a label must be 1..={MAX_LABEL_CHARS} characters without control characters"
            )));
        }
        if !out.iter().any(|x| x == l) {
            out.push(l.to_owned());
        }
    }
    if out.len() > MAX_LABELS {
        return Err(DocError::InvalidInput(format!(
            "at most {MAX_LABELS} labels per document"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_keep_their_spelling_and_lowercase_the_extension() {
        let n = DocumentName::parse("  Offerte Jansen v2.DOCX ").unwrap();
        assert_eq!(n.as_str(), "Offerte Jansen v2.DOCX");
        assert_eq!(n.extension(), "docx");
        let n = DocumentName::parse("a.b.c.xlsx").unwrap();
        assert_eq!(n.extension(), "xlsx");
        let n = DocumentName::parse("Überweisung für Café.pptx").unwrap();
        assert_eq!(n.extension(), "pptx");
        let max = format!("{}.docx", "é".repeat(MAX_BASE_NAME_CHARS));
        assert!(DocumentName::parse(&max).is_ok());
    }

    #[test]
    fn bad_names_are_refused_with_a_reason() {
        let long = format!("{}.docx", "a".repeat(MAX_BASE_NAME_CHARS + 1));
        for bad in [
            "",
            "   ",
            "noextension",
            "trailingdot.",
            ".docx",
            "a/b.docx",
            "a\\b.docx",
            "..\\..\\x.docx",
            "bad\u{0}.docx",
            "tab\there.docx",
            "new\nline.docx",
            "what?.docx",
            "a.do cx",
            "a.docx!",
            "a.abcdefghijk",
            long.as_str(),
        ] {
            match DocumentName::parse(bad) {
                Err(DocError::InvalidName(why)) => assert!(!why.is_empty()),
                other => panic!("{bad:?} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn client_names_and_labels_are_checked() {
        assert_eq!(client_name(" Jansen ").unwrap(), "Jansen");
        assert!(client_name("").is_err());
        assert!(client_name("a\u{7}").is_err());
        assert!(client_name(&"x".repeat(MAX_CLIENT_NAME_CHARS + 1)).is_err());
        let l = labels(&["a".into(), " a ".into(), GENERATED_LETTER_LABEL.into()]).unwrap();
        assert_eq!(l, vec!["a".to_owned(), GENERATED_LETTER_LABEL.to_owned()]);
        assert!(labels(&["".into()]).is_err());
        let many: Vec<String> = (0..=MAX_LABELS).map(|i| i.to_string()).collect();
        assert!(labels(&many).is_err());
    }
}
