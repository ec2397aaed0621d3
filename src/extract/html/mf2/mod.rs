//! Microformats as mf2py 2.0.2 parses them: every `h-*` root, and every classic root
//! (`vevent`, `vcard`, `adr`…) without an `h-*` class, read by microformats2 backcompat
//! (its properties renamed by [`classes::CLASSIC`]'s rules; no implied name or url). An
//! item's properties are those of its descendants up to the next root; a nested root is a
//! property value when it has a property class, else a child. `<base href>` is honoured
//! for links.
//!
//! Three things are done differently from mf2py: `value-title` works (see [`value`]); an
//! element that is a root with several property classes is parsed once, not once per
//! class (the result is the same; mf2py's cost doubles with each such level); and
//! microformats nested more than 64 deep are not read (the walk between them is
//! iterative, each nesting level a nested parse).

mod classes;
mod implied;
mod text;
mod value;

use std::collections::HashMap;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use self::classes::Classic;
use super::links;
use crate::budget::{Budget, Exhausted};

/// Every microformat of a page.
#[derive(Debug, Default)]
pub struct Document {
    pub items: Vec<Item>,
    /// The top-level items, in document order.
    pub top: Vec<usize>,
}

#[derive(Debug, Default)]
pub struct Item {
    /// `h-event`, `h-card`… (sorted).
    pub types: Vec<String>,
    /// Properties by name, in the order names first appear, each with its values.
    pub properties: Vec<(String, Vec<PropValue>)>,
    pub children: Vec<usize>,
    /// Properties that were implied, not written.
    implied: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    Text(String),
    /// An image with alt text (`u-*`) or embedded markup (`e-*`): only its `value` counts.
    Dict {
        value: Option<String>,
    },
    /// A nested microformat and its own `value`.
    Item {
        index: usize,
        value: Option<String>,
    },
}

impl PropValue {
    /// mf2's "value" of a property value: the string, or an object's `value`.
    pub fn text(&self) -> Option<&str> {
        match self {
            PropValue::Text(t) => Some(t),
            PropValue::Dict { value } | PropValue::Item { value, .. } => value.as_deref(),
        }
    }
}

impl Item {
    pub fn first(&self, name: &str) -> Option<&PropValue> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, values)| values.first())
    }

    /// The value of the first `name` property, as text.
    pub fn first_text(&self, name: &str) -> Option<String> {
        self.first(name)
            .and_then(PropValue::text)
            .map(str::to_string)
    }
}

impl Document {
    /// Every item typed `kind`, at any depth — top level, a property's value, a child —
    /// in the order item, its property values, its children. An item reached twice is
    /// listed twice, but no walk runs longer than the document has items, times a small
    /// factor.
    pub fn items_of_type<'a>(&'a self, kind: &str) -> Vec<&'a Item> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.top.iter().rev().copied().collect();
        let mut steps = 0usize;
        let limit = self.items.len().saturating_mul(4).max(1024);
        while let Some(index) = stack.pop() {
            steps += 1;
            if steps > limit {
                break;
            }
            let item = &self.items[index];
            if item.types.iter().any(|t| t == kind) {
                out.push(item);
            }
            let mut next: Vec<usize> = item
                .properties
                .iter()
                .flat_map(|(_, values)| values.iter())
                .filter_map(|v| match v {
                    PropValue::Item { index, .. } => Some(*index),
                    _ => None,
                })
                .collect();
            next.extend(&item.children);
            stack.extend(next.into_iter().rev());
        }
        out
    }
}

/// Text with white space at either end removed; `None` when nothing is left.
pub fn trimmed(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim_matches(char::is_whitespace).to_string())
        .filter(|v| !v.is_empty())
}

/// The microformats of a page found at `page_url`.
pub fn parse(page: &Html, page_url: &str, budget: &mut Budget) -> Result<Document, Exhausted> {
    let base = Selector::parse("base[href]").expect("static selector");
    let base = match page
        .select(&base)
        .next()
        .and_then(|b| b.value().attr("href"))
    {
        Some(href) if url::Url::parse(href).is_ok_and(|u| u.has_host()) => href.to_string(),
        Some(href) => links::join(page_url, href),
        None => page_url.to_string(),
    };
    let mut parser = Parser {
        base,
        default_date: None,
        items: Vec::new(),
        layers: Vec::new(),
        depth: 0,
        budget,
    };
    let mut top = Vec::new();
    parser.element(page.root_element(), &mut top)?;
    Ok(Document {
        items: parser.items,
        top,
    })
}

/// Properties, children and the kinds of property seen (`p`, `u`, `d`, `e`, `h`).
#[derive(Default)]
struct Found {
    properties: Vec<(String, Vec<PropValue>)>,
    children: Vec<usize>,
    kinds: Vec<char>,
}

impl Found {
    fn add(&mut self, name: &str, values: Vec<PropValue>) {
        match self.properties.iter_mut().find(|(n, _)| n == name) {
            Some((_, existing)) => existing.extend(values),
            None => self.properties.push((name.to_string(), values)),
        }
    }

    fn merge(&mut self, other: Found) {
        for (name, values) in other.properties {
            self.add(&name, values);
        }
        self.children.extend(other.children);
        for kind in other.kinds {
            self.kind(kind);
        }
    }

    fn kind(&mut self, kind: char) {
        if !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
    }
}

struct Parser<'b> {
    base: String,
    /// The date a later time-only dt-* takes (mf2py's `_default_date`).
    default_date: Option<String>,
    items: Vec<Item>,
    /// Classes rewritten by the classic roots being read, innermost last.
    layers: Vec<HashMap<NodeId, Vec<String>>>,
    /// How many microformats enclose the one being read.
    depth: usize,
    budget: &'b mut Budget,
}

/// Microformats nested deeper than this are not read (each level is a nested parse).
const MAX_NESTING: usize = 64;

fn children(element: ElementRef) -> Vec<ElementRef> {
    element
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|c| c.value().name() != "template")
        .collect()
}

/// An element's classes as the innermost classic root rewrote them.
fn classes_in(layers: &[HashMap<NodeId, Vec<String>>], element: ElementRef) -> Vec<String> {
    layers
        .iter()
        .rev()
        .find_map(|layer| layer.get(&element.id()).cloned())
        .unwrap_or_else(|| element.value().classes().map(str::to_string).collect())
}

impl Parser<'_> {
    fn classes(&self, element: ElementRef) -> Vec<String> {
        classes_in(&self.layers, element)
    }

    /// mf2py's `parse_el`: roots found anywhere, outside other roots (document order).
    fn element(&mut self, element: ElementRef, out: &mut Vec<usize>) -> Result<(), Exhausted> {
        let mut stack = vec![element];
        while let Some(element) = stack.pop() {
            self.budget.check()?;
            let classes = self.classes(element);
            let roots = classes::roots(&classes);
            if !roots.is_empty() {
                out.push(self.microformat(roots, element, false)?);
                continue;
            }
            if !classes::classic_roots(&classes).is_empty() {
                out.push(self.microformat(Vec::new(), element, true)?);
                continue;
            }
            stack.extend(children(element).into_iter().rev());
        }
        Ok(())
    }

    /// mf2py's `apply_rules`: the classes of a classic root and of its tree (down to the
    /// next root) rewritten.
    fn backcompat_layer(&self, root: ElementRef) -> HashMap<NodeId, Vec<String>> {
        let mut layer = HashMap::new();
        let mut classes = self.classes(root);
        let old: Vec<&Classic> = classes::classic_roots(&classes);
        for classic in &old {
            classes.extend(classic.types.iter().map(|t| t.to_string()));
        }
        layer.insert(root.id(), classes);
        let mut stack = children(root);
        stack.reverse();
        while let Some(element) = stack.pop() {
            let original = self.classes(element);
            let rels: Vec<&str> = element
                .value()
                .attr("rel")
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            layer.insert(element.id(), classes::rewrite(&original, &rels, &old));
            let nested = !classes::roots(&original).is_empty()
                || !classes::classic_roots(&original).is_empty();
            if !nested {
                let mut kids = children(element);
                kids.reverse();
                stack.extend(kids);
            }
        }
        layer
    }

    /// mf2py's `handle_microformat` (without the value, which its caller adds).
    fn microformat(
        &mut self,
        roots: Vec<String>,
        element: ElementRef,
        backcompat: bool,
    ) -> Result<usize, Exhausted> {
        self.default_date = None;
        self.depth += 1;
        let roots = if backcompat {
            let layer = self.backcompat_layer(element);
            self.layers.push(layer);
            classes::roots(&self.classes(element))
        } else {
            roots
        };
        let result = self.region(children(element));
        if backcompat {
            self.layers.pop();
        }
        self.depth -= 1;
        let mut found = result?;
        let mut implied = Vec::new();
        if !backcompat {
            let has = |name: &str, found: &Found| found.properties.iter().any(|(n, _)| n == name);
            let layers = &self.layers;
            let classes = |e: ElementRef| classes_in(layers, e);
            if !has("name", &found) && !found.kinds.iter().any(|k| matches!(k, 'p' | 'e' | 'h')) {
                let name = implied::name(element, &self.base, &classes, &mut *self.budget)?;
                found.add("name", vec![PropValue::Text(name)]);
                implied.push("name");
            }
            if !has("url", &found)
                && !found.kinds.iter().any(|k| matches!(k, 'u' | 'h'))
                && let Some(url) = implied::url(element, &self.base, &classes)
            {
                found.add("url", vec![PropValue::Text(url)]);
                implied.push("url");
            }
        }
        let mut types = roots;
        types.sort();
        types.dedup();
        self.items.push(Item {
            types,
            properties: found.properties,
            children: found.children,
            implied,
        });
        Ok(self.items.len() - 1)
    }

    /// The `value` of a nested microformat: its first written `value_property`, else the
    /// property's own value.
    fn nested_value(
        &self,
        index: usize,
        property: Option<&str>,
        own: Option<String>,
    ) -> Option<String> {
        let item = &self.items[index];
        match property {
            Some(p) if !item.implied.contains(&p) => match item.first(p) {
                Some(value) => value.text().map(str::to_string),
                None if item.properties.iter().any(|(n, _)| n == p) => None,
                None => own,
            },
            _ => own,
        }
    }

    /// mf2py's `parse_props` over a microformat's tree: each element's own properties, in
    /// document order, descending into every element that is not a root itself.
    fn region(&mut self, top: Vec<ElementRef>) -> Result<Found, Exhausted> {
        let mut found = Found::default();
        let mut stack: Vec<ElementRef> = top.into_iter().rev().collect();
        while let Some(element) = stack.pop() {
            let (own, descend) = self.properties(element)?;
            found.merge(own);
            if descend {
                stack.extend(children(element).into_iter().rev());
            }
        }
        Ok(found)
    }

    /// What one element itself gives the enclosing microformat, and whether its
    /// descendants are still the enclosing microformat's (it is no root).
    fn properties(&mut self, element: ElementRef) -> Result<(Found, bool), Exhausted> {
        self.budget.check()?;
        let classes = self.classes(element);
        let filtered = classes::filter(&classes);
        let mut roots = filtered.roots.clone();
        let mut backcompat = false;
        if roots.is_empty() && !classes::classic_roots(&classes).is_empty() {
            backcompat = true;
            roots = vec!["classic".to_string()];
        }
        let mut found = Found::default();
        if !roots.is_empty() && self.depth >= MAX_NESTING {
            // Nested deeper than any real page: not read.
            return Ok((found, false));
        }
        if !roots.is_empty() {
            found.kind('h');
        }
        // A root with several property classes is parsed once; each later "parse" leaves
        // the default date as the first did.
        let mut parsed: Option<(usize, Option<String>)> = None;
        let mut nested = |this: &mut Self| -> Result<usize, Exhausted> {
            match &parsed {
                Some((index, exit)) => {
                    this.default_date = exit.clone();
                    Ok(*index)
                }
                None => {
                    let index = this.microformat(roots.clone(), element, backcompat)?;
                    parsed = Some((index, this.default_date.clone()));
                    Ok(index)
                }
            }
        };
        let is_root = !roots.is_empty();
        let mut is_property = false;
        let mut p_value: Option<String> = None;
        for name in &filtered.p {
            is_property = true;
            found.kind('p');
            if p_value.is_none() {
                let layers = &self.layers;
                let classes = |e: ElementRef| classes_in(layers, e);
                p_value = Some(value::text(
                    element,
                    &self.base,
                    &classes,
                    &mut *self.budget,
                )?);
            }
            let value = if is_root {
                let index = nested(self)?;
                PropValue::Item {
                    index,
                    value: self.nested_value(index, Some("name"), p_value.clone()),
                }
            } else {
                PropValue::Text(p_value.clone().unwrap_or_default())
            };
            found.add(name, vec![value]);
        }
        let mut u_value: Option<value::Link> = None;
        for name in &filtered.u {
            is_property = true;
            found.kind('u');
            if u_value.is_none() {
                let layers = &self.layers;
                let classes = |e: ElementRef| classes_in(layers, e);
                u_value = Some(value::url(
                    element,
                    &self.base,
                    &classes,
                    &mut *self.budget,
                )?);
            }
            let own = match u_value.as_ref() {
                Some(value::Link::Url(u)) => PropValue::Text(u.clone()),
                Some(value::Link::Image { src }) => PropValue::Dict {
                    value: Some(src.clone()),
                },
                None => PropValue::Text(String::new()),
            };
            let value = if is_root {
                let index = nested(self)?;
                PropValue::Item {
                    index,
                    value: self.nested_value(index, Some("url"), own.text().map(str::to_string)),
                }
            } else {
                own
            };
            found.add(name, vec![value]);
        }
        let mut dt_value: Option<Option<String>> = None;
        for name in &filtered.dt {
            is_property = true;
            found.kind('d');
            if dt_value.is_none() {
                let layers = &self.layers;
                let classes = |e: ElementRef| classes_in(layers, e);
                let (value, date) = value::datetime(
                    element,
                    self.default_date.as_deref(),
                    &classes,
                    &mut *self.budget,
                )?;
                if date.is_some() {
                    self.default_date = date;
                }
                dt_value = Some(value);
            }
            let own = dt_value.clone().flatten();
            if is_root {
                let index = nested(self)?;
                found.add(name, vec![PropValue::Item { index, value: own }]);
            } else {
                found.add(name, own.map(PropValue::Text).into_iter().collect());
            }
        }
        let mut e_value: Option<String> = None;
        for name in &filtered.e {
            is_property = true;
            found.kind('e');
            if e_value.is_none() {
                let images = text::Images {
                    replace: true,
                    to_src: true,
                    base: &self.base,
                };
                e_value = Some(text::text_content(element, images, &mut *self.budget)?);
            }
            let own = e_value.clone();
            let value = if is_root {
                let index = nested(self)?;
                PropValue::Item { index, value: own }
            } else {
                PropValue::Dict { value: own }
            };
            found.add(name, vec![value]);
        }
        if !is_property && is_root {
            let index = nested(self)?;
            found.children.push(index);
        }
        Ok((found, !is_root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_html(html: &str) -> Document {
        let page = Html::parse_document(html);
        parse(&page, "https://ex.gc.ca/events/", &mut Budget::unlimited()).unwrap()
    }

    fn text(item: &Item, name: &str) -> Option<String> {
        item.first(name).and_then(|v| v.text()).map(str::to_string)
    }

    #[test]
    fn h_event_with_implied_name_and_url() {
        let doc = parse_html(
            r#"<p class="h-event"><a href="/e/1">Brown bag lunch <time class="dt-start" datetime="2026-04-02 12:00">April 2</time></a></p>"#,
        );
        let item = &doc.items[doc.top[0]];
        assert_eq!(item.types, ["h-event"]);
        assert_eq!(
            text(item, "name").as_deref(),
            Some("Brown bag lunch April 2")
        );
        assert_eq!(text(item, "url").as_deref(), Some("https://ex.gc.ca/e/1"));
        assert_eq!(text(item, "start").as_deref(), Some("2026-04-02 12:00"));
    }

    #[test]
    fn classic_hcalendar_and_nested_cards() {
        let doc = parse_html(
            r#"<div class="vevent"><span class="summary">Drop-in</span>
               <abbr class="dtstart" title="2026-04-08T10:00:00-04:00">April 8</abbr>–<span class="dtend">11:30</span>
               <span class="location vcard"><span class="fn org">Map room</span></span>
               <a href="/x">no url class</a></div>
               <div class="vevent h-event"><span class="summary">Mixed</span></div>"#,
        );
        let event = &doc.items[doc.top[0]];
        assert_eq!(event.types, ["h-event"]);
        assert_eq!(text(event, "name").as_deref(), Some("Drop-in"));
        assert_eq!(
            text(event, "start").as_deref(),
            Some("2026-04-08T10:00:00-0400")
        );
        assert_eq!(text(event, "end").as_deref(), Some("2026-04-08 11:30"));
        assert_eq!(event.first("url"), None, "backcompat implies no url");
        let Some(PropValue::Item { index, value }) = event.first("location") else {
            panic!("{event:?}")
        };
        assert_eq!(value.as_deref(), Some("Map room"));
        assert_eq!(doc.items[*index].types, ["h-card"]);
        let mixed = &doc.items[doc.top[1]];
        assert_eq!(
            text(mixed, "name").as_deref(),
            Some("Mixed"),
            "implied from the whole text"
        );
    }
}
