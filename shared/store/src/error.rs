//! Errors of the state port.

/// Why a table operation failed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StoreError {
    /// The condition of a single write did not hold; nothing was written.
    #[error("condition failed")]
    ConditionFailed,
    /// A transaction was cancelled; nothing was written. `failed` lists the indexes of the
    /// operations whose condition did not hold.
    #[error("transaction canceled: conditions failed at {failed:?}")]
    TransactionCanceled {
        /// Indexes into the operations given to `transact`.
        failed: Vec<usize>,
    },
    /// The request breaks a rule of the port (empty key, reserved attribute, too many
    /// operations, two operations on one item, bad page size, …); nothing was written.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The cursor was not produced by this query (tampered, or for another partition).
    #[error("invalid cursor")]
    InvalidCursor,
    /// The backend failed (SQLite, network, DynamoDB error). May be retried.
    #[error("store backend error: {0}")]
    Backend(String),
}
