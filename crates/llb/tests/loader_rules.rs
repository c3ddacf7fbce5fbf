//! The loader rules of gateway-protocol.md §4.1 hold for what we emit, and `validate`
//! catches each broken rule in hand-made Definitions.

mod common;

use std::collections::BTreeSet;

use dfopt_llb::prelude::*;
use dfopt_llb::validate::Rule;
use dfopt_llb::{digest, pb, validate_caps};
use prost::Message;

fn emitted() -> Vec<(&'static str, CapSet, State)> {
    let ok = |r: Result<State, Error>| r.unwrap_or_else(|e| panic!("{e}"));
    let head = CapSet::buildkit_head();
    let v08 = CapSet::buildkit_v0_8();
    let readonly_root_with_output = ok(common::busybox()
        .run(["true"])
        .readonly_root(true)
        .mount(BindMount::new("/out", &State::scratch()))
        .build()
        .map(|e| e.mount("/out").unwrap_or_default()));
    let exec_on_scratch = ok(State::scratch()
        .run(["/bin/true"])
        .build()
        .map(|e| e.root()));
    let file_on_scratch = ok(State::scratch()
        .file()
        .mkdir(Mkdir::new("/a", 0o755))
        .mkfile(Mkfile::new("/a/b", 0o644, "x"))
        .build());
    vec![
        (
            "dockerfile/v0.8",
            v08.clone(),
            ok(common::dockerfile_graph()),
        ),
        (
            "dockerfile/head",
            head.clone(),
            ok(common::dockerfile_graph()),
        ),
        (
            "everything/head",
            head.clone(),
            ok(common::everything_graph()),
        ),
        ("readonly root", v08.clone(), readonly_root_with_output),
        ("exec on scratch", v08.clone(), exec_on_scratch),
        ("file on scratch", v08, file_on_scratch),
    ]
}

#[test]
fn emitted_definitions_pass_validate() {
    for (name, caps, state) in emitted() {
        let def = common::marshal(&state, &caps);
        if let Err(e) = validate_caps(&def, &caps) {
            panic!("{name}: {e}\n{}", dump(&def));
        }
    }
}

/// The same rules, spelled out without `validate`, so a bug there cannot hide one here.
#[test]
fn emitted_definitions_follow_loader_rules_explicitly() {
    for (name, caps, state) in emitted() {
        let def = common::marshal(&state, &caps);
        let ops: Vec<pb::Op> = def
            .def
            .iter()
            .map(|b| pb::Op::decode(b.as_slice()).unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
        let digests: Vec<String> = def.def.iter().map(|b| digest(b)).collect();
        let distinct: BTreeSet<&String> = digests.iter().collect();
        assert_eq!(
            distinct.len(),
            digests.len(),
            "{name}: an op is emitted twice"
        );
        assert!(distinct.len() >= 2, "{name}: fewer than 2 distinct ops");

        let (terminal, rest) = ops.split_last().unwrap_or_else(|| panic!("{name}: empty"));
        assert_eq!(
            terminal.inputs.len(),
            1,
            "{name}: terminal must have one input"
        );
        assert!(
            terminal.op.is_none() && terminal.platform.is_none(),
            "{name}: terminal has a body"
        );

        for (i, op) in rest.iter().enumerate() {
            for input in &op.inputs {
                assert!(
                    distinct.contains(&input.digest),
                    "{name}: #{i} input missing"
                );
            }
            match &op.op {
                Some(pb::op::Op::Exec(e)) => {
                    let meta = e
                        .meta
                        .as_ref()
                        .unwrap_or_else(|| panic!("{name}: exec without meta"));
                    assert!(!meta.args.is_empty(), "{name}: exec without args");
                    assert!(
                        e.mounts.iter().any(|m| m.dest == "/"),
                        "{name}: exec without root"
                    );
                    for m in &e.mounts {
                        let bind = m.mount_type == pb::MountType::Bind as i32;
                        // Secret and ssh mounts carry `output` 0 as the Go client
                        // writes them; daemons ignore the field there.
                        let secret_or_ssh = m.mount_type == pb::MountType::Secret as i32
                            || m.mount_type == pb::MountType::Ssh as i32;
                        if secret_or_ssh {
                            assert_eq!(m.output, 0, "{name}: {} output", m.dest);
                        } else if !bind || m.readonly {
                            assert_eq!(m.output, -1, "{name}: {} must not have an output", m.dest);
                        }
                    }
                }
                Some(pb::op::Op::File(f)) => {
                    assert!(!f.actions.is_empty(), "{name}: file op without actions");
                    let last = f.actions.len() - 1;
                    for (j, a) in f.actions.iter().enumerate() {
                        assert_eq!(
                            a.output,
                            if j == last { 0 } else { -1 },
                            "{name}: action {j}"
                        );
                        let is_copy = matches!(a.action, Some(pb::file_action::Action::Copy(_)));
                        if !is_copy {
                            assert_eq!(a.secondary_input, -1, "{name}: action {j} secondary");
                        }
                    }
                }
                Some(_) => {}
                None => panic!("{name}: #{i} has no body"),
            }
        }
        for key in def.metadata.keys() {
            assert!(
                distinct.contains(key),
                "{name}: metadata for unknown digest"
            );
        }
    }
}

#[test]
fn every_op_of_the_dockerfile_graph_has_a_location_except_the_context() {
    let state = common::dockerfile_graph().unwrap_or_else(|e| panic!("{e}"));
    let def = common::marshal(&state, &CapSet::buildkit_v0_8());
    let source = def.source.clone().unwrap_or_default();
    assert_eq!(source.infos.len(), 1);
    assert_eq!(source.infos[0].filename, "Dockerfile");
    assert_eq!(source.infos[0].language, "Dockerfile");
    assert_eq!(source.infos[0].data, common::DOCKERFILE.as_bytes());
    let without: Vec<String> = def.def[..def.def.len() - 1]
        .iter()
        .map(|b| digest(b))
        .filter(|d| !source.locations.contains_key(d))
        .collect();
    // Only `local://context` has no location: it is not a Dockerfile instruction.
    assert_eq!(without.len(), 1, "{}", dump(&def));
}

// ---- validate catches each broken rule -------------------------------------------

fn op_bytes(op: &pb::Op) -> Vec<u8> {
    op.encode_to_vec()
}

fn source(id: &str) -> pb::Op {
    pb::Op {
        op: Some(pb::op::Op::Source(pb::SourceOp {
            identifier: id.to_owned(),
            attrs: Default::default(),
        })),
        ..pb::Op::default()
    }
}

fn terminal(bytes: &[u8], index: i64) -> pb::Op {
    pb::Op {
        inputs: vec![pb::Input {
            digest: digest(bytes),
            index,
        }],
        ..pb::Op::default()
    }
}

/// `ops` followed by a terminal on the last of them.
fn definition(ops: &[pb::Op]) -> pb::Definition {
    let mut def: Vec<Vec<u8>> = ops.iter().map(op_bytes).collect();
    if let Some(last) = def.last().cloned() {
        def.push(op_bytes(&terminal(&last, 0)));
    }
    pb::Definition {
        def,
        ..pb::Definition::default()
    }
}

fn rules(def: &pb::Definition) -> Vec<Rule> {
    match validate(def) {
        Ok(()) => Vec::new(),
        Err(e) => e.violations.iter().map(|v| v.rule).collect(),
    }
}

fn input(op: &pb::Op, index: i64) -> pb::Input {
    pb::Input {
        digest: digest(&op_bytes(op)),
        index,
    }
}

fn exec(inputs: Vec<pb::Input>, args: &[&str], mounts: Vec<pb::Mount>) -> pb::Op {
    pb::Op {
        inputs,
        op: Some(pb::op::Op::Exec(pb::ExecOp {
            meta: Some(pb::Meta {
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                cwd: "/".to_owned(),
                ..pb::Meta::default()
            }),
            mounts,
            ..pb::ExecOp::default()
        })),
        ..pb::Op::default()
    }
}

fn mount(dest: &str, input: i64, output: i64) -> pb::Mount {
    pb::Mount {
        dest: dest.to_owned(),
        input,
        output,
        ..pb::Mount::default()
    }
}

fn file(inputs: Vec<pb::Input>, actions: Vec<pb::FileAction>) -> pb::Op {
    pb::Op {
        inputs,
        op: Some(pb::op::Op::File(pb::FileOp { actions })),
        ..pb::Op::default()
    }
}

fn mkdir(input: i64, secondary: i64, output: i64) -> pb::FileAction {
    pb::FileAction {
        input,
        secondary_input: secondary,
        output,
        action: Some(pb::file_action::Action::Mkdir(pb::FileActionMkDir {
            path: "/x".to_owned(),
            mode: 0o755,
            ..pb::FileActionMkDir::default()
        })),
    }
}

#[test]
fn a_well_formed_hand_made_definition_passes() {
    let img = source("docker-image://docker.io/library/busybox:latest");
    let run = exec(vec![input(&img, 0)], &["true"], vec![mount("/", 0, 0)]);
    assert_eq!(rules(&definition(&[img, run])), []);
}

#[test]
fn empty_definition() {
    assert_eq!(rules(&pb::Definition::default()), [Rule::EmptyDefinition]);
}

#[test]
fn undecodable_op() {
    let img = source("docker-image://x");
    let mut def = definition(&[img]);
    def.def.insert(0, vec![0xff, 0xff, 0xff]);
    assert!(rules(&def).contains(&Rule::Undecodable));
}

#[test]
fn fewer_than_two_distinct_ops() {
    let def = pb::Definition {
        def: vec![op_bytes(&source("docker-image://x"))],
        ..pb::Definition::default()
    };
    let found = rules(&def);
    assert!(found.contains(&Rule::TooFewOps), "{found:?}");
    assert!(found.contains(&Rule::TerminalInput), "{found:?}");
}

#[test]
fn terminal_must_be_input_only() {
    let img = source("docker-image://x");
    let mut with_body = terminal(&op_bytes(&img), 0);
    with_body.op = img.op.clone();
    let def = pb::Definition {
        def: vec![op_bytes(&img), op_bytes(&with_body)],
        ..pb::Definition::default()
    };
    assert_eq!(rules(&def), [Rule::TerminalShape]);
}

#[test]
fn missing_input_digest() {
    let img = source("docker-image://x");
    let run = exec(vec![input(&img, 0)], &["true"], vec![mount("/", 0, 0)]);
    assert_eq!(rules(&definition(&[run])), [Rule::MissingInput]);
}

#[test]
fn duplicate_op() {
    let img = source("docker-image://x");
    let mut def = definition(std::slice::from_ref(&img));
    def.def.insert(0, op_bytes(&img));
    assert_eq!(rules(&def), [Rule::DuplicateOp]);
}

#[test]
fn output_index_out_of_range() {
    let img = source("docker-image://x");
    let run = exec(vec![input(&img, 1)], &["true"], vec![mount("/", 0, 0)]);
    assert_eq!(rules(&definition(&[img, run])), [Rule::OutputIndex]);
}

#[test]
fn exec_rules() {
    let img = source("docker-image://x");
    let cases = [
        (
            exec(vec![input(&img, 0)], &[], vec![mount("/", 0, 0)]),
            Rule::Exec,
        ),
        (exec(vec![input(&img, 0)], &["true"], vec![]), Rule::Exec),
        (
            exec(vec![input(&img, 0)], &["true"], vec![mount("/x", 0, 0)]),
            Rule::Exec,
        ),
        (
            exec(vec![input(&img, 0)], &["true"], vec![mount("/", 1, 0)]),
            Rule::ExecMountInput,
        ),
        (
            exec(
                vec![input(&img, 0)],
                &["true"],
                vec![mount("/", 0, 0), mount("/o", -1, 0)],
            ),
            Rule::ExecOutputs,
        ),
        (
            exec(
                vec![input(&img, 0)],
                &["true"],
                vec![mount("/", 0, 0), mount("/", -1, -1)],
            ),
            Rule::ExecDuplicateMount,
        ),
        (
            exec(
                vec![input(&img, 0)],
                &["true"],
                vec![
                    mount("/", 0, 0),
                    pb::Mount {
                        mount_type: pb::MountType::Cache as i32,
                        ..mount("/c", -1, 1)
                    },
                ],
            ),
            Rule::ExecOutputs,
        ),
    ];
    for (i, (op, rule)) in cases.into_iter().enumerate() {
        // An op with no outputs also makes the terminal's `index 0` an OutputIndex error.
        let found = rules(&definition(&[img.clone(), op]));
        let expected = found.iter().all(|r| *r == rule || *r == Rule::OutputIndex);
        assert!(found.contains(&rule) && expected, "case {i}: {found:?}");
    }
}

#[test]
fn file_rules() {
    let img = source("docker-image://x");
    let on_img = || vec![input(&img, 0)];
    let named_owner = |idx: i64| pb::FileAction {
        action: Some(pb::file_action::Action::Mkdir(pb::FileActionMkDir {
            path: "/x".to_owned(),
            owner: Some(pb::ChownOpt {
                user: Some(pb::UserOpt {
                    user: Some(pb::user_opt::User::ByName(pb::NamedUserOpt {
                        name: "app".to_owned(),
                        input: idx,
                    })),
                }),
                group: None,
            }),
            ..pb::FileActionMkDir::default()
        })),
        ..mkdir(0, -1, 0)
    };
    let cases = [
        (file(on_img(), vec![]), Rule::File),
        // proto3 default secondaryInput 0 on the first action of a scratch op: a loop.
        (file(vec![], vec![mkdir(-1, 0, 0)]), Rule::FileIndex),
        (
            file(on_img(), vec![mkdir(0, -1, 0), mkdir(2, -1, -1)]),
            Rule::FileIndex,
        ),
        (
            file(on_img(), vec![mkdir(0, -1, 0), mkdir(1, -1, 0)]),
            Rule::FileOutputs,
        ),
        (file(on_img(), vec![mkdir(0, -1, -1)]), Rule::FileOutputs),
        (file(on_img(), vec![mkdir(0, -1, 1)]), Rule::FileOutputs),
        (file(on_img(), vec![named_owner(-1)]), Rule::FileUserIndex),
        (
            file(
                on_img(),
                vec![pb::FileAction {
                    action: None,
                    ..mkdir(0, -1, 0)
                }],
            ),
            Rule::File,
        ),
    ];
    for (i, (op, rule)) in cases.into_iter().enumerate() {
        // An op with no outputs also makes the terminal's `index 0` an OutputIndex error.
        let found = rules(&definition(&[img.clone(), op]));
        let expected = found.iter().all(|r| *r == rule || *r == Rule::OutputIndex);
        assert!(found.contains(&rule) && expected, "case {i}: {found:?}");
    }
    // And the chained, well-formed case passes.
    let chained = file(on_img(), vec![mkdir(0, -1, -1), mkdir(1, -1, 0)]);
    assert_eq!(rules(&definition(&[img, chained])), []);
}

#[test]
fn merge_diff_and_source_rules() {
    let img = source("docker-image://x");
    let other = source("docker-image://y");
    let merge_one = pb::Op {
        inputs: vec![input(&img, 0)],
        op: Some(pb::op::Op::Merge(pb::MergeOp {
            inputs: vec![pb::MergeInput { input: 0 }],
        })),
        ..pb::Op::default()
    };
    assert_eq!(rules(&definition(&[img.clone(), merge_one])), [Rule::Merge]);
    let diff_no_upper = pb::Op {
        inputs: vec![input(&img, 0)],
        op: Some(pb::op::Op::Diff(pb::DiffOp {
            lower: Some(pb::LowerDiffInput { input: 0 }),
            upper: None,
        })),
        ..pb::Op::default()
    };
    assert_eq!(
        rules(&definition(&[img.clone(), diff_no_upper])),
        [Rule::Diff]
    );
    let empty_id = source("");
    assert_eq!(
        rules(&definition(&[img.clone(), other, empty_id])),
        [Rule::Source]
    );
    let no_body = pb::Op {
        inputs: vec![input(&img, 0)],
        ..pb::Op::default()
    };
    assert_eq!(
        rules(&definition(&[img, no_body])),
        [Rule::EmptyOp, Rule::OutputIndex]
    );
}

#[test]
fn source_location_rules() {
    let img = source("docker-image://x");
    let mut def = definition(std::slice::from_ref(&img));
    let mut locations = std::collections::BTreeMap::new();
    locations.insert(
        digest(&op_bytes(&img)),
        pb::Locations {
            locations: vec![pb::Location {
                source_index: 3,
                ranges: vec![],
            }],
        },
    );
    def.source = Some(pb::Source {
        locations,
        infos: vec![],
    });
    assert_eq!(rules(&def), [Rule::SourceLocation]);
}

#[test]
fn validate_caps_flags_unknown_caps() {
    let state = common::everything_graph().unwrap_or_else(|e| panic!("{e}"));
    let def = common::marshal(&state, &CapSet::buildkit_head());
    let err = validate_caps(&def, &CapSet::buildkit_v0_8()).err();
    let flagged: BTreeSet<String> = err
        .map(|e| e.violations.iter().map(|v| v.message.clone()).collect())
        .unwrap_or_default();
    assert!(
        flagged.iter().any(|m| m.contains("`mergeop`")),
        "{flagged:?}"
    );
    assert!(
        flagged
            .iter()
            .any(|m| m.contains("`exec.mount.tmpfs.size`")),
        "{flagged:?}"
    );
}
