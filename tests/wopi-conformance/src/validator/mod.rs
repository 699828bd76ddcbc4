//! Response validators (`<Validators>` children) and their evaluation.

mod property;

pub use property::{PropertyKind, PropertyValidator};

use serde_json::Value;

use crate::dotnet::parse_integer;
use crate::model::Suite;
use crate::response::Response;
use crate::state::State;

/// One validator element.
#[derive(Debug, Clone)]
pub enum Validator {
    /// `<ResponseCodeValidator ExpectedCode>`.
    ResponseCode {
        /// Expected HTTP status.
        expected: i32,
    },
    /// `<ResponseHeaderValidator>`.
    ResponseHeader(HeaderValidator),
    /// `<LockMismatchValidator ExpectedLock>`: status 409 and `X-WOPI-Lock` equal to the lock
    /// (the header is required only when the expected lock is non-empty).
    LockMismatch {
        /// `ExpectedLock` attribute.
        expected_lock: Option<String>,
    },
    /// `<JsonResponseContentValidator [ShouldExist]>` with its property validators.
    JsonContent {
        /// `ShouldExist` attribute (default true).
        should_exist: bool,
        /// Child property validators.
        properties: Vec<PropertyValidator>,
    },
    /// `<JsonSchemaValidator Schema>`.
    JsonSchema {
        /// Schema id (file `JsonSchemas/<id>.json`).
        schema: String,
    },
    /// `<ResponseContentValidator>`: the body equals the expected bytes.
    ResponseContent(ExpectedBody),
    /// `<Or>`: passes when any child passes.
    Or(Vec<Validator>),
    /// `<And>`: passes when every child passes.
    And(Vec<Validator>),
    /// A validator this runner does not implement (e.g. `FramesValidator`).
    Unsupported(String),
}

/// Expected body of a [`Validator::ResponseContent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedBody {
    /// `ExpectedResourceId`: the resource's request-body bytes.
    Resource(String),
    /// `ExpectedBodyContent`: UTF-8 text.
    Text(String),
}

/// `<ResponseHeaderValidator Header ExpectedValue ExpectedStateKey Comparator IsRequired ShouldMatch>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderValidator {
    /// Header name (case-insensitive).
    pub header: String,
    /// `ExpectedValue` attribute.
    pub expected_value: Option<String>,
    /// `ExpectedStateKey`: a non-empty stored value takes precedence over `ExpectedValue`.
    pub expected_state_key: Option<String>,
    /// `=` (default), `>`, `>=`, `<`, `<=` (integers); anything else fails validation.
    pub comparator: String,
    /// `IsRequired` (default false when read from XML).
    pub is_required: bool,
    /// `ShouldMatch` (default true); false inverts the `=` comparison.
    pub should_match: bool,
}

/// What validators may consult besides the response.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// State saved so far in the current test case.
    pub state: &'a State,
    /// The suite (resources and JSON schemas).
    pub suite: &'a Suite,
}

impl Validator {
    /// Name of the first unsupported validator in this tree, if any.
    pub fn unsupported_name(&self) -> Option<&str> {
        match self {
            Self::Unsupported(name) => Some(name),
            Self::Or(children) | Self::And(children) => {
                children.iter().find_map(Self::unsupported_name)
            }
            _ => None,
        }
    }

    /// Validates a response; returns the error messages (empty = pass).
    pub fn validate(&self, response: &Response, ctx: &Context<'_>) -> Vec<String> {
        match self {
            Self::ResponseCode { expected } => response_code(*expected, response),
            Self::ResponseHeader(header) => header.validate(response, ctx.state),
            Self::LockMismatch { expected_lock } => {
                let header = HeaderValidator {
                    header: "X-WOPI-Lock".into(),
                    expected_value: expected_lock.clone(),
                    expected_state_key: None,
                    comparator: "=".into(),
                    is_required: expected_lock.as_deref().is_some_and(|l| !l.is_empty()),
                    should_match: true,
                };
                let mut errors = response_code(409, response);
                errors.extend(header.validate(response, ctx.state));
                errors
            }
            Self::JsonContent {
                should_exist,
                properties,
            } => json_content(*should_exist, properties, response, ctx),
            Self::JsonSchema { schema } => json_schema(schema, response, ctx),
            Self::ResponseContent(expected) => response_content(expected, response, ctx),
            Self::Or(children) => {
                let results: Vec<Vec<String>> =
                    children.iter().map(|v| v.validate(response, ctx)).collect();
                if results.iter().any(Vec::is_empty) {
                    Vec::new()
                } else {
                    results.concat()
                }
            }
            Self::And(children) => children
                .iter()
                .flat_map(|v| v.validate(response, ctx))
                .collect(),
            Self::Unsupported(name) => vec![format!(
                "validator {name} is not implemented by this runner"
            )],
        }
    }
}

/// The mandatory Content-Length check run on every response: when the header is present it
/// must equal the body length.
pub fn content_length_errors(response: &Response) -> Vec<String> {
    let Some(header) = response.header("Content-Length") else {
        return Vec::new();
    };
    let actual = response.body.len();
    match parse_integer::<i32>(&header) {
        Ok(expected) if usize::try_from(expected).is_ok_and(|e| e == actual) => Vec::new(),
        Ok(expected) => vec![format!(
            "Actual content length '{actual}' of response does not match value in header content-length '{expected}'"
        )],
        Err(e) => vec![format!(
            "Content-Length header '{header}' is not an integer: {e}"
        )],
    }
}

fn response_code(expected: i32, response: &Response) -> Vec<String> {
    if i32::from(response.status) == expected {
        Vec::new()
    } else {
        vec![format!(
            "Incorrect StatusCode. Expected: {expected}, Actual: {}",
            response.status
        )]
    }
}

impl HeaderValidator {
    fn validate(&self, response: &Response, state: &State) -> Vec<String> {
        let Some(actual) = response.header(&self.header) else {
            return if self.is_required {
                vec![format!(
                    "'{}' header is not present on the response",
                    self.header
                )]
            } else {
                Vec::new()
            };
        };
        let expected = self
            .expected_state_key
            .as_deref()
            .and_then(|key| state.non_empty(key))
            .or(self.expected_value.as_deref());
        let error = match self.comparator.as_str() {
            "=" => self.check_equal(&actual, expected),
            ">" | "<" | ">=" | "<=" => self.check_numeric(&actual, expected),
            other => Some(format!("Comparator '{other}' is not valid")),
        };
        error.into_iter().collect()
    }

    fn check_equal(&self, actual: &str, expected: Option<&str>) -> Option<String> {
        let expected = expected?;
        if !self.should_match && actual.is_empty() && expected.is_empty() {
            return Some(format!(
                "'{}' header value should be any non empty string.",
                self.header
            ));
        }
        let matches = ordinal_ignore_case_eq(actual, expected);
        if self.should_match && !matches {
            Some(format!(
                "'{}' header value is different than expected. Expected: '{expected}', Actual: '{actual}'",
                self.header
            ))
        } else if !self.should_match && matches {
            Some(format!(
                "'{}' header value should not be : '{expected}'",
                self.header
            ))
        } else {
            None
        }
    }

    fn check_numeric(&self, actual: &str, expected: Option<&str>) -> Option<String> {
        let Ok(actual_number) = parse_integer::<i32>(actual) else {
            return Some(format!(
                "'{}' header is present, but its value '{actual}' can not be parsed to integer",
                self.header
            ));
        };
        let expected_text = expected.unwrap_or_default();
        let Ok(expected_number) = parse_integer::<i32>(expected_text) else {
            return Some(format!(
                "expected value '{expected_text}' can not be parsed to integer"
            ));
        };
        let ok = match self.comparator.as_str() {
            "<" => actual_number < expected_number,
            "<=" => actual_number <= expected_number,
            ">" => actual_number > expected_number,
            _ => actual_number >= expected_number,
        };
        (!ok).then(|| {
            format!(
                "headerVal:{actual_number} {} comparedValue:{expected_number} comparison failed",
                self.comparator
            )
        })
    }
}

/// `string.Equals(a, b, StringComparison.OrdinalIgnoreCase)`.
pub(crate) fn ordinal_ignore_case_eq(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_uppercase)
        .eq(b.chars().flat_map(char::to_uppercase))
}

fn json_content(
    should_exist: bool,
    properties: &[PropertyValidator],
    response: &Response,
    ctx: &Context<'_>,
) -> Vec<String> {
    if response.text.as_deref().is_none_or(str::is_empty) {
        return if should_exist {
            vec!["Response body should exist, but couldn't read resource content.".into()]
        } else {
            Vec::new()
        };
    }
    if !should_exist {
        return vec!["Response body shouldn't exist.".into()];
    }
    let Ok(object) = response.json_object() else {
        return vec![
            "JsonContentValidator: JsonReaderException thrown while parsing JSON. Are you sure the response is JSON?".into(),
        ];
    };
    let root = Value::Object(object);
    let mut errors = Vec::new();
    for property in properties {
        let token = match crate::jsonpath::select(&root, &property.path) {
            Ok(token) => token,
            Err(e) => {
                return vec![format!(
                    "JsonContentValidator: JsonException thrown while parsing JSON content: '{e}'"
                )];
            }
        };
        if let Err(message) = property.check(token, ctx.state) {
            errors.push(format!(
                "Incorrect value for '{}' property. {message}",
                property.path
            ));
        }
    }
    errors
}

fn json_schema(schema_id: &str, response: &Response, ctx: &Context<'_>) -> Vec<String> {
    let Some(text) = response.text.as_deref() else {
        return vec![
            "The JsonSchemaValidator can only be used on requests that have a JSON response."
                .into(),
        ];
    };
    if text.is_empty() {
        return vec!["Couldn't read response content.".into()];
    }
    let Some(schema) = ctx.suite.schema(schema_id) else {
        return vec![format!("Schema with ID '{schema_id}' not found.")];
    };
    match serde_json::from_str::<Value>(text) {
        Ok(instance) => crate::schema::validate(schema, &instance)
            .into_iter()
            .map(|e| format!("{schema_id}: {e}"))
            .collect(),
        Err(e) => vec![format!("{schema_id}: response is not JSON: {e}")],
    }
}

fn response_content(
    expected: &ExpectedBody,
    response: &Response,
    ctx: &Context<'_>,
) -> Vec<String> {
    let expected_bytes = match expected {
        ExpectedBody::Text(text) => text.as_bytes().to_vec(),
        ExpectedBody::Resource(id) => match ctx.suite.resource(id) {
            Some(resource) => resource.content(),
            None => return vec![format!("Resource with resourceId '{id}' doesn't exist.")],
        },
    };
    if expected_bytes == response.body {
        Vec::new()
    } else {
        vec![format!(
            "Response body does not match expected content. Expected stream length: {}, actual stream length: {}",
            expected_bytes.len(),
            response.body.len()
        )]
    }
}

#[cfg(test)]
mod tests;
