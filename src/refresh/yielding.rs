//! Reading fetched documents on threads that yield the processors to everything else the
//! process does: each reading runs on a thread of its own at a lower scheduling priority
//! (nice 10 on Linux), so the store's writer and the web workers, at the normal priority,
//! are not slowed by a pass that reads many documents at once.
//!
//! Why: a pass reads as many documents at once as it has refresh slots, and the writer
//! (storing one source at a time) got only its fair share of the processors beside them.
//! A profile of the 100-calendar ingest showed the writer at about half a core of two
//! whenever documents were being read, and alone, at one core, while the slots waited
//! for it. At the lower priority, readings take what the writer leaves.

use std::any::Any;
use std::panic::AssertUnwindSafe;

/// How far below the normal priority readings run (a `nice` increment).
const NICENESS: i32 = 10;

/// A reading that panicked, with the panic's message.
#[derive(Debug, thiserror::Error)]
#[error("panicked: {0}")]
pub struct Crashed(String);

/// Runs `read` on a thread of its own at the lower priority and waits for it; when no
/// thread can be started, runs it on tokio's blocking pool instead.
pub async fn read_below<T: Send + 'static>(
    read: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Crashed> {
    // Shared, so a thread that could not be started leaves the reading to the fallback.
    let read = std::sync::Arc::new(std::sync::Mutex::new(Some(read)));
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let started = std::thread::Builder::new()
        .name("bulletin-read".into())
        .spawn({
            let read = read.clone();
            move || {
                let Some(read) = read.lock().ok().and_then(|mut r| r.take()) else {
                    return;
                };
                lower_priority();
                let _ = sender.send(std::panic::catch_unwind(AssertUnwindSafe(read)));
            }
        });
    match started {
        Ok(_) => match receiver.await {
            Ok(result) => result.map_err(message),
            Err(_) => Err(Crashed("the reading thread ended without an answer".into())),
        },
        Err(error) => {
            tracing::debug!(%error, "no thread for a reading; it runs on the blocking pool");
            let read = read
                .lock()
                .ok()
                .and_then(|mut r| r.take())
                .expect("the thread never started, so it took nothing");
            tokio::task::spawn_blocking(read)
                .await
                .map_err(|e| Crashed(e.to_string()))
        }
    }
}

fn message(panic: Box<dyn Any + Send>) -> Crashed {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    Crashed(text)
}

/// Lowers the calling thread's priority (Linux keeps a nice value per thread). Failing
/// costs only the priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority only read and set the calling thread's attributes.
        let thread = unsafe { libc::gettid() };
        let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, NICENESS) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_reading_runs_below_the_normal_priority_and_gives_its_result() {
        let (niceness, answer) = read_below(|| {
            // SAFETY: getpriority only reads the calling thread's nice value.
            #[cfg(target_os = "linux")]
            let niceness =
                unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
            #[cfg(not(target_os = "linux"))]
            let niceness = NICENESS;
            (niceness, 42)
        })
        .await
        .unwrap();
        assert_eq!(answer, 42);
        // SAFETY: as above, for the test's own thread.
        #[cfg(target_os = "linux")]
        let ours = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
        #[cfg(not(target_os = "linux"))]
        let ours = 0;
        assert_eq!(
            niceness,
            (ours + NICENESS).min(19),
            "the reading's thread is lowered"
        );
        assert!(ours < 19, "the caller's own priority is left alone");
    }

    #[tokio::test]
    async fn a_reading_that_panics_is_an_error_with_its_message() {
        let crashed = read_below(|| -> u32 { panic!("index out of bounds") })
            .await
            .unwrap_err();
        assert_eq!(crashed.to_string(), "panicked: index out of bounds");
    }
}
