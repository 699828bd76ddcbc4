//! Conversions that reproduce .NET / Json.NET semantics the validators rely on
//! (`XmlConvert`, `bool.Parse`, `int.Parse`, `JToken.Value<T>()` via `Convert.ChangeType`).

use serde_json::Value;

/// Why a value could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConvertError {
    /// .NET `FormatException`: the text is not in the expected format. Validators catch it.
    Format(String),
    /// Any other .NET exception (`InvalidCastException`, `OverflowException`, ...). Upstream
    /// this escapes the validator; here it becomes a validation failure.
    Other(String),
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Format(m) | Self::Other(m) => f.write_str(m),
        }
    }
}

/// `XmlConvert.ToBoolean`: `true`/`1` and `false`/`0` (surrounding whitespace allowed,
/// case-sensitive).
pub(crate) fn xml_bool(text: &str) -> Option<bool> {
    match text.trim_matches(xml_whitespace) {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `XmlConvert.ToInt32` / `ToInt64`: optional surrounding whitespace and leading `-`.
pub(crate) fn xml_i64(text: &str) -> Option<i64> {
    let trimmed = text.trim_matches(xml_whitespace);
    if trimmed.starts_with('+') {
        return None;
    }
    trimmed.parse().ok()
}

fn xml_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// `bool.Parse`: `True`/`False` in any case, surrounding whitespace and NULs allowed.
pub(crate) fn parse_bool(text: &str) -> Result<bool, ConvertError> {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if trimmed.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if trimmed.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ConvertError::Format(format!(
            "String '{text}' was not recognized as a valid Boolean."
        )))
    }
}

/// `int.Parse` / `long.Parse` with `NumberStyles.Integer`, range-checked into `T`.
pub(crate) fn parse_integer<T: TryFrom<i128>>(text: &str) -> Result<T, ConvertError> {
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConvertError::Format(format!(
            "The input string '{text}' was not in a correct format."
        )));
    }
    let overflow =
        || ConvertError::Other(format!("Value '{text}' was either too large or too small."));
    let magnitude: i128 = digits.parse().map_err(|_| overflow())?;
    let value = if negative { -magnitude } else { magnitude };
    T::try_from(value).map_err(|_| overflow())
}

/// Name of the JSON token type as Json.NET reports it.
pub(crate) fn token_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_f64() => "Float",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

fn cannot_cast(value: &Value, target: &str) -> ConvertError {
    ConvertError::Other(format!("Cannot cast {} to {target}.", token_type(value)))
}

/// `token.Value<bool>()`.
pub(crate) fn json_to_bool(value: &Value) -> Result<bool, ConvertError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::String(s) => parse_bool(s),
        _ => Err(cannot_cast(value, "Boolean")),
    }
}

/// `token.Value<int>()` / `token.Value<long>()` (floats round half to even, like `Convert`).
pub(crate) fn json_to_integer<T: TryFrom<i128>>(value: &Value) -> Result<T, ConvertError> {
    let overflow =
        || ConvertError::Other(format!("Value {value} was either too large or too small."));
    match value {
        Value::Bool(b) => T::try_from(i128::from(*b)).map_err(|_| overflow()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                T::try_from(i128::from(i)).map_err(|_| overflow())
            } else if let Some(u) = n.as_u64() {
                T::try_from(i128::from(u)).map_err(|_| overflow())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN).round_ties_even();
                if !f.is_finite() || f.abs() > 1e30 {
                    return Err(overflow());
                }
                // |f| <= 1e30, so the cast to i128 is exact
                T::try_from(f as i128).map_err(|_| overflow())
            }
        }
        Value::String(s) => parse_integer(s),
        _ => Err(cannot_cast(value, "Int")),
    }
}

/// `token.Value<string>()`: `None` for JSON null, .NET formatting for scalars, an error for
/// arrays and objects.
pub(crate) fn json_to_string(value: &Value) -> Result<Option<String>, ConvertError> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(crate::encoding::dotnet_bool(*b).to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(cannot_cast(value, "String")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_conversions() {
        assert_eq!(xml_bool("true"), Some(true));
        assert_eq!(xml_bool(" 0 "), Some(false));
        assert_eq!(xml_bool("True"), None);
        assert_eq!(xml_i64(" -42 "), Some(-42));
        assert_eq!(xml_i64("+1"), None);
        assert_eq!(xml_i64("x"), None);
    }

    #[test]
    fn dotnet_parsing() {
        assert_eq!(parse_bool(" TRUE "), Ok(true));
        assert!(matches!(parse_bool("yes"), Err(ConvertError::Format(_))));
        assert_eq!(parse_integer::<i32>(" +12 "), Ok(12));
        assert!(matches!(
            parse_integer::<i32>("1.5"),
            Err(ConvertError::Format(_))
        ));
        assert!(matches!(
            parse_integer::<i32>("99999999999"),
            Err(ConvertError::Other(_))
        ));
        assert_eq!(parse_integer::<i64>("99999999999"), Ok(99_999_999_999));
    }

    #[test]
    fn json_token_conversions() {
        assert_eq!(json_to_bool(&json!("true")), Ok(true));
        assert_eq!(json_to_bool(&json!(0)), Ok(false));
        assert!(json_to_bool(&json!([])).is_err());
        assert_eq!(json_to_integer::<i32>(&json!(2.5)), Ok(2));
        assert_eq!(json_to_integer::<i32>(&json!(3.5)), Ok(4));
        assert_eq!(json_to_integer::<i64>(&json!("7")), Ok(7));
        assert!(matches!(
            json_to_integer::<i32>(&json!(1u64 << 40)),
            Err(ConvertError::Other(_))
        ));
        assert_eq!(json_to_string(&json!(true)), Ok(Some("True".into())));
        assert_eq!(json_to_string(&json!(12)), Ok(Some("12".into())));
        assert_eq!(json_to_string(&json!(null)), Ok(None));
        assert!(json_to_string(&json!({})).is_err());
    }
}
