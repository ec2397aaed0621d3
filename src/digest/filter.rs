//! A subscription's filters: the listing's department, tag, source and search, as one
//! canonical query string (what the store keeps and the administrator counts by), and the
//! store filters of a digest week made from them.

use url::form_urlencoded;

use super::week::Week;
use crate::store::{EventFilter, PostFilter};

/// The listing's filters a digest keeps (dates aside: the week is the digest's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    pub sources: Vec<String>,
    pub tags: Vec<String>,
    pub departments: Vec<String>,
    pub text: Option<String>,
}

impl Filter {
    /// From a query string; other parameters are ignored, lists sorted.
    pub fn parse(query: &str) -> Filter {
        let mut filter = Filter::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim().to_string();
            if value.is_empty() || value.chars().count() > 200 {
                continue;
            }
            match key.as_ref() {
                "source" => filter.sources.push(value),
                "tag" => filter.tags.push(value),
                "department" => filter.departments.push(value),
                "q" => filter.text = Some(value),
                _ => {}
            }
        }
        filter.normalise();
        filter
    }

    /// Lists sorted and without repeats, so one set of filters has one spelling.
    pub fn normalise(&mut self) {
        for list in [&mut self.sources, &mut self.tags, &mut self.departments] {
            list.sort();
            list.dedup();
            list.truncate(20);
        }
    }

    /// The canonical query string (empty for no filter), as the listing writes it.
    pub fn to_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, values) in [
            ("source", &self.sources),
            ("tag", &self.tags),
            ("department", &self.departments),
        ] {
            for value in values {
                out.append_pair(key, value);
            }
        }
        if let Some(text) = &self.text {
            out.append_pair("q", text);
        }
        out.finish()
    }

    /// The events of `week`, at most `limit`.
    pub fn events(&self, week: &Week, limit: u32) -> EventFilter {
        EventFilter {
            sources: self.sources.clone(),
            tags: self.tags.clone(),
            departments: self.departments.clone(),
            from: Some(week.start),
            to: Some(week.end),
            text: self.text.clone(),
            limit,
            ..EventFilter::default()
        }
    }

    /// Events still to come from the start of `week`, whenever they are (for changes).
    pub fn upcoming(&self, week: &Week) -> EventFilter {
        EventFilter {
            to: None,
            limit: 1,
            ..self.events(week, 1)
        }
    }

    /// The posts new since the previous digest, at most `limit`.
    pub fn posts(&self, week: &Week, limit: u32) -> PostFilter {
        PostFilter {
            sources: self.sources.clone(),
            tags: self.tags.clone(),
            departments: self.departments.clone(),
            text: self.text.clone(),
            since: Some(week.news_since()),
            before: Some(week.send_at),
            limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_per_filter() {
        let a =
            Filter::parse("tag=b&tag=a&lang=fr&department=Health+Canada&page=2&from=2027-01-01");
        let b = Filter::parse("department=Health%20Canada&tag=a&tag=b&tag=a");
        assert_eq!(a, b);
        assert_eq!(a.to_query(), "tag=a&tag=b&department=Health+Canada");
        assert_eq!(Filter::parse(&a.to_query()), a);
        assert_eq!(Filter::parse("").to_query(), "");
    }
}
