//! schema.org in microdata, as extruct reads it. Every `itemscope` element is an item, in
//! document order; one that is a property's value appears only there, nested. An item's
//! properties are the `itemprop` elements under it that no inner `itemscope` holds (an
//! `itemscope` without `itemprop` inside another item is therefore an item of its own,
//! listed after the one containing it), then those its `itemref` names. Values: `<meta>`
//! `content`; links (`href`, `src`, `data`) joined to the page; `<data>`/`<meter>`
//! `value`; `<time>` its `datetime` only; any other element's non-empty `content`; else
//! its text rendered as html_text does ([`text`]). Items nested more than 64 deep in
//! other items are not read, nor any beyond 100,000 a page.

mod text;

use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use super::links;
use super::schema::{Graph, Item, Syntax, Value};
use crate::budget::{Budget, Exhausted};

/// An item before it is placed in the graph.
#[derive(Default)]
struct Tree {
    types: Vec<String>,
    id: Option<String>,
    properties: Vec<(String, Vec<Found>)>,
    /// Items in this tree, itself included.
    size: usize,
}

enum Found {
    Text(String),
    Item(Box<Tree>),
    /// An item already read elsewhere, or a value no rule reads.
    Nothing {
        nonempty: bool,
    },
}

/// Items nested deeper than this inside other items are not read.
const MAX_NESTING: usize = 64;
/// At most this many items a page: an item under several property names is read once per
/// name (as extruct lists it), which nesting could otherwise multiply without bound.
const MAX_ITEMS: usize = 100_000;

struct Reader<'a, 'b> {
    base: &'a str,
    /// How many items enclose the one being read.
    depth: usize,
    /// Items made so far.
    made: usize,
    seen: HashSet<NodeId>,
    ids: HashMap<&'a str, ElementRef<'a>>,
    budget: &'b mut Budget,
}

/// The microdata graph of a page.
pub fn graph(page: &Html, page_url: &str, budget: &mut Budget) -> Result<Graph, Exhausted> {
    let scopes = Selector::parse("[itemscope]").expect("static selector");
    let with_id = Selector::parse("[id]").expect("static selector");
    let mut ids = HashMap::new();
    for element in page.select(&with_id) {
        if let Some(id) = element.value().attr("id") {
            ids.entry(id).or_insert(element);
        }
    }
    let mut reader = Reader {
        base: page_url,
        depth: 0,
        made: 0,
        seen: HashSet::new(),
        ids,
        budget,
    };
    let mut tops = Vec::new();
    for scope in page.select(&scopes) {
        if let Some(tree) = reader.item(scope)? {
            tops.push(tree);
        }
    }
    let mut items = Vec::new();
    for tree in tops {
        place(tree, &mut items);
    }
    Ok(Graph {
        syntax: Syntax::Microdata,
        items,
    })
}

/// Adds a tree to the graph, pre-order; returns its index.
fn place(tree: Tree, items: &mut Vec<Item>) -> usize {
    let index = items.len();
    items.push(Item::default());
    let mut properties = Vec::with_capacity(tree.properties.len());
    for (name, found) in tree.properties {
        let values = found
            .into_iter()
            .map(|f| match f {
                Found::Text(text) => Value::string(&text),
                Found::Item(nested) => Value {
                    item: Some(place(*nested, items)),
                    nonempty: true,
                    ..Value::default()
                },
                Found::Nothing { nonempty } => Value {
                    nonempty,
                    ..Value::default()
                },
            })
            .collect();
        properties.push((name, values));
    }
    items[index] = Item {
        types: tree.types,
        id: tree.id,
        properties,
    };
    index
}

fn has(element: ElementRef, attribute: &str) -> bool {
    element.value().attr(attribute).is_some()
}

/// The nearest ancestor (or the element itself) with `itemscope`.
fn scope_of(element: ElementRef, include_self: bool) -> Option<NodeId> {
    let start = if include_self {
        Some(element)
    } else {
        element.parent().and_then(ElementRef::wrap)
    };
    std::iter::successors(start, |e| e.parent().and_then(ElementRef::wrap))
        .find(|e| has(*e, "itemscope"))
        .map(|e| e.id())
}

impl<'a> Reader<'a, '_> {
    fn item(&mut self, element: ElementRef<'a>) -> Result<Option<Tree>, Exhausted> {
        if !self.seen.insert(element.id()) {
            return Ok(None);
        }
        self.budget.check()?;
        let mut tree = Tree::default();
        let value = element.value();
        tree.types = value
            .attr("itemtype")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !tree.types.is_empty() {
            tree.id = value
                .attr("itemid")
                .map(|id| super::text::py_strip(id).to_string())
                .filter(|id| !id.is_empty());
        }
        let mut found: Vec<(String, Found)> = Vec::new();
        for property in own_properties(element) {
            self.property(property, &mut found)?;
        }
        for reference in value.attr("itemref").unwrap_or_default().split_whitespace() {
            let Some(&target) = self.ids.get(reference) else {
                continue;
            };
            if has(target, "itemprop") && has(target, "itemscope") {
                self.property(target, &mut found)?;
                continue;
            }
            let scope = scope_of(target, true);
            let referenced: Vec<ElementRef> = std::iter::once(target)
                .chain(target.descendants().skip(1).filter_map(ElementRef::wrap))
                .filter(|e| has(*e, "itemprop") && scope_of(*e, false) == scope)
                .collect();
            for property in referenced {
                self.property(property, &mut found)?;
            }
        }
        for (name, value) in found {
            if let Found::Item(nested) = &value {
                tree.size += nested.size;
            }
            match tree.properties.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => values.push(value),
                None => tree.properties.push((name, vec![value])),
            }
        }
        tree.size += 1;
        self.made += 1;
        Ok(Some(tree))
    }

    /// One `itemprop` element: its value under each of its names.
    fn property(
        &mut self,
        element: ElementRef<'a>,
        found: &mut Vec<(String, Found)>,
    ) -> Result<(), Exhausted> {
        let names: Vec<String> = element
            .value()
            .attr("itemprop")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let value = self.value(element)?;
        let mut value = Some(value);
        for (i, name) in names.iter().enumerate() {
            let v = if i + 1 == names.len() {
                value.take().expect("one value per name")
            } else {
                let original = value.as_ref().expect("one value per name");
                let size = match original {
                    Found::Item(tree) => tree.size,
                    _ => 0,
                };
                if self.made + size > MAX_ITEMS {
                    Found::Nothing { nonempty: true }
                } else {
                    self.made += size;
                    copy(original)
                }
            };
            found.push((name.clone(), v));
        }
        Ok(())
    }

    fn value(&mut self, element: ElementRef<'a>) -> Result<Found, Exhausted> {
        let el = element.value();
        if has(element, "itemscope") {
            if self.depth >= MAX_NESTING {
                self.seen.insert(element.id());
                return Ok(Found::Nothing { nonempty: false });
            }
            self.depth += 1;
            let item = self.item(element);
            self.depth -= 1;
            return Ok(match item? {
                Some(tree) => Found::Item(Box::new(tree)),
                None => Found::Nothing { nonempty: false },
            });
        }
        let link = |attribute: &str| {
            let raw = el.attr(attribute).unwrap_or_default();
            Found::Text(links::join(self.base, strip_html5_space(raw)))
        };
        Ok(match el.name() {
            "meta" => Found::Text(el.attr("content").unwrap_or_default().to_string()),
            "audio" | "embed" | "iframe" | "img" | "source" | "track" | "video" => link("src"),
            "a" | "area" | "link" => link("href"),
            "object" => link("data"),
            "data" | "meter" => Found::Text(el.attr("value").unwrap_or_default().to_string()),
            "time" => Found::Text(el.attr("datetime").unwrap_or_default().to_string()),
            _ => match el.attr("content").filter(|c| !c.is_empty()) {
                Some(content) => Found::Text(content.to_string()),
                None => {
                    let name = el.attr("itemprop").unwrap_or_default();
                    if name.ends_with("-input") || name.ends_with("-output") {
                        Found::Nothing { nonempty: true }
                    } else {
                        Found::Text(text::html_text(element, self.budget)?)
                    }
                }
            },
        })
    }
}

/// A value given to a second property name of the same element.
fn copy(found: &Found) -> Found {
    match found {
        Found::Text(t) => Found::Text(t.clone()),
        Found::Item(tree) => Found::Item(Box::new(copy_tree(tree))),
        Found::Nothing { nonempty } => Found::Nothing {
            nonempty: *nonempty,
        },
    }
}

fn copy_tree(tree: &Tree) -> Tree {
    Tree {
        size: tree.size,
        types: tree.types.clone(),
        id: tree.id.clone(),
        properties: tree
            .properties
            .iter()
            .map(|(n, values)| (n.clone(), values.iter().map(copy).collect()))
            .collect(),
    }
}

/// w3lib's `strip_html5_whitespace`.
fn strip_html5_space(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r', '\u{c}'])
}

/// The `itemprop` elements below `item` that no inner `itemscope` holds, in document
/// order (an inner item that is itself a property is one of them).
fn own_properties(item: ElementRef) -> Vec<ElementRef> {
    let mut out = Vec::new();
    let mut stack: Vec<ElementRef> = item.children().filter_map(ElementRef::wrap).collect();
    stack.reverse();
    while let Some(element) = stack.pop() {
        if has(element, "itemprop") {
            out.push(element);
        }
        if has(element, "itemscope") {
            continue;
        }
        let children: Vec<ElementRef> = element.children().filter_map(ElementRef::wrap).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::html::{PageEvent, schema};

    fn events(html: &str) -> Vec<PageEvent> {
        let page = Html::parse_document(html);
        let graph = graph(
            &page,
            "https://ex.gc.ca/en/events",
            &mut Budget::unlimited(),
        )
        .unwrap();
        schema::events(&graph, &mut Budget::unlimited())
    }

    #[test]
    fn reads_nested_place_and_time_elements() {
        let html = r#"<div itemscope itemtype="https://schema.org/Event">
            <h2 itemprop="name">Networking <em>evening</em></h2>
            <time itemprop="startDate" datetime="2026-11-25T17:30:00-05:00">25 November, 5:30 pm</time>
            <time itemprop="endDate">25 November, 7:30 pm</time>
            <div itemprop="location" itemscope itemtype="https://schema.org/Place">
              <span itemprop="name">Atrium</span>
              <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
                <span itemprop="streetAddress">200 Kent St</span> <span itemprop="addressLocality">Ottawa</span></div></div>
            <a itemprop="url" href="/events/networking">Details</a>
            <link itemprop="eventStatus" href="https://schema.org/EventCancelled"></div>"#;
        let events = events(html);
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.name.as_deref(), Some("Networking evening"));
        assert_eq!(e.start.as_deref(), Some("2026-11-25T17:30:00-05:00"));
        assert_eq!(e.end, None, "a <time> without datetime gives no text");
        assert_eq!(e.location_name.as_deref(), Some("Atrium"));
        assert_eq!(e.location_address.as_deref(), Some("200 Kent St, Ottawa"));
        assert_eq!(e.url.as_deref(), Some("https://ex.gc.ca/events/networking"));
        assert_eq!(
            e.status.as_deref(),
            Some("https://schema.org/EventCancelled")
        );
    }

    #[test]
    fn nested_events_itemref_and_inner_items() {
        let html = r#"<div itemscope itemtype="https://schema.org/Organization" itemref="more">
            <span itemprop="name">Org</span>
            <div itemprop="event" itemscope itemtype="https://schema.org/Event">
              <span itemprop="name">Nested</span><meta itemprop="startDate" content="2026-02-01"></div>
            <div itemscope itemtype="https://schema.org/Event">
              <span itemprop="name">Coffee</span><meta itemprop="startDate" content="2026-02-03"></div>
          </div>
          <div id="more"><div itemprop="event" itemscope itemtype="https://schema.org/SocialEvent">
              <span itemprop="name">Referenced</span><meta itemprop="startDate" content="2026-02-02">
              <a itemprop="url">here</a></div></div>"#;
        let found = events(html);
        let names: Vec<_> = found.iter().map(|e| e.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["Nested", "Referenced", "Coffee"]);
        assert_eq!(found[1].url.as_deref(), Some("https://ex.gc.ca/en/events"));
    }
}
