//! Reading an export into an empty store: refuse a store that holds anything before
//! reading the files, read and check both files whole (each against itself, then against
//! each other: one export's two files carry the same sources), check every row, and only
//! then open the store for writing and restore it in one transaction.

use std::path::{Path, PathBuf};

use super::{events_file, posts_file};
use crate::store::{Restore, RestoreCounts, RestoreError, Store, StoreError};

/// The files to read; at least one.
#[derive(Debug, Clone, Copy)]
pub struct ImportFiles<'a> {
    pub events: Option<&'a Path>,
    pub posts: Option<&'a Path>,
}

/// What an import wrote, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub database: PathBuf,
    pub counts: RestoreCounts,
}

/// An import that was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {why}")]
    File { path: String, why: String },
    #[error("{events} and {posts} are not one export's two files: {why}")]
    Mismatch {
        events: String,
        posts: String,
        why: String,
    },
    #[error("nothing to import: name --events FILE.ics, --posts FILE.json or both")]
    Nothing,
    #[error(transparent)]
    Restore(#[from] RestoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `files` into the (empty, or not yet created) database at `database`.
pub fn import(database: &Path, files: ImportFiles<'_>) -> Result<ImportReport, ImportError> {
    if database.exists() {
        refuse_unless_empty(&Store::open(database)?)?;
    }
    let restore = read(files)?;
    crate::store::check_restore(&restore)?;
    let store = Store::open(database)?;
    let counts = store.restore(&restore)?;
    Ok(ImportReport {
        database: database.to_path_buf(),
        counts,
    })
}

fn refuse_unless_empty(store: &Store) -> Result<(), ImportError> {
    let holds = store.contents()?;
    if holds.is_empty() {
        return Ok(());
    }
    Err(RestoreError::NotEmpty {
        path: store.path().display().to_string(),
        holds,
    }
    .into())
}

/// Reads and cross-checks the files.
fn read(files: ImportFiles<'_>) -> Result<Restore, ImportError> {
    let events = files.events.map(events_file::read).transpose()?;
    let posts = files.posts.map(posts_file::read).transpose()?;
    if let (Some(events), Some(posts), Some(events_path), Some(posts_path)) =
        (&events, &posts, files.events, files.posts)
    {
        let mismatch = |why: String| ImportError::Mismatch {
            events: events_path.display().to_string(),
            posts: posts_path.display().to_string(),
            why,
        };
        if events.format != posts.format {
            return Err(mismatch(format!(
                "one says {:?}, the other {:?}",
                events.format, posts.format
            )));
        }
        if events.sources.len() != posts.sources.len() {
            return Err(mismatch(format!(
                "{} sources against {}",
                events.sources.len(),
                posts.sources.len()
            )));
        }
        if let Some((a, b)) = events
            .sources
            .iter()
            .zip(&posts.sources)
            .find(|(a, b)| a.row != b.row)
        {
            return Err(mismatch(format!(
                "the source at {} differs from the one at {}",
                a.at, b.at
            )));
        }
    }
    let mut restore = Restore::default();
    match (events, posts) {
        (Some(events), posts) => {
            restore.sources = events.sources;
            restore.events = events.events;
            restore.posts = posts.map(|p| p.posts).unwrap_or_default();
        }
        (None, Some(posts)) => {
            restore.sources = posts.sources;
            restore.posts = posts.posts;
        }
        (None, None) => return Err(ImportError::Nothing),
    }
    Ok(restore)
}
