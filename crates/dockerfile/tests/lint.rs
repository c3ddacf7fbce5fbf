//! BuildKit's check rules on the parsed Dockerfile alone (no daemon).

use std::collections::BTreeMap;

use dfopt_dockerfile::instructions::scope::Vars;
use dfopt_dockerfile::lint::{analyze, Analysis, BaseImage, Options};

fn run(source: &str, target: Option<&str>, images: &BTreeMap<usize, BaseImage>) -> Analysis {
    let parsed = dfopt_dockerfile::parse(source);
    let build_args = BTreeMap::new();
    let mut platform_args = Vars::default();
    platform_args.set("TARGETPLATFORM", "linux/amd64");
    platform_args.set("BUILDARCH", "amd64");
    let options = Options {
        build_args: &build_args,
        target,
        platform_args,
        check: None,
        images,
        dockerignore: &[],
        is_valid_image_ref: &|name: &str| {
            !name.is_empty() && !name.contains(':') || name.ends_with(":latest")
        },
        all_stages: target.is_none(),
    };
    analyze(source, &parsed, &options)
}

fn rules(analysis: &Analysis) -> Vec<(&str, u32)> {
    analysis
        .warnings
        .iter()
        .map(|w| (w.rule.name, w.location.first().map_or(0, |l| l.0)))
        .collect()
}

#[test]
fn secrets_rule_matches_whole_words_only() {
    let a = run(
        "FROM scratch\nARG GITHUB_TOKEN\nARG TOKENIZER\nENV PUBLIC_KEY=x\nARG auth\n",
        None,
        &BTreeMap::new(),
    );
    assert_eq!(
        rules(&a),
        [("SecretsUsedInArgOrEnv", 2), ("SecretsUsedInArgOrEnv", 5)]
    );
}

#[test]
fn redundant_platform_undefined_from_arg_and_invalid_default() {
    let a = run(
        "ARG IMG\nFROM --platform=$TARGETPLATFORM ${IMG}x:${TAGG}\n",
        None,
        &BTreeMap::new(),
    );
    assert_eq!(
        rules(&a),
        [
            ("InvalidDefaultArgInFrom", 2),
            ("UndefinedArgInFrom", 2),
            ("RedundantTargetPlatform", 2)
        ]
    );
    assert_eq!(a.warnings[1].detail, "FROM argument 'TAGG' is not declared");
}

#[test]
fn unknown_image_env_suppresses_undefined_var_but_scratch_does_not() {
    let source = "FROM alpine\nWORKDIR /$HOME\nFROM scratch\nWORKDIR /$HOME\n";
    let a = run(source, None, &BTreeMap::new());
    assert_eq!(rules(&a), [("UndefinedVar", 4)]);
    let images = BTreeMap::from([(
        0,
        BaseImage {
            env: vec!["HOME=/root".into()],
            shell: vec![],
        },
    )]);
    assert_eq!(rules(&run(source, None, &images)), [("UndefinedVar", 4)]);
    let images = BTreeMap::from([(0, BaseImage::default())]);
    assert_eq!(
        rules(&run(source, None, &images)),
        [("UndefinedVar", 2), ("UndefinedVar", 4)]
    );
}

#[test]
fn with_a_target_only_needed_stages_are_checked() {
    let source = "FROM scratch AS a\nWORKDIR rel\nFROM scratch AS b\nCMD x\n";
    assert_eq!(
        rules(&run(source, Some("b"), &BTreeMap::new())),
        [("JSONArgsRecommended", 4)]
    );
    assert_eq!(
        rules(&run(source, None, &BTreeMap::new())),
        [("WorkdirRelativePath", 2), ("JSONArgsRecommended", 4)]
    );
    let outline = run(source, Some("a"), &BTreeMap::new())
        .outline
        .expect("outline");
    assert_eq!(outline.name, "a");
}

#[test]
fn never_panics_on_odd_input() {
    for source in [
        "",
        "\n",
        "FROM",
        "ARG x\n",
        "FROM a AS\n",
        "FROM a\nCOPY --from=9 x y\n",
        "FROM a\nRUN --mount=type=secret x\n",
    ] {
        let _ = run(source, None, &BTreeMap::new());
        let _ = run(source, Some("nope"), &BTreeMap::new());
    }
}
