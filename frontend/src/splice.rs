//! Replacing source ops inside a marshalled LLB Definition by other graphs.
//!
//! The Dockerfile conversion (`dfopt-convert`) always reads the build context from
//! `local://context` and every `FROM <name>` / `COPY --from=<name>` that is not a
//! stage from `docker-image://<name>`. Remote contexts and named contexts replace
//! exactly those sources (BuildKit does it while converting; our conversion is a
//! separate library that knows nothing about contexts), so the frontend swaps them
//! in afterwards, on the Definition:
//!
//! 1. [`source_ops`] lists the source ops, so the caller can decide which to replace;
//! 2. [`splice`] inserts each replacement graph and re-encodes every op that reads a
//!    replaced op, directly or through others (their input digests change, so their
//!    own digests change too). Ops that read nothing replaced keep their exact bytes,
//!    hence their digests, metadata and cache keys.
//!
//! Metadata and source locations follow their ops to the new digests; a replacement
//! brings its own metadata, locations and source infos. The replaced ops' own
//! metadata and locations are dropped (the op is gone). The terminal op is rebuilt
//! with the union of the capabilities of all terminals involved.
//!
//! Everything is checked: an op that does not decode, an input digest with no op, or a
//! Definition without a terminal op is an error, never a panic.

use std::collections::{BTreeMap, BTreeSet};

use dfopt_llb::pb;
use prost::Message;

/// A Definition that cannot be spliced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot rewrite the build graph: {0}")]
pub struct SpliceError(String);

/// One source op of a Definition.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceOpEntry {
    /// The op's digest (the key [`splice`] takes).
    pub digest: String,
    /// The source (identifier and attributes).
    pub source: pb::SourceOp,
    /// The op's platform, if it has one.
    pub platform: Option<pb::Platform>,
}

/// Every source op of `definition`, in Definition order.
pub fn source_ops(definition: &pb::Definition) -> Result<Vec<SourceOpEntry>, SpliceError> {
    let mut found = Vec::new();
    for bytes in &definition.def {
        let op = decode(bytes)?;
        if let Some(pb::op::Op::Source(source)) = op.op {
            found.push(SourceOpEntry {
                digest: dfopt_llb::digest(bytes),
                source,
                platform: op.platform,
            });
        }
    }
    Ok(found)
}

/// `definition` with each op whose digest is a key of `replacements` replaced by the
/// result of that Definition. A replacement must not be empty (scratch has no op to
/// point at; see [`crate::contexts`] for how empty contexts are represented).
pub fn splice(
    definition: &pb::Definition,
    replacements: &BTreeMap<String, pb::Definition>,
) -> Result<pb::Definition, SpliceError> {
    if definition.def.is_empty() {
        return Ok(definition.clone());
    }
    let graph = Graph::new(definition)?;
    let mut out = Builder::new(definition);
    for terminal_caps in graph.terminal_caps.iter() {
        out.terminal_caps.insert(terminal_caps.clone());
    }
    let mut mapped: BTreeMap<String, pb::Input> = BTreeMap::new();
    for digest in graph.post_order(&graph.root.digest)? {
        let (bytes, op) = graph.op(&digest)?;
        if let Some(replacement) = replacements.get(&digest) {
            let root = out.append(replacement)?;
            mapped.insert(digest, root);
            continue;
        }
        let mut op = op.clone();
        let mut changed = false;
        for input in &mut op.inputs {
            if let Some(new) = mapped.get(&input.digest) {
                let index = if replacements.contains_key(&input.digest) {
                    new.index
                } else {
                    input.index
                };
                if new.digest != input.digest || index != input.index {
                    input.digest = new.digest.clone();
                    input.index = index;
                    changed = true;
                }
            }
        }
        let bytes = if changed {
            op.encode_to_vec()
        } else {
            bytes.clone()
        };
        let new_digest = dfopt_llb::digest(&bytes);
        out.push(
            bytes,
            &new_digest,
            graph.metadata(&digest),
            graph.locations(&digest),
        );
        mapped.insert(
            digest.clone(),
            pb::Input {
                digest: new_digest,
                index: 0,
            },
        );
    }
    let root = graph.root.clone();
    let new_root = match mapped.get(&root.digest) {
        Some(new) if replacements.contains_key(&root.digest) => new.clone(),
        Some(new) => pb::Input {
            digest: new.digest.clone(),
            index: root.index,
        },
        None => {
            return Err(SpliceError(format!(
                "root op {} was not visited",
                root.digest
            )))
        }
    };
    Ok(out.finish(new_root))
}

/// The ops of a Definition by digest, and its root.
struct Graph<'a> {
    definition: &'a pb::Definition,
    ops: BTreeMap<String, (Vec<u8>, pb::Op)>,
    root: pb::Input,
    terminal_caps: Vec<String>,
}

impl<'a> Graph<'a> {
    fn new(definition: &'a pb::Definition) -> Result<Self, SpliceError> {
        let Some((terminal_bytes, body)) = definition.def.split_last() else {
            return Err(SpliceError("the Definition has no ops".to_owned()));
        };
        let terminal = decode(terminal_bytes)?;
        let root = match (terminal.op.is_none(), terminal.inputs.as_slice()) {
            (true, [root]) => root.clone(),
            _ => {
                return Err(SpliceError(
                    "the last op of the Definition is not a terminal op with one input".to_owned(),
                ))
            }
        };
        let terminal_caps = definition
            .metadata
            .get(&dfopt_llb::digest(terminal_bytes))
            .map(|meta| meta.caps.keys().cloned().collect())
            .unwrap_or_default();
        let mut ops = BTreeMap::new();
        for bytes in body {
            ops.insert(dfopt_llb::digest(bytes), (bytes.clone(), decode(bytes)?));
        }
        Ok(Self {
            definition,
            ops,
            root,
            terminal_caps,
        })
    }

    fn op(&self, digest: &str) -> Result<&(Vec<u8>, pb::Op), SpliceError> {
        self.ops
            .get(digest)
            .ok_or_else(|| SpliceError(format!("input {digest} has no op in the Definition")))
    }

    fn metadata(&self, digest: &str) -> Option<&pb::OpMetadata> {
        self.definition.metadata.get(digest)
    }

    fn locations(&self, digest: &str) -> Option<&pb::Locations> {
        self.definition.source.as_ref()?.locations.get(digest)
    }

    /// Digests reachable from `root`, inputs before readers, each once. Iterative, so
    /// a deep graph cannot overflow the stack.
    fn post_order(&self, root: &str) -> Result<Vec<String>, SpliceError> {
        let mut order = Vec::new();
        let mut done: BTreeSet<String> = BTreeSet::new();
        let mut stack: Vec<(String, bool)> = vec![(root.to_owned(), false)];
        while let Some((digest, expanded)) = stack.pop() {
            if done.contains(&digest) {
                continue;
            }
            if expanded {
                done.insert(digest.clone());
                order.push(digest);
                continue;
            }
            let (_, op) = self.op(&digest)?;
            stack.push((digest, true));
            for input in op.inputs.iter().rev() {
                if !done.contains(&input.digest) {
                    stack.push((input.digest.clone(), false));
                }
            }
        }
        Ok(order)
    }
}

/// The Definition being built.
struct Builder {
    def: Vec<Vec<u8>>,
    emitted: BTreeSet<String>,
    metadata: BTreeMap<String, pb::OpMetadata>,
    locations: BTreeMap<String, pb::Locations>,
    infos: Vec<pb::SourceInfo>,
    terminal_caps: BTreeSet<String>,
}

impl Builder {
    fn new(original: &pb::Definition) -> Self {
        Self {
            def: Vec::new(),
            emitted: BTreeSet::new(),
            metadata: BTreeMap::new(),
            locations: BTreeMap::new(),
            infos: original
                .source
                .as_ref()
                .map(|source| source.infos.clone())
                .unwrap_or_default(),
            terminal_caps: BTreeSet::new(),
        }
    }

    /// Adds one op (once per digest), with its metadata and locations.
    fn push(
        &mut self,
        bytes: Vec<u8>,
        digest: &str,
        metadata: Option<&pb::OpMetadata>,
        locations: Option<&pb::Locations>,
    ) {
        if self.emitted.insert(digest.to_owned()) {
            self.def.push(bytes);
        }
        if let Some(metadata) = metadata {
            match self.metadata.get_mut(digest) {
                Some(existing) => {
                    for (cap, on) in &metadata.caps {
                        existing.caps.insert(cap.clone(), *on);
                    }
                }
                None => {
                    self.metadata.insert(digest.to_owned(), metadata.clone());
                }
            }
        }
        if let Some(locations) = locations {
            self.locations
                .entry(digest.to_owned())
                .or_default()
                .locations
                .extend(locations.locations.iter().cloned());
        }
    }

    /// Adds every op of `replacement` (its source infos appended after ours) and
    /// returns the input that names its result.
    fn append(&mut self, replacement: &pb::Definition) -> Result<pb::Input, SpliceError> {
        let graph = Graph::new(replacement)
            .map_err(|SpliceError(reason)| SpliceError(format!("replacement graph: {reason}")))?;
        let offset = i32::try_from(self.infos.len())
            .map_err(|_| SpliceError("too many source infos".to_owned()))?;
        if let Some(source) = &replacement.source {
            self.infos.extend(source.infos.iter().cloned());
        }
        for cap in &graph.terminal_caps {
            self.terminal_caps.insert(cap.clone());
        }
        for digest in graph.post_order(&graph.root.digest)? {
            let (bytes, _) = graph.op(&digest)?;
            let locations = graph.locations(&digest).map(|locations| pb::Locations {
                locations: locations
                    .locations
                    .iter()
                    .map(|location| pb::Location {
                        source_index: location.source_index + offset,
                        ranges: location.ranges.clone(),
                    })
                    .collect(),
            });
            self.push(
                bytes.clone(),
                &digest,
                graph.metadata(&digest),
                locations.as_ref(),
            );
        }
        Ok(graph.root)
    }

    fn finish(mut self, root: pb::Input) -> pb::Definition {
        let terminal = pb::Op {
            inputs: vec![root],
            ..pb::Op::default()
        };
        let bytes = terminal.encode_to_vec();
        let digest = dfopt_llb::digest(&bytes);
        let caps = self
            .terminal_caps
            .iter()
            .map(|cap| (cap.clone(), true))
            .collect();
        self.metadata.insert(
            digest,
            pb::OpMetadata {
                caps,
                ..pb::OpMetadata::default()
            },
        );
        self.def.push(bytes);
        pb::Definition {
            def: self.def,
            metadata: self.metadata,
            source: Some(pb::Source {
                locations: self.locations,
                infos: self.infos,
            }),
        }
    }
}

fn decode(bytes: &[u8]) -> Result<pb::Op, SpliceError> {
    pb::Op::decode(bytes)
        .map_err(|error| SpliceError(format!("an LLB op does not decode: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfopt_llb::{CapSet, FileCopy, Git, Image, Local, OpOptions, State};

    fn caps() -> CapSet {
        CapSet::buildkit_v0_8()
    }

    fn marshal(state: &State) -> pb::Definition {
        state.marshal(&caps()).expect("marshal")
    }

    fn digest_of(definition: &pb::Definition, identifier: &str) -> String {
        source_ops(definition)
            .expect("decodes")
            .into_iter()
            .find(|entry| entry.source.identifier == identifier)
            .map(|entry| entry.digest)
            .expect("source present")
    }

    /// `COPY . /app` from the context onto busybox, as a lowering would emit it.
    fn copy_from_context() -> (pb::Definition, String) {
        let context = Local::new("context").expect("local").build();
        let base = Image::new("docker.io/library/busybox:latest")
            .expect("image")
            .build();
        let copied = base
            .file()
            .copy(FileCopy::new(&context, "/", "/app"))
            .build()
            .expect("file op");
        let definition = marshal(&copied);
        let local = digest_of(&definition, "local://context");
        (definition, local)
    }

    #[test]
    fn replaces_a_source_and_rehashes_its_readers() {
        let (definition, local) = copy_from_context();
        let git = marshal(
            &Git::new("https://example.com/repo.git#main")
                .expect("git")
                .custom_name("load git")
                .build(),
        );
        let spliced = splice(&definition, &BTreeMap::from([(local.clone(), git)])).expect("splice");
        assert!(
            dfopt_llb::validate(&spliced).is_ok(),
            "{:?}",
            dfopt_llb::validate(&spliced)
        );
        let identifiers: Vec<String> = source_ops(&spliced)
            .expect("decodes")
            .into_iter()
            .map(|entry| entry.source.identifier)
            .collect();
        assert!(identifiers.contains(&"git://example.com/repo.git#main".to_owned()));
        assert!(!identifiers.contains(&"local://context".to_owned()));
        // The image op is untouched: same bytes, same digest.
        let image = digest_of(
            &definition,
            "docker-image://docker.io/library/busybox:latest",
        );
        assert_eq!(
            digest_of(&spliced, "docker-image://docker.io/library/busybox:latest"),
            image
        );
        // The file op now reads the git op and has a new digest with its metadata.
        let git_digest = digest_of(&spliced, "git://example.com/repo.git#main");
        let file_op = spliced
            .def
            .iter()
            .map(|bytes| pb::Op::decode(bytes.as_slice()).expect("op"))
            .find(|op| matches!(op.op, Some(pb::op::Op::File(_))))
            .expect("file op");
        assert!(file_op
            .inputs
            .iter()
            .any(|input| input.digest == git_digest));
        assert!(spliced.metadata.contains_key(&git_digest));
        let git_meta = &spliced.metadata[&git_digest];
        assert_eq!(
            git_meta
                .description
                .get("llb.customname")
                .map(String::as_str),
            Some("load git")
        );
        // Every op has its metadata under its own digest.
        for bytes in &spliced.def {
            assert!(spliced.metadata.contains_key(&dfopt_llb::digest(bytes)));
        }
    }

    #[test]
    fn replacing_the_root_uses_the_replacement_output() {
        let image = marshal(
            &Image::new("docker.io/library/base:latest")
                .expect("image")
                .build(),
        );
        let root = digest_of(&image, "docker-image://docker.io/library/base:latest");
        let context = Local::new("context").expect("local").build();
        let scoped = State::scratch()
            .file()
            .copy(FileCopy::new(&context, "sub", "/").contents_only(true))
            .build()
            .expect("file op");
        let replacement = marshal(&scoped);
        let spliced =
            splice(&image, &BTreeMap::from([(root, replacement.clone())])).expect("splice");
        assert!(dfopt_llb::validate(&spliced).is_ok());
        // Same ops as the replacement itself (same terminal input).
        let last = |d: &pb::Definition| {
            pb::Op::decode(d.def.last().expect("terminal").as_slice())
                .expect("op")
                .inputs
        };
        assert_eq!(last(&spliced), last(&replacement));
    }

    #[test]
    fn nothing_to_replace_keeps_the_bytes() {
        let (definition, _) = copy_from_context();
        let spliced = splice(&definition, &BTreeMap::new()).expect("splice");
        assert_eq!(spliced.def, definition.def);
    }

    #[test]
    fn broken_definitions_are_errors() {
        let (mut definition, local) = copy_from_context();
        // Drop the local op: the file op's input dangles.
        definition
            .def
            .retain(|bytes| dfopt_llb::digest(bytes) != local);
        let error = splice(&definition, &BTreeMap::new()).expect_err("dangling input");
        assert!(error.to_string().contains("has no op"), "{error}");
        let garbage = pb::Definition {
            def: vec![vec![0xff, 0xff, 0xff]],
            ..pb::Definition::default()
        };
        assert!(splice(&garbage, &BTreeMap::new()).is_err());
        assert!(source_ops(&garbage).is_err());
    }

    #[test]
    fn source_locations_follow_their_ops() {
        let (mut definition, local) = copy_from_context();
        let file_digest = definition
            .def
            .iter()
            .find(|bytes| {
                matches!(
                    pb::Op::decode(bytes.as_slice()).map(|op| op.op),
                    Ok(Some(pb::op::Op::File(_)))
                )
            })
            .map(|bytes| dfopt_llb::digest(bytes))
            .expect("file op");
        let location = pb::Location {
            source_index: 0,
            ranges: vec![pb::Range {
                start: Some(pb::Position {
                    line: 2,
                    character: 0,
                }),
                end: Some(pb::Position {
                    line: 2,
                    character: 0,
                }),
            }],
        };
        definition.source = Some(pb::Source {
            locations: BTreeMap::from([(
                file_digest,
                pb::Locations {
                    locations: vec![location.clone()],
                },
            )]),
            infos: vec![pb::SourceInfo {
                filename: "Dockerfile".into(),
                ..pb::SourceInfo::default()
            }],
        });
        let http = marshal(
            &dfopt_llb::Http::new("https://example.com/ctx")
                .expect("http")
                .build(),
        );
        let spliced = splice(&definition, &BTreeMap::from([(local, http)])).expect("splice");
        let source = spliced.source.expect("source map");
        assert_eq!(source.infos.len(), 1);
        let (_, locations) = source.locations.iter().next().expect("one location");
        assert_eq!(locations.locations, vec![location]);
    }
}
