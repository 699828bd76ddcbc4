//! `X-WOPI-*` header names and the `X-WOPI-Override` values, in one place so that handlers,
//! tests and the conformance runner never spell them twice.
//!
//! Header names are case-insensitive in HTTP; the constants are **lowercase** so they can be fed
//! to `http::HeaderName::from_static` (which rejects upper case) and match HTTP/2 framing. The doc
//! comment of each constant gives the spelling used in Microsoft's documentation.

use thiserror::Error;

/// `X-WOPI-Override`: which operation a `POST /wopi/files/{id}[/contents]` is.
pub const OVERRIDE: &str = "x-wopi-override";
/// `X-WOPI-Lock`: the lock ID in a request; the *current* lock in a 409 or GetLock response
/// (empty string when the file is unlocked — never omitted on 409).
pub const LOCK: &str = "x-wopi-lock";
/// `X-WOPI-OldLock`: the lock an UnlockAndRelock expects to replace. Its presence on a `LOCK`
/// override is what makes the request an UnlockAndRelock.
pub const OLD_LOCK: &str = "x-wopi-oldlock";
/// `X-WOPI-LockFailureReason`: optional free text on a 409, for Office's logs only.
pub const LOCK_FAILURE_REASON: &str = "x-wopi-lockfailurereason";
/// `X-WOPI-LockedByOtherInterface`: deprecated since 2015-12-15; never send it.
pub const LOCKED_BY_OTHER_INTERFACE: &str = "x-wopi-lockedbyotherinterface";
/// `X-WOPI-ItemVersion`: the file version (= CheckFileInfo `Version`) on GetFile, PutFile (the new
/// version), Lock and Unlock responses.
pub const ITEM_VERSION: &str = "x-wopi-itemversion";
/// `X-WOPI-Proof`: base64 RSA signature made with Office's current proof key.
pub const PROOF: &str = "x-wopi-proof";
/// `X-WOPI-ProofOld`: base64 RSA signature made with Office's previous proof key.
pub const PROOF_OLD: &str = "x-wopi-proofold";
/// `X-WOPI-TimeStamp`: .NET `DateTime` ticks (100 ns since 0001-01-01 UTC) of the signed request.
pub const TIMESTAMP: &str = "x-wopi-timestamp";
/// `X-WOPI-SessionContext`: echo of the `SESSION_CONTEXT` action URL placeholder.
pub const SESSION_CONTEXT: &str = "x-wopi-sessioncontext";
/// `X-WOPI-MaxExpectedSize`: GetFile must answer 412 if the file is larger.
pub const MAX_EXPECTED_SIZE: &str = "x-wopi-maxexpectedsize";
/// `X-WOPI-Editors`: comma-separated UserIds that contributed to a PutFile.
pub const EDITORS: &str = "x-wopi-editors";
/// `X-WOPI-SuggestedTarget`: PutRelativeFile "suggested" mode (UTF-7; `.ext` or a full name).
pub const SUGGESTED_TARGET: &str = "x-wopi-suggestedtarget";
/// `X-WOPI-RelativeTarget`: PutRelativeFile "specific" mode (UTF-7; use exactly or fail).
pub const RELATIVE_TARGET: &str = "x-wopi-relativetarget";
/// `X-WOPI-OverwriteRelativeTarget`: `true`/`false` (the validator sends `True`/`False`).
pub const OVERWRITE_RELATIVE_TARGET: &str = "x-wopi-overwriterelativetarget";
/// `X-WOPI-ValidRelativeTarget`: on a PutRelativeFile 400/409, a name Office may retry with (UTF-7).
pub const VALID_RELATIVE_TARGET: &str = "x-wopi-validrelativetarget";
/// `X-WOPI-Size`: body length of a PutRelativeFile.
pub const SIZE: &str = "x-wopi-size";
/// `X-WOPI-FileConversion`: present on the PutRelativeFile of a binary → OOXML conversion.
pub const FILE_CONVERSION: &str = "x-wopi-fileconversion";
/// `X-WOPI-RequestedName`: RenameFile's new name without extension (UTF-7).
pub const REQUESTED_NAME: &str = "x-wopi-requestedname";
/// `X-WOPI-InvalidFileNameError`: reason sent with a RenameFile 400.
pub const INVALID_FILE_NAME_ERROR: &str = "x-wopi-invalidfilenameerror";
/// `X-WOPI-ServerError`: optional detail on a non-200 response, for Office's logs only.
pub const SERVER_ERROR: &str = "x-wopi-servererror";
/// `X-WOPI-ServerVersion`: optional host version on responses.
pub const SERVER_VERSION: &str = "x-wopi-serverversion";
/// `X-WOPI-CorrelationId`: log only.
pub const CORRELATION_ID: &str = "x-wopi-correlationid";
/// `X-WOPI-SessionId`: log only.
pub const SESSION_ID: &str = "x-wopi-sessionid";
/// `X-WOPI-DeviceId`: log only.
pub const DEVICE_ID: &str = "x-wopi-deviceid";
/// `X-WOPI-ClientVersion`: log only.
pub const CLIENT_VERSION: &str = "x-wopi-clientversion";
/// `X-WOPI-MachineName`: log only.
pub const MACHINE_NAME: &str = "x-wopi-machinename";
/// `X-WOPI-AppEndpoint`: log only.
pub const APP_ENDPOINT: &str = "x-wopi-appendpoint";
/// `X-WOPI-RequestingApplication`: log only.
pub const REQUESTING_APPLICATION: &str = "x-wopi-requestingapplication";

/// Every header name above, for tests and for "log all WOPI headers" middleware.
pub const ALL: &[&str] = &[
    OVERRIDE,
    LOCK,
    OLD_LOCK,
    LOCK_FAILURE_REASON,
    LOCKED_BY_OTHER_INTERFACE,
    ITEM_VERSION,
    PROOF,
    PROOF_OLD,
    TIMESTAMP,
    SESSION_CONTEXT,
    MAX_EXPECTED_SIZE,
    EDITORS,
    SUGGESTED_TARGET,
    RELATIVE_TARGET,
    OVERWRITE_RELATIVE_TARGET,
    VALID_RELATIVE_TARGET,
    SIZE,
    FILE_CONVERSION,
    REQUESTED_NAME,
    INVALID_FILE_NAME_ERROR,
    SERVER_ERROR,
    SERVER_VERSION,
    CORRELATION_ID,
    SESSION_ID,
    DEVICE_ID,
    CLIENT_VERSION,
    MACHINE_NAME,
    APP_ENDPOINT,
    REQUESTING_APPLICATION,
];

/// The `X-WOPI-Override` values we know. Anything else is an [`UnknownOverride`].
///
/// `LOCK` covers two operations: Lock, and UnlockAndRelock when `X-WOPI-OldLock` is present;
/// [`Operation::resolve`] makes that distinction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Override {
    /// `LOCK` — Lock, or UnlockAndRelock with `X-WOPI-OldLock`.
    Lock,
    /// `UNLOCK`
    Unlock,
    /// `REFRESH_LOCK`
    RefreshLock,
    /// `GET_LOCK`
    GetLock,
    /// `PUT` — PutFile (only on `/contents`).
    Put,
    /// `PUT_RELATIVE` — PutRelativeFile.
    PutRelative,
    /// `RENAME_FILE`
    RenameFile,
    /// `DELETE` — DeleteFile.
    Delete,
    /// `PUT_USER_INFO`
    PutUserInfo,
}

impl Override {
    /// Every known override, in documentation order.
    pub const ALL: [Override; 9] = [
        Override::Lock,
        Override::Unlock,
        Override::RefreshLock,
        Override::GetLock,
        Override::Put,
        Override::PutRelative,
        Override::RenameFile,
        Override::Delete,
        Override::PutUserInfo,
    ];

    /// Parses an `X-WOPI-Override` value. Surrounding whitespace is ignored and ASCII case is not
    /// significant (Office sends upper case; tolerance costs nothing here).
    ///
    /// An unknown value is an error that handlers must answer with **501 Not Implemented** — the
    /// WOPI status for "operation not supported" — never 400, because Office probes optional
    /// operations and treats 501 as "host doesn't do this".
    pub fn parse(value: &str) -> Result<Override, UnknownOverride> {
        let trimmed = value.trim();
        Override::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| UnknownOverride(trimmed.to_owned()))
    }

    /// The wire spelling, e.g. `REFRESH_LOCK`.
    pub fn as_str(self) -> &'static str {
        match self {
            Override::Lock => "LOCK",
            Override::Unlock => "UNLOCK",
            Override::RefreshLock => "REFRESH_LOCK",
            Override::GetLock => "GET_LOCK",
            Override::Put => "PUT",
            Override::PutRelative => "PUT_RELATIVE",
            Override::RenameFile => "RENAME_FILE",
            Override::Delete => "DELETE",
            Override::PutUserInfo => "PUT_USER_INFO",
        }
    }
}

impl std::fmt::Display for Override {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Override {
    type Err = UnknownOverride;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Override::parse(s)
    }
}

/// An `X-WOPI-Override` value we do not implement. Handlers answer **501**.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown X-WOPI-Override value {0:?}")]
pub struct UnknownOverride(pub String);

impl UnknownOverride {
    /// The HTTP status WOPI expects for an unsupported operation.
    pub const STATUS: u16 = 501;
}

/// One WOPI operation, resolved from route, method and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET /wopi/files/{id}`
    CheckFileInfo,
    /// `GET /wopi/files/{id}/contents`
    GetFile,
    /// `POST /wopi/files/{id}/contents` + `PUT`
    PutFile,
    /// `POST /wopi/files/{id}` + `LOCK` without `X-WOPI-OldLock`
    Lock,
    /// `POST /wopi/files/{id}` + `LOCK` with `X-WOPI-OldLock`
    UnlockAndRelock,
    /// `POST /wopi/files/{id}` + `UNLOCK`
    Unlock,
    /// `POST /wopi/files/{id}` + `REFRESH_LOCK`
    RefreshLock,
    /// `POST /wopi/files/{id}` + `GET_LOCK`
    GetLock,
    /// `POST /wopi/files/{id}` + `PUT_RELATIVE`
    PutRelativeFile,
    /// `POST /wopi/files/{id}` + `RENAME_FILE`
    RenameFile,
    /// `POST /wopi/files/{id}` + `DELETE`
    DeleteFile,
    /// `POST /wopi/files/{id}` + `PUT_USER_INFO`
    PutUserInfo,
}

/// Which of the two WOPI file routes a request hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/wopi/files/{id}`
    File,
    /// `/wopi/files/{id}/contents`
    Contents,
}

/// Why a request maps to no operation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OperationError {
    /// The override value is unknown → **501**.
    #[error(transparent)]
    Unknown(#[from] UnknownOverride),
    /// A POST without `X-WOPI-Override` → **400** (nothing to dispatch on).
    #[error("POST without X-WOPI-Override")]
    MissingOverride,
    /// A known override on the wrong route (e.g. `PUT` on `/wopi/files/{id}`) → **501**: the host
    /// implements no such operation.
    #[error("X-WOPI-Override {0} is not valid on this route")]
    WrongRoute(Override),
    /// Neither GET nor POST → **405**.
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl OperationError {
    /// The HTTP status a handler answers with.
    pub fn status(&self) -> u16 {
        match self {
            OperationError::Unknown(_) | OperationError::WrongRoute(_) => 501,
            OperationError::MissingOverride => 400,
            OperationError::MethodNotAllowed => 405,
        }
    }
}

impl Operation {
    /// The dispatch table of reference §1. `method` is the HTTP method (case-insensitive);
    /// `override_value` the raw `X-WOPI-Override`; `old_lock_present` whether the request carries
    /// an `X-WOPI-OldLock` header at all (its presence, even empty, selects UnlockAndRelock).
    pub fn resolve(
        route: Route,
        method: &str,
        override_value: Option<&str>,
        old_lock_present: bool,
    ) -> Result<Operation, OperationError> {
        if method.eq_ignore_ascii_case("GET") {
            return Ok(match route {
                Route::File => Operation::CheckFileInfo,
                Route::Contents => Operation::GetFile,
            });
        }
        if !method.eq_ignore_ascii_case("POST") {
            return Err(OperationError::MethodNotAllowed);
        }
        let ov = Override::parse(override_value.ok_or(OperationError::MissingOverride)?)?;
        match (route, ov) {
            (Route::Contents, Override::Put) => Ok(Operation::PutFile),
            (Route::Contents, other) => Err(OperationError::WrongRoute(other)),
            (Route::File, Override::Put) => Err(OperationError::WrongRoute(Override::Put)),
            (Route::File, Override::Lock) if old_lock_present => Ok(Operation::UnlockAndRelock),
            (Route::File, Override::Lock) => Ok(Operation::Lock),
            (Route::File, Override::Unlock) => Ok(Operation::Unlock),
            (Route::File, Override::RefreshLock) => Ok(Operation::RefreshLock),
            (Route::File, Override::GetLock) => Ok(Operation::GetLock),
            (Route::File, Override::PutRelative) => Ok(Operation::PutRelativeFile),
            (Route::File, Override::RenameFile) => Ok(Operation::RenameFile),
            (Route::File, Override::Delete) => Ok(Operation::DeleteFile),
            (Route::File, Override::PutUserInfo) => Ok(Operation::PutUserInfo),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constants_are_lowercase_wopi_names_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for h in ALL {
            assert!(h.starts_with("x-wopi-"), "{h}");
            assert_eq!(*h, h.to_ascii_lowercase(), "{h} must be lowercase");
            assert!(
                h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "{h}"
            );
            assert!(seen.insert(*h), "{h} listed twice");
        }
        assert_eq!(ALL.len(), 29);
    }

    #[test]
    fn every_known_override_round_trips() {
        for o in Override::ALL {
            assert_eq!(Override::parse(o.as_str()), Ok(o));
            assert_eq!(o.to_string().parse::<Override>(), Ok(o));
        }
    }

    #[test]
    fn override_parsing_ignores_case_and_surrounding_whitespace() {
        assert_eq!(Override::parse(" refresh_lock "), Ok(Override::RefreshLock));
        assert_eq!(Override::parse("Put_Relative"), Ok(Override::PutRelative));
    }

    #[test]
    fn unknown_override_is_an_error_that_maps_to_501() {
        for v in ["GET_SHARE_URL", "COBALT", "", "LOCKX", "PUT RELATIVE"] {
            let err = Override::parse(v).expect_err(v);
            assert_eq!(err.0, v.trim());
            assert_eq!(UnknownOverride::STATUS, 501);
            assert_eq!(OperationError::from(err).status(), 501);
        }
    }

    #[test]
    fn gets_are_check_file_info_and_get_file() {
        assert_eq!(
            Operation::resolve(Route::File, "GET", None, false),
            Ok(Operation::CheckFileInfo)
        );
        assert_eq!(
            Operation::resolve(Route::Contents, "get", None, false),
            Ok(Operation::GetFile)
        );
    }

    #[test]
    fn lock_with_old_lock_header_is_unlock_and_relock() {
        assert_eq!(
            Operation::resolve(Route::File, "POST", Some("LOCK"), false),
            Ok(Operation::Lock)
        );
        assert_eq!(
            Operation::resolve(Route::File, "POST", Some("LOCK"), true),
            Ok(Operation::UnlockAndRelock)
        );
    }

    #[test]
    fn every_file_route_override_resolves() {
        let cases = [
            ("UNLOCK", Operation::Unlock),
            ("REFRESH_LOCK", Operation::RefreshLock),
            ("GET_LOCK", Operation::GetLock),
            ("PUT_RELATIVE", Operation::PutRelativeFile),
            ("RENAME_FILE", Operation::RenameFile),
            ("DELETE", Operation::DeleteFile),
            ("PUT_USER_INFO", Operation::PutUserInfo),
        ];
        for (v, op) in cases {
            assert_eq!(
                Operation::resolve(Route::File, "POST", Some(v), false),
                Ok(op),
                "{v}"
            );
        }
    }

    #[test]
    fn put_is_only_valid_on_contents() {
        assert_eq!(
            Operation::resolve(Route::Contents, "POST", Some("PUT"), false),
            Ok(Operation::PutFile)
        );
        let err =
            Operation::resolve(Route::File, "POST", Some("PUT"), false).expect_err("PUT on file");
        assert_eq!(err.status(), 501);
        let err = Operation::resolve(Route::Contents, "POST", Some("LOCK"), false)
            .expect_err("LOCK on contents");
        assert_eq!(err, OperationError::WrongRoute(Override::Lock));
    }

    #[test]
    fn post_without_override_is_400_and_other_methods_405() {
        assert_eq!(
            Operation::resolve(Route::File, "POST", None, false).map_err(|e| e.status()),
            Err(400)
        );
        assert_eq!(
            Operation::resolve(Route::File, "DELETE", Some("DELETE"), false)
                .map_err(|e| e.status()),
            Err(405)
        );
    }
}
