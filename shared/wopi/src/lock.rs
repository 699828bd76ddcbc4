//! The WOPI lock rules (reference §4) as pure decision functions.
//!
//! Each function takes the lock state the caller *read* (or `None`), the request's lock headers
//! and the current time, and returns a [`LockOutcome`]: what to answer and what to store. The
//! caller then stores the change with a conditional write on exactly the state it read (lock id
//! and expiry), so a concurrent change makes the write fail and the caller re-reads and decides
//! again — that is how UnlockAndRelock stays atomic. The functions are the single rule table both
//! the handlers and those conditional writes are derived from.
//!
//! Rules that hold everywhere:
//! * A lock is file-scoped and **not user-owned**: any user allowed to edit may unlock it.
//! * Lock IDs are compared as exact strings, never parsed (Word's JSON-shaped locks included).
//! * A lock expires [`LOCK_TTL_MS`] (30 min) after Lock/RefreshLock; an expired lock counts as
//!   *no lock* (storage TTL deletion lags, so expiry is always judged here against `now`).
//! * Every 409 carries the current lock in `X-WOPI-Lock`, or `""` when the file is unlocked —
//!   Office sends wrong locks on purpose to learn the current one.
//! * On 200 no `X-WOPI-Lock` is sent, except by GetLock.

use thiserror::Error;

use crate::EpochMillis;

/// A lock lives 30 minutes after Lock or RefreshLock unless refreshed again.
pub const LOCK_TTL_MS: i64 = 30 * 60 * 1000;

/// Longest lock ID we accept. We advertise `SupportsExtendedLockLength`, which promises 1024
/// ASCII characters (without it Office assumes 256).
pub const MAX_LOCK_ID_LEN: usize = 1024;

/// A lock ID as sent in `X-WOPI-Lock`: 1..=1024 characters of printable ASCII (space through
/// `~`). The reference only says "≤ 1024 ASCII characters"; we also refuse control characters,
/// which cannot survive an HTTP header intact anyway, so a stored lock can always be echoed back
/// verbatim in a response header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LockId(String);

/// Why a lock header is not a usable lock ID. Lock, Unlock, RefreshLock and UnlockAndRelock answer
/// **400** for these.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LockIdError {
    /// The header is absent.
    #[error("X-WOPI-Lock header is missing")]
    Missing,
    /// The header is present but empty.
    #[error("lock ID is empty")]
    Empty,
    /// More than [`MAX_LOCK_ID_LEN`] characters.
    #[error("lock ID is {len} characters long, the limit is {MAX_LOCK_ID_LEN}")]
    TooLong {
        /// Length of the rejected value in bytes.
        len: usize,
    },
    /// A byte outside printable ASCII.
    #[error("lock ID has a non-printable or non-ASCII character at byte {position}")]
    InvalidCharacter {
        /// Byte offset of the first offending character.
        position: usize,
    },
}

impl LockId {
    /// Parses a lock ID (see the type's rule). The value is taken verbatim: no trimming, since
    /// locks are compared as exact strings.
    pub fn parse(value: &str) -> Result<LockId, LockIdError> {
        if value.is_empty() {
            return Err(LockIdError::Empty);
        }
        if value.len() > MAX_LOCK_ID_LEN {
            return Err(LockIdError::TooLong { len: value.len() });
        }
        if let Some(position) = value.bytes().position(|b| !(b' '..=b'~').contains(&b)) {
            return Err(LockIdError::InvalidCharacter { position });
        }
        Ok(LockId(value.to_owned()))
    }

    /// Parses an optional header value; `None` is [`LockIdError::Missing`].
    pub fn parse_header(value: Option<&str>) -> Result<LockId, LockIdError> {
        LockId::parse(value.ok_or(LockIdError::Missing)?)
    }

    /// The lock ID as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the ID into its string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for LockId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LockId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored lock: its ID and when it stops counting.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LockState {
    /// The lock ID Office chose.
    pub lock_id: LockId,
    /// Epoch ms after which the lock is gone (exclusive: at this instant it has expired).
    pub expires_at_ms: EpochMillis,
}

impl LockState {
    /// A lock taken or refreshed at `now_ms`: it expires [`LOCK_TTL_MS`] later.
    pub fn new(lock_id: LockId, now_ms: EpochMillis) -> LockState {
        LockState {
            lock_id,
            expires_at_ms: now_ms.saturating_add(LOCK_TTL_MS),
        }
    }

    /// Whether the lock still holds at `now_ms`.
    pub fn is_active(&self, now_ms: EpochMillis) -> bool {
        now_ms < self.expires_at_ms
    }
}

/// Why a 409 happened; sent as the optional `X-WOPI-LockFailureReason` (log only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictReason {
    /// The operation needs a lock and the file has none.
    NotLocked,
    /// The file is locked with a different ID than the request's.
    LockMismatch,
    /// The file is locked and the operation is refused on any locked file (DeleteFile).
    Locked,
    /// PutFile on an unlocked file that is not 0 bytes (only the create-new flow may write unlocked).
    UnlockedFileNotEmpty,
}

impl ConflictReason {
    /// Text for `X-WOPI-LockFailureReason`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictReason::NotLocked => "File is not locked",
            ConflictReason::LockMismatch => "Lock mismatch",
            ConflictReason::Locked => "File is locked",
            ConflictReason::UnlockedFileNotEmpty => "File is not locked and not empty",
        }
    }
}

/// What a lock-aware operation must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    /// **200**: store `new_lock` (conditionally on the state read) — a new lock, a refreshed
    /// timer, or a replaced lock. No `X-WOPI-Lock` in the response.
    Grant {
        /// The lock to store.
        new_lock: LockState,
    },
    /// **200**: remove the lock (conditionally on the state read).
    Release,
    /// **200**: go ahead with the operation (write the file, rename, delete); the lock is unchanged.
    Proceed,
    /// **200** with `X-WOPI-Lock: current_lock` (`""` when unlocked) — GetLock only.
    Report {
        /// The value for `X-WOPI-Lock`.
        current_lock: String,
    },
    /// **409** with `X-WOPI-Lock: current_lock` (`""` when unlocked; the header is never omitted).
    Conflict {
        /// The value for `X-WOPI-Lock`.
        current_lock: String,
        /// The value for `X-WOPI-LockFailureReason`.
        reason: ConflictReason,
    },
    /// **400**: the request's lock header is missing or unusable.
    BadRequest(LockIdError),
    /// **413**: the body is over the host's limit; nothing is written.
    TooLarge {
        /// Size of the request body in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
}

impl LockOutcome {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            LockOutcome::Grant { .. }
            | LockOutcome::Release
            | LockOutcome::Proceed
            | LockOutcome::Report { .. } => 200,
            LockOutcome::Conflict { .. } => 409,
            LockOutcome::BadRequest(_) => 400,
            LockOutcome::TooLarge { .. } => 413,
        }
    }

    /// The `X-WOPI-Lock` response header value, if one must be sent. `Some("")` means "send the
    /// header with an empty value" (not a space, not omitted).
    pub fn lock_header(&self) -> Option<&str> {
        match self {
            LockOutcome::Report { current_lock } | LockOutcome::Conflict { current_lock, .. } => {
                Some(current_lock)
            }
            _ => None,
        }
    }

    /// The `X-WOPI-LockFailureReason` value for a 409.
    pub fn failure_reason(&self) -> Option<&'static str> {
        match self {
            LockOutcome::Conflict { reason, .. } => Some(reason.as_str()),
            _ => None,
        }
    }
}

/// The lock that counts at `now_ms`: expired locks are no locks.
fn active(current: Option<&LockState>, now_ms: EpochMillis) -> Option<&LockState> {
    current.filter(|l| l.is_active(now_ms))
}

fn conflict(current: Option<&LockState>, reason: ConflictReason) -> LockOutcome {
    LockOutcome::Conflict {
        current_lock: current
            .map(|l| l.lock_id.as_str().to_owned())
            .unwrap_or_default(),
        reason,
    }
}

/// **Lock** (`LOCK` without `X-WOPI-OldLock`): unlocked → lock (200); locked with the same ID →
/// refresh the timer (200); locked with another ID → 409 + current; missing/empty/invalid header
/// → 400.
pub fn lock(
    current: Option<&LockState>,
    request_lock: Option<&str>,
    now_ms: EpochMillis,
) -> LockOutcome {
    let requested = match LockId::parse_header(request_lock) {
        Ok(id) => id,
        Err(e) => return LockOutcome::BadRequest(e),
    };
    match active(current, now_ms) {
        Some(held) if held.lock_id != requested => {
            conflict(Some(held), ConflictReason::LockMismatch)
        }
        _ => LockOutcome::Grant {
            new_lock: LockState::new(requested, now_ms),
        },
    }
}

/// **UnlockAndRelock** (`LOCK` with `X-WOPI-OldLock`): locked with OldLock → replace with the new
/// lock (200, atomically: the conditional write expects the old lock); unlocked → 409 + `""`;
/// other lock → 409 + current; missing/invalid new lock → 400. An empty or unusable OldLock
/// cannot match any stored lock, so it is a 409 (Office learns the lock), not a 400.
pub fn unlock_and_relock(
    current: Option<&LockState>,
    request_lock: Option<&str>,
    old_lock: Option<&str>,
    now_ms: EpochMillis,
) -> LockOutcome {
    let requested = match LockId::parse_header(request_lock) {
        Ok(id) => id,
        Err(e) => return LockOutcome::BadRequest(e),
    };
    match active(current, now_ms) {
        None => conflict(None, ConflictReason::NotLocked),
        Some(held) if Some(held.lock_id.as_str()) == old_lock => LockOutcome::Grant {
            new_lock: LockState::new(requested, now_ms),
        },
        Some(held) => conflict(Some(held), ConflictReason::LockMismatch),
    }
}

/// **GetLock**: 200 with `X-WOPI-Lock` = the current lock, or `""` when unlocked. (The
/// "409 + empty when unrepresentable" row cannot happen: stored locks are [`LockId`]s.)
pub fn get_lock(current: Option<&LockState>, now_ms: EpochMillis) -> LockOutcome {
    LockOutcome::Report {
        current_lock: active(current, now_ms)
            .map(|l| l.lock_id.as_str().to_owned())
            .unwrap_or_default(),
    }
}

/// **RefreshLock**: same lock → reset the timer to 30 min (200); unlocked → 409 + `""`; other →
/// 409 + current; missing/invalid header → 400.
pub fn refresh_lock(
    current: Option<&LockState>,
    request_lock: Option<&str>,
    now_ms: EpochMillis,
) -> LockOutcome {
    let requested = match LockId::parse_header(request_lock) {
        Ok(id) => id,
        Err(e) => return LockOutcome::BadRequest(e),
    };
    match active(current, now_ms) {
        None => conflict(None, ConflictReason::NotLocked),
        Some(held) if held.lock_id == requested => LockOutcome::Grant {
            new_lock: LockState::new(requested, now_ms),
        },
        Some(held) => conflict(Some(held), ConflictReason::LockMismatch),
    }
}

/// **Unlock**: same lock → release (200); unlocked → 409 + `""`; other → 409 + current;
/// missing/invalid header → 400.
pub fn unlock(
    current: Option<&LockState>,
    request_lock: Option<&str>,
    now_ms: EpochMillis,
) -> LockOutcome {
    let requested = match LockId::parse_header(request_lock) {
        Ok(id) => id,
        Err(e) => return LockOutcome::BadRequest(e),
    };
    match active(current, now_ms) {
        None => conflict(None, ConflictReason::NotLocked),
        Some(held) if held.lock_id == requested => LockOutcome::Release,
        Some(held) => conflict(Some(held), ConflictReason::LockMismatch),
    }
}

/// The request side of a PutFile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutFileRequest<'a> {
    /// `X-WOPI-Lock` as sent (absent on the create-new flow).
    pub lock: Option<&'a str>,
    /// Length of the body in bytes.
    pub body_len: u64,
}

/// **PutFile**. The size limit is checked first (413, nothing written) so an oversized save is
/// refused the same way whatever the lock state, as the API gateway in front of us also does.
/// Then: locked with the same lock → write (200); locked with another or no lock → 409 + current;
/// unlocked and the **stored** file is 0 bytes → write (200, the create-new flow, which sends no
/// lock); unlocked and not empty → 409 + `""`. `stored_size` is the size of the current stored
/// version, never the request body's size.
pub fn put_file(
    current: Option<&LockState>,
    request: PutFileRequest<'_>,
    stored_size: u64,
    max_body_len: u64,
    now_ms: EpochMillis,
) -> LockOutcome {
    if request.body_len > max_body_len {
        return LockOutcome::TooLarge {
            size: request.body_len,
            limit: max_body_len,
        };
    }
    match active(current, now_ms) {
        Some(held) if Some(held.lock_id.as_str()) == request.lock => LockOutcome::Proceed,
        Some(held) => conflict(Some(held), ConflictReason::LockMismatch),
        None if stored_size == 0 => LockOutcome::Proceed,
        None => conflict(None, ConflictReason::UnlockedFileNotEmpty),
    }
}

/// **PutRelativeFile**: the source file's lock is irrelevant (Office sends none). Only when the
/// *target* exists, is locked, and overwrite was requested is it a 409 with the target's lock.
/// (A target that exists without overwrite is a naming conflict the handler decides.)
pub fn put_relative_target(
    target_lock: Option<&LockState>,
    overwrite_requested: bool,
    now_ms: EpochMillis,
) -> LockOutcome {
    match active(target_lock, now_ms) {
        Some(held) if overwrite_requested => conflict(Some(held), ConflictReason::Locked),
        _ => LockOutcome::Proceed,
    }
}

/// **RenameFile**: unlocked → rename (200); locked with the same lock → rename (200); locked with
/// another or no lock → 409 + current.
pub fn rename_file(
    current: Option<&LockState>,
    request_lock: Option<&str>,
    now_ms: EpochMillis,
) -> LockOutcome {
    match active(current, now_ms) {
        None => LockOutcome::Proceed,
        Some(held) if Some(held.lock_id.as_str()) == request_lock => LockOutcome::Proceed,
        Some(held) => conflict(Some(held), ConflictReason::LockMismatch),
    }
}

/// **DeleteFile**: locked (by anyone) → 409 + current; unlocked → delete (200).
pub fn delete_file(current: Option<&LockState>, now_ms: EpochMillis) -> LockOutcome {
    match active(current, now_ms) {
        Some(held) => conflict(Some(held), ConflictReason::Locked),
        None => LockOutcome::Proceed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: EpochMillis = 1_700_000_000_000;
    const LIMIT: u64 = 4 * 1024 * 1024;

    fn id(s: &str) -> LockId {
        LockId::parse(s).expect("valid lock id")
    }

    fn held(s: &str) -> LockState {
        LockState::new(id(s), NOW - 60_000)
    }

    fn expired(s: &str) -> LockState {
        LockState {
            lock_id: id(s),
            expires_at_ms: NOW,
        }
    }

    fn granted(lock: &str) -> LockOutcome {
        LockOutcome::Grant {
            new_lock: LockState {
                lock_id: id(lock),
                expires_at_ms: NOW + LOCK_TTL_MS,
            },
        }
    }

    fn conflict_with(lock: &str, reason: ConflictReason) -> LockOutcome {
        LockOutcome::Conflict {
            current_lock: lock.to_owned(),
            reason,
        }
    }

    fn put(lock: Option<&str>, body_len: u64) -> PutFileRequest<'_> {
        PutFileRequest { lock, body_len }
    }

    // ---- LockId ------------------------------------------------------------------------------

    #[test]
    fn lock_id_accepts_1_to_1024_printable_ascii_characters() {
        assert_eq!(id("a").as_str(), "a");
        let long = "1234567890123456".repeat(64);
        assert_eq!(long.len(), 1024);
        assert_eq!(id(&long).as_str(), long);
        let word_json = r#"{"S":"0136ad16-9725-43c3-9ea0-5e01d2dbc162","E":2,"M":"DE997C5AC4E6","P":"6058AF1E-A36F-4691-9003-B8E2C7F50937"}"#;
        assert_eq!(
            id(word_json).as_str(),
            word_json,
            "Word's JSON lock is kept verbatim"
        );
        assert_eq!(
            id(" a b ").as_str(),
            " a b ",
            "no trimming: locks compare exactly"
        );
    }

    #[test]
    fn lock_id_rejects_empty_too_long_and_non_printable_values() {
        assert_eq!(LockId::parse(""), Err(LockIdError::Empty));
        assert_eq!(LockId::parse_header(None), Err(LockIdError::Missing));
        assert_eq!(
            LockId::parse(&"x".repeat(1025)),
            Err(LockIdError::TooLong { len: 1025 })
        );
        assert_eq!(
            LockId::parse("ab\tc"),
            Err(LockIdError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            LockId::parse("a\r\nb"),
            Err(LockIdError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            LockId::parse("zoë"),
            Err(LockIdError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            LockId::parse("\u{7f}"),
            Err(LockIdError::InvalidCharacter { position: 0 })
        );
    }

    #[test]
    fn lock_expires_thirty_minutes_after_it_is_taken() {
        let l = LockState::new(id("L"), NOW);
        assert_eq!(LOCK_TTL_MS, 1_800_000);
        assert!(l.is_active(NOW));
        assert!(l.is_active(NOW + LOCK_TTL_MS - 1));
        assert!(!l.is_active(NOW + LOCK_TTL_MS));
    }

    // ---- Lock ----------------------------------------------------------------------------------

    #[test]
    fn lock_on_unlocked_file_locks_with_200() {
        let out = lock(None, Some("L"), NOW);
        assert_eq!(out, granted("L"));
        assert_eq!(out.status(), 200);
        assert_eq!(out.lock_header(), None, "no X-WOPI-Lock on 200");
    }

    #[test]
    fn lock_with_same_id_refreshes_timer_with_200() {
        let out = lock(Some(&held("L")), Some("L"), NOW);
        assert_eq!(out, granted("L"), "expiry moves to now + 30 min");
    }

    #[test]
    fn lock_with_other_id_is_409_with_current_lock() {
        let out = lock(Some(&held("L")), Some("IncorrectLockString"), NOW);
        assert_eq!(out, conflict_with("L", ConflictReason::LockMismatch));
        assert_eq!(out.status(), 409);
        assert_eq!(out.lock_header(), Some("L"));
        assert_eq!(out.failure_reason(), Some("Lock mismatch"));
    }

    #[test]
    fn lock_with_missing_or_empty_lock_header_is_400() {
        assert_eq!(
            lock(None, None, NOW),
            LockOutcome::BadRequest(LockIdError::Missing)
        );
        assert_eq!(
            lock(Some(&held("L")), Some(""), NOW),
            LockOutcome::BadRequest(LockIdError::Empty)
        );
        assert_eq!(lock(None, Some(""), NOW).status(), 400);
        assert_eq!(lock(None, Some(&"x".repeat(1025)), NOW).status(), 400);
    }

    #[test]
    fn lock_over_an_expired_lock_takes_the_file() {
        assert_eq!(
            lock(Some(&expired("Old")), Some("New"), NOW),
            granted("New")
        );
    }

    #[test]
    fn word_json_locks_are_compared_as_opaque_strings() {
        let first = r#"{"S":"0136ad16-9725-43c3-9ea0-5e01d2dbc162","F":4}"#;
        let second = r#"{"S":"0136ad16-9725-43c3-9ea0-5e01d2dbc162","F":6,"E":2,"M":"x","P":"y"}"#;
        let out = lock(Some(&held(first)), Some(second), NOW);
        assert_eq!(
            out,
            conflict_with(first, ConflictReason::LockMismatch),
            "same S, other string: 409"
        );
    }

    // ---- UnlockAndRelock -----------------------------------------------------------------------

    #[test]
    fn unlock_and_relock_with_matching_old_lock_replaces_the_lock_with_200() {
        let out = unlock_and_relock(Some(&held("Old")), Some("New"), Some("Old"), NOW);
        assert_eq!(out, granted("New"));
        assert_eq!(out.status(), 200);
    }

    #[test]
    fn unlock_and_relock_on_unlocked_file_is_409_with_empty_lock() {
        let out = unlock_and_relock(None, Some("New"), Some("Old"), NOW);
        assert_eq!(out, conflict_with("", ConflictReason::NotLocked));
        assert_eq!(out.lock_header(), Some(""), "header sent, empty string");
        let out = unlock_and_relock(Some(&expired("Old")), Some("New"), Some("Old"), NOW);
        assert_eq!(out.lock_header(), Some(""), "an expired lock is no lock");
    }

    #[test]
    fn unlock_and_relock_with_other_old_lock_is_409_with_current_lock() {
        let out = unlock_and_relock(
            Some(&held("L")),
            Some("New"),
            Some("IncorrectLockString"),
            NOW,
        );
        assert_eq!(out, conflict_with("L", ConflictReason::LockMismatch));
        let out = unlock_and_relock(Some(&held("L")), Some("New"), Some(""), NOW);
        assert_eq!(
            out.lock_header(),
            Some("L"),
            "empty OldLock cannot match: 409, Office learns the lock"
        );
    }

    #[test]
    fn unlock_and_relock_without_new_lock_is_400() {
        assert_eq!(
            unlock_and_relock(Some(&held("L")), None, Some("L"), NOW).status(),
            400
        );
        assert_eq!(
            unlock_and_relock(Some(&held("L")), Some(""), Some("L"), NOW).status(),
            400
        );
    }

    // ---- GetLock ------------------------------------------------------------------------------

    #[test]
    fn get_lock_on_unlocked_file_is_200_with_empty_lock() {
        let out = get_lock(None, NOW);
        assert_eq!(
            out,
            LockOutcome::Report {
                current_lock: String::new()
            }
        );
        assert_eq!(out.status(), 200);
        assert_eq!(out.lock_header(), Some(""));
        assert_eq!(get_lock(Some(&expired("L")), NOW).lock_header(), Some(""));
    }

    #[test]
    fn get_lock_on_locked_file_is_200_with_current_lock() {
        let out = get_lock(Some(&held("L")), NOW);
        assert_eq!(out.status(), 200);
        assert_eq!(out.lock_header(), Some("L"));
    }

    // ---- RefreshLock --------------------------------------------------------------------------

    #[test]
    fn refresh_lock_with_same_lock_resets_timer_to_30_minutes() {
        let out = refresh_lock(Some(&held("L")), Some("L"), NOW);
        assert_eq!(out, granted("L"));
        assert_eq!(out.status(), 200);
    }

    #[test]
    fn refresh_lock_on_unlocked_file_is_409_with_empty_lock() {
        let out = refresh_lock(None, Some("L"), NOW);
        assert_eq!(out, conflict_with("", ConflictReason::NotLocked));
        assert_eq!(out.status(), 409, "not 404 (a common host bug)");
        assert_eq!(
            refresh_lock(Some(&expired("L")), Some("L"), NOW).lock_header(),
            Some("")
        );
    }

    #[test]
    fn refresh_lock_with_other_lock_is_409_with_current_lock() {
        let out = refresh_lock(Some(&held("L")), Some("IncorrectLockString"), NOW);
        assert_eq!(out, conflict_with("L", ConflictReason::LockMismatch));
    }

    #[test]
    fn refresh_lock_with_missing_lock_header_is_400() {
        assert_eq!(
            refresh_lock(Some(&held("L")), None, NOW),
            LockOutcome::BadRequest(LockIdError::Missing)
        );
        assert_eq!(refresh_lock(Some(&held("L")), Some(""), NOW).status(), 400);
    }

    // ---- Unlock -------------------------------------------------------------------------------

    #[test]
    fn unlock_with_same_lock_releases_with_200() {
        let out = unlock(Some(&held("L")), Some("L"), NOW);
        assert_eq!(out, LockOutcome::Release);
        assert_eq!(out.status(), 200);
        assert_eq!(out.lock_header(), None);
    }

    #[test]
    fn unlock_on_unlocked_file_is_409_with_empty_lock() {
        let out = unlock(None, Some("LockString"), NOW);
        assert_eq!(out, conflict_with("", ConflictReason::NotLocked));
        assert_eq!(out.lock_header(), Some(""));
    }

    #[test]
    fn unlock_with_other_lock_is_409_with_current_lock() {
        let out = unlock(Some(&held("NewLockString")), Some("LockString"), NOW);
        assert_eq!(
            out,
            conflict_with("NewLockString", ConflictReason::LockMismatch)
        );
    }

    #[test]
    fn unlock_with_missing_lock_header_is_400() {
        assert_eq!(unlock(Some(&held("L")), None, NOW).status(), 400);
        assert_eq!(unlock(None, Some(""), NOW).status(), 400);
    }

    #[test]
    fn unlock_accepts_a_lock_taken_by_another_user() {
        // Locks are file-scoped; the decision has no user input at all.
        assert_eq!(
            unlock(Some(&held("taken-by-user-a")), Some("taken-by-user-a"), NOW),
            LockOutcome::Release
        );
    }

    // ---- PutFile ------------------------------------------------------------------------------

    #[test]
    fn put_file_with_same_lock_writes_with_200() {
        let out = put_file(Some(&held("L")), put(Some("L"), 10), 100, LIMIT, NOW);
        assert_eq!(out, LockOutcome::Proceed);
        assert_eq!(out.status(), 200);
    }

    #[test]
    fn put_file_with_other_lock_is_409_with_current_lock() {
        let out = put_file(
            Some(&held("L")),
            put(Some("IncorrectLockString"), 10),
            100,
            LIMIT,
            NOW,
        );
        assert_eq!(out, conflict_with("L", ConflictReason::LockMismatch));
    }

    #[test]
    fn put_file_without_lock_on_locked_file_is_409_with_current_lock() {
        let out = put_file(Some(&held("L")), put(None, 10), 0, LIMIT, NOW);
        assert_eq!(out, conflict_with("L", ConflictReason::LockMismatch));
    }

    #[test]
    fn put_file_on_unlocked_zero_byte_file_writes_with_200() {
        assert_eq!(
            put_file(None, put(None, 5_000), 0, LIMIT, NOW),
            LockOutcome::Proceed
        );
        assert_eq!(
            put_file(Some(&expired("L")), put(None, 1), 0, LIMIT, NOW),
            LockOutcome::Proceed
        );
        assert_eq!(
            put_file(None, put(Some("stale"), 1), 0, LIMIT, NOW),
            LockOutcome::Proceed,
            "the rule looks at the stored size only"
        );
    }

    #[test]
    fn put_file_on_unlocked_non_empty_file_is_409_with_empty_lock() {
        let out = put_file(None, put(None, 0), 1, LIMIT, NOW);
        assert_eq!(out, conflict_with("", ConflictReason::UnlockedFileNotEmpty));
        assert_eq!(
            out.lock_header(),
            Some(""),
            "X-WOPI-Lock must be present and empty"
        );
        let out = put_file(None, put(Some("L"), 0), 1, LIMIT, NOW);
        assert_eq!(
            out.status(),
            409,
            "an empty body does not make the stored file empty"
        );
    }

    #[test]
    fn put_file_too_big_is_413() {
        let out = put_file(Some(&held("L")), put(Some("L"), LIMIT + 1), 100, LIMIT, NOW);
        assert_eq!(
            out,
            LockOutcome::TooLarge {
                size: LIMIT + 1,
                limit: LIMIT
            }
        );
        assert_eq!(out.status(), 413);
        assert_eq!(
            put_file(Some(&held("L")), put(Some("L"), LIMIT), 100, LIMIT, NOW).status(),
            200
        );
    }

    // ---- PutRelativeFile, RenameFile, DeleteFile ----------------------------------------------

    #[test]
    fn put_relative_file_ignores_the_source_lock_and_conflicts_on_a_locked_target_it_would_overwrite()
     {
        assert_eq!(put_relative_target(None, true, NOW), LockOutcome::Proceed);
        assert_eq!(
            put_relative_target(Some(&held("T")), false, NOW),
            LockOutcome::Proceed
        );
        assert_eq!(
            put_relative_target(Some(&expired("T")), true, NOW),
            LockOutcome::Proceed
        );
        let out = put_relative_target(Some(&held("T")), true, NOW);
        assert_eq!(out, conflict_with("T", ConflictReason::Locked));
    }

    #[test]
    fn rename_file_on_unlocked_file_is_200() {
        assert_eq!(rename_file(None, None, NOW), LockOutcome::Proceed);
        assert_eq!(rename_file(None, Some("L"), NOW), LockOutcome::Proceed);
    }

    #[test]
    fn rename_file_with_same_lock_is_200() {
        assert_eq!(
            rename_file(Some(&held("L")), Some("L"), NOW),
            LockOutcome::Proceed
        );
    }

    #[test]
    fn rename_file_with_other_lock_is_409_with_current_lock() {
        assert_eq!(
            rename_file(Some(&held("L")), Some("X"), NOW),
            conflict_with("L", ConflictReason::LockMismatch)
        );
        assert_eq!(
            rename_file(Some(&held("L")), None, NOW).lock_header(),
            Some("L")
        );
    }

    #[test]
    fn delete_file_on_locked_file_is_409_with_current_lock() {
        assert_eq!(
            delete_file(Some(&held("L")), NOW),
            conflict_with("L", ConflictReason::Locked)
        );
    }

    #[test]
    fn delete_file_on_unlocked_file_is_200() {
        assert_eq!(delete_file(None, NOW), LockOutcome::Proceed);
        assert_eq!(delete_file(Some(&expired("L")), NOW), LockOutcome::Proceed);
    }

    // ---- The validator's lock sequences, run through the rules ----------------------------------

    /// Applies an outcome to the stored state the way a storage adapter would.
    fn apply(state: &mut Option<LockState>, out: &LockOutcome) {
        match out {
            LockOutcome::Grant { new_lock } => *state = Some(new_lock.clone()),
            LockOutcome::Release => *state = None,
            _ => {}
        }
    }

    #[test]
    fn validator_successful_lock_sequence_and_mismatch_after_relock() {
        let mut s = None;
        let out = lock(s.as_ref(), Some("LockString"), NOW);
        assert_eq!(out.status(), 200);
        apply(&mut s, &out);
        let out = refresh_lock(s.as_ref(), Some("LockString"), NOW + 1);
        assert_eq!(out.status(), 200);
        apply(&mut s, &out);
        let out = unlock_and_relock(
            s.as_ref(),
            Some("NewLockString"),
            Some("LockString"),
            NOW + 2,
        );
        assert_eq!(out.status(), 200);
        apply(&mut s, &out);
        let out = unlock(s.as_ref(), Some("LockString"), NOW + 3);
        assert_eq!(
            out.lock_header(),
            Some("NewLockString"),
            "UnlockAndRelock really changed the lock"
        );
        assert_eq!(out.status(), 409);
        let out = get_lock(s.as_ref(), NOW + 4);
        assert_eq!(out.lock_header(), Some("NewLockString"));
        let out = unlock(s.as_ref(), Some("NewLockString"), NOW + 5);
        assert_eq!(out.status(), 200);
        apply(&mut s, &out);
        assert_eq!(get_lock(s.as_ref(), NOW + 6).lock_header(), Some(""));
    }
}
