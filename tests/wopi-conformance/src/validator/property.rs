//! JSON property validators (children of `<JsonResponseContentValidator>`), with the
//! semantics of the validator's `JsonContentValidator` classes.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::dotnet::{
    ConvertError, json_to_bool, json_to_integer, json_to_string, parse_bool, parse_integer,
};
use crate::encoding::query_parameter_value;
use crate::schema::json_equal;
use crate::state::State;

/// Properties that, without an expected value, must hold Unix milliseconds within ±10 years.
const UNIX_TIMESTAMP_KEYS: &[&str] = &["AccessTokenExpiry", "ServerTime", "AccessTokenValidFrom"];

/// One property validator: which JSON path it checks and how.
#[derive(Debug, Clone)]
pub struct PropertyValidator {
    /// `Name` attribute: a Json.NET path such as `AncestorsWithRootFirst[0].Url`.
    pub path: String,
    /// `IsRequired` (default false): a missing, null or empty value fails only when required.
    pub is_required: bool,
    /// `ExpectedStateKey`: a non-empty stored value takes precedence over `ExpectedValue`.
    pub expected_state_key: Option<String>,
    /// Element type and its own attributes.
    pub kind: PropertyKind,
}

/// The property validator element types.
#[derive(Debug, Clone)]
pub enum PropertyKind {
    /// `<BooleanProperty [ExpectedValue]>`.
    Boolean {
        /// `ExpectedValue`.
        expected: Option<bool>,
    },
    /// `<IntegerProperty [ExpectedValue]>` (32-bit).
    Integer {
        /// `ExpectedValue`.
        expected: Option<i32>,
    },
    /// `<LongProperty [ExpectedValue]>` (64-bit).
    Long {
        /// `ExpectedValue`.
        expected: Option<i64>,
    },
    /// `<StringProperty [ExpectedValue] [EndsWith] [IgnoreCase]>`.
    String {
        /// `ExpectedValue`.
        expected: Option<String>,
        /// `EndsWith` (checked after the equality check).
        ends_with: Option<String>,
        /// `IgnoreCase` (applies to both checks).
        ignore_case: bool,
    },
    /// `<StringRegexProperty ExpectedValue=pattern [ShouldMatch] [IgnoreCase]>`; a present
    /// null or empty value always fails.
    StringRegex {
        /// Compiled pattern.
        regex: regex_lite::Regex,
        /// `ShouldMatch` (default true).
        should_match: bool,
    },
    /// `<AbsoluteUrlProperty [MustIncludeAccessToken]>`.
    AbsoluteUrl {
        /// `MustIncludeAccessToken`: the URL needs an `access_token` query parameter.
        must_include_access_token: bool,
    },
    /// `<ArrayProperty [ContainsValue]>`: array of strings containing the value
    /// (case-insensitive).
    Array {
        /// `ContainsValue`.
        contains: Option<String>,
    },
    /// `<ResponseBodyProperty ExpectedValue=json>`: JSON equality where `"*"` in the expected
    /// value matches anything, arrays compared after sorting by `CoauthLockId`.
    ResponseBody {
        /// `ExpectedValue` (JSON text).
        expected: Option<String>,
    },
    /// `<ArrayLengthProperty [ExpectedValue]>` (no expected value means length 0).
    ArrayLength {
        /// `ExpectedValue`.
        expected: Option<i32>,
    },
}

impl PropertyKind {
    /// The XML element name.
    pub fn element_name(&self) -> &'static str {
        match self {
            Self::Boolean { .. } => "BooleanProperty",
            Self::Integer { .. } => "IntegerProperty",
            Self::Long { .. } => "LongProperty",
            Self::String { .. } => "StringProperty",
            Self::StringRegex { .. } => "StringRegexProperty",
            Self::AbsoluteUrl { .. } => "AbsoluteUrlProperty",
            Self::Array { .. } => "ArrayProperty",
            Self::ResponseBody { .. } => "ResponseBodyProperty",
            Self::ArrayLength { .. } => "ArrayLengthProperty",
        }
    }
}

/// `IsActualValueNullOrEmpty`: missing, null, empty string, empty array or empty object.
fn is_null_or_empty(token: Option<&Value>) -> bool {
    match token {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

fn display_string(value: &Value) -> String {
    match json_to_string(value) {
        Ok(Some(s)) => s,
        Ok(None) => String::new(),
        Err(_) => value.to_string(),
    }
}

impl PropertyValidator {
    /// Checks the token found at [`Self::path`] (`None` when the path matched nothing).
    pub(crate) fn check(&self, token: Option<&Value>, state: &State) -> Result<(), String> {
        match &self.kind {
            PropertyKind::Boolean { expected } => self.equality(
                token,
                state,
                *expected,
                parse_bool,
                "System.Boolean",
                |v, e| {
                    compare_typed(v, e, json_to_bool, |b| {
                        crate::encoding::dotnet_bool(*b).to_string()
                    })
                },
            ),
            PropertyKind::Integer { expected } => self.equality(
                token,
                state,
                *expected,
                parse_integer::<i32>,
                "System.Int32",
                |v, e| compare_typed(v, e, json_to_integer::<i32>, i32::to_string),
            ),
            PropertyKind::Long { expected } => self.equality(
                token,
                state,
                *expected,
                parse_integer::<i64>,
                "System.Int64",
                |v, e| compare_typed(v, e, json_to_integer::<i64>, i64::to_string),
            ),
            PropertyKind::String {
                expected,
                ends_with,
                ignore_case,
            } => {
                let ignore_case = *ignore_case;
                self.equality(
                    token,
                    state,
                    expected.clone(),
                    |s| Ok(s.to_string()),
                    "System.String",
                    |v, e: &String| compare_strings(v, e, ignore_case),
                )?;
                match ends_with.as_deref().filter(|s| !s.trim().is_empty()) {
                    None => Ok(()),
                    Some(suffix) => check_ends_with(token, suffix, ignore_case),
                }
            }
            PropertyKind::StringRegex {
                regex,
                should_match,
            } => self.check_regex(token, regex, *should_match),
            PropertyKind::AbsoluteUrl {
                must_include_access_token,
            } => self.check_absolute_url(token, *must_include_access_token),
            PropertyKind::Array { contains } => self.equality(
                token,
                state,
                contains.clone(),
                |s| Ok(s.to_string()),
                "System.String",
                |v, e: &String| array_contains(v, e),
            ),
            PropertyKind::ResponseBody { expected } => {
                self.check_response_body(token, expected.as_deref())
            }
            PropertyKind::ArrayLength { expected } => {
                self.check_array_length(token, expected.unwrap_or(0))
            }
        }
    }

    /// `JsonPropertyEqualityValidator<T>.Validate`.
    fn equality<T>(
        &self,
        token: Option<&Value>,
        state: &State,
        default: Option<T>,
        from_state: impl Fn(&str) -> Result<T, ConvertError>,
        type_name: &str,
        compare: impl Fn(&Value, &T) -> Result<(), String>,
    ) -> Result<(), String> {
        let value = match token {
            Some(value) if !is_null_or_empty(token) => value,
            _ if self.is_required => return Err("Required property missing".into()),
            _ => return Ok(()),
        };
        let has_default = default.is_some();
        let mut expected = default;
        if let Some(raw) = self
            .expected_state_key
            .as_deref()
            .and_then(|key| state.non_empty(key))
        {
            match from_state(raw) {
                Ok(v) => expected = Some(v),
                Err(ConvertError::Format(_)) if has_default => {}
                Err(ConvertError::Format(_)) => {
                    return Err(format!(
                        "ExpectedStateValue should be of type : {type_name}"
                    ));
                }
                Err(ConvertError::Other(message)) => return Err(message),
            }
        }
        match expected {
            Some(expected) => compare(value, &expected),
            None if UNIX_TIMESTAMP_KEYS.contains(&self.path.as_str()) => {
                check_unix_timestamp(&self.path, value)
            }
            None => Ok(()),
        }
    }

    fn check_regex(
        &self,
        token: Option<&Value>,
        regex: &regex_lite::Regex,
        should_match: bool,
    ) -> Result<(), String> {
        let Some(value) = token else {
            return if self.is_required {
                Err(format!(
                    "Value null doesn't match the expected regular expression '{regex}'"
                ))
            } else {
                Ok(())
            };
        };
        let text = json_to_string(value)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if text.is_empty() {
            return Err(format!(
                "Value null doesn't match the expected regular expression '{regex}'"
            ));
        }
        match (regex.is_match(&text), should_match) {
            (true, true) | (false, false) => Ok(()),
            (false, true) => Err(format!(
                "Value '{text}' doesn't match the expected regular expression '{regex}'"
            )),
            (true, false) => Err(format!(
                "Value '{text}' matched the regular expression, but should not '{regex}'"
            )),
        }
    }

    fn check_absolute_url(
        &self,
        token: Option<&Value>,
        must_include_access_token: bool,
    ) -> Result<(), String> {
        let Some(value) = token.filter(|_| !is_null_or_empty(token)) else {
            return if self.is_required {
                Err("Value is required but not provided.".into())
            } else {
                Ok(())
            };
        };
        let url = json_to_string(value)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if reqwest::Url::parse(&url).is_err() {
            return Err(format!("Cannot parse {url} as absolute URL"));
        }
        if must_include_access_token && query_parameter_value(&url, "access_token").is_none() {
            return Err(format!(
                "URL '{url}' does not include the 'access_token' query parameter"
            ));
        }
        Ok(())
    }

    fn check_response_body(
        &self,
        token: Option<&Value>,
        expected: Option<&str>,
    ) -> Result<(), String> {
        let Some(actual) = token else {
            return if self.is_required {
                Err("Value is required but not provided.".into())
            } else {
                Ok(())
            };
        };
        let expected_text = expected.ok_or("ResponseBodyProperty has no ExpectedValue")?;
        let mut expected: Value = serde_json::from_str(expected_text)
            .map_err(|e| format!("ExpectedValue is not JSON: {e}"))?;
        let mut actual = actual.clone();
        let mut wildcards = Vec::new();
        omit_wildcards(&mut expected, &mut wildcards, false);
        omit_wildcards(&mut actual, &mut wildcards, true);
        let expected = sort_by_coauth_lock_id(expected);
        let actual = sort_by_coauth_lock_id(actual);
        if json_equal(&expected, &actual) {
            Ok(())
        } else {
            Err(format!("Expected: '{expected}', Actual: '{actual}'"))
        }
    }

    fn check_array_length(&self, token: Option<&Value>, expected: i32) -> Result<(), String> {
        let array = match token {
            None if self.is_required => return Err("Value is required but not provided.".into()),
            None => return Ok(()),
            Some(Value::Array(items)) => items,
            Some(other) if self.is_required => {
                return Err(format!(
                    "Value is of '{}' type and is not an array type",
                    crate::dotnet::token_type(other)
                ));
            }
            Some(_) => return Ok(()),
        };
        if usize::try_from(expected).is_ok_and(|e| e == array.len()) {
            Ok(())
        } else {
            Err(format!(
                "Expected array to be of length '{expected}', Actual: '{}'",
                array.len()
            ))
        }
    }
}

/// `JsonPropertyEqualityValidator<T>.Compare`.
fn compare_typed<T: PartialEq>(
    value: &Value,
    expected: &T,
    convert: impl Fn(&Value) -> Result<T, ConvertError>,
    format: impl Fn(&T) -> String,
) -> Result<(), String> {
    match convert(value) {
        Ok(actual) if actual == *expected => Ok(()),
        Ok(actual) => Err(format!(
            "Expected: '{}', Actual: '{}'",
            format(expected),
            format(&actual)
        )),
        Err(ConvertError::Format(_)) => Err(format!(
            "Expected: '{}', Actual: '{}'",
            format(expected),
            display_string(value)
        )),
        Err(ConvertError::Other(message)) => Err(message),
    }
}

fn compare_strings(value: &Value, expected: &str, ignore_case: bool) -> Result<(), String> {
    let actual = json_to_string(value)
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    if ignore_case {
        if actual.to_lowercase() == expected.to_lowercase() {
            Ok(())
        } else {
            Err(format!(
                "Expected: '{expected} (case-insensitive)', Actual: '{actual}'"
            ))
        }
    } else if actual == expected {
        Ok(())
    } else {
        Err(format!("Expected: '{expected}', Actual: '{actual}'"))
    }
}

fn check_ends_with(token: Option<&Value>, suffix: &str, ignore_case: bool) -> Result<(), String> {
    // Upstream throws on a missing or null value here; report it as a failure instead.
    let actual = match token.map(json_to_string) {
        Some(Ok(Some(actual))) => actual,
        Some(Err(e)) => return Err(e.to_string()),
        _ => {
            return Err(format!(
                "Expected to end with: '{suffix}', Actual: no value"
            ));
        }
    };
    let ends = if ignore_case {
        actual.to_lowercase().ends_with(&suffix.to_lowercase())
    } else {
        actual.ends_with(suffix)
    };
    if ends {
        Ok(())
    } else {
        Err(format!(
            "Expected to end with: '{suffix}', Actual: '{actual}'"
        ))
    }
}

fn array_contains(value: &Value, expected: &str) -> Result<(), String> {
    let Value::Array(items) = value else {
        return Err(format!(
            "Expected an array of strings, got {}",
            crate::dotnet::token_type(value)
        ));
    };
    let mut strings = Vec::with_capacity(items.len());
    for item in items {
        strings.push(
            json_to_string(item)
                .map_err(|e| e.to_string())?
                .unwrap_or_default(),
        );
    }
    if strings
        .iter()
        .any(|s| crate::validator::ordinal_ignore_case_eq(s, expected))
    {
        Ok(())
    } else {
        Err(format!(
            "Expected: '{expected}', Actual: '[{}]'",
            strings.join(", ")
        ))
    }
}

fn check_unix_timestamp(key: &str, value: &Value) -> Result<(), String> {
    const TEN_YEARS_MS: i64 = 3_652 * 24 * 60 * 60 * 1000;
    let actual = json_to_integer::<i64>(value).map_err(|e| e.to_string())?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    if (now_ms - TEN_YEARS_MS..=now_ms + TEN_YEARS_MS).contains(&actual) {
        Ok(())
    } else {
        Err(format!(
            "{key} value isn't reasonable, it's out of [currentTime-10 years, currentTime+10 years] boundary"
        ))
    }
}

/// `JsonOmitProcessor`: collects the names of properties whose expected value is `"*"`, and in
/// the actual value replaces those properties' values with `"*"` (objects, and objects directly
/// inside arrays).
fn omit_wildcards(node: &mut Value, names: &mut Vec<String>, replace: bool) {
    match node {
        Value::Object(object) => omit_in_object(object, names, replace),
        Value::Array(items) => {
            for item in items {
                if let Value::Object(object) = item {
                    omit_in_object(object, names, replace);
                }
            }
        }
        _ => {}
    }
}

fn omit_in_object(
    object: &mut serde_json::Map<String, Value>,
    names: &mut Vec<String>,
    replace: bool,
) {
    for (name, value) in object.iter_mut() {
        if replace && names.contains(name) {
            *value = Value::String("*".into());
        } else if value.as_str() == Some("*") {
            names.push(name.clone());
        }
        omit_wildcards(value, names, replace);
    }
}

/// `JsonSort`: arrays are compared ordered by their elements' `CoauthLockId`.
fn sort_by_coauth_lock_id(node: Value) -> Value {
    match node {
        Value::Array(mut items) => {
            let key = |v: &Value| {
                v.get("CoauthLockId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            items.sort_by_key(key);
            Value::Array(items)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn property(path: &str, is_required: bool, kind: PropertyKind) -> PropertyValidator {
        PropertyValidator {
            path: path.into(),
            is_required,
            expected_state_key: None,
            kind,
        }
    }

    #[test]
    fn null_or_empty_values_pass_unless_required() {
        let state = State::default();
        let optional = property(
            "X",
            false,
            PropertyKind::Boolean {
                expected: Some(true),
            },
        );
        let required = property(
            "X",
            true,
            PropertyKind::Boolean {
                expected: Some(true),
            },
        );
        for token in [
            None,
            Some(json!(null)),
            Some(json!("")),
            Some(json!([])),
            Some(json!({})),
        ] {
            assert!(optional.check(token.as_ref(), &state).is_ok());
            assert_eq!(
                required.check(token.as_ref(), &state),
                Err("Required property missing".into())
            );
        }
    }

    #[test]
    fn wildcards_and_sorting() {
        let state = State::default();
        let p = property(
            "CoauthTable",
            true,
            PropertyKind::ResponseBody {
                expected: Some(r#"[{"CoauthLockId":"b","CoauthLockTime":"*"},{"CoauthLockId":"a","CoauthLockTime":"*"}]"#.into()),
            },
        );
        let actual = json!([{"CoauthLockId": "a", "CoauthLockTime": 5}, {"CoauthLockId": "b", "CoauthLockTime": 7}]);
        assert!(p.check(Some(&actual), &state).is_ok());
        let wrong = json!([{"CoauthLockId": "a", "CoauthLockTime": 5}]);
        assert!(p.check(Some(&wrong), &state).is_err());
    }
}
