//! directory-api
