//! The text of a microdata property as extruct renders it: html_text's `etree_to_text` over
//! a copy of the element cleaned of scripts, styles, comments, `<meta>` and `<link>` (text
//! on either side of a removed node joins up). White space runs become one space; block
//! elements add line breaks; and a space is put between the texts of adjacent elements
//! unless the previous text ends in white space or `(`, or the next begins with
//! `, : ; . ! ? " )` — so `Open<em>Data</em> Day` reads "Open Data Day".

use scraper::ElementRef;
use scraper::node::Node;

use crate::budget::{Budget, Exhausted};
use crate::extract::html::text::{is_py_space, py_collapse, py_strip};

const NEWLINE_TAGS: &[&str] = &[
    "article",
    "aside",
    "br",
    "dd",
    "details",
    "div",
    "dt",
    "fieldset",
    "figcaption",
    "footer",
    "form",
    "header",
    "hr",
    "legend",
    "li",
    "main",
    "nav",
    "table",
    "tr",
];
const DOUBLE_NEWLINE_TAGS: &[&str] = &[
    "blockquote",
    "dl",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ol",
    "p",
    "pre",
    "title",
    "ul",
];
/// Removed with their content by the cleaner.
const KILLED: &[&str] = &["script", "style", "link", "meta"];

enum Prev {
    Newline,
    DoubleNewline,
    /// The previous text as it was in the page (before white space was collapsed).
    Text(String),
}

struct Render<'b> {
    out: String,
    prev: Prev,
    budget: &'b mut Budget,
}

/// The rendered text of `element`.
pub fn html_text(element: ElementRef, budget: &mut Budget) -> Result<String, Exhausted> {
    if KILLED.contains(&element.value().name()) {
        return Ok(String::new());
    }
    let mut render = Render {
        out: String::new(),
        prev: Prev::DoubleNewline,
        budget,
    };
    render.element(element)?;
    Ok(py_strip(&render.out).to_string())
}

impl Render<'_> {
    /// html_text's walk over start and end events, with an explicit stack (a property may
    /// hold markup nested hundreds deep).
    fn element(&mut self, root: ElementRef) -> Result<(), Exhausted> {
        enum Step<'a> {
            Start(ElementRef<'a>),
            Text(String),
            End(&'a str),
        }
        let mut stack = vec![Step::Start(root)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Text(text) => self.text(&text),
                Step::End(tag) => self.newlines(tag),
                Step::Start(element) => {
                    self.budget.check()?;
                    let tag = element.value().name();
                    self.newlines(tag);
                    // The element's content as html_text meets it: runs of text (joined
                    // across removed nodes) and kept child elements, then its end.
                    let mut steps = Vec::new();
                    let mut pending = String::new();
                    for child in element.children() {
                        match child.value() {
                            Node::Text(text) => pending.push_str(text),
                            Node::Element(e) if !KILLED.contains(&e.name()) => {
                                steps.push(Step::Text(std::mem::take(&mut pending)));
                                if let Some(child) = ElementRef::wrap(child) {
                                    steps.push(Step::Start(child));
                                }
                            }
                            // Comments, processing instructions and removed elements: the
                            // text around them joins up.
                            _ => {}
                        }
                    }
                    steps.push(Step::Text(pending));
                    steps.push(Step::End(tag));
                    stack.extend(steps.into_iter().rev());
                }
            }
        }
        Ok(())
    }

    fn newlines(&mut self, tag: &str) {
        if matches!(self.prev, Prev::DoubleNewline) {
            return;
        }
        if DOUBLE_NEWLINE_TAGS.contains(&tag) {
            let breaks = if matches!(self.prev, Prev::Newline) {
                "\n"
            } else {
                "\n\n"
            };
            self.out.push_str(breaks);
            self.prev = Prev::DoubleNewline;
        } else if NEWLINE_TAGS.contains(&tag) {
            if !matches!(self.prev, Prev::Newline) {
                self.out.push('\n');
            }
            self.prev = Prev::Newline;
        }
    }

    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let text = py_collapse(py_strip(raw));
        if text.is_empty() {
            return;
        }
        let space = match &self.prev {
            Prev::Newline | Prev::DoubleNewline => false,
            Prev::Text(prev) => {
                let trailing_space = prev.ends_with(is_py_space);
                let punct_after = text.starts_with([',', ':', ';', '.', '!', '?', '"', ')']);
                let bracket_before = prev.ends_with('(') || prev.ends_with("(\n");
                trailing_space || (!punct_after && !bracket_before)
            }
        };
        if space {
            self.out.push(' ');
        }
        self.out.push_str(&text);
        self.prev = Prev::Text(raw.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn render(html: &str) -> String {
        let page = Html::parse_fragment(html);
        let div = page
            .select(&Selector::parse("div").unwrap())
            .next()
            .unwrap();
        html_text(div, &mut Budget::unlimited()).unwrap()
    }

    #[test]
    fn spaces_between_elements_as_html_text() {
        assert_eq!(render("<div>Open<em>Data</em> Day</div>"), "Open Data Day");
        assert_eq!(render("<div>Lunch<b>&amp;</b>Learn</div>"), "Lunch & Learn");
        assert_eq!(
            render("<div><b>Town hall</b>, Ottawa (<i>main</i>)</div>"),
            "Town hall, Ottawa (main)"
        );
        assert_eq!(
            render("<div>A<!-- c -->B<script>x</script>C<meta content=m>D</div>"),
            "ABCD"
        );
        assert_eq!(render("<div><p>One</p><p>Two</p></div>"), "One\n\nTwo");
        assert_eq!(render("<div>  a \u{a0} b </div>"), "a b");
    }
}
