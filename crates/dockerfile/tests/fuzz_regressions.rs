//! Replays the fuzz corpus seeds and every crash reproducer the fuzzer found
//! (`fuzz/regressions/`) through the fuzz target's body, plus a 1 MB input.

use dfopt_dockerfile::fuzz_support::exercise;
use std::path::Path;

fn replay(dir: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if path.is_file() && path.file_name().is_some_and(|n| n != "README.md") {
            exercise(&std::fs::read(&path).expect("read"));
            count += 1;
        }
    }
    count
}

#[test]
fn corpus_seeds_do_not_panic() {
    assert!(replay("fuzz/corpus/parse_expand") > 50);
}

#[test]
fn crash_reproducers_do_not_panic() {
    replay("fuzz/regressions");
}

/// A 1 MB Dockerfile: must finish promptly (the speed figure is in the benchmark).
#[test]
fn one_megabyte_dockerfile_parses() {
    let mut source = String::from("FROM busybox AS base\n");
    while source.len() < 1 << 20 {
        source.push_str("RUN --mount=type=cache,target=/c echo \"${A:-b}\" 'c' \\\n  && echo d <<EOF\nbody\nEOF\nENV K=v K2=\"x y\"\n# comment\n");
    }
    let parsed = dfopt_dockerfile::parse(&source);
    assert!(parsed.error().is_none());
    exercise(source.as_bytes());
}
