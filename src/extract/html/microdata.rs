//! schema.org events in microdata (`itemscope itemtype=".../Event"`), with nested Place,
//! PostalAddress and VirtualLocation items.

use scraper::{ElementRef, Html, Selector};

use super::{PageEvent, collapse};

pub fn events(page: &Html) -> Vec<PageEvent> {
    let items = Selector::parse("[itemscope][itemtype]").expect("static selector");
    page.select(&items)
        .filter(|item| {
            item.value().attr("itemtype").is_some_and(|t| {
                t.split_whitespace().any(|t| {
                    t.contains("schema.org/")
                        && (t.ends_with("Event") || t.ends_with("EventSeries"))
                })
            })
        })
        // An event nested as a property of another event is read as part of it.
        .filter(|item| {
            item.value()
                .attr("itemprop")
                .is_none_or(|p| p != "subEvent")
        })
        .map(|item| read_event(item))
        .collect()
}

/// The nearest item an element's properties belong to.
fn owner(element: ElementRef) -> Option<ego_tree::NodeId> {
    element
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().attr("itemscope").is_some())
        .map(|a| a.id())
}

/// The properties of `item`: (name, element) pairs, nested items' own properties excluded.
fn properties(item: ElementRef) -> Vec<(String, ElementRef)> {
    item.descendants()
        .skip(1)
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().attr("itemprop").is_some() && owner(*e) == Some(item.id()))
        .flat_map(|e| {
            e.value()
                .attr("itemprop")
                .unwrap_or_default()
                .split_whitespace()
                .map(|name| (name.to_string(), e))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A property's value as the microdata spec reads it.
fn value(element: ElementRef) -> Option<String> {
    let el = element.value();
    let attr = match el.name() {
        "meta" => el.attr("content"),
        "time" => el.attr("datetime"),
        "a" | "link" | "area" => el.attr("href"),
        "img" | "audio" | "video" | "source" | "iframe" | "embed" => el.attr("src"),
        "data" | "meter" => el.attr("value"),
        _ => None,
    };
    let text = attr
        .map(str::to_string)
        .or_else(|| el.attr("content").map(str::to_string))
        .unwrap_or_else(|| element.text().collect());
    Some(collapse(&text)).filter(|t| !t.is_empty())
}

fn get<'a>(props: &'a [(String, ElementRef<'a>)], name: &str) -> Option<ElementRef<'a>> {
    props.iter().find(|(n, _)| n == name).map(|(_, e)| *e)
}

fn read_event(item: ElementRef) -> PageEvent {
    let props = properties(item);
    let text = |name: &str| get(&props, name).and_then(value);
    let mut event = PageEvent {
        id: item
            .value()
            .attr("itemid")
            .map(str::to_string)
            .or_else(|| text("identifier")),
        name: text("name"),
        description: text("description"),
        start: text("startDate"),
        end: text("endDate"),
        url: text("url"),
        language: text("inLanguage"),
        status: text("eventStatus"),
        attendance_mode: text("eventAttendanceMode"),
        ..PageEvent::default()
    };
    if let Some(organiser) = get(&props, "organizer") {
        event.organiser = if organiser.value().attr("itemscope").is_some() {
            properties(organiser)
                .iter()
                .find(|(n, _)| n == "name")
                .and_then(|(_, e)| value(*e))
        } else {
            value(organiser)
        };
    }
    for (_, location) in props.iter().filter(|(n, _)| n == "location") {
        if location.value().attr("itemscope").is_none() {
            event
                .location_name
                .get_or_insert_with(|| value(*location).unwrap_or_default());
            continue;
        }
        let place = properties(*location);
        let virtual_place = location
            .value()
            .attr("itemtype")
            .is_some_and(|t| t.ends_with("VirtualLocation"));
        if virtual_place {
            event.online_url = event
                .online_url
                .or_else(|| get(&place, "url").and_then(value));
            continue;
        }
        event.location_name = event
            .location_name
            .or_else(|| get(&place, "name").and_then(value));
        if let Some(address) = get(&place, "address") {
            let text = if address.value().attr("itemscope").is_some() {
                let parts = properties(address);
                let joined: Vec<String> = [
                    "streetAddress",
                    "addressLocality",
                    "addressRegion",
                    "postalCode",
                    "addressCountry",
                ]
                .iter()
                .filter_map(|k| get(&parts, k).and_then(value))
                .collect();
                (!joined.is_empty()).then(|| joined.join(", "))
            } else {
                value(address)
            };
            event.location_address = event.location_address.or(text);
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_place_and_time_elements() {
        let html = r#"<div itemscope itemtype="https://schema.org/Event">
            <h2 itemprop="name">Networking evening</h2>
            <time itemprop="startDate" datetime="2026-11-25T17:30:00-05:00">25 November, 5:30 pm</time>
            <meta itemprop="endDate" content="2026-11-25T19:30:00-05:00">
            <div itemprop="location" itemscope itemtype="https://schema.org/Place">
              <span itemprop="name">Atrium</span>
              <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
                <span itemprop="streetAddress">200 Kent St</span> <span itemprop="addressLocality">Ottawa</span></div></div>
            <a itemprop="url" href="/events/networking">Details</a></div>"#;
        let events = events(&Html::parse_document(html));
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.name.as_deref(), Some("Networking evening"));
        assert_eq!(e.start.as_deref(), Some("2026-11-25T17:30:00-05:00"));
        assert_eq!(e.end.as_deref(), Some("2026-11-25T19:30:00-05:00"));
        assert_eq!(e.location_name.as_deref(), Some("Atrium"));
        assert_eq!(e.location_address.as_deref(), Some("200 Kent St, Ottawa"));
        assert_eq!(e.url.as_deref(), Some("/events/networking"));
    }
}
