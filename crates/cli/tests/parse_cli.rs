//! Black-box tests of `dfopt parse`: the real binary on BuildKit's testfiles.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn dfopt(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfopt"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dfopt");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.unwrap_or_default())
        .expect("write stdin");
    drop(pipe);
    child.wait_with_output().expect("wait dfopt")
}

fn testfiles(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dockerfile/tests/data/buildkit/parser")
        .join(kind);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testfiles dir")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn dump_matches_buildkit_for_every_testfile() {
    let dirs = testfiles("testfiles");
    assert_eq!(dirs.len(), 33);
    for dir in dirs {
        let file = dir.join("Dockerfile");
        let out = dfopt(
            &["parse", "--dump", file.to_str().expect("utf-8 path")],
            None,
        );
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = std::fs::read(dir.join("result")).expect("result");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&expected),
            "{}",
            dir.display()
        );
    }
}

#[test]
fn negative_testfiles_exit_2_with_location() {
    for dir in testfiles("testfiles-negative") {
        let file = dir.join("Dockerfile");
        let path = file.to_str().expect("utf-8 path");
        let out = dfopt(&["parse", "--dump", path], None);
        assert_eq!(out.status.code(), Some(2), "{}", dir.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(&format!("{path}:")), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn stdin_and_error_location() {
    let out = dfopt(
        &["parse", "--dump", "-"],
        Some(b"FROM busybox\n\nENV PATH\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "-:3:1: ENV must have two arguments\n"
    );

    let out = dfopt(
        &["parse", "--dump", "-"],
        Some(b"FROM busybox\nRUN echo \\\n  hi\n"),
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "(from \"busybox\")\n(run \"echo   hi\")\n"
    );
}

#[test]
fn unreadable_and_non_utf8_inputs_are_errors() {
    let out = dfopt(&["parse", "--dump", "/nonexistent/Dockerfile"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("/nonexistent/Dockerfile: cannot read")
    );

    let out = dfopt(&["parse", "--dump", "-"], Some(b"FROM a\nRUN \xff\n"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "-:2:5: Dockerfile is not valid UTF-8\n"
    );
}
