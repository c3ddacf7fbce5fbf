//! The wire: gRPC (HTTP/2 with prior knowledge) over the process's stdin and stdout.
//!
//! BuildKit runs the frontend with stdin = a pipe from the daemon and stdout = a pipe
//! to the daemon, and serves the LLBBridge service on that pair with Go's `x/net/http2`
//! server. Three things follow:
//!
//! * **Nothing else may reach fd 1.** [`StdioStream::from_process_stdio`] takes private
//!   duplicates of fds 0 and 1 and then points fd 1 at stderr, so a stray `println!`
//!   (ours or a dependency's) lands in the daemon log instead of corrupting the stream.
//! * **No blocking reads.** `tokio::io::stdin` reads on a blocking thread that cannot be
//!   cancelled, and the daemon keeps the pipe open until we exit, so the runtime could
//!   never shut down. The fds are set `O_NONBLOCK` and driven by the reactor
//!   ([`StdioStream`]); pipes are pollable.
//! * **Connect eagerly.** The server expects the client preface within 10 s and the
//!   first SETTINGS within 2 s. [`connect`] performs the HTTP/2 handshake before it
//!   returns, instead of tonic's lazy default.
//!
//! [`connect`] accepts any byte stream so that tests can drive the same client code
//! over an in-process pipe.

use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::unix::pipe;
use tonic::transport::{Channel, Endpoint, Uri};

/// The origin (`:scheme` + `:authority`) of every request. The daemon does not check
/// it; BuildKit's own client dials "localhost".
pub const ORIGIN: &str = "http://localhost";

/// How long [`connect`] may take. The daemon gives up after 10 s without a preface.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the HTTP/2 connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The handshake did not finish in time.
    #[error("HTTP/2 handshake with the BuildKit daemon did not finish within {0:?}")]
    Timeout(Duration),
    /// The handshake failed.
    #[error("HTTP/2 handshake with the BuildKit daemon failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// A readable and a writable fd, non-blocking and driven by the tokio reactor.
///
/// Built on tokio's `unix::pipe` types, which register the fds with the reactor the
/// way [`tokio::io::unix::AsyncFd`] does, but with a safe constructor (tokio 1.54
/// deprecated `AsyncFd::new`/`with_interest` in favour of `unsafe` ones, and this
/// workspace denies `unsafe`). They only issue `read(2)`/`write(2)`, so any pollable fd
/// works (pipe, socket, tty), not just FIFOs.
#[derive(Debug)]
pub struct StdioStream {
    read: pipe::Receiver,
    write: pipe::Sender,
}

impl StdioStream {
    /// Takes over the process's stdin and stdout (see the module docs). Must be called
    /// inside a tokio runtime with IO enabled.
    ///
    /// Fails if stdin/stdout are not pollable (e.g. a regular file or `/dev/null`),
    /// which means the binary is not running under BuildKit.
    pub fn from_process_stdio() -> io::Result<Self> {
        let read = rustix::io::fcntl_dupfd_cloexec(rustix::stdio::stdin(), 3)?;
        let write = rustix::io::fcntl_dupfd_cloexec(rustix::stdio::stdout(), 3)?;
        rustix::stdio::dup2_stdout(rustix::stdio::stderr())?;
        Self::from_fds(read, write)
    }

    /// Wraps a readable and a writable fd (e.g. the ends of two pipes). Both are
    /// switched to non-blocking mode. Must be called inside a tokio runtime.
    pub fn from_fds(read: OwnedFd, write: OwnedFd) -> io::Result<Self> {
        set_nonblocking(&read)?;
        set_nonblocking(&write)?;
        Ok(Self {
            read: pipe::Receiver::from_owned_fd_unchecked(read)?,
            write: pipe::Sender::from_owned_fd_unchecked(write)?,
        })
    }
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(fd)?;
    rustix::fs::fcntl_setfl(fd, flags | rustix::fs::OFlags::NONBLOCK)?;
    Ok(())
}

impl AsyncRead for StdioStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for StdioStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.write).poll_write(cx, data)
    }

    /// Writes go straight to the fd; there is no user-space buffer to flush.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closing our end early would make the daemon report "frontend grpc server closed
    /// unexpectedly"; the fds are closed when the process exits.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Opens a gRPC channel over `stream` and completes the HTTP/2 handshake (client
/// preface + SETTINGS) before returning.
///
/// The connector hands out `stream` exactly once: if the connection breaks, tonic's
/// reconnect attempt fails with "stream already used" instead of talking to something
/// else. No compression is configured (the v0.8 daemon cannot decode it).
pub async fn connect<S>(stream: S, timeout: Duration) -> Result<Channel, ConnectError>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let slot = Arc::new(Mutex::new(Some(stream)));
    let connector = tower::service_fn(move |_: Uri| {
        let taken = slot.lock().ok().and_then(|mut slot| slot.take());
        async move {
            taken.map(TokioIo::new).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the stdio stream was already used by an earlier connection",
                )
            })
        }
    });
    let endpoint = Endpoint::from_static(ORIGIN);
    match tokio::time::timeout(timeout, endpoint.connect_with_connector(connector)).await {
        Ok(result) => Ok(result?),
        Err(_elapsed) => Err(ConnectError::Timeout(timeout)),
    }
}
