//! The signals that stop a command that runs for a while (`bulletin serve`, `bulletin
//! fetch`): SIGTERM, from a service manager, and SIGINT, from Ctrl-C, treated alike —
//! take no new work, let the store writes under way finish, and exit cleanly.

/// Waits for SIGTERM or SIGINT and names the one that came (logged at info). The handlers
/// are in place from the first poll on; a signal that cannot be listened for is logged
/// and never comes.
pub async fn requested() -> &'static str {
    let name = wait().await;
    tracing::info!("{name} received: stopping");
    name
}

#[cfg(unix)]
async fn wait() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |kind: SignalKind, name: &'static str| match signal(kind) {
        Ok(stream) => Some(stream),
        Err(error) => {
            tracing::warn!(%error, "cannot listen for {name}");
            None
        }
    };
    let mut term = listen(SignalKind::terminate(), "SIGTERM");
    let mut int = listen(SignalKind::interrupt(), "SIGINT");
    tokio::select! {
        Some(()) = recv(&mut term) => "SIGTERM",
        Some(()) = recv(&mut int) => "SIGINT",
        else => std::future::pending().await,
    }
}

/// The next signal of `stream`; pending for ever when there is no stream.
#[cfg(unix)]
async fn recv(stream: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match stream {
        Some(stream) => stream.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn wait() -> &'static str {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::warn!(%error, "cannot listen for Ctrl-C");
        std::future::pending::<()>().await;
    }
    "Ctrl-C"
}
