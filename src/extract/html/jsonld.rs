//! schema.org events in JSON-LD: single objects, arrays, `@graph`, any Event subtype
//! (EducationEvent, BusinessEvent, …), EventSeries with `subEvent`s, Place/PostalAddress
//! and VirtualLocation locations.

use scraper::{Html, Selector};
use serde_json::Value;

use super::PageEvent;

pub fn events(page: &Html) -> (Vec<PageEvent>, Vec<String>) {
    let scripts =
        Selector::parse(r#"script[type="application/ld+json"]"#).expect("static selector");
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    for (index, script) in page.select(&scripts).enumerate() {
        let text: String = script.text().collect();
        match serde_json::from_str::<Value>(text.trim()) {
            Ok(value) => collect(&value, None, &mut events),
            Err(error) => warnings.push(format!(
                "JSON-LD block {} is not valid JSON: {error}",
                index + 1
            )),
        }
    }
    (events, warnings)
}

fn types(value: &Value) -> Vec<String> {
    match value.get("@type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn is_event(value: &Value) -> bool {
    types(value).iter().any(|t| {
        let t = t.rsplit(['/', ':']).next().unwrap_or(t);
        t.ends_with("Event")
            || t == "EventSeries"
            || t == "Festival"
            || t == "Hackathon"
            || t == "CourseInstance"
    })
}

/// Walks any JSON-LD shape; `parent` is an EventSeries whose sub-events inherit its place.
fn collect(value: &Value, parent: Option<&PageEvent>, out: &mut Vec<PageEvent>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect(item, parent, out)),
        Value::Object(map) => {
            if let Some(graph) = map.get("@graph") {
                collect(graph, parent, out);
            }
            if is_event(value) {
                let event = read_event(value, parent);
                let subs = value.get("subEvent").or_else(|| value.get("subEvents"));
                if let Some(subs) = subs {
                    collect(subs, Some(&event), out);
                    // A series with its own dates is also an event; one without is only a container.
                    if event.start.is_some()
                        && !types(value).iter().any(|t| t.ends_with("EventSeries"))
                    {
                        out.push(event);
                    }
                } else {
                    out.push(event);
                }
            }
        }
        _ => {}
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(super::collapse(s)).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(|i| text(Some(i))),
        Value::Object(map) => text(map.get("@value").or(map.get("name")).or(map.get("@id"))),
        _ => None,
    }
}

fn url_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Object(map) => text(map.get("url").or(map.get("@id"))),
        other => text(Some(other)),
    }
}

fn read_event(value: &Value, parent: Option<&PageEvent>) -> PageEvent {
    let mut event = PageEvent {
        id: text(value.get("identifier")).or_else(|| text(value.get("@id"))),
        name: text(value.get("name")),
        description: text(value.get("description")),
        start: text(value.get("startDate")),
        end: text(value.get("endDate")),
        url: url_of(value.get("url")),
        organiser: value.get("organizer").and_then(|o| text(Some(o))),
        language: text(value.get("inLanguage")),
        status: text(value.get("eventStatus")),
        attendance_mode: text(value.get("eventAttendanceMode")),
        categories: match value.get("keywords") {
            Some(Value::String(words)) => words
                .split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect(),
            Some(Value::Array(words)) => words
                .iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        },
        ..PageEvent::default()
    };
    let locations: Vec<&Value> = match value.get("location") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    for location in locations {
        read_location(location, &mut event);
    }
    if let Some(parent) = parent {
        event.location_name = event.location_name.or_else(|| parent.location_name.clone());
        event.location_address = event
            .location_address
            .or_else(|| parent.location_address.clone());
        event.online_url = event.online_url.or_else(|| parent.online_url.clone());
        event.organiser = event.organiser.or_else(|| parent.organiser.clone());
        event.description = event.description.or_else(|| parent.description.clone());
        event.url = event.url.or_else(|| parent.url.clone());
    }
    event
}

fn read_location(location: &Value, event: &mut PageEvent) {
    match location {
        Value::String(place) => {
            event
                .location_name
                .get_or_insert_with(|| super::collapse(place));
        }
        Value::Object(_) => {
            let kinds = types(location);
            if kinds.iter().any(|t| t.ends_with("VirtualLocation")) {
                if event.online_url.is_none() {
                    event.online_url = url_of(Some(location));
                }
                return;
            }
            if event.location_name.is_none() {
                event.location_name = text(location.get("name"));
            }
            if event.location_address.is_none() {
                event.location_address = address(location.get("address"));
            }
        }
        _ => {}
    }
}

fn address(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(super::collapse(s)),
        Value::Object(_) => {
            let value = value?;
            let parts: Vec<String> = [
                "streetAddress",
                "addressLocality",
                "addressRegion",
                "postalCode",
                "addressCountry",
            ]
            .iter()
            .filter_map(|key| text(value.get(*key)))
            .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Vec<PageEvent> {
        let html = format!(
            "<html><head><script type=\"application/ld+json\">{json}</script></head><body></body></html>"
        );
        events(&Html::parse_document(&html)).0
    }

    #[test]
    fn graph_with_subtypes_places_and_virtual_locations() {
        let events = parse(
            r#"{"@context":"https://schema.org","@graph":[
            {"@type":"WebPage","name":"Events"},
            {"@type":"EducationEvent","name":"Lunch &amp; learn","startDate":"2026-11-18T12:00:00-05:00",
             "location":{"@type":"Place","name":"Room 101","address":{"@type":"PostalAddress","streetAddress":"90 Elgin St","addressLocality":"Ottawa"}}},
            {"@type":["Event"],"name":"Webinar","startDate":"2026-11-19","eventStatus":"https://schema.org/EventCancelled",
             "location":{"@type":"VirtualLocation","url":"https://teams.example/meet"}}]}"#,
        );
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].location_name.as_deref(), Some("Room 101"));
        assert_eq!(
            events[0].location_address.as_deref(),
            Some("90 Elgin St, Ottawa")
        );
        assert_eq!(
            events[1].online_url.as_deref(),
            Some("https://teams.example/meet")
        );
        assert_eq!(
            events[1].status.as_deref(),
            Some("https://schema.org/EventCancelled")
        );
    }

    #[test]
    fn a_series_gives_its_sub_events() {
        let events = parse(
            r#"[{"@type":"EventSeries","name":"CoP","location":"Building 5",
            "subEvent":[{"@type":"Event","name":"CoP 1","startDate":"2026-09-01T12:00"},{"@type":"Event","name":"CoP 2","startDate":"2026-10-01T12:00"}]}]"#,
        );
        let names: Vec<_> = events.iter().map(|e| e.name.clone().unwrap()).collect();
        assert_eq!(names, ["CoP 1", "CoP 2"]);
        assert_eq!(events[1].location_name.as_deref(), Some("Building 5"));
    }

    #[test]
    fn invalid_json_is_a_warning() {
        let html = "<script type=\"application/ld+json\">{\"@type\": \"Event\",}</script>";
        let (events, warnings) = events(&Html::parse_document(html));
        assert!(events.is_empty());
        assert_eq!(warnings.len(), 1);
    }
}
