//! Conditions on a write, evaluated against the item as it is before the write.

use std::cmp::Ordering;

use serde_json::Value;

use crate::Item;

/// A condition, with DynamoDB's meaning. Against a missing item only [`Condition::NotExists`]
/// and [`Condition::AttrNotExists`] hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The item exists.
    Exists,
    /// The item does not exist.
    NotExists,
    /// The item exists and has this attribute.
    AttrExists(String),
    /// The item is missing or lacks this attribute.
    AttrNotExists(String),
    /// The attribute equals the value (numbers compare by value: 1 equals 1.0).
    Equals(String, Value),
    /// The attribute is less than the value (numbers, or strings by bytes).
    LessThan(String, Value),
    /// The attribute is greater than the value (numbers, or strings by bytes).
    GreaterThan(String, Value),
    /// All hold.
    And(Vec<Condition>),
    /// At least one holds.
    Or(Vec<Condition>),
}

impl Condition {
    /// Optimistic concurrency: the item's `ver` attribute equals `ver`.
    pub fn version_is(ver: i64) -> Self {
        Condition::Equals("ver".into(), Value::from(ver))
    }

    /// The number attribute `attr` (e.g. an expiry in epoch ms) is before `now`.
    pub fn expired(attr: impl Into<String>, now_ms: i64) -> Self {
        Condition::LessThan(attr.into(), Value::from(now_ms))
    }

    /// Both this and `other`.
    pub fn and(self, other: Condition) -> Self {
        Condition::And(vec![self, other])
    }

    /// This or `other`.
    pub fn or(self, other: Condition) -> Self {
        Condition::Or(vec![self, other])
    }

    /// Evaluates the condition against the current item (or its absence). The embedded adapters
    /// use this; the DynamoDB adapter translates the same condition to an expression.
    pub fn eval(&self, item: Option<&Item>) -> bool {
        let attr = |name: &str| item.and_then(|i| i.attrs.get(name));
        match self {
            Condition::Exists => item.is_some(),
            Condition::NotExists => item.is_none(),
            Condition::AttrExists(a) => attr(a).is_some(),
            Condition::AttrNotExists(a) => attr(a).is_none(),
            Condition::Equals(a, v) => attr(a).is_some_and(|x| values_equal(x, v)),
            Condition::LessThan(a, v) => {
                attr(a).and_then(|x| compare(x, v)) == Some(Ordering::Less)
            }
            Condition::GreaterThan(a, v) => {
                attr(a).and_then(|x| compare(x, v)) == Some(Ordering::Greater)
            }
            Condition::And(cs) => cs.iter().all(|c| c.eval(item)),
            Condition::Or(cs) => cs.iter().any(|c| c.eval(item)),
        }
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => compare(a, b) == Some(Ordering::Equal),
        _ => a == b,
    }
}

/// Orders two numbers or two strings; other pairs are not comparable (the condition is false,
/// as in DynamoDB where comparing different types is false).
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Key;
    use serde_json::json;

    fn item() -> Item {
        Item::new(Key::new("p", "s"))
            .with("ver", 3)
            .with("exp", 100)
            .with("name", "b")
    }

    #[test]
    fn missing_item_satisfies_only_absence_conditions() {
        assert!(Condition::NotExists.eval(None));
        assert!(Condition::AttrNotExists("ver".into()).eval(None));
        assert!(!Condition::Exists.eval(None));
        assert!(!Condition::version_is(0).eval(None));
        assert!(!Condition::expired("exp", 1_000).eval(None));
    }

    #[test]
    fn comparisons_follow_dynamodb() {
        let i = item();
        assert!(Condition::version_is(3).eval(Some(&i)));
        assert!(Condition::Equals("ver".into(), json!(3.0)).eval(Some(&i)));
        assert!(!Condition::version_is(4).eval(Some(&i)));
        assert!(Condition::expired("exp", 101).eval(Some(&i)));
        assert!(!Condition::expired("exp", 100).eval(Some(&i)));
        assert!(Condition::GreaterThan("name".into(), json!("a")).eval(Some(&i)));
        assert!(!Condition::LessThan("name".into(), json!(5)).eval(Some(&i)));
        assert!(
            Condition::NotExists
                .or(Condition::expired("exp", 500))
                .eval(Some(&i))
        );
        assert!(
            !Condition::Exists
                .and(Condition::version_is(9))
                .eval(Some(&i))
        );
    }
}
