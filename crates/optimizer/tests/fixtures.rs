//! Fixture tests: `tests/fixtures/<pass-id>/*.Dockerfile` run with only that
//! pass enabled (`all/` runs the defaults; a `# dfopt=` comment in the file
//! overrides either). The snapshot holds the change records (with line
//! ranges) and the rendered Dockerfile.
//!
//! For every fixture the harness also checks: the passes converge before
//! `MAX_ROUNDS`, the rendered text parses without error and reads back as
//! the optimised IR, optimising the rendered text again rewrites nothing and
//! renders the same text, and `DFOPT=off` changes nothing.
//!
//! A line `# expect: no-mount=<target>` says that no RUN of the rendered
//! file mounts `<target>` (for fixtures where other mounts are expected).
//!
//! Options come from `# test:` comment lines: `platform=os/arch` (empty: unknown),
//! `build-platform=os/arch`, `complete-build-args` (as in the frontend), `target=name`, `image-user=<stage>:<user>`, `image-env=<stage>:K=V`.
//!
//! A directory `<name>.context/` beside `<name>.Dockerfile` is that fixture's
//! build context: the harness answers the passes' context queries from it,
//! asking again until none is left, as a caller does. Without it the
//! context is not available.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod common;

use common::check_invariants;
use dfopt_dockerfile::LineIndex;
use dfopt_optimizer::{context_queries, optimize, ContextQuery, Optimized, Options, Settings};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn options_of(source: &str) -> Options {
    let mut opts = Options {
        target_platform: Some("linux/amd64".into()),
        ..Options::default()
    };
    for line in source.lines() {
        let Some(rest) = line.trim().strip_prefix("# test:") else {
            continue;
        };
        for item in rest.split_whitespace() {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            match key {
                // `platform=` (empty): unknown, as in the offline CLI.
                "platform" => {
                    opts.target_platform = Some(value.to_string()).filter(|v| !v.is_empty())
                }
                "target" => opts.target = Some(value.to_string()),
                "build-platform" => {
                    opts.build_platform = Some(value.to_string()).filter(|v| !v.is_empty())
                }
                "complete-build-args" => opts.complete_build_args = true,
                "image-user" | "image-env" => {
                    let (stage, v) = value.split_once(':').expect("<stage>:<value>");
                    let info = opts
                        .images
                        .entry(stage.parse().expect("stage index"))
                        .or_default();
                    if key == "image-user" {
                        info.user = v.to_string();
                    } else {
                        info.env.push(v.to_string());
                    }
                }
                "build-arg" => {
                    let (k, v) = value.split_once('=').expect("K=V");
                    opts.build_args.insert(k.to_string(), v.to_string());
                }
                other => panic!("unknown test option {other}"),
            }
        }
    }
    opts
}

/// The targets of `# expect: no-mount=<target>` lines.
fn no_mounts(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# expect:"))
        .flat_map(str::split_whitespace)
        .map(|item| match item.strip_prefix("no-mount=") {
            Some(target) => target.to_string(),
            None => panic!("unknown expectation {item}"),
        })
        .collect()
}

fn settings_of(pass: &str, source: &str) -> Settings {
    let base = if pass == "all" {
        Settings::default()
    } else {
        Settings::only(&[pass])
    };
    match dfopt_optimizer::settings_directive(source).expect("valid dfopt comment") {
        Some(_) => Settings::from_sources(None, source).expect("valid dfopt comment"),
        None => base,
    }
}

/// The snapshot text: change records, then the rendered file.
fn report(source: &str, opt: &Optimized, rendered: &str) -> String {
    let index = LineIndex::new(source);
    let mut out = String::new();
    if opt.changes.is_empty() {
        out.push_str("(no changes)\n");
    }
    for c in &opt.changes {
        let lines: Vec<String> = c
            .line_ranges(&index)
            .into_iter()
            .map(|(a, b)| {
                if a == b {
                    format!("L{a}")
                } else {
                    format!("L{a}-{b}")
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "[{}] {:?} {}: {}",
            c.pass,
            c.kind,
            lines.join(","),
            c.title
        );
        let _ = writeln!(out, "    why: {}", c.reason);
        if !c.note.is_empty() {
            let _ = writeln!(out, "    note: {}", c.note);
        }
    }
    let notes = opt.notes_by_command();
    for ((s, i), note) in &notes {
        let _ = writeln!(out, "progress stage {s} command {i}: {note}");
    }
    let cache = opt.injected_cache_dirs();
    if !cache.is_empty() {
        let _ = writeln!(out, "cache dirs: {}", cache.join(" "));
    }
    out.push_str("---- rendered ----\n");
    out.push_str(rendered);
    out
}

fn fixture_files() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .flatten()
        .collect();
    dirs.sort_by_key(|d| d.file_name());
    for dir in dirs {
        let pass = dir.file_name().to_string_lossy().to_string();
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .map(|f| f.path())
            .collect();
        files.sort();
        for f in files {
            if f.extension().is_some_and(|e| e == "Dockerfile") {
                out.push((pass.clone(), f));
            }
        }
    }
    out
}

/// Answers the context queries from `dir` (when it exists) until none is left.
fn fill_context(dir: &Path, source: &str, settings: &Settings, opts: &mut Options) {
    if !dir.is_dir() {
        return;
    }
    opts.context.available = true;
    for _ in 0..32 {
        let queries = context_queries(source, settings, opts);
        if queries.is_empty() {
            return;
        }
        for query in queries {
            match query {
                ContextQuery::File(path) => {
                    let file = dir.join(&path);
                    // As the build sees the context: a symlink is not a
                    // regular file, nor a directory.
                    let regular = file.symlink_metadata().is_ok_and(|m| m.is_file());
                    let contents = regular.then(|| std::fs::read(&file).expect("read"));
                    opts.context.files.insert(path, contents);
                }
                ContextQuery::Dir(path) => {
                    let listing = dir.join(&path);
                    let is_dir = listing.symlink_metadata().is_ok_and(|m| m.is_dir());
                    let entries = is_dir.then(|| {
                        let mut names: Vec<String> = std::fs::read_dir(&listing)
                            .expect("list")
                            .flatten()
                            .map(|e| {
                                let name = e.file_name().to_string_lossy().to_string();
                                if e.file_type().is_ok_and(|t| t.is_dir()) {
                                    format!("{name}/")
                                } else {
                                    name
                                }
                            })
                            .collect();
                        names.sort();
                        names
                    });
                    opts.context.dirs.insert(path, entries);
                }
            }
        }
    }
    panic!("context queries did not settle");
}

#[test]
fn fixtures() {
    let files = fixture_files();
    assert!(!files.is_empty());
    let mut settings_ = insta::Settings::clone_current();
    settings_.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    settings_.set_prepend_module_to_snapshot(false);
    let _guard = settings_.bind_to_scope();
    for (pass, path) in files {
        let source = std::fs::read_to_string(&path).expect("read fixture");
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let name = format!("{pass}__{stem}");
        let settings = settings_of(&pass, &source);
        let mut opts = options_of(&source);
        fill_context(
            &path.with_extension("context"),
            &source,
            &settings,
            &mut opts,
        );
        let (opt, rendered) =
            check_invariants(&name, &source, &settings, &opts).unwrap_or_else(|| {
                let err = optimize(&source, &settings, &opts).err();
                panic!("{name}: does not parse: {err:?}")
            });
        if pass != "all" && !stem.starts_with("no-") {
            assert!(
                opt.changes.iter().any(|c| c.pass == pass),
                "{name}: a positive fixture produced no change of its pass"
            );
        }
        if stem.starts_with("no-") {
            assert!(
                opt.rewrites().next().is_none(),
                "{name}: a negative fixture was rewritten"
            );
        }
        for target in no_mounts(&source) {
            assert!(
                !rendered.contains(&format!("target={target},"))
                    && !rendered.contains(&format!("target={target} ")),
                "{name}: `{target}` was mounted"
            );
        }
        insta::assert_snapshot!(name, report(&source, &opt, &rendered));
    }
}
