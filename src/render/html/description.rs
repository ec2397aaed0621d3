//! An event's description as its page shows it: HTML (an Outlook or Google export, an
//! event page) as sanitised HTML, with its links and line breaks; plain text as
//! paragraphs, its line breaks kept and its addresses made links. Never raw tags.
//!
//! Sanitising is ammonia's, with a narrower list than stored post bodies: text structure,
//! links and tables only. Images, audio and video would load from another server (pages
//! load nothing from elsewhere); headings of the two top levels would break the page's own
//! outline, so their text stays without them.

use std::collections::HashSet;
use std::sync::LazyLock;

use linkify::{LinkFinder, LinkKind};

use crate::markup::escape_html;
use crate::model::Event;

/// Element names that make a text HTML rather than prose with a `<` in it (Google Calendar
/// writes HTML into DESCRIPTION; Outlook into X-ALT-DESC).
static FORMATTING_TAG: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)</?(?:a|b|br|p|i|u|em|strong|ul|ol|li|div|span|font|h[1-6]|table|tr|td|th|blockquote|hr|html|body)(?:\s[^<>]*)?/?>",
    )
    .expect("static regex")
});

static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from([
            "a",
            "abbr",
            "b",
            "blockquote",
            "br",
            "caption",
            "cite",
            "code",
            "dd",
            "del",
            "dl",
            "dt",
            "em",
            "h3",
            "h4",
            "h5",
            "h6",
            "hr",
            "i",
            "ins",
            "li",
            "ol",
            "p",
            "pre",
            "q",
            "s",
            "small",
            "strong",
            "sub",
            "sup",
            "table",
            "tbody",
            "td",
            "tfoot",
            "th",
            "thead",
            "tr",
            "u",
            "ul",
        ]))
        .clean_content_tags(HashSet::from(["script", "style", "title", "template"]))
        .generic_attributes(HashSet::from(["lang", "dir"]))
        .add_tag_attributes("a", ["href", "hreflang"])
        .add_tag_attributes("abbr", ["title"])
        .add_tag_attributes("td", ["colspan", "rowspan", "headers"])
        .add_tag_attributes("th", ["colspan", "rowspan", "headers", "scope"])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    builder
});

/// Whether a description's text is HTML.
pub fn looks_like_html(text: &str) -> bool {
    FORMATTING_TAG.is_match(text) && ammonia::is_html(text)
}

/// The description of `event` as HTML safe to put in a page, or `None` when it has none:
/// its HTML where that has any text, else its text.
pub fn description_html(event: &Event) -> Option<String> {
    description_html_of(
        event.description_html.as_deref(),
        event.description_text.as_deref(),
    )
}

/// A description given as HTML and as text (either may be missing), as HTML safe to put
/// in a page: the HTML where that has any text, else the text.
pub fn description_html_of(html: Option<&str>, text: Option<&str>) -> Option<String> {
    let from_html = html.map(sanitise);
    let from_text = || {
        text.map(|text| {
            if looks_like_html(text) {
                sanitise(text)
            } else {
                sanitise(&text_to_html(text))
            }
        })
    };
    from_html
        .filter(|html| has_text(html))
        .or_else(|| from_text().filter(|html| has_text(html)))
}

fn has_text(html: &str) -> bool {
    scraper::Html::parse_fragment(html)
        .root_element()
        .text()
        .any(|t| !t.trim().is_empty())
}

fn sanitise(html: &str) -> String {
    SANITISER.clean(html).to_string().trim().to_string()
}

/// An event description given as HTML as plain text, for the calendars' DESCRIPTION
/// (clients show it as text, so tags would show as tags): paragraphs and blocks on lines
/// of their own, `<br>` a line break, list items on their own lines, a link as its
/// address (after its text when that says something else), the text of scripts, styles
/// and a document's head left out. The markup is read by html5ever (scraper), after the
/// shape check every fragment passes; `None` when it is too complex to read.
pub fn plain_text(html: &str) -> Option<String> {
    crate::markup::shape::check_fragment(html).ok()?;
    let fragment = scraper::Html::parse_fragment(html);
    let mut out = TextOut::default();
    walk(fragment.tree.root(), &mut out);
    Some(out.finish())
}

/// Elements whose content is not text a reader sees.
const HIDDEN: &[&str] = &["script", "style", "head", "title", "template", "noscript"];

/// Elements that stand apart from the text around them by a blank line.
const PARAGRAPHS: &[&str] = &[
    "p",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "table",
    "pre",
];

/// Elements that start on a line of their own.
const LINES: &[&str] = &[
    "div", "li", "tr", "dt", "dd", "hr", "section", "article", "header", "footer", "address",
    "caption", "figure", "main", "nav",
];

/// Plain text being written: white space collapsed as a browser collapses it, breaks
/// asked for kept until text follows them (so none trail and none double up).
#[derive(Default)]
struct TextOut {
    text: String,
    /// Line breaks wanted before the next text (at most two: a blank line).
    breaks: usize,
    /// A space is wanted before the next text.
    space: bool,
}

impl TextOut {
    fn push(&mut self, text: &str, preformatted: bool) {
        if preformatted {
            self.flush();
            self.text.push_str(text);
            return;
        }
        let blank = |c: char| c.is_ascii_whitespace();
        if text.starts_with(blank) {
            self.space = true;
        }
        for (i, word) in text.split_ascii_whitespace().enumerate() {
            if i > 0 {
                self.space = true;
            }
            self.flush();
            self.text.push_str(word);
        }
        if text.ends_with(blank) {
            self.space = true;
        }
    }

    /// Writes the breaks or the space wanted before text.
    fn flush(&mut self) {
        if self.text.is_empty() {
            self.breaks = 0;
            self.space = false;
            return;
        }
        if self.breaks > 0 {
            let trimmed = self.text.trim_end_matches(' ').len();
            self.text.truncate(trimmed);
            for _ in 0..self.breaks {
                self.text.push('\n');
            }
        } else if self.space && !self.text.ends_with([' ', '\n']) {
            self.text.push(' ');
        }
        self.breaks = 0;
        self.space = false;
    }

    fn line_break(&mut self, count: usize) {
        self.breaks = self.breaks.max(count);
        self.space = false;
    }

    /// The text, each line's end trimmed (a paragraph of `&nbsp;` is a blank line) and
    /// blank lines never more than one in a row.
    fn finish(self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut blank = true;
        for line in self.text.lines().map(str::trim_end) {
            if line.is_empty() {
                if !blank {
                    out.push('\n');
                }
                blank = true;
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
            blank = false;
        }
        out.trim_end().to_string()
    }
}

fn walk(node: ego_tree::NodeRef<'_, scraper::Node>, out: &mut TextOut) {
    walk_in(node, out, false);
}

fn walk_in(node: ego_tree::NodeRef<'_, scraper::Node>, out: &mut TextOut, preformatted: bool) {
    for child in node.children() {
        match child.value() {
            scraper::Node::Text(text) => out.push(text, preformatted),
            scraper::Node::Element(element) => {
                let name = element.name();
                if HIDDEN.contains(&name) {
                    continue;
                }
                match name {
                    "br" => {
                        // A second `<br>` in a row makes a blank line.
                        out.breaks = (out.breaks + 1).min(2);
                        if out.text.is_empty() {
                            out.breaks = 0;
                        }
                        out.space = false;
                        continue;
                    }
                    "a" => {
                        link(child, element, out, preformatted);
                        continue;
                    }
                    "li" => out.line_break(1),
                    "td" | "th" if child.prev_siblings().any(|s| s.value().is_element()) => {
                        out.space = true;
                    }
                    _ => {}
                }
                let paragraph = PARAGRAPHS.contains(&name);
                let line = LINES.contains(&name);
                if paragraph {
                    out.line_break(2);
                } else if line {
                    out.line_break(1);
                }
                if name == "li" {
                    out.flush();
                    out.text.push_str("- ");
                }
                walk_in(child, out, preformatted || name == "pre");
                if paragraph {
                    out.line_break(2);
                } else if line {
                    out.line_break(1);
                }
            }
            _ => walk_in(child, out, preformatted),
        }
    }
}

/// A link: its text, and its address after it unless the text is the address.
fn link(
    node: ego_tree::NodeRef<'_, scraper::Node>,
    element: &scraper::node::Element,
    out: &mut TextOut,
    preformatted: bool,
) {
    let mut inner = TextOut::default();
    walk_in(node, &mut inner, preformatted);
    let text = inner.finish();
    let href = element
        .attr("href")
        .map(str::trim)
        .filter(|h| !h.is_empty() && !h.starts_with('#'))
        .filter(|h| !h.to_ascii_lowercase().starts_with("javascript:"));
    let bare = |u: &str| {
        let u = u.trim().trim_end_matches('/');
        let lower = u.to_ascii_lowercase();
        ["https://", "http://", "mailto:", "tel:"]
            .iter()
            .find(|scheme| lower.starts_with(**scheme))
            .map_or(u, |scheme| &u[scheme.len()..])
            .to_ascii_lowercase()
    };
    match href {
        Some(href) if text.is_empty() || bare(&text) == bare(href) => {
            let shown = href
                .strip_prefix("mailto:")
                .or_else(|| href.strip_prefix("MAILTO:"))
                .unwrap_or(href);
            out.push(shown, false);
        }
        Some(href) => {
            out.push(&text, false);
            let shown = href
                .strip_prefix("mailto:")
                .or_else(|| href.strip_prefix("MAILTO:"))
                .unwrap_or(href);
            out.push(&format!(" ({shown})"), false);
        }
        None => out.push(&text, false),
    }
}

/// Plain text as paragraphs (blank lines), line breaks (`<br>`) and links (web and mail
/// addresses), everything else escaped.
pub fn text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut paragraphs: Vec<Vec<&str>> = vec![Vec::new()];
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if paragraphs.last().is_some_and(|p| !p.is_empty()) {
                paragraphs.push(Vec::new());
            }
        } else {
            paragraphs.last_mut().expect("never empty").push(line);
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    for lines in paragraphs.iter().filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            linked(line, &mut out);
        }
        out.push_str("</p>");
    }
    out
}

/// `line` escaped, with its web and mail addresses as links.
fn linked(line: &str, out: &mut String) {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url, LinkKind::Email]);
    for span in finder.spans(line) {
        let text = escape_html(span.as_str());
        match span.kind() {
            Some(LinkKind::Url) => {
                out.push_str(&format!("<a href=\"{text}\">{text}</a>"));
            }
            Some(LinkKind::Email) => {
                out.push_str(&format!("<a href=\"mailto:{text}\">{text}</a>"));
            }
            _ => out.push_str(&text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventTime;

    fn event(text: Option<&str>, html: Option<&str>) -> Event {
        let start = EventTime::At("2027-01-13T18:00:00Z".parse().unwrap());
        let mut event = crate::render::fixtures::event(start, None, None);
        event.description_text = text.map(str::to_string);
        event.description_html = html.map(str::to_string);
        event
    }

    #[test]
    fn google_html_in_the_text_is_shown_as_html() {
        // DESCRIPTION as Google Calendar exports it (fixtures/ics/google-export.ics).
        let text = "Monthly lunch and learn for the data community: one talk, one demo.<br><br>Déroulement bilingue.<br><br>Register: <a href=\"https://events.example.gc.ca/en/data-community\">events.example.gc.ca/en/data-community</a>";
        let html = description_html(&event(Some(text), None)).unwrap();
        assert!(html.contains("<br><br>Déroulement bilingue."), "{html}");
        assert!(
            html.contains(r#"<a href="https://events.example.gc.ca/en/data-community" rel="noopener noreferrer nofollow">"#),
            "{html}"
        );
        assert!(!html.contains("&lt;br"), "no raw tags: {html}");
    }

    #[test]
    fn outlook_html_loses_its_document_styles_and_images() {
        let html = r#"<html><head><title>x</title><style>p.MsoNormal{margin:0}</style></head><body lang="EN-CA"><div class="WordSection1"><h1>Agenda</h1><p class="MsoNormal" style="color:red">Join us <b>Thursday</b><o:p></o:p></p><img src="https://tracker.example/p.gif"><p><a href="javascript:alert(1)">bad</a> <a href="https://teams.microsoft.com/l/meetup-join/x" onclick="x()">Join</a></p><script>alert(1)</script></div></body></html>"#;
        let clean = description_html(&event(Some("Join us Thursday"), Some(html))).unwrap();
        for gone in [
            "<style",
            "MsoNormal",
            "<img",
            "javascript:",
            "onclick",
            "<script",
            "alert",
            "<h1",
            "<title",
            "style=",
        ] {
            assert!(!clean.contains(gone), "{gone} in {clean}");
        }
        assert!(
            clean.contains("Agenda"),
            "the heading's text stays: {clean}"
        );
        assert!(clean.contains("<b>Thursday</b>"), "{clean}");
        assert!(
            clean.contains(r#"href="https://teams.microsoft.com/l/meetup-join/x""#),
            "{clean}"
        );
    }

    #[test]
    fn plain_text_keeps_its_lines_and_links_its_addresses() {
        let text = "Bring lunch.\nAll welcome <really>.\n\nRegister at https://events.example.gc.ca/reg?a=1&b=2 or write to data@example.gc.ca.";
        let html = description_html(&event(Some(text), None)).unwrap();
        assert_eq!(
            html,
            "<p>Bring lunch.<br>All welcome &lt;really&gt;.</p><p>Register at <a href=\"https://events.example.gc.ca/reg?a=1&amp;b=2\" rel=\"noopener noreferrer nofollow\">https://events.example.gc.ca/reg?a=1&amp;b=2</a> or write to <a href=\"mailto:data@example.gc.ca\" rel=\"noopener noreferrer nofollow\">data@example.gc.ca</a>.</p>"
        );
    }

    #[test]
    fn prose_with_angle_brackets_is_not_html() {
        assert!(!looks_like_html("Contact Jane Smith <jane@example.gc.ca>"));
        assert!(!looks_like_html("if a < b and b > c"));
        assert!(looks_like_html("Line one<br>Line two"));
        assert!(looks_like_html("<p>Para</p>"));
        let html =
            description_html(&event(Some("Contact Jane <jane@example.gc.ca>"), None)).unwrap();
        assert!(
            html.contains("Contact Jane &lt;<a href=\"mailto:jane@example.gc.ca\""),
            "{html}"
        );
    }

    #[test]
    fn html_as_plain_text_keeps_lines_and_gives_links_their_addresses() {
        // Google Calendar's DESCRIPTION (fixtures/ics/google-export.ics).
        let google = "Monthly lunch and learn for the data community: one talk, one demo.<br><br>Déroulement bilingue.<br><br>Register: <a href=\"https://events.example.gc.ca/en/data-community\">events.example.gc.ca/en/data-community</a>";
        assert_eq!(
            plain_text(google).unwrap(),
            "Monthly lunch and learn for the data community: one talk, one demo.\n\nDéroulement bilingue.\n\nRegister: https://events.example.gc.ca/en/data-community"
        );
        // Outlook's X-ALT-DESC: a whole document, paragraphs of `&nbsp;`, a styled head.
        let outlook = "<!DOCTYPE HTML><html><head><title>x</title><style>p{margin:0}</style></head><body><div class=WordSection1><p class=MsoNormal>Join us <b>Thursday</b>\r\n at noon.</p><p class=MsoNormal>&nbsp;</p><ul><li>Talk</li><li>Demo &amp; questions</li></ul><p><a href=\"https://teams.microsoft.com/l/meetup-join/x\">Join the meeting</a> or write to <a href=\"mailto:data@example.gc.ca\">data@example.gc.ca</a>.</p><script>alert(1)</script></div></body></html>";
        assert_eq!(
            plain_text(outlook).unwrap(),
            "Join us Thursday at noon.\n\n- Talk\n- Demo & questions\n\nJoin the meeting (https://teams.microsoft.com/l/meetup-join/x) or write to data@example.gc.ca."
        );
        assert_eq!(
            plain_text("<table><tr><td>Time</td><td>Talk</td></tr><tr><td>12:00</td><td>Intro</td></tr></table>").unwrap(),
            "Time Talk\n12:00 Intro"
        );
        assert_eq!(
            plain_text("<pre>a\n  b</pre>after").unwrap(),
            "a\n  b\n\nafter"
        );
        let deep = "<div>".repeat(600);
        assert_eq!(plain_text(&deep), None, "too deep to read");
    }

    #[test]
    fn nothing_to_show_is_none() {
        assert_eq!(description_html(&event(None, None)), None);
        assert_eq!(description_html(&event(Some("  \n "), None)), None);
        assert_eq!(
            description_html(&event(None, Some("<p> </p><img src=x>"))),
            None
        );
    }
}
