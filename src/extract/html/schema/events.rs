//! Which schema.org items are events, and what each says (the reference rules 4–8 and
//! 10–15): every item typed Event or a subtype, wherever it sits; not a container (an
//! event with a non-empty `subEvent`); titled by its first string `name`; its first
//! `startDate`/`endDate` strings, `url` and `eventStatus` links; its place by rule 14.
//! Items without a title are not events; items without a start are kept (normalising
//! decides whether the listing's own page is worth reading).

use super::place::{location, online_url, place_name};
use super::{Graph, Item, Syntax, is_event_type};
use crate::budget::Budget;
use crate::extract::html::{DateStyle, PageEvent, collapse};

/// The events of a graph, in the graph's order.
pub fn events(graph: &Graph, budget: &mut Budget) -> Vec<PageEvent> {
    let mut out = Vec::new();
    for item in &graph.items {
        if budget.check().is_err() {
            break;
        }
        if !is_event_type(&item.types) || is_container(graph, item) {
            continue;
        }
        if let Some(event) = read(graph, item) {
            out.push(event);
        }
    }
    out
}

/// An event with at least one `subEvent` value is only a container (rule 6).
fn is_container(graph: &Graph, item: &Item) -> bool {
    graph.values(item, "subEvent").iter().any(|v| v.nonempty)
}

fn trimmed(text: Option<&str>) -> Option<String> {
    text.map(|t| t.trim_matches(char::is_whitespace).to_string())
        .filter(|t| !t.is_empty())
}

fn read(graph: &Graph, item: &Item) -> Option<PageEvent> {
    let title = graph.clean(graph.first_text(item, "name")?);
    if title.is_empty() {
        return None;
    }
    let place = location(graph, item);
    Some(PageEvent {
        id: trimmed(graph.first_text(item, "identifier")).or_else(|| match graph.syntax {
            Syntax::Rdfa => item.id.clone().filter(|id| !id.starts_with("_:")),
            _ => item.id.clone(),
        }),
        name: Some(title),
        description: graph
            .first_text(item, "description")
            .map(str::to_string)
            .filter(|d| !d.trim().is_empty()),
        start: trimmed(graph.first_text(item, "startDate")),
        end: trimmed(graph.first_text(item, "endDate")),
        date_style: DateStyle::Iso,
        location_name: place.name,
        location_address: place.address,
        online_url: online_url(graph, item),
        url: trimmed(graph.first_link(item, "url")),
        organiser: organiser(graph, item),
        language: trimmed(graph.first_text(item, "inLanguage")),
        status: trimmed(graph.first_link(item, "eventStatus")),
        attendance_mode: trimmed(graph.first_link(item, "eventAttendanceMode")),
        categories: keywords(graph, item),
        translations: translations(graph, item),
    })
}

/// The event's versions in other languages: each `workTranslation` and
/// `translationOfWork` (a link, or an item with its `url`, else its id, and its
/// `inLanguage`), and each `sameAs` link (the same event's page elsewhere).
fn translations(graph: &Graph, item: &Item) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    for name in ["workTranslation", "translationOfWork", "sameAs"] {
        for value in graph.values(item, name) {
            let found = match graph.item_of(value) {
                Some(other) => trimmed(graph.first_link(other, "url"))
                    .or_else(|| other.id.clone().filter(|id| !id.starts_with("_:")))
                    .map(|url| (trimmed(graph.first_text(other, "inLanguage")), url)),
                None => trimmed(value.link.as_deref()).map(|url| (None, url)),
            };
            if let Some(found) = found
                && !out.contains(&found)
            {
                out.push(found);
            }
        }
    }
    out
}

fn organiser(graph: &Graph, item: &Item) -> Option<String> {
    graph
        .values(item, "organizer")
        .into_iter()
        .find_map(|v| match (&v.text, graph.item_of(v)) {
            (Some(text), _) => Some(graph.clean(text)),
            (None, Some(organiser)) => place_name(graph, organiser),
            (None, None) => None,
        })
        .filter(|o| !o.is_empty())
}

fn keywords(graph: &Graph, item: &Item) -> Vec<String> {
    let words: Vec<&str> = graph
        .values(item, "keywords")
        .into_iter()
        .filter_map(|v| v.text.as_deref())
        .collect();
    let split: Vec<String> = if words.len() == 1 {
        words[0].split(',').map(collapse).collect()
    } else {
        words.into_iter().map(collapse).collect()
    };
    split.into_iter().filter(|w| !w.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{Item, Value};
    use super::*;

    fn item(types: &[&str], properties: Vec<(&str, Vec<Value>)>) -> Item {
        Item {
            types: types.iter().map(|t| t.to_string()).collect(),
            id: None,
            properties: properties
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    fn child(index: usize) -> Value {
        Value {
            item: Some(index),
            nonempty: true,
            ..Value::default()
        }
    }

    #[test]
    fn containers_are_not_listed_but_their_sub_events_are() {
        let graph = Graph {
            syntax: Syntax::Microdata,
            items: vec![
                item(
                    &["https://schema.org/EventSeries"],
                    vec![
                        ("name", vec![s("Series")]),
                        ("startDate", vec![s("2026-01-01")]),
                        ("subEvent", vec![child(1)]),
                    ],
                ),
                item(
                    &["https://schema.org/Event"],
                    vec![
                        ("name", vec![s(" Part\n one ")]),
                        ("startDate", vec![s("2026-01-02")]),
                    ],
                ),
                item(
                    &["Event"],
                    vec![
                        ("name", vec![s("Empty subEvent")]),
                        ("subEvent", vec![s(" ")]),
                    ],
                ),
            ],
        };
        let found = events(&graph, &mut Budget::unlimited());
        let names: Vec<_> = found.iter().map(|e| e.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["Part one", "Empty subEvent"]);
        assert_eq!(found[0].start.as_deref(), Some("2026-01-02"));
        assert_eq!(found[1].start, None);
    }

    #[test]
    fn json_ld_titles_are_unescaped_once_and_rdfa_values_are_a_set() {
        let graph = Graph {
            syntax: Syntax::JsonLd,
            items: vec![item(
                &["Event"],
                vec![("schema:name", vec![s("Q&amp;amp;A")])],
            )],
        };
        assert_eq!(
            events(&graph, &mut Budget::unlimited())[0].name.as_deref(),
            Some("Q&amp;A")
        );
        let graph = Graph {
            syntax: Syntax::Rdfa,
            items: vec![item(
                &["http://schema.org/Event"],
                vec![
                    (
                        "http://schema.org/startDate",
                        vec![s("2026-05-02"), s("2026-05-01")],
                    ),
                    ("http://schema.org/name", vec![s("B"), s("A")]),
                ],
            )],
        };
        let e = &events(&graph, &mut Budget::unlimited())[0];
        assert_eq!(
            (e.name.as_deref(), e.start.as_deref()),
            (Some("A"), Some("2026-05-01"))
        );
    }
}
