//! schema.org in JSON-LD, as extruct reads it: every `<script type="application/ld+json">`
//! (exactly that type, anywhere in the page) parsed as JSON, and every object in it —
//! top level, arrays, `@graph`, `itemListElement`, ListItem `item`, `subEvent`, any
//! property, at any depth — an item of the graph, in document order (objects pre-order,
//! keys in source order, `@context` skipped). No JSON-LD processing: `@context` is not
//! applied, `{"@id": …}` references are resolved only to the first object on the page
//! that has that `@id` and says something else.
//!
//! Where extruct loses every JSON-LD item of a page because one script does not parse,
//! Bulletin keeps the scripts it can read and warns about the other (and an empty script
//! is simply empty).

mod ordered;
mod repair;

use std::collections::HashMap;

use scraper::{Html, Selector};

use self::ordered::{Json, JsonError};
use super::schema::{Graph, Item, Syntax, Value};

/// The JSON-LD graph of a page, and a warning per script that could not be read.
pub fn graph(page: &Html, page_url: &str) -> (Graph, Vec<String>) {
    let scripts = Selector::parse("script[type]").expect("static selector");
    let mut roots = Vec::new();
    let mut warnings = Vec::new();
    let blocks = page
        .select(&scripts)
        .filter(|s| s.value().attr("type") == Some("application/ld+json"));
    for (index, script) in blocks.enumerate() {
        let text: String = script.text().collect();
        match read(&text) {
            Ok(Some(json)) => roots.push(json),
            Ok(None) => {}
            Err(JsonError::TooDeep(deep)) => warnings.push(format!(
                "{page_url}: JSON-LD block {} is not read: {deep}; the page's other blocks are read",
                index + 1
            )),
            Err(JsonError::Syntax(error)) => warnings.push(format!(
                "{page_url}: JSON-LD block {} is not valid JSON ({error}); the page's other blocks are read",
                index + 1
            )),
        }
    }
    (build(&roots), warnings)
}

/// One script's JSON: as Python's `json.loads` reads it, else after extruct's comment
/// repairs, else after unwrapping `<!-- -->`/CDATA. `None` for an empty script.
fn read(text: &str) -> Result<Option<Json>, JsonError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let first = ordered::parse(&repair::python_json(text));
    let error = match first {
        Ok(json) => return Ok(Some(json)),
        // No repair makes it shallower.
        Err(deep @ JsonError::TooDeep(_)) => return Err(deep),
        Err(error) => error,
    };
    let relaxed = repair::strip_comments(&repair::leading_comment_line(text));
    if let Ok(json) = ordered::parse(&repair::python_json(&relaxed)) {
        return Ok(Some(json));
    }
    if let Some(inner) = repair::unwrap_markup(text) {
        let relaxed = repair::strip_comments(&inner);
        if let Ok(json) = ordered::parse(&repair::python_json(&relaxed)) {
            return Ok(Some(json));
        }
    }
    Err(error)
}

/// A reference to resolve once every object on the page is known.
struct Pending {
    item: usize,
    property: usize,
    value: usize,
    id: String,
}

#[derive(Default)]
struct Builder {
    items: Vec<Item>,
    /// The first object with each `@id` that has another key.
    ids: HashMap<String, usize>,
    pending: Vec<Pending>,
}

fn build(roots: &[Json]) -> Graph {
    let mut builder = Builder::default();
    for root in roots {
        builder.walk(root);
    }
    let Builder {
        mut items,
        ids,
        pending,
    } = builder;
    for reference in pending {
        items[reference.item].properties[reference.property].1[reference.value].item =
            ids.get(&reference.id).copied();
    }
    Graph {
        syntax: Syntax::JsonLd,
        items,
    }
}

impl Builder {
    /// Every object inside `json`, pre-order.
    fn walk(&mut self, json: &Json) {
        match json {
            Json::Array(values) => values.iter().for_each(|v| self.walk(v)),
            Json::Object(_) => {
                self.object(json);
            }
            _ => {}
        }
    }

    /// Adds the object and everything in it; returns its index.
    fn object(&mut self, json: &Json) -> usize {
        let Json::Object(entries) = json else {
            unreachable!("only objects are items")
        };
        let index = self.items.len();
        let id = json.get("@id").and_then(Json::as_str).map(str::to_string);
        if let Some(id) = &id
            && entries.len() > 1
        {
            self.ids.entry(id.clone()).or_insert(index);
        }
        self.items.push(Item {
            types: match json.get("@type") {
                Some(Json::String(t)) => vec![t.clone()],
                Some(Json::Array(list)) => list
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            },
            id,
            properties: Vec::new(),
        });
        for (key, value) in entries {
            if key == "@context" {
                continue;
            }
            if key.starts_with('@') {
                self.walk(value);
                continue;
            }
            let mut values = Vec::new();
            for element in flatten(value) {
                values.push(self.value(element));
            }
            let property = self.items[index].properties.len();
            for (at, pending) in values.iter_mut().enumerate() {
                if let Some(id) = pending.1.take() {
                    self.pending.push(Pending {
                        item: index,
                        property,
                        value: at,
                        id,
                    });
                }
            }
            self.items[index]
                .properties
                .push((key.clone(), values.into_iter().map(|(v, _)| v).collect()));
        }
        index
    }

    /// One property value, and the id it refers to when it is a bare `{"@id": …}`.
    fn value(&mut self, json: &Json) -> (Value, Option<String>) {
        match json {
            Json::String(s) => (Value::string(s), None),
            Json::Object(entries) => {
                let link = json.get("@id").and_then(Json::as_str).map(str::to_string);
                let only_id = entries.len() == 1 && entries[0].0 == "@id";
                // Value objects and references are objects of the page too.
                let index = self.object(json);
                if let Some(literal) = json.get("@value") {
                    let text = literal.as_str().map(str::to_string);
                    let value = Value {
                        lexical: text.clone().unwrap_or_default(),
                        text,
                        link,
                        item: None,
                        nonempty: true,
                    };
                    return (value, None);
                }
                if only_id {
                    let value = Value {
                        lexical: link.clone().unwrap_or_default(),
                        link: link.clone(),
                        nonempty: true,
                        ..Value::default()
                    };
                    return (value, link);
                }
                let value = Value {
                    lexical: link.clone().unwrap_or_default(),
                    text: None,
                    link,
                    item: Some(index),
                    nonempty: !entries.is_empty(),
                };
                (value, None)
            }
            Json::Array(_) => {
                self.walk(json);
                (Value::default(), None)
            }
            Json::Scalar => (Value::default(), None),
        }
    }
}

/// A property's values: an array's elements, and an element that is an array, its
/// elements (extruct's output flattened one level further).
fn flatten(value: &Json) -> Vec<&Json> {
    match value {
        Json::Array(elements) => elements
            .iter()
            .flat_map(|e| match e {
                Json::Array(inner) => inner.iter().collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect(),
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Budget;
    use crate::extract::html::schema;

    fn events(scripts: &[&str]) -> (Vec<crate::extract::html::PageEvent>, Vec<String>) {
        let body: String = scripts
            .iter()
            .map(|s| format!("<script type=\"application/ld+json\">{s}</script>"))
            .collect();
        let page = Html::parse_document(&format!("<html><head>{body}</head></html>"));
        let (graph, warnings) = graph(&page, "https://ex.gc.ca/events");
        (schema::events(&graph, &mut Budget::unlimited()), warnings)
    }

    fn names(events: &[crate::extract::html::PageEvent]) -> Vec<&str> {
        events.iter().map(|e| e.name.as_deref().unwrap()).collect()
    }

    #[test]
    fn events_nested_anywhere() {
        let (found, _) = events(&[r##"{"@context":"https://schema.org","@graph":[
            {"@type":"ItemList","itemListElement":[{"@type":"ListItem","item":{"@type":"Event","name":"A","startDate":"2026-01-01"}}]},
            {"@type":"Organization","event":[[{"@type":"Event","name":"B","startDate":"2026-01-02"}]]},
            {"@type":"NewsArticle","about":{"@type":"BusinessEvent","name":"C","startDate":"2026-01-03",
              "superEvent":{"@type":"EventSeries","name":"D","startDate":"2026-01-04"}}},
            {"@type":"EventSeries","name":"Container","subEvent":{"@id":"#e"}}]}"##]);
        assert_eq!(names(&found), ["A", "B", "C", "D"]);
    }

    #[test]
    fn references_resolve_to_the_first_object_saying_more() {
        let (found, _) = events(&[
            r##"{"@type":"Event","name":"E","startDate":"2026-01-01","location":{"@id":"#hall"}}"##,
            r##"[{"@id":"#hall"},{"@id":"#hall","@type":"Place","name":"Great hall"},{"@id":"#hall","name":"Other"}]"##,
        ]);
        assert_eq!(found[0].location_name.as_deref(), Some("Great hall"));
    }

    #[test]
    fn quirky_scripts_are_read_and_broken_ones_warned_about() {
        let (found, warnings) = events(&[
            "",
            "// generated\n{\"@type\":\"Event\",\"name\":\"A\",\"startDate\":\"2026-01-01\",}",
            "/*<![CDATA[*/{\"@type\":\"Event\",\"name\":\"B\nline\",\"startDate\":\"2026-01-02\"}/*]]>*/",
            "<!--\n{\"@type\":\"Event\",\"name\":\"C\",\"startDate\":\"2026-01-03\"}\n-->",
            "{\"@type\": \"Event\", \"name\": ",
        ]);
        assert_eq!(names(&found), ["A", "B line", "C"]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("block 5"), "{warnings:?}");
    }

    #[test]
    fn value_objects_and_types() {
        let (found, _) = events(&[
            r##"{"@type":["Thing","http://schema.org/Festival"],"name":[{"@value":"Fest"}],"startDate":"2026-07-01",
               "url":{"@value":"not a link"},"eventStatus":{"@id":"https://schema.org/EventPostponed"}}"##,
            r##"{"type":"Event","name":"untyped","startDate":"2026-07-01"}"##,
        ]);
        assert_eq!(names(&found), ["Fest"]);
        assert_eq!(found[0].url, None);
        assert_eq!(
            found[0].status.as_deref(),
            Some("https://schema.org/EventPostponed")
        );
    }
}
