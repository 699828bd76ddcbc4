//! graph-webhook
