//! Implied properties of a microformats2 item (not of classic ones): the name — `alt` or
//! `title` of the item or of its only child or grandchild image/abbreviation, else the
//! item's whole text — and the url — the item's own `href`, or that of its only `<a>` (or
//! `<area>`) child or grandchild that is not itself a microformat.

use scraper::ElementRef;

use super::classes;
use super::text::{Images, text_content};
use crate::budget::{Budget, Exhausted};
use crate::extract::html::links;

fn children(element: ElementRef) -> Vec<ElementRef> {
    element
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|c| c.value().name() != "template")
        .collect()
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_string)
}

pub fn name(
    element: ElementRef,
    base: &str,
    classes_of: &dyn Fn(ElementRef) -> Vec<String>,
    budget: &mut Budget,
) -> Result<String, Exhausted> {
    let el = element.value();
    if matches!(el.name(), "img" | "area")
        && let Some(alt) = non_empty(el.attr("alt"))
    {
        return Ok(alt);
    }
    if el.name() == "abbr"
        && let Some(title) = non_empty(el.attr("title"))
    {
        return Ok(title);
    }
    let kids = children(element);
    let mut candidate = None;
    if kids.len() == 1 && classes::roots(&classes_of(kids[0])).is_empty() {
        candidate = Some(kids[0]);
        if !matches!(kids[0].value().name(), "img" | "area" | "abbr") {
            let grandchildren = children(kids[0]);
            if grandchildren.len() == 1 {
                let g = grandchildren[0];
                candidate = (matches!(g.value().name(), "img" | "area" | "abbr")
                    && classes::roots(&classes_of(g)).is_empty())
                .then_some(g);
            }
        }
    }
    if let Some(candidate) = candidate {
        let c = candidate.value();
        if matches!(c.name(), "img" | "area")
            && let Some(alt) = non_empty(c.attr("alt"))
        {
            return Ok(alt);
        }
        if c.name() == "abbr"
            && let Some(title) = non_empty(c.attr("title"))
        {
            return Ok(title);
        }
    }
    text_content(
        element,
        Images {
            replace: true,
            to_src: false,
            base,
        },
        budget,
    )
}

pub fn url<'a>(
    element: ElementRef<'a>,
    base: &str,
    classes_of: &dyn Fn(ElementRef) -> Vec<String>,
) -> Option<String> {
    let el = element.value();
    if matches!(el.name(), "a" | "area")
        && let Some(href) = el.attr("href")
    {
        return Some(links::join(base, href));
    }
    let pick = |children: &[ElementRef<'a>]| -> Option<ElementRef<'a>> {
        for tag in ["a", "area"] {
            let found: Vec<ElementRef<'a>> = children
                .iter()
                .filter(|c| c.value().name() == tag)
                .copied()
                .collect();
            if found.len() == 1 && classes::roots(&classes_of(found[0])).is_empty() {
                return Some(found[0]);
            }
        }
        None
    };
    let kids = children(element);
    let candidate = pick(&kids).or_else(|| {
        (kids.len() == 1 && classes::roots(&classes_of(kids[0])).is_empty())
            .then(|| pick(&children(kids[0])))
            .flatten()
    })?;
    candidate
        .value()
        .attr("href")
        .map(|href| links::join(base, href))
}
