//! Every error message, checked against a snapshot.
//!
//! Each `tests/fixtures/errors/*.Dockerfile` must fail to parse or to build
//! its typed form; the snapshot lists `name:LINE:COL: message` per fixture,
//! so adding a fixture adds a line to review.

use dfopt_dockerfile::instructions::parse_dockerfile;
use dfopt_dockerfile::{parse, Diagnostic, LineIndex};
use std::path::Path;

fn first_error(source: &str) -> Option<Diagnostic> {
    let parsed = parse(source);
    if let Some(error) = parsed.error() {
        return Some(error.clone());
    }
    parse_dockerfile(&parsed.dockerfile).err()
}

#[test]
fn error_messages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/errors");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let mut report = String::new();
    for path in names {
        let source = std::fs::read_to_string(&path).expect("fixture");
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name");
        let Some(error) = first_error(&source) else {
            panic!("{name}: expected an error, got none");
        };
        let at = LineIndex::new(&source).line_col(&source, error.span.start);
        let message: String = error.message.chars().take(200).collect();
        report.push_str(&format!("{name}:{}:{}: {message}\n", at.line, at.column));
    }
    insta::assert_snapshot!(report);
}
