//! documents-api
