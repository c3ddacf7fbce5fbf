//! Fixture + snapshot tests of the syntax tree and typed form.
//!
//! Each `tests/fixtures/syntax/*.Dockerfile` is parsed; the snapshot shows the
//! directives, BuildKit's dump, heredocs, comments, spans as line ranges,
//! diagnostics and the typed stages. Span invariants are asserted on every file.

use dfopt_dockerfile::instructions::parse_dockerfile;
use dfopt_dockerfile::syntax::ast::Instruction;
use dfopt_dockerfile::syntax::dump::dump_instruction;
use dfopt_dockerfile::{parse, LineIndex, Span};
use std::fmt::Write;
use std::path::Path;

fn check_span(source: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end as usize <= source.len(),
        "{what}: span {span:?} out of bounds"
    );
    assert!(
        source.is_char_boundary(span.start as usize) && source.is_char_boundary(span.end as usize),
        "{what}: span {span:?} splits a character"
    );
}

fn describe(source: &str, index: &LineIndex, instruction: &Instruction, out: &mut String) {
    check_span(source, instruction.span, "instruction");
    check_span(source, instruction.keyword_span, "keyword");
    assert!(
        instruction.span.start <= instruction.keyword_span.start
            && instruction.keyword_span.end <= instruction.span.end
    );
    let (first, last) = index.lines(instruction.span);
    let _ = writeln!(
        out,
        "lines {first}-{last}: {}",
        dump_instruction(instruction)
    );
    for flag in &instruction.flags {
        check_span(source, flag.span, "flag");
        let _ = writeln!(
            out,
            "  flag {:?} at {:?}",
            flag.text,
            flag.span.text(source)
        );
    }
    if !instruction.comments.is_empty() {
        let _ = writeln!(out, "  comments {:?}", instruction.comments);
    }
    for doc in &instruction.heredocs {
        check_span(source, doc.span, "heredoc");
        let _ = writeln!(
            out,
            "  heredoc name={:?} fd={} expand={} chomp={} content={:?}",
            doc.name, doc.file_descriptor, doc.expand, doc.chomp, doc.content
        );
    }
}

#[test]
fn syntax_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 30);
    for path in paths {
        let source = std::fs::read_to_string(&path).expect("fixture");
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let parsed = parse(&source);
        let index = LineIndex::new(&source);
        let mut out = String::new();
        let _ = writeln!(out, "escape {:?}", parsed.dockerfile.escape);
        for d in &parsed.dockerfile.directives {
            let _ = writeln!(
                out,
                "directive {}={:?} line {}",
                d.name,
                d.value,
                index.line(d.span.start)
            );
        }
        for instruction in &parsed.dockerfile.instructions {
            describe(&source, &index, instruction, &mut out);
        }
        for d in &parsed.diagnostics {
            let _ = writeln!(
                out,
                "{:?} line {}: {}",
                d.severity,
                index.line(d.span.start),
                d.message
            );
        }
        if parsed.error().is_none() {
            match parse_dockerfile(&parsed.dockerfile) {
                Ok(ir) => {
                    for arg in &ir.meta_args {
                        let _ = writeln!(out, "meta {:?}", arg.kind);
                    }
                    for stage in &ir.stages {
                        let _ = writeln!(
                            out,
                            "stage {} base={:?} platform={:?}",
                            stage.display_name(),
                            stage.base,
                            stage.platform.as_ref().map(|p| &p.value)
                        );
                        for command in &stage.commands {
                            let _ = writeln!(out, "  {:?}", command.kind);
                        }
                    }
                }
                Err(e) => {
                    let _ = writeln!(
                        out,
                        "typed error line {}: {}",
                        index.line(e.span.start),
                        e.message
                    );
                }
            }
        }
        insta::assert_snapshot!(name, out);
    }
}
