//! The wire: only HTTP/2 on the stream, eager handshake, bounded waits, and the real
//! binary on real stdio.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use dfopt_frontend::{Outcome, RunConfig, Timeouts};
use tokio::io::AsyncReadExt;

const DOCKERFILE: &str = "FROM busybox\n";

fn short_timeouts(timeout: Duration) -> RunConfig {
    RunConfig {
        bridge: dfopt_frontend::BridgeConfig {
            timeouts: Timeouts::all(timeout),
            ..dfopt_frontend::BridgeConfig::default()
        },
        connect_timeout: timeout,
    }
}

#[tokio::test]
async fn only_http2_bytes_reach_the_daemon() {
    let run = run_frontend(DaemonSetup::with_dockerfile(DOCKERFILE), &[]).await;
    assert_eq!(run.outcome, Outcome::Succeeded);
    let bytes = run.received.lock().map(|b| b.clone()).unwrap_or_default();
    let frames = parse_http2(&bytes).unwrap_or_else(|e| panic!("{e}"));
    // HEADERS (1) and DATA (0) frames for the calls.
    assert!(frames.contains(&1) && frames.contains(&0), "{frames:?}");
}

#[tokio::test]
async fn handshake_is_sent_before_any_call() {
    // A silent daemon: read what the frontend writes, never answer.
    let fds = pipes();
    let mut daemon_side =
        tokio::net::unix::pipe::Receiver::from_owned_fd(fds.daemon_read).expect("pipe");
    let _keep_open = fds.daemon_write;
    let stream =
        dfopt_frontend::stdio::StdioStream::from_fds(fds.frontend_read, fds.frontend_write)
            .expect("stream");
    let channel = dfopt_frontend::stdio::connect(stream, Duration::from_secs(5))
        .await
        .expect("connect returns without waiting for any RPC");
    // No RPC has been issued, yet preface + SETTINGS must already be on the wire.
    let mut buf = vec![0u8; 24 + 9];
    tokio::time::timeout(Duration::from_secs(2), daemon_side.read_exact(&mut buf))
        .await
        .expect("preface within 2 s")
        .expect("read");
    assert_eq!(&buf[..24], b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assert_eq!(buf[24 + 3], 4, "SETTINGS frame follows the preface");
    drop(channel);
}

#[tokio::test]
async fn unanswered_ping_times_out_and_is_returned() {
    let mut setup = DaemonSetup::with_dockerfile(DOCKERFILE);
    setup.ping_hangs = true;
    let started = Instant::now();
    let run = run_frontend_with(
        setup,
        &[],
        TestLowering::default(),
        short_timeouts(Duration::from_millis(300)),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let Outcome::Failed(error) = &run.outcome else {
        panic!("expected a returned failure, got {:?}", run.outcome)
    };
    assert_eq!(
        error.message(),
        "failed to talk to the BuildKit daemon: Ping timed out after 300ms: the BuildKit daemon did not answer"
    );
    let status = run.daemon.the_return().error.expect("error");
    assert_eq!(status.code, 4, "DeadlineExceeded");
}

#[tokio::test]
async fn daemon_that_answers_nothing_is_a_bounded_protocol_failure() {
    let mut setup = DaemonSetup::with_dockerfile(DOCKERFILE);
    setup.hang_everything_but_return = true;
    let started = Instant::now();
    let run = run_frontend_with(
        setup,
        &[],
        TestLowering::default(),
        short_timeouts(Duration::from_millis(200)),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    // Ping timed out, then the error Return got through.
    assert!(
        matches!(run.outcome, Outcome::Failed(_)),
        "{:?}",
        run.outcome
    );
}

#[tokio::test]
async fn silent_peer_ends_in_protocol_failure() {
    let fds = pipes();
    let _daemon_read = fds.daemon_read; // nobody reads beyond the pipe buffer
    let _daemon_write = fds.daemon_write; // nobody writes
    let stream =
        dfopt_frontend::stdio::StdioStream::from_fds(fds.frontend_read, fds.frontend_write)
            .expect("stream");
    let started = Instant::now();
    let outcome = dfopt_frontend::run(
        stream,
        env_with(&[]),
        &TestLowering::default(),
        &short_timeouts(Duration::from_millis(200)),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let Outcome::ProtocolFailure(reason) = &outcome else {
        panic!("expected a protocol failure, got {outcome:?}")
    };
    assert!(reason.contains("Return timed out"), "{reason}");
    assert_eq!(outcome.exit_code(), 1);
}

/// The binary under test: the one cargo built, or `DFOPT_FRONTEND_BIN` (e.g. the
/// statically linked release build that goes into the image).
fn frontend_binary() -> String {
    std::env::var("DFOPT_FRONTEND_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_dfopt-frontend").to_owned())
}

/// The real binary (with the real Dockerfile conversion) on real stdin/stdout pipes:
/// the result must arrive as a Return and the process must exit 0 at once.
#[test]
fn binary_speaks_only_http2_on_stdout_and_exits_after_return() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let daemon = FakeDaemon::new(DaemonSetup::with_dockerfile(DOCKERFILE));
    let fds = pipes();
    let received = {
        let _guard = runtime.enter();
        serve(daemon.clone(), fds.daemon_read, fds.daemon_write)
    };
    let mut child = Command::new(frontend_binary())
        .env_clear()
        .envs(env_with(&["image-resolve-mode=default"]))
        .stdin(Stdio::from(fds.frontend_read))
        .stdout(Stdio::from(fds.frontend_write))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dfopt-frontend");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "frontend did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert!(status.success(), "exit status {status:?}; stderr: {stderr}");
    let returned = daemon.the_return();
    assert!(
        returned.error.is_none(),
        "unexpected error Return: {:?}; stderr: {stderr}",
        returned.error
    );
    let result = returned.result.expect("a result Return");
    assert!(
        result.metadata.contains_key("containerimage.config"),
        "{:?}",
        result.metadata.keys()
    );
    daemon.assert_protocol_rules();

    // Give the server task a moment to have consumed everything, then check bytes.
    std::thread::sleep(Duration::from_millis(100));
    let bytes = received.lock().map(|b| b.clone()).unwrap_or_default();
    parse_http2(&bytes).unwrap_or_else(|e| panic!("{e}"));
    drop(runtime);
    let _ = std::io::stderr().flush();
}

#[test]
fn binary_outside_buildkit_fails_cleanly() {
    // stdin = /dev/null cannot be polled: a clear message and exit code 1, no hang.
    let output = Command::new(frontend_binary())
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("must be run by BuildKit"), "{stderr}");
}
