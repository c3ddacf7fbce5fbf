//! The frontend's flow against a fake daemon: what it asks, in which order, and what
//! it returns.

mod common;

use base64::Engine as _;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as gw;
use common::*;
use dfopt_frontend::{BuildError, Outcome};
use serde_json::Value;

const DOCKERFILE: &str = "FROM busybox\nRUN echo hi\n";

fn error_of(r: &gw::ReturnRequest) -> bollard_buildkit_proto::google::rpc::Status {
    r.error.clone().expect("an error Return")
}

fn failed(outcome: &Outcome) -> &BuildError {
    match outcome {
        Outcome::Failed(error) => error,
        other => panic!("expected a returned failure, got {other:?}"),
    }
}

fn attr<'a>(source: &'a bollard_buildkit_proto::pb::SourceOp, key: &str) -> &'a str {
    source
        .attrs
        .get(key)
        .map(String::as_str)
        .unwrap_or("<missing>")
}

#[tokio::test]
async fn happy_path() {
    let mut setup = DaemonSetup::with_dockerfile(DOCKERFILE);
    setup.context_dir.insert(
        ".dockerignore".into(),
        b"# c\nnode_modules\n!keep\n".to_vec(),
    );
    let run = run_frontend(
        setup,
        &["image-resolve-mode=default", "cache-from=", "add-hosts="],
    )
    .await;
    assert_eq!(run.outcome, Outcome::Succeeded);
    assert_eq!(run.outcome.exit_code(), 0);

    let calls = run.daemon.calls();
    assert!(matches!(calls[0], Call::Ping), "Ping first: {calls:?}");
    // Like BuildKit, a local build asks for frontend inputs (Docker sends none).
    assert!(run.daemon.asked_for_inputs());

    // Two local solves (dockerfile + context .dockerignore), then the final one.
    let solves = run.daemon.solves();
    assert_eq!(solves.len(), 3, "{solves:?}");
    let locals: Vec<_> = solves[..2]
        .iter()
        .map(|s| local_source(s.definition.as_ref().expect("definition")).expect("a local source"))
        .collect();
    let (dockerfile, dockerfile_meta) = locals
        .iter()
        .find(|(s, _)| s.identifier == "local://dockerfile")
        .expect("local://dockerfile solved");
    assert_eq!(
        attr(dockerfile, "local.followpaths"),
        r#"["Dockerfile","Dockerfile.dockerignore","dockerfile"]"#
    );
    assert_eq!(attr(dockerfile, "local.session"), SESSION_ID);
    assert_eq!(attr(dockerfile, "local.sharedkeyhint"), "dockerfile");
    assert_eq!(
        dockerfile_meta
            .description
            .get("llb.customname")
            .map(String::as_str),
        Some("[internal] load build definition from Dockerfile")
    );
    let (context, context_meta) = locals
        .iter()
        .find(|(s, _)| s.identifier == "local://context")
        .expect("local://context solved");
    assert_eq!(attr(context, "local.followpaths"), r#"[".dockerignore"]"#);
    assert_eq!(
        attr(context, "local.sharedkeyhint"),
        "context-.dockerignore"
    );
    assert_eq!(attr(context, "local.session"), SESSION_ID);
    assert_eq!(
        context_meta
            .description
            .get("llb.customname")
            .map(String::as_str),
        Some("[internal] load .dockerignore")
    );

    let mut reads = run.daemon.read_files();
    reads.sort();
    assert_eq!(
        reads,
        [".dockerignore", "Dockerfile", "Dockerfile.dockerignore"]
    );

    let resolves = run.daemon.resolves();
    assert_eq!(resolves.len(), 1);
    assert_eq!(resolves[0].r#ref, "docker.io/library/busybox:latest");
    assert_eq!(
        resolves[0].log_name,
        "[internal] load metadata for docker.io/library/busybox:latest"
    );
    assert_eq!(resolves[0].resolve_mode, "default");
    assert_eq!(resolves[0].platform, None);

    // The final solve carries the lowered graph, pinned to the resolved digest.
    let final_definition = solves[2].definition.clone().expect("final definition");
    let dump = dfopt_llb::dump(&final_definition);
    assert!(
        dump.contains("docker.io/library/busybox:latest@sha256:bbbb"),
        "{dump}"
    );

    // Ordering: ResolveImageConfig after the reads, final Solve after it, Return last.
    let position =
        |pred: &dyn Fn(&Call) -> bool| calls.iter().position(pred).expect("call present");
    let resolve_at = position(&|c| matches!(c, Call::ResolveImageConfig(_)));
    let last_read = calls
        .iter()
        .rposition(|c| matches!(c, Call::ReadFile(_)))
        .expect("reads");
    assert!(last_read < resolve_at);
    let final_solve_at = calls
        .iter()
        .rposition(|c| matches!(c, Call::Solve(_)))
        .expect("solves");
    assert!(resolve_at < final_solve_at);
    assert!(matches!(calls.last(), Some(Call::Return(_))));

    let returned = run.daemon.the_return();
    let result = returned.result.expect("result");
    let Some(gw::result::Result::Ref(reference)) = result.result else {
        panic!("single ref expected: {result:?}")
    };
    assert_eq!(reference.id, "ref-3");
    let config: Value =
        serde_json::from_slice(&result.metadata["containerimage.config"]).expect("config JSON");
    assert_eq!(config["config"]["Labels"]["built-by"], "dfopt-test");
    assert_eq!(config["config"]["Cmd"][0], "sh");

    // What the lowering saw.
    let request = &run.lowering.requests()[0];
    assert_eq!(request.dockerfile.filename, "Dockerfile");
    assert_eq!(request.dockerfile.text, DOCKERFILE);
    assert_eq!(request.dockerignore, ["node_modules", "!keep"]);
    assert_eq!(request.session_id, SESSION_ID);
    assert_eq!(request.build_platform.to_string(), "linux/amd64");
    assert_eq!(request.target_platform, None);
    assert!(!request.multi_platform);
    assert!(request.caps.llb.supports_id("source.local"));
}

#[tokio::test]
async fn missing_dockerfile_is_a_clear_error() {
    let run = run_frontend(DaemonSetup::empty(), &["filename=Dockerfile"]).await;
    let error = failed(&run.outcome);
    assert_eq!(
        error.message(),
        "failed to read dockerfile: open Dockerfile: no such file or directory"
    );
    assert_eq!(run.outcome.exit_code(), 0);
    let status = error_of(&run.daemon.the_return());
    assert_eq!(status.code, 2);
    assert_eq!(status.message, error.message());
    // The lowercase fallback was tried; nothing was resolved or solved after that.
    assert!(run.daemon.read_files().contains(&"dockerfile".to_owned()));
    assert!(run.daemon.resolves().is_empty());
    assert_eq!(run.daemon.solves().len(), 2);
}

#[tokio::test]
async fn missing_custom_dockerfile_names_the_file() {
    let run = run_frontend(DaemonSetup::empty(), &["filename=build/Dockerfile.prod"]).await;
    assert_eq!(
        failed(&run.outcome).message(),
        "failed to read dockerfile: open build/Dockerfile.prod: no such file or directory"
    );
    // No lowercase fallback for a basename other than `Dockerfile`.
    assert!(!run
        .daemon
        .read_files()
        .iter()
        .any(|p| p.ends_with("dockerfile")));
}

#[tokio::test]
async fn parse_error_points_at_the_line() {
    let dockerfile = "FROM busybox\nRUN true\nENV onlykey\nRUN after\n";
    let run = run_frontend(DaemonSetup::with_dockerfile(dockerfile), &[]).await;
    let status = error_of(&run.daemon.the_return());
    assert!(
        status.message.starts_with("Dockerfile:3: "),
        "{}",
        status.message
    );
    assert_eq!(status.code, 2);

    assert_eq!(status.details.len(), 1);
    let detail = &status.details[0];
    assert_eq!(
        detail.type_url,
        "github.com/moby/buildkit/errdefs.Source+json"
    );
    let json: Value = serde_json::from_slice(&detail.value).expect("detail is JSON");
    assert_eq!(json["info"]["filename"], "Dockerfile");
    let data = base64::engine::general_purpose::STANDARD
        .decode(json["info"]["data"].as_str().expect("data string"))
        .expect("base64");
    assert_eq!(data, dockerfile.as_bytes());
    assert_eq!(json["ranges"][0]["start"]["Line"], 3);
    assert_eq!(json["ranges"][0]["end"]["Line"], 3);
    // Nothing was resolved or lowered.
    assert!(run.daemon.resolves().is_empty());
    assert!(run.lowering.requests().is_empty());
}

/// A daemon with `gateway.warnings` (BuildKit v0.10+, Docker 23+) is driven by buildx,
/// which frames the Dockerfile lines from the source detail itself: the message stays
/// BuildKit's own, without the `Dockerfile:3: ` prefix Docker 20.10's CLI needs.
#[tokio::test]
async fn parse_error_message_is_bare_for_buildx_daemons() {
    let dockerfile = "FROM busybox\nRUN true\nENV onlykey\nRUN after\n";
    let mut setup = DaemonSetup::with_dockerfile(dockerfile);
    setup.gateway_caps.push("gateway.warnings".to_owned());
    let run = run_frontend(setup, &[]).await;
    let status = error_of(&run.daemon.the_return());
    assert_eq!(status.message, "ENV must have two arguments");
    assert_eq!(status.details.len(), 1);
}

#[tokio::test]
async fn lowercase_dockerfile_fallback() {
    let mut setup = DaemonSetup::empty();
    setup
        .dockerfile_dir
        .insert("dockerfile".into(), DOCKERFILE.as_bytes().to_vec());
    let run = run_frontend(setup, &[]).await;
    assert_eq!(run.outcome, Outcome::Succeeded);
    let reads = run.daemon.read_files();
    let upper = reads
        .iter()
        .position(|p| p == "Dockerfile")
        .expect("tried Dockerfile");
    let lower = reads
        .iter()
        .position(|p| p == "dockerfile")
        .expect("then dockerfile");
    assert!(upper < lower);
    // The source keeps the requested name, as BuildKit does.
    assert_eq!(run.lowering.requests()[0].dockerfile.filename, "Dockerfile");
}

#[tokio::test]
async fn dockerfile_specific_dockerignore_wins() {
    let mut setup = DaemonSetup::with_dockerfile(DOCKERFILE);
    setup
        .dockerfile_dir
        .insert("Dockerfile.dockerignore".into(), b"specific\n".to_vec());
    setup
        .context_dir
        .insert(".dockerignore".into(), b"general\n".to_vec());
    let run = run_frontend(setup, &[]).await;
    assert_eq!(run.outcome, Outcome::Succeeded);
    assert_eq!(run.lowering.requests()[0].dockerignore, ["specific"]);
}

#[tokio::test]
async fn no_dockerignore_anywhere() {
    let run = run_frontend(DaemonSetup::with_dockerfile(DOCKERFILE), &[]).await;
    assert_eq!(run.outcome, Outcome::Succeeded);
    assert!(run.lowering.requests()[0].dockerignore.is_empty());
}

#[tokio::test]
async fn renamed_locals() {
    let mut setup = DaemonSetup::empty();
    setup
        .dockerfile_dir
        .insert("Dockerfile".into(), DOCKERFILE.as_bytes().to_vec());
    let run = run_frontend(setup, &["dockerfilekey=dockerfile", "contextkey=context"]).await;
    assert_eq!(run.outcome, Outcome::Succeeded);
}

#[tokio::test]
async fn bad_option_is_returned_as_invalid_argument() {
    let run = run_frontend(
        DaemonSetup::with_dockerfile(DOCKERFILE),
        &["image-resolve-mode=x"],
    )
    .await;
    let status = error_of(&run.daemon.the_return());
    assert_eq!(status.code, 3);
    assert_eq!(
        status.message,
        r#"invalid image-resolve-mode "x" (want default, pull or local)"#
    );
    // Only Ping happened before the Return.
    assert_eq!(run.daemon.calls().len(), 2);
}

#[tokio::test]
async fn unsupported_frontend_cap() {
    let run = run_frontend(
        DaemonSetup::with_dockerfile(DOCKERFILE),
        &["frontend.caps=moby.buildkit.frontend.gitquerystring+forward"],
    )
    .await;
    let status = error_of(&run.daemon.the_return());
    assert_eq!(status.code, 12);
    assert_eq!(
        status.message,
        "unsupported frontend capability moby.buildkit.frontend.gitquerystring"
    );
    assert_eq!(
        status.details[0].type_url,
        "github.com/moby/buildkit/errdefs.FrontendCap+json"
    );
}

#[tokio::test]
async fn unknown_subrequests_are_refused() {
    let run = run_frontend(
        DaemonSetup::with_dockerfile(DOCKERFILE),
        &["requestid=frontend.nope"],
    )
    .await;
    let status = error_of(&run.daemon.the_return());
    assert_eq!(status.code, 12);
    assert_eq!(status.message, "unsupported request frontend.nope");
    assert_eq!(
        status.details[0].type_url,
        "github.com/moby/buildkit/errdefs.Subrequest+json"
    );
}

#[tokio::test]
async fn claimed_frontend_caps_are_accepted() {
    let run = run_frontend(
        DaemonSetup::with_dockerfile(DOCKERFILE),
        &["frontend.caps=moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts+forward"],
    )
    .await;
    assert_eq!(run.outcome, Outcome::Succeeded);
}

#[tokio::test]
async fn never_forwards_on_syntax_directive_or_build_arg() {
    let dockerfile = "# syntax=docker/dockerfile:1\nFROM busybox\n";
    // No `cmdline`: the official frontend would forward here; we must not.
    let run = run_frontend(
        DaemonSetup::with_dockerfile(dockerfile),
        &["build-arg:BUILDKIT_SYNTAX=docker/dockerfile:1.4"],
    )
    .await;
    assert_eq!(run.outcome, Outcome::Succeeded);
    // assert_protocol_rules (run by the harness) checked that no Solve named a frontend.
    assert!(run
        .daemon
        .solves()
        .iter()
        .all(|s| s.frontend.is_empty() && s.frontend_opt.is_empty()));
}

#[tokio::test]
async fn resolve_failure_points_at_the_from_line() {
    let dockerfile = "FROM busybox AS a\nFROM nope:1.0\n";
    let run = run_frontend(DaemonSetup::with_dockerfile(dockerfile), &[]).await;
    let status = error_of(&run.daemon.the_return());
    assert_eq!(
        status.message,
        "Dockerfile:2: failed to resolve image docker.io/library/nope:1.0: docker.io/library/nope:1.0: not found"
    );
    let json: Value = serde_json::from_slice(&status.details[0].value).expect("JSON");
    assert_eq!(json["ranges"][0]["start"]["Line"], 2);
}

#[tokio::test]
async fn lowering_error_is_located() {
    // The test lowering rejects an unparsable image reference at its FROM line.
    let run = run_frontend(
        DaemonSetup::with_dockerfile("FROM busybox\nFROM Bad:Ref:x\n"),
        &[],
    )
    .await;
    let status = error_of(&run.daemon.the_return());
    assert!(
        status.message.starts_with("Dockerfile:2: "),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn multi_platform_result() {
    let mut setup = DaemonSetup::with_dockerfile(DOCKERFILE);
    setup.images.insert(
        "docker.io/library/busybox:latest".into(),
        (
            String::new(),
            br#"{"architecture":"arm64","os":"linux","config":{}}"#.to_vec(),
        ),
    );
    let run = run_frontend(setup, &["platform=linux/amd64,linux/arm64"]).await;
    assert_eq!(run.outcome, Outcome::Succeeded);

    let mut log_names: Vec<String> = run
        .daemon
        .resolves()
        .iter()
        .map(|r| r.log_name.clone())
        .collect();
    log_names.sort();
    assert_eq!(
        log_names,
        [
            "[linux/amd64 internal] load metadata for docker.io/library/busybox:latest",
            "[linux/arm64 internal] load metadata for docker.io/library/busybox:latest",
        ]
    );
    assert!(run.daemon.resolves().iter().all(|r| r.platform.is_some()));

    let result = run.daemon.the_return().result.expect("result");
    let Some(gw::result::Result::Refs(refs)) = result.result else {
        panic!("refs map expected")
    };
    let mut keys: Vec<_> = refs.refs.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["linux/amd64", "linux/arm64"]);
    assert!(result
        .metadata
        .contains_key("containerimage.config/linux/amd64"));
    assert!(result
        .metadata
        .contains_key("containerimage.config/linux/arm64"));
    let platforms: Value =
        serde_json::from_slice(&result.metadata["refs.platforms"]).expect("JSON");
    assert_eq!(platforms["Platforms"][1]["ID"], "linux/arm64");
    assert_eq!(
        platforms["Platforms"][1]["Platform"]["architecture"],
        "arm64"
    );
    assert_eq!(platforms["Platforms"][1]["Platform"]["os"], "linux");
}

#[tokio::test]
async fn old_daemon_without_caps_gets_deprecated_ref() {
    let mut setup = DaemonSetup::with_dockerfile(DOCKERFILE);
    setup.gateway_caps.clear();
    setup.llb_caps.clear();
    let run = run_frontend(setup, &[]).await;
    assert_eq!(run.outcome, Outcome::Succeeded);
    // Nor `frontend.inputs`: Inputs is not called.
    assert!(!run.daemon.asked_for_inputs());
    let result = run.daemon.the_return().result.expect("result");
    // The frozen default gateway caps lack `proto.refarray`.
    assert!(matches!(
        result.result,
        Some(gw::result::Result::RefDeprecated(_))
    ));
}

#[tokio::test]
async fn oversized_definition_is_refused_before_sending() {
    let lowering = TestLowering {
        pad_definition: 5 * 1024 * 1024,
        ..TestLowering::default()
    };
    let run = run_frontend_with(
        DaemonSetup::with_dockerfile(DOCKERFILE),
        &[],
        lowering,
        test_config(),
    )
    .await;
    let status = error_of(&run.daemon.the_return());
    assert_eq!(status.code, 8, "ResourceExhausted");
    assert!(
        status.message.contains("more than the 4194304 bytes"),
        "{}",
        status.message
    );
    // The final Solve was never sent.
    assert_eq!(run.daemon.solves().len(), 2);
}

#[tokio::test]
async fn cache_imports_reach_the_final_solve() {
    let run = run_frontend(
        DaemonSetup::with_dockerfile(DOCKERFILE),
        &["cache-from=registry.example/app:cache"],
    )
    .await;
    assert_eq!(run.outcome, Outcome::Succeeded);
    let solves = run.daemon.solves();
    let last = solves.last().expect("final solve");
    assert_eq!(last.cache_imports.len(), 1);
    assert_eq!(last.cache_imports[0].r#type, "registry");
    assert_eq!(
        last.cache_imports[0].attrs["ref"],
        "registry.example/app:cache"
    );
    assert!(solves[..2].iter().all(|s| s.cache_imports.is_empty()));
}

#[tokio::test]
async fn lowering_panic_is_returned_as_an_error() {
    let lowering = TestLowering {
        panic_in_lower: true,
        ..TestLowering::default()
    };
    let run = run_frontend_with(
        DaemonSetup::with_dockerfile(DOCKERFILE),
        &[],
        lowering,
        test_config(),
    )
    .await;
    let status = error_of(&run.daemon.the_return());
    assert_eq!(status.code, 13, "Internal");
    assert_eq!(
        status.message,
        "internal error in the Dockerfile conversion (lower): test lowering exploded"
    );
}
