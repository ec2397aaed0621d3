//! h-event items to events (the reference rule 9 and the mf2 parts of rules 12–16): every
//! item typed `h-event` (classic `vevent` included), at any depth — top level, a property's
//! value, a child — in the order item, its property values, its children. Title is
//! `name[0]`, dates `start[0]`/`end[0]` as mf2 normalised them, the place `location[0]`
//! (a nested card's name, else its value, else the text), the link `url[0]`. Microformats
//! carry no status.

use super::mf2::{Document, Item, PropValue, trimmed};
use super::{DateStyle, PageEvent, collapse};

/// The page's h-events.
pub fn events(document: &Document) -> Vec<PageEvent> {
    document
        .items_of_type("h-event")
        .into_iter()
        .filter_map(|item| read(document, item))
        .collect()
}

fn location(document: &Document, item: &Item) -> Option<String> {
    let value = item.first("location")?;
    let text = match value {
        PropValue::Item { index, value } => {
            let card = &document.items[*index];
            match card.first("name") {
                Some(PropValue::Text(name)) if !collapse(name).is_empty() => Some(name.clone()),
                _ => value.clone(),
            }
        }
        other => other.text().map(str::to_string),
    }?;
    Some(collapse(&text)).filter(|t| !t.is_empty())
}

fn read(document: &Document, item: &Item) -> Option<PageEvent> {
    let title = collapse(&item.first_text("name")?);
    if title.is_empty() {
        return None;
    }
    let all = |name: &str| -> Vec<String> {
        item.properties
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, values)| values.iter())
            .filter_map(|v| v.text().map(collapse))
            .filter(|v| !v.is_empty())
            .collect()
    };
    Some(PageEvent {
        id: trimmed(item.first_text("uid")),
        name: Some(title),
        description: item
            .first_text("summary")
            .or_else(|| item.first_text("description"))
            .or_else(|| item.first_text("content"))
            .filter(|d| !d.trim().is_empty()),
        start: trimmed(item.first_text("start")),
        end: trimmed(item.first_text("end")),
        date_style: DateStyle::Iso,
        location_name: location(document, item),
        url: trimmed(item.first_text("url")),
        organiser: item
            .first_text("organizer")
            .map(|o| collapse(&o))
            .filter(|o| !o.is_empty()),
        categories: all("category"),
        ..PageEvent::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Budget;
    use crate::extract::html::mf2;
    use scraper::Html;

    fn events_of(html: &str) -> Vec<PageEvent> {
        let page = Html::parse_document(html);
        events(&mf2::parse(&page, "https://ex.gc.ca/", &mut Budget::unlimited()).unwrap())
    }

    #[test]
    fn reads_an_h_event() {
        let found = events_of(
            r#"<article class="h-event"><h3 class="p-name">Plain language workshop</h3>
            <p>From <time class="dt-start" datetime="2026-12-02T13:00-05:00">2 Dec, 1 pm</time></p>
            <p class="p-location h-card"><span class="p-name">Library</span>, <span class="p-street-address">395 Wellington St</span></p>
            <p>to <time class="dt-end">15:00</time></p>
            <a class="u-url" href="/plain">More</a>
            <p class="p-summary">Write so people understand.</p></article>"#,
        );
        assert_eq!(found.len(), 1);
        let e = &found[0];
        assert_eq!(e.name.as_deref(), Some("Plain language workshop"));
        assert_eq!(e.start.as_deref(), Some("2026-12-02T13:00-0500"));
        assert_eq!(
            e.end.as_deref(),
            Some("15:00"),
            "a nested card resets the date a time-only end would take"
        );
        assert_eq!(e.location_name.as_deref(), Some("Library"));
        assert_eq!(e.url.as_deref(), Some("https://ex.gc.ca/plain"));
        assert_eq!(
            e.description.as_deref(),
            Some("Write so people understand.")
        );
    }

    #[test]
    fn nested_h_events_anywhere() {
        let found = events_of(
            r#"<div class="h-card"><span class="p-name">Club</span>
              <div class="p-x-next-event h-event"><span class="p-name">Next</span><data class="dt-start" value="2026-05-21T19:00:00-05:00"></data></div></div>
            <article class="h-entry"><div class="e-content"><div class="h-event"><span class="p-name">Child</span>
              <time class="dt-start" datetime="2026-05-14">May 14</time></div></div></article>"#,
        );
        let names: Vec<_> = found.iter().map(|e| e.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["Next", "Child"]);
    }
}
