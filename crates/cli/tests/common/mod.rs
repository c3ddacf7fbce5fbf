//! Running the real `dfopt` binary in a fresh temporary directory.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// A finished run.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("utf-8 stdout")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}", self.out()))
    }
}

/// A fresh directory holding `files` (`(relative path, contents)`).
pub fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write file");
    }
    dir
}

/// Runs `dfopt args…` in `cwd` with `stdin` (colour off through `NO_COLOR`).
pub fn dfopt_in(cwd: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfopt"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dfopt");
    let mut pipe = child.stdin.take().expect("stdin");
    // The binary may exit before reading (usage errors): a broken pipe is fine.
    let _ = pipe.write_all(stdin.unwrap_or_default());
    drop(pipe);
    let out = child.wait_with_output().expect("wait dfopt");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `dfopt args…` in a fresh directory holding only `Dockerfile` (plus a
/// `.dockerignore`, so `check` does not report its absence).
pub fn dfopt_on(dockerfile: &str, args: &[&str]) -> Run {
    let dir = dir(&[("Dockerfile", dockerfile), (".dockerignore", ".git\n")]);
    dfopt_in(dir.path(), args, None)
}

/// A Dockerfile with three consecutive RUNs, an apt install and a pip install.
pub const UNOPTIMISED: &str = "\
FROM debian:12
# tools
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl
RUN mkdir /app
COPY requirements.txt /app/
RUN pip install -r /app/requirements.txt
CMD [\"curl\", \"--version\"]
";

/// Nothing for the default passes to do.
pub const OPTIMAL: &str = "\
FROM alpine:3.19
COPY hello.sh /usr/local/bin/hello
CMD [\"hello\"]
";
