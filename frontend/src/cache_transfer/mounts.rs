//! The cache mounts of a build, read from its lowered Definitions.
//!
//! Reading the LLB rather than the Dockerfile covers every cache mount the same
//! way: the ones dfopt injected and the Dockerfile's own `--mount=type=cache`, with
//! ids as the daemon sees them (build args expanded, `BUILDKIT_CACHE_MOUNT_NS`
//! applied). Only `CACHE` mounts are taken: secret, SSH, bind and tmpfs mounts
//! never leave the build.
//!
//! A mount that grows from a base (the `uid`/`gid`/`mode` options make BuildKit start
//! the cache from a directory made by a file op) brings the ops that make the base,
//! byte for byte: BuildKit keys such a cache by id *and* base, so the export and
//! seed execs must mount exactly the same base to reach the same directory.

use std::collections::{BTreeMap, BTreeSet};

use dfopt_llb::pb;
use dfopt_optimizer::cache_dirs::{CACHE_DIRS, ID_PREFIX};
use prost::Message;

use super::index::{BaseKey, CacheKey};

/// The ops that make a cache's base, ready to be copied into another Definition.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseGraph {
    /// Every op the base needs (its ancestors included), unchanged.
    pub ops: Vec<Vec<u8>>,
    /// Their metadata, without `ignore_cache` (see [`collect`]).
    pub metadata: BTreeMap<String, pb::OpMetadata>,
}

/// One cache of the build.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheUse {
    /// Id and base.
    pub key: CacheKey,
    /// Where the first step that uses it mounts it.
    pub target: String,
    /// The strictest sharing mode among its uses (locked, then shared, then private).
    pub sharing: pb::CacheSharingOpt,
    /// The ops of the base, when there is one.
    pub base: Option<BaseGraph>,
    /// Whether a step that uses it runs with `ignore_cache` (`--no-cache`): BuildKit
    /// then empties the cache when it loads that step, so a seed would be lost.
    pub reset_by_no_cache: bool,
}

impl CacheUse {
    /// A short name for progress lines: the cache directory's name for dfopt's own
    /// ids (`apt-cache`), else the id.
    pub fn label(&self) -> String {
        // The Dockerfile frontend writes ids as `<BUILDKIT_CACHE_MOUNT_NS>/<id>`
        // (the namespace is usually empty).
        let id = self
            .key
            .id
            .split_once('/')
            .map_or(self.key.id.as_str(), |(_, id)| id);
        if let Some(rest) = id.strip_prefix(ID_PREFIX) {
            let best = CACHE_DIRS
                .iter()
                .map(|dir| dir.name)
                .filter(|name| rest.starts_with(&format!("{name}-")))
                .max_by_key(|name| name.len());
            if let Some(name) = best {
                return name.to_owned();
            }
        }
        id.to_owned()
    }

    /// `apt-cache (/var/cache/apt)`, or just the target when the id is the target.
    pub fn describe(&self) -> String {
        let label = self.label();
        if label == self.target {
            label
        } else {
            format!("{label} ({})", self.target)
        }
    }

    /// The sharing mode as Dockerfiles spell it.
    pub fn sharing_name(&self) -> &'static str {
        sharing_name(self.sharing)
    }
}

/// `shared`, `private`, `locked`.
pub fn sharing_name(sharing: pb::CacheSharingOpt) -> &'static str {
    match sharing {
        pb::CacheSharingOpt::Shared => "shared",
        pb::CacheSharingOpt::Private => "private",
        pb::CacheSharingOpt::Locked => "locked",
    }
}

/// Every cache mounted by an exec of `definitions`, each once, in the order of their
/// first use (the Definitions' op order: inputs before readers).
pub fn collect(definitions: &[&pb::Definition]) -> Result<Vec<CacheUse>, String> {
    let mut found: Vec<CacheUse> = Vec::new();
    for definition in definitions {
        let ops = decode_all(definition)?;
        for (digest, op) in &ops {
            let Some(pb::op::Op::Exec(exec)) = &op.op else {
                continue;
            };
            let ignores_cache = definition
                .metadata
                .get(digest)
                .is_some_and(|meta| meta.ignore_cache);
            for mount in &exec.mounts {
                if mount.mount_type != pb::MountType::Cache as i32 {
                    continue;
                }
                let Some(cache) = &mount.cache_opt else {
                    continue;
                };
                let id = if cache.id.is_empty() {
                    mount.dest.clone()
                } else {
                    cache.id.clone()
                };
                let base = match usize::try_from(mount.input) {
                    Ok(i) => {
                        let input = op
                            .inputs
                            .get(i)
                            .ok_or_else(|| format!("cache mount {id}: missing input {i}"))?;
                        Some((
                            BaseKey {
                                digest: input.digest.clone(),
                                index: input.index,
                                selector: mount.selector.clone(),
                            },
                            input.digest.clone(),
                        ))
                    }
                    Err(_) => None,
                };
                let key = CacheKey {
                    id,
                    base: base.as_ref().map(|(key, _)| key.clone()),
                };
                let sharing = pb::CacheSharingOpt::try_from(cache.sharing)
                    .unwrap_or(pb::CacheSharingOpt::Shared);
                if let Some(known) = found.iter_mut().find(|c| c.key == key) {
                    known.sharing = stricter(known.sharing, sharing);
                    known.reset_by_no_cache |= ignores_cache;
                    continue;
                }
                let base = match base {
                    Some((_, digest)) => Some(base_graph(definition, &ops, &digest)?),
                    None => None,
                };
                found.push(CacheUse {
                    key,
                    target: mount.dest.clone(),
                    sharing,
                    base,
                    reset_by_no_cache: ignores_cache,
                });
            }
        }
    }
    Ok(found)
}

fn stricter(a: pb::CacheSharingOpt, b: pb::CacheSharingOpt) -> pb::CacheSharingOpt {
    let rank = |s: pb::CacheSharingOpt| match s {
        pb::CacheSharingOpt::Locked => 2,
        pb::CacheSharingOpt::Shared => 1,
        pb::CacheSharingOpt::Private => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// `(digest, op)` of every op but the terminal one, in Definition order.
fn decode_all(definition: &pb::Definition) -> Result<Vec<(String, pb::Op)>, String> {
    let count = definition.def.len().saturating_sub(1);
    definition.def[..count]
        .iter()
        .map(|bytes| {
            pb::Op::decode(bytes.as_slice())
                .map(|op| (dfopt_llb::digest(bytes), op))
                .map_err(|error| format!("an op of the build graph does not decode: {error}"))
        })
        .collect()
}

/// The op `root` and its ancestors, in Definition order, with their metadata.
///
/// `ignore_cache` is dropped from the copied metadata: it would make BuildKit empty
/// every cache those ops mount when it loads the export or seed graph (and whether
/// the base itself is rebuilt changes nothing in these graphs).
fn base_graph(
    definition: &pb::Definition,
    ops: &[(String, pb::Op)],
    root: &str,
) -> Result<BaseGraph, String> {
    let by_digest: BTreeMap<&str, &pb::Op> = ops.iter().map(|(d, op)| (d.as_str(), op)).collect();
    let mut wanted = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(digest) = stack.pop() {
        if !wanted.insert(digest.clone()) {
            continue;
        }
        let op = by_digest
            .get(digest.as_str())
            .ok_or_else(|| format!("the build graph has no op {digest}"))?;
        stack.extend(op.inputs.iter().map(|input| input.digest.clone()));
    }
    let mut graph = BaseGraph {
        ops: Vec::new(),
        metadata: BTreeMap::new(),
    };
    for bytes in &definition.def {
        let digest = dfopt_llb::digest(bytes);
        if wanted.contains(&digest) {
            if let Some(meta) = definition.metadata.get(&digest) {
                let mut meta = meta.clone();
                meta.ignore_cache = false;
                graph.metadata.insert(digest.clone(), meta);
            }
            graph.ops.push(bytes.clone());
        }
    }
    Ok(graph)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfopt_llb::{CacheMount, CacheSharing, CapSet, Image, Platform, SecretMount};

    fn definition(with_owner: bool, ignore_cache: bool) -> pb::Definition {
        let base = Image::new("busybox")
            .expect("image")
            .platform(Platform::new("linux", "amd64"))
            .build();
        let mut apt = CacheMount::new("/var/cache/apt", "/dfopt-apt-cache-linux/amd64-x")
            .sharing(CacheSharing::Locked);
        if with_owner {
            apt = apt.owner(1000, 1000).mode(0o700);
        }
        let first = base
            .run(["/bin/sh", "-c", "true"])
            .mount(apt)
            .mount(CacheMount::new("/root/.cache/pip", "/pip"))
            .mount(SecretMount::new("token"))
            .build()
            .expect("exec")
            .root();
        let second = first
            .run(["/bin/sh", "-c", "true"])
            .mount(
                CacheMount::new("/c", "/dfopt-apt-cache-linux/amd64-x")
                    .sharing(CacheSharing::Private),
            )
            .build()
            .expect("exec")
            .root();
        let mut definition = second.marshal(&CapSet::buildkit_head()).expect("marshal");
        if ignore_cache {
            for meta in definition.metadata.values_mut() {
                meta.ignore_cache = true;
            }
        }
        definition
    }

    #[test]
    fn finds_each_cache_once_and_no_secret() {
        let definition = definition(false, false);
        let uses = collect(&[&definition]).expect("collect");
        let ids: Vec<&str> = uses.iter().map(|u| u.key.id.as_str()).collect();
        // In the op's mount order (sorted by target).
        assert_eq!(ids, ["/pip", "/dfopt-apt-cache-linux/amd64-x"]);
        assert_eq!(uses[1].target, "/var/cache/apt");
        assert_eq!(
            uses[1].sharing,
            pb::CacheSharingOpt::Locked,
            "the strictest of its uses"
        );
        assert_eq!(uses[1].label(), "apt-cache");
        assert_eq!(uses[1].describe(), "apt-cache (/var/cache/apt)");
        assert_eq!(uses[0].describe(), "pip (/root/.cache/pip)");
        assert!(uses
            .iter()
            .all(|u| u.base.is_none() && !u.reset_by_no_cache));
        let namespaced = CacheUse {
            key: CacheKey {
                id: "ci-42/dfopt-pip-linux/amd64-python:3.11".into(),
                base: None,
            },
            ..uses[0].clone()
        };
        assert_eq!(namespaced.label(), "pip");
    }

    #[test]
    fn a_base_brings_its_ops_without_ignore_cache() {
        let definition = definition(true, true);
        let uses = collect(&[&definition]).expect("collect");
        let apt = uses
            .iter()
            .find(|u| u.key.id.starts_with("/dfopt-apt"))
            .expect("apt cache");
        let base = apt.key.base.as_ref().expect("a base");
        assert_eq!(base.selector, "/cache");
        let graph = apt.base.as_ref().expect("base ops");
        assert_eq!(graph.ops.len(), 1, "the mkdir op on scratch");
        assert_eq!(dfopt_llb::digest(&graph.ops[0]), base.digest);
        assert!(graph.metadata.values().all(|m| !m.ignore_cache));
        assert!(apt.reset_by_no_cache);
    }
}
