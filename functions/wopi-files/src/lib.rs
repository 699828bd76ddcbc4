//! wopi-files
