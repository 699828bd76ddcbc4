//! The WOPI protocol as pure functions: what Office for the web sends us, what we must answer,
//! and the rules in between. No I/O lives here (no network, no storage, no wall clock — time is
//! passed in as epoch milliseconds), so every rule is testable with plain values and the same
//! rule table serves the HTTP handlers and the conditional writes in storage.
//!
//! | module | holds |
//! |---|---|
//! | [`headers`] | `X-WOPI-*` header names and the `X-WOPI-Override` values |
//! | [`proof`] | proof-key verification (did this request really come from Office?) |
//! | [`discovery`] | parsing Office's discovery XML, building action URLs |
//! | [`filetypes`] | which file opens how (DOC-5) and who may edit (DOC-6) |
//! | [`token`] | WOPI access tokens (short JWTs bound to user + document + permission) |
//! | [`lock`] | the lock rule table (Lock, Unlock, RefreshLock, UnlockAndRelock, GetLock, PutFile, …) |
//! | [`checkfileinfo`] | the CheckFileInfo response model and its formatting helpers |
//!
//! Reference: `reference/wopi.md` beside the repository (a digest of Microsoft's WOPI docs).

pub mod checkfileinfo;
pub mod discovery;
pub mod filetypes;
pub mod headers;
pub mod lock;
pub mod proof;
pub mod token;

pub use checkfileinfo::CheckFileInfo;
pub use discovery::{Action, ActionUrlParams, Discovery, DiscoveryError};
pub use filetypes::{OfficeApp, OpenMode, may_convert, may_edit, office_app, open_mode};
pub use headers::{Operation, Override, Route, UnknownOverride};
pub use lock::{LOCK_TTL_MS, LockId, LockOutcome, LockState};
pub use proof::{ProofError, ProofKey, ProofKeys, ProofMatch, ProofRequest, verify_proof};
pub use token::{Claims, DEFAULT_TOKEN_TTL_MS, IssuedToken, Permission, TokenError, TokenGrant};

/// Milliseconds since 1970-01-01T00:00:00Z. WOPI's `access_token_ttl`, lock expiry and the proof
/// timestamp window all speak in this unit, so the crate does too.
pub type EpochMillis = i64;
