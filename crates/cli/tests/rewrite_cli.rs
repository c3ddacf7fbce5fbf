//! `dfopt rewrite`: the optimised text re-parses and is a fixpoint; `--diff`.

mod common;

use common::{dfopt_in, dfopt_on, dir, OPTIMAL, UNOPTIMISED};

#[test]
fn output_reparses_and_is_idempotent() {
    let run = dfopt_on(
        UNOPTIMISED,
        &["rewrite", "--platform", "linux/amd64", "Dockerfile"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let once = run.out();
    assert_ne!(once, UNOPTIMISED);
    assert!(once.contains("--mount=type=cache"), "{once}");
    assert!(!once.contains("RUN mkdir /app\n"), "merged: {once}");
    insta::assert_snapshot!("rewrite_unoptimised", once);

    let d = dir(&[("Dockerfile", &once)]);
    let parse = dfopt_in(d.path(), &["parse", "--dump", "Dockerfile"], None);
    assert_eq!(parse.code, 0, "{}", parse.stderr);
    let again = dfopt_in(
        d.path(),
        &["rewrite", "--platform", "linux/amd64", "Dockerfile"],
        None,
    );
    assert_eq!(
        again.code, 0,
        "rewrite of the rewrite is unchanged: {}",
        again.stderr
    );
    assert_eq!(again.out(), once);
    let explain = dfopt_in(
        d.path(),
        &["explain", "--platform", "linux/amd64", "Dockerfile"],
        None,
    );
    assert_eq!(explain.code, 0, "{}", explain.out());
    let diff = dfopt_in(
        d.path(),
        &[
            "rewrite",
            "--platform",
            "linux/amd64",
            "--diff",
            "Dockerfile",
        ],
        None,
    );
    assert_eq!((diff.code, diff.out()), (0, String::new()));
}

#[test]
fn unchanged_file_is_printed_byte_for_byte() {
    let text = "# comment\r\nFROM alpine:3.19   \r\n\r\nCOPY a /a\r\nCMD [\"x\"]";
    let run = dfopt_on(text, &["rewrite", "Dockerfile"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.out(), text);
    let run = dfopt_on(OPTIMAL, &["rewrite", "Dockerfile"]);
    assert_eq!((run.code, run.out()), (0, OPTIMAL.to_string()));
}

#[test]
fn unified_diff() {
    let run = dfopt_on(
        UNOPTIMISED,
        &[
            "rewrite",
            "--platform",
            "linux/amd64",
            "--diff",
            "Dockerfile",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let diff = run.out();
    assert!(
        diff.starts_with("--- Dockerfile\n+++ Dockerfile\n@@ -1,"),
        "{diff}"
    );
    // Every removed/context line is from the input, every added/context line from the output.
    let rewritten = dfopt_on(
        UNOPTIMISED,
        &["rewrite", "--platform", "linux/amd64", "Dockerfile"],
    )
    .out();
    for line in diff.lines().skip(2) {
        if let Some(old) = line.strip_prefix('-') {
            assert!(UNOPTIMISED.lines().any(|l| l == old), "{line}");
        } else if let Some(new) = line.strip_prefix('+') {
            assert!(rewritten.lines().any(|l| l == new), "{line}");
        } else if let Some(same) = line.strip_prefix(' ') {
            assert!(
                UNOPTIMISED.lines().any(|l| l == same) && rewritten.lines().any(|l| l == same),
                "{line}"
            );
        } else {
            assert!(line.starts_with("@@ "), "{line}");
        }
    }
    assert!(diff.contains("\n-RUN apt-get update\n"), "{diff}");
    insta::assert_snapshot!("rewrite_diff", diff);
}

#[test]
fn diff_applies_with_patch() {
    let Some(patch) = ["/usr/bin/patch", "/bin/patch"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        return;
    };
    let d = dir(&[("Dockerfile", UNOPTIMISED)]);
    let diff = dfopt_in(
        d.path(),
        &[
            "rewrite",
            "--platform",
            "linux/amd64",
            "--diff",
            "Dockerfile",
        ],
        None,
    )
    .stdout;
    let expected = dfopt_in(
        d.path(),
        &["rewrite", "--platform", "linux/amd64", "Dockerfile"],
        None,
    )
    .out();
    std::fs::write(d.path().join("fix.diff"), diff).unwrap();
    let status = std::process::Command::new(patch)
        .args(["-s", "-p0", "-i", "fix.diff"])
        .current_dir(d.path())
        .status()
        .expect("patch");
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        expected
    );
}

#[test]
fn dfopt_off_and_stdin() {
    let run = dfopt_on(
        UNOPTIMISED,
        &["rewrite", "--build-arg", "DFOPT=off", "Dockerfile"],
    );
    assert_eq!((run.code, run.out()), (0, UNOPTIMISED.to_string()));
    let d = dir(&[]);
    let run = dfopt_in(
        d.path(),
        &["rewrite", "--diff", "-"],
        Some(UNOPTIMISED.as_bytes()),
    );
    assert_eq!(run.code, 1);
    assert!(run.out().starts_with("--- -\n+++ -\n"), "{}", run.out());
}

#[test]
fn platform_names_the_cache_ids() {
    let run = dfopt_on(
        UNOPTIMISED,
        &["rewrite", "--platform", "linux/arm64", "Dockerfile"],
    );
    assert!(
        run.out().contains("-linux/arm64-debian:12"),
        "{}",
        run.out()
    );
    // Without a platform the ids could not name it: no cache mount, and explain says why.
    let run = dfopt_on(UNOPTIMISED, &["rewrite", "Dockerfile"]);
    assert!(!run.out().contains("--mount=type=cache"), "{}", run.out());
    let run = dfopt_on(UNOPTIMISED, &["explain", "Dockerfile"]);
    assert!(
        run.out().contains("the cache id cannot name the platform"),
        "{}",
        run.out()
    );
}
