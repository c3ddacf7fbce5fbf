//! The LLB of the export and seed steps: execs of dfopt's cache tool next to (never
//! inside) the build's graph.
//!
//! * **The tool runs on the frontend image**, the very binary that is running (its
//!   `cache-tool` subcommand, [`super::tool`]): a static binary with nothing else,
//!   so no base image of the build needs `tar` or a shell, and the archive format is
//!   the same on every daemon. The image is the Definition BuildKit itself used to
//!   start the frontend (`/run/config/buildkit/metadata/frontend.bin`, BuildKit
//!   v0.10+), so it is not resolved again; older daemons get the `source` option's
//!   image.
//! * **Each cache is mounted exactly as the build's steps mount it**: same id, same
//!   base ops (copied byte for byte, so same digests), same selector, the strictest
//!   sharing mode of its uses. That is what makes BuildKit hand the exec the same
//!   directory; the build's own ops are never changed or referenced otherwise.
//! * **Never served from cache, never cleared**: BuildKit's `ignore_cache` would do
//!   the first, but it also empties every cache mount of the op when the graph is
//!   loaded (that is how `--no-cache` resets caches). So each exec carries a nonce
//!   instead (the session id, new for every client invocation) in its environment,
//!   which gives it a key no earlier build has. `export_cache=false` keeps these
//!   execs out of `--cache-to`.
//! * No network (`NetMode NONE`), root, one cache per exec: a `locked` cache is held
//!   only while its own exec runs, so an export cannot deadlock with a build.

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::stages::builtin_args::default_path;
use dfopt_llb::{pb, Image, ImageRef, OpOptions, Platform};
use prost::Message;

use super::mounts::CacheUse;
use crate::caps::Caps;
use crate::options::FrontendEnv;
use crate::platform;

/// The first argument that makes the frontend binary the cache tool.
pub const TOOL_COMMAND: &str = "cache-tool";

/// Where the tool's exec mounts things.
pub mod paths {
    /// The cache mount.
    pub const CACHE: &str = "/dfopt-cache/cache";
    /// The export's output (chained from one exec to the next).
    pub const OUT: &str = "/dfopt-cache/out";
    /// The seed's directory for this cache (read-only).
    pub const SEED: &str = "/dfopt-cache/seed";
    /// The seed's report (the exec's output).
    pub const REPORT: &str = "/dfopt-cache/report";
    /// The report file inside [`REPORT`].
    pub const REPORT_FILE: &str = "report.json";
}

/// Where BuildKit v0.10+ puts the Definition of the running frontend's image.
const FRONTEND_DEFINITION: &str = "/run/config/buildkit/metadata/frontend.bin";
/// The environment variable holding the nonce.
const NONCE_VAR: &str = "DFOPT_CACHE_RUN";

/// Ops copied from elsewhere plus the ones made here, and their metadata.
#[derive(Debug, Default)]
pub struct GraphBuilder {
    ops: Vec<Vec<u8>>,
    seen: BTreeSet<String>,
    metadata: BTreeMap<String, pb::OpMetadata>,
}

impl GraphBuilder {
    /// Copies every op of `definition` but its terminal; returns what the terminal
    /// pointed at.
    pub fn add_definition(&mut self, definition: &pb::Definition) -> Result<pb::Input, String> {
        let (terminal, ops) = definition
            .def
            .split_last()
            .ok_or("an empty graph has no result to mount")?;
        let terminal =
            pb::Op::decode(terminal.as_slice()).map_err(|e| format!("bad terminal op: {e}"))?;
        let result = terminal
            .inputs
            .first()
            .cloned()
            .ok_or("the graph's terminal op has no input")?;
        self.add_ops(ops, &definition.metadata);
        Ok(result)
    }

    /// Copies `ops` (unchanged) and their metadata.
    pub fn add_ops(&mut self, ops: &[Vec<u8>], metadata: &BTreeMap<String, pb::OpMetadata>) {
        for bytes in ops {
            let digest = dfopt_llb::digest(bytes);
            if self.seen.insert(digest.clone()) {
                if let Some(meta) = metadata.get(&digest) {
                    self.metadata.insert(digest, meta.clone());
                }
                self.ops.push(bytes.clone());
            }
        }
    }

    fn add_op(&mut self, op: &pb::Op, meta: pb::OpMetadata) -> String {
        let bytes = op.encode_to_vec();
        let digest = dfopt_llb::digest(&bytes);
        if self.seen.insert(digest.clone()) {
            self.metadata.insert(digest.clone(), meta);
            self.ops.push(bytes);
        }
        digest
    }

    /// The Definition whose result is `result`.
    pub fn finish(mut self, result: pb::Input) -> pb::Definition {
        let terminal = pb::Op {
            inputs: vec![result],
            ..pb::Op::default()
        };
        let bytes = terminal.encode_to_vec();
        let caps = [
            "constraints",
            "platform",
            "meta.description",
            "meta.exportcache",
        ]
        .into_iter()
        .map(|cap| (cap.to_owned(), true))
        .collect();
        self.metadata.insert(
            dfopt_llb::digest(&bytes),
            pb::OpMetadata {
                caps,
                ..pb::OpMetadata::default()
            },
        );
        self.ops.push(bytes);
        pb::Definition {
            def: self.ops,
            metadata: self.metadata.into_iter().collect(),
            source: None,
        }
    }
}

/// The image the tool runs on and the binary's path in it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolImage {
    /// The image's graph (a source op and its terminal).
    pub definition: pb::Definition,
    /// The platform the execs run on (the image's).
    pub platform: Platform,
    /// The tool binary.
    pub exe: String,
}

impl ToolImage {
    /// The running frontend's image: BuildKit's own Definition of it when the
    /// daemon mounts one, else the `source` option (the image the build named).
    pub fn locate(env: &FrontendEnv, caps: &Caps) -> Result<Self, String> {
        let exe = std::env::current_exe()
            .ok()
            .and_then(|path| path.to_str().map(str::to_owned))
            .unwrap_or_else(|| "/dfopt-frontend".to_owned());
        if let Ok(bytes) = std::fs::read(FRONTEND_DEFINITION) {
            if let Ok(definition) = pb::Definition::decode(bytes.as_slice()) {
                if let Some(platform) = source_platform(&definition) {
                    return Ok(Self {
                        definition,
                        platform,
                        exe,
                    });
                }
                if !definition.def.is_empty() {
                    return Ok(Self {
                        definition,
                        platform: env.build_platform.clone(),
                        exe,
                    });
                }
            }
        }
        Self::from_reference(env, caps, exe)
    }

    /// The image named by the `source` option (how the daemon started us).
    pub fn from_reference(env: &FrontendEnv, caps: &Caps, exe: String) -> Result<Self, String> {
        let source = env.options.source.as_deref().ok_or(
            "the build has no `source` option naming the frontend image, which runs dfopt's cache tool",
        )?;
        let reference = ImageRef::parse_normalized(source)
            .map_err(|error| format!("frontend image {source:?}: {error}"))?;
        let definition = Image::from_ref(reference)
            .platform(env.build_platform.clone())
            .custom_name(format!("[dfopt cache] load tool image {source}"))
            .build()
            .marshal(&caps.llb)
            .map_err(|error| error.to_string())?;
        Ok(Self {
            definition,
            platform: env.build_platform.clone(),
            exe,
        })
    }
}

/// The platform of the op a Definition's result comes from, if it names one.
fn source_platform(definition: &pb::Definition) -> Option<Platform> {
    let terminal = pb::Op::decode(definition.def.last()?.as_slice()).ok()?;
    let digest = &terminal.inputs.first()?.digest;
    let bytes = definition
        .def
        .iter()
        .find(|bytes| &dfopt_llb::digest(bytes) == digest)?;
    let p = pb::Op::decode(bytes.as_slice()).ok()?.platform?;
    Some(Platform::new(p.os, p.architecture).with_variant(p.variant))
}

/// A read-only bind mount of another graph's result.
#[derive(Debug, Clone)]
pub struct Bind {
    /// Where.
    pub dest: &'static str,
    /// What.
    pub input: pb::Input,
    /// Which path of it.
    pub selector: String,
}

/// One exec of the cache tool.
#[derive(Debug, Clone)]
pub struct ToolExec<'a> {
    /// The progress name (`[dfopt cache] …`).
    pub name: String,
    /// The tool's arguments after [`TOOL_COMMAND`].
    pub args: Vec<String>,
    /// The cache to mount at [`paths::CACHE`].
    pub cache: &'a CacheUse,
    /// Mount it read-only (export).
    pub cache_readonly: bool,
    /// Further read-only mounts.
    pub binds: Vec<Bind>,
    /// The writable mount whose contents are the exec's result, and what it starts
    /// from (`None`: empty).
    pub output: (&'static str, Option<pb::Input>),
}

/// Adds the exec (and the ops it needs) to `graph`; returns its result.
pub fn add_tool_exec(
    graph: &mut GraphBuilder,
    tool: &ToolImage,
    exec: ToolExec<'_>,
    nonce: &str,
    caps: &Caps,
) -> Result<pb::Input, String> {
    let root = graph.add_definition(&tool.definition)?;
    let mut inputs: Vec<pb::Input> = Vec::new();
    let mut index_of = |input: pb::Input| -> i64 {
        let at = inputs.iter().position(|i| *i == input).unwrap_or_else(|| {
            inputs.push(input);
            inputs.len() - 1
        });
        i64::try_from(at).unwrap_or(i64::MAX)
    };
    // A root without output must be read-only: only then does BuildKit give it a
    // throwaway writable layer for the mount points (else it mounts the image's
    // immutable snapshot and runc cannot create `/proc`).
    let mut mounts = vec![pb::Mount {
        input: index_of(root),
        dest: "/".to_owned(),
        output: -1,
        readonly: true,
        ..pb::Mount::default()
    }];
    let (cache_input, cache_selector) = match (&exec.cache.key.base, &exec.cache.base) {
        (Some(key), Some(base)) => {
            graph.add_ops(&base.ops, &base.metadata);
            let input = pb::Input {
                digest: key.digest.clone(),
                index: key.index,
            };
            (index_of(input), key.selector.clone())
        }
        _ => (-1, String::new()),
    };
    let mut uses_selector = !cache_selector.is_empty();
    mounts.push(pb::Mount {
        input: cache_input,
        selector: cache_selector,
        dest: paths::CACHE.to_owned(),
        output: -1,
        readonly: exec.cache_readonly,
        mount_type: pb::MountType::Cache as i32,
        cache_opt: Some(pb::CacheOpt {
            id: exec.cache.key.id.clone(),
            sharing: exec.cache.sharing as i32,
        }),
        ..pb::Mount::default()
    });
    for bind in exec.binds {
        uses_selector |= !bind.selector.is_empty();
        mounts.push(pb::Mount {
            input: index_of(bind.input),
            selector: bind.selector,
            dest: bind.dest.to_owned(),
            output: -1,
            readonly: true,
            ..pb::Mount::default()
        });
    }
    let (output_dest, output_from) = exec.output;
    mounts.push(pb::Mount {
        input: output_from.map_or(-1, &mut index_of),
        dest: output_dest.to_owned(),
        output: 0,
        ..pb::Mount::default()
    });
    // BuildKit's client sorts mounts by destination (parents first).
    mounts.sort_by(|a, b| a.dest.cmp(&b.dest));

    let mut args = vec![tool.exe.clone(), TOOL_COMMAND.to_owned()];
    args.extend(exec.args);
    let op = pb::Op {
        inputs,
        op: Some(pb::op::Op::Exec(pb::ExecOp {
            meta: Some(pb::Meta {
                args,
                env: vec![
                    format!("PATH={}", default_path("linux")),
                    format!("{NONCE_VAR}={nonce}"),
                ],
                cwd: "/".to_owned(),
                ..pb::Meta::default()
            }),
            mounts,
            network: pb::NetMode::None as i32,
            ..pb::ExecOp::default()
        })),
        platform: Some(platform::to_pb(&tool.platform)),
        constraints: Some(pb::WorkerConstraints::default()),
    };
    let mut needed = vec![
        "exec.meta.base",
        "exec.meta.network",
        "exec.mount.bind",
        "exec.mount.cache",
        "exec.mount.cache.sharing",
        "meta.description",
        "meta.exportcache",
    ];
    if uses_selector {
        needed.push("exec.mount.selector");
    }
    if let Some(missing) = needed.iter().find(|cap| !caps.llb.supports_id(cap)) {
        return Err(format!(
            "the BuildKit daemon lacks the LLB capability {missing}, which dfopt's cache tool needs"
        ));
    }
    let meta = pb::OpMetadata {
        description: [(dfopt_llb::CUSTOM_NAME_KEY.to_owned(), exec.name)]
            .into_iter()
            .collect(),
        export_cache: Some(pb::ExportCache { value: false }),
        caps: needed.iter().map(|c| ((*c).to_owned(), true)).collect(),
        ..pb::OpMetadata::default()
    };
    let digest = graph.add_op(&op, meta);
    Ok(pb::Input { digest, index: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache_transfer::index::CacheKey;

    fn caps() -> Caps {
        Caps {
            gateway: dfopt_llb::CapSet::from_iter(["solve.base"]),
            llb: dfopt_llb::CapSet::buildkit_v0_8(),
        }
    }

    fn tool() -> ToolImage {
        let definition = Image::new("ourorg/optimizer:test")
            .expect("image")
            .platform(Platform::new("linux", "amd64"))
            .build()
            .marshal(&caps().llb)
            .expect("marshal");
        ToolImage {
            platform: source_platform(&definition).expect("platform"),
            definition,
            exe: "/dfopt-frontend".into(),
        }
    }

    #[test]
    fn an_exec_mounts_the_cache_as_the_build_does() {
        let cache = CacheUse {
            key: CacheKey {
                id: "pip".into(),
                base: None,
            },
            target: "/root/.cache/pip".into(),
            sharing: pb::CacheSharingOpt::Locked,
            base: None,
            reset_by_no_cache: false,
        };
        let mut graph = GraphBuilder::default();
        let result = add_tool_exec(
            &mut graph,
            &tool(),
            ToolExec {
                name: "[dfopt cache] export pip".into(),
                args: vec!["export".into(), "{}".into()],
                cache: &cache,
                cache_readonly: true,
                binds: Vec::new(),
                output: (paths::OUT, None),
            },
            "nonce-1",
            &caps(),
        )
        .expect("exec");
        let definition = graph.finish(result.clone());
        assert!(
            dfopt_llb::validate(&definition).is_ok(),
            "{:?}",
            dfopt_llb::validate(&definition)
        );
        let exec_bytes = definition
            .def
            .iter()
            .find(|b| dfopt_llb::digest(b) == result.digest)
            .expect("the exec");
        let op = pb::Op::decode(exec_bytes.as_slice()).expect("op");
        let Some(pb::op::Op::Exec(exec)) = op.op else {
            panic!("an exec")
        };
        let meta = exec.meta.expect("meta");
        assert_eq!(meta.args, ["/dfopt-frontend", "cache-tool", "export", "{}"]);
        assert!(meta.env.contains(&"DFOPT_CACHE_RUN=nonce-1".to_owned()));
        assert_eq!(exec.network, pb::NetMode::None as i32);
        let dests: Vec<&str> = exec.mounts.iter().map(|m| m.dest.as_str()).collect();
        assert_eq!(dests, ["/", paths::CACHE, paths::OUT]);
        let cache_mount = &exec.mounts[1];
        assert!(cache_mount.readonly);
        assert_eq!(cache_mount.input, -1);
        assert_eq!(
            cache_mount.cache_opt,
            Some(pb::CacheOpt {
                id: "pip".into(),
                sharing: pb::CacheSharingOpt::Locked as i32
            })
        );
        assert_eq!(exec.mounts[2].output, 0);
        let meta = &definition.metadata[&result.digest];
        assert!(!meta.ignore_cache, "ignore_cache would empty the cache");
        assert_eq!(meta.export_cache, Some(pb::ExportCache { value: false }));
        assert_eq!(
            meta.description["llb.customname"],
            "[dfopt cache] export pip"
        );
    }

    #[test]
    fn a_missing_cap_is_named() {
        let cache = CacheUse {
            key: CacheKey {
                id: "x".into(),
                base: None,
            },
            target: "/x".into(),
            sharing: pb::CacheSharingOpt::Shared,
            base: None,
            reset_by_no_cache: false,
        };
        let mut limited = caps();
        limited.llb.remove("exec.mount.cache.sharing");
        let error = add_tool_exec(
            &mut GraphBuilder::default(),
            &tool(),
            ToolExec {
                name: "n".into(),
                args: Vec::new(),
                cache: &cache,
                cache_readonly: false,
                binds: Vec::new(),
                output: (paths::REPORT, None),
            },
            "n",
            &limited,
        )
        .expect_err("refused");
        assert!(error.contains("exec.mount.cache.sharing"), "{error}");
    }
}
