//! The CheckFileInfo response (reference §3): what Office learns about a file, a user and the
//! host's capabilities before it opens anything.
//!
//! Properties are PascalCase JSON. Office reads a `null` as "present" and may choke on it, so
//! optional values are `Option`s that are **omitted** when `None` (an omitted property gets its
//! default: false / "" / empty). Booleans are always sent (false equals the default, and explicit
//! values make the response easy to read in logs and in the validator).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::EpochMillis;

/// Default `FileNameMaxLength` Office assumes when the property is absent (without extension).
pub const DEFAULT_FILE_NAME_MAX_LENGTH: i32 = 250;

/// CheckFileInfo response body. Construct with [`CheckFileInfo::new`] and struct update syntax.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CheckFileInfo {
    // ---- required --------------------------------------------------------------------------
    /// File name with extension, no path.
    pub base_file_name: String,
    /// Unique, stable owner id (telemetry only). Avoid ``<>"#{}^[]`\/`` in ids.
    pub owner_id: String,
    /// Size in bytes.
    pub size: i64,
    /// Unique, stable id of the user the token belongs to.
    pub user_id: String,
    /// Changes with every content change and never repeats (our version id).
    pub version: String,

    // ---- file ------------------------------------------------------------------------------
    /// `.docx` etc.; recommended so Office does not guess from the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_extension: Option<String>,
    /// `FileNameMaxLength` (default 250, excluding the extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name_max_length: Option<i32>,
    /// UTC round-trip time, see [`format_last_modified_time`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// Base64 SHA-256 of the content (Office's cache key); send only if current.
    #[serde(rename = "SHA256", skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,

    // ---- user ------------------------------------------------------------------------------
    /// Display name of the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_friendly_name: Option<String>,
    /// Opaque per-user string stored by PutUserInfo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_info: Option<String>,
    /// Office may PutFile for this user.
    pub user_can_write: bool,
    /// The file cannot be changed by this user.
    pub read_only: bool,
    /// PutRelativeFile will fail (disables Save As and conversion). Must be true if PutRelativeFile answers 501.
    pub user_can_not_write_relative: bool,
    /// With `SupportsRename`, enables rename UI.
    pub user_can_rename: bool,
    /// Unauthenticated user.
    pub is_anonymous_user: bool,
    /// Business user: Office checks for an edit licence (business flow; needs `HostEditUrl`).
    pub license_check_for_edit_is_enabled: bool,

    // ---- host capabilities -----------------------------------------------------------------
    /// Lock, RefreshLock, Unlock, UnlockAndRelock all work.
    pub supports_locks: bool,
    /// GetLock works.
    pub supports_get_lock: bool,
    /// Lock ids up to 1024 characters are accepted.
    pub supports_extended_lock_length: bool,
    /// PutFile and PutRelativeFile work.
    pub supports_update: bool,
    /// RenameFile works.
    pub supports_rename: bool,
    /// DeleteFile works.
    pub supports_delete_file: bool,
    /// PutUserInfo works.
    pub supports_user_info: bool,

    // ---- URLs ------------------------------------------------------------------------------
    /// Where Office navigates on close or unrecoverable error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_url: Option<String>,
    /// Our host page in edit mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_edit_url: Option<String>,
    /// Our host page in view mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_view_url: Option<String>,
    /// Immediate download of the latest version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// Version history page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_version_url: Option<String>,
    /// Sharing page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_sharing_url: Option<String>,
    /// Direct download URL used instead of GetFile (e.g. pre-signed S3 GET); GetFile must still work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_url: Option<String>,
    /// Our host page origin, for PostMessage (`*` not allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_message_origin: Option<String>,

    // ---- breadcrumbs -----------------------------------------------------------------------
    /// Brand name in Office's header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breadcrumb_brand_name: Option<String>,
    /// Brand link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breadcrumb_brand_url: Option<String>,
    /// Folder (e.g. client) name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breadcrumb_folder_name: Option<String>,
    /// Folder link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breadcrumb_folder_url: Option<String>,
    /// Document name shown instead of `BaseFileName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breadcrumb_doc_name: Option<String>,

    // ---- misc ------------------------------------------------------------------------------
    /// Hide printing.
    pub disable_print: bool,
    /// Hide machine translation.
    pub disable_translation: bool,
    /// The file is briefly not writable (e.g. being scanned).
    pub temporarily_not_writable: bool,
}

impl CheckFileInfo {
    /// The five required properties; `FileExtension` is derived from the name (recommended by
    /// the docs, so Office never has to guess). Everything else is default / omitted.
    pub fn new(
        base_file_name: impl Into<String>,
        owner_id: impl Into<String>,
        size: i64,
        user_id: impl Into<String>,
        version: impl Into<String>,
    ) -> CheckFileInfo {
        let base_file_name = base_file_name.into();
        let ext = crate::filetypes::extension_of(&base_file_name);
        CheckFileInfo {
            file_extension: (!ext.is_empty()).then(|| format!(".{ext}")),
            base_file_name,
            owner_id: owner_id.into(),
            size,
            user_id: user_id.into(),
            version: version.into(),
            ..CheckFileInfo::default()
        }
    }
}

/// Formats epoch ms as the round-trip UTC time WOPI wants: `2009-06-15T13:45:30.0000000Z`
/// (seven fractional digits — .NET ticks — and `Z`). Years are proleptic Gregorian.
pub fn format_last_modified_time(epoch_ms: EpochMillis) -> String {
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (hh, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
    let (mm, rest) = (rest / 60_000, rest % 60_000);
    let (ss, ms) = (rest / 1000, rest % 1000);
    format!(
        "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:07}Z",
        ms * 10_000
    )
}

/// Days since 1970-01-01 → (year, month, day). Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A stored SHA-256 that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("SHA-256 must be 64 hex digits, got {0:?}")]
pub struct Sha256HexError(pub String);

/// Converts a hex SHA-256 (how we store it) to the base64 form CheckFileInfo's `SHA256` wants.
pub fn sha256_base64_from_hex(hex_digest: &str) -> Result<String, Sha256HexError> {
    let bytes = hex::decode(hex_digest).map_err(|_| Sha256HexError(hex_digest.to_owned()))?;
    if bytes.len() != 32 {
        return Err(Sha256HexError(hex_digest.to_owned()));
    }
    Ok(BASE64.encode(bytes))
}

/// Base64 SHA-256 of content, for `SHA256`.
pub fn sha256_base64(content: &[u8]) -> String {
    BASE64.encode(Sha256::digest(content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_properties_serialize_in_pascal_case_and_options_are_omitted() {
        let cfi = CheckFileInfo::new("Brief.docx", "owner-1", 1234, "user-1", "v1");
        let v = serde_json::to_value(&cfi).expect("json");
        assert_eq!(v["BaseFileName"], "Brief.docx");
        assert_eq!(v["OwnerId"], "owner-1");
        assert_eq!(v["Size"], 1234);
        assert_eq!(v["UserId"], "user-1");
        assert_eq!(v["Version"], "v1");
        assert_eq!(v["FileExtension"], ".docx");
        assert_eq!(v["UserCanWrite"], false);
        let obj = v.as_object().expect("object");
        assert!(obj.values().all(|x| !x.is_null()), "never null: {v}");
        for absent in [
            "SHA256",
            "CloseUrl",
            "HostEditUrl",
            "UserFriendlyName",
            "LastModifiedTime",
            "FileNameMaxLength",
        ] {
            assert!(
                !obj.contains_key(absent),
                "{absent} must be omitted when None"
            );
        }
    }

    #[test]
    fn special_property_names_are_exact() {
        let cfi = CheckFileInfo {
            sha256: Some("x".into()),
            user_can_not_write_relative: true,
            license_check_for_edit_is_enabled: true,
            supports_extended_lock_length: true,
            is_anonymous_user: false,
            file_name_max_length: Some(DEFAULT_FILE_NAME_MAX_LENGTH),
            ..CheckFileInfo::new("a.xlsx", "o", 0, "u", "1")
        };
        let v = serde_json::to_value(&cfi).expect("json");
        assert_eq!(v["SHA256"], "x");
        assert_eq!(v["UserCanNotWriteRelative"], true);
        assert_eq!(v["LicenseCheckForEditIsEnabled"], true);
        assert_eq!(v["SupportsExtendedLockLength"], true);
        assert_eq!(v["IsAnonymousUser"], false);
        assert_eq!(v["FileNameMaxLength"], 250);
    }

    #[test]
    fn check_file_info_round_trips_and_tolerates_missing_properties() {
        let cfi = CheckFileInfo {
            user_can_write: true,
            host_edit_url: Some("https://app.example.com/docs/1/edit".into()),
            ..CheckFileInfo::new("a.pptx", "o", 7, "u", "3")
        };
        let back: CheckFileInfo =
            serde_json::from_str(&serde_json::to_string(&cfi).expect("json")).expect("parse");
        assert_eq!(back, cfi);
        let minimal: CheckFileInfo =
            serde_json::from_str(r#"{"BaseFileName":"x.docx","Size":1}"#).expect("parse");
        assert_eq!(minimal.base_file_name, "x.docx");
        assert!(!minimal.supports_locks);
    }

    #[test]
    fn file_extension_is_derived_from_the_name() {
        assert_eq!(
            CheckFileInfo::new("Report.Final.XLSX", "o", 0, "u", "1")
                .file_extension
                .as_deref(),
            Some(".xlsx")
        );
        assert_eq!(
            CheckFileInfo::new("README", "o", 0, "u", "1").file_extension,
            None
        );
    }

    #[test]
    fn last_modified_time_has_seven_fraction_digits_and_z() {
        assert_eq!(
            format_last_modified_time(1_245_073_530_000),
            "2009-06-15T13:45:30.0000000Z"
        );
        assert_eq!(format_last_modified_time(0), "1970-01-01T00:00:00.0000000Z");
        assert_eq!(
            format_last_modified_time(1_709_251_199_999),
            "2024-02-29T23:59:59.9990000Z"
        );
        assert_eq!(
            format_last_modified_time(1_709_251_200_000),
            "2024-03-01T00:00:00.0000000Z"
        );
        assert_eq!(
            format_last_modified_time(-1),
            "1969-12-31T23:59:59.9990000Z"
        );
        assert_eq!(
            format_last_modified_time(951_782_400_123),
            "2000-02-29T00:00:00.1230000Z"
        );
        assert_eq!(
            format_last_modified_time(253_402_300_799_999),
            "9999-12-31T23:59:59.9990000Z"
        );
    }

    #[test]
    fn sha256_hex_converts_to_base64() {
        // SHA-256 of the empty string.
        let hex_digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            sha256_base64_from_hex(hex_digest),
            Ok("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into())
        );
        assert_eq!(
            sha256_base64_from_hex(&hex_digest.to_uppercase()),
            Ok("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into())
        );
        assert_eq!(
            sha256_base64(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        for bad in ["", "abc", "zz", &hex_digest[..62]] {
            assert!(sha256_base64_from_hex(bad).is_err(), "{bad:?}");
        }
    }
}
