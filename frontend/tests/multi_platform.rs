//! Multi-platform results (`platform=a,b`, `multi-platform`) in BuildKit's shape: one
//! ref per platform id, `containerimage.config/<id>` per platform, and `refs.platforms`
//! listing the platforms in the order they were asked for.

mod common;

use bollard_buildkit_proto::moby::buildkit::v1::frontend as gw;
use common::*;
use dfopt_frontend::Outcome;

const DOCKERFILE: &str = "FROM alpine\nRUN echo hi > /x\n";

fn result_of(daemon: &FakeDaemon) -> gw::Result {
    daemon.the_return().result.expect("a result")
}

fn refs_of(result: &gw::Result) -> Vec<String> {
    match &result.result {
        Some(gw::result::Result::Refs(refs)) => refs.refs.keys().cloned().collect(),
        other => panic!("a refs map expected, got {other:?}"),
    }
}

#[tokio::test]
async fn platforms_in_the_order_given() {
    let setup = DaemonSetup::with_dockerfile(DOCKERFILE).with_alpine();
    let (outcome, daemon) = run_dfopt(
        setup,
        &[
            "platform=linux/arm64,linux/amd64,linux/arm/v7",
            "build-arg:DFOPT=off",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let result = result_of(&daemon);
    let mut refs = refs_of(&result);
    refs.sort();
    assert_eq!(refs, ["linux/amd64", "linux/arm/v7", "linux/arm64"]);
    assert_eq!(
        String::from_utf8(result.metadata["refs.platforms"].clone()).expect("utf8"),
        concat!(
            r#"{"Platforms":[{"ID":"linux/arm64","Platform":{"architecture":"arm64","os":"linux"}},"#,
            r#"{"ID":"linux/amd64","Platform":{"architecture":"amd64","os":"linux"}},"#,
            r#"{"ID":"linux/arm/v7","Platform":{"architecture":"arm","os":"linux","variant":"v7"}}]}"#
        )
    );
    let mut keys: Vec<&String> = result.metadata.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "containerimage.config/linux/amd64",
            "containerimage.config/linux/arm/v7",
            "containerimage.config/linux/arm64",
            "refs.platforms"
        ]
    );
    // Each platform's config names its platform.
    let arm: serde_json::Value =
        serde_json::from_slice(&result.metadata["containerimage.config/linux/arm/v7"])
            .expect("JSON");
    assert_eq!(
        (arm["architecture"].as_str(), arm["variant"].as_str()),
        (Some("arm"), Some("v7"))
    );

    // One final (evaluated) solve per platform, each with its platform on the ops.
    let finals: Vec<String> = daemon
        .solves()
        .iter()
        .filter(|s| s.evaluate)
        .map(|s| dfopt_llb::dump(s.definition.as_ref().expect("definition")))
        .collect();
    assert_eq!(finals.len(), 3);
    for platform in ["linux/arm64", "linux/amd64", "linux/arm/v7"] {
        assert!(
            finals
                .iter()
                .any(|dump| dump.contains(&format!("platform: {platform}"))),
            "{platform}"
        );
    }
}

#[tokio::test]
async fn multi_platform_true_with_one_platform_is_a_map() {
    let setup = DaemonSetup::with_dockerfile(DOCKERFILE).with_alpine();
    let (outcome, daemon) =
        run_dfopt(setup, &["platform=linux/arm64", "multi-platform=true"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let result = result_of(&daemon);
    assert_eq!(refs_of(&result), ["linux/arm64"]);
    assert!(result.metadata.contains_key("refs.platforms"));
    assert!(!result.metadata.contains_key("containerimage.config"));
}

#[tokio::test]
async fn multi_platform_without_a_platform_uses_the_default() {
    let setup = DaemonSetup::with_dockerfile(DOCKERFILE).with_alpine();
    let (outcome, daemon) = run_dfopt(setup, &["build-arg:BUILDKIT_MULTI_PLATFORM=1"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(refs_of(&result_of(&daemon)), ["linux/amd64"]);
}

#[tokio::test]
async fn one_platform_is_a_single_ref() {
    let setup = DaemonSetup::with_dockerfile(DOCKERFILE).with_alpine();
    let (outcome, daemon) = run_dfopt(setup, &["platform=linux/arm64"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let result = result_of(&daemon);
    assert!(matches!(result.result, Some(gw::result::Result::Ref(_))));
    assert!(result.metadata.contains_key("containerimage.config"));
    assert!(!result.metadata.contains_key("refs.platforms"));
}

#[tokio::test]
async fn conflicting_multi_platform_false() {
    let setup = DaemonSetup::with_dockerfile(DOCKERFILE).with_alpine();
    let (outcome, _) = run_dfopt(
        setup,
        &["platform=linux/arm64,linux/amd64", "multi-platform=false"],
    )
    .await;
    let Outcome::Failed(error) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert!(
        error
            .message()
            .contains("multi-platform=false with more than one target platform"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn bad_platform_is_refused() {
    let setup = DaemonSetup::with_dockerfile(DOCKERFILE).with_alpine();
    let (outcome, _) = run_dfopt(setup, &["platform=linux/arm64,bogus/x/y/z"]).await;
    let Outcome::Failed(error) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert!(
        error
            .message()
            .contains("failed to parse target platform bogus/x/y/z"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn resolve_failure_fails_a_multi_platform_build() {
    // The last stage's base resolves on no platform.
    let setup = DaemonSetup::with_dockerfile(
        "FROM alpine
FROM --platform=linux/s390x nope
",
    )
    .with_alpine();
    let (outcome, daemon) = run_dfopt(setup, &["platform=linux/arm64,linux/amd64"]).await;
    let Outcome::Failed(error) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert!(error.message().contains("nope"), "{}", error.message());
    assert!(daemon.the_return().error.is_some());
}
