//! Pages without markup, read through the CSS selectors the operator gave for the source.
//! A selector may end in `@attr` to read that attribute instead of the element's text.
//! Their dates are page text, read in English or French when normalising.

use scraper::{ElementRef, Html, Selector};

use super::{DateStyle, PageEvent, collapse};
use crate::model::Selectors;

/// A selector with the attribute to read, if any (also for posts: `posts::selectors`).
pub(super) struct Field {
    selector: Selector,
    attribute: Option<String>,
}

fn field(spec: &Option<String>) -> Result<Option<Field>, String> {
    labelled_field(spec, "selector")
}

/// The field `spec` names (`css` or `css@attribute`), if any; an error names the spec
/// and what kind of selector it is (`label`).
pub(super) fn labelled_field(spec: &Option<String>, label: &str) -> Result<Option<Field>, String> {
    let Some(spec) = spec else { return Ok(None) };
    let (css, attribute) = match spec.rsplit_once('@') {
        Some((css, attr)) if !attr.contains([' ', ']', '=']) => (css, Some(attr.to_string())),
        _ => (spec.as_str(), None),
    };
    let selector = Selector::parse(css).map_err(|e| format!("{label} `{spec}`: {e}"))?;
    Ok(Some(Field {
        selector,
        attribute,
    }))
}

/// The collapsed text (or attribute) of the first element `field` selects in `item`.
pub(super) fn read(item: ElementRef, field: &Option<Field>) -> Option<String> {
    let field = field.as_ref()?;
    let element = item.select(&field.selector).next()?;
    let value = match &field.attribute {
        Some(attribute) => element.value().attr(attribute)?.to_string(),
        None => element.text().collect(),
    };
    Some(collapse(&value)).filter(|v| !v.is_empty())
}

pub fn events(page: &Html, selectors: &Selectors) -> Result<Vec<PageEvent>, String> {
    let item = Selector::parse(&selectors.item)
        .map_err(|e| format!("selector `{}`: {e}", selectors.item))?;
    let title = field(&selectors.title)?;
    let start = field(&selectors.start)?;
    let end = field(&selectors.end)?;
    let location = field(&selectors.location)?;
    let link = field(&selectors.link)?;
    let description = field(&selectors.description)?;
    Ok(page
        .select(&item)
        .map(|item| PageEvent {
            name: read(item, &title),
            start: read(item, &start),
            end: read(item, &end),
            location_name: read(item, &location),
            url: read(item, &link),
            description: read(item, &description),
            date_style: DateStyle::Text,
            ..PageEvent::default()
        })
        .filter(|e| e.name.is_some() || e.start.is_some())
        .collect())
}
