//! Named contexts (`context:NAME=…`, buildx `--build-context`) replacing `FROM NAME`,
//! `COPY --from=NAME`, `RUN --mount=from=NAME` and whole stages, with the real
//! conversion against a fake daemon.

mod common;

use base64::Engine as _;
use common::*;
use dfopt_frontend::Outcome;
use dfopt_llb::{Http, OpOptions};

fn setup(dockerfile: &str) -> DaemonSetup {
    DaemonSetup::with_dockerfile(dockerfile).with_alpine()
}

fn failure(outcome: Outcome) -> String {
    match outcome {
        Outcome::Failed(error) => error.message().to_owned(),
        other => panic!("expected a returned failure, got {other:?}"),
    }
}

#[tokio::test]
async fn docker_image_context_replaces_from() {
    let (outcome, daemon) = run_dfopt(
        setup("FROM base\nRUN echo hi\n"),
        &[
            "context:base=docker-image://alpine:3.18",
            "build-arg:DFOPT=off",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let resolves: Vec<(String, String)> = daemon
        .resolves()
        .into_iter()
        .map(|r| (r.r#ref, r.log_name))
        .collect();
    assert_eq!(
        resolves,
        [(
            "docker.io/library/alpine:3.18".to_owned(),
            "[context base] load metadata for alpine:3.18".to_owned()
        )]
    );
    let final_graph = daemon.final_definition();
    assert!(
        dfopt_llb::validate(&final_graph).is_ok(),
        "{:?}",
        dfopt_llb::validate(&final_graph)
    );
    let identifiers = source_identifiers(&final_graph);
    assert_eq!(
        identifiers,
        ["docker-image://docker.io/library/alpine:3.18"]
    );
    let (_, name) = source_named(&final_graph, "docker-image://docker.io/library/alpine:3.18");
    assert_eq!(name, "[context base] alpine:3.18");
    // The context's image config is the base config.
    let config = daemon.result_config();
    let env: Vec<String> = serde_json::from_value(config["config"]["Env"].clone()).expect("Env");
    assert!(env.contains(&"FROM_ALPINE=1".to_owned()), "{env:?}");
}

#[tokio::test]
async fn familiar_names_and_platform_keys() {
    // `FROM docker.io/library/base:latest` looks up `context:base`; the key for the
    // target platform wins over the plain one.
    let (outcome, daemon) = run_dfopt(
        setup("FROM docker.io/library/base:latest\n"),
        &[
            "platform=linux/arm64",
            "context:base=docker-image://busybox",
            "context:base::linux/arm64=docker-image://alpine",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let resolves = daemon.resolves();
    assert_eq!(resolves.len(), 1);
    assert_eq!(resolves[0].r#ref, "docker.io/library/alpine:latest");
    assert_eq!(
        resolves[0].log_name,
        "[context base::linux/arm64] load metadata for alpine"
    );
    assert_eq!(
        resolves[0]
            .platform
            .as_ref()
            .map(|p| p.architecture.as_str()),
        Some("arm64")
    );
}

#[tokio::test]
async fn local_context_for_copy_from() {
    let mut setup = setup("FROM alpine\nCOPY --from=assets /logo.png /srv/\n");
    setup.graph_files.insert(
        "assets-dir".into(),
        [(".dockerignore".to_owned(), b"*.tmp\n".to_vec())].into(),
    );
    let (outcome, daemon) = run_dfopt(
        setup,
        &[
            "context:assets=local:assets-dir",
            "sharedkey:localdir:assets=k1",
            "local-sessionid:assets-dir=other-session",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    // The directory's .dockerignore was read through its own small transfer.
    let ignore_solve = daemon
        .solves()
        .into_iter()
        .find(|s| graph_kind(s.definition.as_ref().expect("definition")) == "assets-dir")
        .expect("the .dockerignore solve");
    assert!(ignore_solve.evaluate, "evaluated like BuildKit");
    let (ignore, ignore_name) = source_named(
        ignore_solve.definition.as_ref().expect("definition"),
        "local://assets-dir",
    );
    assert_eq!(
        ignore.attrs.get("local.followpaths").map(String::as_str),
        Some(r#"[".dockerignore"]"#)
    );
    assert_eq!(
        ignore.attrs.get("local.sharedkeyhint").map(String::as_str),
        Some("context:assets-.dockerignore")
    );
    assert_eq!(ignore_name, "[context assets] load .dockerignore");

    let final_graph = daemon.final_definition();
    assert!(dfopt_llb::validate(&final_graph).is_ok());
    let (local, name) = source_named(&final_graph, "local://assets-dir");
    assert_eq!(name, "[context assets] load from client");
    assert_eq!(
        local.attrs.get("local.excludepatterns").map(String::as_str),
        Some(r#"["*.tmp"]"#)
    );
    assert_eq!(
        local.attrs.get("local.sharedkeyhint").map(String::as_str),
        Some("context:assets-k1")
    );
    assert_eq!(
        local.attrs.get("local.session").map(String::as_str),
        Some("other-session")
    );
    assert!(!source_identifiers(&final_graph)
        .iter()
        .any(|i| i.contains("library/assets")));
    assert!(copies(&final_graph).iter().any(|c| c.src == "/logo.png"));
}

#[tokio::test]
async fn git_context_for_a_run_mount() {
    let (outcome, daemon) = run_dfopt(
        setup("FROM alpine\nRUN --mount=from=tools,target=/t /t/run.sh\n"),
        &[
            "context:tools=https://example.com/tools.git#v2",
            "build-arg:DFOPT=off",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let final_graph = daemon.final_definition();
    assert!(dfopt_llb::validate(&final_graph).is_ok());
    let identifiers = source_identifiers(&final_graph);
    assert!(
        identifiers.contains(&"git://example.com/tools.git#v2".to_owned()),
        "{identifiers:?}"
    );
    assert!(
        !identifiers.iter().any(|i| i.contains("library/tools")),
        "{identifiers:?}"
    );
}

#[tokio::test]
async fn a_stage_replaced_by_a_context_is_not_built() {
    let dockerfile =
        "FROM alpine AS build\nRUN echo built > /out\n\nFROM alpine\nCOPY --from=build /out /out\n";
    let (outcome, daemon) = run_dfopt(
        setup(dockerfile),
        &[
            "context:build=https://example.com/prebuilt.tar.gz",
            "build-arg:DFOPT=off",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    // The placeholder was never resolved over the bridge.
    assert!(daemon
        .resolves()
        .iter()
        .all(|r| !r.r#ref.contains("dfopt.invalid")));
    let final_graph = daemon.final_definition();
    assert!(dfopt_llb::validate(&final_graph).is_ok());
    let identifiers = source_identifiers(&final_graph);
    assert!(
        identifiers.contains(&"https://example.com/prebuilt.tar.gz".to_owned()),
        "{identifiers:?}"
    );
    assert!(
        !identifiers.iter().any(|i| i.contains("dfopt.invalid")),
        "{identifiers:?}"
    );
    let has_exec = final_graph.def.iter().any(|bytes| {
        matches!(
            <dfopt_llb::pb::Op as prost::Message>::decode(bytes.as_slice()).map(|op| op.op),
            Ok(Some(dfopt_llb::pb::op::Op::Exec(_)))
        )
    });
    assert!(!has_exec, "the replaced stage's RUN must not be built");
    // The source map holds the user's Dockerfile, not the rewritten one.
    let infos = final_graph.source.expect("source map").infos;
    assert!(infos
        .iter()
        .all(|info| info.data.is_empty() || info.data == dockerfile.as_bytes()));
    let config = daemon.result_config();
    assert!(config["rootfs"]["diff_ids"]
        .to_string()
        .contains("sha256:aaaa"));
}

#[tokio::test]
async fn a_replaced_target_stage_is_the_result() {
    let (outcome, daemon) = run_dfopt(
        setup("FROM alpine AS app\nRUN false\n"),
        &["context:app=docker-image://alpine:3.18"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(
        source_identifiers(&daemon.final_definition()),
        ["docker-image://docker.io/library/alpine:3.18"]
    );
}

#[tokio::test]
async fn input_context_with_image_config() {
    let caps = dfopt_llb::CapSet::buildkit_v0_8();
    let mut setup = setup("FROM base\nCOPY --from=extra / /extra\n");
    let input = Http::new("https://example.com/input")
        .expect("url")
        .custom_name("an input")
        .build()
        .marshal(&caps)
        .expect("marshal");
    setup.inputs.insert("base-in".into(), input.clone());
    setup.inputs.insert("extra-in".into(), input);
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":null},"config":{"Env":["FROM_INPUT=1"]}}"#;
    let metadata = format!(
        r#"{{"containerimage.config":"{}"}}"#,
        base64::engine::general_purpose::STANDARD.encode(config)
    );
    let (outcome, daemon) = run_dfopt(
        setup,
        &[
            "context:base=input:base-in",
            &format!("input-metadata:base-in={metadata}"),
            "context:extra=input:extra-in",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let final_graph = daemon.final_definition();
    assert!(dfopt_llb::validate(&final_graph).is_ok());
    assert!(source_identifiers(&final_graph)
        .iter()
        .all(|i| i == "https://example.com/input"));
    let config = daemon.result_config();
    let env: Vec<String> = serde_json::from_value(config["config"]["Env"].clone()).expect("Env");
    assert!(env.contains(&"FROM_INPUT=1".to_owned()), "{env:?}");
    // The stand-in layer that kept the input from being taken for scratch is gone.
    assert!(
        config["rootfs"]["diff_ids"].is_null(),
        "{}",
        config["rootfs"]
    );
}

#[tokio::test]
async fn scratch_image_context() {
    let (outcome, daemon) = run_dfopt(
        setup("FROM alpine\nCOPY --from=empty / /e\n"),
        &["context:empty=docker-image://scratch"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let final_graph = daemon.final_definition();
    assert!(dfopt_llb::validate(&final_graph).is_ok());
    assert!(!source_identifiers(&final_graph)
        .iter()
        .any(|i| i.contains("library/empty")));
    let (outcome, daemon) = run_dfopt(
        setup("FROM base\n"),
        &["context:base=docker-image://scratch"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(daemon.resolves().is_empty());
}

#[tokio::test]
async fn oci_layout_context_needs_the_cap() {
    let digest = format!("sha256:{}", "c".repeat(64));
    let option = format!("context:base=oci-layout://mystore:v1@{digest}");
    let (outcome, _) = run_dfopt(setup("FROM base\n"), &[option.as_str()]).await;
    let message = failure(outcome);
    assert!(message.contains("need BuildKit v0.11"), "{message}");
    assert!(
        message.starts_with("failed to load named context base (oci-layout://"),
        "{message}"
    );

    let mut with_cap = setup("FROM base\n");
    with_cap.llb_caps.push("source.ocilayout".to_owned());
    with_cap.images.insert(
        format!("docker.io/library/base@{digest}"),
        (String::new(), ALPINE_CONFIG.to_vec()),
    );
    let (outcome, daemon) = run_dfopt(with_cap, &[option.as_str()]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let resolve = daemon.resolves().into_iter().next().expect("a resolve");
    assert_eq!(resolve.resolver_type, 1);
    assert_eq!(resolve.store_id, "mystore");
    assert_eq!(resolve.session_id, SESSION_ID);
    let final_graph = daemon.final_definition();
    assert!(dfopt_llb::validate(&final_graph).is_ok());
    let (source, name) = source_named(
        &final_graph,
        &format!("oci-layout://docker.io/library/base@{digest}"),
    );
    assert_eq!(name, "[context base] OCI load from client");
    assert_eq!(
        source.attrs.get("oci.store").map(String::as_str),
        Some("mystore")
    );
}

#[tokio::test]
async fn bad_named_contexts_are_clear_errors() {
    let (outcome, _) = run_dfopt(setup("FROM base\n"), &["context:base=ftp://x/y"]).await;
    assert_eq!(
        failure(outcome),
        "failed to load named context base (ftp://x/y): unsupported context source ftp for base"
    );
    let (outcome, _) = run_dfopt(setup("FROM base\n"), &["context:base=nocolon"]).await;
    assert!(failure(outcome).ends_with("invalid context specifier nocolon for base"));
    let (outcome, _) = run_dfopt(setup("FROM base\n"), &["context:base=input:absent"]).await;
    assert!(failure(outcome).ends_with("invalid input absent for base"));
    let (outcome, _) = run_dfopt(
        setup("FROM base\n"),
        &["context:base=docker-image://nope:1"],
    )
    .await;
    assert!(failure(outcome).contains("docker.io/library/nope:1: not found"));
}

#[tokio::test]
async fn unused_and_reserved_names_change_nothing() {
    let (outcome, daemon) = run_dfopt(
        setup("FROM alpine\n"),
        &[
            "context:other=docker-image://busybox",
            "context:scratch=docker-image://alpine",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(
        source_identifiers(&daemon.final_definition()),
        ["docker-image://docker.io/library/alpine:latest"]
    );
}
