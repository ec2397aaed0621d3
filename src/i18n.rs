//! The two languages of every page, English and French: one catalogue of strings per
//! language (`i18n/en.toml`, `i18n/fr.toml`, compiled in) and the choice of language from
//! a request's explicit choice or its Accept-Language. Dates and times are written by
//! `render::dates`, in the deployment's style.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language Bulletin speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
}

static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load(include_str!("../i18n/en.toml")));
static FR: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load(include_str!("../i18n/fr.toml")));

fn load(text: &str) -> HashMap<String, String> {
    toml::from_str(text).expect("the compiled-in catalogue is valid TOML of strings")
}

impl Lang {
    /// The BCP 47 code, for `lang` attributes and feeds.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The other official language: error summaries say what was wrong in both.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Fr,
            Lang::Fr => Lang::En,
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("en") => Some(Lang::En),
            Some("fr") => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The language preferred by an Accept-Language header (highest q first), English
    /// when it names neither of ours.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Lang::En;
        };
        let mut best: Option<(f32, usize, Lang)> = None;
        for (position, part) in header.split(',').enumerate() {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or_default().trim();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let Some(lang) = Lang::from_code(tag) else {
                continue;
            };
            if quality <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((q, p, _)) => quality > q || (quality == q && position < p),
            };
            if better {
                best = Some((quality, position, lang));
            }
        }
        best.map_or(Lang::En, |(_, _, lang)| lang)
    }

    /// The string for `key`; a missing key shows as itself (and a test catches it).
    pub fn t(self, key: &str) -> &'static str {
        let catalogue: &'static HashMap<String, String> = match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        };
        catalogue.get(key).map(String::as_str).unwrap_or_else(|| {
            tracing::warn!(key, lang = self.code(), "missing translation");
            ""
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys() {
        let mut en: Vec<_> = EN.keys().collect();
        let mut fr: Vec<_> = FR.keys().collect();
        en.sort();
        fr.sort();
        assert_eq!(en, fr);
        assert!(FR.values().all(|v| !v.is_empty()));
    }

    #[test]
    fn accept_language_is_negotiated_by_quality() {
        assert_eq!(Lang::negotiate(Some("fr-CA,fr;q=0.9,en;q=0.8")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("de-DE,en;q=0.5,fr;q=0.7")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("en-GB")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
    }

    /// Every key a template or the code asks for by name is in both catalogues.
    #[test]
    fn every_key_asked_for_is_translated() {
        let asked = regex::Regex::new(r#"\bt\("([a-z_]+(?:\.[a-z_]+)+)"\)"#).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("templates"), root.join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        let mut missing = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for found in asked.captures_iter(&text) {
                let key = &found[1];
                if !EN.contains_key(key) || !FR.contains_key(key) {
                    missing.push(format!("{}: {key}", file.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "untranslated keys:\n{}",
            missing.join("\n")
        );
    }
}
