//! BuildKit's build checks during a build: findings reach the user with `Warn` as
//! Docker's own Dockerfile frontend sends them (once per build, in BuildKit's order,
//! before dfopt's change records), `# check=` and `BUILDKIT_DOCKERFILE_CHECK` steer
//! them, and `error=true` fails the build with BuildKit's message.

mod common;

use bollard_buildkit_proto::moby::buildkit::v1::frontend as gw;
use common::*;
use dfopt_frontend::Outcome;

/// A daemon that takes warnings (BuildKit v0.10+).
fn setup(dockerfile: &str) -> DaemonSetup {
    let mut setup = DaemonSetup::with_dockerfile(dockerfile).with_alpine();
    setup.gateway_caps.push("gateway.warnings".to_owned());
    setup
}

fn shorts(warnings: &[gw::WarnRequest]) -> Vec<String> {
    warnings
        .iter()
        .map(|w| String::from_utf8_lossy(&w.short).into_owned())
        .collect()
}

fn lines(warning: &gw::WarnRequest) -> Vec<(i32, i32)> {
    warning
        .ranges
        .iter()
        .map(|r| {
            (
                r.start.as_ref().map_or(0, |p| p.line),
                r.end.as_ref().map_or(0, |p| p.line),
            )
        })
        .collect()
}

fn failure(outcome: Outcome) -> String {
    match outcome {
        Outcome::Failed(error) => error.bare_message().to_owned(),
        other => panic!("the build must fail, got {other:?}"),
    }
}

/// The checks' warnings (not dfopt's change records).
fn check_warnings(daemon: &FakeDaemon) -> Vec<gw::WarnRequest> {
    daemon
        .warnings()
        .into_iter()
        .filter(|w| !w.short.starts_with(b"dfopt "))
        .collect()
}

const VIOLATIONS: &str = "FROM alpine as base\nMAINTAINER me\nENV GREETING=hi\nRUN echo $GREETNG\nLABEL a=$GREETNG\nEXPOSE 80/TCP\nRUN echo one\nRUN echo two\n";

#[tokio::test]
async fn findings_are_sent_with_warn_like_buildkits_frontend() {
    let (outcome, daemon) = run_dfopt(setup(VIOLATIONS), &[]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let warnings = daemon.warnings();
    assert_eq!(
        shorts(&warnings)[..4],
        [
            "FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)",
            "MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)",
            "UndefinedVar: Usage of undefined variable '$GREETNG' (did you mean $GREETING?) (line 5)",
            "ExposeProtoCasing: Defined protocol '80/TCP' in EXPOSE instruction should be lowercase (line 6)",
        ]
    );
    // dfopt's own change records follow the checks.
    assert!(
        warnings[4..].iter().all(|w| w.short.starts_with(b"dfopt ")) && warnings.len() > 4,
        "{:?}",
        shorts(&warnings)
    );
    let first = &warnings[0];
    assert_eq!(first.level, 1);
    assert_eq!(
        first.detail,
        [b"The 'as' keyword should match the case of the 'from' keyword".to_vec()]
    );
    assert_eq!(
        first.url,
        "https://docs.docker.com/go/dockerfile/rule/from-as-casing/"
    );
    assert_eq!(lines(first), [(1, 1)]);
    let info = first.info.as_ref().expect("the Dockerfile as source info");
    assert_eq!(info.filename, "Dockerfile");
    assert_eq!(info.data, VIOLATIONS.as_bytes());
    // All on one vertex: the one that loaded the Dockerfile.
    assert!(first.digest.starts_with("sha256:"));
    assert!(warnings.iter().all(|w| w.digest == first.digest));
}

#[tokio::test]
async fn error_true_fails_the_build_after_sending_the_findings() {
    let dockerfile = "# check=error=true\nFROM alpine as base\nMAINTAINER me\nRUN true\n";
    let (outcome, daemon) = run_dfopt(setup(dockerfile), &[]).await;
    assert_eq!(
        failure(outcome),
        "lint violation found for rules: FromAsCasing, MaintainerDeprecated"
    );
    assert_eq!(check_warnings(&daemon).len(), 2);
    let returned = daemon.the_return();
    assert!(returned.result.is_none());
    // The Dockerfile without a place: no source frame, not even at `# syntax=`.
    let status = returned.error.expect("an error status");
    let source = status
        .details
        .iter()
        .find(|d| d.type_url == "github.com/moby/buildkit/errdefs.Source+json")
        .expect("a source detail");
    let source: serde_json::Value = serde_json::from_slice(&source.value).expect("json");
    assert_eq!(source["ranges"], serde_json::json!([]));
    assert_eq!(source["info"]["filename"], "Dockerfile");
    // Nothing was built: no solve names the base image.
    assert!(daemon
        .solves()
        .iter()
        .all(
            |s| s.definition.as_ref().is_none_or(|d| !source_identifiers(d)
                .iter()
                .any(|i| i.starts_with("docker-image://")))
        ));

    // A clean Dockerfile builds under error=true.
    let clean = "# check=error=true\nFROM alpine AS base\nRUN true\n";
    let (outcome, _) = run_dfopt(setup(clean), &[]).await;
    assert_eq!(outcome, Outcome::Succeeded);
}

#[tokio::test]
async fn skip_and_the_build_arg_steer_the_checks() {
    let dockerfile = "# check=skip=MaintainerDeprecated\nFROM alpine as base\nMAINTAINER me\n";
    let (outcome, daemon) = run_dfopt(setup(dockerfile), &[]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(
        shorts(&check_warnings(&daemon)),
        ["FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 2)"]
    );

    // The build-arg replaces the directive.
    let (outcome, daemon) = run_dfopt(
        setup(dockerfile),
        &["build-arg:BUILDKIT_DOCKERFILE_CHECK=skip=all"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(check_warnings(&daemon).is_empty());

    let (outcome, _) = run_dfopt(
        setup(dockerfile),
        &["build-arg:BUILDKIT_DOCKERFILE_CHECK=skip=FromAsCasing;error=true"],
    )
    .await;
    assert_eq!(
        failure(outcome),
        "lint violation found for rules: MaintainerDeprecated"
    );
}

#[tokio::test]
async fn an_invalid_check_configuration_fails_the_build() {
    let (outcome, _) = run_dfopt(setup("# check=nope=1\nFROM alpine\n"), &[]).await;
    assert_eq!(
        failure(outcome),
        "failed to parse check options: invalid check option \"nope\""
    );
    let (outcome, _) = run_dfopt(
        setup("FROM alpine\n"),
        &["build-arg:BUILDKIT_DOCKERFILE_CHECK=error=maybe"],
    )
    .await;
    assert_eq!(
        failure(outcome),
        "failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: failed to parse check option \"error=maybe\": strconv.ParseBool: parsing \"maybe\": invalid syntax"
    );
}

#[tokio::test]
async fn base_image_platform_is_checked_once_for_the_first_platform() {
    // alpine resolves to its amd64 config whatever the platform asked for.
    let dockerfile = "FROM alpine\nRUN true\n";
    let (outcome, daemon) = run_dfopt(
        setup(dockerfile),
        &["platform=linux/arm64,linux/amd64", "build-arg:DFOPT=off"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let warnings = check_warnings(&daemon);
    assert_eq!(
        shorts(&warnings),
        ["InvalidBaseImagePlatform: Base image alpine was pulled with platform \"linux/amd64\", expected \"linux/arm64\" for current build (line 1)"]
    );
    assert_eq!(warnings[0].url, "", "BuildKit has no page for this rule");
    assert_eq!(
        warnings[0].detail,
        [b"Base image platform does not match expected target platform".to_vec()]
    );
    // The images were resolved by the conversion, not again for the checks.
    let resolves = daemon.resolves();
    assert_eq!(resolves.len(), 2, "one per platform: {resolves:?}");
}

#[tokio::test]
async fn findings_before_a_conversion_error_are_still_sent() {
    let dockerfile = "FROM alpine\nMAINTAINER me\nCOPY --nope=1 a b\n";
    let (outcome, daemon) = run_dfopt(setup(dockerfile), &[]).await;
    assert!(failure(outcome).contains("unknown flag: --nope"));
    assert_eq!(
        shorts(&check_warnings(&daemon)),
        ["MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)"]
    );
}

#[tokio::test]
async fn older_daemons_get_no_warn_but_error_true_still_fails() {
    let dockerfile = "# check=error=true\nFROM alpine\nMAINTAINER me\n";
    let setup = DaemonSetup::with_dockerfile(dockerfile).with_alpine();
    let (outcome, daemon) = run_dfopt(setup, &[]).await;
    assert_eq!(
        failure(outcome),
        "lint violation found for rules: MaintainerDeprecated"
    );
    assert!(daemon.warnings().is_empty());
}

#[tokio::test]
async fn the_load_step_is_grouped_so_its_warnings_are_printed_beside_it() {
    let group_of = |definition: &bollard_buildkit_proto::pb::Definition| {
        definition
            .metadata
            .values()
            .find_map(|m| m.progress_group.clone())
    };
    let (outcome, daemon) = run_dfopt(setup("FROM alpine\nMAINTAINER me\n"), &[]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let calls = daemon.calls();
    let grouped: Vec<(usize, _)> = calls
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Call::Solve(s) => s.definition.as_ref().and_then(group_of).map(|g| (i, g)),
            _ => None,
        })
        .collect();
    // The Dockerfile's source, the op the warnings are attached to (solved before
    // them), and the op run after the warnings to show them.
    assert_eq!(grouped.len(), 3, "{grouped:?}");
    assert!(grouped.iter().all(|(_, g)| *g == grouped[0].1));
    assert_eq!(
        grouped[0].1.name,
        "[internal] load build definition from Dockerfile"
    );
    let first_warn = calls
        .iter()
        .position(|c| matches!(c, Call::Warn(_)))
        .expect("a Warn");
    let last_warn = calls
        .iter()
        .rposition(|c| matches!(c, Call::Warn(_)))
        .expect("a Warn");
    assert!(grouped[1].0 < first_warn);
    assert!(grouped[2].0 > last_warn);
    let Call::Solve(marker) = &calls[grouped[1].0] else {
        unreachable!("grouped holds solves only")
    };
    let marker_op = &marker.definition.as_ref().expect("a definition").def[0];
    let Call::Warn(warn) = &calls[first_warn] else {
        unreachable!("a Warn")
    };
    assert_eq!(warn.digest, dfopt_llb::digest(marker_op));

    // Nothing to show: no extra solve.
    let (_, daemon) = run_dfopt(
        setup("FROM alpine\nCMD [\"true\"]\n"),
        &["build-arg:DFOPT=off"],
    )
    .await;
    let grouped = daemon
        .solves()
        .iter()
        .filter(|s| s.definition.as_ref().and_then(group_of).is_some())
        .count();
    assert_eq!(grouped, 1);
}

#[tokio::test]
async fn lint_converts_without_a_target_platform_like_buildkit() {
    // The build checks the first platform; the lint subrequest ignores `platform`.
    let dockerfile = "FROM alpine\nCMD [\"true\"]\n";
    let (outcome, daemon) = run_dfopt(
        setup(dockerfile),
        &["requestid=frontend.lint", "platform=linux/arm64"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let result = daemon.the_return().result.expect("a result");
    let json: serde_json::Value =
        serde_json::from_slice(&result.metadata["result.json"]).expect("json");
    assert_eq!(json["warnings"], serde_json::Value::Null, "{json}");
}
