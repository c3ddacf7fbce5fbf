//! dfopt's cache-efficiency rules, data-driven: every
//! `tests/fixtures/cache/*.Dockerfile` is checked under its `# check=` directive
//! with the facts of its `.opts` file (if any) and the findings are snapshotted,
//! one line each (`Rule lines: message` and the fix). A fixture named
//! `*-fine.Dockerfile` is a must-not-fire case: it must have no finding at all.
//!
//! `.opts` lines: `dockerignore=present|missing|unknown` (default `present`, so
//! that the fixtures of other rules are not about the ignore file), `target=NAME`
//! (only the stages that target needs are checked).

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use dfopt_dockerfile::LineIndex;
use dfopt_findings::cache::{self, Dockerignore, Facts, Input};
use dfopt_findings::{CheckConfig, Report};

fn facts_and_target(opts: &str) -> (Facts, Option<String>) {
    let mut facts = Facts {
        dockerignore: Dockerignore::Present,
    };
    let mut target = None;
    for line in opts.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line.split_once('=').expect("key=value");
        match (key, value) {
            ("dockerignore", "present") => facts.dockerignore = Dockerignore::Present,
            ("dockerignore", "unknown") => facts.dockerignore = Dockerignore::Unknown,
            ("dockerignore", "missing") => {
                facts.dockerignore = Dockerignore::Missing {
                    expected: ".dockerignore".to_owned(),
                }
            }
            ("target", name) => target = Some(name.to_owned()),
            _ => panic!("unknown option {line}"),
        }
    }
    (facts, target)
}

fn run(source: &str, opts: &str) -> Report {
    let parsed = dfopt_dockerfile::parse(source);
    assert!(parsed.error().is_none(), "fixture does not parse");
    let ir = dfopt_dockerfile::instructions::parse_dockerfile(&parsed.dockerfile)
        .expect("fixture instructions are valid");
    let config = CheckConfig::from_directive(&parsed.dockerfile).expect("check directive");
    let (facts, target) = facts_and_target(opts);
    let stages: Option<BTreeSet<usize>> = target
        .as_deref()
        .map(|t| dfopt_optimizer::reachable_stages(&ir, Some(t)));
    let input = Input {
        source,
        ir: &ir,
        facts: &facts,
        stages: stages.as_ref(),
    };
    cache::run(&input, &config)
}

fn render(source: &str, report: &Report) -> String {
    let index = LineIndex::new(source);
    let mut out = String::new();
    for finding in &report.findings {
        let lines: Vec<String> = finding
            .lines(&index)
            .iter()
            .map(|(a, b)| format!("{a}-{b}"))
            .collect();
        let _ = writeln!(
            out,
            "{} {}: {}",
            finding.rule.id,
            lines.join(","),
            finding.message
        );
        if let Some(fix) = &finding.fix {
            let _ = writeln!(out, "    fix: {fix}");
        }
    }
    out
}

#[test]
fn cache_rule_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cache");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    paths.sort();
    let mut fired = BTreeSet::new();
    let mut fine = 0;
    for path in paths {
        let source = std::fs::read_to_string(&path).expect("fixture");
        let opts = std::fs::read_to_string(path.with_extension("opts")).unwrap_or_default();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let report = run(&source, &opts);
        if name.ends_with("-fine") {
            fine += 1;
            assert_eq!(render(&source, &report), "", "{name} must have no finding");
        } else {
            fired.extend(report.findings.iter().map(|f| f.rule.id));
            insta::assert_snapshot!(name, render(&source, &report));
        }
    }
    for rule in cache::RULES {
        assert!(fired.contains(rule.id), "no fixture fires {}", rule.id);
    }
    assert!(fine >= 5, "must-not-fire fixtures");
}

/// The rule list `--list-rules` shows and the list that runs are the same rules in
/// the same order (they are written twice: a `const` cannot hold the checks).
#[test]
fn listed_rules_are_the_rules_that_run() {
    let listed: Vec<&str> = cache::RULES.iter().map(|r| r.id).collect();
    let run: Vec<&str> = cache::checks().iter().map(|c| c.rule.id).collect();
    assert_eq!(listed, run);
}
