//! An event's place (the reference rule 14). Of its `location` values the first that is a
//! place other than a VirtualLocation is chosen, else the first value; its text is a
//! string's own text, a place's first non-blank `name`, else its first `address` (a
//! string, or `streetAddress, addressLocality`), else its own street and locality (a
//! PostalAddress used as the location). RDFa, a set, takes the smallest such text.
//! VirtualLocations give the online link instead.

use super::{Graph, Item, Syntax, Value, local_name};

/// What Bulletin keeps of a place: the name (or the text, when that is all there is) and
/// an address.
#[derive(Debug, Default, PartialEq)]
pub struct Place {
    pub name: Option<String>,
    pub address: Option<String>,
}

fn is_virtual(graph: &Graph, value: &Value) -> bool {
    graph.item_of(value).is_some_and(|place| {
        place
            .types
            .iter()
            .any(|t| local_name(t) == "VirtualLocation")
    })
}

/// The place's first string `name`, if it is not blank.
pub fn place_name(graph: &Graph, place: &Item) -> Option<String> {
    graph
        .first_text(place, "name")
        .map(|n| graph.clean(n))
        .filter(|n| !n.is_empty())
}

fn street_locality(graph: &Graph, item: &Item) -> Option<String> {
    let parts: Vec<String> = ["streetAddress", "addressLocality"]
        .iter()
        .filter_map(|p| graph.first_text(item, p))
        .map(|t| graph.clean(t))
        .filter(|t| !t.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The place's address as rule 14 reads it: its first `address` value, else its own
/// street and locality.
fn address_text(graph: &Graph, place: &Item) -> Option<String> {
    let from_address = graph.values(place, "address").first().and_then(|address| {
        match (&address.text, graph.item_of(address)) {
            (Some(text), _) => Some(graph.clean(text)).filter(|t| !t.is_empty()),
            (None, Some(item)) => street_locality(graph, item),
            (None, None) => None,
        }
    });
    from_address.or_else(|| street_locality(graph, place))
}

/// The whole postal address, for a named place (Bulletin shows it beside the name).
fn full_address(graph: &Graph, place: &Item) -> Option<String> {
    let address = graph.values(place, "address").into_iter().next()?;
    if let Some(text) = &address.text {
        return Some(graph.clean(text)).filter(|t| !t.is_empty());
    }
    let item = graph.item_of(address)?;
    let parts: Vec<String> = [
        "streetAddress",
        "addressLocality",
        "addressRegion",
        "postalCode",
        "addressCountry",
    ]
    .iter()
    .filter_map(|p| graph.first_text(item, p))
    .map(|t| graph.clean(t))
    .filter(|t| !t.is_empty())
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// One location value as a place.
fn place_of(graph: &Graph, value: &Value) -> Place {
    if let Some(text) = &value.text {
        return Place {
            name: Some(graph.clean(text)).filter(|t| !t.is_empty()),
            address: None,
        };
    }
    let Some(place) = graph.item_of(value) else {
        return Place::default();
    };
    match place_name(graph, place) {
        Some(name) => Place {
            name: Some(name),
            address: full_address(graph, place),
        },
        None => Place {
            name: None,
            address: address_text(graph, place),
        },
    }
}

fn text_of(place: &Place) -> Option<&str> {
    place.name.as_deref().or(place.address.as_deref())
}

/// The event's place.
pub fn location(graph: &Graph, event: &Item) -> Place {
    let values = graph.values(event, "location");
    if values.is_empty() {
        return Place::default();
    }
    if graph.syntax == Syntax::Rdfa {
        let real = values
            .iter()
            .filter(|v| graph.item_of(v).is_some() && !is_virtual(graph, v))
            .map(|v| place_of(graph, v))
            .filter(|p| text_of(p).is_some())
            .min_by(|a, b| text_of(a).cmp(&text_of(b)));
        return real.unwrap_or_else(|| {
            values
                .iter()
                .map(|v| place_of(graph, v))
                .filter(|p| text_of(p).is_some())
                .min_by(|a, b| text_of(a).cmp(&text_of(b)))
                .unwrap_or_default()
        });
    }
    let chosen = values
        .iter()
        .find(|v| graph.item_of(v).is_some() && !is_virtual(graph, v))
        .unwrap_or(&values[0]);
    place_of(graph, chosen)
}

/// The link of the event's first VirtualLocation.
pub fn online_url(graph: &Graph, event: &Item) -> Option<String> {
    graph
        .values(event, "location")
        .into_iter()
        .filter(|v| is_virtual(graph, v))
        .find_map(|v| graph.first_link(graph.item_of(v)?, "url"))
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
}

#[cfg(test)]
mod tests {
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

    fn child(index: usize) -> Value {
        Value {
            item: Some(index),
            nonempty: true,
            ..Value::default()
        }
    }

    #[test]
    fn rule_14_shapes() {
        let s = Value::string;
        let graph = Graph {
            syntax: Syntax::JsonLd,
            items: vec![
                item(&["Event"], vec![("location", vec![child(1), child(2)])]),
                item(&["VirtualLocation"], vec![("url", vec![s("https://meet")])]),
                item(
                    &["Place"],
                    vec![("name", vec![s(" ")]), ("address", vec![child(3)])],
                ),
                item(
                    &["PostalAddress"],
                    vec![
                        ("streetAddress", vec![s("90 Elgin")]),
                        ("addressRegion", vec![s("ON")]),
                        ("addressLocality", vec![s("Ottawa")]),
                    ],
                ),
                item(&["Event"], vec![("location", vec![child(3)])]),
                item(&["Event"], vec![("location", vec![child(1)])]),
            ],
        };
        let place = location(&graph, &graph.items[0]);
        assert_eq!(place.name, None);
        assert_eq!(place.address.as_deref(), Some("90 Elgin, Ottawa"));
        assert_eq!(
            online_url(&graph, &graph.items[0]).as_deref(),
            Some("https://meet")
        );
        assert_eq!(
            location(&graph, &graph.items[4]).address.as_deref(),
            Some("90 Elgin, Ottawa"),
            "a PostalAddress as the location"
        );
        assert_eq!(location(&graph, &graph.items[5]), Place::default());
    }
}
