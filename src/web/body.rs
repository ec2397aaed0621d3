//! The bytes of a rendered view: in memory while small, otherwise spooled once to an
//! unlinked temporary file, and read back a slice at a time for every response — so a
//! calendar of hundreds of megabytes costs the server a few slices per connection, not a
//! copy per client. Reading and writing files here is blocking: callers run it on the
//! blocking pool.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::web::Bytes;
use sha2::{Digest, Sha256};

/// A response sends a body in slices of at most this many bytes (actix copies each into
/// the connection's write buffer, so this bounds what one connection holds: 64
/// connections sending hold 32 MiB at most; smaller slices cost throughput in polls and
/// writes).
pub const SLICE: usize = 256 * 1024;
/// Bytes read from a spool file at once.
const FILE_READ: usize = 256 * 1024;
/// A body growing past this many bytes is spooled to disk.
pub const SPOOL_THRESHOLD: usize = 16 * 1024 * 1024;
/// How many large bodies are made (rendered or compressed) at once, server-wide: each
/// holds up to [`SPOOL_THRESHOLD`] in memory and a processor while it runs.
const MAKING_AT_ONCE: usize = 2;

static MAKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAKING_AT_ONCE);

/// Waits for a turn to make a large body; the turn ends when the permit is dropped.
pub async fn turn_to_make() -> tokio::sync::SemaphorePermit<'static> {
    MAKING
        .acquire()
        .await
        .expect("the semaphore is never closed")
}

/// An unlinked temporary file holding a body (it goes when the last handle does).
#[derive(Debug)]
pub struct Spool {
    file: File,
    len: u64,
    /// The folder it was made in, where bodies made from it (its compressed forms) go.
    dir: Arc<Path>,
}

impl Spool {
    pub fn dir(&self) -> &Arc<Path> {
        &self.dir
    }

    /// Up to `max` bytes from `offset`.
    pub fn read_at(&self, offset: u64, max: usize) -> io::Result<Bytes> {
        let want = usize::try_from(self.len.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(max);
        let mut buf = vec![0; want];
        self.file.read_exact_at(&mut buf, offset)?;
        Ok(buf.into())
    }
}

/// One part of a body.
#[derive(Debug, Clone)]
pub enum Part {
    Memory(Bytes),
    File(Arc<Spool>),
}

impl Part {
    fn len(&self) -> u64 {
        match self {
            Part::Memory(bytes) => bytes.len() as u64,
            Part::File(spool) => spool.len,
        }
    }
}

/// A whole body: its parts in order.
#[derive(Debug, Clone)]
pub enum Body {
    Memory(Bytes),
    Parts(Arc<[Part]>),
}

impl Body {
    pub fn len(&self) -> u64 {
        match self {
            Body::Memory(bytes) => bytes.len() as u64,
            Body::Parts(parts) => parts.iter().map(Part::len).sum(),
        }
    }

    /// Bytes held in memory.
    pub fn memory(&self) -> usize {
        match self {
            Body::Memory(bytes) => bytes.len(),
            Body::Parts(parts) => parts
                .iter()
                .map(|p| match p {
                    Part::Memory(bytes) => bytes.len(),
                    Part::File(_) => 0,
                })
                .sum(),
        }
    }

    /// Bytes held on disk.
    pub fn disk(&self) -> u64 {
        self.len() - self.memory() as u64
    }

    /// The folder of its first spooled part.
    pub fn spool_dir(&self) -> Option<&Arc<Path>> {
        match self {
            Body::Memory(_) => None,
            Body::Parts(parts) => parts.iter().find_map(|p| match p {
                Part::File(spool) => Some(spool.dir()),
                Part::Memory(_) => None,
            }),
        }
    }

    /// The slice that starts at `offset`, at most `max` bytes (empty at the end). Reads
    /// a file when the slice lies in one: call it on the blocking pool then.
    pub fn slice_at(&self, offset: u64, max: usize) -> io::Result<Bytes> {
        let parts = match self {
            Body::Memory(bytes) => return Ok(memory_slice(bytes, offset, max)),
            Body::Parts(parts) => parts,
        };
        let mut start = 0;
        for part in parts.iter() {
            let len = part.len();
            if offset < start + len {
                return match part {
                    Part::Memory(bytes) => Ok(memory_slice(bytes, offset - start, max)),
                    Part::File(spool) => spool.read_at(offset - start, max),
                };
            }
            start += len;
        }
        Ok(Bytes::new())
    }

    /// Whether the slice at `offset` comes from memory (no file read, no blocking).
    pub fn in_memory_at(&self, offset: u64) -> bool {
        let parts = match self {
            Body::Memory(_) => return true,
            Body::Parts(parts) => parts,
        };
        let mut start = 0;
        for part in parts.iter() {
            let len = part.len();
            if offset < start + len {
                return matches!(part, Part::Memory(_));
            }
            start += len;
        }
        true
    }

    /// Hands every byte of the body to `f` in order, a few hundred kilobytes at a time
    /// (blocking: it reads files).
    pub fn for_each_chunk(&self, mut f: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut offset = 0;
        loop {
            let chunk = self.slice_at(offset, FILE_READ)?;
            if chunk.is_empty() {
                return Ok(());
            }
            offset += chunk.len() as u64;
            f(&chunk)?;
        }
    }
}

fn memory_slice(bytes: &Bytes, offset: u64, max: usize) -> Bytes {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let end = start.saturating_add(max).min(bytes.len());
    bytes.slice(start..end)
}

/// What a [`SpoolWriter`] wrote: in memory, or in a file with the digest of its bytes.
#[derive(Debug)]
pub enum Written {
    Memory(Vec<u8>),
    File(Spool, [u8; 32]),
}

/// A body being written: kept in memory up to `threshold` bytes, then moved to an
/// unlinked temporary file in `dir` and written there.
pub struct SpoolWriter {
    dir: Arc<Path>,
    memory: Vec<u8>,
    file: Option<io::BufWriter<File>>,
    digest: Sha256,
    len: u64,
    threshold: usize,
    /// The first write that failed (an encoder may drop the error of its last write).
    failed: Option<io::Error>,
}

impl SpoolWriter {
    pub fn new(threshold: usize, dir: Arc<Path>) -> SpoolWriter {
        SpoolWriter {
            dir,
            memory: Vec::new(),
            file: None,
            digest: Sha256::new(),
            len: 0,
            threshold,
            failed: None,
        }
    }

    pub fn finish(self) -> io::Result<Written> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        match self.file {
            None => Ok(Written::Memory(self.memory)),
            Some(file) => {
                let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
                Ok(Written::File(
                    Spool {
                        file,
                        len: self.len,
                        dir: self.dir,
                    },
                    self.digest.finalize().into(),
                ))
            }
        }
    }
}

impl Write for SpoolWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(error) = &self.failed {
            return Err(io::Error::new(error.kind(), error.to_string()));
        }
        let written = self.append(buf);
        if let Err(error) = &written {
            self.failed = Some(io::Error::new(error.kind(), error.to_string()));
        }
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl SpoolWriter {
    fn append(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.digest.update(buf);
        self.len += buf.len() as u64;
        if let Some(file) = &mut self.file {
            file.write_all(buf)?;
        } else if self.memory.len() + buf.len() <= self.threshold {
            self.memory.extend_from_slice(buf);
        } else {
            let mut file = io::BufWriter::with_capacity(FILE_READ, temporary_file(&self.dir)?);
            file.write_all(&self.memory)?;
            file.write_all(buf)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        Ok(buf.len())
    }
}

/// A new file in `dir`, readable only by us, unlinked at once so nothing is left behind
/// whatever happens to the process.
fn temporary_file(dir: &Path) -> io::Result<File> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut tries = 0;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".bulletin-spool-{}-{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(file) => {
                std::fs::remove_file(&path)?;
                return Ok(file);
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && tries < 16 => {
                tries += 1;
            }
            Err(error) => {
                return Err(io::Error::new(
                    error.kind(),
                    format!("cannot spool a body to {}: {error}", dir.display()),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_past_the_threshold_is_spooled_and_reads_back_whole() {
        let mut writer = SpoolWriter::new(10, std::env::temp_dir().into());
        writer.write_all(b"0123456").unwrap();
        writer.write_all(b"789abcdef").unwrap();
        let Written::File(spool, digest) = writer.finish().unwrap() else {
            panic!("16 bytes with a threshold of 10 go to a file");
        };
        assert_eq!(
            digest,
            <[u8; 32]>::from(Sha256::digest(b"0123456789abcdef"))
        );
        let body = Body::Parts(
            vec![
                Part::Memory(Bytes::from_static(b"<")),
                Part::File(Arc::new(spool)),
                Part::Memory(Bytes::from_static(b">")),
            ]
            .into(),
        );
        assert_eq!((body.len(), body.memory(), body.disk()), (18, 2, 16));
        let mut whole = Vec::new();
        let mut offset = 0;
        loop {
            let slice = body.slice_at(offset, 5).unwrap();
            if slice.is_empty() {
                break;
            }
            offset += slice.len() as u64;
            whole.extend_from_slice(&slice);
        }
        assert_eq!(whole, b"<0123456789abcdef>");
        assert!(body.in_memory_at(0) && !body.in_memory_at(1) && body.in_memory_at(17));
    }

    #[test]
    fn a_small_body_stays_in_memory() {
        let mut writer = SpoolWriter::new(10, std::env::temp_dir().into());
        writer.write_all(b"small").unwrap();
        assert!(matches!(writer.finish().unwrap(), Written::Memory(m) if m == b"small"));
    }
}
