//! The same graph gives byte-identical Definitions, across processes too.
//!
//! Rust's `HashMap` seeds its hasher per process, so any hash-map iteration leaking into
//! the output would show up as a difference between two runs of this binary.

mod common;

use std::path::PathBuf;
use std::process::Command;

use dfopt_llb::encode_definition;
use dfopt_llb::prelude::*;

const CHILD_ENV: &str = "DFOPT_LLB_DETERMINISM_OUT";

/// The bytes compared: a rich graph for HEAD and the Dockerfile graph for v0.8.
fn definitions_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    let everything = common::everything_graph().unwrap_or_else(|e| panic!("{e}"));
    out.extend(encode_definition(&common::marshal(
        &everything,
        &CapSet::buildkit_head(),
    )));
    out.extend(b"\n--\n");
    let dockerfile = common::dockerfile_graph().unwrap_or_else(|e| panic!("{e}"));
    out.extend(encode_definition(&common::marshal(
        &dockerfile,
        &CapSet::buildkit_v0_8(),
    )));
    out
}

/// Not a test on its own: writes the bytes when spawned by the test below.
#[test]
fn determinism_child() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        if let Err(e) = std::fs::write(&path, definitions_bytes()) {
            panic!("writing {path}: {e}");
        }
    }
}

fn run_child(path: &PathBuf) -> Vec<u8> {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    // Captured, so the child's own test summary does not mix into ours.
    let output = Command::new(exe)
        .args(["determinism_child", "--exact", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .output()
        .unwrap_or_else(|e| panic!("spawning child: {e}"));
    assert!(
        output.status.success(),
        "child failed: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let _ = std::fs::remove_file(path);
    bytes
}

#[test]
fn two_processes_give_identical_bytes() {
    let dir = std::env::temp_dir();
    let pid = std::process::id();
    let first = run_child(&dir.join(format!("dfopt-llb-determinism-{pid}-a")));
    let second = run_child(&dir.join(format!("dfopt-llb-determinism-{pid}-b")));
    assert!(!first.is_empty());
    assert_eq!(
        first, second,
        "two processes produced different Definitions"
    );
    assert_eq!(first, definitions_bytes(), "child and parent differ");
}

#[test]
fn construction_order_does_not_matter() {
    // Build the context first this time; the Definition depends only on structure.
    let context = common::context();
    let base = common::busybox();
    let a = base
        .file()
        .copy(FileCopy::new(&context, "/", "/app"))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let b = common::busybox()
        .file()
        .copy(FileCopy::new(&common::context(), "/", "/app"))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let caps = CapSet::buildkit_head();
    assert_eq!(common::marshal(&a, &caps), common::marshal(&b, &caps));
}

#[test]
fn equal_ops_are_emitted_once() {
    // Two separately built but identical images: one op in `def`, two uses.
    let x = common::busybox();
    let y = common::busybox();
    let merged = Merge::new([x, y]).build();
    let def = common::marshal(&merged, &CapSet::buildkit_head());
    assert_eq!(def.def.len(), 3, "{}", dump(&def));
    assert!(validate(&def).is_ok());
}
