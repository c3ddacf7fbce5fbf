//! Conversion errors: BuildKit's message and the line it points at.

mod common;

use dfopt_convert::images_to_resolve;
use dfopt_llb::CapSet;

/// `(Dockerfile, extra "# test:" options, expected message, expected lines)`.
type Case = (&'static str, &'static str, &'static str, Option<(u32, u32)>);

const CASES: &[Case] = &[
    ("", "", "the Dockerfile cannot be empty", None),
    ("FROM busybox\nFORM x\n", "", "unknown instruction: FORM (did you mean FROM?)", Some((2, 2))),
    ("ARG X=1\n", "", "dockerfile contains no stages to build", Some((1, 1))),
    (
        "FROM busybox AS build\nRUN true\nFROM busybox\n",
        "# test: target biuld\n",
        "target stage \"biuld\" could not be found (did you mean build?)",
        Some((1, 1)),
    ),
    (
        "FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n",
        "",
        "circular dependency detected on stage: a",
        Some((2, 2)),
    ),
    ("FROM busybox\nCOPY --from=3 /x /x\n", "", "invalid stage index 3", Some((2, 2))),
    ("FROM busybox\nCOPY --from=-1 /x /x\n", "", "invalid stage index -1", Some((2, 2))),
    ("ARG IMG\nFROM $IMG\n", "", "base name ($IMG) should not be blank", Some((2, 2))),
    (
        "FROM Busybox\n",
        "",
        "failed to parse stage name \"Busybox\": invalid reference format: repository name must be lowercase",
        Some((1, 1)),
    ),
    (
        "FROM busybox AS unused\nFROM BAD:x:y AS also-unused\nFROM busybox\n",
        "",
        "failed to parse stage name \"BAD:x:y\": invalid reference format: repository name must be lowercase",
        Some((2, 2)),
    ),
    (
        "FROM --platform=linux/* busybox\n",
        "",
        "failed to parse platform linux/*: \"linux/*\": wildcards not yet supported: invalid argument",
        Some((1, 1)),
    ),
    ("FROM busybox\nSTOPSIGNAL SIGFOO\n", "", "Invalid signal: SIGFOO", Some((2, 2))),
    ("FROM busybox\nEXPOSE 80/ftp\n", "", "invalid port: \"80/ftp\": invalid proto: ftp", Some((2, 2))),
    ("FROM busybox\nENV V=\nVOLUME $V\n", "", "VOLUME specified can not be an empty string", Some((3, 3))),
    ("FROM busybox\nCOPY https://example.com/x /x\n", "", "source can't be a URL for COPY", Some((2, 2))),
    ("FROM busybox\nCOPY --checksum=sha256:00 x /x\n", "", "unknown flag: --checksum", Some((2, 2))),
    (
        "FROM busybox\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 x /x\n",
        "",
        "checksum requires HTTP(S) or Git sources",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nCOPY --exclude=*.md . /src\n",
        "",
        "COPY --exclude requires BuildKit v0.9 or later (the daemon lacks file.copy.includeexcludepatterns)",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nCOPY --parents a/b /dst/\n",
        "",
        "COPY --parents requires BuildKit v0.9 or later (the daemon lacks file.copy.includeexcludepatterns)",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nCOPY --chmod=u+x s /s\n",
        "",
        "--chmod=u+x (a symbolic mode) requires BuildKit v0.17 or later (the daemon lacks file.copy.modestring)",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nCOPY --chmod=9 s /s\n",
        "",
        "invalid chmod parameter: '9'. it should be octal string and between 0 and 07777",
        Some((2, 2)),
    ),
    ("FROM busybox\nCOPY --chmod=abc s /s\n", "", "invalid syntax", Some((2, 2))),
    (
        "FROM busybox\nCOPY --chmod=0abc s /s\n",
        "",
        "invalid chmod parameter: '0abc'. it should be octal string and between 0 and 07777",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nCOPY --chmod=10000 s /s\n",
        "",
        "invalid chmod parameter: '10000'. it should be octal string and between 0 and 07777",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nRUN --mount=type=tmpfs,target=/t,size=1m true\n",
        "",
        "RUN --mount=type=tmpfs,size=… requires BuildKit v0.10 or later (the daemon lacks exec.mount.tmpfs.size)",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nRUN --mount=type=secret,id=t,env=T true\n",
        "",
        "RUN --mount=type=secret,env=… requires BuildKit v0.10 or later (the daemon lacks exec.secretenv)",
        Some((2, 2)),
    ),
    ("FROM busybox\nRUN --mount=type=ssh,source=x true\n", "", "ssh does not support source", Some((2, 2))),
    ("FROM busybox\nRUN --mount=type=bind,target=/ true\n", "", "invalid mount target \"/\"", Some((2, 2))),
    (
        "FROM busybox\nRUN --mount=type=cache,target=${CACHE:?unset} true\n",
        "",
        "failed to process \"${CACHE:?unset}\": CACHE: unset",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nRUN --mount=target=/a --mount=type=tmpfs,target=/a true\n",
        "",
        "two mounts target `/a`",
        Some((2, 2)),
    ),
    (
        "FROM scratch\nCOPY --chown=app x /x\n",
        "",
        "owner `app` is a name, but the state it would be resolved against is scratch; use numeric ids or name a state to resolve against",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nRUN --device=gpu true\n",
        "",
        "RUN --device requires CDI support (BuildKit v0.20 labs, cap exec.meta.cdi), which dfopt does not implement",
        Some((2, 2)),
    ),
    (
        "FROM busybox\nRUN echo ${X:=y}\nWORKDIR ${X:=y}\n",
        "",
        "failed to process \"${X:=y}\": unsupported modifier (:=) in substitution",
        Some((3, 3)),
    ),
];

#[test]
fn conversion_errors() {
    for (dockerfile, options, message, lines) in CASES {
        let source = format!("{options}{dockerfile}");
        let opts = common::options_for(&source);
        let err = match common::convert_with_fakes(&source, &opts) {
            Ok(_) => panic!("no error for {dockerfile:?}"),
            Err(e) => e,
        };
        assert_eq!(err.message, *message, "{dockerfile:?}");
        let offset = u32::try_from(options.lines().count()).unwrap_or(0);
        let got = err.lines(&source).map(|(a, b)| (a - offset, b - offset));
        assert_eq!(got, *lines, "lines of {dockerfile:?}");
    }
}

#[test]
fn errors_name_the_line_in_their_display_form() {
    let source = "FROM busybox\n\nSTOPSIGNAL NOPE\n";
    let err = common::convert_with_fakes(source, &common::default_opts()).unwrap_err();
    assert_eq!(
        err.display_with_lines("Dockerfile", source),
        "Dockerfile:3: Invalid signal: NOPE"
    );
}

#[test]
fn onbuild_trigger_errors_point_at_the_from_line() {
    let source = "FROM busybox AS base\nONBUILD STOPSIGNAL NOPE\nFROM base\nRUN true\n";
    let err = common::convert_with_fakes(source, &common::default_opts()).unwrap_err();
    assert_eq!(err.message, "Invalid signal: NOPE");
    assert_eq!(err.lines(source), Some((3, 3)));
}

#[test]
fn unresolved_images_are_reported() {
    let source = "FROM busybox\n";
    let opts = common::default_opts();
    let err = dfopt_convert::convert(source, &opts, &Default::default()).unwrap_err();
    assert_eq!(
        err.message,
        "the config of docker.io/library/busybox:latest was not resolved"
    );
}

#[test]
fn invalid_base_configs_are_reported() {
    let source = "FROM busybox\n";
    let opts = common::default_opts();
    let requests = images_to_resolve(source, &opts).unwrap();
    let images = [(
        requests[0].key.clone(),
        dfopt_convert::ResolvedImage {
            digest: None,
            config: br#"{"config":{"Env":"PATH=/bin"}}"#.to_vec(),
        },
    )]
    .into_iter()
    .collect();
    let err = dfopt_convert::convert(source, &opts, &images).unwrap_err();
    assert_eq!(
        err.message,
        "json: cannot unmarshal string into Go struct field ImageConfig.config.Env of type []string"
    );
    assert_eq!(err.lines(source), Some((1, 1)));
}

#[test]
fn a_daemon_without_file_ops_is_refused() {
    let source = "FROM busybox\nCOPY a /a\n";
    let mut opts = common::default_opts();
    opts.caps = CapSet::buildkit_v0_8();
    opts.caps.remove("file.base");
    let err = common::convert_with_fakes(source, &opts).unwrap_err();
    assert!(err.message.contains("file.base"), "{}", err.message);
}

/// Every instruction on a stage cycle is named (BuildKit wraps the error once per
/// reference), and an unknown target points at the stage dfopt suggests, or at every
/// named stage when there is no suggestion.
#[test]
fn errors_without_a_line_of_their_own_name_the_instructions_involved() {
    let lines = |dockerfile: &str, options: &str| {
        let source = format!("{options}{dockerfile}");
        let err = convert_err(&source);
        let offset = u32::try_from(options.lines().count()).unwrap_or(0);
        let index = dfopt_dockerfile::LineIndex::new(&source);
        let spans = err.span.iter().chain(&err.related);
        let all: Vec<(u32, u32)> = spans
            .map(|&span| index.lines(span))
            .map(|(a, b)| (a - offset, b - offset))
            .collect();
        all
    };
    let cycle =
        "FROM busybox AS a\nCOPY --from=b /x /x\n\nFROM busybox AS b\nCOPY --from=a /y /y\n";
    assert_eq!(lines(cycle, ""), vec![(2, 2), (5, 5)]);
    let stages = "FROM busybox AS build\nRUN true\nFROM busybox AS final\n";
    assert_eq!(lines(stages, "# test: target fina\n"), vec![(3, 3)]);
    assert_eq!(
        lines(stages, "# test: target zzzzzzzz\n"),
        vec![(1, 1), (3, 3)]
    );
}

/// Instructions that cannot be parsed are told apart from later failures, so that a
/// client that frames sources reads BuildKit's `dockerfile parse error on line N`.
#[test]
fn instruction_parse_errors_are_told_apart() {
    use dfopt_convert::ConvertErrorKind;
    let kind = |source: &str| convert_err(source).kind;
    assert_eq!(
        kind("FROM busybox\nCOPY --chmodd=1 a /a\n"),
        ConvertErrorKind::Instruction
    );
    assert_eq!(
        kind("FROM busybox\nEXPOSE\n"),
        ConvertErrorKind::Instruction
    );
    assert_eq!(
        kind("FROM busybox\nCOPY --chmod=abc a /a\n"),
        ConvertErrorKind::Build
    );
}

fn convert_err(source: &str) -> dfopt_convert::ConvertError {
    let opts = common::options_for(source);
    match common::convert_with_fakes(source, &opts) {
        Ok(_) => panic!("no error for {source:?}"),
        Err(e) => e,
    }
}
