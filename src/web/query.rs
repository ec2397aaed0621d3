//! The query string of a listing or feed: repeatable `source`, `tag` and `department`
//! filters, `limit`, `lang`, `q`, `from`/`to` and `page`. Unknown parameters are ignored
//! (readers add their own); lists are sorted and `from`/`to` written one way for one
//! instant, so the canonical form names a view whatever order or spelling asked for it.

use actix_web::HttpRequest;
use url::form_urlencoded;

use super::WebError;
use super::error::Problem;
use crate::i18n::Lang;
use crate::store::PostFilter;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewQuery {
    pub sources: Vec<String>,
    pub tags: Vec<String>,
    pub departments: Vec<String>,
    pub limit: Option<u32>,
    pub lang: Option<Lang>,
    /// Free text (`q`).
    pub text: Option<String>,
    /// `from` and `to`: a date (`2026-11-01`, midnight in the display zone) or an RFC 3339 time.
    pub from: Option<String>,
    pub to: Option<String>,
    /// 1-based page of a listing.
    pub page: Option<u32>,
}

impl ViewQuery {
    /// The query of `req`, with times written canonically for `zone`; a bad value is a
    /// 400 that names the parameter.
    pub fn read(req: &HttpRequest, zone: chrono_tz::Tz) -> Result<ViewQuery, WebError> {
        let mut query =
            ViewQuery::parse(req.query_string()).map_err(|p| WebError::bad_request(req, p))?;
        query.normalise_times(zone);
        Ok(query)
    }

    /// `from` and `to` as one spelling per instant: a date when the time is midnight in
    /// `zone` (what a date means), else the UTC time (`2026-11-01T13:30:00Z`).
    pub fn normalise_times(&mut self, zone: chrono_tz::Tz) {
        for value in [&mut self.from, &mut self.to].into_iter().flatten() {
            if let Some(at) = parse_when(value, zone) {
                let local = at.with_timezone(&zone);
                let midnight = parse_when(&local.format("%Y-%m-%d").to_string(), zone);
                *value = if midnight == Some(at) {
                    local.format("%Y-%m-%d").to_string()
                } else {
                    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                };
            }
        }
    }

    /// Whether the view is cut by a time the client chose (so there are endless variants).
    pub fn has_window(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    pub fn parse(query: &str) -> Result<ViewQuery, Problem> {
        let mut view = ViewQuery::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim().to_string();
            if value.is_empty() {
                continue;
            }
            match key.as_ref() {
                "source" => view.sources.push(value),
                "tag" => view.tags.push(value),
                "department" => view.departments.push(value),
                "limit" => {
                    let limit: u32 = value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        Problem::new(
                            format!("limit: `{value}` is not a whole number of 1 or more"),
                            format!("limit : « {value} » n’est pas un nombre entier d’au moins 1"),
                        )
                    })?;
                    view.limit = Some(limit.min(MAX_LIMIT));
                }
                "lang" => view.lang = Lang::from_code(&value),
                "q" => view.text = Some(value),
                "page" => {
                    let page: u32 = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=10_000).contains(n))
                        .ok_or_else(|| {
                            Problem::new(
                                format!("page: `{value}` is not a page number (1 to 10000)"),
                                format!(
                                    "page : « {value} » n’est pas un numéro de page (1 à 10000)"
                                ),
                            )
                        })?;
                    view.page = Some(page);
                }
                "from" | "to" => {
                    if parse_when(&value, chrono_tz::UTC).is_none() {
                        return Err(Problem::new(
                            format!(
                                "{key}: `{value}` is not a date like 2026-11-01 or a time like 2026-11-01T09:00:00-05:00"
                            ),
                            format!(
                                "{key} : « {value} » n’est ni une date comme 2026-11-01 ni une heure comme 2026-11-01T09:00:00-05:00"
                            ),
                        ));
                    }
                    if key == "from" {
                        view.from = Some(value);
                    } else {
                        view.to = Some(value);
                    }
                }
                _ => {}
            }
        }
        for list in [&mut view.sources, &mut view.tags, &mut view.departments] {
            list.sort();
            list.dedup();
        }
        Ok(view)
    }

    pub fn filter(&self) -> PostFilter {
        PostFilter {
            sources: self.sources.clone(),
            tags: self.tags.clone(),
            departments: self.departments.clone(),
            text: self.text.clone(),
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
            ..PostFilter::default()
        }
    }

    /// The filters (not limit or language) as a canonical query string, empty when none.
    pub fn filter_query(&self) -> String {
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
        for (key, value) in [("q", &self.text), ("from", &self.from), ("to", &self.to)] {
            if let Some(value) = value {
                out.append_pair(key, value);
            }
        }
        out.finish()
    }

    /// The filters plus limit and language, canonical: the cache key of a view.
    pub fn canonical(&self) -> String {
        let mut query = self.filter_query();
        let mut extra = form_urlencoded::Serializer::new(String::new());
        if let Some(limit) = self.limit {
            extra.append_pair("limit", &limit.to_string());
        }
        if let Some(lang) = self.lang {
            extra.append_pair("lang", lang.code());
        }
        let extra = extra.finish();
        if !extra.is_empty() {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&extra);
        }
        query
    }

    /// Active filters as (catalogue key, value) for pages and feed titles, in `lang` (a
    /// department named in both languages is named in the reader's).
    pub fn described(&self, lang: Lang) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        out.extend(self.sources.iter().map(|v| ("filter.source", v.clone())));
        out.extend(self.tags.iter().map(|v| ("filter.tag", v.clone())));
        out.extend(self.departments.iter().map(|v| {
            (
                "filter.department",
                crate::render::html::department_name(lang, v).to_string(),
            )
        }));
        out.extend(self.text.iter().map(|v| ("filter.text", v.clone())));
        out.extend(self.from.iter().map(|v| ("filter.from", v.clone())));
        out.extend(self.to.iter().map(|v| ("filter.to", v.clone())));
        out
    }

    /// The event filter of this view; `default_from` applies when `from` is absent.
    pub fn event_filter(
        &self,
        zone: chrono_tz::Tz,
        default_from: Option<chrono::DateTime<chrono::Utc>>,
        limit: u32,
    ) -> crate::store::EventFilter {
        crate::store::EventFilter {
            sources: self.sources.clone(),
            tags: self.tags.clone(),
            departments: self.departments.clone(),
            from: self
                .from
                .as_deref()
                .and_then(|f| parse_when(f, zone))
                .or(default_from),
            to: self.to.as_deref().and_then(|t| parse_when(t, zone)),
            text: self.text.clone(),
            uid: None,
            descending: false,
            retired: false,
            offset: 0,
            limit: self.limit.unwrap_or(limit),
        }
    }
}

/// A date (midnight in `zone`) or an RFC 3339 time.
pub fn parse_when(text: &str, zone: chrono_tz::Tz) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&chrono::Utc));
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(crate::normalise::zones::local_to_utc(
        date.and_hms_opt(0, 0, 0)?,
        zone,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_filters_are_collected_and_canonical() {
        let q =
            ViewQuery::parse("tag=b&tag=a&department=Health%20Canada&limit=10&utm_source=x&tag=a")
                .unwrap();
        assert_eq!(q.tags, ["a", "b"]);
        assert_eq!(
            q.canonical(),
            "tag=a&tag=b&department=Health+Canada&limit=10"
        );
        assert_eq!(q.filter().limit, 10);
    }

    #[test]
    fn one_instant_is_one_spelling() {
        let zone = chrono_tz::America::Toronto;
        let canonical = |q: &str| {
            let mut view = ViewQuery::parse(q).unwrap();
            view.normalise_times(zone);
            view.canonical()
        };
        assert_eq!(
            canonical("from=2026-11-01"),
            canonical("from=2026-11-01T00:00:00-04:00")
        );
        assert_eq!(
            canonical("from=2026-11-01T04:00:00Z&utm=x"),
            "from=2026-11-01"
        );
        assert_eq!(
            canonical("to=2026-11-01T09:30:00-04:00"),
            canonical("to=2026-11-01T13:30:00Z")
        );
        assert_eq!(
            canonical("to=2026-11-01T13:30:00Z"),
            "to=2026-11-01T13%3A30%3A00Z"
        );
    }

    #[test]
    fn limit_is_checked_and_capped() {
        assert!(ViewQuery::parse("limit=abc").is_err());
        assert!(ViewQuery::parse("limit=0").is_err());
        assert_eq!(
            ViewQuery::parse("limit=100000").unwrap().limit,
            Some(MAX_LIMIT)
        );
        assert_eq!(ViewQuery::parse("").unwrap().filter().limit, DEFAULT_LIMIT);
    }
}
