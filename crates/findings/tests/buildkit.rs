//! BuildKit's check rules, data-driven: every `tests/fixtures/buildkit/*.Dockerfile`
//! is analyzed with the options of its `.opts` file (if any) and the findings,
//! error and outline name are snapshotted. Every fixture that needs no made-up image
//! was compared with BuildKit's own linter (`docker buildx build --call=check` on
//! Docker 28.5, BuildKit v0.25): the same lines, except where v0.25 predates the
//! current rules (`check-comment`: `# check=` above an instruction counts since
//! v0.27; `copy-ignored-file`: CopyIgnoredFile is on by default since v0.27;
//! `secrets-used-in-arg-or-env`: names with `FILE` or `VERSION` are allowed since
//! v0.27).
//!
//! `.opts` lines: `target=NAME`, `platform=P` (target platform), `build-platform=P`,
//! `build-arg:NAME=VALUE`, `check=VALUE` (as the build-arg), `all-stages=BOOL`,
//! `dockerignore=PATTERN` (repeatable), `image:NAME=CONFIG-JSON` (an image config;
//! `unknown` for an image that cannot be resolved). Images not listed resolve to a
//! one-layer linux/amd64 image whose only variable is PATH.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use dfopt_dockerfile::LineIndex;
use dfopt_findings::buildkit::{
    analyze, base_image, warn_short, Analysis, BaseImage, ImageQuery, Options,
};
use dfopt_findings::CheckConfig;
use dfopt_llb::platform;

/// What an image not listed in `.opts` resolves to: one linux/amd64 layer, only PATH
/// set, whatever platform was asked for (as a daemon that has only the amd64 image
/// locally answers).
const DEFAULT_IMAGE: &[u8] = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}}"#;

/// A fixture's options.
#[derive(Default)]
struct Opts {
    target: Option<String>,
    platform: Option<String>,
    build_platform: Option<String>,
    build_args: BTreeMap<String, String>,
    check: Option<String>,
    all_stages: Option<bool>,
    dockerignore: Vec<String>,
    images: BTreeMap<String, Option<BaseImage>>,
}

fn read_opts(text: &str) -> Opts {
    let mut opts = Opts::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line.split_once('=').expect("key=value");
        match key {
            "target" => opts.target = Some(value.to_owned()),
            "platform" => opts.platform = Some(value.to_owned()),
            "build-platform" => opts.build_platform = Some(value.to_owned()),
            "check" => opts.check = Some(value.to_owned()),
            "all-stages" => opts.all_stages = Some(value == "true"),
            "dockerignore" => opts.dockerignore.push(value.to_owned()),
            _ => {
                if let Some(name) = key.strip_prefix("build-arg:") {
                    opts.build_args.insert(name.to_owned(), value.to_owned());
                } else if let Some(name) = key.strip_prefix("image:") {
                    let image = (value != "unknown").then(|| base_image(value.as_bytes()));
                    opts.images.insert(name.to_owned(), image);
                } else {
                    panic!("unknown option {key}");
                }
            }
        }
    }
    opts
}

/// Image names are valid unless empty, upper-case or with characters no reference
/// has (close enough to `reference.ParseNormalizedNamed` for the fixtures).
fn valid_ref(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("invalid reference format".into());
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "invalid reference format: repository name (library/{name}) must be lowercase"
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
        || name.ends_with(':')
    {
        return Err("invalid reference format".into());
    }
    Ok(())
}

fn run(source: &str, opts: &Opts) -> Analysis {
    let parsed = dfopt_dockerfile::parse(source);
    let images = |query: &ImageQuery| -> Option<BaseImage> {
        match opts.images.get(&query.name) {
            Some(image) => image.clone(),
            None => Some(base_image(DEFAULT_IMAGE)),
        }
    };
    let build_platform = platform::parse(opts.build_platform.as_deref().unwrap_or("linux/amd64"))
        .expect("build platform");
    let options = Options {
        build_args: &opts.build_args,
        target: opts.target.as_deref(),
        build_platform,
        target_platform: opts
            .platform
            .as_deref()
            .map(|p| platform::parse(p).expect("platform")),
        check: opts
            .check
            .as_deref()
            .map(|c| CheckConfig::parse(c).expect("check option")),
        images: &images,
        dockerignore: &opts.dockerignore,
        is_valid_image_ref: &valid_ref,
        all_stages: opts.all_stages.unwrap_or(opts.target.is_none()),
    };
    analyze(source, &parsed, &options)
}

/// One line per finding (`Rule lines: message`), then the error and the outline's
/// target, as the snapshot shows them.
fn render(source: &str, analysis: &Analysis) -> String {
    let index = LineIndex::new(source);
    let lines = |spans: &[(u32, u32)]| {
        let parts: Vec<String> = spans.iter().map(|(a, b)| format!("{a}-{b}")).collect();
        if parts.is_empty() {
            "-".to_owned()
        } else {
            parts.join(",")
        }
    };
    let mut out = String::new();
    for finding in &analysis.findings {
        let _ = writeln!(
            out,
            "{} {}: {}",
            finding.rule.id,
            lines(&finding.lines(&index)),
            finding.message
        );
    }
    if let Some(error) = &analysis.error {
        let spans: Vec<(u32, u32)> = error.spans.iter().map(|&s| index.lines(s)).collect();
        let _ = writeln!(
            out,
            "error {:?} {}: {}",
            error.kind,
            lines(&spans),
            error.message
        );
    }
    if let Some(outline) = &analysis.outline {
        let _ = writeln!(out, "target {:?}", outline.name);
    }
    out
}

#[test]
fn buildkit_rule_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/buildkit");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 22, "a fixture per rule at least");
    let mut fired = std::collections::BTreeSet::new();
    for path in paths {
        let source = std::fs::read_to_string(&path).expect("fixture");
        let opts = std::fs::read_to_string(path.with_extension("opts"))
            .map(|t| read_opts(&t))
            .unwrap_or_default();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let analysis = run(&source, &opts);
        fired.extend(analysis.findings.iter().map(|f| f.rule.id));
        insta::assert_snapshot!(name, render(&source, &analysis));
    }
    for rule in dfopt_findings::buildkit::rules::ALL {
        assert!(fired.contains(rule.id), "no fixture fires {}", rule.id);
    }
}

fn quick(source: &str, opts: &str) -> Analysis {
    run(source, &read_opts(opts))
}

#[test]
fn warn_short_is_buildkits_lint_format_short() {
    let source = "FROM busybox\nMAINTAINER me\n";
    let analysis = quick(source, "");
    let index = LineIndex::new(source);
    assert_eq!(
        warn_short(&analysis.findings[0], &index),
        "MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)"
    );
    // A finding without a place has no "(line N)".
    let source = "FROM busybox\nRUN --mount=from=alpine true\n";
    let image = r#"{"architecture":"arm64","os":"linux","rootfs":{"diff_ids":["sha256:a"]}}"#;
    let analysis = quick(source, &format!("image:alpine={image}"));
    assert_eq!(
        warn_short(&analysis.findings[0], &index),
        "InvalidBaseImagePlatform: Base image alpine was pulled with platform \"linux/arm64\", expected \"linux/amd64\" for current build"
    );
}

#[test]
fn unknown_images_are_reported_once_each() {
    let source = "FROM alpine\nFROM alpine AS b\nCOPY --from=debian / /\n";
    let analysis = quick(source, "image:alpine=unknown\nimage:debian=unknown");
    let names: Vec<&str> = analysis
        .missing_images
        .iter()
        .map(|q| q.name.as_str())
        .collect();
    assert_eq!(names, ["alpine", "debian"]);
}

#[test]
fn never_panics_on_odd_input() {
    for source in [
        "",
        "\n",
        "FROM",
        "ARG x\n",
        "FROM a AS\n",
        "FROM a\nCOPY --from=9 x y\n",
        "FROM a\nRUN --mount=type=secret x\n",
        "FROM a\nONBUILD RUN x\nFROM 0\n",
        "FROM a AS x\nONBUILD COPY --from=x / /\nFROM x\n",
        "FROM a\nEXPOSE [\n",
    ] {
        let _ = quick(source, "");
        let _ = quick(source, "target=nope");
    }
}
