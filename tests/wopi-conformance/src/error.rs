//! Errors raised while loading a test-case file.

use std::path::PathBuf;

/// Why a test-case file (or a JSON schema it references) could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File that was being read.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The document is not well-formed XML.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// The XML is well-formed but does not describe a valid suite (the upstream validator would
    /// reject it too, or crash on it).
    #[error("invalid test definition in {context}: {message}")]
    Invalid {
        /// Where in the document (test case / element) the problem was found.
        context: String,
        /// What is wrong.
        message: String,
    },
    /// A `JsonSchemaValidator` names a schema that cannot be loaded.
    #[error("JSON schema {name}: {message}")]
    Schema {
        /// Schema id (file name without `.json`).
        name: String,
        /// What went wrong.
        message: String,
    },
}

impl LoadError {
    pub(crate) fn invalid(context: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            context: context.into(),
            message: message.into(),
        }
    }
}
