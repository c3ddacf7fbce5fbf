//! `dfopt llb`: a decodable, valid `pb.Definition`; dump and JSON formats;
//! optimizer applied unless `DFOPT=off`; no binary to a terminal.

mod common;

use common::{dfopt_in, dfopt_on, dir, UNOPTIMISED};
use dfopt_llb::pb;
use prost::Message;

fn decode(bytes: &[u8]) -> pb::Definition {
    pb::Definition::decode(bytes).expect("stdout is a pb.Definition")
}

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).expect("op"))
        .collect()
}

fn execs(def: &pb::Definition) -> Vec<Vec<String>> {
    ops(def)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(pb::op::Op::Exec(e)) => e.meta.map(|m| m.args),
            _ => None,
        })
        .collect()
}

#[test]
fn binary_definition_decodes_and_validates() {
    let run = dfopt_on(UNOPTIMISED, &["llb", "Dockerfile"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let def = decode(&run.stdout);
    dfopt_llb::validate(&def).expect("valid Definition");
    assert_eq!(
        dfopt_llb::encode_definition(&def),
        run.stdout,
        "canonical bytes"
    );
    // The optimizer ran: the three RUNs are one exec, and it has a cache mount.
    let execs = execs(&def);
    assert_eq!(execs.len(), 2, "{execs:?}");
    assert!(execs[0][2].contains("( mkdir /app )"), "{execs:?}");
    let has_cache_mount = ops(&def).iter().any(|op| match &op.op {
        Some(pb::op::Op::Exec(e)) => e.mounts.iter().any(|m| {
            m.cache_opt
                .as_ref()
                .is_some_and(|c| c.id.contains("dfopt-apt-cache-linux/"))
        }),
        _ => false,
    });
    assert!(has_cache_mount);
    // No daemon: the note on stderr, images not pinned.
    assert!(
        run.stderr.contains("base image configs were not resolved"),
        "{}",
        run.stderr
    );
    let image = ops(&def)
        .into_iter()
        .find_map(|op| match op.op {
            Some(pb::op::Op::Source(s)) if s.identifier.starts_with("docker-image://") => {
                Some(s.identifier)
            }
            _ => None,
        })
        .expect("image source");
    assert_eq!(image, "docker-image://docker.io/library/debian:12");
}

#[test]
fn dfopt_off_lowers_the_file_as_written() {
    let run = dfopt_on(
        UNOPTIMISED,
        &["llb", "--build-arg", "DFOPT=off", "Dockerfile"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let def = decode(&run.stdout);
    dfopt_llb::validate(&def).expect("valid");
    let execs = execs(&def);
    assert_eq!(execs.len(), 4, "{execs:?}");
    assert_eq!(execs[0], ["/bin/sh", "-c", "apt-get update"]);
}

#[test]
fn dump_and_json_formats() {
    let run = dfopt_on(UNOPTIMISED, &["llb", "--format", "dump", "Dockerfile"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dump = run.out();
    assert!(
        dump.starts_with("sources:\n  [0] Dockerfile (Dockerfile,"),
        "{dump}"
    );
    assert!(
        dump.contains("source docker-image://docker.io/library/debian:12"),
        "{dump}"
    );
    assert!(dump.contains(" terminal -> #"), "{dump}");
    let binary = dfopt_on(UNOPTIMISED, &["llb", "Dockerfile"]).stdout;
    assert_eq!(
        dump,
        dfopt_llb::dump(&decode(&binary)),
        "the dump is of the same Definition"
    );

    let json = dfopt_on(UNOPTIMISED, &["llb", "--format", "json", "Dockerfile"]).json();
    let ops = json["ops"].as_array().expect("ops");
    let def = decode(&binary);
    assert_eq!(ops.len(), def.def.len());
    for (op, bytes) in ops.iter().zip(&def.def) {
        assert_eq!(op["digest"], dfopt_llb::digest(bytes));
    }
    assert_eq!(ops.last().unwrap()["kind"], "terminal");
    let exec = ops.iter().find(|o| o["kind"] == "exec").expect("exec op");
    assert_eq!(exec["args"][0], "/bin/sh");
    assert_eq!(exec["cwd"], "/");
    assert!(exec["name"].as_str().unwrap().contains("RUN"), "{exec}");
    let source = ops
        .iter()
        .find(|o| o["kind"] == "source")
        .expect("source op");
    assert_eq!(
        source["identifier"],
        "docker-image://docker.io/library/debian:12"
    );
}

#[test]
fn target_platform_and_build_args() {
    let dockerfile = "ARG BASE=alpine\nFROM ${BASE} AS one\nRUN echo one\n\nFROM busybox AS two\nARG MSG\nRUN echo $MSG\n";
    let dump = |args: &[&str]| {
        let run = dfopt_on(dockerfile, args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run.out()
    };
    let last = dump(&["llb", "--format", "dump", "Dockerfile"]);
    assert!(
        last.contains("docker.io/library/busybox:latest") && !last.contains("alpine"),
        "{last}"
    );
    let one = dump(&[
        "llb",
        "--format",
        "dump",
        "--target",
        "one",
        "--build-arg",
        "BASE=debian",
        "Dockerfile",
    ]);
    assert!(
        one.contains("docker.io/library/debian:latest") && !one.contains("busybox"),
        "{one}"
    );
    let arm = dump(&[
        "llb",
        "--format",
        "dump",
        "--platform",
        "linux/arm64",
        "--build-arg",
        "MSG=hi",
        "Dockerfile",
    ]);
    assert!(arm.contains("platform: linux/arm64"), "{arm}");
    assert!(arm.contains("MSG=hi"), "{arm}");
}

#[test]
fn caps_select_what_can_be_lowered() {
    let dockerfile = "FROM alpine\nCOPY --exclude=*.md . /app\n";
    let run = dfopt_on(dockerfile, &["llb", "--format", "dump", "Dockerfile"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("Dockerfile:2: COPY --exclude requires BuildKit"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`--caps head`"), "{}", run.stderr);
    let run = dfopt_on(dockerfile, &["llb", "--caps", "head", "Dockerfile"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    dfopt_llb::validate(&decode(&run.stdout)).expect("valid");
}

#[test]
fn dockerignore_patterns_reach_the_context() {
    let d = dir(&[
        ("Dockerfile", "FROM alpine\nCOPY . /app\n"),
        (".dockerignore", "# c\n.git\n/target/\n"),
    ]);
    let json = dfopt_in(d.path(), &["llb", "--format", "json", "Dockerfile"], None).json();
    let local = json["ops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["identifier"] == "local://context")
        .expect("context");
    assert_eq!(
        local["attrs"]["local.excludepatterns"],
        "[\".git\",\"target\"]"
    );
    // `<name>.dockerignore` wins.
    let d = dir(&[
        ("app.Dockerfile", "FROM alpine\nCOPY . /app\n"),
        (".dockerignore", ".git\n"),
        ("app.Dockerfile.dockerignore", "node_modules\n"),
    ]);
    let json = dfopt_in(
        d.path(),
        &["llb", "--format", "json", "app.Dockerfile"],
        None,
    )
    .json();
    let local = json["ops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["identifier"] == "local://context")
        .expect("context");
    assert_eq!(
        local["attrs"]["local.excludepatterns"],
        "[\"node_modules\"]"
    );
}

#[test]
fn lowering_errors_name_the_input_line() {
    let run = dfopt_on(
        "ARG X\nFROM ${X}\n",
        &["llb", "--format", "dump", "Dockerfile"],
    );
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "Dockerfile:2: base name (${X}) should not be blank\n")
    );
    assert!(run.stdout.is_empty());
    // After merging (the rendered text has different line numbers), the
    // location is still the input's line.
    let dockerfile = "FROM alpine\nRUN a\n\nRUN b\nRUN c\nENV X=1\n# c\nCOPY --exclude=x . /\n";
    let run = dfopt_on(dockerfile, &["llb", "--format", "dump", "Dockerfile"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("Dockerfile:8: COPY --exclude requires BuildKit"),
        "{}",
        run.stderr
    );
    // Warnings too.
    let run = dfopt_on(
        "FROM alpine\nRUN a\n\nRUN b\nRUN c\nCOPY --link a /b\n",
        &["llb", "Dockerfile"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Dockerfile:6: warning: COPY --link falls back to a plain copy"),
        "{}",
        run.stderr
    );
}

#[test]
fn refuses_binary_on_a_terminal() {
    let Some(script) = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        return;
    };
    let d = dir(&[("Dockerfile", UNOPTIMISED)]);
    let command = format!("{} llb Dockerfile", env!("CARGO_BIN_EXE_dfopt"));
    let out = std::process::Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .current_dir(d.path())
        .output()
        .expect("script");
    let text = String::from_utf8_lossy(&out.stdout);
    if text.is_empty() {
        return; // no pseudo-terminal available
    }
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text.contains("refusing to write a binary LLB Definition to a terminal"),
        "{text}"
    );
    assert!(text.contains("--format dump"), "{text}");
}
