//! Class names as the microformats2 parsing rules read them (mf2py 2.0.2): `h-*` roots,
//! `p-*`/`u-*`/`dt-*`/`e-*` properties, and the classic (microformats 1) roots with the
//! backcompat rules that give their properties mf2 names — mf2py's `backcompat-rules`
//! tables for vevent, vcard, adr, geo, hentry, hfeed, hproduct, hrecipe, hresume, hreview
//! and hreview-aggregate, quirks included. `rel=tag` → `p-category` is not applied (no
//! event rule reads categories from it).

use std::sync::LazyLock;

use regex::Regex;

static MF2_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(p|e|u|dt|h)-((:?[a-z0-9]+-)?[a-z]+(:?-[a-z]+)*)$").expect("static regex")
});
static PROPERTY_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(p|e|u|dt)-(:?[a-z0-9]+-)?[a-z]+(:?-[a-z]+)*$").expect("static regex")
});

/// An element's mf2 classes by kind (sorted, distinct).
#[derive(Debug, Default)]
pub struct Classes {
    pub roots: Vec<String>,
    pub p: Vec<String>,
    pub u: Vec<String>,
    pub dt: Vec<String>,
    pub e: Vec<String>,
}

/// mf2py's `filter_classes`: property names (without prefix) and `h-*` roots.
pub fn filter(classes: &[String]) -> Classes {
    let mut out = Classes::default();
    for class in classes {
        let Some(found) = MF2_CLASS.captures(class) else {
            continue;
        };
        let name = found[2].to_string();
        let list = match &found[1] {
            "h" => {
                out.roots.push(class.clone());
                continue;
            }
            "p" => &mut out.p,
            "u" => &mut out.u,
            "dt" => &mut out.dt,
            _ => &mut out.e,
        };
        list.push(name);
    }
    for list in [
        &mut out.roots,
        &mut out.p,
        &mut out.u,
        &mut out.dt,
        &mut out.e,
    ] {
        list.sort();
        list.dedup();
    }
    out
}

/// The element's `h-*` roots.
pub fn roots(classes: &[String]) -> Vec<String> {
    filter(classes).roots
}

pub fn is_property(class: &str) -> bool {
    PROPERTY_CLASS.is_match(class)
}

/// One classic root: the mf2 types it stands for, the class rules (all of these classes →
/// add those) and rel rules (all of these rel values → add those classes).
pub struct Classic {
    pub name: &'static str,
    pub types: &'static [&'static str],
    pub classes: &'static [(&'static str, &'static [&'static str])],
    pub rels: &'static [(&'static str, &'static [&'static str])],
}

pub const CLASSIC: &[Classic] = &[
    Classic {
        name: "adr",
        types: &["h-adr"],
        classes: &[
            ("locality", &["p-locality"]),
            ("region", &["p-region"]),
            ("extended-address", &["p-extended-address"]),
            ("post-office-box", &["p-post-office-box"]),
            ("street-address", &["p-street-address"]),
            ("postal-code", &["p-postal-code"]),
            ("country-name", &["p-country-name"]),
        ],
        rels: &[],
    },
    Classic {
        name: "geo",
        types: &["h-geo"],
        classes: &[
            ("latitude", &["p-latitude"]),
            ("longitude", &["p-longitude"]),
        ],
        rels: &[],
    },
    Classic {
        name: "hentry",
        types: &["h-entry"],
        classes: &[
            ("category", &["p-category"]),
            ("entry-title", &["p-name"]),
            ("published", &["dt-published"]),
            ("entry-content", &["e-content"]),
            ("entry-summary", &["p-summary"]),
            ("author", &["p-author", "h-card"]),
            ("geo", &["p-geo", "h-geo"]),
            ("updated", &["dt-updated"]),
        ],
        rels: &[("bookmark", &["u-url"])],
    },
    Classic {
        name: "hfeed",
        types: &["h-feed"],
        classes: &[
            ("category", &["p-category"]),
            ("site-description", &["p-summary"]),
            ("description", &["p-summary"]),
            ("site-title", &["p-name"]),
            ("title", &["p-name"]),
        ],
        rels: &[],
    },
    Classic {
        name: "hproduct",
        types: &["h-product"],
        classes: &[
            ("category", &["p-category"]),
            ("price", &["p-price"]),
            ("description", &["p-description"]),
            ("url", &["u-url"]),
            ("photo", &["u-photo"]),
            ("brand", &["p-brand"]),
            ("identifier", &["u-identifier"]),
            ("review", &["p-review", "h-review"]),
            ("fn", &["p-name"]),
        ],
        rels: &[],
    },
    Classic {
        name: "hrecipe",
        types: &["h-recipe"],
        classes: &[
            ("nutrition", &["p-nutrition"]),
            ("yield", &["p-yield"]),
            ("author", &["p-author", "h-card"]),
            ("duration", &["dt-duration"]),
            ("photo", &["u-photo"]),
            ("instructions", &["e-instructions"]),
            ("summary", &["p-summary"]),
            ("fn", &["p-name"]),
            ("ingredient", &["p-ingredient"]),
            ("category", &["p-category"]),
        ],
        rels: &[],
    },
    Classic {
        name: "hresume",
        types: &["h-resume"],
        classes: &[
            ("experience", &["h-event", "p-experience"]),
            ("summary", &["p-summary"]),
            ("affiliation", &["p-affiliation", "h-card"]),
            ("contact", &["h-card", "p-contact"]),
            ("skill", &["p-skill"]),
            ("education", &["h-event", "p-education"]),
        ],
        rels: &[],
    },
    Classic {
        name: "hreview",
        types: &["h-review"],
        classes: &[
            ("rating", &["p-rating"]),
            ("worst", &["p-worst"]),
            ("dtreviewed", &["dt-reviewed"]),
            ("reviewer", &["p-author", "h-card"]),
            ("url", &["p-item", "h-item", "u-url"]),
            ("photo", &["p-item", "h-item", "u-photo"]),
            ("best", &["p-best"]),
            ("description", &["p-description"]),
            ("fn", &["p-item", "h-item", "p-name"]),
            ("summary", &["p-name"]),
            ("item vcard", &["p-item", "vcard"]),
            ("item vevent", &["p-item", "vevent"]),
            ("item hproduct", &["p-item", "hproduct"]),
        ],
        rels: &[("self bookmark", &["u-url"])],
    },
    Classic {
        name: "hreview-aggregate",
        types: &["h-review-aggregate"],
        classes: &[
            ("rating", &["p-rating"]),
            ("description", &["p-description"]),
            ("photo", &["u-photo"]),
            ("worst", &["p-worst"]),
            ("reviewer", &["p-reviewer", "p-author", "h-card"]),
            ("best", &["p-best"]),
            ("count", &["p-count"]),
            ("votes", &["p-votes"]),
            ("dtreviewed", &["dt-reviewed"]),
            ("url", &["u-url"]),
            ("summary", &["p-name"]),
            ("fn", &["p-item", "h-item", "p-name"]),
        ],
        rels: &[],
    },
    Classic {
        name: "vcard",
        types: &["h-card"],
        classes: &[
            ("tel", &["p-tel"]),
            ("honorific-suffix", &["p-honorific-suffix"]),
            ("family-name", &["p-family-name"]),
            ("photo", &["u-photo"]),
            ("logo", &["u-logo"]),
            ("postal-code", &["p-postal-code"]),
            ("country-name", &["p-country-name"]),
            ("uid", &["u-uid"]),
            ("category", &["p-category"]),
            ("adr", &["p-adr", "h-adr"]),
            ("locality", &["p-locality"]),
            ("nickname", &["p-nickname"]),
            ("label", &["p-label"]),
            ("note", &["p-note"]),
            ("street-address", &["p-street-address"]),
            ("latitude", &["p-latitude"]),
            ("email", &["u-email"]),
            ("bday", &["dt-bday"]),
            ("extended-address", &["p-extended-address"]),
            ("additional-name", &["p-additional-name"]),
            ("organization-unit", &["p-organization-unit"]),
            ("given-name", &["p-given-name"]),
            ("key", &["u-key"]),
            ("org", &["p-org"]),
            ("honorific-prefix", &["p-honorific-prefix"]),
            ("geo", &["p-geo", "h-geo"]),
            ("fn", &["p-name"]),
            ("url", &["u-url"]),
            ("region", &["p-region"]),
            ("longitude", &["p-longitude"]),
            ("organization-name", &["p-organization-name"]),
            ("title", &["p-job-title"]),
            ("role", &["p-role"]),
        ],
        rels: &[],
    },
    Classic {
        name: "vevent",
        types: &["h-event"],
        classes: &[
            ("attendee", &["p-attendee"]),
            ("description", &["p-description"]),
            ("duration", &["dt-duration"]),
            ("dtend", &["dt-end"]),
            ("dtstart", &["dt-start"]),
            // One class name with a space in mf2py's table: it matches nothing, so a vevent's
            // `geo` stays a classic root (a child, not the location).
            ("geo", &["p-location h-geo"]),
            ("organizer", &["p-organizer"]),
            ("category", &["p-category"]),
            ("url", &["u-url"]),
            ("summary", &["p-name"]),
            ("contact", &["p-contact"]),
            ("location", &["p-location"]),
        ],
        rels: &[],
    },
];

/// The element's classic roots, sorted.
pub fn classic_roots(classes: &[String]) -> Vec<&'static Classic> {
    let mut found: Vec<&Classic> = CLASSIC
        .iter()
        .filter(|c| classes.iter().any(|class| class == c.name))
        .collect();
    found.sort_by_key(|c| c.name);
    found
}

/// The classes one element of a classic root's tree gets: its mf2 property classes
/// dropped, then each rule whose classes (or rel values) it all has adds its own.
pub fn rewrite(classes: &[String], rels: &[&str], roots: &[&Classic]) -> Vec<String> {
    let mut out: Vec<String> = classes
        .iter()
        .filter(|c| !is_property(c))
        .cloned()
        .collect();
    for root in roots {
        for (old, new) in root.classes {
            if old.split(' ').all(|o| out.iter().any(|c| c == o)) {
                for class in *new {
                    if !out.iter().any(|c| c == class) {
                        out.push(class.to_string());
                    }
                }
            }
        }
        for (old, new) in root.rels {
            if old.split(' ').all(|o| rels.contains(&o)) {
                for class in *new {
                    if !out.iter().any(|c| c == class) {
                        out.push(class.to_string());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mf2_classes_and_backcompat_rules() {
        let c = filter(&strings(&[
            "h-event",
            "p-name",
            "p-x-next-event",
            "dt-start",
            "value",
            "P-bad",
        ]));
        assert_eq!(c.roots, ["h-event"]);
        assert_eq!(c.p, ["name", "x-next-event"]);
        assert_eq!(c.dt, ["start"]);
        let vevent = classic_roots(&strings(&["vevent", "x"]));
        assert_eq!(vevent.len(), 1);
        assert_eq!(
            rewrite(&strings(&["location", "vcard", "p-old"]), &[], &vevent),
            ["location", "vcard", "p-location"]
        );
        let geo = rewrite(&strings(&["geo"]), &[], &vevent);
        assert_eq!(geo, ["geo", "p-location h-geo"], "mf2py's table quirk");
        assert!(roots(&geo).is_empty() && filter(&geo).p.is_empty());
        let review = classic_roots(&strings(&["hreview"]));
        assert_eq!(
            rewrite(&strings(&["item", "vevent"]), &[], &review),
            ["item", "vevent", "p-item"]
        );
    }
}
