//! The posts file of an export: a JSON Feed 1.1 written a post at a time (one item a
//! line, so a store's posts are never held whole), each item as `/feed.json` writes it
//! with the post's rows added to its `_bulletin` object; read back with serde.

use std::path::Path;

use serde::Deserialize;

use super::Format;
use super::import::ImportError;
use crate::render::{jsonfeed, post_id_of};
use crate::store::{DumpHeader, DumpedPost, Restored, RestoredPost, Row};

/// JSON Feed's version URL.
const JSON_FEED: &str = "https://jsonfeed.org/version/1.1";

/// The feed's `_bulletin` object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Header {
    #[serde(flatten)]
    format: Format,
    posts: u64,
    sources: Vec<Row>,
}

/// The file up to its first item (`items` left open).
pub(super) fn opening(header: &DumpHeader) -> String {
    let format = Format::current(header.schema);
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"version\": {},\n", json(&JSON_FEED)));
    out.push_str(&format!(
        "  \"title\": {},\n",
        json(&"Bulletin: every post (export)")
    ));
    out.push_str(&format!(
        "  \"description\": {},\n",
        json(&"Every post Bulletin holds. Each item's _bulletin object holds what `bulletin import` rebuilds a store from.")
    ));
    out.push_str("  \"_bulletin\": {\n");
    out.push_str(&format!("    \"format\": {},\n", json(&format.format)));
    out.push_str(&format!("    \"version\": {},\n", format.version));
    out.push_str(&format!("    \"schema\": {},\n", format.schema));
    out.push_str(&format!("    \"posts\": {},\n", header.posts));
    out.push_str("    \"sources\": [");
    for (i, source) in header.sources.iter().enumerate() {
        out.push_str(if i == 0 { "\n      " } else { ",\n      " });
        out.push_str(&json(source));
    }
    out.push_str(if header.sources.is_empty() {
        "]\n"
    } else {
        "\n    ]\n"
    });
    out.push_str("  },\n  \"items\": [");
    out
}

/// One item, preceded by what separates it from the one before.
pub(super) fn item(dumped: &DumpedPost, first: bool) -> String {
    let mut value = jsonfeed::item_value(&dumped.post);
    if let Some(extension) = value.get_mut("_bulletin").and_then(|v| v.as_object_mut()) {
        extension.insert("row".into(), serde_json::Value::Object(dumped.row.clone()));
        extension.insert(
            "alternates".into(),
            serde_json::Value::Array(
                dumped
                    .alternates
                    .iter()
                    .cloned()
                    .map(serde_json::Value::Object)
                    .collect(),
            ),
        );
    }
    let separator = if first { "\n    " } else { ",\n    " };
    format!("{separator}{}", json(&value))
}

/// The end of the file, after `count` items.
pub(super) fn closing(count: u64) -> &'static str {
    if count == 0 { "]\n}\n" } else { "\n  ]\n}\n" }
}

/// One value as compact JSON.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("serialising plain data cannot fail")
}

#[derive(Deserialize)]
struct File {
    version: String,
    #[serde(rename = "_bulletin")]
    header: Header,
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    id: String,
    #[serde(rename = "_bulletin")]
    state: ItemState,
}

#[derive(Deserialize)]
struct ItemState {
    row: Row,
    #[serde(default)]
    alternates: Vec<Row>,
}

/// A posts file, read and checked against itself.
#[derive(Debug)]
pub(super) struct PostsFile {
    pub format: Format,
    pub sources: Vec<Restored>,
    pub posts: Vec<RestoredPost>,
}

/// Reads the posts file at `path`.
pub(super) fn read(path: &Path) -> Result<PostsFile, ImportError> {
    let shown = path.display().to_string();
    let fail = |why: String| ImportError::File {
        path: shown.clone(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let file: File = serde_json::from_slice(&bytes)
        .map_err(|e| fail(format!("not a posts file of `bulletin export`: {e}")))?;
    if file.version != JSON_FEED {
        return Err(fail(format!(
            "`version` is `{}`, not JSON Feed 1.1",
            file.version
        )));
    }
    if let Some(why) = file.header.format.refusal() {
        return Err(fail(format!("the export {why}")));
    }
    if file.items.len() as u64 != file.header.posts {
        return Err(fail(format!(
            "holds {} items where its `_bulletin.posts` says {}: the file is incomplete",
            file.items.len(),
            file.header.posts
        )));
    }
    let sources = file
        .header
        .sources
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let id = row.get("id").and_then(|v| v.as_str()).unwrap_or("?");
            Restored {
                at: format!("{shown} source {} (`{id}`)", i + 1),
                row,
            }
        })
        .collect();
    let mut posts = Vec::with_capacity(file.items.len());
    for (i, item) in file.items.into_iter().enumerate() {
        let text = |column: &str| item.state.row.get(column).and_then(|v| v.as_str());
        let (source, entry) = (
            text("source_id").unwrap_or("?"),
            text("entry_id").unwrap_or("?"),
        );
        let at = format!("{shown} item {} (entry `{entry}` of `{source}`)", i + 1);
        let expected = post_id_of(source, entry);
        if item.id != expected {
            return Err(ImportError::File {
                path: at,
                why: format!("its `id` is `{}`; its row makes it `{expected}`", item.id),
            });
        }
        posts.push(RestoredPost {
            at,
            row: item.state.row,
            alternates: item.state.alternates,
        });
    }
    Ok(PostsFile {
        format: file.header.format,
        sources,
        posts,
    })
}
