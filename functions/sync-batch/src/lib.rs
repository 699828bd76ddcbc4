//! sync-batch
