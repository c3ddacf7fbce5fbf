//! A corpus of Dockerfiles in the shapes real projects use (multi-stage
//! Go/Rust/Node/Python/Java/Ruby/PHP/.NET, Alpine/Debian/Fedora, Windows,
//! heredocs, ONBUILD), written for this test.
//!
//! Every file must parse, and as the offline CLI sees it (no platform) and
//! as the frontend does (platform and build-args known), every rewrite must
//! re-parse as the optimised IR, rewriting must be idempotent, and
//! `DFOPT=off` must change nothing (`common::check_invariants`). A line
//! `# corpus-expect: …` (after the parser directives) names rules that must hold for the file:
//! `unchanged` (no rewrite at all), `no-merge` (no `merge-runs` rewrite),
//! `no-mount` (no `cache-mounts` rewrite); `offline:` or `frontend:` before
//! one limits it to that way of running.

mod common;

use std::path::Path;

use common::check_invariants;
use dfopt_optimizer::{Options, Settings};

fn expectations(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|l| l.strip_prefix("# corpus-expect:"))
        .flat_map(|rest| rest.split_whitespace().map(str::to_string))
        .collect()
}

#[test]
fn corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    assert!(files.len() >= 100, "the corpus has {} files", files.len());
    let offline = Options::default();
    let frontend = Options {
        target_platform: Some("linux/amd64".into()),
        build_platform: Some("linux/amd64".into()),
        complete_build_args: true,
        ..Options::default()
    };
    let mut rewritten = 0;
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let source = std::fs::read_to_string(&path).expect("read");
        let expect = expectations(&source);
        for known in &expect {
            let rule = known.split_once(':').map_or(known.as_str(), |(_, r)| r);
            assert!(
                matches!(rule, "unchanged" | "no-merge" | "no-mount"),
                "{name}: unknown expectation {known}"
            );
        }
        for (how, opts) in [("offline", &offline), ("frontend", &frontend)] {
            let label = format!("{name} ({how})");
            let expect: Vec<&str> = expect
                .iter()
                .filter_map(|e| match e.split_once(':') {
                    Some((mode, rule)) => (mode == how).then_some(rule),
                    None => Some(e.as_str()),
                })
                .collect();
            let (opt, _) = check_invariants(&label, &source, &Settings::default(), opts)
                .unwrap_or_else(|| panic!("{label}: does not parse"));
            let passes: Vec<&str> = opt.rewrites().map(|c| c.pass).collect();
            if !passes.is_empty() {
                rewritten += 1;
            }
            if expect.contains(&"unchanged") {
                assert!(passes.is_empty(), "{label}: rewritten by {passes:?}");
            }
            if expect.contains(&"no-merge") {
                assert!(!passes.contains(&"merge-runs"), "{label}: merged");
            }
            if expect.contains(&"no-mount") {
                assert!(!passes.contains(&"cache-mounts"), "{label}: cache mount");
            }
        }
    }
    // The corpus is not all must-not-fire files: rewrites do happen.
    assert!(rewritten > 50, "only {rewritten} rewritten runs");
}
