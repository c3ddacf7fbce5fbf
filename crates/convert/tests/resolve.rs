//! Phase 1: which image configs are requested, with which names and platforms.

mod common;

use dfopt_convert::images_to_resolve;
use dfopt_llb::{Platform, ResolveMode};

fn requested(source: &str) -> Vec<String> {
    let opts = common::options_for(source);
    images_to_resolve(source, &opts)
        .expect("requests")
        .into_iter()
        .map(|r| format!("{} | {} | {}", r.reference, r.platform, r.log_name))
        .collect()
}

#[test]
fn only_reachable_from_images_are_requested() {
    let source = "FROM debian:bookworm AS unused\n\
                  FROM alpine AS builder\n\
                  RUN --mount=from=golang:1.22,target=/go true\n\
                  FROM busybox\n\
                  COPY --from=builder /x /x\n\
                  COPY --from=nginx:1 /etc/nginx /etc/nginx\n";
    assert_eq!(
        requested(source),
        [
            "docker.io/library/alpine:latest | linux/amd64 | [internal] load metadata for docker.io/library/alpine:latest",
            "docker.io/library/busybox:latest | linux/amd64 | [internal] load metadata for docker.io/library/busybox:latest",
        ]
    );
}

#[test]
fn target_limits_what_is_requested() {
    let source = "# test: target base\nFROM alpine AS base\nFROM busybox\nCOPY --from=base / /\n";
    assert_eq!(
        requested(source),
        ["docker.io/library/alpine:latest | linux/amd64 | [internal] load metadata for docker.io/library/alpine:latest"]
    );
}

#[test]
fn stage_references_and_scratch_are_not_requested() {
    let source = "FROM busybox AS a\nFROM a AS b\nFROM scratch\nCOPY --from=b / /\n";
    assert_eq!(requested(source).len(), 1);
}

#[test]
fn duplicates_are_requested_once_per_platform() {
    let source = "FROM busybox AS a\nFROM --platform=linux/arm64 busybox AS b\nFROM busybox\n\
                  COPY --from=a / /a\nCOPY --from=b / /b\n";
    assert_eq!(
        requested(source),
        [
            "docker.io/library/busybox:latest | linux/amd64 | [internal] load metadata for docker.io/library/busybox:latest",
            "docker.io/library/busybox:latest | linux/arm64 | [internal] load metadata for docker.io/library/busybox:latest",
        ]
    );
}

#[test]
fn global_args_and_build_args_name_the_image() {
    let source = "# test: build-arg VARIANT=slim\nARG VERSION=3.12\nARG VARIANT=full\n\
                  FROM python:${VERSION}-${VARIANT}\n";
    assert_eq!(
        requested(source),
        ["docker.io/library/python:3.12-slim | linux/amd64 | [internal] load metadata for docker.io/library/python:3.12-slim"]
    );
}

#[test]
fn digests_and_registries_are_kept() {
    let digest = format!("sha256:{}", "c".repeat(64));
    let source = format!("FROM localhost:5000/team/app@{digest}\n");
    assert_eq!(
        requested(&source),
        [format!(
            "localhost:5000/team/app@{digest} | linux/amd64 | [internal] load metadata for localhost:5000/team/app@{digest}"
        )]
    );
}

#[test]
fn multi_platform_names_and_resolve_mode() {
    let mut opts = common::default_opts();
    opts.prefix_platform = true;
    opts.target_platform = Some(Platform::new("linux", "arm").with_variant("v7"));
    opts.image_resolve_mode = ResolveMode::ForcePull;
    let requests = images_to_resolve("FROM busybox\n", &opts).expect("requests");
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].log_name,
        "[linux/arm/v7 internal] load metadata for docker.io/library/busybox:latest"
    );
    assert_eq!(requests[0].resolve_mode, "pull");
    assert_eq!(
        requests[0].platform,
        Platform::new("linux", "arm").with_variant("v7")
    );
}

#[test]
fn platform_args_expand_in_from() {
    let mut opts = common::default_opts();
    opts.build_platform = Platform::new("linux", "amd64");
    opts.target_platform = Some(Platform::new("linux", "arm64"));
    let source = "FROM --platform=$BUILDPLATFORM busybox AS b\nFROM --platform=$TARGETPLATFORM busybox\nCOPY --from=b / /\n";
    let requests = images_to_resolve(source, &opts).expect("requests");
    let platforms: Vec<String> = requests.iter().map(|r| r.platform.to_string()).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
}

#[test]
fn a_scratch_target_without_filesystem_changes_has_an_empty_definition() {
    let source = "FROM scratch\nENV A=1\nLABEL x=y\nCMD [\"/app\"]\n";
    let (requests, converted) =
        common::convert_with_fakes(source, &common::default_opts()).expect("conversion");
    assert!(requests.is_empty());
    assert!(converted.definition.def.is_empty());
    let config = String::from_utf8(converted.image_config).expect("utf-8");
    assert_eq!(
        config,
        r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":null},"history":[{"created_by":"ENV A=1","comment":"buildkit.dockerfile.v0","empty_layer":true},{"created_by":"LABEL x=y","comment":"buildkit.dockerfile.v0","empty_layer":true},{"created_by":"CMD [\"/app\"]","comment":"buildkit.dockerfile.v0","empty_layer":true}],"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=1"],"Cmd":["/app"],"WorkingDir":"/","Labels":{"x":"y"},"ArgsEscaped":true,"OnBuild":null}}"#
    );
}
