//! The parsed test suite: resources, prerequisite cases, groups, cases and requests.

use std::collections::BTreeMap;

use crate::state::StateEntry;
use crate::validator::Validator;

/// A whole `TestCases.xml`, ready to run. Build it with [`Suite::load`] or [`Suite::from_xml`].
#[derive(Debug, Clone, Default)]
pub struct Suite {
    /// `<Resources>/<File>` entries.
    pub resources: Vec<Resource>,
    /// `<PrereqCases>/<TestCase>` entries, referenced by name from groups.
    pub prereq_cases: Vec<TestCase>,
    /// `<TestGroup>` entries in document order.
    pub groups: Vec<TestGroup>,
    /// JSON schemas referenced by `JsonSchemaValidator`, by schema id.
    pub schemas: BTreeMap<String, serde_json::Value>,
}

impl Suite {
    /// Resource by `Id`.
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.id == id)
    }

    /// Prerequisite case by name.
    pub fn prereq(&self, name: &str) -> Option<&TestCase> {
        self.prereq_cases.iter().find(|c| c.name == name)
    }

    /// Group by name.
    pub fn group(&self, name: &str) -> Option<&TestGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Loaded JSON schema by id.
    pub fn schema(&self, name: &str) -> Option<&serde_json::Value> {
        self.schemas.get(name)
    }

    /// Number of test cases over all groups (prerequisite cases not included).
    pub fn case_count(&self) -> usize {
        self.groups.iter().map(|g| g.cases.len()).sum()
    }
}

/// A `<File Id Name FilePath>` resource. Its bytes are never read from disk (see
/// [`Resource::content`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `Id` attribute (what `ResourceId` attributes refer to).
    pub id: String,
    /// `Name` attribute.
    pub name: String,
    /// `FilePath` attribute.
    pub file_path: String,
}

impl Resource {
    /// The request body the validator sends for this resource: the UTF-8 text
    /// `Id + FilePath + Name`, or nothing for the `ZeroByteFile.wopitest` resource.
    pub fn content(&self) -> Vec<u8> {
        if self.name == "ZeroByteFile.wopitest" {
            Vec::new()
        } else {
            format!("{}{}{}", self.id, self.file_path, self.name).into_bytes()
        }
    }
}

/// A `<TestGroup>`.
#[derive(Debug, Clone)]
pub struct TestGroup {
    /// `Name` attribute.
    pub name: String,
    /// `HasDelay="true"`: skipped unless delay tests are enabled.
    pub has_delay: bool,
    /// Names of the prerequisite cases run before each of the group's cases.
    pub prereqs: Vec<String>,
    /// The group's test cases in document order.
    pub cases: Vec<TestCase>,
}

/// Test category (`Category` attribute, also the run-wide category filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Category {
    /// Every category (only meaningful as a filter).
    #[default]
    All,
    /// Core WOPI; always run whatever the filter.
    WopiCore,
    /// Office for the web specifics.
    OfficeOnline,
    /// Office desktop client specifics (sent with the validator's User-Agent).
    OfficeNativeClient,
    /// Co-authoring (Microsoft-internal hosts).
    WopiCoauth,
}

impl Category {
    /// Parses a category name case-insensitively (`Enum.TryParse(..., ignoreCase: true)`).
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::All,
            Self::WopiCore,
            Self::OfficeOnline,
            Self::OfficeNativeClient,
            Self::WopiCoauth,
        ]
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The category's name as written in the XML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::WopiCore => "WopiCore",
            Self::OfficeOnline => "OfficeOnline",
            Self::OfficeNativeClient => "OfficeNativeClient",
            Self::WopiCoauth => "WopiCoauth",
        }
    }
}

/// A `<TestCase>` (group case or prerequisite case).
#[derive(Debug, Clone)]
pub struct TestCase {
    /// `Name` attribute.
    pub name: String,
    /// `Category` attribute.
    pub category: Category,
    /// `<Description>` text with whitespace collapsed.
    pub description: String,
    /// `FailMessage` attribute, shown instead of the generic failure message upstream.
    pub fail_message: Option<String>,
    /// `<Requests>` in order.
    pub requests: Vec<Request>,
    /// `<CleanupRequests>` in order (always run, results ignored).
    pub cleanup_requests: Vec<Request>,
}

impl TestCase {
    /// Why this runner cannot execute the case faithfully, if it cannot: a request type that is
    /// deliberately not implemented, a validator that is not implemented, or a proof-key
    /// mutator (this runner never signs requests).
    pub fn unsupported_reason(&self) -> Option<String> {
        let all = self.requests.iter().chain(&self.cleanup_requests);
        for request in all.clone() {
            if let RequestKind::Unsupported(name) = &request.kind {
                return Some(format!("request type {name} not implemented by this host"));
            }
        }
        for request in all.clone() {
            if let Some(name) = request
                .validators
                .iter()
                .flatten()
                .find_map(Validator::unsupported_name)
            {
                return Some(format!("validator {name} not implemented by this runner"));
            }
        }
        for request in all {
            if request
                .mutators
                .iter()
                .any(|m| matches!(m, Mutator::ProofKey { .. }))
            {
                return Some(
                    "ProofKey mutator: proof-key signing not implemented by this runner"
                        .to_string(),
                );
            }
        }
        None
    }
}

/// One request element of a case.
#[derive(Debug, Clone)]
pub struct Request {
    /// Which operation, with its operation-specific attributes.
    pub kind: RequestKind,
    /// `OverrideUrl` attribute (a literal URL or `$State:Key`).
    pub override_url: Option<String>,
    /// `<Validators>`; `None` means "no element", which defaults to "status 200".
    pub validators: Option<Vec<Validator>>,
    /// `<SaveState>` entries, applied after the request passed its validators.
    pub save_state: Vec<StateEntry>,
    /// `<Mutators>` entries.
    pub mutators: Vec<Mutator>,
}

impl Request {
    /// The element name (`CheckFileInfo`, `Lock`, ...).
    pub fn name(&self) -> &str {
        self.kind.name()
    }
}

/// `PutRelativeFileMode` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutRelativeFileMode {
    /// `X-WOPI-SuggestedTarget`.
    Suggested,
    /// `X-WOPI-RelativeTarget` (plus `X-WOPI-OverwriteRelativeTarget` when set).
    ExactName,
    /// Both target headers (the host must reject the request).
    Conflicting,
}

/// The request types, with the attributes each one sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestKind {
    /// GET the file.
    CheckFileInfo,
    /// GET `/contents`; `X-WOPI-Lock` only from `NewLock` (the `Lock` attribute is ignored).
    GetFile {
        /// `NewLock` attribute.
        new_lock: Option<String>,
    },
    /// POST `/contents`, `PUT`.
    PutFile {
        /// `Lock` attribute (header omitted when absent or empty).
        lock: Option<String>,
        /// `ResourceId` attribute: the body.
        resource_id: Option<String>,
    },
    /// POST `LOCK`.
    Lock {
        /// `Lock` attribute (sent empty when absent).
        lock: Option<String>,
        /// `LockUserVisible` attribute (`True`/`False`).
        lock_user_visible: Option<bool>,
    },
    /// POST `UNLOCK`.
    Unlock {
        /// `Lock` attribute (sent empty when absent).
        lock: Option<String>,
    },
    /// POST `REFRESH_LOCK`.
    RefreshLock {
        /// `Lock` attribute (sent empty when absent).
        lock: Option<String>,
    },
    /// POST `LOCK` with `X-WOPI-OldLock`.
    UnlockAndRelock {
        /// `NewLock` attribute (`X-WOPI-Lock`, sent empty when absent).
        new_lock: Option<String>,
        /// `OldLock` attribute (`X-WOPI-OldLock`, sent empty when absent).
        old_lock: Option<String>,
    },
    /// POST `GET_LOCK`.
    GetLock,
    /// POST `PUT_RELATIVE`.
    PutRelativeFile {
        /// `PutRelativeFileMode`; `None` fails at run time as it does upstream.
        mode: Option<PutRelativeFileMode>,
        /// `Name` attribute (required).
        name: String,
        /// `ResourceId` attribute: the body.
        resource_id: Option<String>,
        /// `OverwriteRelative` attribute (only sent in `ExactName` mode).
        overwrite_relative: Option<bool>,
    },
    /// POST `RENAME_FILE`.
    RenameFile {
        /// `Name` attribute (`X-WOPI-RequestedName`, UTF-7).
        name: Option<String>,
        /// `Lock` attribute (sent empty when absent).
        lock: Option<String>,
        /// `CoauthLockId` attribute (sent empty when absent).
        coauth_lock_id: Option<String>,
    },
    /// POST `DELETE`; only ever sent to an `OverrideUrl`.
    DeleteFile,
    /// POST `PUT_USER_INFO` with the `<RequestBody>` text.
    PutUserInfo {
        /// `<RequestBody>` text (required, not blank).
        body: String,
    },
    /// Plain GET of the `OverrideUrl` (a `FileUrl`), with no WOPI headers at all.
    GetFromFileUrl,
    /// Sleep between requests (not an HTTP request).
    Delay {
        /// `DelayTimeInSeconds` attribute.
        seconds: u32,
    },
    /// A request type the validator knows but this runner deliberately does not implement.
    Unsupported(String),
}

/// Request types the official validator knows but this runner reports as skipped.
pub const UNSUPPORTED_REQUESTS: &[&str] = &[
    "CheckEcosystem",
    "GetNewAccessToken",
    "GetRootContainer",
    "CheckContainerInfo",
    "EnumerateChildren",
    "EnumerateAncestors",
    "GetEcosystem",
    "CreateChildContainer",
    "CreateChildFile",
    "DeleteContainer",
    "RenameContainer",
    "GetShareUrl",
    "AddActivities",
    "GetCoauthLock",
    "GetCoauthTable",
    "RefreshCoauthLock",
    "UnlockCoauthLock",
    "GetChunkedFile",
    "PutChunkedFile",
    "GetSequenceNumber",
];

impl RequestKind {
    /// The XML element name.
    pub fn name(&self) -> &str {
        match self {
            Self::CheckFileInfo => "CheckFileInfo",
            Self::GetFile { .. } => "GetFile",
            Self::PutFile { .. } => "PutFile",
            Self::Lock { .. } => "Lock",
            Self::Unlock { .. } => "Unlock",
            Self::RefreshLock { .. } => "RefreshLock",
            Self::UnlockAndRelock { .. } => "UnlockAndRelock",
            Self::GetLock => "GetLock",
            Self::PutRelativeFile { .. } => "PutRelativeFile",
            Self::RenameFile { .. } => "RenameFile",
            Self::DeleteFile => "DeleteFile",
            Self::PutUserInfo { .. } => "PutUserInfo",
            Self::GetFromFileUrl => "GetFromFileUrl",
            Self::Delay { .. } => "Delay",
            Self::Unsupported(name) => name,
        }
    }
}

/// A `<Mutators>` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutator {
    /// `<AccessToken Mutation>`: replaces the token in the URL and in `Authorization` with
    /// `Mutation` (a random GUID when absent).
    AccessToken {
        /// `Mutation` attribute.
        mutation: Option<String>,
    },
    /// `<ProofKey>`: alters proof-key signatures. This runner does not sign, so cases using it
    /// are skipped (see [`TestCase::unsupported_reason`]).
    ProofKey {
        /// `MutateCurrent` attribute.
        mutate_current: bool,
        /// `MutateOld` attribute.
        mutate_old: bool,
        /// `KeyRelation` attribute (`Ahead` / `Behind`).
        key_relation: Option<String>,
        /// `Timestamp` attribute.
        timestamp: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_content_is_the_concatenated_attributes() {
        let docx = Resource {
            id: "WordSimpleDocument".into(),
            name: "WordSimpleDocument.docx".into(),
            file_path: "Resources\\WordSimpleDocument.docx".into(),
        };
        let content = docx.content();
        assert_eq!(
            content,
            b"WordSimpleDocumentResources\\WordSimpleDocument.docxWordSimpleDocument.docx"
        );
        assert_eq!(content.len(), 74);
        let zero = Resource {
            id: "ZeroByteFile".into(),
            name: "ZeroByteFile.wopitest".into(),
            file_path: "Resources\\ZeroByteFile.wopitest".into(),
        };
        assert!(zero.content().is_empty());
    }

    #[test]
    fn categories_parse_case_insensitively() {
        assert_eq!(Category::parse("wopicore"), Some(Category::WopiCore));
        assert_eq!(
            Category::parse("OfficeNativeClient"),
            Some(Category::OfficeNativeClient)
        );
        assert_eq!(Category::parse("Other"), None);
    }
}
