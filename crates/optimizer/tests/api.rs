//! The public API: settings, registry, progress notes, reachability, the
//! cache-directory table, what the lowering reads from `Optimized`, and the
//! build-context queries.

use std::path::Path;

use dfopt_dockerfile::instructions::CommandKind;
use dfopt_dockerfile::{LineIndex, Span};
use dfopt_optimizer::{
    context_queries, declared_cache_dirs, optimize, progress_note, reachable_stages, render,
    Change, ChangeKind, ContextQuery, Options, Settings, SettingsSource, PASSES,
};

fn opts() -> Options {
    Options {
        target_platform: Some("linux/amd64".into()),
        ..Options::default()
    }
}

#[test]
fn registry_ids_are_kebab_case_and_have_fixtures() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for pass in PASSES {
        assert!(
            pass.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            pass.id
        );
        let dir = fixtures.join(pass.id);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .expect("fixture dir per pass")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("no-")),
            "{}: no negative fixture",
            pass.id
        );
        assert!(
            names.iter().any(|n| !n.starts_with("no-")),
            "{}: no positive fixture",
            pass.id
        );
    }
    let defaults: Vec<&str> = PASSES
        .iter()
        .filter(|p| p.default_enabled)
        .map(|p| p.id)
        .collect();
    assert_eq!(Settings::default().enabled(), defaults.as_slice());
}

#[test]
fn settings_sources() {
    let src = "# syntax=docker/dockerfile:1\n# dfopt=-merge-runs\nFROM alpine\n";
    let s = Settings::from_sources(None, src).unwrap();
    assert_eq!(s.source, SettingsSource::Directive);
    assert!(!s.is_enabled("merge-runs") && s.is_enabled("cache-mounts"));
    let s = Settings::from_sources(Some("off,+merge-runs"), src).unwrap();
    assert_eq!(
        (s.source, s.enabled()),
        (SettingsSource::BuildArg, &["merge-runs"][..])
    );
    let err = Settings::from_sources(Some("+cache-mount"), src).unwrap_err();
    assert!(
        err.message.contains("did you mean cache-mounts?")
            && err
                .message
                .contains("deps-first, merge-runs, cache-mounts, prune-stages"),
        "{err}"
    );
    assert_eq!(err.line, None, "a build-arg has no line");
    let err = Settings::from_sources(None, "# dfopt=bogus\nFROM x\n").unwrap_err();
    assert!(err.message.contains("`# dfopt=` comment"), "{err}");
    assert_eq!(err.line, Some(1));
}

#[test]
fn progress_notes() {
    let change = |note: &str, kind| Change {
        pass: "x",
        kind,
        ranges: vec![],
        title: String::new(),
        reason: String::new(),
        note: note.to_string(),
    };
    let changes = [
        change("3 RUNs merged", ChangeKind::Rewrite),
        change("apt cache", ChangeKind::Rewrite),
        change("", ChangeKind::Report),
    ];
    assert_eq!(
        progress_note(&changes).as_deref(),
        Some("(dfopt: 3 RUNs merged, apt cache)")
    );
    assert_eq!(progress_note(&changes[2..]), None);

    let src = "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nRUN echo done\n";
    let opt = optimize(src, &Settings::default(), &opts()).unwrap();
    assert_eq!(
        opt.note(0, 0).as_deref(),
        Some("(dfopt: 3 RUNs merged, apt cache)")
    );
    assert_eq!(opt.notes_by_command().len(), 1);
}

#[test]
fn the_lowering_reads_the_optimised_ir() {
    let src = "FROM alpine:3.19\n# a\nRUN echo a\nLABEL x=y\nRUN echo b\nCMD [\"sh\"]\n";
    let opt = optimize(src, &Settings::default(), &opts()).unwrap();
    let cmds = &opt.ir.stages[0].commands;
    assert_eq!(
        cmds.iter().map(|c| c.keyword()).collect::<Vec<_>>(),
        ["RUN", "LABEL", "CMD"]
    );
    let CommandKind::Run(run) = &cmds[0].kind else {
        panic!()
    };
    assert_eq!(
        run.cmd.args,
        ["( echo a ); ( exit $? ) || exit $?;     ( echo b )"]
    );
    assert!(run.cmd.prepend_shell);
    // The merged RUN points at the lines of all its parts (source maps).
    assert_eq!(LineIndex::new(src).lines(cmds[0].span), (3, 5));
    assert_eq!(cmds[0].comments, ["a"]);
    assert_eq!(opt.origins[0][0].instructions, [1, 3]);
    assert!(opt.origins[0][1].text.is_none());
}

#[test]
fn off_changes_nothing() {
    let src = "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n";
    let opt = optimize(src, &Settings::off(), &opts()).unwrap();
    assert!(opt.changes.is_empty());
    assert_eq!(render(src, &opt), src);
    assert_eq!(opt.ir.stages[0].commands.len(), 2);
}

#[test]
fn parse_errors_are_returned() {
    let err = optimize(
        "FROM alpine\nRUN <<EOF\necho\n",
        &Settings::default(),
        &opts(),
    )
    .unwrap_err();
    assert_eq!(err.message, "unterminated heredoc");
    assert!(optimize("", &Settings::default(), &opts()).is_err());
}

#[test]
fn crlf_line_endings_are_kept() {
    let src = "FROM alpine:3.19\r\n# one\r\nRUN echo a\r\nRUN echo b\r\nLABEL x=y\r\n";
    let opt = optimize(src, &Settings::only(&["merge-runs"]), &opts()).unwrap();
    let out = render(src, &opt);
    assert_eq!(out, "FROM alpine:3.19\r\n# one\r\nRUN ( echo a ); ( exit $? ) || exit $?; \\\r\n    ( echo b )\r\nLABEL x=y\r\n");
}

#[test]
fn reachability() {
    let src = "FROM alpine AS a\nFROM alpine AS b\nRUN true\nFROM b AS c\nCOPY --from=a / /\nFROM alpine AS d\n";
    let parsed = dfopt_dockerfile::parse(src);
    let ir = dfopt_dockerfile::instructions::parse_dockerfile(&parsed.dockerfile).unwrap();
    assert_eq!(
        reachable_stages(&ir, Some("C"))
            .into_iter()
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert_eq!(
        reachable_stages(&ir, None).into_iter().collect::<Vec<_>>(),
        [3]
    );
    assert!(reachable_stages(&ir, Some("nope")).is_empty());
}

#[test]
fn injected_dirs_are_declared() {
    let declared = declared_cache_dirs();
    let covered = |d: &str| {
        declared
            .iter()
            .any(|x| d == *x || d.starts_with(&format!("{x}/")))
    };
    let src = "FROM debian:12\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n\
               FROM python:3.12\nRUN pip install --no-cache-dir x\nRUN npm ci\nRUN yarn\nRUN pnpm i\nRUN uv sync\nRUN poetry install\n\
               FROM golang:1.22\nRUN go build .\nFROM rust:1\nRUN cargo build\nFROM maven\nRUN mvn package\nFROM gradle\nRUN gradle build --no-daemon\n\
               FROM alpine\nRUN apk add --no-cache x\nFROM fedora\nRUN dnf install -y x\nFROM python:3.12\nUSER 1000\nRUN pip install --no-cache-dir x\n";
    let opt = optimize(src, &Settings::only(&["cache-mounts"]), &opts()).unwrap();
    let injected = opt.injected_cache_dirs();
    assert!(injected.len() >= 18, "{injected:?}");
    for d in &injected {
        assert!(covered(d), "{d} is not declared");
    }
    assert!(declared.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn change_ranges_are_original_instructions() {
    let src = "FROM alpine:3.19\nRUN echo a\nRUN echo b\n";
    let opt = optimize(src, &Settings::default(), &opts()).unwrap();
    let merge = opt.rewrites().next().unwrap();
    assert_eq!(
        merge.ranges,
        [Span { start: 17, end: 27 }, Span { start: 28, end: 38 }]
    );
}

#[test]
fn context_queries_are_asked_until_answered() {
    let src =
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nRUN pip install -r requirements.txt\n";
    let deps_first = Settings::only(&["deps-first"]);
    let mut opts = opts();
    assert!(
        context_queries(src, &deps_first, &opts).is_empty(),
        "nothing is asked without a context"
    );
    opts.context.available = true;
    assert!(
        context_queries(src, &Settings::default(), &opts).is_empty(),
        "nothing is asked when deps-first is off"
    );
    let file = |p: &str| ContextQuery::File(p.to_string());
    assert_eq!(
        context_queries(src, &deps_first, &opts),
        [file("requirements.txt"), ContextQuery::Dir(String::new())]
    );
    opts.context.files.insert(
        "requirements.txt".into(),
        Some(b"flask\n-r requirements/base.txt\n".to_vec()),
    );
    opts.context.dirs.insert(
        String::new(),
        Some(vec!["requirements/".into(), "requirements.txt".into()]),
    );
    assert_eq!(
        context_queries(src, &deps_first, &opts),
        [file("requirements/base.txt")],
        "an include raises a second query"
    );
    opts.context
        .files
        .insert("requirements/base.txt".into(), Some(b"click\n".to_vec()));
    assert!(context_queries(src, &deps_first, &opts).is_empty());
    let opt = optimize(src, &deps_first, &opts).unwrap();
    let change = opt.rewrites().next().expect("deps-first fired");
    assert_eq!(
        change.title,
        "Copied requirements.txt, requirements/base.txt before `COPY . /app` so `pip install -r requirements.txt` is cached across source edits"
    );
    // The manifest COPYs stand for the user's COPY instruction.
    let copy_span = opt.command_spans(0, 4);
    assert_eq!(opt.command_spans(0, 1), copy_span);
    assert_eq!(opt.command_spans(0, 2), copy_span);
}
