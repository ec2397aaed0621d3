//! Writing an export: the store read from one snapshot (`Store::dump`) a page at a time
//! into the two files. Each file is written beside its name first (`FILE.partial`; the
//! calendar's events go to `FILE.events.partial` until the VTIMEZONEs they need are known
//! and the head can be written before them) and renamed into place only once both files
//! are whole, so a failed export never leaves a half-written file under the wanted name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use super::{events_file, posts_file};
use crate::render::ics::{CalendarMeta, TAIL, ZoneSpans};
use crate::store::{
    DumpError, DumpHeader, DumpParts, DumpSink, DumpedEvent, DumpedPost, Store, StoreError,
};

/// Where to write; at least one.
#[derive(Debug, Clone, Copy)]
pub struct ExportFiles<'a> {
    pub events: Option<&'a Path>,
    pub posts: Option<&'a Path>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportReport {
    pub sources: u64,
    pub events: u64,
    pub listings: u64,
    pub changes: u64,
    pub posts: u64,
}

/// An export that was not written, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {doing}: {source}")]
    Io {
        path: String,
        doing: &'static str,
        source: std::io::Error,
    },
    #[error("{path}: {why}")]
    Refused { path: String, why: String },
    #[error("nothing to export: name --events FILE.ics, --posts FILE.json or both")]
    Nothing,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes the export `files` asks for of `store`, times shown in `zone`.
pub fn export(
    store: &Store,
    zone: Tz,
    files: ExportFiles<'_>,
) -> Result<ExportReport, ExportError> {
    refuse_clashes(store, files)?;
    let mut writers = Writers {
        events: files
            .events
            .map(|path| EventsOut::new(path, events_file::meta(zone)))
            .transpose()?,
        posts: files.posts.map(PostsOut::new).transpose()?,
        header: None,
        report: ExportReport::default(),
    };
    let parts = DumpParts {
        events: files.events.is_some(),
        posts: files.posts.is_some(),
    };
    let written = store
        .dump(parts, &mut writers)
        .map_err(|error| match error {
            DumpError::Store(error) => ExportError::Store(error),
            DumpError::Sink(error) => error,
        })
        .and_then(|()| writers.finish());
    if written.is_err() {
        writers.discard();
    }
    written
}

/// Refuses two outputs that are one file, or an output that is the database.
fn refuse_clashes(store: &Store, files: ExportFiles<'_>) -> Result<(), ExportError> {
    let outputs: Vec<&Path> = [files.events, files.posts].into_iter().flatten().collect();
    if outputs.is_empty() {
        return Err(ExportError::Nothing);
    }
    for path in &outputs {
        if same_file(path, store.path()) {
            return Err(ExportError::Refused {
                path: path.display().to_string(),
                why: "that is the database itself".into(),
            });
        }
    }
    if let [events, posts] = outputs[..]
        && (events == posts || same_file(events, posts))
    {
        return Err(ExportError::Refused {
            path: events.display().to_string(),
            why: "named for both the events and the posts".into(),
        });
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `FILE` → `FILE{suffix}`, in the same directory (so the rename is atomic).
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io(path: &Path, doing: &'static str) -> impl FnOnce(std::io::Error) -> ExportError {
    let path = path.display().to_string();
    move |source| ExportError::Io {
        path,
        doing,
        source,
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, ExportError> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(io(path, "creating"))
}

/// The events file being written: its VEVENTs so far, and the zones they use.
struct EventsOut {
    path: PathBuf,
    body_path: PathBuf,
    body: BufWriter<File>,
    spans: ZoneSpans,
    meta: CalendarMeta,
}

impl EventsOut {
    fn new(path: &Path, meta: CalendarMeta) -> Result<EventsOut, ExportError> {
        let body_path = beside(path, ".events.partial");
        Ok(EventsOut {
            path: path.to_path_buf(),
            body: create(&body_path)?,
            body_path,
            spans: ZoneSpans::default(),
            meta,
        })
    }

    /// Writes `FILE.partial`: the head, the events, the tail.
    fn finish(&mut self, header: &DumpHeader) -> Result<PathBuf, ExportError> {
        self.body.flush().map_err(io(&self.body_path, "writing"))?;
        let partial = beside(&self.path, ".partial");
        let mut out = create(&partial)?;
        out.write_all(events_file::head(&self.meta, &self.spans, header).as_bytes())
            .map_err(io(&partial, "writing"))?;
        let mut body = File::open(&self.body_path).map_err(io(&self.body_path, "reading back"))?;
        std::io::copy(&mut body, &mut out).map_err(io(&partial, "writing"))?;
        out.write_all(TAIL.as_bytes())
            .map_err(io(&partial, "writing"))?;
        let file = out
            .into_inner()
            .map_err(|e| io(&partial, "writing")(e.into_error()))?;
        file.sync_all().map_err(io(&partial, "writing"))?;
        std::fs::remove_file(&self.body_path).map_err(io(&self.body_path, "removing"))?;
        Ok(partial)
    }
}

/// The posts file being written.
struct PostsOut {
    path: PathBuf,
    partial: PathBuf,
    out: BufWriter<File>,
    written: u64,
}

impl PostsOut {
    fn new(path: &Path) -> Result<PostsOut, ExportError> {
        let partial = beside(path, ".partial");
        Ok(PostsOut {
            path: path.to_path_buf(),
            out: create(&partial)?,
            partial,
            written: 0,
        })
    }

    fn finish(&mut self) -> Result<PathBuf, ExportError> {
        self.out
            .write_all(posts_file::closing(self.written).as_bytes())
            .map_err(io(&self.partial, "writing"))?;
        self.out.flush().map_err(io(&self.partial, "writing"))?;
        self.out
            .get_ref()
            .sync_all()
            .map_err(io(&self.partial, "writing"))?;
        Ok(self.partial.clone())
    }
}

/// The dump's sink: both files at once, from one snapshot.
struct Writers {
    events: Option<EventsOut>,
    posts: Option<PostsOut>,
    header: Option<DumpHeader>,
    report: ExportReport,
}

impl Writers {
    /// Finishes both files, checks they hold what the header counted, and renames them
    /// into place.
    fn finish(&mut self) -> Result<ExportReport, ExportError> {
        let header = self.header.take().expect("the dump begins with its header");
        let mut done: Vec<(PathBuf, PathBuf)> = Vec::new();
        if let Some(events) = &mut self.events {
            counted(&events.path, "events", self.report.events, header.events)?;
            done.push((events.finish(&header)?, events.path.clone()));
        }
        if let Some(posts) = &mut self.posts {
            counted(&posts.path, "posts", self.report.posts, header.posts)?;
            done.push((posts.finish()?, posts.path.clone()));
        }
        for (partial, path) in done {
            std::fs::rename(&partial, &path)
                .map_err(io(&path, "moving the finished file into place"))?;
        }
        Ok(self.report)
    }

    /// Removes what a failed export left.
    fn discard(&self) {
        let mut leftovers = Vec::new();
        if let Some(events) = &self.events {
            leftovers.extend([events.body_path.clone(), beside(&events.path, ".partial")]);
        }
        if let Some(posts) = &self.posts {
            leftovers.push(posts.partial.clone());
        }
        for path in leftovers {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The snapshot's count and what was written agree (they cannot differ but by a bug).
fn counted(path: &Path, what: &str, written: u64, counted: u64) -> Result<(), ExportError> {
    if written == counted {
        return Ok(());
    }
    Err(ExportError::Refused {
        path: path.display().to_string(),
        why: format!("wrote {written} {what} where the store counted {counted}; not kept"),
    })
}

impl DumpSink for Writers {
    type Error = ExportError;

    fn header(&mut self, header: DumpHeader) -> Result<(), ExportError> {
        self.report.sources = header.sources.len() as u64;
        if let Some(posts) = &mut self.posts {
            posts
                .out
                .write_all(posts_file::opening(&header).as_bytes())
                .map_err(io(&posts.partial, "writing"))?;
        }
        self.header = Some(header);
        Ok(())
    }

    fn events(&mut self, page: Vec<DumpedEvent>) -> Result<(), ExportError> {
        let Some(out) = &mut self.events else {
            return Ok(());
        };
        for dumped in &page {
            out.spans.add(std::slice::from_ref(&dumped.event));
            out.body
                .write_all(events_file::vevent(&out.meta, dumped).as_bytes())
                .map_err(io(&out.body_path, "writing"))?;
            self.report.events += 1;
            self.report.listings += dumped.listings.len() as u64;
            self.report.changes += dumped.changes.len() as u64;
        }
        Ok(())
    }

    fn posts(&mut self, page: Vec<DumpedPost>) -> Result<(), ExportError> {
        let Some(out) = &mut self.posts else {
            return Ok(());
        };
        for dumped in &page {
            out.out
                .write_all(posts_file::item(dumped, out.written == 0).as_bytes())
                .map_err(io(&out.partial, "writing"))?;
            out.written += 1;
            self.report.posts += 1;
        }
        Ok(())
    }
}
