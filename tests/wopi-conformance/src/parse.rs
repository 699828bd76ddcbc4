//! Turns the XML element tree into the [`Suite`] model, rejecting what the validator's
//! factories reject (unknown request, validator, mutator or property elements, bad attribute
//! values, missing prerequisite cases, unknown schemas).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use crate::dotnet::{parse_integer, xml_bool, xml_i64};
use crate::error::LoadError;
use crate::model::{
    Category, Mutator, PutRelativeFileMode, Request, RequestKind, Resource, Suite, TestCase,
    TestGroup, UNSUPPORTED_REQUESTS,
};
use crate::state::{StateEntry, StateSource};
use crate::validator::Validator;
use crate::xml::{Element, parse_document};

mod validators;

pub(crate) use validators::parse_validators;

impl Suite {
    /// Reads and parses a test-case file; JSON schemas are read from the `JsonSchemas`
    /// directory next to it.
    pub fn load(path: impl AsRef<Path>) -> Result<Suite, LoadError> {
        let path = path.as_ref();
        let xml = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let schema_dir = path.parent().unwrap_or(Path::new(".")).join("JsonSchemas");
        Self::from_xml(&xml, Some(&schema_dir))
    }

    /// Parses test-case XML. `schema_dir` is where `<id>.json` files for `JsonSchemaValidator`
    /// are read from; it may be `None` when no such validator is used.
    pub fn from_xml(xml: &str, schema_dir: Option<&Path>) -> Result<Suite, LoadError> {
        let root = parse_document(xml)?;
        let resources = parse_resources(&root)?;
        let mut prereq_cases = Vec::new();
        if let Some(prereqs) = root.child("PrereqCases") {
            for element in prereqs.children_named("TestCase") {
                prereq_cases.push(parse_case(element)?);
            }
        }
        ensure_unique(
            prereq_cases.iter().map(|c| c.name.as_str()),
            "PrereqCases",
            "prerequisite case",
        )?;
        let known_prereqs: HashSet<&str> = prereq_cases.iter().map(|c| c.name.as_str()).collect();
        let mut groups = Vec::new();
        for element in root.children_named("TestGroup") {
            groups.push(parse_group(element, &known_prereqs)?);
        }
        let mut suite = Suite {
            resources,
            prereq_cases,
            groups,
            schemas: BTreeMap::new(),
        };
        suite.schemas = load_schemas(&suite, schema_dir)?;
        Ok(suite)
    }
}

fn required_attr<'a>(
    element: &'a Element,
    name: &str,
    context: &str,
) -> Result<&'a str, LoadError> {
    element.attr(name).ok_or_else(|| {
        LoadError::invalid(
            context,
            format!("<{}> has no {name} attribute", element.name),
        )
    })
}

fn owned_attr(element: &Element, name: &str) -> Option<String> {
    element.attr(name).map(str::to_string)
}

fn bool_attr(element: &Element, name: &str, context: &str) -> Result<Option<bool>, LoadError> {
    element
        .attr(name)
        .map(|v| {
            xml_bool(v).ok_or_else(|| {
                LoadError::invalid(context, format!("{name}=\"{v}\" is not an xs:boolean"))
            })
        })
        .transpose()
}

fn i32_attr(element: &Element, name: &str, context: &str) -> Result<Option<i32>, LoadError> {
    element
        .attr(name)
        .map(|v| {
            xml_i64(v)
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| {
                    LoadError::invalid(context, format!("{name}=\"{v}\" is not an xs:int"))
                })
        })
        .transpose()
}

fn ensure_unique<'a>(
    names: impl Iterator<Item = &'a str>,
    context: &str,
    what: &str,
) -> Result<(), LoadError> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(LoadError::invalid(
                context,
                format!("duplicate {what} '{name}'"),
            ));
        }
    }
    Ok(())
}

fn parse_resources(root: &Element) -> Result<Vec<Resource>, LoadError> {
    let mut resources = Vec::new();
    for file in root
        .child("Resources")
        .into_iter()
        .flat_map(|r| r.children_named("File"))
    {
        resources.push(Resource {
            id: required_attr(file, "Id", "Resources")?.to_string(),
            name: file.attr("Name").unwrap_or_default().to_string(),
            file_path: file.attr("FilePath").unwrap_or_default().to_string(),
        });
    }
    ensure_unique(
        resources.iter().map(|r| r.id.as_str()),
        "Resources",
        "resource id",
    )?;
    Ok(resources)
}

fn parse_group(element: &Element, known_prereqs: &HashSet<&str>) -> Result<TestGroup, LoadError> {
    let name = required_attr(element, "Name", "TestGroup")?.to_string();
    let context = format!("group {name}");
    let has_delay = bool_attr(element, "HasDelay", &context)?.unwrap_or(false);
    let mut prereqs = Vec::new();
    for prereq in element
        .child("PrereqTests")
        .into_iter()
        .flat_map(|p| p.children_named("PrereqTest"))
    {
        if !known_prereqs.contains(prereq.text.as_str()) {
            return Err(LoadError::invalid(
                &context,
                format!("Could not find a prereq test case named {}", prereq.text),
            ));
        }
        prereqs.push(prereq.text.clone());
    }
    let mut cases = Vec::new();
    for case in element
        .child("TestCases")
        .into_iter()
        .flat_map(|c| c.children_named("TestCase"))
    {
        cases.push(parse_case(case)?);
    }
    Ok(TestGroup {
        name,
        has_delay,
        prereqs,
        cases,
    })
}

fn parse_case(element: &Element) -> Result<TestCase, LoadError> {
    let name = required_attr(element, "Name", "TestCase")?.to_string();
    let context = format!("test case {name}");
    let category_text = required_attr(element, "Category", &context)?;
    let category = Category::parse(category_text).ok_or_else(|| {
        LoadError::invalid(
            &context,
            format!("The category of {name} TestCase is invalid"),
        )
    })?;
    let description = element
        .child("Description")
        .map(|d| d.text.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let requests_element = element
        .child("Requests")
        .ok_or_else(|| LoadError::invalid(&context, "no <Requests> element"))?;
    let requests = parse_requests(requests_element, &context)?;
    let cleanup_requests = match element.child("CleanupRequests") {
        Some(cleanup) => parse_requests(cleanup, &context)?,
        None => Vec::new(),
    };
    Ok(TestCase {
        name,
        category,
        description,
        fail_message: owned_attr(element, "FailMessage"),
        requests,
        cleanup_requests,
    })
}

fn parse_requests(element: &Element, context: &str) -> Result<Vec<Request>, LoadError> {
    element
        .children
        .iter()
        .map(|child| parse_request(child, context))
        .collect()
}

fn parse_request(element: &Element, context: &str) -> Result<Request, LoadError> {
    let validators = element
        .child("Validators")
        .map(|v| parse_validators(v, context))
        .transpose()?;
    let save_state = match element.child("SaveState") {
        Some(save) => save
            .children
            .iter()
            .map(|s| parse_state_entry(s, context))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let mutators = match element.child("Mutators") {
        Some(m) => m
            .children
            .iter()
            .map(|m| parse_mutator(m, context))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    validate_common_attributes(element, context)?;
    Ok(Request {
        kind: parse_request_kind(element, context)?,
        override_url: owned_attr(element, "OverrideUrl"),
        validators,
        save_state,
        mutators,
    })
}

/// Attributes the upstream factory converts for every request type, so bad values fail the
/// whole file there.
fn validate_common_attributes(element: &Element, context: &str) -> Result<(), LoadError> {
    bool_attr(element, "LockUserVisible", context)?;
    bool_attr(element, "OverwriteRelative", context)?;
    for name in ["DelayTimeInSeconds", "CoauthLockExpirationTimeout"] {
        if let Some(v) = element.attr(name).filter(|v| !v.is_empty()) {
            parse_integer::<u32>(v).map_err(|_| {
                LoadError::invalid(context, format!("{name} expected to be uint but is '{v}'"))
            })?;
        }
    }
    if let Some(v) = element.attr("CoauthLockType").filter(|v| !v.is_empty())
        && !["Coauth", "CoauthExclusive", "None"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(v))
    {
        return Err(LoadError::invalid(
            context,
            format!("unknown CoauthLockType '{v}'"),
        ));
    }
    Ok(())
}

fn parse_request_kind(element: &Element, context: &str) -> Result<RequestKind, LoadError> {
    let lock = || owned_attr(element, "Lock");
    let overwrite_relative = bool_attr(element, "OverwriteRelative", context)?;
    let kind = match element.name.as_str() {
        "CheckFileInfo" => RequestKind::CheckFileInfo,
        "GetFile" => RequestKind::GetFile {
            new_lock: owned_attr(element, "NewLock"),
        },
        "PutFile" => RequestKind::PutFile {
            lock: lock(),
            resource_id: owned_attr(element, "ResourceId"),
        },
        "Lock" => RequestKind::Lock {
            lock: lock(),
            lock_user_visible: bool_attr(element, "LockUserVisible", context)?,
        },
        "Unlock" => RequestKind::Unlock { lock: lock() },
        "RefreshLock" => RequestKind::RefreshLock { lock: lock() },
        "UnlockAndRelock" => RequestKind::UnlockAndRelock {
            new_lock: owned_attr(element, "NewLock"),
            old_lock: owned_attr(element, "OldLock"),
        },
        "GetLock" => RequestKind::GetLock,
        "PutRelativeFile" => {
            let name = element
                .attr("Name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    LoadError::invalid(
                        context,
                        "Requested name for a PutRelativeFile Wopi request cannot be null or empty",
                    )
                })?;
            RequestKind::PutRelativeFile {
                mode: parse_put_relative_mode(element.attr("PutRelativeFileMode"), context)?,
                name: name.to_string(),
                resource_id: owned_attr(element, "ResourceId"),
                overwrite_relative,
            }
        }
        "RenameFile" => RequestKind::RenameFile {
            name: owned_attr(element, "Name"),
            lock: lock(),
            coauth_lock_id: owned_attr(element, "CoauthLockId"),
        },
        "DeleteFile" => RequestKind::DeleteFile,
        "PutUserInfo" => {
            let body = element
                .child("RequestBody")
                .map(|b| b.text.clone())
                .unwrap_or_default();
            if body.trim().is_empty() {
                return Err(LoadError::invalid(
                    context,
                    "No RequestBody specified for PutUserInfo operation",
                ));
            }
            RequestKind::PutUserInfo { body }
        }
        "GetFromFileUrl" => RequestKind::GetFromFileUrl,
        "Delay" => {
            let seconds = element
                .attr("DelayTimeInSeconds")
                .and_then(|v| parse_integer::<u32>(v).ok())
                .ok_or_else(|| {
                    LoadError::invalid(context, "Delay needs a DelayTimeInSeconds attribute")
                })?;
            RequestKind::Delay { seconds }
        }
        other if UNSUPPORTED_REQUESTS.contains(&other) => {
            RequestKind::Unsupported(other.to_string())
        }
        other => {
            return Err(LoadError::invalid(
                context,
                format!("Unknown request: '{other}'"),
            ));
        }
    };
    Ok(kind)
}

fn parse_put_relative_mode(
    value: Option<&str>,
    context: &str,
) -> Result<Option<PutRelativeFileMode>, LoadError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let modes = [
        ("Suggested", PutRelativeFileMode::Suggested),
        ("ExactName", PutRelativeFileMode::ExactName),
        ("Conflicting", PutRelativeFileMode::Conflicting),
    ];
    modes
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value.trim()))
        .map(|(_, mode)| Some(*mode))
        .ok_or_else(|| {
            LoadError::invalid(context, format!("unknown PutRelativeFileMode '{value}'"))
        })
}

fn parse_state_entry(element: &Element, context: &str) -> Result<StateEntry, LoadError> {
    let source_type = match element.attr("SourceType") {
        Some(t) if t.eq_ignore_ascii_case("Header") => StateSource::Header,
        // JsonBody, and (like upstream) any unrecognised value
        _ => StateSource::JsonBody,
    };
    Ok(StateEntry {
        name: required_attr(element, "Name", context)?.to_string(),
        source: required_attr(element, "Source", context)?.to_string(),
        source_type,
    })
}

fn parse_mutator(element: &Element, context: &str) -> Result<Mutator, LoadError> {
    match element.name.as_str() {
        "AccessToken" => Ok(Mutator::AccessToken {
            mutation: owned_attr(element, "Mutation"),
        }),
        "ProofKey" => Ok(Mutator::ProofKey {
            mutate_current: bool_attr(element, "MutateCurrent", context)?.unwrap_or(false),
            mutate_old: bool_attr(element, "MutateOld", context)?.unwrap_or(false),
            key_relation: owned_attr(element, "KeyRelation"),
            timestamp: owned_attr(element, "Timestamp"),
        }),
        other => Err(LoadError::invalid(
            context,
            format!("Unknown mutator: '{other}'"),
        )),
    }
}

fn schema_names(validators: &[Validator], names: &mut BTreeSet<String>) {
    for validator in validators {
        match validator {
            Validator::JsonSchema { schema } => {
                names.insert(schema.clone());
            }
            Validator::Or(children) | Validator::And(children) => schema_names(children, names),
            _ => {}
        }
    }
}

fn load_schemas(
    suite: &Suite,
    dir: Option<&Path>,
) -> Result<BTreeMap<String, serde_json::Value>, LoadError> {
    let mut names = BTreeSet::new();
    let cases = suite
        .prereq_cases
        .iter()
        .chain(suite.groups.iter().flat_map(|g| &g.cases));
    for request in cases.flat_map(|c| c.requests.iter().chain(&c.cleanup_requests)) {
        schema_names(
            request.validators.as_deref().unwrap_or_default(),
            &mut names,
        );
    }
    let mut schemas = BTreeMap::new();
    for name in names {
        let schema_error = |message: String| LoadError::Schema {
            name: name.clone(),
            message,
        };
        let dir = dir.ok_or_else(|| schema_error("no schema directory given".into()))?;
        let path = dir.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| schema_error(format!("{}: {e}", path.display())))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let schema = serde_json::from_str(text)
            .map_err(|e| schema_error(format!("{}: {e}", path.display())))?;
        schemas.insert(name, schema);
    }
    Ok(schemas)
}

#[cfg(test)]
mod tests;
