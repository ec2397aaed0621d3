//! Posts on pages without markup, read through the CSS selectors the operator gave for
//! the source's posts (`[sources.post_selectors]`). A selector may end in `@attr` to read
//! that attribute instead of the element's text. Where the operator names no title or
//! link, the item's first link gives them; where no date is named or found, the item's
//! first `<time datetime>` gives it. Dates are page text, read in English or French when
//! normalising.

use scraper::{Html, Selector};

use super::PagePost;
use crate::extract::html::selectors::{Field, labelled_field, read};
use crate::extract::html::{DateStyle, collapse};
use crate::model::PostSelectors;

fn field(spec: &Option<String>) -> Result<Option<Field>, String> {
    labelled_field(spec, "post selector")
}

/// The posts the selectors find, in document order; an item with neither title nor link
/// is not a post.
pub fn posts(page: &Html, selectors: &PostSelectors) -> Result<Vec<PagePost>, String> {
    let item = Selector::parse(&selectors.item)
        .map_err(|e| format!("post selector `{}`: {e}", selectors.item))?;
    let title = field(&selectors.title)?;
    let link = field(&selectors.link)?;
    let date = field(&selectors.date)?;
    let author = field(&selectors.author)?;
    let summary = field(&selectors.summary)?;
    let first_link = Selector::parse("a[href]").expect("static selector");
    let time = Selector::parse("time[datetime]").expect("static selector");
    Ok(page
        .select(&item)
        .map(|item| {
            let anchor = item.select(&first_link).next();
            let (published, date_style) = match read(item, &date) {
                Some(text) => (Some(text), DateStyle::Text),
                None => (
                    item.select(&time)
                        .next()
                        .and_then(|t| t.value().attr("datetime"))
                        .map(collapse)
                        .filter(|t| !t.is_empty()),
                    DateStyle::Iso,
                ),
            };
            PagePost {
                title: read(item, &title).or_else(|| {
                    anchor
                        .map(|a| collapse(&a.text().collect::<String>()))
                        .filter(|t| !t.is_empty())
                }),
                url: read(item, &link).or_else(|| {
                    anchor
                        .and_then(|a| a.value().attr("href"))
                        .map(|h| h.trim().to_string())
                        .filter(|h| !h.is_empty())
                }),
                author: read(item, &author),
                published,
                updated: None,
                date_style,
                summary: read(item, &summary),
                language: None,
                categories: Vec::new(),
            }
        })
        .filter(|p| p.title.is_some())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_first_links_and_time_elements_fill_what_is_not_named() {
        let page = Html::parse_document(
            r#"<ul><li class="n"><a href="/a">First&nbsp;post</a><span class="d">le 3 décembre 2026</span>
                 <img class="t" data-title="Named"></li>
               <li class="n"><a href="/b">Second</a><time datetime="2026-11-02">2 Nov</time></li>
               <li class="n"><p>No link, no title</p></li></ul>"#,
        );
        let selectors = PostSelectors {
            item: "li.n".into(),
            date: Some(".d".into()),
            ..PostSelectors::default()
        };
        let found = posts(&page, &selectors).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].title.as_deref(), Some("First post"));
        assert_eq!(found[0].url.as_deref(), Some("/a"));
        assert_eq!(found[0].published.as_deref(), Some("le 3 décembre 2026"));
        assert_eq!(found[0].date_style, DateStyle::Text);
        assert_eq!(found[1].published.as_deref(), Some("2026-11-02"));
        assert_eq!(found[1].date_style, DateStyle::Iso);
        let titled = PostSelectors {
            item: "li.n".into(),
            title: Some("img.t@data-title".into()),
            ..PostSelectors::default()
        };
        assert_eq!(
            posts(&page, &titled).unwrap()[0].title.as_deref(),
            Some("Named")
        );
        let bad = PostSelectors {
            item: "li[".into(),
            ..PostSelectors::default()
        };
        assert!(posts(&page, &bad).unwrap_err().contains("li["));
    }
}
