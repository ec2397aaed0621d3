//! h-event microformats (microformats2): `p-name`, `dt-start`/`dt-end` (the `datetime`
//! attribute, a `value` part, or the text), `p-location` (text or a nested h-card/h-adr),
//! `u-url`, `p-summary`/`p-description`/`e-content`, `p-organizer`, `p-category`.

use scraper::{ElementRef, Html, Selector};

use super::{PageEvent, collapse};

pub fn events(page: &Html) -> Vec<PageEvent> {
    let roots = Selector::parse(".h-event").expect("static selector");
    page.select(&roots).map(read_event).collect()
}

/// The first element with class `class` inside the event, not inside a nested h-event.
fn find<'a>(root: ElementRef<'a>, class: &str) -> Option<ElementRef<'a>> {
    root.descendants()
        .skip(1)
        .filter_map(ElementRef::wrap)
        .filter(|e| {
            e.value()
                .has_class(class, scraper::CaseSensitivity::CaseSensitive)
        })
        .find(|e| {
            !e.ancestors()
                .filter_map(ElementRef::wrap)
                .take_while(|a| a.id() != root.id())
                .any(|a| {
                    a.value()
                        .has_class("h-event", scraper::CaseSensitivity::CaseSensitive)
                })
        })
}

fn text(element: ElementRef) -> Option<String> {
    let el = element.value();
    let value = match el.name() {
        "abbr" | "link" => el.attr("title"),
        "data" | "input" => el.attr("value"),
        "img" | "area" => el.attr("alt"),
        _ => None,
    };
    let text = value
        .map(str::to_string)
        .unwrap_or_else(|| element.text().collect());
    Some(collapse(&text)).filter(|t| !t.is_empty())
}

fn url(element: ElementRef) -> Option<String> {
    let el = element.value();
    el.attr("href")
        .or(el.attr("src"))
        .or(el.attr("value"))
        .map(str::to_string)
        .or_else(|| text(element))
}

fn date(element: ElementRef) -> Option<String> {
    // The value-class pattern: <span class="dt-start"><span class="value">2026-11-18</span> …
    let values: Vec<String> = element
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| {
            e.value()
                .has_class("value", scraper::CaseSensitivity::CaseSensitive)
        })
        .filter_map(|e| {
            e.value()
                .attr("datetime")
                .or(e.value().attr("title"))
                .map(str::to_string)
                .or_else(|| text(e))
        })
        .collect();
    if !values.is_empty() {
        return Some(values.join("T").replace("TT", "T"));
    }
    let el = element.value();
    el.attr("datetime")
        .or(el.attr("title").filter(|_| el.name() == "abbr"))
        .or(el.attr("value"))
        .or(el.attr("content"))
        .map(str::to_string)
        .or_else(|| text(element))
}

fn read_event(root: ElementRef) -> PageEvent {
    let mut event = PageEvent {
        name: find(root, "p-name").and_then(text),
        start: find(root, "dt-start").and_then(date),
        end: find(root, "dt-end").and_then(date),
        url: find(root, "u-url").and_then(url),
        description: find(root, "p-summary")
            .or_else(|| find(root, "p-description"))
            .or_else(|| find(root, "e-content"))
            .and_then(text),
        organiser: find(root, "p-organizer").and_then(text),
        id: find(root, "u-uid").and_then(url),
        categories: root
            .descendants()
            .filter_map(ElementRef::wrap)
            .filter(|e| {
                e.value()
                    .has_class("p-category", scraper::CaseSensitivity::CaseSensitive)
            })
            .filter_map(text)
            .collect(),
        ..PageEvent::default()
    };
    if let Some(location) = find(root, "p-location") {
        let nested = |class: &str| find(location, class).and_then(text);
        let is_card = location
            .value()
            .has_class("h-card", scraper::CaseSensitivity::CaseSensitive)
            || location
                .value()
                .has_class("h-adr", scraper::CaseSensitivity::CaseSensitive);
        if is_card {
            event.location_name = nested("p-name").or_else(|| nested("p-org"));
            let parts: Vec<String> = [
                "p-street-address",
                "p-locality",
                "p-region",
                "p-postal-code",
                "p-country-name",
            ]
            .iter()
            .filter_map(|c| nested(c))
            .collect();
            event.location_address = (!parts.is_empty()).then(|| parts.join(", "));
            if event.location_name.is_none() && event.location_address.is_none() {
                event.location_name = text(location);
            }
        } else {
            event.location_name = text(location);
        }
    }
    if event.name.is_none() {
        // An implied name: the text of the whole event is too much; take its first heading.
        let heading = Selector::parse("h1, h2, h3, h4").expect("static selector");
        event.name = root.select(&heading).next().and_then(text);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_h_event() {
        let html = r#"<article class="h-event"><h3 class="p-name">Plain language workshop</h3>
            <p>From <time class="dt-start" datetime="2026-12-02T13:00-05:00">2 Dec, 1 pm</time>
            to <time class="dt-end" datetime="2026-12-02T15:00-05:00">3 pm</time></p>
            <p class="p-location h-card"><span class="p-name">Library</span>, <span class="p-street-address">395 Wellington St</span></p>
            <a class="u-url" href="https://events.example.gc.ca/plain">More</a>
            <p class="p-summary">Write so people understand.</p></article>"#;
        let events = events(&Html::parse_document(html));
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.name.as_deref(), Some("Plain language workshop"));
        assert_eq!(e.start.as_deref(), Some("2026-12-02T13:00-05:00"));
        assert_eq!(e.end.as_deref(), Some("2026-12-02T15:00-05:00"));
        assert_eq!(e.location_name.as_deref(), Some("Library"));
        assert_eq!(e.location_address.as_deref(), Some("395 Wellington St"));
        assert_eq!(
            e.description.as_deref(),
            Some("Write so people understand.")
        );
    }
}
