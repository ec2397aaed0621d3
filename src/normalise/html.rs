//! HTML from sources made safe to show and to re-publish: ammonia removes scripts, styles,
//! frames, event handlers and dangerous URL schemes and makes relative URLs absolute;
//! before it, a pass over the parsed fragment removes tracking pixels (1×1 images and
//! known beacon hosts), which are well-formed HTML that no sanitiser would drop.

use std::borrow::Cow;

use scraper::{Html, Selector};
use url::Url;

/// Image hosts and paths that exist only to count readers.
const TRACKERS: &[&str] = &[
    "pixel.wp.com",
    "stats.wordpress.com",
    "feeds.feedburner.com/~r/",
    "feedproxy.google.com/~r/",
    "pixel.quantserve.com",
    "www.google-analytics.com",
    "ad.doubleclick.net",
    "/open.aspx",
    "list-manage.com/track/",
];

/// Sanitises an HTML fragment; relative URLs are resolved against `base` when given
/// (and removed when there is no base, since they would point at our own server).
pub fn sanitise_html(html: &str, base: Option<&Url>) -> String {
    // Markup too deep or too large to build a tree from is left out, not read for minutes.
    if crate::markup::shape::check_fragment(html).is_err() {
        return String::new();
    }
    let html: Cow<str> = if html.contains("<img") || html.contains("<IMG") {
        Cow::Owned(without_tracking_pixels(html))
    } else {
        Cow::Borrowed(html)
    };
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["figure", "figcaption", "picture", "source", "time", "mark"])
        .add_tag_attributes("source", ["srcset", "type", "media"])
        .add_tag_attributes("time", ["datetime"])
        .add_tag_attributes("img", ["srcset", "loading"])
        .link_rel(Some("noopener noreferrer nofollow"));
    match base {
        Some(base) => builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone())),
        None => builder.url_relative(ammonia::UrlRelative::Deny),
    };
    builder.clean(&html).to_string().trim().to_string()
}

fn without_tracking_pixels(html: &str) -> String {
    let mut fragment = Html::parse_fragment(html);
    let images = Selector::parse("img").expect("static selector");
    let pixels: Vec<_> = fragment
        .select(&images)
        .filter(|img| is_tracking_pixel(img.value()))
        .map(|img| img.id())
        .collect();
    if pixels.is_empty() {
        return html.to_string();
    }
    for id in pixels {
        if let Some(mut node) = fragment.tree.get_mut(id) {
            node.detach();
        }
    }
    fragment.root_element().inner_html()
}

fn is_tracking_pixel(img: &scraper::node::Element) -> bool {
    let tiny = |name: &str| {
        img.attr(name)
            .map(|v| v.trim().trim_end_matches("px"))
            .and_then(|v| v.parse::<u32>().ok())
            .is_some_and(|v| v <= 1)
    };
    let src = img.attr("src").unwrap_or_default();
    (tiny("width") && tiny("height")) || TRACKERS.iter().any(|t| src.contains(t))
}

/// Escapes text for use inside HTML elements and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_pixels_are_removed() {
        let base = Url::parse("https://blog.example.gov.uk/2026/post/").unwrap();
        let html = r#"<p onclick="steal()">Hi <a href="/about/">About</a></p><script>alert(1)</script>
            <img src='https://pixel.wp.com/g.gif' width='1' height='1'><img src="chart.png" alt="Chart">"#;
        let clean = sanitise_html(html, Some(&base));
        assert!(!clean.contains("onclick"));
        assert!(!clean.contains("alert"));
        assert!(!clean.contains("pixel.wp.com"));
        assert!(
            clean.contains(r#"href="https://blog.example.gov.uk/about/""#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"src="https://blog.example.gov.uk/2026/post/chart.png""#),
            "{clean}"
        );
    }
}
