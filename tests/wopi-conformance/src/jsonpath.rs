//! The subset of Json.NET `SelectToken` paths the test cases use: dotted property names,
//! `[n]` indexes, `[start:end]` slices (negative bounds count from the end), `['name']` and
//! `[*]`. Like `SelectToken`, a missing step yields nothing and more than one match is an error.

use serde_json::Value;

/// Why a path could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathError {
    /// The path text is not understood.
    Syntax(String),
    /// The path matched several tokens (`SelectToken` throws).
    MultipleTokens,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Syntax(m) => write!(f, "invalid JSON path: {m}"),
            Self::MultipleTokens => f.write_str("Path returned multiple tokens."),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Name(String),
    Index(usize),
    Slice(Option<i64>, Option<i64>),
    Wildcard,
}

fn parse(path: &str) -> Result<Vec<Step>, PathError> {
    let mut steps = Vec::new();
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    rest = rest.strip_prefix('.').unwrap_or(rest);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after
                .find(']')
                .ok_or_else(|| PathError::Syntax(format!("unclosed '[' in {path}")))?;
            steps.push(parse_bracket(&after[..close], path)?);
            rest = &after[close + 1..];
        } else if let Some(after) = rest.strip_prefix('.') {
            rest = after;
            if rest.is_empty() || rest.starts_with(['.', '[']) {
                return Err(PathError::Syntax(format!("empty property name in {path}")));
            }
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let name = &rest[..end];
            steps.push(if name == "*" {
                Step::Wildcard
            } else {
                Step::Name(name.to_string())
            });
            rest = &rest[end..];
        }
    }
    Ok(steps)
}

fn parse_bracket(inner: &str, path: &str) -> Result<Step, PathError> {
    let inner = inner.trim();
    let bad = || PathError::Syntax(format!("unsupported index [{inner}] in {path}"));
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(quoted) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Ok(Step::Name(quoted.to_string()));
    }
    if let Some((start, end)) = inner.split_once(':') {
        let bound = |s: &str| -> Result<Option<i64>, PathError> {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse().map(Some).map_err(|_| bad())
            }
        };
        if end.contains(':') {
            return Err(bad());
        }
        return Ok(Step::Slice(bound(start)?, bound(end)?));
    }
    inner.parse().map(Step::Index).map_err(|_| bad())
}

/// Evaluates `path` against `root` like `JToken.SelectToken(path)`.
pub(crate) fn select<'a>(root: &'a Value, path: &str) -> Result<Option<&'a Value>, PathError> {
    let mut current = vec![root];
    for step in parse(path)? {
        let mut next = Vec::new();
        for value in current {
            match (&step, value) {
                (Step::Name(name), Value::Object(map)) => next.extend(map.get(name)),
                (Step::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                (Step::Slice(start, end), Value::Array(items)) => {
                    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                    let clamp = |b: i64| if b < 0 { (len + b).max(0) } else { b.min(len) };
                    let from = start.map_or(0, clamp);
                    let to = end.map_or(len, clamp);
                    for i in from..to {
                        next.extend(usize::try_from(i).ok().and_then(|i| items.get(i)));
                    }
                }
                (Step::Wildcard, Value::Array(items)) => next.extend(items.iter()),
                (Step::Wildcard, Value::Object(map)) => next.extend(map.values()),
                _ => {}
            }
        }
        current = next;
    }
    match current.len() {
        0 => Ok(None),
        1 => Ok(current.pop()),
        _ => Err(PathError::MultipleTokens),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_like_json_net() {
        let doc = json!({
            "Url": "u",
            "AncestorsWithRootFirst": [{"Url": "root"}, {"Url": "mid"}, {"Url": "leaf"}],
            "ContainerPointer": {"Url": "c", "Name": "n"},
            "Empty": []
        });
        assert_eq!(select(&doc, "Url").unwrap(), Some(&json!("u")));
        assert_eq!(
            select(&doc, "ContainerPointer.Url").unwrap(),
            Some(&json!("c"))
        );
        assert_eq!(
            select(&doc, "AncestorsWithRootFirst[0].Url").unwrap(),
            Some(&json!("root"))
        );
        assert_eq!(
            select(&doc, "AncestorsWithRootFirst[-1:].Url").unwrap(),
            Some(&json!("leaf"))
        );
        assert_eq!(
            select(&doc, "['ContainerPointer']['Name']").unwrap(),
            Some(&json!("n"))
        );
        assert_eq!(select(&doc, "$.Url").unwrap(), Some(&json!("u")));
        assert_eq!(select(&doc, "AncestorsWithRootFirst[5].Url").unwrap(), None);
        assert_eq!(select(&doc, "Missing.Url").unwrap(), None);
        assert_eq!(select(&doc, "Url.Deeper").unwrap(), None);
        assert_eq!(select(&doc, "Empty[-1:].Url").unwrap(), None);
        assert_eq!(
            select(&doc, "AncestorsWithRootFirst[0:2].Url"),
            Err(PathError::MultipleTokens)
        );
        assert!(matches!(select(&doc, "Url[x]"), Err(PathError::Syntax(_))));
        assert!(matches!(select(&doc, "Url[0"), Err(PathError::Syntax(_))));
    }
}
