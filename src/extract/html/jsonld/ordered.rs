//! JSON as serde_json parses it, kept in source order: object keys stay where they were
//! written (a repeated key keeps its first place and its last value, as Python's `json`
//! does), which the reference's "document order" of JSON-LD objects depends on.
//! Numbers, booleans and null are never read by the event rules, so they are kept only as
//! what they are. Nesting is bounded before serde_json reads it ([`parse`]).

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::extract::depth::TooDeep;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// null, a boolean or a number.
    Scalar,
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            match index.get(&key) {
                Some(&at) => entries[at].1 = value,
                None => {
                    index.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
        }
        Ok(Json::Object(entries))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// Why JSON text was not read.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Nested deeper than Bulletin reads (measured before parsing).
    #[error(transparent)]
    TooDeep(#[from] TooDeep),
    #[error("{0}")]
    Syntax(#[from] serde_json::Error),
}

/// Parses JSON text (serde_json's grammar), refusing it first, by name, when it nests
/// deeper than [`crate::extract::depth::MAX_JSON_DEPTH`].
pub fn parse(text: &str) -> Result<Json, JsonError> {
    crate::extract::depth::json(text)?;
    Ok(serde_json::from_str(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_the_last_duplicate_wins() {
        let json = parse(r#"{"b": 1, "a": "x", "b": "y"}"#).unwrap();
        assert_eq!(
            json,
            Json::Object(vec![
                ("b".into(), Json::String("y".into())),
                ("a".into(), Json::String("x".into()))
            ])
        );
    }
}
