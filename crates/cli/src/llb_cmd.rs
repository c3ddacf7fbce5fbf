//! `dfopt llb`: the BuildKit LLB of a Dockerfile, without a daemon.
//!
//! ```text
//! dfopt llb Dockerfile | buildctl build --local context=. --local dockerfile=.
//! ```
//!
//! The optimizer's rewrites are applied first (unless `DFOPT=off`), through the
//! same compile pipeline as the frontend's: the Definition is the one the frontend
//! would send, its source map is the input file, and a rewritten step's progress
//! name ends with what dfopt did (`(dfopt: 2 RUNs merged, apt cache)`); errors and
//! warnings name the input's lines. Base image configs cannot be resolved without a daemon: every image is
//! lowered as if its config were empty (no ENV, WORKDIR, USER, SHELL, ONBUILD)
//! and it is not pinned to a digest. A note on stderr says so.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;

use dfopt_compile::{BaseImages, Compilation, CompileError};
use dfopt_convert::{ConvertOptions, ResolvedImage};
use dfopt_dockerfile::{LineIndex, Span};
use dfopt_llb::{pb, CapSet, Platform};
use dfopt_optimizer::ContextFacts;
use prost::Message;
use serde::Serialize;

use crate::build_error::check_config_error;
use crate::common::{self, BuildOpts, ERROR, OK};
use crate::context_dir::ContextDir;
use crate::dockerignore;
use crate::platform;

/// `--caps`: what the daemon that will run the LLB supports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Caps {
    /// BuildKit v0.8 (Docker 20.10): every newer daemon accepts the result.
    #[default]
    #[value(name = "v0.8")]
    V0_8,
    /// The newest BuildKit: heredocs, `COPY --link`, `--exclude`, … lowered natively.
    Head,
}

/// `--format` of `dfopt llb`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LlbFormat {
    /// The marshalled `pb.Definition` (protobuf), for `buildctl build`.
    #[default]
    Binary,
    /// A readable dump, one op per paragraph.
    Dump,
    /// The ops as JSON (digest, kind, inputs, platform, name, details).
    Json,
}

#[derive(clap::Args)]
pub struct LlbArgs {
    #[command(flatten)]
    build: BuildOpts,
    /// The LLB capabilities of the daemon that will solve the Definition.
    #[arg(long, value_enum, default_value_t)]
    caps: Caps,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: LlbFormat,
    /// The Dockerfile, or `-` for standard input.
    file: String,
}

pub fn run(args: &LlbArgs) -> u8 {
    if args.format == LlbFormat::Binary && std::io::stdout().is_terminal() {
        eprintln!(
            "error: refusing to write a binary LLB Definition to a terminal; redirect it \
             (`dfopt llb {} > def.pb`, or pipe it to `buildctl build`) or use `--format dump`",
            args.file
        );
        return ERROR;
    }
    let mut prepared = match common::prepare(&args.file, &args.build, true) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return ERROR;
        }
    };
    let build_platform = platform::host();
    let target_platform = match args.build.target_platform() {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return ERROR;
        }
    };
    // The optimizer names the platform in cache ids; the build targets the
    // build platform when none is given.
    prepared.options.target_platform = Some(
        target_platform
            .clone()
            .unwrap_or_else(|| build_platform.clone())
            .to_string(),
    );
    let input = &prepared.input;
    let Some(valid) = common::validate(input, Some(&prepared.options)) else {
        return ERROR;
    };
    if let Some(message) = check_config_error(input, &valid.parsed, &prepared.build_args) {
        eprintln!("{message}");
        return ERROR;
    }
    let compilation = Compilation::typed(input.text.clone(), valid.parsed, valid.ir);
    let index = LineIndex::new(&input.text);
    // `FILE:LINE[-END]: ` of the user's instructions.
    let locate = |spans: &[Span]| -> String {
        match spans.iter().copied().reduce(Span::cover) {
            Some(covered) => match index.lines(covered) {
                (a, b) if a == b => format!("{}:{a}: ", input.name),
                (a, b) => format!("{}:{a}-{b}: ", input.name),
            },
            None => format!("{}: ", input.name),
        }
    };
    let caps = match args.caps {
        Caps::V0_8 => CapSet::buildkit_v0_8(),
        Caps::Head => CapSet::buildkit_head(),
    };
    let mut opts = ConvertOptions::new(String::new(), build_platform, caps);
    opts.target = args.build.target.clone();
    opts.build_args = prepared.build_args.clone();
    opts.target_platform = target_platform;
    if input.name != "-" {
        let path = Path::new(&input.name);
        if let Some(name) = path.file_name() {
            opts.dockerfile_name = name.to_string_lossy().into_owned();
        }
        if let Some(ignore) = dockerignore::find(path) {
            match std::fs::read(&ignore) {
                Ok(data) => opts.excludes = dockerignore::parse(&data),
                Err(e) => {
                    eprintln!("{}: cannot read: {e}", ignore.display());
                    return ERROR;
                }
            }
        }
    }
    let lowering_error = |e: &CompileError| {
        let at = match (&e.rewritten[..], e.span) {
            ([], None) => String::new(),
            ([], Some(span)) => locate(&[span]),
            (spans, _) => locate(spans),
        };
        let mut message = format!("{at}{}", e.message);
        if args.caps == Caps::V0_8 && e.message.contains("the daemon lacks") {
            message.push_str(" (`--caps head` lowers for the newest BuildKit)");
        }
        if !e.rewritten.is_empty() {
            message.push_str(
                "\n(in the instruction as dfopt rewrote it, see `dfopt rewrite`; \
                 `--build-arg DFOPT=off` lowers the file as written)",
            );
        }
        message
    };
    let requests = match compilation.images_to_resolve(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}", lowering_error(&e));
            return ERROR;
        }
    };
    let images = BaseImages {
        answers: requests
            .iter()
            .map(|r| {
                let answer = ResolvedImage {
                    digest: None,
                    config: unresolved_config(&r.platform),
                };
                (r.clone(), answer)
            })
            .collect(),
        resolved: false,
    };
    let context = match ContextDir::for_dockerfile(&input.name, args.build.context.as_deref()) {
        Ok(context) => context,
        Err(message) => {
            eprintln!("{message}");
            return ERROR;
        }
    };
    let mut facts = ContextFacts::default();
    let mut failed = None;
    ContextDir::read_facts(context.as_ref(), &mut facts, |facts| {
        match compilation.context_queries(&opts, &images, facts) {
            Ok(queries) => queries,
            Err(e) => {
                failed = Some(e);
                Vec::new()
            }
        }
    });
    if let Some(e) = failed {
        eprintln!("{}", lowering_error(&e));
        return ERROR;
    }
    let compiled = match compilation.lower(&opts, &images, &facts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", lowering_error(&e));
            return ERROR;
        }
    };
    if !requests.is_empty() {
        let names: Vec<&str> = requests.iter().map(|r| r.reference.as_str()).collect();
        eprintln!(
            "dfopt: note: base image configs were not resolved (no daemon): the configs of {} were taken \
             as empty, so their ENV, WORKDIR, USER, SHELL and ONBUILD are unknown (RUN steps get only the \
             default PATH), and the images are not pinned to a digest",
            names.join(", ")
        );
    }
    for warning in &compiled.warnings {
        if warning.spans.is_empty() {
            eprintln!("dfopt: warning: {}", warning.message);
        } else {
            eprintln!("{}warning: {}", locate(&warning.spans), warning.message);
        }
    }
    let converted = compiled;
    let bytes = match args.format {
        LlbFormat::Binary => dfopt_llb::encode_definition(&converted.definition),
        LlbFormat::Dump => dfopt_llb::dump(&converted.definition).into_bytes(),
        LlbFormat::Json => common::to_json(&json(&converted.definition)).into_bytes(),
    };
    if let Err(message) = common::print_stdout(&bytes) {
        eprintln!("{message}");
        return ERROR;
    }
    OK
}

/// The config given for an image that was not resolved: its platform and one
/// (placeholder) layer, so it is not mistaken for a layer-less `scratch` image.
pub(crate) fn unresolved_config(platform: &Platform) -> Vec<u8> {
    let mut config = serde_json::json!({
        "architecture": platform.architecture,
        "os": platform.os,
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", "0".repeat(64))]},
        "config": {},
    });
    if !platform.variant.is_empty() {
        config["variant"] = serde_json::Value::String(platform.variant.clone());
    }
    config.to_string().into_bytes()
}

#[derive(Serialize)]
struct JsonDefinition {
    ops: Vec<JsonOp>,
}

#[derive(Serialize)]
struct JsonInput {
    digest: String,
    index: i64,
}

#[derive(Serialize)]
struct JsonOp {
    index: usize,
    digest: String,
    kind: &'static str,
    inputs: Vec<JsonInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Source ops: the identifier (`docker-image://…`, `local://context`).
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attrs: BTreeMap<String, String>,
    /// Exec ops: the command, environment, working directory, user, mount targets.
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    env: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cwd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mounts: Option<Vec<String>>,
    /// File ops: the number of actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<usize>,
}

fn json(definition: &pb::Definition) -> JsonDefinition {
    let mut ops = Vec::new();
    for (index, bytes) in definition.def.iter().enumerate() {
        let digest = dfopt_llb::digest(bytes);
        let name = definition
            .metadata
            .get(&digest)
            .and_then(|m| m.description.get(dfopt_llb::CUSTOM_NAME_KEY))
            .cloned();
        let mut op = JsonOp {
            index,
            digest,
            kind: "undecodable",
            inputs: Vec::new(),
            platform: None,
            name,
            identifier: None,
            attrs: BTreeMap::new(),
            args: None,
            env: None,
            cwd: None,
            user: None,
            mounts: None,
            actions: None,
        };
        if let Ok(decoded) = pb::Op::decode(bytes.as_slice()) {
            op.inputs = decoded
                .inputs
                .iter()
                .map(|i| JsonInput {
                    digest: i.digest.clone(),
                    index: i.index,
                })
                .collect();
            op.platform = decoded.platform.as_ref().map(|p| {
                let mut s = format!("{}/{}", p.os, p.architecture);
                if !p.variant.is_empty() {
                    s.push('/');
                    s.push_str(&p.variant);
                }
                s
            });
            op.kind = match &decoded.op {
                None => "terminal",
                Some(pb::op::Op::Source(s)) => {
                    op.identifier = Some(s.identifier.clone());
                    op.attrs = s.attrs.clone().into_iter().collect();
                    "source"
                }
                Some(pb::op::Op::Exec(e)) => {
                    if let Some(meta) = &e.meta {
                        op.args = Some(meta.args.clone());
                        op.env = Some(meta.env.clone());
                        op.cwd = Some(meta.cwd.clone());
                        op.user = Some(meta.user.clone());
                    }
                    op.mounts = Some(e.mounts.iter().map(|m| m.dest.clone()).collect());
                    "exec"
                }
                Some(pb::op::Op::File(f)) => {
                    op.actions = Some(f.actions.len());
                    "file"
                }
                Some(pb::op::Op::Build(_)) => "build",
                Some(pb::op::Op::Merge(_)) => "merge",
                Some(pb::op::Op::Diff(_)) => "diff",
            };
        }
        ops.push(op);
    }
    JsonDefinition { ops }
}
