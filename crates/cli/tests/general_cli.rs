//! Conventions every subcommand follows: help, version, exit codes, stdin,
//! unreadable files, parse errors with `FILE:LINE:COL`, colour.

mod common;

use common::{dfopt_in, dfopt_on, dir, UNOPTIMISED};

const SUBCOMMANDS: [&str; 5] = ["parse", "explain", "rewrite", "llb", "check"];

#[test]
fn help_and_version() {
    let d = dir(&[]);
    let run = dfopt_in(d.path(), &["--help"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let help = run.out();
    for sub in SUBCOMMANDS {
        assert!(help.contains(sub), "{sub} missing from:\n{help}");
    }
    assert!(help.contains("Exit status: 0"), "{help}");
    for sub in SUBCOMMANDS {
        let run = dfopt_in(d.path(), &[sub, "--help"], None);
        assert_eq!(run.code, 0, "{sub}: {}", run.stderr);
        assert!(run.out().contains("Usage: dfopt"), "{sub}");
    }
    let run = dfopt_in(d.path(), &["--version"], None);
    assert_eq!(run.code, 0);
    assert_eq!(run.out(), format!("dfopt {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    let d = dir(&[]);
    for args in [
        &[][..],
        &["bogus"],
        &["explain"],
        &["explain", "--nope", "x"],
        &["llb", "--caps", "v9", "x"],
    ] {
        let run = dfopt_in(d.path(), args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn unreadable_file_exits_2_for_every_subcommand() {
    let d = dir(&[]);
    for sub in SUBCOMMANDS {
        let args: Vec<&str> = match sub {
            "llb" => vec![sub, "--format", "dump", "missing/Dockerfile"],
            "parse" => vec![sub, "--dump", "missing/Dockerfile"],
            _ => vec![sub, "missing/Dockerfile"],
        };
        let run = dfopt_in(d.path(), &args, None);
        assert_eq!(run.code, 2, "{sub}");
        assert!(
            run.stderr.starts_with("missing/Dockerfile: cannot read"),
            "{sub}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{sub}");
    }
}

#[test]
fn parse_errors_exit_2_with_file_line_column() {
    let bad = "FROM busybox\n\nENV PATH\n";
    for sub in SUBCOMMANDS {
        let args: Vec<&str> = match sub {
            "llb" => vec![sub, "--format", "dump", "Dockerfile"],
            "parse" => vec![sub, "--dump", "Dockerfile"],
            _ => vec![sub, "Dockerfile"],
        };
        let run = dfopt_on(bad, &args);
        assert_eq!(run.code, 2, "{sub}");
        assert_eq!(
            run.stderr, "Dockerfile:3:1: ENV must have two arguments\n",
            "{sub}"
        );
        assert!(run.stdout.is_empty(), "{sub}");
    }
    // Invalid UTF-8 from stdin.
    let d = dir(&[]);
    let run = dfopt_in(d.path(), &["explain", "-"], Some(b"FROM a\nRUN \xff\n"));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "-:2:5: Dockerfile is not valid UTF-8\n")
    );
}

#[test]
fn stdin_dash_works_for_every_subcommand() {
    let d = dir(&[]);
    let input = UNOPTIMISED.as_bytes();
    let expect = [("parse", 0), ("explain", 1), ("rewrite", 1), ("check", 1)];
    for (sub, code) in expect {
        let args: Vec<&str> = if sub == "parse" {
            vec![sub, "--dump", "-"]
        } else {
            vec![sub, "-"]
        };
        let run = dfopt_in(d.path(), &args, Some(input));
        assert_eq!(run.code, code, "{sub}: {}", run.stderr);
        assert!(!run.stdout.is_empty(), "{sub}");
    }
    let run = dfopt_in(d.path(), &["llb", "--format", "dump", "-"], Some(input));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.out().contains("[0] Dockerfile (Dockerfile,"),
        "{}",
        run.out()
    );
}

#[test]
fn invalid_build_options_exit_2() {
    for args in [
        &["explain", "--build-arg", "=x", "Dockerfile"][..],
        &["rewrite", "--platform", "linux//amd64", "Dockerfile"],
        &[
            "llb",
            "--format",
            "dump",
            "--platform",
            "nonsense",
            "Dockerfile",
        ],
        &[
            "explain",
            "--build-arg",
            "DFOPT=+no-such-pass",
            "Dockerfile",
        ],
        &["rewrite", "--target", "nope", "Dockerfile"],
        &["llb", "--format", "dump", "--target", "nope", "Dockerfile"],
    ] {
        let run = dfopt_on(UNOPTIMISED, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
    let run = dfopt_on(
        UNOPTIMISED,
        &["explain", "--build-arg", "DFOPT=+merge-run", "Dockerfile"],
    );
    assert!(
        run.stderr.contains("did you mean merge-runs?"),
        "{}",
        run.stderr
    );
    let run = dfopt_on(UNOPTIMISED, &["rewrite", "--target", "nope", "Dockerfile"]);
    assert_eq!(
        run.stderr,
        "Dockerfile: target stage \"nope\" could not be found\n"
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = dfopt_on(UNOPTIMISED, &["explain", "Dockerfile"]);
    assert!(!plain.out().contains('\x1b'));
    let coloured = dfopt_on(UNOPTIMISED, &["--color", "always", "explain", "Dockerfile"]);
    assert!(coloured.out().contains("\x1b["), "{}", coloured.out());
    let coloured = dfopt_on(UNOPTIMISED, &["check", "--color=always", "Dockerfile"]);
    assert!(coloured.out().contains("\x1b["));
    // On a terminal, colour is on unless NO_COLOR is set.
    if let Some(out) = on_terminal(&["explain", "Dockerfile"], None) {
        assert!(out.contains("\x1b["), "{out}");
    }
    if let Some(out) = on_terminal(&["explain", "Dockerfile"], Some("1")) {
        assert!(!out.contains("\x1b["), "{out}");
    }
}

/// Runs dfopt with stdout on a pseudo-terminal through util-linux `script`,
/// when it is installed; returns what it printed.
pub fn on_terminal(args: &[&str], no_color: Option<&str>) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let d = dir(&[("Dockerfile", UNOPTIMISED)]);
    let command = std::iter::once(env!("CARGO_BIN_EXE_dfopt"))
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = std::process::Command::new(script);
    cmd.args(["-qec", &command, "/dev/null"])
        .current_dir(d.path())
        .env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // No pseudo-terminal available (script failed): nothing to check.
    text.contains("merge-runs").then_some(text)
}

/// The arguments that run `sub` on `Dockerfile`.
fn on_dockerfile(sub: &str) -> Vec<&str> {
    match sub {
        "llb" => vec![sub, "--format", "dump", "Dockerfile"],
        _ => vec![sub, "Dockerfile"],
    }
}

/// Dockerfiles every build refuses: each subcommand exits 2 with the located
/// message (`llb` locates by line only) and prints nothing on stdout.
#[test]
fn invalid_dockerfiles_exit_2_in_every_subcommand() {
    let cases = [
        (
            "FROM busybox\nRUN --mount=type=bogus true\n",
            "Dockerfile:2:",
            "unsupported mount type \"bogus\"",
        ),
        (
            "FROM busybox\nRUN --mount=type=cache true\n",
            "Dockerfile:2:",
            "invalid mount target \"/\"",
        ),
        (
            "FROM busybox\nCOPY --bogus=1 a b\n",
            "Dockerfile:2:",
            "unknown flag: --bogus",
        ),
        (
            "FROM busybox\nCOPY --chmod=999z a b\n",
            "Dockerfile:2:",
            "invalid chmod parameter: '999z'",
        ),
        (
            "FROM busybox\nADD --checksum=sha256:zz http://example.com/x /x\n",
            "Dockerfile:2:",
            "invalid checksum digest length",
        ),
        (
            "FROM busybox AS a\nCOPY --from=a /x /y\n",
            "",
            "circular dependency detected on stage: a",
        ),
        (
            "# check=error=maybe\nFROM busybox\nRUN true\n",
            "Dockerfile: ",
            "failed to parse check options: failed to parse check option \"error=maybe\"",
        ),
    ];
    for (dockerfile, at, message) in cases {
        for sub in ["explain", "rewrite", "llb", "check"] {
            let run = dfopt_on(dockerfile, &on_dockerfile(sub));
            assert_eq!(run.code, 2, "{sub} on {dockerfile:?}: {}", run.stderr);
            assert!(run.stdout.is_empty(), "{sub} on {dockerfile:?}");
            assert!(
                run.stderr.starts_with(at) && run.stderr.contains(message),
                "{sub} on {dockerfile:?}: {}",
                run.stderr
            );
        }
    }
    // The check configuration given as a build-arg replaces the directive.
    for sub in ["explain", "rewrite", "llb"] {
        let mut args = on_dockerfile(sub);
        args.splice(
            1..1,
            ["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=error=maybe"],
        );
        let run = dfopt_on("# check=skip=all\nFROM busybox\n", &args);
        assert_eq!(run.code, 2, "{sub}: {}", run.stderr);
        assert!(
            run.stderr
                .starts_with("error: failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK"),
            "{sub}: {}",
            run.stderr
        );
        args.splice(1..3, ["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=all"]);
        let run = dfopt_on("# check=error=maybe\nFROM busybox\n", &args);
        assert_ne!(run.code, 2, "{sub}: {}", run.stderr);
    }
}

/// What only the build can judge is not refused: a value that comes from a
/// variable (the build may set it), an error in a stage the target does not
/// build, `error=true` with findings (the findings are the report).
#[test]
fn what_the_build_decides_is_not_an_error() {
    let cases = [
        (
            "ARG DIR\nFROM busybox\nRUN --mount=type=cache,target=$DIR true\n",
            &["explain", "rewrite", "check"][..],
        ),
        (
            "FROM busybox AS unused\nCOPY --chmod=9z a b\nFROM busybox\nRUN true\n",
            &["explain", "rewrite", "llb"],
        ),
        (
            "# check=error=true\nFROM busybox\nMAINTAINER me\nRUN true\n",
            &["explain", "rewrite", "llb", "check"],
        ),
    ];
    for (dockerfile, subs) in cases {
        for sub in subs {
            let run = dfopt_on(dockerfile, &on_dockerfile(sub));
            assert_ne!(run.code, 2, "{sub} on {dockerfile:?}: {}", run.stderr);
        }
    }
    // `check` checks every stage, as `docker build --check` without a target.
    let run = dfopt_on(
        "FROM busybox AS unused\nCOPY --chmod=9z a b\nFROM busybox\nRUN true\n",
        &["check", "Dockerfile"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("Dockerfile:2:1: invalid chmod"),
        "{}",
        run.stderr
    );
}
