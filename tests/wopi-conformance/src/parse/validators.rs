//! Parsing of `<Validators>` children and JSON property validators.

use super::{bool_attr, i32_attr, owned_attr, required_attr};
use crate::dotnet::xml_i64;
use crate::error::LoadError;
use crate::validator::{ExpectedBody, HeaderValidator, PropertyKind, PropertyValidator, Validator};
use crate::xml::Element;

/// Parses the children of a `<Validators>` (or `<Or>` / `<And>`) element.
pub(crate) fn parse_validators(
    element: &Element,
    context: &str,
) -> Result<Vec<Validator>, LoadError> {
    element
        .children
        .iter()
        .map(|child| parse_validator(child, context))
        .collect()
}

fn parse_validator(element: &Element, context: &str) -> Result<Validator, LoadError> {
    let validator = match element.name.as_str() {
        "And" => Validator::And(parse_validators(element, context)?),
        "Or" => Validator::Or(parse_validators(element, context)?),
        "LockMismatchValidator" => Validator::LockMismatch {
            expected_lock: owned_attr(element, "ExpectedLock"),
        },
        "ResponseCodeValidator" => Validator::ResponseCode {
            expected: i32_attr(element, "ExpectedCode", context)?.ok_or_else(|| {
                LoadError::invalid(context, "ResponseCodeValidator without ExpectedCode")
            })?,
        },
        "ResponseHeaderValidator" => Validator::ResponseHeader(HeaderValidator {
            header: required_attr(element, "Header", context)?.to_string(),
            expected_value: owned_attr(element, "ExpectedValue"),
            expected_state_key: owned_attr(element, "ExpectedStateKey"),
            comparator: element
                .attr("Comparator")
                .filter(|c| !c.trim().is_empty())
                .unwrap_or("=")
                .to_string(),
            is_required: bool_attr(element, "IsRequired", context)?.unwrap_or(false),
            should_match: bool_attr(element, "ShouldMatch", context)?.unwrap_or(true),
        }),
        "JsonResponseContentValidator" => Validator::JsonContent {
            should_exist: bool_attr(element, "ShouldExist", context)?.unwrap_or(true),
            properties: element
                .children
                .iter()
                .map(|p| parse_property(p, context))
                .collect::<Result<_, _>>()?,
        },
        "JsonSchemaValidator" => Validator::JsonSchema {
            schema: required_attr(element, "Schema", context)?.to_string(),
        },
        "ResponseContentValidator" => {
            let resource = element.attr("ExpectedResourceId").filter(|v| !v.is_empty());
            let text = element
                .attr("ExpectedBodyContent")
                .filter(|v| !v.is_empty());
            let expected = match (resource, text) {
                (Some(id), None) => ExpectedBody::Resource(id.to_string()),
                (None, Some(text)) => ExpectedBody::Text(text.to_string()),
                (Some(_), Some(_)) => {
                    return Err(LoadError::invalid(
                        context,
                        "Both expectedBodyContent and resourceId are not null/empty.",
                    ));
                }
                (None, None) => {
                    return Err(LoadError::invalid(
                        context,
                        "ResponseContentValidator needs ExpectedResourceId or ExpectedBodyContent",
                    ));
                }
            };
            Validator::ResponseContent(expected)
        }
        "FramesValidator" => Validator::Unsupported("FramesValidator".into()),
        other => {
            return Err(LoadError::invalid(
                context,
                format!("Unknown validator: '{other}'"),
            ));
        }
    };
    Ok(validator)
}

fn parse_property(element: &Element, context: &str) -> Result<PropertyValidator, LoadError> {
    let expected = || owned_attr(element, "ExpectedValue");
    let kind = match element.name.as_str() {
        "BooleanProperty" => PropertyKind::Boolean {
            expected: bool_attr(element, "ExpectedValue", context)?,
        },
        "IntegerProperty" => PropertyKind::Integer {
            expected: i32_attr(element, "ExpectedValue", context)?,
        },
        "LongProperty" => PropertyKind::Long {
            expected: element
                .attr("ExpectedValue")
                .map(|v| {
                    xml_i64(v).ok_or_else(|| {
                        LoadError::invalid(
                            context,
                            format!("ExpectedValue=\"{v}\" is not an xs:long"),
                        )
                    })
                })
                .transpose()?,
        },
        "StringProperty" => PropertyKind::String {
            expected: expected(),
            ends_with: owned_attr(element, "EndsWith"),
            ignore_case: bool_attr(element, "IgnoreCase", context)?.unwrap_or(false),
        },
        "StringRegexProperty" => {
            let pattern = expected().ok_or_else(|| {
                LoadError::invalid(context, "StringRegexProperty without ExpectedValue")
            })?;
            let regex = regex_lite::RegexBuilder::new(&pattern)
                .case_insensitive(bool_attr(element, "IgnoreCase", context)?.unwrap_or(false))
                .build()
                .map_err(|e| {
                    LoadError::invalid(context, format!("regular expression {pattern}: {e}"))
                })?;
            PropertyKind::StringRegex {
                regex,
                should_match: bool_attr(element, "ShouldMatch", context)?.unwrap_or(true),
            }
        }
        "AbsoluteUrlProperty" => PropertyKind::AbsoluteUrl {
            must_include_access_token: bool_attr(element, "MustIncludeAccessToken", context)?
                .unwrap_or(false),
        },
        "ArrayProperty" => PropertyKind::Array {
            contains: owned_attr(element, "ContainsValue"),
        },
        "ResponseBodyProperty" => PropertyKind::ResponseBody {
            expected: expected(),
        },
        "ArrayLengthProperty" => PropertyKind::ArrayLength {
            expected: i32_attr(element, "ExpectedValue", context)?,
        },
        other => {
            return Err(LoadError::invalid(
                context,
                format!("Unknown property type: '{other}'"),
            ));
        }
    };
    Ok(PropertyValidator {
        path: required_attr(element, "Name", context)?.to_string(),
        is_required: bool_attr(element, "IsRequired", context)?.unwrap_or(false),
        expected_state_key: owned_attr(element, "ExpectedStateKey"),
        kind,
    })
}
