//! A JSON Schema (draft-04) validator for the subset of keywords the validator's schemas use.
//!
//! Supported: `type` (single or list; `integer` = a number without fraction, as Json.NET
//! reads it), `enum`, `not`, `oneOf`, `anyOf`, `allOf`, `required`, `properties`,
//! `patternProperties`, `additionalProperties` (bool or schema), `items` (schema or tuple),
//! `minItems`, `maxItems`, `minLength`, `maxLength`, `pattern`, `minimum`, `maximum` (with the
//! draft-04 boolean `exclusiveMinimum` / `exclusiveMaximum`) and `format` `uri` (absolute URL)
//! and `date-time` (ISO 8601 date with optional time and offset; .NET is more lenient).
//! Annotations (`$schema`, `title`, `description`, `default`) are ignored; `$ref` is reported
//! as an error because none of the schemas needs it. A full crate was not used: the
//! maintained ones pull in a large dependency tree for the four schemas involved.

use serde_json::{Map, Value};

/// Validates `instance` against `schema`; returns one message per violation (empty = valid).
pub(crate) fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, instance, "#", &mut errors);
    errors
}

fn check(schema: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            errors.push(format!("{at}: no value is allowed here"));
            return;
        }
        Value::Object(map) => map,
        _ => {
            errors.push(format!("{at}: schema is not an object"));
            return;
        }
    };
    if schema.contains_key("$ref") {
        errors.push(format!("{at}: $ref is not supported by this runner"));
    }
    check_type(schema, instance, at, errors);
    if let Some(Value::Array(allowed)) = schema.get("enum")
        && !allowed.iter().any(|v| json_equal(v, instance))
    {
        errors.push(format!(
            "{at}: value {instance} is not one of {}",
            Value::Array(allowed.clone())
        ));
    }
    check_combinators(schema, instance, at, errors);
    match instance {
        Value::String(s) => check_string(schema, s, at, errors),
        Value::Number(n) => check_number(schema, n.as_f64().unwrap_or(f64::NAN), at, errors),
        Value::Object(object) => check_object(schema, object, at, errors),
        Value::Array(items) => check_array(schema, items, at, errors),
        Value::Null | Value::Bool(_) => {}
    }
}

fn check_type(schema: &Map<String, Value>, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let allowed: Vec<&str> = match schema.get("type") {
        None => return,
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
        Some(other) => {
            errors.push(format!("{at}: unsupported type declaration {other}"));
            return;
        }
    };
    if !allowed.iter().any(|t| type_matches(t, instance)) {
        errors.push(format!(
            "{at}: expected type {}, got {}",
            allowed.join(" or "),
            crate::dotnet::token_type(instance)
        ));
    }
}

fn type_matches(name: &str, instance: &Value) -> bool {
    match name {
        "null" => instance.is_null(),
        "boolean" => instance.is_boolean(),
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "number" => instance.is_number(),
        "integer" => instance.is_i64() || instance.is_u64(),
        _ => false,
    }
}

fn check_combinators(
    schema: &Map<String, Value>,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let passes = |sub: &Value| validate_at(sub, instance, at).is_empty();
    if let Some(sub) = schema.get("not")
        && passes(sub)
    {
        errors.push(format!(
            "{at}: value must not match the 'not' schema (property not allowed)"
        ));
    }
    if let Some(Value::Array(subs)) = schema.get("oneOf") {
        let matching = subs.iter().filter(|s| passes(s)).count();
        if matching != 1 {
            errors.push(format!("{at}: value {instance} matches {matching} of the 'oneOf' schemas, expected exactly 1"));
        }
    }
    if let Some(Value::Array(subs)) = schema.get("anyOf")
        && !subs.iter().any(passes)
    {
        errors.push(format!(
            "{at}: value {instance} matches none of the 'anyOf' schemas"
        ));
    }
    if let Some(Value::Array(subs)) = schema.get("allOf") {
        for sub in subs {
            check(sub, instance, at, errors);
        }
    }
}

fn validate_at(schema: &Value, instance: &Value, at: &str) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, instance, at, &mut errors);
    errors
}

fn check_string(schema: &Map<String, Value>, s: &str, at: &str, errors: &mut Vec<String>) {
    // .NET measures strings in UTF-16 code units
    let len = s.encode_utf16().count();
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && len as u64 > max
    {
        errors.push(format!("{at}: string is longer than {max}"));
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && (len as u64) < min
    {
        errors.push(format!("{at}: string is shorter than {min}"));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        match regex_lite::Regex::new(pattern) {
            Ok(re) if re.is_match(s) => {}
            Ok(_) => errors.push(format!("{at}: '{s}' does not match pattern {pattern}")),
            Err(e) => errors.push(format!("{at}: unsupported pattern {pattern}: {e}")),
        }
    }
    match schema.get("format").and_then(Value::as_str) {
        Some("uri") if reqwest::Url::parse(s).is_err() => {
            errors.push(format!("{at}: '{s}' is not an absolute URI"));
        }
        Some("date-time") if !is_date_time(s) => {
            errors.push(format!("{at}: '{s}' is not a date-time"));
        }
        _ => {}
    }
}

fn check_number(schema: &Map<String, Value>, n: f64, at: &str, errors: &mut Vec<String>) {
    let flag = |key: &str| schema.get(key).and_then(Value::as_bool).unwrap_or(false);
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
        && (n < min || (flag("exclusiveMinimum") && n <= min))
    {
        errors.push(format!("{at}: {n} is below the minimum {min}"));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
        && (n > max || (flag("exclusiveMaximum") && n >= max))
    {
        errors.push(format!("{at}: {n} is above the maximum {max}"));
    }
}

fn check_object(
    schema: &Map<String, Value>,
    object: &Map<String, Value>,
    at: &str,
    errors: &mut Vec<String>,
) {
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                errors.push(format!("{at}: required property '{name}' is missing"));
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    let patterns: Vec<(regex_lite::Regex, &Value)> = schema
        .get("patternProperties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter_map(|(k, v)| regex_lite::Regex::new(k).ok().map(|re| (re, v)))
                .collect()
        })
        .unwrap_or_default();
    for (name, value) in object {
        let path = format!("{at}/{name}");
        let mut known = false;
        if let Some(sub) = properties.and_then(|p| p.get(name)) {
            known = true;
            check(sub, value, &path, errors);
        }
        for (re, sub) in &patterns {
            if re.is_match(name) {
                known = true;
                check(sub, value, &path, errors);
            }
        }
        if !known {
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    errors.push(format!("{path}: additional property is not allowed"))
                }
                Some(sub @ Value::Object(_)) => check(sub, value, &path, errors),
                _ => {}
            }
        }
    }
}

fn check_array(schema: &Map<String, Value>, items: &[Value], at: &str, errors: &mut Vec<String>) {
    match schema.get("items") {
        Some(Value::Array(tuple)) => {
            for (i, (sub, item)) in tuple.iter().zip(items).enumerate() {
                check(sub, item, &format!("{at}/{i}"), errors);
            }
        }
        Some(sub) => {
            for (i, item) in items.iter().enumerate() {
                check(sub, item, &format!("{at}/{i}"), errors);
            }
        }
        None => {}
    }
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
        && (items.len() as u64) < min
    {
        errors.push(format!("{at}: array has fewer than {min} items"));
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
        && items.len() as u64 > max
    {
        errors.push(format!("{at}: array has more than {max} items"));
    }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// ISO 8601 `YYYY-MM-DD`, optionally followed by `T`/space, `hh:mm[:ss[.fff]]` and `Z` or
/// `±hh[:mm]`.
fn is_date_time(s: &str) -> bool {
    let bytes = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let number = |range: std::ops::Range<usize>| {
        s.get(range)
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(99)
    };
    if !(digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10))
    {
        return false;
    }
    if !(1..=12).contains(&number(5..7)) || !(1..=31).contains(&number(8..10)) {
        return false;
    }
    let Some(time) = s.get(11..) else {
        return s.len() == 10;
    };
    if !matches!(bytes[10], b'T' | b't' | b' ') {
        return false;
    }
    let tb = time.as_bytes();
    let tdigits = |range: std::ops::Range<usize>| {
        tb.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if !(tdigits(0..2) && tb.get(2) == Some(&b':') && tdigits(3..5)) {
        return false;
    }
    let hour = time
        .get(0..2)
        .and_then(|h| h.parse::<u32>().ok())
        .unwrap_or(99);
    let minute = time
        .get(3..5)
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(99);
    if hour > 23 || minute > 59 {
        return false;
    }
    let mut rest = &time[5..];
    if let Some(after) = rest.strip_prefix(':') {
        let secs = after.as_bytes();
        if !(secs.len() >= 2 && secs[..2].iter().all(u8::is_ascii_digit)) {
            return false;
        }
        rest = &after[2..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return false;
            }
            rest = &fraction[n..];
        }
    }
    match rest.as_bytes() {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2] => h1.is_ascii_digit() && h2.is_ascii_digit(),
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cspp_like() -> Value {
        json!({
            "type": "object",
            "additionalProperties": true,
            "required": ["BaseFileName", "Size"],
            "properties": {
                "SupportsCoauth": {"not": {}},
                "BaseFileName": {"type": "string"},
                "Size": {"type": "integer", "minimum": 0},
                "CloseUrl": {"oneOf": [
                    {"type": "string", "format": "uri"},
                    {"type": "string", "maxLength": 0},
                    {"type": "null"}
                ]},
                "LastModifiedTime": {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
                "SupportedShareUrlTypes": {"type": "array", "items": {"type": "string", "enum": ["ReadOnly", "ReadWrite"]}},
                "UserCanWrite": {"type": "boolean"},
                "BreadcrumbBrandName": {"type": ["string", "null"]}
            }
        })
    }

    #[test]
    fn accepts_a_valid_document() {
        let doc = json!({
            "BaseFileName": "a.wopitest", "Size": 0, "CloseUrl": "", "UserCanWrite": true,
            "LastModifiedTime": "2009-06-15T13:45:30.0000000Z", "SupportedShareUrlTypes": ["ReadOnly"],
            "BreadcrumbBrandName": null, "Extra": {"anything": 1}
        });
        assert_eq!(validate(&cspp_like(), &doc), Vec::<String>::new());
        let with_url = json!({"BaseFileName": "a", "Size": 3, "CloseUrl": "https://example.com/x"});
        assert!(validate(&cspp_like(), &with_url).is_empty());
    }

    #[test]
    fn reports_each_kind_of_violation() {
        let schema = cspp_like();
        let errors = |doc: Value| validate(&schema, &doc);
        assert_eq!(errors(json!({"Size": 1})).len(), 1, "missing required");
        assert_eq!(
            errors(json!({"BaseFileName": "a", "Size": 1.5})).len(),
            1,
            "float is not integer"
        );
        assert_eq!(
            errors(json!({"BaseFileName": "a", "Size": -1})).len(),
            1,
            "minimum"
        );
        assert_eq!(
            errors(json!({"BaseFileName": "a", "Size": 1, "SupportsCoauth": false})).len(),
            1,
            "not {{}}"
        );
        assert_eq!(
            errors(json!({"BaseFileName": "a", "Size": 1, "CloseUrl": "relative/path"})).len(),
            1,
            "uri"
        );
        assert_eq!(
            errors(json!({"BaseFileName": "a", "Size": 1, "LastModifiedTime": "yesterday"})).len(),
            1
        );
        assert_eq!(
            errors(json!({"BaseFileName": "a", "Size": 1, "SupportedShareUrlTypes": ["Edit"]}))
                .len(),
            1
        );
        assert_eq!(
            errors(json!({"BaseFileName": 5, "Size": 1})).len(),
            1,
            "type"
        );
        assert_eq!(
            errors(json!({"BaseFileName": "a", "Size": 1, "UserCanWrite": "true"})).len(),
            1
        );
        assert_eq!(errors(json!([1])).len(), 1, "root type");
    }

    #[test]
    fn closed_objects_and_lengths() {
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["T"],
            "properties": {"T": {"type": "array", "items": {"type": "object",
                "properties": {"Id": {"type": "string", "minLength": 1}, "Time": {"type": "number"}}}}}
        });
        assert!(validate(&schema, &json!({"T": [{"Id": "x", "Time": 1.5}]})).is_empty());
        assert_eq!(validate(&schema, &json!({"T": [], "U": 1})).len(), 1);
        assert_eq!(validate(&schema, &json!({"T": [{"Id": ""}]})).len(), 1);
    }

    #[test]
    fn date_times() {
        for ok in [
            "2009-06-15",
            "2009-06-15T13:45:30Z",
            "2009-06-15T13:45:30.1234567Z",
            "2009-06-15 13:45",
            "2009-06-15T13:45:30+02:00",
            "2009-06-15T13:45:30-0530",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "",
            "2009-13-01",
            "2009-06-15T25:00",
            "2009-06-15T13:45:30.Z",
            "15/06/2009",
            "2009-06-15T13:45:30+2",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }
}
