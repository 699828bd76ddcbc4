//! A fully populated CheckFileInfo is checked against the WOPI validator's own JSON schema
//! (`../shared/wopi-validator/JsonSchemas/CsppCheckFileInfoSchema.json`, draft-04).
//!
//! The `jsonschema` crate would pull ~45 crates into a shared 2-core build for one test, so this
//! file interprets the small subset of draft-04 that schema uses (`required`, `properties`,
//! `type`, `oneOf`, `enum`, `maxLength`, `minimum`, `format: uri|date-time`, `not`). Any other
//! keyword makes the test fail, so a schema update cannot silently weaken the check.

use std::path::PathBuf;

use bridge_wopi::CheckFileInfo;
use bridge_wopi::checkfileinfo::{
    DEFAULT_FILE_NAME_MAX_LENGTH, format_last_modified_time, sha256_base64_from_hex,
};
use serde_json::{Map, Value};

fn schema(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/wopi-validator/JsonSchemas")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the WOPI validator schema at {} ({e}); it lives beside the repository in \
             ../shared/wopi-validator/. This test never skips.",
            path.display()
        )
    });
    serde_json::from_str(text.trim_start_matches('\u{feff}')).expect("schema is JSON")
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        other => panic!("unknown schema type {other}"),
    }
}

fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !s.chars().any(char::is_whitespace)
}

fn is_date_time(s: &str) -> bool {
    // RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    &s[i..] == "Z"
        || (s.len() == i + 6
            && (b[i] == b'+' || b[i] == b'-')
            && digits(i + 1..i + 3)
            && b[i + 3] == b':'
            && digits(i + 4..i + 6))
}

/// Validates `v` against `schema`, collecting errors under `path`.
fn validate(v: &Value, schema: &Value, path: &str, errors: &mut Vec<String>) {
    let obj = schema.as_object().expect("schema is an object");
    for (kw, arg) in obj {
        match kw.as_str() {
            "$schema" | "description" | "title" | "additionalProperties" => {}
            "type" => {
                let ok = match arg {
                    Value::String(t) => is_type(v, t),
                    Value::Array(ts) => ts
                        .iter()
                        .any(|t| is_type(v, t.as_str().expect("type name"))),
                    _ => panic!("bad type keyword"),
                };
                if !ok {
                    errors.push(format!("{path}: {v} is not of type {arg}"));
                }
            }
            "oneOf" => {
                let matching = arg
                    .as_array()
                    .expect("oneOf array")
                    .iter()
                    .filter(|s| {
                        let mut e = Vec::new();
                        validate(v, s, path, &mut e);
                        e.is_empty()
                    })
                    .count();
                if matching != 1 {
                    errors.push(format!("{path}: {v} matches {matching} oneOf branches"));
                }
            }
            "enum" => {
                if !arg.as_array().expect("enum array").contains(v) {
                    errors.push(format!("{path}: {v} not in {arg}"));
                }
            }
            "maxLength" => {
                let max = arg.as_u64().expect("maxLength");
                if v.as_str().is_some_and(|s| s.chars().count() as u64 > max) {
                    errors.push(format!("{path}: longer than {arg}"));
                }
            }
            "minimum" => {
                let min = arg.as_f64().expect("minimum");
                if v.as_f64().is_some_and(|n| n < min) {
                    errors.push(format!("{path}: below {arg}"));
                }
            }
            "format" => {
                if let Some(s) = v.as_str() {
                    let ok = match arg.as_str().expect("format") {
                        "uri" => is_uri(s),
                        "date-time" => is_date_time(s),
                        other => panic!("unknown format {other}"),
                    };
                    if !ok {
                        errors.push(format!("{path}: {s:?} is not a {arg}"));
                    }
                }
            }
            "not" => {
                let mut e = Vec::new();
                validate(v, arg, path, &mut e);
                if e.is_empty() {
                    errors.push(format!("{path}: must not match {arg}"));
                }
            }
            "items" => {
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    validate(item, arg, &format!("{path}[{i}]"), errors);
                }
            }
            "required" => {
                let o = v.as_object();
                for r in arg.as_array().expect("required array") {
                    let r = r.as_str().expect("name");
                    if !o.is_some_and(|o| o.contains_key(r)) {
                        errors.push(format!("{path}: required property {r} missing"));
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    let props: &Map<String, Value> = arg.as_object().expect("properties object");
                    for (k, val) in o {
                        if let Some(sub) = props.get(k) {
                            validate(val, sub, &format!("{path}.{k}"), errors);
                        }
                    }
                }
            }
            other => panic!("schema keyword {other:?} is not interpreted by this test; extend it"),
        }
    }
}

/// An empty schema `{}` matches everything, so `not: {}` forbids a property.
fn is_forbidden(sub: &Value) -> bool {
    sub.get("not")
        .is_some_and(|n| n.as_object().is_some_and(Map::is_empty))
}

fn full_example() -> CheckFileInfo {
    CheckFileInfo {
        file_name_max_length: Some(DEFAULT_FILE_NAME_MAX_LENGTH),
        last_modified_time: Some(format_last_modified_time(1_700_000_000_123)),
        sha256: Some(
            sha256_base64_from_hex(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            )
            .expect("hex"),
        ),
        user_friendly_name: Some("Jan de Vries".into()),
        user_info: Some("{\"licensed\":true}".into()),
        user_can_write: true,
        read_only: false,
        user_can_not_write_relative: false,
        user_can_rename: true,
        is_anonymous_user: false,
        license_check_for_edit_is_enabled: true,
        supports_locks: true,
        supports_get_lock: true,
        supports_extended_lock_length: true,
        supports_update: true,
        supports_rename: true,
        supports_delete_file: true,
        supports_user_info: true,
        close_url: Some("https://app.example.com/clients/42/documents".into()),
        host_edit_url: Some("https://app.example.com/documents/0190f3c2/edit".into()),
        host_view_url: Some("https://app.example.com/documents/0190f3c2/view".into()),
        download_url: Some("https://app.example.com/documents/0190f3c2/download".into()),
        file_version_url: Some("https://app.example.com/documents/0190f3c2/versions".into()),
        file_sharing_url: Some("https://app.example.com/documents/0190f3c2/share".into()),
        file_url: Some(
            "https://bucket.s3.eu-west-1.amazonaws.com/tenants/t/docs/d/v?X-Amz-Signature=abc"
                .into(),
        ),
        post_message_origin: Some("https://app.example.com".into()),
        breadcrumb_brand_name: Some("m365-bridge".into()),
        breadcrumb_brand_url: Some("https://app.example.com/".into()),
        breadcrumb_folder_name: Some("Client 42".into()),
        breadcrumb_folder_url: Some("https://app.example.com/clients/42".into()),
        breadcrumb_doc_name: Some("Intake".into()),
        disable_print: false,
        disable_translation: false,
        temporarily_not_writable: false,
        ..CheckFileInfo::new("Intake.docx", "tenant-1", 12_345, "user-7", "0190f3c2-v3")
    }
}

fn check_against(schema_name: &str, instance: &Value) -> Vec<String> {
    let schema = schema(schema_name);
    let mut errors = Vec::new();
    validate(instance, &schema, "$", &mut errors);
    errors
}

#[test]
fn full_check_file_info_validates_against_the_validators_cspp_schema() {
    let instance = serde_json::to_value(full_example()).expect("json");
    let errors = check_against("CsppCheckFileInfoSchema.json", &instance);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn minimal_check_file_info_validates_too() {
    let instance =
        serde_json::to_value(CheckFileInfo::new("a.wopitest", "o", 0, "u", "1")).expect("json");
    let errors = check_against("CsppCheckFileInfoSchema.json", &instance);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn every_property_we_emit_is_known_to_the_schema_and_none_is_forbidden_or_null() {
    let schema = schema("CsppCheckFileInfoSchema.json");
    let props = schema["properties"].as_object().expect("properties");
    let instance = serde_json::to_value(full_example()).expect("json");
    for (k, v) in instance.as_object().expect("object") {
        let sub = props
            .get(k)
            .unwrap_or_else(|| panic!("{k} is not a CheckFileInfo property (typo?)"));
        assert!(!is_forbidden(sub), "{k} is forbidden in the Cspp schema");
        assert!(!v.is_null(), "{k} is null");
    }
    assert_eq!(
        instance.as_object().map(Map::len),
        Some(40),
        "all fields populated"
    );
}

#[test]
fn the_schema_check_itself_catches_errors() {
    // Guard against a vacuous validator: break the instance in the ways the schema forbids.
    let mut broken = serde_json::to_value(full_example()).expect("json");
    let o = broken.as_object_mut().expect("object");
    o.remove("Version");
    o.insert("Size".into(), Value::String("12".into()));
    o.insert("CloseUrl".into(), Value::String("not a url".into()));
    o.insert(
        "LastModifiedTime".into(),
        Value::String("2009-06-15 13:45".into()),
    );
    o.insert("SupportsCoauth".into(), Value::Bool(true));
    let errors = check_against("CsppCheckFileInfoSchema.json", &broken);
    for needle in [
        "Version missing",
        "$.Size",
        "$.CloseUrl",
        "$.LastModifiedTime",
        "$.SupportsCoauth",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "{needle} not reported in {errors:#?}"
        );
    }
}
