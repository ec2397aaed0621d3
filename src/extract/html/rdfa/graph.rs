//! Triples grouped into the schema.org graph: one item per subject, in the order subjects
//! first appear, its `rdf:type`s as types and every other predicate as a property (a full
//! IRI) whose values are literals or references to other subjects.

use std::collections::HashMap;

use super::terms::Term;
use super::{Object, RDF_TYPE};
use crate::extract::html::schema::{Graph, Item, Syntax, Value};

/// One item per subject, in the order subjects first appear.
pub fn group(triples: Vec<(Term, Term, Object)>) -> Graph {
    let name = |term: &Term| match term {
        Term::Iri(iri) => iri.clone(),
        Term::Blank(n) => format!("_:b{n}"),
    };
    let mut index: HashMap<Term, usize> = HashMap::new();
    let mut items: Vec<Item> = Vec::new();
    for (subject, _, _) in &triples {
        index.entry(subject.clone()).or_insert_with(|| {
            items.push(Item {
                id: Some(name(subject)),
                ..Item::default()
            });
            items.len() - 1
        });
    }
    for (subject, predicate, object) in triples {
        let item = &mut items[index[&subject]];
        let predicate = name(&predicate);
        if predicate == RDF_TYPE
            && let Object::Resource(kind) = &object
        {
            item.types.push(name(kind));
            continue;
        }
        let value = match object {
            Object::Literal(text) => Value::string(&text),
            Object::Resource(term) => Value {
                lexical: name(&term),
                link: Some(name(&term)),
                item: index.get(&term).copied(),
                nonempty: true,
                text: None,
            },
        };
        match item.properties.iter_mut().find(|(p, _)| *p == predicate) {
            Some((_, values)) => values.push(value),
            None => item.properties.push((predicate, vec![value])),
        }
    }
    Graph {
        syntax: Syntax::Rdfa,
        items,
    }
}
