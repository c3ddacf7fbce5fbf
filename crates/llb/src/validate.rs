//! Checks a Definition against the rules BuildKit's loader and solver enforce.
//!
//! [`validate`] encodes, as data, what `solver/llbsolver/vertex.go` (`loadLLB`,
//! `ValidateOp`), `ops/exec.go` and `ops/file.go` reject, plus a few stricter rules of
//! this crate (each op once, terminal op input-only, output indices consecutive, source
//! locations pointing at existing files). Tests run it on everything we emit; the
//! frontend can run it in debug builds before sending a Definition. It never panics,
//! whatever the bytes.
//!
//! There is no cycle check: an op's digest covers its inputs' digests, so a cycle would
//! need a sha256 fixpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bollard_buildkit_proto::pb;
use prost::Message;

use crate::caps::CapSet;
use crate::dump::short;
use crate::marshal::digest;

/// Which rule a [`Violation`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `def` is empty ("invalid empty definition").
    EmptyDefinition,
    /// An entry of `def` is not a valid `pb.Op` ("failed to parse llb proto op").
    Undecodable,
    /// Fewer than two distinct ops ("invalid LLB with N vertexes").
    TooFewOps,
    /// The last op has no input ("invalid LLB with no inputs on last vertex").
    TerminalInput,
    /// Stricter: the terminal op has exactly one input and nothing else.
    TerminalShape,
    /// An input digest is not in `def` ("invalid missing input digest").
    MissingInput,
    /// Stricter: the same op bytes appear twice in `def`.
    DuplicateOp,
    /// A non-terminal op has no body (an op type the decoder does not know).
    EmptyOp,
    /// An input refers to an output index its op does not have.
    OutputIndex,
    /// Exec without meta, args, mounts or a `/` mount (`ValidateOp`).
    Exec,
    /// Exec mount input out of range ("invalid mountinput").
    ExecMountInput,
    /// Stricter: exec outputs not `0, 1, …` in mount order, or an output on a mount
    /// that cannot have one (read-only, cache, tmpfs, secret, ssh).
    ExecOutputs,
    /// Stricter: two exec mounts on one target.
    ExecDuplicateMount,
    /// File op without actions, or an action without body.
    File,
    /// File action input or secondary input out of range, or referring to itself or a
    /// later action ("invalid input index", "loop from index").
    FileIndex,
    /// File action outputs missing, duplicated or with gaps.
    FileOutputs,
    /// Chown by name with an input index out of range ("invalid user index").
    FileUserIndex,
    /// Merge with fewer than two inputs or an input out of range.
    Merge,
    /// Diff with a missing side or an input out of range.
    Diff,
    /// Source op with an empty identifier.
    Source,
    /// Op metadata names a capability the daemon lacks ("unknown API capability").
    Capability,
    /// Stricter: a source location with an unknown source index or digest.
    SourceLocation,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// The index in `def` of the offending op, if the violation is about one op.
    pub op: Option<usize>,
    /// What exactly is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Some(i) => write!(f, "#{i}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// All violations found in one Definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// In `def` order.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid LLB definition:")?;
        for v in &self.violations {
            write!(f, "\n  {v}")?;
        }
        Ok(())
    }
}

/// Checks the loader and solver rules (see the module docs).
pub fn validate(definition: &pb::Definition) -> Result<(), ValidationError> {
    finish(Checker::new(definition).run())
}

/// [`validate`], plus: every cap in the metadata of an op in `def` is in `caps`.
pub fn validate_caps(definition: &pb::Definition, caps: &CapSet) -> Result<(), ValidationError> {
    let mut checker = Checker::new(definition);
    let mut violations = checker.run();
    for (i, dgst) in checker.digests.iter().enumerate() {
        if let Some(md) = definition.metadata.get(dgst) {
            for cap in md.caps.keys().filter(|c| !caps.supports_id(c)) {
                violations.push(Violation {
                    rule: Rule::Capability,
                    op: Some(i),
                    message: format!("needs capability `{cap}`, which the daemon lacks"),
                });
            }
        }
    }
    finish(violations)
}

fn finish(violations: Vec<Violation>) -> Result<(), ValidationError> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ValidationError { violations })
    }
}

struct Checker<'a> {
    definition: &'a pb::Definition,
    digests: Vec<String>,
    ops: Vec<Option<pb::Op>>,
    position: BTreeMap<String, usize>,
    violations: Vec<Violation>,
}

impl<'a> Checker<'a> {
    fn new(definition: &'a pb::Definition) -> Self {
        let digests: Vec<String> = definition.def.iter().map(|b| digest(b)).collect();
        let mut position = BTreeMap::new();
        for (i, d) in digests.iter().enumerate() {
            position.entry(d.clone()).or_insert(i);
        }
        Self {
            definition,
            digests,
            ops: Vec::new(),
            position,
            violations: Vec::new(),
        }
    }

    fn flag(&mut self, rule: Rule, op: Option<usize>, message: impl Into<String>) {
        self.violations.push(Violation {
            rule,
            op,
            message: message.into(),
        });
    }

    fn run(&mut self) -> Vec<Violation> {
        let def = &self.definition.def;
        if def.is_empty() {
            self.flag(Rule::EmptyDefinition, None, "invalid empty definition");
            return std::mem::take(&mut self.violations);
        }
        for (i, bytes) in def.iter().enumerate() {
            match pb::Op::decode(bytes.as_slice()) {
                Ok(op) => self.ops.push(Some(op)),
                Err(e) => {
                    self.ops.push(None);
                    self.flag(
                        Rule::Undecodable,
                        Some(i),
                        format!("failed to parse llb proto op: {e}"),
                    );
                }
            }
        }
        let distinct = self.position.len();
        if distinct < 2 {
            self.flag(
                Rule::TooFewOps,
                None,
                format!("invalid LLB with {distinct} vertexes"),
            );
        }
        if distinct < def.len() {
            let mut seen = BTreeSet::new();
            let mut repeated = Vec::new();
            for (i, d) in self.digests.iter().enumerate() {
                if !seen.insert(d.as_str()) {
                    repeated.push((i, format!("op {} appears more than once", short(d))));
                }
            }
            for (i, msg) in repeated {
                self.flag(Rule::DuplicateOp, Some(i), msg);
            }
        }
        let ops = std::mem::take(&mut self.ops);
        let last = ops.len() - 1;
        for (i, op) in ops.iter().enumerate() {
            let Some(op) = op else { continue };
            self.check_inputs(i, op, &ops);
            if i == last {
                self.check_terminal(i, op);
            } else {
                self.check_body(i, op);
            }
        }
        self.check_locations();
        self.ops = ops;
        std::mem::take(&mut self.violations)
    }

    fn check_terminal(&mut self, i: usize, op: &pb::Op) {
        if op.inputs.is_empty() {
            self.flag(
                Rule::TerminalInput,
                Some(i),
                "invalid LLB with no inputs on last vertex",
            );
        } else if op.inputs.len() > 1
            || op.op.is_some()
            || op.platform.is_some()
            || op.constraints.is_some()
        {
            self.flag(
                Rule::TerminalShape,
                Some(i),
                "terminal op must hold exactly one input and nothing else",
            );
        }
    }

    fn check_inputs(&mut self, i: usize, op: &pb::Op, ops: &[Option<pb::Op>]) {
        for input in &op.inputs {
            let Some(&target) = self.position.get(&input.digest) else {
                self.flag(
                    Rule::MissingInput,
                    Some(i),
                    format!("invalid missing input digest {:?}", input.digest),
                );
                continue;
            };
            let Some(Some(target_op)) = ops.get(target) else {
                continue;
            };
            let outputs = output_count(target_op);
            let in_range = usize::try_from(input.index).is_ok_and(|idx| idx < outputs);
            if !in_range {
                self.flag(
                    Rule::OutputIndex,
                    Some(i),
                    format!(
                        "input #{target}:{} but that op has {outputs} outputs",
                        input.index
                    ),
                );
            }
        }
    }

    fn check_body(&mut self, i: usize, op: &pb::Op) {
        let n_inputs = op.inputs.len();
        match &op.op {
            None => self.flag(Rule::EmptyOp, Some(i), "op has no body (unknown op type?)"),
            Some(pb::op::Op::Source(s)) => {
                if s.identifier.is_empty() {
                    self.flag(Rule::Source, Some(i), "source op with empty identifier");
                }
            }
            Some(pb::op::Op::Exec(e)) => self.check_exec(i, e, n_inputs),
            Some(pb::op::Op::File(f)) => self.check_file(i, f, n_inputs),
            Some(pb::op::Op::Merge(m)) => {
                if m.inputs.len() < 2 {
                    self.flag(Rule::Merge, Some(i), "merge op needs at least two inputs");
                }
                for mi in &m.inputs {
                    if !index_ok(mi.input, n_inputs, false) {
                        self.flag(
                            Rule::Merge,
                            Some(i),
                            format!("merge input {} out of range", mi.input),
                        );
                    }
                }
            }
            Some(pb::op::Op::Diff(d)) => {
                let sides = [
                    ("lower", d.lower.map(|l| l.input)),
                    ("upper", d.upper.map(|u| u.input)),
                ];
                for (name, side) in sides {
                    match side {
                        None => self.flag(Rule::Diff, Some(i), format!("diff op without {name}")),
                        Some(idx) if !index_ok(idx, n_inputs, true) => {
                            self.flag(
                                Rule::Diff,
                                Some(i),
                                format!("diff {name} input {idx} out of range"),
                            );
                        }
                        Some(_) => {}
                    }
                }
            }
            Some(pb::op::Op::Build(_)) => {}
        }
    }

    fn check_exec(&mut self, i: usize, e: &pb::ExecOp, n_inputs: usize) {
        match &e.meta {
            None => self.flag(Rule::Exec, Some(i), "invalid exec op with no meta"),
            Some(meta) if meta.args.is_empty() => {
                self.flag(Rule::Exec, Some(i), "invalid exec op with no args")
            }
            Some(_) => {}
        }
        if e.mounts.is_empty() {
            self.flag(Rule::Exec, Some(i), "invalid exec op with no mounts");
        } else if !e.mounts.iter().any(|m| m.dest == "/") {
            self.flag(Rule::Exec, Some(i), "invalid exec op with no rootfs");
        }
        let mut dests = BTreeSet::new();
        let mut next_output = 0i64;
        for m in &e.mounts {
            if !index_ok(m.input, n_inputs, true) {
                self.flag(
                    Rule::ExecMountInput,
                    Some(i),
                    format!("invalid mountinput {} on {}", m.input, m.dest),
                );
            }
            if !dests.insert(m.dest.as_str()) {
                self.flag(
                    Rule::ExecDuplicateMount,
                    Some(i),
                    format!("two mounts on {}", m.dest),
                );
            }
            if m.output == -1 {
                continue;
            }
            if is_legacy_secret_or_ssh(m) {
                // BuildKit's Go client leaves `output` of secret and ssh mounts at 0
                // (and `input` too before v0.16); daemons ignore both there.
                continue;
            }
            let bind = m.mount_type == pb::MountType::Bind as i32;
            if !bind || m.readonly {
                self.flag(
                    Rule::ExecOutputs,
                    Some(i),
                    format!("mount {} cannot have an output (got {})", m.dest, m.output),
                );
            } else if m.output != next_output {
                self.flag(
                    Rule::ExecOutputs,
                    Some(i),
                    format!(
                        "mount {} has output {}, expected {next_output}",
                        m.dest, m.output
                    ),
                );
            }
            next_output += 1;
        }
    }

    fn check_file(&mut self, i: usize, f: &pb::FileOp, n_inputs: usize) {
        if f.actions.is_empty() {
            self.flag(Rule::File, Some(i), "invalid file op with no actions");
            return;
        }
        let mut outputs = BTreeSet::new();
        for (j, a) in f.actions.iter().enumerate() {
            let own = n_inputs + j;
            for (name, idx) in [("input", a.input), ("secondary input", a.secondary_input)] {
                let ok = idx == -1 || usize::try_from(idx).is_ok_and(|u| u < own);
                if !ok {
                    self.flag(
                        Rule::FileIndex,
                        Some(i),
                        format!("action {j}: invalid {name} index {idx}"),
                    );
                }
            }
            if a.output != -1 && !outputs.insert(a.output) {
                self.flag(
                    Rule::FileOutputs,
                    Some(i),
                    format!("duplicate output {}", a.output),
                );
            }
            let owner = match &a.action {
                None => {
                    self.flag(Rule::File, Some(i), format!("action {j} has no body"));
                    None
                }
                Some(pb::file_action::Action::Copy(c)) => c.owner.as_ref(),
                Some(pb::file_action::Action::Mkdir(m)) => m.owner.as_ref(),
                Some(pb::file_action::Action::Mkfile(m)) => m.owner.as_ref(),
                Some(pb::file_action::Action::Symlink(s)) => s.owner.as_ref(),
                Some(pb::file_action::Action::Rm(_)) => None,
            };
            for user in owner.into_iter().flat_map(|o| [&o.user, &o.group]) {
                if let Some(pb::user_opt::User::ByName(n)) =
                    user.as_ref().and_then(|u| u.user.as_ref())
                {
                    if !usize::try_from(n.input).is_ok_and(|u| u < n_inputs + f.actions.len()) {
                        self.flag(
                            Rule::FileUserIndex,
                            Some(i),
                            format!("invalid user index {}", n.input),
                        );
                    }
                }
            }
        }
        if outputs.is_empty() {
            self.flag(Rule::FileOutputs, Some(i), "no outputs specified");
        }
        for (expected, got) in outputs.iter().enumerate() {
            if usize::try_from(*got).ok() != Some(expected) {
                self.flag(
                    Rule::FileOutputs,
                    Some(i),
                    format!("missing output index {expected}"),
                );
                break;
            }
        }
    }

    fn check_locations(&mut self) {
        let Some(source) = &self.definition.source else {
            return;
        };
        for (dgst, locs) in &source.locations {
            let op = self.position.get(dgst).copied();
            if op.is_none() {
                self.flag(
                    Rule::SourceLocation,
                    None,
                    format!("location for unknown op {}", short(dgst)),
                );
            }
            for loc in &locs.locations {
                let known = usize::try_from(loc.source_index).is_ok_and(|s| s < source.infos.len());
                if !known {
                    self.flag(
                        Rule::SourceLocation,
                        op,
                        format!("unknown source index {}", loc.source_index),
                    );
                }
            }
        }
    }
}

/// `idx` names one of `n` inputs (or scratch, if allowed).
/// A secret or ssh mount encoded as the Go client up to BuildKit v0.15 does it
/// (`input` 0, `output` 0): accepted by every daemon when the exec has an input.
/// A secret or ssh mount with `output` 0 as Go clients write it: v0.8 with `input` 0,
/// current ones with `input` -1 (the field is never set; daemons ignore it there).
fn is_legacy_secret_or_ssh(m: &pb::Mount) -> bool {
    let kind = m.mount_type;
    (kind == pb::MountType::Secret as i32 || kind == pb::MountType::Ssh as i32)
        && (m.input == 0 || m.input == -1)
        && m.output == 0
}

fn index_ok(idx: i64, n: usize, scratch_ok: bool) -> bool {
    (scratch_ok && idx == -1) || usize::try_from(idx).is_ok_and(|u| u < n)
}

/// How many outputs an op has (what `Input.index` may address).
fn output_count(op: &pb::Op) -> usize {
    match &op.op {
        None => 0,
        Some(pb::op::Op::Exec(e)) => e
            .mounts
            .iter()
            .filter(|m| m.output != -1 && !is_legacy_secret_or_ssh(m))
            .count(),
        Some(pb::op::Op::File(f)) => f.actions.iter().filter(|a| a.output != -1).count(),
        Some(_) => 1,
    }
}
