//! Element text as mf2py takes it. [`text_content`] is its `get_textContent`: scripts,
//! styles, templates and comments dropped, tabs and line ends made spaces, `<br>` a line
//! break, `<p>` a paragraph break, `<pre>` kept as written, and images replaced by their
//! `alt` (or `src`) where the rule asks. [`get_text`] is BeautifulSoup's `get_text()`:
//! every text node, as it is.

use scraper::ElementRef;
use scraper::node::Node;

use crate::budget::{Budget, Exhausted};
use crate::extract::html::links;
use crate::extract::html::text::{is_py_space, py_strip};

/// Text nodes whose strings BeautifulSoup does not count as text.
const NOT_TEXT: &[&str] = &["script", "style", "template", "rt", "rp"];

/// BeautifulSoup's `get_text()`.
pub fn get_text(element: ElementRef) -> String {
    let mut out = String::new();
    for node in element.descendants() {
        if let Node::Text(text) = node.value() {
            let parent = node.parent().and_then(ElementRef::wrap);
            if parent.is_some_and(|p| NOT_TEXT.contains(&p.value().name())) {
                continue;
            }
            out.push_str(text);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    BreakBefore,
    BreakAfter,
    PreBefore,
    PreAfter,
}

impl Piece {
    fn is_break(&self) -> bool {
        matches!(self, Piece::BreakBefore | Piece::BreakAfter)
    }
    fn is(&self, text: &str) -> bool {
        matches!(self, Piece::Text(t) if t == text)
    }
}

/// How images count.
#[derive(Debug, Clone, Copy)]
pub struct Images<'a> {
    /// Replace images by their `alt` text…
    pub replace: bool,
    /// …or, without one, by their (absolute) `src`.
    pub to_src: bool,
    pub base: &'a str,
}

/// mf2py's `get_textContent`.
pub fn text_content(
    element: ElementRef,
    images: Images,
    budget: &mut Budget,
) -> Result<String, Exhausted> {
    let mut pieces = Vec::new();
    collect(element, images, &mut pieces, budget)?;
    let mut results: Vec<Piece> = pieces.into_iter().filter(|p| !p.is("")).collect();
    let length = results.len();
    for i in 0..length {
        if !results[i].is(" ") {
            continue;
        }
        let lone = i == 0
            || i == length - 1
            || results[i - 1].is(" ")
            || results[i - 1].is_break()
            || results[i + 1].is(" ")
            || results[i + 1].is_break();
        if lone {
            results[i] = Piece::Text(String::new());
        }
    }
    let blank = |p: &Piece| match p {
        Piece::Text(t) => t.is_empty() || t.chars().all(is_py_space),
        other => other.is_break(),
    };
    let start = results
        .iter()
        .position(|p| !blank(p))
        .unwrap_or(results.len());
    let end = results
        .iter()
        .rposition(|p| !blank(p))
        .map_or(start, |e| e + 1);
    let mut results: Vec<Piece> = results.drain(start..end.max(start)).collect();
    if let Some(Piece::Text(first)) = results.first_mut() {
        *first = first.trim_start_matches(is_py_space).to_string();
    }
    if let Some(Piece::Text(last)) = results.last_mut() {
        *last = last.trim_end_matches(is_py_space).to_string();
    }
    let mut text = String::new();
    let mut count = 0usize;
    let mut last_was_newline = false;
    for piece in results {
        match piece {
            Piece::BreakBefore => count = count.max(1),
            Piece::BreakAfter => {}
            Piece::PreBefore => {
                let kept = text.trim_end_matches(' ').len();
                text.truncate(kept);
            }
            Piece::PreAfter => {}
            Piece::Text(t) => {
                let t = if count > 0 || last_was_newline {
                    t.trim_start_matches(' ').to_string()
                } else {
                    t.clone()
                };
                text.push_str(&"\n".repeat(count));
                text.push_str(&t);
                count = 0;
                last_was_newline = t == "\n";
                continue;
            }
        }
        last_was_newline = false;
    }
    Ok(text)
}

fn spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_space = false;
    for c in text.chars() {
        let c = if matches!(c, '\n' | '\t' | '\r') {
            ' '
        } else {
            c
        };
        if c == ' ' && prev_space {
            continue;
        }
        prev_space = c == ' ';
        out.push(c);
    }
    out
}

/// mf2py's `text_collection`, with an explicit stack (markup may nest hundreds deep).
fn collect(
    root: ElementRef,
    images: Images,
    out: &mut Vec<Piece>,
    budget: &mut Budget,
) -> Result<(), Exhausted> {
    enum Step<'a> {
        Element(ElementRef<'a>),
        Piece(Piece),
    }
    let mut stack = vec![Step::Element(root)];
    while let Some(step) = stack.pop() {
        let element = match step {
            Step::Piece(piece) => {
                out.push(piece);
                continue;
            }
            Step::Element(element) => element,
        };
        budget.check()?;
        let el = element.value();
        match el.name() {
            "script" | "style" | "template" => continue,
            "pre" => {
                out.push(Piece::PreBefore);
                out.push(Piece::Text(get_text(element)));
                out.push(Piece::PreAfter);
                continue;
            }
            "img" if images.replace => {
                let value = el.attr("alt").map(str::to_string).or_else(|| {
                    images
                        .to_src
                        .then(|| el.attr("src").map(|src| links::join(images.base, src)))
                        .flatten()
                });
                if let Some(value) = value {
                    out.push(Piece::Text(" ".into()));
                    out.push(Piece::Text(value));
                    out.push(Piece::Text(" ".into()));
                }
                continue;
            }
            "br" => {
                out.push(Piece::Text("\n".into()));
                continue;
            }
            _ => {}
        }
        let paragraph = el.name() == "p";
        let mut steps = Vec::new();
        if paragraph {
            steps.push(Step::Piece(Piece::BreakBefore));
        }
        for child in element.children() {
            match child.value() {
                Node::Text(text) => steps.push(Step::Piece(Piece::Text(spaces(text)))),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        steps.push(Step::Element(child));
                    }
                }
                _ => {}
            }
        }
        if paragraph {
            steps.push(Step::Piece(Piece::BreakAfter));
            steps.push(Step::Piece(Piece::Text("\n".into())));
        }
        stack.extend(steps.into_iter().rev());
    }
    Ok(())
}

/// `str.strip()` of a value part.
pub fn stripped(text: &str) -> String {
    py_strip(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn text(html: &str) -> String {
        let page = Html::parse_fragment(html);
        let div = page
            .select(&Selector::parse("div").unwrap())
            .next()
            .unwrap();
        let images = Images {
            replace: true,
            to_src: true,
            base: "https://ex.gc.ca/",
        };
        text_content(div, images, &mut Budget::unlimited()).unwrap()
    }

    #[test]
    fn text_content_as_mf2py() {
        assert_eq!(text("<div> Open<em>Data</em>  Day\n</div>"), "OpenData Day");
        assert_eq!(text("<div>A<p>B</p>C</div>"), "A\nB\nC");
        assert_eq!(
            text("<div>Map <img src=m.png> room<script>x</script></div>"),
            "Map  https://ex.gc.ca/m.png  room"
        );
        assert_eq!(text("<div>a<br>b</div>"), "a\nb");
        assert_eq!(text("<div><p> x </p> <p>y</p></div>"), "x \n\ny");
        assert_eq!(text("<div>a <pre> b </pre> c</div>"), "a b  c");
    }
}
