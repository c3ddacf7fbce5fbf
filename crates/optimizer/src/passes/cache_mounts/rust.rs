//! Rust's cargo (state; optimization-safety.md §1.4).
//!
//! - `$CARGO_HOME/registry` and `$CARGO_HOME/git` only — never `CARGO_HOME`
//!   (it holds `bin/`) nor `target/`; on every cargo RUN of the stage family
//!   or none (see `state_dirs`).
//! - `cargo fetch` prefetches; `--offline`, `--frozen` and
//!   `CARGO_NET_OFFLINE=true` count as offline.
//! - Not fired when a call sets its own `CARGO_HOME` or `HOME`.
//! - `xx-cargo` (tonistiigi/xx) runs `cargo` with the target's settings and
//!   is handled as `cargo`.

use super::tool_family::{Call, Command, Family, Found, ToolSpec, Use};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[ToolSpec::plain(
        Tool::Cargo,
        &[Command::checked("cargo"), Command::checked("xx-cargo")],
    )],
    &["cargo"],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    found.take_each(calls, cargo);
}

fn cargo(call: &Call<'_>) -> Use {
    let args = call.args();
    let prefetch = args.iter().any(|a| a.as_deref() == Some("fetch"));
    let offline = args
        .iter()
        .any(|a| matches!(a.as_deref(), Some("--offline" | "--frozen")))
        || matches!(
            call.facts.env.value("CARGO_NET_OFFLINE"),
            Ok(Some("true" | "1"))
        );
    Use::Uses { prefetch, offline }
}
