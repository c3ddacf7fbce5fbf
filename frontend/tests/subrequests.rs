//! Subrequests (`requestid`) against the fake daemon: each answer is a result with
//! an empty ref and BuildKit's metadata keys, checked against the fixtures in
//! `tests/data/subrequests/` (written from BuildKit's formats, not generated).

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as gw;
use common::*;
use dfopt_frontend::Outcome;
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/subrequests")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs one subrequest and returns the answer's metadata.
async fn ask(setup: DaemonSetup, options: &[&str]) -> (HashMap<String, Vec<u8>>, Run) {
    let run = run_frontend(setup, options).await;
    assert_eq!(run.outcome, Outcome::Succeeded, "{:?}", run.outcome);
    let result = run.daemon.the_return().result.expect("a result");
    match result.result {
        Some(gw::result::Result::Ref(reference)) => {
            assert_eq!(reference.id, "", "no filesystem in an answer")
        }
        other => panic!("expected an empty ref, got {other:?}"),
    }
    // Nothing is built: only the Dockerfile and .dockerignore reads are solved.
    assert!(run.daemon.solves().len() <= 2, "{:?}", run.daemon.solves());
    (result.metadata, run)
}

fn text(metadata: &HashMap<String, Vec<u8>>, key: &str) -> String {
    String::from_utf8(
        metadata
            .get(key)
            .unwrap_or_else(|| panic!("no {key}"))
            .clone(),
    )
    .expect("utf-8")
}

fn json_of(metadata: &HashMap<String, Vec<u8>>) -> Value {
    serde_json::from_str(&text(metadata, "result.json")).expect("result.json is JSON")
}

fn b64(data: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn lines(start: u32, end: u32) -> Value {
    json!({"ranges": [{"start": {"line": start}, "end": {"line": end}}]})
}

#[tokio::test]
async fn describe_lists_every_answered_subrequest() {
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile("FROM busybox\n"),
        &[
            "requestid=frontend.subrequests.describe",
            "frontend.caps=moby.buildkit.frontend.subrequests",
        ],
    )
    .await;
    assert_eq!(
        text(&metadata, "result.json"),
        fixture("describe.result.json")
    );
    assert_eq!(
        text(&metadata, "result.txt"),
        fixture("describe.result.txt")
    );
    assert_eq!(text(&metadata, "version"), "1.0.0");
    let mut keys: Vec<&String> = metadata.keys().collect();
    keys.sort();
    assert_eq!(keys, ["result.json", "result.txt", "version"]);
}

#[tokio::test]
async fn targets_lists_stages_with_doc_comments() {
    let dockerfile = fixture("targets.Dockerfile");
    let (metadata, run) = ask(
        DaemonSetup::with_dockerfile(&dockerfile),
        &["requestid=frontend.targets"],
    )
    .await;
    assert!(
        run.daemon.resolves().is_empty(),
        "targets resolves no image"
    );
    let raw = text(&metadata, "result.json");
    assert!(
        raw.starts_with("{\n  \"targets\": [\n    {\n      \"name\": \"base\",\n"),
        "{raw}"
    );
    assert_eq!(
        json_of(&metadata),
        json!({
            "targets": [
                {"name": "base", "description": "the base image", "base": "busybox", "location": lines(2, 2)},
                {"name": "build", "description": "compiles things", "base": "base", "platform": "$BUILDPLATFORM", "location": lines(4, 4)},
                {"default": true, "base": "scratch", "location": lines(5, 5)},
            ],
            "sources": [b64(&dockerfile)],
        })
    );
    assert_eq!(text(&metadata, "result.txt"), fixture("targets.result.txt"));
}

#[tokio::test]
async fn outline_reports_used_args_secrets_and_ssh() {
    let dockerfile = fixture("outline.Dockerfile");
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(&dockerfile),
        &["requestid=frontend.outline"],
    )
    .await;
    assert_eq!(
        json_of(&metadata),
        json!({
            "name": "release",
            "description": "the release stage",
            "args": [
                {"name": "VERSION", "description": "the version to build", "value": "1.0", "location": lines(2, 2)},
                {"name": "LEVEL", "description": "log level", "value": "info", "location": lines(10, 10)},
            ],
            "secrets": [
                {"name": "token", "required": true, "location": lines(11, 11)},
                {"name": "npmrc", "location": lines(13, 13)},
            ],
            "ssh": [{"name": "default", "location": lines(11, 11)}],
            "sources": [b64(&dockerfile)],
        })
    );
    assert_eq!(text(&metadata, "result.txt"), fixture("outline.result.txt"));
    assert_eq!(text(&metadata, "version"), "1.0.0");
}

#[tokio::test]
async fn outline_of_another_target_and_build_arg_values() {
    let dockerfile = fixture("outline.Dockerfile");
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(&dockerfile),
        &[
            "requestid=frontend.outline",
            "target=base",
            "build-arg:VERSION=2.0",
        ],
    )
    .await;
    // `base` uses no ARG; it has no doc comment and no mounts.
    assert_eq!(
        json_of(&metadata),
        json!({"name": "base", "sources": [b64(&dockerfile)]})
    );
    assert_eq!(text(&metadata, "result.txt"), "TARGET: base\n\n");

    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(&dockerfile),
        &["requestid=frontend.outline", "build-arg:VERSION=2.0"],
    )
    .await;
    // Given as a build-arg, the stage's own `ARG VERSION` (line 12) is the one
    // reported, as in BuildKit (only an ARG that merely inherits the global value
    // keeps the global declaration).
    let args = &json_of(&metadata)["args"];
    assert_eq!(
        args[1],
        json!({"name": "VERSION", "value": "2.0", "location": lines(12, 12)})
    );
}

#[tokio::test]
async fn outline_of_a_missing_target_fails_at_no_line() {
    let run = run_frontend(
        DaemonSetup::with_dockerfile(&fixture("outline.Dockerfile")),
        &["requestid=frontend.outline", "target=relase"],
    )
    .await;
    let status = run.daemon.the_return().error.expect("an error");
    assert_eq!(
        status.message,
        "target stage \"relase\" could not be found (did you mean release?)"
    );
}

#[tokio::test]
async fn lint_reports_buildkit_rules_in_buildkit_order() {
    let dockerfile = fixture("lint.Dockerfile");
    let mut setup = DaemonSetup::with_dockerfile(&dockerfile);
    setup
        .context_dir
        .insert(".dockerignore".into(), b"secret.txt\n".to_vec());
    let (metadata, _) = ask(setup, &["requestid=frontend.lint"]).await;
    let result = json_of(&metadata);
    let warnings = result["warnings"].as_array().expect("warnings");
    let got: Vec<String> = warnings
        .iter()
        .map(|w| {
            let range = &w["location"]["ranges"][0];
            format!(
                "{}|{}-{}|{}",
                w["ruleName"].as_str().unwrap_or(""),
                range["start"]["line"],
                range["end"]["line"],
                w["detail"].as_str().unwrap_or("")
            )
        })
        .collect();
    let want: Vec<String> = fixture("lint.expected")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(got, want);
    // Every warning carries the rule's description and documentation URL.
    assert_eq!(
        warnings[1]["description"],
        "Stage names should be lowercase"
    );
    assert_eq!(
        warnings[1]["url"],
        "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/"
    );
    assert!(result.get("buildError").is_none());
    let source = &result["sources"][0];
    assert_eq!(source["filename"], "Dockerfile");
    assert_eq!(source["language"], "Dockerfile");
    assert_eq!(source["data"], b64(&dockerfile));
    assert!(
        source["definition"]["def"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "{source}"
    );
    assert_eq!(text(&metadata, "result.statuscode"), "1");

    let txt = text(&metadata, "result.txt");
    // Sorted by line: StageNameCasing (line 4) comes first.
    assert!(
        txt.starts_with(
            "\nWARNING: StageNameCasing - https://docs.docker.com/go/dockerfile/rule/stage-name-casing/\nStage name 'Builder' should be lowercase\nDockerfile:4\n--------------------\n   2 |     ARG BASE=busybox\n   3 |     ARG TAG\n   4 | >>> FROM ${BASE}:${TAG:-latest} as Builder\n"
        ),
        "{txt}"
    );
    assert_eq!(txt.matches("\nWARNING: ").count(), want.len());
}

#[tokio::test]
async fn lint_of_a_clean_dockerfile_has_null_warnings_and_status_zero() {
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile("FROM busybox\nCMD [\"sh\"]\n"),
        &["requestid=frontend.lint"],
    )
    .await;
    let raw = text(&metadata, "result.json");
    assert!(
        raw.starts_with("{\n  \"warnings\": null,\n  \"sources\": ["),
        "{raw}"
    );
    assert_eq!(text(&metadata, "result.statuscode"), "0");
    assert_eq!(text(&metadata, "result.txt"), "");
}

#[tokio::test]
async fn lint_check_directive_skip_and_error() {
    let dockerfile =
        "# check=skip=JSONArgsRecommended;error=true\nFROM busybox\nMAINTAINER me\nCMD echo hi\n";
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(dockerfile),
        &["requestid=frontend.lint"],
    )
    .await;
    let result = json_of(&metadata);
    let rules: Vec<&str> = result["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["ruleName"].as_str())
        .collect();
    assert_eq!(rules, ["MaintainerDeprecated"]);
    assert_eq!(
        result["buildError"],
        json!({"message": "lint violation found for rules: MaintainerDeprecated", "location": {}})
    );

    // The build-arg replaces the directive.
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(dockerfile),
        &[
            "requestid=frontend.lint",
            "build-arg:BUILDKIT_DOCKERFILE_CHECK=skip=all",
        ],
    )
    .await;
    let result = json_of(&metadata);
    assert_eq!(result["warnings"], Value::Null);
    assert!(result.get("buildError").is_none());
    assert_eq!(text(&metadata, "result.statuscode"), "0");
}

#[tokio::test]
async fn lint_reports_a_parse_error_as_build_error() {
    let dockerfile = "FROM busybox\nBADINSTR x\n";
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(dockerfile),
        &["requestid=frontend.lint"],
    )
    .await;
    let result = json_of(&metadata);
    let error = &result["buildError"];
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m
                .starts_with("dockerfile parse error on line 2: unknown instruction: BADINSTR")),
        "{error}"
    );
    assert_eq!(error["location"], lines(2, 2));
    assert_eq!(text(&metadata, "result.statuscode"), "1");
}

#[tokio::test]
async fn lint_undefined_var_suggests_and_knows_image_env() {
    let mut setup = DaemonSetup::with_dockerfile(
        "FROM busybox\nENV GREETING=hi\nARG DECLARED\nLABEL a=$GREETNG b=$DECLARED c=$HOME_DIR d=$PATH\n",
    );
    setup.images.insert(
        "docker.io/library/busybox:latest".into(),
        (
            format!("sha256:{}", "c".repeat(64)),
            br#"{"config":{"Env":["HOME_DIR=/root"]}}"#.to_vec(),
        ),
    );
    let (metadata, run) = ask(setup, &["requestid=frontend.lint"]).await;
    assert_eq!(run.daemon.resolves().len(), 1);
    let result = json_of(&metadata);
    let details: Vec<&str> = result["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["detail"].as_str())
        .collect();
    assert_eq!(
        details,
        ["Usage of undefined variable '$GREETNG' (did you mean $GREETING?)"]
    );
}

#[tokio::test]
async fn convertllb_returns_the_definition_that_would_be_solved() {
    let (metadata, run) = ask(
        DaemonSetup::with_dockerfile("FROM busybox\n"),
        &["requestid=frontend.convertllb"],
    )
    .await;
    assert_eq!(
        run.daemon.resolves().len(),
        1,
        "images are resolved as for a build"
    );
    let mut keys: Vec<&String> = metadata.keys().collect();
    keys.sort();
    assert_eq!(keys, ["result.json", "version"]);
    assert_eq!(text(&metadata, "version"), "0.1.0");
    let result = json_of(&metadata);
    let def = result["def"].as_object().expect("def");
    assert_eq!(def.len(), 2, "the image op and the terminal op: {result}");
    assert!(def
        .keys()
        .all(|k| k.starts_with("sha256:") && k.len() == 71));
    let source = def
        .values()
        .find_map(|op| op.get("source"))
        .expect("a source op");
    assert_eq!(
        source["identifier"],
        format!(
            "docker-image://docker.io/library/busybox:latest@sha256:{}",
            "b".repeat(64)
        )
    );
    let terminal = def
        .values()
        .find(|op| op.get("source").is_none())
        .expect("terminal op");
    assert!(terminal["inputs"][0]["digest"]
        .as_str()
        .is_some_and(|d| def.contains_key(d)));
    assert_eq!(result["source"], json!({}));
    assert!(result["metadata"].is_object());
}

#[tokio::test]
async fn subrequests_cap_is_accepted_and_others_still_refused() {
    let (_, _) = ask(
        DaemonSetup::with_dockerfile("FROM busybox\n"),
        &[
            "requestid=frontend.targets",
            "frontend.caps=moby.buildkit.frontend.subrequests",
        ],
    )
    .await;
    let run = run_frontend(
        DaemonSetup::with_dockerfile("FROM busybox\n"),
        &["frontend.caps=moby.buildkit.frontend.subrequests,moby.buildkit.frontend.gitquerystring"],
    )
    .await;
    let status = run.daemon.the_return().error.expect("an error");
    assert_eq!(
        status.message,
        "unsupported frontend capability moby.buildkit.frontend.gitquerystring"
    );
}

#[tokio::test]
async fn targets_of_an_invalid_dockerfile_fail_at_its_line() {
    let run = run_frontend(
        DaemonSetup::with_dockerfile("FROM busybox\nCOPY x\n"),
        &["requestid=frontend.targets"],
    )
    .await;
    let status = run.daemon.the_return().error.expect("an error");
    assert!(
        status
            .message
            .starts_with("Dockerfile:2: COPY requires at least two arguments"),
        "{}",
        status.message
    );
}

/// `ruleName|first line|detail` of every warning of a lint answer.
fn lint_rules(result: &Value) -> Vec<String> {
    result["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .map(|w| {
                    format!(
                        "{}|{}",
                        w["ruleName"].as_str().unwrap_or(""),
                        w["location"]["ranges"][0]["start"]["line"]
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn lint_reports_dfopt_cache_rules_after_buildkits_without_failing_error_true() {
    let dockerfile = "# check=error=true\nFROM python:3.12 AS build\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n";
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(dockerfile),
        &["requestid=frontend.lint"],
    )
    .await;
    let result = json_of(&metadata);
    assert_eq!(
        lint_rules(&result),
        [
            "MissingDockerignore|4",
            "DepsAfterCopyAll|5",
            "MissingCacheMount|5"
        ],
        "{result}"
    );
    let warning = &result["warnings"][1];
    assert_eq!(
        warning["url"],
        "https://docs.docker.com/build/cache/optimize/#order-your-layers"
    );
    assert!(warning["description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    // dfopt's rules never count for `error=true`.
    assert!(result.get("buildError").is_none(), "{result}");
    assert_eq!(text(&metadata, "result.statuscode"), "1");
    let txt = text(&metadata, "result.txt");
    assert!(
        txt.contains("\nWARNING: DepsAfterCopyAll - https://docs.docker.com/build/cache/optimize/#order-your-layers\n"),
        "{txt}"
    );

    // A BuildKit finding fails under error=true, naming only BuildKit's rule.
    let dockerfile = "# check=error=true\nFROM python:3.12 AS build\nMAINTAINER me\nCOPY . .\nRUN pip install -r requirements.txt\n";
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(dockerfile),
        &["requestid=frontend.lint"],
    )
    .await;
    let result = json_of(&metadata);
    assert_eq!(
        lint_rules(&result),
        [
            "MaintainerDeprecated|3",
            "MissingDockerignore|4",
            "DepsAfterCopyAll|5",
            "MissingCacheMount|5"
        ],
        "{result}"
    );
    assert_eq!(
        result["buildError"]["message"],
        "lint violation found for rules: MaintainerDeprecated"
    );
}

#[tokio::test]
async fn lint_skips_dfopt_cache_rules_by_check_directive_and_build_arg() {
    let dockerfile = "# check=skip=DepsAfterCopyAll,MissingCacheMount\nFROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n";
    let mut setup = DaemonSetup::with_dockerfile(dockerfile);
    setup
        .context_dir
        .insert(".dockerignore".into(), b".git\n".to_vec());
    let (metadata, _) = ask(setup, &["requestid=frontend.lint"]).await;
    let result = json_of(&metadata);
    assert_eq!(result["warnings"], Value::Null, "{result}");
    assert_eq!(text(&metadata, "result.statuscode"), "0");

    // The build-arg replaces the directive; without a .dockerignore that rule fires.
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(dockerfile),
        &[
            "requestid=frontend.lint",
            "build-arg:BUILDKIT_DOCKERFILE_CHECK=skip=MissingCacheMount",
        ],
    )
    .await;
    let result = json_of(&metadata);
    assert_eq!(
        lint_rules(&result),
        ["MissingDockerignore|3", "DepsAfterCopyAll|4"],
        "{result}"
    );

    // With a target, only the stages it needs are checked.
    let dockerfile = "FROM python:3.12 AS deps\nCOPY . .\nRUN pip install -r requirements.txt\nFROM busybox AS final\nCMD [\"sh\"]\n";
    let (metadata, _) = ask(
        DaemonSetup::with_dockerfile(dockerfile),
        &["requestid=frontend.lint", "target=final"],
    )
    .await;
    assert_eq!(json_of(&metadata)["warnings"], Value::Null);
}
