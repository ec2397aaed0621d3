//! The schema.org graph that JSON-LD, microdata and RDFa are each read into: items with
//! types, an id and properties, whose values are text, links, nested items or references
//! to items by id. What "a string value", "a link", "a nested item" and "non-empty" mean
//! differs a little between the syntaxes as extruct renders them (a JSON-LD
//! `{"@value": …}` is text but no link, an RDFa literal is both); each syntax's builder
//! decides that per value, once, in [`Value`]. [`events`] then reads every syntax alike.

mod events;
mod place;

pub use events::events;

/// The syntax a graph was read from: it decides the few rules that differ (JSON-LD text is
/// raw script text and is HTML-unescaped once; RDFa values form a set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    JsonLd,
    Microdata,
    Rdfa,
}

/// Every item of one syntax on a page, in the reader's order (document order, nested
/// items after the item holding them).
#[derive(Debug, Clone)]
pub struct Graph {
    pub syntax: Syntax,
    pub items: Vec<Item>,
}

impl Graph {
    pub fn empty(syntax: Syntax) -> Graph {
        Graph {
            syntax,
            items: Vec::new(),
        }
    }
}

/// One item (a JSON-LD object, a microdata `itemscope`, an RDFa subject).
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// Types as written: `https://schema.org/Event`, `schema:Event`, `Event`.
    pub types: Vec<String>,
    /// `@id`, `itemid`, or the RDFa subject's IRI.
    pub id: Option<String>,
    /// Properties by name as written (a full IRI in RDFa), in the order names first
    /// appear, each with all its values.
    pub properties: Vec<(String, Vec<Value>)>,
}

/// One property value, with what each rule may take from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Value {
    /// The value as a string (names, dates, addresses).
    pub text: Option<String>,
    /// The value as a link (urls, statuses).
    pub link: Option<String>,
    /// The item it is or refers to, as an index into [`Graph::items`] (a reference that
    /// names no item on the page is `None`).
    pub item: Option<usize>,
    /// Whether it counts as a value at all for `subEvent` (rule 6).
    pub nonempty: bool,
    /// RDFa's sort key: the literal, else the referenced id.
    pub lexical: String,
}

impl Value {
    /// A plain string: text and link at once (microdata, RDFa literals, JSON-LD strings).
    pub fn string(text: &str) -> Value {
        Value {
            text: Some(text.to_string()),
            link: Some(text.to_string()),
            item: None,
            nonempty: !text.trim_matches(char::is_whitespace).is_empty(),
            lexical: text.to_string(),
        }
    }
}

/// Event and all its subtypes in schema.org 30.0 "current".
const EVENT_TYPES: &[&str] = &[
    "Event",
    "BroadcastEvent",
    "BusinessEvent",
    "ChildrensEvent",
    "ComedyEvent",
    "ConferenceEvent",
    "CourseInstance",
    "DanceEvent",
    "DeliveryEvent",
    "EducationEvent",
    "EventSeries",
    "ExhibitionEvent",
    "Festival",
    "FoodEvent",
    "Hackathon",
    "LiteraryEvent",
    "MusicEvent",
    "OnDemandEvent",
    "PerformingArtsEvent",
    "PublicationEvent",
    "SaleEvent",
    "ScreeningEvent",
    "SocialEvent",
    "SportsEvent",
    "TheaterEvent",
    "UserBlocks",
    "UserCheckins",
    "UserComments",
    "UserDownloads",
    "UserInteraction",
    "UserLikes",
    "UserPageVisits",
    "UserPlays",
    "UserPlusOnes",
    "UserTweets",
    "VisualArtsEvent",
];

/// A schema.org term without its vocabulary: `http://schema.org/X`, `https://schema.org/X`
/// and `schema:X` all mean `X`; anything else stays as it is.
pub fn local_name(term: &str) -> &str {
    ["http://schema.org/", "https://schema.org/", "schema:"]
        .iter()
        .find_map(|prefix| term.strip_prefix(prefix))
        .unwrap_or(term)
}

/// Whether one of `types` is Event or one of its subtypes (exact, case-sensitive).
pub fn is_event_type(types: &[String]) -> bool {
    types.iter().any(|t| EVENT_TYPES.contains(&local_name(t)))
}

impl Graph {
    /// All values of property `name` (its local name, any spelling of the key), in order;
    /// in RDFa, where order means nothing, sorted by their lexical form.
    pub fn values<'g>(&'g self, item: &'g Item, name: &str) -> Vec<&'g Value> {
        let mut out: Vec<&Value> = item
            .properties
            .iter()
            .filter(|(key, _)| !key.starts_with('@') && local_name(key) == name)
            .flat_map(|(_, values)| values.iter())
            .collect();
        if self.syntax == Syntax::Rdfa {
            out.sort_by(|a, b| a.lexical.cmp(&b.lexical));
        }
        out
    }

    /// The first value of `name` that is a string (it may be blank).
    pub fn first_text<'g>(&'g self, item: &'g Item, name: &str) -> Option<&'g str> {
        self.values(item, name)
            .into_iter()
            .find_map(|v| v.text.as_deref())
    }

    /// The first value of `name` that is a link.
    pub fn first_link<'g>(&'g self, item: &'g Item, name: &str) -> Option<&'g str> {
        self.values(item, name)
            .into_iter()
            .find_map(|v| v.link.as_deref())
    }

    /// The item a value is or refers to.
    pub fn item_of(&self, value: &Value) -> Option<&Item> {
        value.item.and_then(|i| self.items.get(i))
    }

    /// Text as the rules compare it: JSON-LD strings unescaped once, then white space
    /// collapsed.
    pub fn clean(&self, text: &str) -> String {
        match self.syntax {
            Syntax::JsonLd => super::collapse(&super::text::unescape(text)),
            _ => super::collapse(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_by_local_name() {
        let t = |s: &str| vec![s.to_string()];
        assert!(is_event_type(&t("https://schema.org/EducationEvent")));
        assert!(is_event_type(&t("schema:Festival")));
        assert!(is_event_type(&t("Event")));
        assert!(!is_event_type(&t("https://schema.orgEvent")));
        assert!(!is_event_type(&t("event")));
        assert!(!is_event_type(&t("WebPageElement")));
        assert_eq!(local_name("http://schema.org/name"), "name");
    }
}
