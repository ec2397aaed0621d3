//! schema.org in RDFa, as extruct reads it: pyRdfa 3.6's RDFa Core 1.1 processing of the
//! page, giving triples, grouped into one item per subject. A literal is the element's
//! `content` or its text — except that a `<time>`'s `datetime` is its value, as HTML+RDFa
//! 1.1 says (pyRdfa's RDFa Core reading takes the text, "Thursday, March 12, 2026").
//! Elements naming the same subject (`resource="#forum"` twice, Drupal's `about`) are one
//! item whose properties merge; identical values merge too (RDF is a set). `property` on
//! an element with `href` (and no `rel`) takes the link, not the text. Lists (`inlist`),
//! `role` and the processor graph are not produced: no event rule reads them.

mod graph;
mod literal;
mod terms;

use std::collections::HashSet;
use std::rc::Rc;

use scraper::node::Node;
use scraper::{ElementRef, Html};

use self::graph::group;
use self::literal::{HTML_LITERAL, XML_LITERAL, typed_literal};
use self::terms::{Blanks, Context, Term};
use super::schema::Graph;
use crate::budget::{Budget, Exhausted};

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// A triple's object: a resource or a literal's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Object {
    Resource(Term),
    Literal(String),
}

/// A triple waiting for its subject or object (`None`) from a descendant.
type Hanging = (Option<Term>, Term, Option<Term>);

/// An element to process, with what it inherits.
struct Visit<'a> {
    element: ElementRef<'a>,
    parent_object: Option<Term>,
    context: Rc<Context>,
    hanging: Rc<Vec<Hanging>>,
    top: bool,
}

enum Step<'a> {
    Enter(Visit<'a>),
    /// After an element's descendants: its subject completes its parent's hanging triples.
    Exit {
        subject: Option<Term>,
        hanging: Rc<Vec<Hanging>>,
    },
}

struct Processor<'b> {
    blanks: Blanks,
    triples: Vec<(Term, Term, Object)>,
    seen: HashSet<(Term, Term, Object)>,
    budget: &'b mut Budget,
}

/// The RDFa graph of a page found at `page_url`.
pub fn graph(page: &Html, page_url: &str, budget: &mut Budget) -> Result<Graph, Exhausted> {
    let mut processor = Processor {
        blanks: Blanks::default(),
        triples: Vec::new(),
        seen: HashSet::new(),
        budget,
    };
    processor.run(page.root_element(), page_url)?;
    Ok(group(processor.triples))
}

fn attr<'a>(element: ElementRef<'a>, name: &str) -> Option<&'a str> {
    element.value().attr(name)
}

/// `content`, or — HTML+RDFa 1.1, which pyRdfa's RDFa Core reading does not apply — the
/// `datetime` of a `<time>`: `<time property="startDate" datetime="2026-03-12T13:00">` is
/// that date, not its text.
fn content<'a>(element: ElementRef<'a>) -> Option<&'a str> {
    attr(element, "content").or_else(|| {
        (element.value().name() == "time")
            .then(|| attr(element, "datetime"))
            .flatten()
    })
}

fn has(element: ElementRef, names: &[&str]) -> bool {
    names.iter().any(|n| element.value().attr(n).is_some())
}

impl Processor<'_> {
    fn add(&mut self, subject: Option<&Term>, predicate: &Term, object: Object) {
        let (Some(subject), Term::Iri(_)) = (subject, predicate) else {
            return;
        };
        let triple = (subject.clone(), predicate.clone(), object);
        if self.seen.insert(triple.clone()) {
            self.triples.push(triple);
        }
    }

    /// `getResource`: the first of `names` present that resolves.
    fn resource(&mut self, element: ElementRef, context: &Context, names: &[&str]) -> Option<Term> {
        names.iter().find_map(|name| {
            let value = attr(element, name)?;
            match *name {
                "about" | "resource" => context.curie_or_uri(value, &mut self.blanks),
                _ => Some(Term::Iri(context.uri(value))),
            }
        })
    }

    /// The document, element by element (an explicit stack: pages may nest 500 deep).
    fn run(&mut self, root: ElementRef<'_>, base: &str) -> Result<(), Exhausted> {
        let mut stack = vec![Step::Enter(Visit {
            element: root,
            parent_object: None,
            context: Rc::new(Context::top(base)),
            hanging: Rc::new(Vec::new()),
            top: true,
        })];
        while let Some(step) = stack.pop() {
            match step {
                Step::Enter(visit) => self.element(visit, &mut stack)?,
                Step::Exit { subject, hanging } => {
                    // The parent's hanging triples are completed by this element's subject.
                    for (s, p, o) in hanging.iter() {
                        let s = s.clone().or_else(|| subject.clone());
                        let o = o.clone().or_else(|| subject.clone());
                        if let Some(o) = o {
                            self.add(s.as_ref(), p, Object::Resource(o));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// pyRdfa's `_parse_1_1` for one element, up to the recursion: its children (and then
    /// the completion of its parent's hanging triples) are pushed on `stack`.
    fn element<'a>(
        &mut self,
        visit: Visit<'a>,
        stack: &mut Vec<Step<'a>>,
    ) -> Result<(), Exhausted> {
        self.budget.check()?;
        let Visit {
            element,
            parent_object,
            context: incoming,
            hanging: parent_hanging,
            top,
        } = visit;
        let parent_object = parent_object.as_ref();
        let context = Rc::new(incoming.enter(element));
        // Empty safe CURIEs (`about="[]"`) are ignored; the root is about the document.
        let pruned_about = attr(element, "about") == Some("[]");
        let pruned_resource = attr(element, "resource") == Some("[]");
        let about = match attr(element, "about") {
            Some("[]") => None,
            Some(about) => Some(about),
            None if top
                && (!has(element, &["resource", "href", "src"])
                    || has(element, &["rel", "rev", "property"])) =>
            {
                Some("")
            }
            None => None,
        };
        let resource_names: &[&str] = if pruned_resource {
            &["href", "src"]
        } else {
            &["resource", "href", "src"]
        };
        let has_resource = !pruned_resource && attr(element, "resource").is_some();
        let rdfa = about.is_some()
            || has_resource
            || has(
                element,
                &[
                    "href", "property", "rel", "rev", "typeof", "src", "vocab", "prefix",
                ],
            );
        let children: Vec<ElementRef> = element.children().filter_map(ElementRef::wrap).collect();
        if !rdfa {
            for child in children.into_iter().rev() {
                stack.push(Step::Enter(Visit {
                    element: child,
                    parent_object: parent_object.cloned(),
                    context: Rc::clone(&context),
                    hanging: Rc::clone(&parent_hanging),
                    top: false,
                }));
            }
            return Ok(());
        }
        let typeof_ = attr(element, "typeof").is_some();
        let about_term =
            |this: &mut Self| about.and_then(|a| context.curie_or_uri(a, &mut this.blanks));
        let mut typed: Option<Term> = None;
        let subject: Option<Term>;
        let mut object: Option<Term>;
        if has(element, &["rel", "rev"]) {
            let mut s = about_term(self);
            if s.is_some() && typeof_ {
                typed = s.clone();
            }
            if s.is_none() {
                s = parent_object.cloned();
            }
            subject = s;
            object = self.resource(element, &context, resource_names);
            if typeof_ && about.is_none() {
                if object.is_none() {
                    object = Some(self.blanks.fresh());
                }
                typed = object.clone();
            }
        } else if attr(element, "property").is_some()
            && content(element).is_none()
            && attr(element, "datatype").is_none()
        {
            let mut s = about_term(self);
            if s.is_some() && typeof_ {
                typed = s.clone();
            }
            if s.is_none() {
                s = parent_object.cloned();
            }
            subject = s;
            if typed.is_none() && typeof_ {
                let t = self
                    .resource(element, &context, resource_names)
                    .unwrap_or_else(|| self.blanks.fresh());
                typed = Some(t.clone());
                object = Some(t);
            } else {
                object = subject.clone();
            }
        } else {
            let mut names: Vec<&str> = Vec::new();
            if about.is_some() {
                names.push("about");
            }
            names.extend_from_slice(resource_names);
            let found = match about {
                Some(a) => context.curie_or_uri(a, &mut self.blanks),
                None => None,
            }
            .or_else(|| self.resource(element, &context, resource_names));
            subject = match found {
                Some(s) => Some(s),
                None if typeof_ => Some(self.blanks.fresh()),
                None => parent_object.cloned(),
            };
            object = subject.clone();
            if typeof_ {
                typed = subject.clone();
            }
        }
        let rdf_type = Term::Iri(RDF_TYPE.to_string());
        for kind in context.terms(attr(element, "typeof"), &mut self.blanks) {
            if typed.is_some() {
                self.add(typed.as_ref(), &rdf_type, Object::Resource(kind));
            }
        }
        let mut hanging: Vec<Hanging> = Vec::new();
        let inlist = attr(element, "inlist").is_some();
        for predicate in context.terms(attr(element, "rel"), &mut self.blanks) {
            if matches!(predicate, Term::Blank(_)) || inlist {
                continue;
            }
            match &object {
                Some(o) => self.add(subject.as_ref(), &predicate, Object::Resource(o.clone())),
                None => hanging.push((subject.clone(), predicate, None)),
            }
        }
        for predicate in context.terms(attr(element, "rev"), &mut self.blanks) {
            if matches!(predicate, Term::Blank(_)) {
                continue;
            }
            match (&object, &subject) {
                (Some(o), Some(s)) => self.add(Some(o), &predicate, Object::Resource(s.clone())),
                (Some(_), None) => {}
                (None, _) => hanging.push((None, predicate, subject.clone())),
            }
        }
        if attr(element, "property").is_some() && !inlist {
            self.property(
                element,
                &context,
                subject.as_ref(),
                typed.as_ref(),
                pruned_about,
                resource_names,
            )?;
        }
        let to_children = object.clone().unwrap_or_else(|| self.blanks.fresh());
        stack.push(Step::Exit {
            subject,
            hanging: parent_hanging,
        });
        let hanging = Rc::new(hanging);
        for child in children.into_iter().rev() {
            stack.push(Step::Enter(Visit {
                element: child,
                parent_object: Some(to_children.clone()),
                context: Rc::clone(&context),
                hanging: Rc::clone(&hanging),
                top: false,
            }));
        }
        Ok(())
    }

    /// pyRdfa's `generate_1_1`: the value of `property`.
    fn property(
        &mut self,
        element: ElementRef,
        context: &Context,
        subject: Option<&Term>,
        typed: Option<&Term>,
        pruned_about: bool,
        resource_names: &[&str],
    ) -> Result<(), Exhausted> {
        let no_iri = content(element).is_some() || has(element, &["datatype", "rel", "rev"]);
        let datatype = attr(element, "datatype")
            .filter(|d| !d.is_empty())
            .and_then(|d| context.term_or_curie(d, &mut self.blanks));
        let value = if has(element, resource_names) && !no_iri {
            self.resource(element, context, resource_names)
                .map(Object::Resource)
        } else if attr(element, "typeof").is_some()
            && !no_iri
            && attr(element, "about").is_none()
            && !pruned_about
            && typed.is_some()
        {
            typed.cloned().map(Object::Resource)
        } else if let Some(content) = content(element) {
            Some(Object::Literal(typed_literal(content, datatype.as_ref())))
        } else {
            let markup = datatype.as_ref().is_some_and(|d| {
                [XML_LITERAL, HTML_LITERAL]
                    .iter()
                    .any(|m| *d == Term::Iri(m.to_string()))
            });
            if markup {
                Some(Object::Literal(element.inner_html()))
            } else {
                let text = self.literal(element)?;
                Some(Object::Literal(typed_literal(&text, datatype.as_ref())))
            }
        };
        let Some(value) = value else {
            return Ok(());
        };
        for predicate in context.terms(attr(element, "property"), &mut self.blanks) {
            if matches!(predicate, Term::Blank(_)) {
                continue;
            }
            self.add(subject, &predicate, value.clone());
        }
        Ok(())
    }

    /// All the text under `element`, comments and scripts included, as pyRdfa collects it.
    fn literal(&mut self, element: ElementRef) -> Result<String, Exhausted> {
        let mut out = String::new();
        for node in element.descendants() {
            self.budget.check()?;
            match node.value() {
                Node::Text(text) => out.push_str(text),
                Node::Comment(comment) => out.push_str(comment),
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::html::{PageEvent, schema};

    fn events(html: &str) -> Vec<PageEvent> {
        let page = Html::parse_document(html);
        let graph = graph(
            &page,
            "https://ex.gc.ca/en/page.html",
            &mut Budget::unlimited(),
        )
        .unwrap();
        schema::events(&graph, &mut Budget::unlimited())
    }

    #[test]
    fn vocab_typeof_property_and_nested_places() {
        let found = events(
            r#"<body vocab="https://schema.org/" typeof="WebPage">
            <main property="mainContentOfPage" typeof="WebPageElement"><h1 property="name">Events</h1>
            <div typeof="Event"><h2 property="name">Town <b>hall</b></h2>
              <time property="startDate" datetime="2026-03-12T13:00-04:00">March 12</time>
              <meta property="endDate" content="2026-03-12T14:00-04:00">
              <a property="url" href="/en/town-hall.html">Details</a>
              <div property="location" typeof="Place"><span property="name">Room 1</span></div>
              <link property="eventStatus" href="https://schema.org/EventCancelled">
            </div></main></body>"#,
        );
        assert_eq!(found.len(), 1);
        let e = &found[0];
        assert_eq!(e.name.as_deref(), Some("Town hall"));
        assert_eq!(
            e.start.as_deref(),
            Some("2026-03-12T13:00-04:00"),
            "HTML+RDFa reads a <time>'s datetime"
        );
        assert_eq!(e.end.as_deref(), Some("2026-03-12T14:00-04:00"));
        assert_eq!(e.url.as_deref(), Some("https://ex.gc.ca/en/town-hall.html"));
        assert_eq!(e.location_name.as_deref(), Some("Room 1"));
        assert_eq!(
            e.status.as_deref(),
            Some("https://schema.org/EventCancelled")
        );
    }

    #[test]
    fn prefixes_resources_and_merged_subjects() {
        let found = events(
            r##"<div prefix="sdo: https://schema.org/">
            <div typeof="schema:BusinessEvent" resource="#forum">
              <span property="schema:name">Forum</span>
              <span rel="schema:eventStatus" resource="schema:EventRescheduled"></span>
              <div rel="schema:location"><div typeof="schema:Place"><span property="schema:name">Hall</span></div></div>
            </div>
            <p about="#forum"><span property="schema:startDate" content="2026-05-01T09:00"></span></p>
            <div typeof="sdo:Event"><a href="/x" property="sdo:name">Linked name</a>
              <span property="sdo:startDate">2026-05-02</span></div>
            <div vocab="https://schema.org" typeof="Event"><span property="name">No vocabulary slash</span></div>
            </div>"##,
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        let e = &found[0];
        assert_eq!(e.name.as_deref(), Some("Forum"));
        assert_eq!(e.start.as_deref(), Some("2026-05-01T09:00"));
        assert_eq!(
            e.status.as_deref(),
            Some("http://schema.org/EventRescheduled")
        );
        assert_eq!(e.location_name.as_deref(), Some("Hall"));
        assert_eq!(e.id.as_deref(), Some("https://ex.gc.ca/en/page.html#forum"));
    }
}
