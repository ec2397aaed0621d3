//! HTML from sources made safe to show and to re-publish: ammonia removes scripts, styles,
//! frames, event handlers and dangerous URL schemes and makes relative URLs absolute;
//! before it, a pass over the parsed fragment removes tracking pixels (1×1 images and
//! known beacon hosts), which are well-formed HTML that no sanitiser would drop.

use std::borrow::Cow;

use scraper::{Html, Selector};
use url::Url;

use crate::markup::TooComplex;

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
/// (and removed when there is no base, since they would point at our own server). Markup
/// too complex to read gives nothing; [`try_sanitise_html`] says why.
pub fn sanitise_html(html: &str, base: Option<&Url>) -> String {
    try_sanitise_html(html, base).unwrap_or_default()
}

/// [`sanitise_html`], refusing markup too deep or too large to build a tree from (it is
/// left out, not read for minutes).
pub fn try_sanitise_html(html: &str, base: Option<&Url>) -> Result<String, TooComplex> {
    // One tokenizer pass checks the shape and looks for tracking pixels, so the tree
    // that removes them is built only where there is one.
    let shape = crate::markup::shape::check_fragment_asking(html, &|tag| {
        &*tag.name == "img"
            && is_pixel(|name| {
                tag.attrs
                    .iter()
                    .find(|a| &*a.name.local == name)
                    .map(|a| &*a.value)
            })
    })?;
    let html: Cow<str> = if shape.asked_found {
        Cow::Owned(without_tracking_pixels(html))
    } else {
        Cow::Borrowed(html)
    };
    let mut builder = ammonia::Builder::default();
    // ammonia's defaults keep tables (colspan, rowspan, scope, headers), abbr, cite,
    // details/summary, article/aside, figure, img alt/title/width/height and `lang`;
    // added: what posts also use. Never scripts, handlers, styles, frames or forms, and
    // links only to the web and to mail.
    builder
        .add_tags([
            "figure",
            "figcaption",
            "picture",
            "source",
            "time",
            "mark",
            "section",
            "audio",
            "video",
        ])
        .add_generic_attributes(["dir"])
        .add_tag_attributes("source", ["src", "srcset", "type", "media"])
        .add_tag_attributes("time", ["datetime"])
        .add_tag_attributes("img", ["srcset", "loading"])
        .add_tag_attributes("audio", ["controls", "src", "preload"])
        .add_tag_attributes(
            "video",
            ["controls", "src", "preload", "poster", "width", "height"],
        )
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"));
    match base {
        Some(base) => builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone())),
        None => builder.url_relative(ammonia::UrlRelative::Deny),
    };
    Ok(builder.clean(&html).to_string().trim().to_string())
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
    is_pixel(|name| img.attr(name))
}

/// Whether an image with these attributes is a tracking pixel: at most 1×1, or served by
/// a known tracker.
fn is_pixel<'a>(attr: impl Fn(&str) -> Option<&'a str>) -> bool {
    let tiny = |name: &str| {
        attr(name)
            .map(|v| v.trim().trim_end_matches("px"))
            .and_then(|v| v.parse::<u32>().ok())
            .is_some_and(|v| v <= 1)
    };
    let src = attr("src").unwrap_or_default();
    (tiny("width") && tiny("height")) || TRACKERS.iter().any(|t| src.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_pixels_are_found_in_the_shape_pass_and_removed() {
        let html = r#"<p>Hi</p><IMG HEIGHT="1px" src="https://x.example/t.gif" Width=1><img src="https://x.example/a.png" width="640" height="1">"#;
        let clean = sanitise_html(html, None);
        assert!(!clean.contains("t.gif"), "{clean}");
        assert!(
            clean.contains("a.png"),
            "a one-pixel-high banner is not a pixel: {clean}"
        );
        let tracked = r#"<img src="https://pixel.wp.com/g.gif?blog=1" alt="">"#;
        assert!(!sanitise_html(tracked, None).contains("pixel.wp.com"));
    }

    #[test]
    fn the_markup_posts_use_is_kept() {
        let html = r#"<section lang="fr" dir="ltr"><table><tr><th scope="col" id="h">H</th></tr><tr><td colspan="2" rowspan="1" headers="h">1</td></tr></table>
            <figure><img src="https://x.example/a.png" alt="A" title="T" width="10" height="20"><figcaption>C</figcaption></figure>
            <abbr title="Government of Canada">GC</abbr> <time datetime="2026-03-12">12 March</time> <cite>Report</cite>
            <details><summary>More</summary>Text</details><article><aside>Aside</aside></article>
            <video controls autoplay src="https://x.example/v.mp4" poster="https://x.example/p.jpg"><source src="https://x.example/v.webm" type="video/webm"></video>
            <audio controls autoplay src="data:audio/mp3;base64,AAAA"></audio><form action="/x"><input></form></section>"#;
        let clean = sanitise_html(html, None);
        for kept in [
            r#"<section lang="fr" dir="ltr">"#,
            r#"<th scope="col""#,
            r#"colspan="2""#,
            r#"rowspan="1""#,
            r#"headers="h""#,
            "<figure>",
            r#"alt="A""#,
            r#"title="T""#,
            r#"width="10""#,
            "<figcaption>",
            r#"<abbr title="Government of Canada">"#,
            r#"<time datetime="2026-03-12">"#,
            "<cite>",
            "<details><summary>",
            "<article><aside>",
            r#"<video controls="" src="https://x.example/v.mp4""#,
            r#"<source src="https://x.example/v.webm" type="video/webm">"#,
            "<audio controls=\"\">",
        ] {
            assert!(clean.contains(kept), "{kept} in {clean}");
        }
        for gone in ["autoplay", "data:", "<form", "<input"] {
            assert!(!clean.contains(gone), "{gone} in {clean}");
        }
    }

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
