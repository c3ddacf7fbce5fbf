//! dfopt's BuildKit gateway frontend: the protocol side.
//!
//! Users put `# syntax=<our image>` on the first line of a Dockerfile; BuildKit then
//! runs our image with gRPC (HTTP/2) on stdin/stdout and the build options in the
//! environment. This crate speaks that protocol and hands the Dockerfile to a
//! [`Lowering`] (the Dockerfile → LLB conversion, implemented elsewhere).
//!
//! Module map, in the order a run touches them:
//!
//! * [`stdio`]: the non-blocking stdio byte stream and the eager HTTP/2 channel;
//! * [`bridge`]: LLBBridge calls with timeouts, size guards and Return discipline;
//! * [`caps`]: the daemon's capabilities from `Ping`;
//! * [`options`]: typed build options from `BUILDKIT_FRONTEND_OPT_*` and friends;
//! * [`contexts`]: where the files come from (remote git/HTTP contexts, frontend
//!   inputs, named contexts), and [`splice`], which puts them into the lowered graph;
//! * [`dockerfile_source`], [`dockerignore`]: reading the Dockerfile like BuildKit;
//! * [`lowering`]: the conversion interface;
//! * [`errors`]: build failures as `google.rpc.Status` with BuildKit's error details;
//! * [`subrequests`]: answers to `requestid` (outline, targets, lint, convertllb, describe);
//! * [`cache_transfer`]: exporting the build's cache mounts and seeding them from an
//!   export (CI runners that start empty), with the cache tool run inside the build;
//! * [`build`]: the flow that ties them together.
//!
//! **Invariant:** nothing but HTTP/2 frames is ever written to the daemon's stream,
//! and logs go to stderr (which BuildKit sends to the daemon log, not to the user).

pub mod bridge;
pub mod build;
pub mod cache_transfer;
pub mod caps;
mod checks;
mod context_facts;
pub mod contexts;
pub mod dfopt_lowering;
pub mod dockerfile_source;
pub mod dockerignore;
pub mod errors;
mod gopath;
pub mod lowering;
pub mod options;
mod per_platform;
pub mod platform;
mod session;
mod solve;
pub mod splice;
pub mod stdio;
pub mod subrequests;

use std::fmt;
use std::io::Write as _;

pub use bridge::{Bridge, BridgeConfig, BridgeError, ResolvedImage, ResultRefs, Timeouts};
pub use build::{run, Outcome, RunConfig};
pub use caps::Caps;
pub use errors::{BuildError, LineRange, SourceFile};
pub use lowering::{
    DockerfileSource, ImageKey, ImageToResolve, LowerError, LowerRequest, Lowered, Lowering,
    ResolvedImages,
};
pub use options::{FrontendEnv, FrontendOptions, OptionsError};

/// Runs the frontend as BuildKit starts it: stdio is the wire, the environment holds
/// the options. Returns the process exit code (0 once a `Return` was delivered).
///
/// The caller should exit with it right away (`std::process::exit`): the daemon keeps
/// stdin open, and nothing useful happens after `Return`.
pub fn run_from_environment(lowering: &dyn Lowering) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            log(format_args!("cannot start the async runtime: {error}"));
            return 1;
        }
    };
    let vars = environment();
    let code = runtime.block_on(async {
        let stream = match stdio::StdioStream::from_process_stdio() {
            Ok(stream) => stream,
            Err(error) => {
                log(format_args!(
                    "cannot use stdin/stdout as the BuildKit connection ({error}); this binary must be run by BuildKit as a gateway frontend"
                ));
                return 1;
            }
        };
        let outcome = build::run(stream, vars, lowering, &RunConfig::default()).await;
        match &outcome {
            Outcome::Succeeded => log(format_args!("build result returned")),
            Outcome::Failed(error) => log(format_args!("build failed: {error}")),
            Outcome::ProtocolFailure(reason) => log(format_args!("protocol failure: {reason}")),
        }
        outcome.exit_code()
    });
    // Do not wait for the connection task: the daemon keeps stdin open.
    runtime.shutdown_background();
    code
}

/// The process environment as UTF-8 pairs (non-UTF-8 bytes replaced).
fn environment() -> Vec<(String, String)> {
    std::env::vars_os()
        .map(|(name, value)| {
            (
                name.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// Writes one log line to stderr (never stdout: stdout is the wire).
pub(crate) fn log(message: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "dfopt-frontend: {message}");
}
