//! BuildKit's parser testfiles, run through our parser and dump.
//!
//! Every directory under `tests/data/buildkit/parser/testfiles` is a case; a
//! new directory is a new case. All failures are collected and reported at once.

use dfopt_dockerfile::syntax::dump::dump;
use dfopt_dockerfile::{parse, LineIndex};
use std::fs;
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/buildkit/parser")
}

fn case_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn read(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", path.display()))
}

#[test]
fn positive_testfiles_dump_exactly() {
    let dirs = case_dirs(&data().join("testfiles"));
    assert_eq!(dirs.len(), 33, "expected BuildKit's 33 parser testfiles");
    let mut failures = Vec::new();
    for dir in &dirs {
        let parsed = parse(&read(&dir.join("Dockerfile")));
        let expected = read(&dir.join("result"));
        if let Some(error) = parsed.error() {
            failures.push(format!(
                "{}: unexpected error: {}",
                dir.display(),
                error.message
            ));
            continue;
        }
        let actual = dump(&parsed.dockerfile);
        if actual != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                dir.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

#[test]
fn negative_testfiles_fail() {
    let dirs = case_dirs(&data().join("testfiles-negative"));
    assert_eq!(dirs.len(), 4, "expected BuildKit's 4 negative testfiles");
    for dir in &dirs {
        let parsed = parse(&read(&dir.join("Dockerfile")));
        assert!(
            parsed.error().is_some(),
            "{} parsed without error",
            dir.display()
        );
    }
}

#[test]
fn testfile_line_spans() {
    let source = read(&data().join("testfile-line/Dockerfile"));
    let parsed = parse(&source);
    assert!(parsed.error().is_none(), "{:?}", parsed.error());
    let index = LineIndex::new(&source);
    let lines: Vec<(u32, u32)> = parsed
        .dockerfile
        .instructions
        .iter()
        .map(|i| index.lines(i.span))
        .collect();
    assert_eq!(lines, vec![(5, 5), (11, 12), (17, 31)]);
}
