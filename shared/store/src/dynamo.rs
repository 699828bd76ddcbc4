//! DynamoDB adapter (production).
//!
//! Conditions become condition expressions with name and value placeholders, so attribute names
//! never collide with DynamoDB's reserved words and values never enter the expression text.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValue, TransactWriteItem,
    Update as DynUpdate,
};
use serde_json::{Map, Number, Value};

use crate::plan::{validate_ops, validate_query};
use crate::{Condition, Cursor, Item, Key, Page, Query, StoreError, Table, Update, WriteOp};

/// The table on DynamoDB. Its key schema must be `pk` (S, HASH) + `sk` (S, RANGE).
#[derive(Debug, Clone)]
pub struct DynamoTable {
    client: Client,
    table: String,
}

impl DynamoTable {
    /// The adapter for `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Creates the table with our key schema (on-demand billing). For tests and local set-up
    /// against moto; in AWS the SAM template creates it.
    pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let attr = |n: &str| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let key = |n: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(n)
                .key_type(t)
                .build()
                .map_err(backend)
        };
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk")?)
            .attribute_definitions(attr("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .send()
            .await
            .map_err(|e| sdk_error(&e))?;
        Ok(())
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn sdk_error<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> StoreError {
    let code = e.code().unwrap_or("unknown");
    let msg = e.message().unwrap_or("");
    match code {
        "ConditionalCheckFailedException" => StoreError::ConditionFailed,
        "ValidationException" => StoreError::Invalid(format!("DynamoDB: {msg}")),
        _ => StoreError::Backend(format!("DynamoDB {code}: {msg}")),
    }
}

// ---- value conversion ----

fn to_av(v: &Value) -> AttributeValue {
    match v {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(a) => AttributeValue::L(a.iter().map(to_av).collect()),
        Value::Object(m) => {
            AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), to_av(v))).collect())
        }
    }
}

fn from_av(av: &AttributeValue) -> Result<Value, StoreError> {
    Ok(match av {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => parse_number(n)?,
        AttributeValue::L(l) => Value::Array(l.iter().map(from_av).collect::<Result<_, _>>()?),
        AttributeValue::M(m) => Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), from_av(v)?)))
                .collect::<Result<_, StoreError>>()?,
        ),
        other => {
            return Err(backend(format!(
                "unsupported DynamoDB attribute type {other:?}"
            )));
        }
    })
}

fn parse_number(n: &str) -> Result<Value, StoreError> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(Value::from(i));
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| backend(format!("unreadable DynamoDB number {n:?}")))
}

fn key_av(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(key.pk.clone())),
        ("sk".to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

fn item_av(item: &Item) -> HashMap<String, AttributeValue> {
    let mut m = key_av(&item.key);
    for (k, v) in &item.attrs {
        m.insert(k.clone(), to_av(v));
    }
    m
}

fn from_item_av(m: &HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    let s = |n: &str| match m.get(n) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        _ => Err(backend(format!("item without string `{n}`"))),
    };
    let key = Key {
        pk: s("pk")?,
        sk: s("sk")?,
    };
    let mut attrs = Map::new();
    for (k, v) in m {
        if k != "pk" && k != "sk" {
            attrs.insert(k.clone(), from_av(v)?);
        }
    }
    Ok(Item { key, attrs })
}

// ---- expressions ----

/// Collects placeholders while an expression is built.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn name(&mut self, n: &str) -> String {
        if let Some((p, _)) = self.names.iter().find(|(_, v)| v.as_str() == n) {
            return p.clone();
        }
        let p = format!("#n{}", self.names.len());
        self.names.insert(p.clone(), n.to_string());
        p
    }

    fn value(&mut self, v: AttributeValue) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), v);
        p
    }

    fn condition(&mut self, c: &Condition) -> String {
        match c {
            Condition::Exists => format!("attribute_exists({})", self.name("pk")),
            Condition::NotExists => format!("attribute_not_exists({})", self.name("pk")),
            Condition::AttrExists(a) => format!("attribute_exists({})", self.name(a)),
            Condition::AttrNotExists(a) => format!("attribute_not_exists({})", self.name(a)),
            Condition::Equals(a, v) => self.compare(a, "=", v),
            Condition::LessThan(a, v) => self.compare(a, "<", v),
            Condition::GreaterThan(a, v) => self.compare(a, ">", v),
            Condition::And(cs) => self.join(cs, " AND ", "attribute_exists"),
            Condition::Or(cs) => self.join(cs, " OR ", "attribute_not_exists"),
        }
    }

    fn compare(&mut self, a: &str, op: &str, v: &Value) -> String {
        let n = self.name(a);
        let p = self.value(to_av(v));
        format!("{n} {op} {p}")
    }

    /// An empty AND is true and an empty OR is false, as in [`Condition::eval`]; DynamoDB has no
    /// literals, so they are written as a tautology / contradiction on the key.
    fn join(&mut self, cs: &[Condition], sep: &str, empty_fn: &str) -> String {
        if cs.is_empty() {
            let pk = self.name("pk");
            let sk = self.name("sk");
            return if empty_fn == "attribute_exists" {
                format!("(attribute_exists({pk}) OR attribute_not_exists({sk}))")
            } else {
                format!("(attribute_exists({pk}) AND attribute_not_exists({sk}))")
            };
        }
        let parts: Vec<String> = cs
            .iter()
            .map(|c| format!("({})", self.condition(c)))
            .collect();
        parts.join(sep)
    }

    fn update(&mut self, u: &Update) -> Option<String> {
        let mut clauses = Vec::new();
        if !u.set.is_empty() {
            let sets: Vec<String> = u
                .set
                .iter()
                .map(|(k, v)| {
                    let n = self.name(k);
                    let p = self.value(to_av(v));
                    format!("{n} = {p}")
                })
                .collect();
            clauses.push(format!("SET {}", sets.join(", ")));
        }
        if !u.remove.is_empty() {
            let rems: Vec<String> = u.remove.iter().map(|k| self.name(k)).collect();
            clauses.push(format!("REMOVE {}", rems.join(", ")));
        }
        if !u.add.is_empty() {
            let adds: Vec<String> = u
                .add
                .iter()
                .map(|(k, d)| {
                    let n = self.name(k);
                    let p = self.value(AttributeValue::N(d.to_string()));
                    format!("{n} {p}")
                })
                .collect();
            clauses.push(format!("ADD {}", adds.join(", ")));
        }
        (!clauses.is_empty()).then(|| clauses.join(" "))
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        key.validate()?;
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(&e))?;
        out.item().map(from_item_av).transpose()
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        item.validate()?;
        let mut x = Expr::default();
        let cond = condition.as_ref().map(|c| x.condition(c));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_av(&item)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(x.names())
            .set_expression_attribute_values(x.values())
            .send()
            .await
            .map_err(|e| sdk_error(&e))?;
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, StoreError> {
        key.validate()?;
        update.validate()?;
        let mut x = Expr::default();
        let expr = x.update(&update);
        let cond = condition.as_ref().map(|c| x.condition(c));
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .set_update_expression(expr)
            .set_condition_expression(cond)
            .set_expression_attribute_names(x.names())
            .set_expression_attribute_values(x.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| sdk_error(&e))?;
        match out.attributes() {
            Some(a) => from_item_av(a),
            // An empty update of a missing item: DynamoDB creates the bare key, returns nothing.
            None => Ok(Item::new(key.clone())),
        }
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError> {
        key.validate()?;
        let mut x = Expr::default();
        let cond = condition.as_ref().map(|c| x.condition(c));
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(x.names())
            .set_expression_attribute_values(x.values())
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error(&e))?;
        out.attributes().map(from_item_av).transpose()
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let after = validate_query(query)?;
        let mut x = Expr::default();
        let pk_n = x.name("pk");
        let pk_v = x.value(AttributeValue::S(query.pk.clone()));
        let mut kce = format!("{pk_n} = {pk_v}");
        if !query.sk_prefix.is_empty() {
            let sk_n = x.name("sk");
            let sk_v = x.value(AttributeValue::S(query.sk_prefix.clone()));
            kce.push_str(&format!(" AND begins_with({sk_n}, {sk_v})"));
        }
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(kce)
            .set_expression_attribute_names(x.names())
            .set_expression_attribute_values(x.values())
            .consistent_read(true)
            .scan_index_forward(!query.descending)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(after.as_ref().map(key_av))
            .send()
            .await
            .map_err(|e| sdk_error(&e))?;
        let items = out
            .items()
            .iter()
            .map(from_item_av)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match out.last_evaluated_key() {
            Some(k) => Some(Cursor::after(&from_item_av(k)?.key)),
            None => None,
        };
        Ok(Page { items, next })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_ops(&ops)?;
        let mut items = Vec::with_capacity(ops.len());
        for op in &ops {
            let mut x = Expr::default();
            let item = match op {
                WriteOp::Put { item, condition } => {
                    let cond = condition.as_ref().map(|c| x.condition(c));
                    let put = Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item_av(item)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(x.names())
                        .set_expression_attribute_values(x.values())
                        .build()
                        .map_err(backend)?;
                    TransactWriteItem::builder().put(put).build()
                }
                WriteOp::Update {
                    key,
                    update,
                    condition,
                } => {
                    let expr = x.update(update);
                    let cond = condition.as_ref().map(|c| x.condition(c));
                    // validate_ops refuses empty updates in transactions (TransactWriteItems
                    // requires an update expression), so this only guards the invariant.
                    let Some(expr) = expr else {
                        return Err(StoreError::Invalid("empty update in a transaction".into()));
                    };
                    let upd = DynUpdate::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .update_expression(expr)
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(x.names())
                        .set_expression_attribute_values(x.values())
                        .build()
                        .map_err(backend)?;
                    TransactWriteItem::builder().update(upd).build()
                }
                WriteOp::Delete { key, condition } => {
                    let cond = condition.as_ref().map(|c| x.condition(c));
                    let del = Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(x.names())
                        .set_expression_attribute_values(x.values())
                        .build()
                        .map_err(backend)?;
                    TransactWriteItem::builder().delete(del).build()
                }
                WriteOp::Check { key, condition } => {
                    let cond = x.condition(condition);
                    let chk = ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .condition_expression(cond)
                        .set_expression_attribute_names(x.names())
                        .set_expression_attribute_values(x.values())
                        .build()
                        .map_err(backend)?;
                    TransactWriteItem::builder().condition_check(chk).build()
                }
            };
            items.push(item);
        }
        let res = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(tce)) =
                    e.as_service_error()
                {
                    let failed: Vec<usize> = tce
                        .cancellation_reasons()
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                        .map(|(i, _)| i)
                        .collect();
                    if !failed.is_empty() {
                        return Err(StoreError::TransactionCanceled { failed });
                    }
                }
                Err(sdk_error(&e))
            }
        }
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| sdk_error(&e))?;
        Ok(())
    }
}
