//! `dfopt check`: every rule, positive and negative; human and JSON output.

mod common;

use common::{dfopt_in, dfopt_on, dir, OPTIMAL};

/// The rule ids `dfopt check --format json` reports for `dockerfile` (with a
/// `.dockerignore` present), checking the exit code agrees.
fn rules(dockerfile: &str) -> Vec<String> {
    let run = dfopt_on(dockerfile, &["check", "--format", "json", "Dockerfile"]);
    let json = run.json();
    let ids: Vec<String> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule").to_string())
        .collect();
    assert_eq!(
        run.code,
        if ids.is_empty() { 0 } else { 1 },
        "{}",
        run.stderr
    );
    ids
}

fn has(dockerfile: &str, rule: &str) -> bool {
    rules(dockerfile).iter().any(|r| r == rule)
}

#[test]
fn deps_after_copy_all() {
    let rule = "DepsAfterCopyAll";
    for positive in [
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n",
        "FROM node:20\nCOPY ./ /app/\nRUN cd /app && npm ci\n",
        "FROM golang:1.22\nADD . /src\nRUN go mod download\n",
        "FROM rust:1\nCOPY . .\nRUN cargo build --release\n",
        "FROM ruby:3\nCOPY . /app\nRUN bundle install\n",
        "FROM python:3.12\nCOPY . /app\nRUN pip install flask\n",
        // A prefetch of another tool does not count.
        "FROM node:20\nCOPY pnpm-lock.yaml ./\nRUN pnpm fetch\nCOPY . .\nRUN npm ci\n",
    ] {
        assert!(has(positive, rule), "{positive}");
    }
    for negative in [
        "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
        "FROM python:3.12\nCOPY . /app\nRUN pip install /app\n",
        "FROM python:3.12\nCOPY . .\nRUN pip install -e .\n",
        "FROM node:20\nCOPY --from=build /app .\nRUN npm ci\n",
        "FROM golang:1.22\nCOPY . .\nRUN go build ./...\n",
        "FROM python:3.12 AS a\nCOPY . .\nFROM python:3.12\nRUN pip install flask\n",
        // cargo-chef: the dependencies were built before the sources came in.
        "FROM rust:1 AS builder\nCOPY --from=planner /app/recipe.json recipe.json\nRUN cargo chef cook --release --recipe-path recipe.json\nCOPY . .\nRUN cargo build --release\n",
        // pnpm fetch, then an offline install.
        "FROM node:20\nCOPY pnpm-lock.yaml ./\nRUN pnpm fetch --prod\nCOPY . .\nRUN pnpm install -r --offline --prod\n",
        "FROM golang:1.22\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN go build -o /app && go get ./...\n",
        "FROM node:20\nCOPY . .\nRUN pnpm install --offline\n",
    ] {
        assert!(!has(negative, rule), "{negative}");
    }
    let json = dfopt_on(
        "FROM node:20\nCOPY . .\nRUN npm install\n",
        &["check", "--format", "json", "Dockerfile"],
    )
    .json();
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap()
        .clone();
    assert_eq!(f["line"], 3);
    assert!(f["fix"].as_str().unwrap().contains("package.json"), "{f}");
}

#[test]
fn apt_no_cleanup() {
    let rule = "AptNoCleanup";
    assert!(has(
        "FROM debian\nRUN apt-get update && apt-get install -y curl\n",
        rule
    ));
    assert!(has(
        "FROM debian\nRUN apt-get update && apt-get -y install curl && apt-get clean\n",
        rule
    ));
    assert!(has(
        "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n",
        rule
    ));
    assert!(!has("FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", rule));
    assert!(!has(
        "FROM debian\nRUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked --mount=type=cache,target=/var/cache/apt,sharing=locked apt-get update && apt-get install -y curl\n",
        rule
    ));
    assert!(!has("FROM debian\nRUN apt-get update\n", rule));
    assert!(
        !has("FROM debian\nRUN apt-get install -y curl\n", rule),
        "no update: no lists of its own"
    );
    assert!(!has(
        "FROM debian\nRUN python3 <<EOF\nprint('apt-get install -y curl')\nEOF\n",
        rule
    ));
}

#[test]
fn apt_update_separate() {
    let rule = "AptUpdateSeparate";
    assert!(has("FROM debian\nRUN apt-get update\nRUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", rule));
    assert!(!has("FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", rule));
    assert!(!has("FROM debian\nRUN apt-get update\n", rule));
    assert!(!has(
        "FROM debian\nRUN apt-get update\nRUN apt-get update && apt-get install -y curl\n",
        rule
    ));
}

#[test]
fn missing_cache_mount() {
    let rule = "MissingCacheMount";
    for positive in [
        "FROM python:3.12\nRUN pip install --no-cache-dir flask\n",
        "FROM python:3.12\nRUN python3 -m pip install flask\n",
        "FROM node:20\nRUN npm ci\n",
        "FROM golang:1.22\nRUN go build -o /app ./cmd/app\n",
        "FROM golang:1.22\nRUN [\"go\", \"mod\", \"download\"]\n",
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.npm pip install flask\n",
    ] {
        assert!(has(positive, rule), "{positive}");
    }
    for negative in [
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n",
        "FROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
        "FROM golang:1.22\nRUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/go/pkg/mod go build ./...\n",
        "FROM node:20\nRUN npm run build\n",
        "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ] {
        assert!(!has(negative, rule), "{negative}");
    }
}

#[test]
fn consecutive_runs() {
    let rule = "ConsecutiveRuns";
    assert!(has("FROM alpine\nRUN a\nRUN b\n# comment\nRUN c\n", rule));
    assert!(!has("FROM alpine\nRUN a\nRUN b\n", rule));
    assert!(!has(
        "FROM alpine\nRUN a\nRUN b\nCOPY x /x\nRUN c\nRUN d\n",
        rule
    ));
    assert!(!has(
        "FROM alpine\nRUN a\nRUN b\nFROM alpine\nRUN c\n",
        rule
    ));
    let json = dfopt_on(
        "FROM alpine\nRUN a\nRUN b\nRUN c\nRUN d\n",
        &["check", "--format", "json", "Dockerfile"],
    )
    .json();
    let f = &json["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["line"].as_u64()),
        (Some(rule), Some(2))
    );
    assert_eq!(f["ranges"].as_array().unwrap().len(), 4);
    assert_eq!(f["message"], "4 consecutive RUN instructions make 4 layers");
}

#[test]
fn missing_dockerignore() {
    let rule = "MissingDockerignore";
    let dockerfile = "FROM alpine\nCOPY . /app\n";
    let ids = |d: &tempfile::TempDir, file: &str| -> Vec<String> {
        let run = dfopt_in(d.path(), &["check", "--format", "json", file], None);
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let d = dir(&[("Dockerfile", dockerfile)]);
    assert_eq!(ids(&d, "Dockerfile"), [rule]);
    let d = dir(&[("sub/Dockerfile", dockerfile)]);
    let run = dfopt_in(d.path(), &["check", "sub/Dockerfile"], None);
    assert_eq!(run.code, 1);
    assert!(
        run.out().contains("sub/.dockerignore does not exist"),
        "{}",
        run.out()
    );
    // Present next to the Dockerfile (either name): fine.
    let d = dir(&[("Dockerfile", dockerfile), (".dockerignore", ".git\n")]);
    assert!(ids(&d, "Dockerfile").is_empty());
    let d = dir(&[
        ("app.Dockerfile", dockerfile),
        ("app.Dockerfile.dockerignore", ".git\n"),
    ]);
    assert!(ids(&d, "app.Dockerfile").is_empty());
    // Not copying the whole context: fine.
    let d = dir(&[("Dockerfile", "FROM alpine\nCOPY app.py /app/\nADD ./ /x\n")]);
    assert_eq!(ids(&d, "Dockerfile"), [rule], "ADD ./ copies everything");
    let d = dir(&[(
        "Dockerfile",
        "FROM alpine\nCOPY app.py /app/\nCOPY --from=build . /x\n",
    )]);
    assert!(ids(&d, "Dockerfile").is_empty());
    // Standard input: no directory to look in.
    let d = dir(&[]);
    let run = dfopt_in(d.path(), &["check", "-"], Some(dockerfile.as_bytes()));
    assert_eq!((run.code, run.out()), (0, "No findings.\n".to_string()));
}

#[test]
fn cleanup_in_separate_run() {
    let rule = "CleanupInSeparateRun";
    let positive = "FROM debian\nRUN apt-get update && apt-get install -y curl\nCOPY a /a\nRUN rm -rf /var/lib/apt/lists/*\n";
    assert!(has(positive, rule));
    assert!(has(
        "FROM python:3.12\nRUN pip install flask\nRUN pip cache purge\n",
        rule
    ));
    assert!(has(
        "FROM node:20\nRUN npm ci\nRUN rm -rf /root/.npm\n",
        rule
    ));
    assert!(has(
        "FROM alpine\nRUN apk add curl\nRUN rm -rf /var/cache/apk/*\n",
        rule
    ));
    assert!(!has("FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", rule));
    assert!(!has("FROM debian\nRUN rm -rf /var/lib/apt/lists/*\n", rule));
    assert!(!has("FROM debian\nRUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\nRUN rm -rf /var/lib/apt/lists/*\n", rule));
    let json = dfopt_on(positive, &["check", "--format", "json", "Dockerfile"]).json();
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap()
        .clone();
    assert_eq!(f["line"], 4);
    assert!(f["message"].as_str().unwrap().contains("(line 2)"), "{f}");
}

#[test]
fn clean_file_exits_0() {
    let run = dfopt_on(OPTIMAL, &["check", "Dockerfile"]);
    assert_eq!((run.code, run.out()), (0, "No findings.\n".to_string()));
    let json = dfopt_on(OPTIMAL, &["check", "--format", "json", "Dockerfile"]).json();
    assert_eq!(
        json,
        serde_json::json!({"file": "Dockerfile", "findings": []})
    );
}

#[test]
fn human_output() {
    let dockerfile = "\
FROM python:3.12
WORKDIR /app
COPY . .
RUN apt-get update && apt-get install -y libpq5
RUN pip install -r requirements.txt
RUN apt-get update
RUN apt-get install -y gcc
RUN rm -rf /var/lib/apt/lists/*
CMD [\"python\", \"app.py\"]
";
    let d = dir(&[("Dockerfile", dockerfile)]);
    let run = dfopt_in(d.path(), &["check", "Dockerfile"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = run.out();
    for rule in [
        "DepsAfterCopyAll",
        "AptNoCleanup",
        "AptUpdateSeparate",
        "MissingCacheMount",
        "ConsecutiveRuns",
        "MissingDockerignore",
        "CleanupInSeparateRun",
    ] {
        assert!(out.contains(&format!("warning[{rule}]")), "{rule}: {out}");
    }
    assert!(out.contains("  = fix: "), "{out}");
    insta::assert_snapshot!("check_all_rules", out);
    let json = dfopt_in(d.path(), &["check", "--format", "json", "Dockerfile"], None).json();
    for f in json["findings"].as_array().unwrap() {
        for key in ["rule", "message", "fix"] {
            assert!(f[key].as_str().is_some_and(|v| !v.is_empty()), "{key}: {f}");
        }
        assert!(f["line"].as_u64().is_some_and(|l| l >= 1));
    }
}

#[test]
fn list_rules() {
    let d = dir(&[]);
    let run = dfopt_in(d.path(), &["check", "--list-rules"], None);
    assert_eq!(run.code, 0);
    let ids: Vec<String> = run
        .out()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 7, "{ids:?}");
    // BuildKit's convention, as they are reported next to BuildKit's rules.
    for id in &ids {
        assert!(
            id.starts_with(|c: char| c.is_ascii_uppercase())
                && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{id}"
        );
    }
}
