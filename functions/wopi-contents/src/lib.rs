//! wopi-contents
