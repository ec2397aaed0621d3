//! How deep and how large an HTML document is, found by html5ever's tokenizer alone (one
//! linear pass) before any tree is built. A tree builder's cost grows with nesting depth
//! for every tag (it searches the stack of open elements), so a page nested 200,000
//! levels deep would take minutes; browsers cap nesting at 512 for the same reason.
//!
//! The open-element stack here is an estimate of the tree builder's: void elements and
//! raw-text elements are honoured, an end tag closes up to its nearest open match, and
//! elements whose end tags HTML lets authors omit (`p`, `li`, `td`, `option`…) close
//! their open predecessor of the same family. It over-counts only markup that a tree
//! builder would also nest deeply, which is what the check is for.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Elements may nest at most this deep (Chromium's HTML parser caps its tree at 512).
pub const MAX_DEPTH: usize = 512;
/// A document may hold at most this many elements.
pub const MAX_ELEMENTS: usize = 500_000;

/// The markup is too deep or too large to read safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TooComplex {
    #[error("its markup nests elements more than {MAX_DEPTH} levels deep")]
    TooDeep,
    #[error("its markup has more than {MAX_ELEMENTS} elements")]
    TooManyElements,
}

/// What the scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    pub depth: usize,
    pub elements: usize,
    /// Whether a start tag met the scan's question (see [`check_fragment_asking`]).
    pub asked_found: bool,
}

/// Checks a whole document.
pub fn check(html: &str) -> Result<Shape, TooComplex> {
    scan(html, None)
}

/// Checks a fragment (a feed entry's content, a description); the same limits.
pub fn check_fragment(html: &str) -> Result<Shape, TooComplex> {
    check_fragment_asking(html, &|_| false)
}

/// [`check_fragment`], also asking of every start tag whether it is one the caller looks
/// for (in the same pass, so the caller need not build a tree to find out).
pub fn check_fragment_asking(
    html: &str,
    question: &dyn Fn(&Tag) -> bool,
) -> Result<Shape, TooComplex> {
    if !html.contains('<') {
        return Ok(Shape::default());
    }
    scan(html, Some(question))
}

fn scan(html: &str, question: Option<&dyn Fn(&Tag) -> bool>) -> Result<Shape, TooComplex> {
    let sink = Sink {
        state: RefCell::default(),
        question,
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let state = tokenizer.sink.state.into_inner();
    match state.failure {
        Some(failure) => Err(failure),
        None => Ok(Shape {
            depth: state.max_depth,
            elements: state.elements,
            asked_found: state.asked_found,
        }),
    }
}

struct Sink<'q> {
    state: RefCell<State>,
    question: Option<&'q dyn Fn(&Tag) -> bool>,
}

#[derive(Default)]
struct State {
    open: Vec<html5ever::LocalName>,
    /// How many of the open elements are `svg`/`math` (self-closing tags count there).
    foreign: usize,
    max_depth: usize,
    elements: usize,
    asked_found: bool,
    failure: Option<TooComplex>,
}

const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Families whose open member a new start tag of the family closes.
const OPTIONAL_END: &[&[&str]] = &[
    &["p"],
    &["li"],
    &["dt", "dd"],
    &["td", "th"],
    &["tr"],
    &["option"],
    &["optgroup"],
    &["thead", "tbody", "tfoot"],
    &["rb", "rt", "rtc", "rp"],
];

impl TokenSink for Sink<'_> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        if state.failure.is_some() {
            return TokenSinkResult::Continue;
        }
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        let name: &str = &tag.name;
        match tag.kind {
            TagKind::StartTag => {
                state.elements += 1;
                if !state.asked_found && self.question.is_some_and(|asks| asks(&tag)) {
                    state.asked_found = true;
                }
                if state.elements > MAX_ELEMENTS {
                    state.failure = Some(TooComplex::TooManyElements);
                    return TokenSinkResult::Continue;
                }
                if VOID.contains(&name) || (tag.self_closing && state.foreign > 0) {
                    return TokenSinkResult::Continue;
                }
                if let Some(family) = OPTIONAL_END.iter().find(|f| f.contains(&name)) {
                    // Close the open member of the family, if it is near the top.
                    let top = state.open.len();
                    if let Some(at) = state.open[top.saturating_sub(4)..]
                        .iter()
                        .rposition(|open| family.contains(&&**open))
                    {
                        let at = top.saturating_sub(4) + at;
                        close_to(&mut state, at);
                    }
                }
                if matches!(name, "svg" | "math") {
                    state.foreign += 1;
                }
                state.open.push(tag.name.clone());
                let depth = state.open.len();
                state.max_depth = state.max_depth.max(depth);
                if depth > MAX_DEPTH {
                    state.failure = Some(TooComplex::TooDeep);
                    return TokenSinkResult::Continue;
                }
                match name {
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                        TokenSinkResult::RawData(RawKind::Rawtext)
                    }
                    "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                }
            }
            TagKind::EndTag => {
                if let Some(at) = state.open.iter().rposition(|open| &**open == name) {
                    close_to(&mut state, at);
                }
                TokenSinkResult::Continue
            }
        }
    }
}

/// Pops the open elements from `at` up.
fn close_to(state: &mut State, at: usize) {
    for closed in state.open.drain(at..) {
        if matches!(&*closed, "svg" | "math") {
            state.foreign = state.foreign.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_pass_and_report_their_shape() {
        let page = "<!doctype html><html><head><title>A <b>x</b></title><script>if (a<b) {}</script></head>\
            <body><ul><li>one<li>two</ul><p>a<p>b<p>c<table><tr><td>1<td>2<tr><td>3</table>\
            <img src=x><br><svg><path/><path/></svg></body></html>";
        let shape = check(page).unwrap();
        assert!(shape.depth <= 6, "{shape:?}");
        // A thousand unclosed paragraphs do not nest.
        let paragraphs = "<p>x".repeat(1000);
        assert!(check(&paragraphs).unwrap().depth <= 2);
    }

    #[test]
    fn deep_and_huge_markup_is_refused_in_linear_time() {
        let deep = "<div>".repeat(200_000);
        assert_eq!(check(&deep), Err(TooComplex::TooDeep));
        let self_closing = "<div/>".repeat(2_000);
        assert_eq!(check_fragment(&self_closing), Err(TooComplex::TooDeep));
        let many = "<br>".repeat(MAX_ELEMENTS + 1);
        assert_eq!(check(&many), Err(TooComplex::TooManyElements));
        assert!(check_fragment("no markup at all").is_ok());
    }
}
