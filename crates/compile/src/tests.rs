//! The pipeline end to end on small Dockerfiles: one parse, user locations.

use dfopt_convert::{ConvertOptions, ResolvedImage};
use dfopt_dockerfile::syntax::parse_count;
use dfopt_llb::{CapSet, Platform};
use dfopt_optimizer::ContextFacts;

use crate::{BaseImages, Compilation};

const CONFIG: &[u8] = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"config":{"Env":["PATH=/usr/bin:/bin"]}}"#;

const DOCKERFILE: &str = "FROM debian:bookworm\n# tools\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl \\\n  && rm -rf /var/lib/apt/lists/*\nCOPY . /src\n";

fn options(platform: &str) -> ConvertOptions {
    let (os, arch) = platform.split_once('/').expect("os/arch");
    let mut opts = ConvertOptions::new(
        "s",
        Platform::new("linux", "amd64"),
        CapSet::buildkit_head(),
    );
    opts.target_platform = Some(Platform::new(os, arch));
    opts
}

fn answered(compilation: &Compilation, opts: &ConvertOptions) -> BaseImages {
    let requests = compilation.images_to_resolve(opts).expect("images");
    BaseImages {
        answers: requests
            .into_iter()
            .map(|r| {
                let image = ResolvedImage {
                    digest: None,
                    config: CONFIG.to_vec(),
                };
                (r, image)
            })
            .collect(),
        resolved: true,
    }
}

#[test]
fn one_parse_for_every_platform_and_phase() {
    let before = parse_count::of(DOCKERFILE);
    let compilation = Compilation::new(DOCKERFILE);
    for platform in ["linux/amd64", "linux/arm64"] {
        let opts = options(platform);
        let images = answered(&compilation, &opts);
        let compiled = compilation
            .lower(&opts, &images, &ContextFacts::default())
            .expect("lowers");
        assert!(compiled.optimized.is_some(), "the RUNs are rewritten");
    }
    assert_eq!(parse_count::of(DOCKERFILE) - before, 1);
}

#[test]
fn the_source_map_is_the_users_file_and_merged_steps_name_their_lines() {
    let compilation = Compilation::new(DOCKERFILE);
    let opts = options("linux/amd64");
    let compiled = compilation
        .lower(
            &opts,
            &answered(&compilation, &opts),
            &ContextFacts::default(),
        )
        .expect("lowers");
    let source = compiled.definition.source.expect("source map");
    assert_eq!(source.infos[0].data, DOCKERFILE.as_bytes());
    let mut merged = Vec::new();
    for locations in source.locations.values() {
        for location in &locations.locations {
            let lines: Vec<(i32, i32)> = location
                .ranges
                .iter()
                .map(|r| {
                    let at = |p: &Option<dfopt_llb::pb::Position>| p.as_ref().map_or(0, |p| p.line);
                    (at(&r.start), at(&r.end))
                })
                .collect();
            if lines.len() > 1 {
                merged.push(lines);
            }
        }
    }
    assert_eq!(merged, vec![vec![(3, 3), (4, 5)]]);
    let names: Vec<&String> = compiled
        .definition
        .metadata
        .values()
        .filter_map(|m| m.description.get("llb.customname"))
        .filter(|name| name.contains("(dfopt:"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("[stage-0 2/3] RUN --mount=type=cache"),
        "{names:?}"
    );
    assert!(
        names[0].ends_with(" (dfopt: 2 RUNs merged, apt cache)"),
        "{names:?}"
    );
}

#[test]
fn dfopt_off_lowers_the_file_as_written() {
    let compilation = Compilation::new(DOCKERFILE);
    let mut opts = options("linux/amd64");
    opts.build_args.insert("DFOPT".to_owned(), "off".to_owned());
    let compiled = compilation
        .lower(
            &opts,
            &answered(&compilation, &opts),
            &ContextFacts::default(),
        )
        .expect("lowers");
    assert!(compiled.optimized.is_none());
    let plain = dfopt_convert::convert(
        DOCKERFILE,
        &opts,
        &answered(&compilation, &opts)
            .answers
            .into_iter()
            .map(|(r, i)| (r.key, i))
            .collect(),
    )
    .expect("converts");
    assert_eq!(compiled.definition, plain.definition);
    assert_eq!(compiled.image_config, plain.image_config);
}

#[test]
fn errors_point_at_the_users_lines() {
    let text = "FROM busybox\nRUN --mount=type=bogus true\n";
    let compilation = Compilation::new(text);
    let opts = options("linux/amd64");
    let images = answered(&compilation, &opts);
    let error = compilation
        .lower(&opts, &images, &ContextFacts::default())
        .expect_err("bad mount");
    assert!(error.message.contains("bogus"), "{}", error.message);
    assert_eq!(error.span.map(|s| s.start), Some(13));

    let bad_setting = "# dfopt=-merge-rnus\nFROM busybox\nRUN true\n";
    let compilation = Compilation::new(bad_setting);
    let images = answered(&compilation, &opts);
    let error = compilation
        .lower(&opts, &images, &ContextFacts::default())
        .expect_err("bad setting");
    assert!(error.message.contains("merge-rnus"), "{}", error.message);
    assert_eq!(error.span.map(|s| (s.start, s.end)), Some((0, 19)));
}
