//! How RDFa attribute values become IRIs, as pyRdfa 3.6 (RDFa Core 1.1) resolves them: the
//! evaluation context an element inherits (base, `vocab`, prefixes from `prefix` and
//! `xmlns:`), terms (`Event` → vocab + `Event`; without a vocab only the initial context's
//! `describedby`, `license`, `role`), CURIEs (`schema:Event`, with the RDFa initial
//! context's prefixes predefined, `[safe]` CURIEs, `_:` blank nodes), and plain or
//! relative IRIs. `vocab` is concatenated as written: `vocab="https://schema.org"` makes
//! `https://schema.orgEvent`, which is no schema.org term.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;

use regex::Regex;
use scraper::ElementRef;

use super::super::links;

/// The XHTML vocabulary: what `:name` CURIEs expand against.
const XHTML_VOCAB: &str = "http://www.w3.org/1999/xhtml/vocab#";

/// The RDFa 1.1 initial context's prefixes, with extruct's additions (og, fb, twitter…).
const INITIAL_PREFIXES: &[(&str, &str)] = &[
    ("article", "http://ogp.me/ns/article#"),
    ("as", "https://www.w3.org/ns/activitystreams#"),
    ("book", "http://ogp.me/ns/book#"),
    ("cc", "http://creativecommons.org/ns#"),
    ("csvw", "http://www.w3.org/ns/csvw#"),
    ("ctag", "http://commontag.org/ns#"),
    ("dc", "http://purl.org/dc/terms/"),
    ("dc11", "http://purl.org/dc/elements/1.1/"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("dqv", "http://www.w3.org/ns/dqv#"),
    ("duv", "https://www.w3.org/ns/duv#"),
    ("fb", "http://ogp.me/ns/fb#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("gr", "http://purl.org/goodrelations/v1#"),
    ("grddl", "http://www.w3.org/2003/g/data-view#"),
    ("ical", "http://www.w3.org/2002/12/cal/icaltzd#"),
    ("jsonld", "http://www.w3.org/ns/json-ld#"),
    ("ldp", "http://www.w3.org/ns/ldp#"),
    ("ma", "http://www.w3.org/ns/ma-ont#"),
    ("music", "http://ogp.me/ns/music#"),
    ("oa", "http://www.w3.org/ns/oa#"),
    ("odrl", "http://www.w3.org/ns/odrl/2/"),
    ("og", "http://ogp.me/ns#"),
    ("org", "http://www.w3.org/ns/org#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("profile", "http://ogp.me/ns/profile#"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("qb", "http://purl.org/linked-data/cube#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfa", "http://www.w3.org/ns/rdfa#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("rev", "http://purl.org/stuff/rev#"),
    ("rif", "http://www.w3.org/2007/rif#"),
    ("rr", "http://www.w3.org/ns/r2rml#"),
    ("schema", "http://schema.org/"),
    ("sd", "http://www.w3.org/ns/sparql-service-description#"),
    ("sioc", "http://rdfs.org/sioc/ns#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("skosxl", "http://www.w3.org/2008/05/skos-xl#"),
    ("sosa", "http://www.w3.org/ns/sosa/"),
    ("ssn", "http://www.w3.org/ns/ssn/"),
    ("time", "http://www.w3.org/2006/time#"),
    ("twitter", "https://dev.twitter.com/cards#"),
    ("v", "http://rdf.data-vocabulary.org/#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("video", "http://ogp.me/ns/video#"),
    ("void", "http://rdfs.org/ns/void#"),
    ("wdr", "http://www.w3.org/2007/05/powder#"),
    ("wdrs", "http://www.w3.org/2007/05/powder-s#"),
    ("xhv", "http://www.w3.org/1999/xhtml/vocab#"),
    ("xml", "http://www.w3.org/XML/1998/namespace"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// The initial context's terms (used only where no `vocab` is in force).
const INITIAL_TERMS: &[(&str, &str)] = &[
    (
        "describedby",
        "http://www.w3.org/2007/05/powder-s#describedby",
    ),
    ("license", "http://www.w3.org/1999/xhtml/vocab#license"),
    ("role", "http://www.w3.org/1999/xhtml/vocab#role"),
];

static NCNAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9._-]*$").expect("static regex"));
static TERM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9._/-]*$").expect("static regex"));

/// A resource: an IRI or a blank node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    Iri(String),
    Blank(usize),
}

/// Blank nodes of one document: fresh ones, and those named `_:name`.
#[derive(Debug, Default)]
pub struct Blanks {
    next: usize,
    named: HashMap<String, usize>,
}

impl Blanks {
    pub fn fresh(&mut self) -> Term {
        self.next += 1;
        Term::Blank(self.next)
    }

    fn named(&mut self, name: &str) -> Term {
        if let Some(&id) = self.named.get(name) {
            return Term::Blank(id);
        }
        let Term::Blank(id) = self.fresh() else {
            unreachable!("fresh blank nodes are blank")
        };
        self.named.insert(name.to_string(), id);
        Term::Blank(id)
    }
}

/// What an element's attributes are read against.
#[derive(Debug, Clone)]
pub struct Context {
    pub base: Rc<str>,
    vocab: Option<Rc<str>>,
    prefixes: Rc<HashMap<String, String>>,
}

/// pyRdfa's `remove_frag_id`.
fn without_fragment(uri: &str) -> &str {
    uri.split('#').next().unwrap_or(uri)
}

impl Context {
    pub fn top(base: &str) -> Context {
        Context {
            base: Rc::from(base),
            vocab: None,
            prefixes: Rc::new(HashMap::new()),
        }
    }

    /// The context `element` sets up for itself and its descendants.
    pub fn enter(&self, element: ElementRef) -> Context {
        let mut context = self.clone();
        let el = element.value();
        if let Some(base) = el.attr("xml:base") {
            context.base = Rc::from(without_fragment(base));
        }
        let mut declared: Vec<(String, String)> = Vec::new();
        for (name, value) in el.attrs() {
            if let Some(prefix) = name.strip_prefix("xmlns:")
                && !prefix.is_empty()
                && prefix != "_"
                && !prefix.contains(':')
            {
                declared.push((prefix.to_lowercase(), value.trim().to_string()));
            }
        }
        if let Some(list) = el.attr("prefix") {
            let tokens: Vec<&str> = list.split_whitespace().collect();
            // pyRdfa reads the pairs from the end.
            let mut i = tokens.len() as isize - 2;
            let mut pairs = Vec::new();
            while i >= 0 {
                let (prefix, uri) = (tokens[i as usize], tokens[i as usize + 1]);
                i -= 2;
                let Some(prefix) = prefix.strip_suffix(':') else {
                    continue;
                };
                if prefix.is_empty() || prefix == "_" || !NCNAME.is_match(prefix) {
                    continue;
                }
                pairs.push((prefix.to_lowercase(), uri.to_string()));
            }
            declared.extend(pairs);
        }
        if !declared.is_empty() {
            let mut prefixes = (*context.prefixes).clone();
            prefixes.extend(declared);
            context.prefixes = Rc::new(prefixes);
        }
        if let Some(vocab) = el.attr("vocab") {
            let vocab = vocab.trim();
            context.vocab = if vocab.is_empty() {
                None
            } else {
                Some(Rc::from(self.uri_with_base(&context.base, vocab)))
            };
        }
        context
    }

    /// `href`, `src`, `vocab`: an IRI, relative ones joined to the base.
    pub fn uri(&self, value: &str) -> String {
        self.uri_with_base(&self.base, value.trim())
    }

    fn uri_with_base(&self, base: &str, value: &str) -> String {
        if value.is_empty() {
            return base.to_string();
        }
        links::join(base, value)
    }

    /// `about`, `resource`: a safe or plain CURIE, else an IRI.
    pub fn curie_or_uri(&self, value: &str, blanks: &mut Blanks) -> Option<Term> {
        let value = value.trim();
        if value.is_empty() {
            return Some(Term::Iri(self.base.to_string()));
        }
        let (value, safe) = match value.strip_prefix('[') {
            Some(inner) => (inner.strip_suffix(']')?, true),
            None => (value, false),
        };
        match self.curie(value, blanks) {
            Some(Term::Iri(iri)) if !links::has_scheme(&iri) => {
                Some(Term::Iri(format!("{}{iri}", self.base)))
            }
            Some(term) => Some(term),
            None if safe => None,
            None => Some(Term::Iri(self.uri(value))),
        }
    }

    /// `property`, `typeof`, `rel`, `rev`, `datatype`: a term, a CURIE, or an absolute IRI.
    pub fn term_or_curie(&self, value: &str, blanks: &mut Blanks) -> Option<Term> {
        if value.is_empty() {
            return None;
        }
        if TERM.is_match(value) {
            if let Some(vocab) = &self.vocab {
                return Some(Term::Iri(format!("{vocab}{value}")));
            }
            return INITIAL_TERMS
                .iter()
                .find(|(term, _)| *term == value)
                .or_else(|| {
                    INITIAL_TERMS
                        .iter()
                        .find(|(term, _)| term.eq_ignore_ascii_case(value))
                })
                .map(|(_, iri)| Term::Iri(iri.to_string()));
        }
        if let Some(term) = self.curie(value, blanks) {
            return Some(term);
        }
        links::has_scheme(value).then(|| Term::Iri(value.to_string()))
    }

    /// Each whitespace-separated value of a list attribute, those that resolve.
    pub fn terms(&self, list: Option<&str>, blanks: &mut Blanks) -> Vec<Term> {
        list.unwrap_or_default()
            .split_whitespace()
            .filter_map(|v| self.term_or_curie(v, blanks))
            .collect()
    }

    /// A CURIE's IRI (or blank node), if `value` is one.
    fn curie(&self, value: &str, blanks: &mut Blanks) -> Option<Term> {
        if value.is_empty() {
            return None;
        }
        if value == ":" {
            return Some(Term::Iri(XHTML_VOCAB.to_string()));
        }
        let (prefix, reference) = value.split_once(':')?;
        let prefix = prefix.to_lowercase();
        if prefix.is_empty() {
            return reference_ok(reference).then(|| Term::Iri(format!("{XHTML_VOCAB}{reference}")));
        }
        if prefix == "_" {
            return Some(blanks.named(reference));
        }
        if !NCNAME.is_match(&prefix) || !reference_ok(reference) {
            return None;
        }
        let namespace = self.prefixes.get(&prefix).map(String::as_str).or_else(|| {
            INITIAL_PREFIXES
                .iter()
                .find(|(p, _)| *p == prefix)
                .map(|(_, ns)| *ns)
        })?;
        Some(Term::Iri(format!("{namespace}{reference}")))
    }
}

/// pyRdfa's `_check_reference`: no authority, and no `#`, `[` or `]` in the query or
/// fragment.
fn reference_ok(reference: &str) -> bool {
    if reference.starts_with("//") {
        return false;
    }
    let (before, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let query = before.split_once('?').map_or("", |(_, q)| q);
    let bad = |s: &str| s.contains(['#', '[', ']']);
    !bad(query) && !bad(fragment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    #[test]
    fn terms_curies_and_iris() {
        let page = Html::parse_document(
            r#"<div vocab="http://schema.org/" prefix="sdo: https://schema.org/ sioc: http://rdfs.org/sioc/ns#"><p vocab="https://schema.org"></p></div>"#,
        );
        let div = page
            .select(&Selector::parse("div").unwrap())
            .next()
            .unwrap();
        let p = page.select(&Selector::parse("p").unwrap()).next().unwrap();
        let mut blanks = Blanks::default();
        let top = Context::top("https://ex.gc.ca/page");
        let ctx = top.enter(div);
        let iri = |t: Option<Term>| match t {
            Some(Term::Iri(i)) => i,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            iri(ctx.term_or_curie("Event", &mut blanks)),
            "http://schema.org/Event"
        );
        assert_eq!(
            iri(ctx.term_or_curie("sdo:name", &mut blanks)),
            "https://schema.org/name"
        );
        assert_eq!(
            iri(ctx.term_or_curie("schema:name", &mut blanks)),
            "http://schema.org/name"
        );
        assert_eq!(
            iri(ctx.term_or_curie("og:title", &mut blanks)),
            "http://ogp.me/ns#title"
        );
        assert_eq!(
            ctx.term_or_curie("nope:x", &mut blanks),
            Some(Term::Iri("nope:x".into())),
            "an undeclared prefix is taken for a URI scheme"
        );
        assert_eq!(ctx.term_or_curie("#x", &mut blanks), None);
        assert_eq!(
            iri(ctx.term_or_curie("https://schema.org/name", &mut blanks)),
            "https://schema.org/name"
        );
        assert_eq!(
            iri(ctx.curie_or_uri("schema:EventRescheduled", &mut blanks)),
            "http://schema.org/EventRescheduled"
        );
        assert_eq!(
            iri(ctx.curie_or_uri("#forum", &mut blanks)),
            "https://ex.gc.ca/page#forum"
        );
        assert_eq!(ctx.curie_or_uri("[bad", &mut blanks), None);
        assert_eq!(
            ctx.curie_or_uri("_:a", &mut blanks),
            ctx.curie_or_uri("_:a", &mut blanks)
        );
        assert_eq!(
            iri(ctx.enter(p).term_or_curie("Event", &mut blanks)),
            "https://schema.orgEvent"
        );
        assert_eq!(top.term_or_curie("Event", &mut blanks), None);
        assert_eq!(
            iri(top.term_or_curie("License", &mut blanks)),
            "http://www.w3.org/1999/xhtml/vocab#license"
        );
    }
}
