//! Rule conditions on cart attributes (Medusa's `areRulesValidForContext`), on flattened contexts.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::CoreError;

/// A plain data tree, as a cart context arrives from the edge (dicts, lists, strings, numbers).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Str(String),
    Num(Decimal),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
}

impl Value {
    /// The value under `key` when this is a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// FNV-1a: attribute paths are short strings hashed many times per evaluation; SipHash's
/// denial-of-service resistance buys nothing for keys that come from our own rule set.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Map = HashMap<String, Vec<String>, BuildHasherDefault<Fnv>>;

/// Every attribute path of a context and the scalar values found under it, as strings.
///
/// Lists add no path segment (`items.product.id` collects every item's product id), which is what
/// Medusa's `pickValueFromObject` does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes(Map);

impl Attributes {
    pub fn from_value(value: &Value) -> Attributes {
        let mut map = Map::default();
        flatten(value, &mut String::new(), &mut map);
        Attributes(map)
    }

    /// Like [`Attributes::from_value`] for a map, leaving out the entries under `skip`.
    pub fn from_map_without(value: &Value, skip: &[&str]) -> Attributes {
        let mut map = Map::default();
        if let Value::Map(entries) = value {
            for (key, child) in entries {
                if !skip.contains(&key.as_str()) {
                    let mut path = key.clone();
                    flatten(child, &mut path, &mut map);
                }
            }
        }
        Attributes(map)
    }

    /// Add one scalar value under a path (for contexts read straight from another representation).
    pub fn push(&mut self, path: &str, value: String) {
        match self.0.get_mut(path) {
            Some(values) => values.push(value),
            None => {
                self.0.insert(path.to_string(), vec![value]);
            }
        }
    }

    pub fn get(&self, path: &str) -> &[String] {
        self.0.get(path).map_or(&[], Vec::as_slice)
    }
}

/// A decimal printed without trailing zeros (`10.50` → `10.5`), as JavaScript prints numbers.
pub fn number_text(n: Decimal) -> String {
    n.normalize().to_string()
}

fn flatten(value: &Value, path: &mut String, out: &mut Map) {
    let scalar = match value {
        Value::Null => return,
        Value::Bool(b) => b.to_string(),
        Value::Str(s) => s.clone(),
        Value::Num(n) => number_text(*n),
        Value::List(items) => {
            for item in items {
                flatten(item, path, out);
            }
            return;
        }
        Value::Map(entries) => {
            for (key, child) in entries {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                flatten(child, path, out);
                path.truncate(len);
            }
            return;
        }
    };
    match out.get_mut(path.as_str()) {
        Some(values) => values.push(scalar),
        None => {
            out.insert(path.clone(), vec![scalar]);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    In,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl FromStr for Operator {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s {
            "eq" => Operator::Eq,
            "ne" => Operator::Ne,
            "in" => Operator::In,
            "gt" => Operator::Gt,
            "gte" => Operator::Gte,
            "lt" => Operator::Lt,
            "lte" => Operator::Lte,
            _ => return Err(CoreError::InvalidInput(format!("unknown rule operator: {s:?}"))),
        })
    }
}

/// Where a rule is evaluated: the cart, or one item / shipping method (whose attribute paths drop
/// the `items.` / `shipping_methods.` prefix, as Medusa does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Cart,
    Item,
    ShippingMethod,
}

/// A compiled rule: values kept as text for equality and pre-parsed for the ordering operators.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub attribute: String,
    pub operator: Operator,
    pub values: Vec<String>,
    numbers: Vec<Decimal>,
    item_attribute: String,
    shipping_attribute: String,
}

fn strip_first(attribute: &str, prefix: &str) -> String {
    attribute.replacen(prefix, "", 1)
}

impl Rule {
    pub fn new(attribute: &str, operator: Operator, values: Vec<String>) -> Rule {
        let numbers = values.iter().filter_map(|v| Decimal::from_str(v.trim()).ok()).collect();
        Rule {
            attribute: attribute.to_string(),
            operator,
            item_attribute: strip_first(attribute, "items."),
            shipping_attribute: strip_first(attribute, "shipping_methods."),
            values,
            numbers,
        }
    }

    fn attribute_for(&self, scope: Scope) -> &str {
        match scope {
            Scope::Cart => &self.attribute,
            Scope::Item => &self.item_attribute,
            Scope::ShippingMethod => &self.shipping_attribute,
        }
    }

    /// Medusa's `evaluateRuleValueCondition`: `eq` needs every context value among the rule's
    /// values, `in` any of them, `ne` none; the ordering operators compare numbers and need every
    /// context value to beat some rule value. A missing attribute only satisfies `ne`.
    pub fn matches(&self, attrs: &Attributes, scope: Scope) -> bool {
        self.matches_values(attrs.get(self.attribute_for(scope)))
    }

    /// The condition on the values found under the rule's attribute.
    pub fn matches_values(&self, found: &[String]) -> bool {
        if self.attribute.is_empty() || self.values.is_empty() {
            return false;
        }
        if found.is_empty() {
            return self.operator == Operator::Ne;
        }
        let has = |v: &String| self.values.iter().any(|r| r == v);
        match self.operator {
            Operator::Eq => found.iter().all(has),
            Operator::In => found.iter().any(has),
            Operator::Ne => !found.iter().any(has),
            Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => found.iter().all(|v| {
                let Ok(n) = Decimal::from_str(v.trim()) else {
                    return false;
                };
                self.numbers.iter().any(|r| match self.operator {
                    Operator::Gt => n > *r,
                    Operator::Gte => n >= *r,
                    Operator::Lt => n < *r,
                    _ => n <= *r,
                })
            }),
        }
    }
}

/// Every rule holds (an empty list holds).
pub fn all_match(rules: &[Rule], attrs: &Attributes, scope: Scope) -> bool {
    rules.iter().all(|r| r.matches(attrs, scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cart() -> Value {
        let item = |prod: &str, cats: &[&str]| {
            Value::Map(vec![(
                "product".into(),
                Value::Map(vec![
                    ("id".into(), Value::Str(prod.into())),
                    (
                        "categories".into(),
                        Value::List(
                            cats.iter()
                                .map(|c| Value::Map(vec![("id".into(), Value::Str((*c).into()))]))
                                .collect(),
                        ),
                    ),
                ]),
            )])
        };
        Value::Map(vec![
            ("subtotal".into(), Value::Num(Decimal::from_str("120.50").unwrap())),
            (
                "items".into(),
                Value::List(vec![item("p1", &["c1", "c2"]), item("p2", &["c1"])]),
            ),
        ])
    }

    fn rule(attr: &str, op: &str, values: &[&str]) -> Rule {
        Rule::new(
            attr,
            op.parse().unwrap(),
            values.iter().map(|v| (*v).to_string()).collect(),
        )
    }

    #[test]
    fn lists_flatten_without_a_path_segment() {
        let attrs = Attributes::from_value(&cart());
        assert_eq!(attrs.get("items.product.id"), ["p1", "p2"]);
        assert_eq!(attrs.get("items.product.categories.id"), ["c1", "c2", "c1"]);
        assert_eq!(attrs.get("subtotal"), ["120.5"]);
    }

    #[test]
    fn operators_follow_medusa() {
        let attrs = Attributes::from_value(&cart());
        assert!(rule("items.product.id", "in", &["p2"]).matches(&attrs, Scope::Cart));
        assert!(!rule("items.product.id", "eq", &["p2"]).matches(&attrs, Scope::Cart));
        assert!(rule("items.product.id", "eq", &["p1", "p2"]).matches(&attrs, Scope::Cart));
        assert!(rule("items.product.id", "ne", &["p3"]).matches(&attrs, Scope::Cart));
        assert!(!rule("items.product.id", "ne", &["p1"]).matches(&attrs, Scope::Cart));
        assert!(rule("subtotal", "gt", &["100"]).matches(&attrs, Scope::Cart));
        assert!(!rule("subtotal", "lte", &["120"]).matches(&attrs, Scope::Cart));
        assert!(rule("subtotal", "gte", &["120.5"]).matches(&attrs, Scope::Cart));
        assert!(rule("customer.groups.id", "ne", &["vip"]).matches(&attrs, Scope::Cart));
        assert!(!rule("customer.groups.id", "in", &["vip"]).matches(&attrs, Scope::Cart));
        assert!(!rule("subtotal", "gt", &["abc"]).matches(&attrs, Scope::Cart));
    }
}
