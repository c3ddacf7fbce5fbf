//! No panics, and the harness invariants, on every Dockerfile the parser's
//! tests use (dfopt's fixtures and BuildKit's parser testfiles), on every
//! prefix of every optimizer fixture, and on generated RUN sequences.

mod common;

use std::path::{Path, PathBuf};

use common::check_invariants;
use dfopt_optimizer::{optimize, Options, Settings};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if name == "Dockerfile"
                || name.ends_with(".Dockerfile")
                || name.ends_with(".dockerfile")
            {
                out.push(p);
            }
        }
    }
}

fn opts() -> Options {
    Options {
        target_platform: Some("linux/amd64".into()),
        ..Options::default()
    }
}

#[test]
fn parser_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dockerfile/tests");
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut optimised = 0;
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let source = String::from_utf8_lossy(&bytes).to_string();
        let name = f.display().to_string();
        if check_invariants(&name, &source, &Settings::all(), &opts()).is_some() {
            optimised += 1;
        }
    }
    eprintln!(
        "parser corpus: {} files, {optimised} optimised",
        files.len()
    );
    assert!(optimised > 20, "only {optimised} files optimised");
}

#[test]
fn prefixes_of_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    walk(&root, &mut files);
    for f in &files {
        let source = std::fs::read_to_string(f).expect("read");
        for (cut, _) in source.char_indices() {
            let prefix = &source[..cut];
            let name = format!("{}[..{cut}]", f.display());
            check_invariants(&name, prefix, &Settings::all(), &opts());
        }
    }
}

/// Generated sequences of RUNs mixing every construct the passes care about.
#[test]
fn generated_run_sequences() {
    let parts = [
        "apt-get update",
        "apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
        "pip install --no-cache-dir x",
        "cd /tmp # note",
        "echo \"a # b\"",
        "sleep 1 &",
        "set -e; false",
        "exit 0",
        "npm ci && npm cache clean --force",
        "go build ./... && go clean -cache",
        "apk add --no-cache git",
        "echo a \\\n    && echo b",
        "[[ -f /x ]] || rm -rf /root/.cache/pip",
        "(cd x && make) && rm -rf /var/cache/apt/*",
        "if true; then rm -rf /var/lib/apt/lists/*; fi",
        "echo 'unterminated",
        "case x in x) ;; esac",
        "rm -rf /var/lib/apt/lists",
    ];
    let heads = ["", "--mount=type=cache,target=/x ", "--network=none "];
    let mut state: u64 = 0x9e3779b97f4a7c15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut rewritten = 0;
    for round in 0..400 {
        let mut text = String::from("FROM debian:12\n");
        let runs = 1 + next(5);
        for _ in 0..runs {
            match next(8) {
                0 => text.push_str("LABEL a=b\n"),
                1 => text.push_str("# dfopt:keep\n"),
                2 => text.push_str("USER 1000\n"),
                _ => {}
            }
            text.push_str(&format!(
                "RUN {}{}\n",
                heads[next(heads.len())],
                parts[next(parts.len())]
            ));
        }
        let name = format!("generated #{round}:\n{text}");
        if optimize(&text, &Settings::all(), &opts()).is_ok() {
            let (opt, _) =
                check_invariants(&name, &text, &Settings::all(), &opts()).expect("parses");
            rewritten += usize::from(opt.rewrites().next().is_some());
        }
    }
    eprintln!("generated: {rewritten} of 400 rewritten");
    assert!(rewritten > 100);
}
