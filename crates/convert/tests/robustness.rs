//! No input makes the converter panic, and whatever it returns is valid LLB.
//!
//! Inputs: every Dockerfile of BuildKit's parser corpus, the dockerfile crate's
//! fixtures, the benchmark inputs, and systematic mutations of them (each line
//! dropped, lines truncated). Every image resolves to busybox's config.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use dfopt_convert::{convert, images_to_resolve, ConvertOptions, ResolvedImage};
use dfopt_llb::{validate, validate_caps, CapSet};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n == "Dockerfile" || n.ends_with(".Dockerfile"))
        {
            out.push(path);
        }
    }
}

fn corpus() -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in [
        manifest.join("tests/fixtures"),
        manifest.join("../dockerfile/tests/fixtures"),
        manifest.join("../dockerfile/benches/inputs"),
        // The reference material beside the checkout (../shared), when present.
        manifest.join("../../../shared/conformance/buildkit/parser"),
    ] {
        collect(&dir, &mut paths);
    }
    paths.sort();
    paths
        .iter()
        .filter_map(|p| fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect()
}

fn busybox() -> Vec<u8> {
    fs::read(common::fixtures().join("images/busybox.json")).expect("busybox fixture")
}

/// Converts with every image resolved to busybox; checks validity of any result.
fn check(source: &str, opts: &ConvertOptions, config: &[u8]) {
    let Ok(requests) = images_to_resolve(source, opts) else {
        return;
    };
    let images: BTreeMap<String, ResolvedImage> = requests
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                ResolvedImage {
                    digest: Some(format!("sha256:{}", "d".repeat(64))),
                    config: config.to_vec(),
                },
            )
        })
        .collect();
    if let Ok(converted) = convert(source, opts, &images) {
        let def = &converted.definition;
        if !def.def.is_empty() {
            if let Err(e) = validate(def) {
                panic!("invalid LLB for {source:?}: {e}");
            }
            if let Err(e) = validate_caps(def, &opts.caps) {
                panic!("caps for {source:?}: {e}");
            }
        }
        assert!(std::str::from_utf8(&converted.image_config).is_ok());
    }
}

#[test]
fn corpus_and_mutations_never_panic() {
    let config = busybox();
    let v08 = common::default_opts();
    let mut head = common::default_opts();
    head.caps = CapSet::buildkit_head();
    let files = corpus();
    assert!(files.len() >= 20, "corpus too small: {}", files.len());
    let mut runs = 0usize;
    for source in &files {
        for opts in [&v08, &head] {
            check(source, opts, &config);
            runs += 1;
        }
        let lines: Vec<&str> = source.lines().collect();
        // Mutating the 457-line benchmark file would dominate the run time.
        let mutations = if lines.len() > 120 { 0 } else { lines.len() };
        for skip in 0..mutations {
            let mutated: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            check(&mutated.join("\n"), &v08, &config);
            let truncated: Vec<String> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if i == skip {
                        l.chars().take(l.chars().count() / 2).collect()
                    } else {
                        (*l).to_owned()
                    }
                })
                .collect();
            check(&truncated.join("\n"), &v08, &config);
            runs += 2;
        }
    }
    assert!(runs > 100);
}

#[test]
fn odd_base_configs_never_panic() {
    let opts = common::default_opts();
    let source = "FROM busybox\nWORKDIR x\nUSER u\nRUN true\nCOPY a b\nHEALTHCHECK CMD true\n";
    for config in [
        &b""[..],
        b"null",
        b"[]",
        b"{}",
        br#"{"config":null,"rootfs":null,"history":null}"#,
        br#"{"config":{"WorkingDir":"rel","User":"x:y","Env":["NOEQUALS","=empty"],"OnBuild":["","RUN","FROM x"]}}"#,
        br#"{"config":{"Healthcheck":{"Test":null,"Retries":-5}},"history":[{"created":"9999-12-31T23:59:59.999999999Z"}]}"#,
        br#"{"history":[{"created":"not a time"}]}"#,
        br#"{"config":{"OnBuild":["ONBUILD RUN x","COPY --from=nowhere a b","RUN --mount=from=img,target=/x true"]}}"#,
        br#"{"Config":{"env":["A=1"],"ENV":["B=2"]}}"#,
    ] {
        check(source, &opts, config);
    }
}
