//! The optimizer's change records reach the user as gateway warnings on daemons
//! with the `gateway.warnings` cap, placed at the Dockerfile lines they concern;
//! older daemons (Docker 20.10) get no `Warn` call at all.

mod common;

use common::*;
use dfopt_frontend::Outcome;

const MERGEABLE: &str = "FROM alpine\nRUN echo one\nRUN echo two\n";

fn setup(with_warnings_cap: bool) -> DaemonSetup {
    let mut setup = DaemonSetup::with_dockerfile(MERGEABLE).with_alpine();
    if with_warnings_cap {
        setup.gateway_caps.push("gateway.warnings".to_owned());
    }
    setup
}

#[tokio::test]
async fn change_records_are_sent_as_warnings_where_the_daemon_has_the_cap() {
    let (outcome, daemon) = run_dfopt(setup(true), &[]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let warnings = daemon.warnings();
    let merged = warnings
        .iter()
        .find(|w| String::from_utf8_lossy(&w.short).starts_with("dfopt merge-runs: "))
        .unwrap_or_else(|| panic!("no merge-runs warning among {warnings:?}"));
    let lines: Vec<(i32, i32)> = merged
        .ranges
        .iter()
        .map(|r| {
            (
                r.start.as_ref().map_or(0, |p| p.line),
                r.end.as_ref().map_or(0, |p| p.line),
            )
        })
        .collect();
    assert_eq!(lines, [(2, 2), (3, 3)]);
    assert!(!merged.detail.is_empty(), "the reason is the detail");
    let info = merged.info.as_ref().expect("the Dockerfile as source info");
    assert_eq!(info.filename, "Dockerfile");
    assert_eq!(info.data, MERGEABLE.as_bytes());
    assert!(merged.digest.starts_with("sha256:"), "{}", merged.digest);
}

#[tokio::test]
async fn no_warn_call_without_the_cap() {
    let (outcome, daemon) = run_dfopt(setup(false), &[]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(daemon.warnings().is_empty());
}

#[tokio::test]
async fn no_warnings_when_rewrites_are_off() {
    let (outcome, daemon) = run_dfopt(setup(true), &["build-arg:DFOPT=off"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(daemon.warnings().is_empty(), "{:?}", daemon.warnings());
}
