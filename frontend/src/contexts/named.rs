//! Named contexts: `context:NAME=<source>` options (buildx `--build-context`,
//! BuildKit v0.10+ `dockerui/namedcontext.go`). Docker 20.10 never sends them.
//!
//! A named context replaces every use of `NAME` as an image: `FROM NAME`,
//! `COPY --from=NAME`, `RUN --mount=from=NAME`, and a whole stage `AS NAME`
//! (see [`super::stage_override`]). BuildKit's rules, mirrored here:
//!
//! * The option key is the name as `reference.FamiliarString` prints it, `:latest`
//!   trimmed (`FROM docker.io/library/alpine:latest` looks up `context:alpine`). A
//!   platform-specific key `context:NAME::linux/arm64` wins over `context:NAME`. The
//!   names `scratch` and `context` are never looked up.
//! * Sources: `docker-image://REF` (its config becomes the base image config;
//!   `docker-image://scratch` is empty), git URLs (`git@…`, `git://…`, `https://….git`),
//!   other `http(s)://` URLs (the download, as the file `context`), `local:DIR` (a
//!   directory the client exposes, with its own `.dockerignore`), `input:NAME` (a
//!   frontend input, its image config from `input-metadata:NAME`) and
//!   `oci-layout://STORE@DIGEST` (an image in an OCI layout the client exposes; LLB cap
//!   `source.ocilayout`, BuildKit v0.11+).
//! * A context without an image config gets `emptyImage(platform)` as base config.
//!
//! Loaded contexts are cached per key and platform for the whole build.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use dfopt_dockerfile::stages::builtin_args::default_path;
use dfopt_llb::{pb, Image, ImageRef, Local, OpOptions, Platform};
use prost::Message;

use super::remote::{self, GitContext};
use crate::bridge::Bridge;
use crate::caps::{gateway, Caps};
use crate::errors::BuildError;
use crate::options::{FrontendOptions, ImageResolveMode};
use crate::platform;

/// The domain of the image references that stand for overridden stages in the
/// rewritten Dockerfile (`.invalid` can never be a real registry).
pub const STAGE_PLACEHOLDER_DOMAIN: &str = "dfopt.invalid";
/// The path prefix of those references: `dfopt.invalid/stage/<hex of the name>`.
const STAGE_PLACEHOLDER_PATH: &str = "stage/";

/// A layer id put into the base config of a context that has a filesystem but no
/// layers in its config, so that the conversion does not take it for `scratch`; it
/// is removed from the result's config again ([`scrub_placeholder_layer`]).
pub const PLACEHOLDER_LAYER: &str =
    "sha256:d0f0a70000000000000000000000000000000000000000000000000000000001";

/// LLB cap of `oci-layout://` sources.
const SOURCE_OCI_LAYOUT: &str = "source.ocilayout";

/// The `context:` option that applies to a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The option key without `context:` (`NAME` or `NAME::platform`), BuildKit's
    /// `nameWithPlatform`, used in progress names.
    pub key: String,
    /// The name it is for.
    pub name: String,
    /// The option value (`docker-image://…`, `local:…`, …).
    pub value: String,
}

/// A loaded named context.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedContext {
    /// Its filesystem; an empty Definition is `scratch`.
    pub definition: pb::Definition,
    /// The image config it brings, if any.
    pub config: Option<Vec<u8>>,
}

impl LoadedContext {
    /// The base image config the conversion gets for `FROM NAME`: the context's own,
    /// or `emptyImage(platform)`; with [`PLACEHOLDER_LAYER`] when the context has a
    /// filesystem but the config lists no layer.
    pub fn config_for_lowering(&self, platform: &Platform) -> Result<Vec<u8>, BuildError> {
        let mut value: serde_json::Value = match &self.config {
            Some(config) => serde_json::from_slice(config).map_err(|error| {
                BuildError::new(format!("invalid image config of a named context: {error}"))
            })?,
            None => empty_image(platform),
        };
        if self.definition.def.is_empty() || has_layers(&value) {
            return match &self.config {
                Some(config) => Ok(config.clone()),
                None => Ok(value.to_string().into_bytes()),
            };
        }
        value["rootfs"] = serde_json::json!({ "type": "layers", "diff_ids": [PLACEHOLDER_LAYER] });
        Ok(value.to_string().into_bytes())
    }

    /// The graph that replaces a use of the context. Scratch has no op to point at, so
    /// it is stood in for by an op that yields an empty directory.
    pub fn graph(&self, caps: &Caps) -> Result<pb::Definition, BuildError> {
        if !self.definition.def.is_empty() {
            return Ok(self.definition.clone());
        }
        dfopt_llb::State::scratch()
            .file()
            .mkdir(dfopt_llb::Mkdir::new("/", 0o755).parents(true))
            .build()
            .and_then(|state| state.marshal(&caps.llb))
            .map_err(|error| BuildError::new(format!("failed to build an empty context: {error}")))
    }
}

/// BuildKit's `emptyImage(platform)`, with Linux's default PATH whatever the
/// platform (BuildKit takes the platform's OS's).
fn empty_image(platform: &Platform) -> serde_json::Value {
    let mut image = serde_json::json!({
        "architecture": platform.architecture,
        "os": platform.os,
        "rootfs": { "type": "layers", "diff_ids": null },
        "config": {
            "Env": [format!("PATH={}", default_path("linux"))],
            "WorkingDir": "/",
        },
    });
    if !platform.variant.is_empty() {
        image["variant"] = serde_json::Value::String(platform.variant.clone());
    }
    image
}

/// Whether a config lists a layer (or a non-empty history entry, which the
/// conversion also counts).
fn has_layers(config: &serde_json::Value) -> bool {
    let diff_ids = config["rootfs"]["diff_ids"]
        .as_array()
        .is_some_and(|ids| !ids.is_empty());
    let history = config["history"].as_array().is_some_and(|entries| {
        entries
            .iter()
            .any(|h| !h["empty_layer"].as_bool().unwrap_or(false))
    });
    diff_ids || history
}

/// Removes [`PLACEHOLDER_LAYER`] from a result config written by `dfopt-convert`
/// (which writes `"diff_ids":[…]` compactly): `rootfs` then reads as `emptyImage`'s.
pub fn scrub_placeholder_layer(config: &[u8]) -> Vec<u8> {
    let needle = format!("\"diff_ids\":[\"{PLACEHOLDER_LAYER}\"]");
    match std::str::from_utf8(config) {
        Ok(text) if text.contains(&needle) => {
            text.replace(&needle, "\"diff_ids\":null").into_bytes()
        }
        _ => config.to_vec(),
    }
}

/// The name a normalized image reference is looked up under: the stage name for a
/// stage placeholder, else BuildKit's familiar form without `:latest`.
pub fn context_name(reference: &str) -> Option<String> {
    let parsed = ImageRef::parse_normalized(reference).ok()?;
    if parsed.domain() == STAGE_PLACEHOLDER_DOMAIN {
        let hex = parsed.path().strip_prefix(STAGE_PLACEHOLDER_PATH)?;
        return decode_hex(hex);
    }
    let path = parsed.path();
    let mut name = if parsed.domain() == "docker.io" {
        match path.strip_prefix("library/") {
            Some(rest) if !rest.contains('/') => rest.to_owned(),
            _ => path.to_owned(),
        }
    } else {
        format!("{}/{}", parsed.domain(), path)
    };
    if let Some(tag) = parsed.tag() {
        name.push(':');
        name.push_str(tag);
    }
    if let Some(digest) = parsed.digest() {
        name.push('@');
        name.push_str(digest);
    }
    Some(
        name.strip_suffix(":latest")
            .map(str::to_owned)
            .unwrap_or(name),
    )
}

/// The reference that stands for stage `name` in a rewritten Dockerfile.
pub fn stage_placeholder(name: &str) -> String {
    let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{STAGE_PLACEHOLDER_DOMAIN}/{STAGE_PLACEHOLDER_PATH}{hex}")
}

fn decode_hex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The build's named contexts and what has been loaded of them.
#[derive(Debug)]
pub struct NamedContexts {
    specs: BTreeMap<String, String>,
    input_metadata: BTreeMap<String, String>,
    shared_keys: BTreeMap<String, String>,
    local_session_ids: BTreeMap<String, String>,
    session_id: String,
    resolve_mode: ImageResolveMode,
    caps: Caps,
    inputs: BTreeMap<String, pb::Definition>,
    loaded: Mutex<BTreeMap<(String, String), Arc<LoadedContext>>>,
}

impl NamedContexts {
    /// The named contexts of `options`; `inputs` are the frontend inputs (for `input:`).
    pub fn new(
        options: &FrontendOptions,
        session_id: &str,
        caps: &Caps,
        inputs: BTreeMap<String, pb::Definition>,
    ) -> Self {
        Self {
            specs: options.named_contexts.clone(),
            input_metadata: options.input_metadata.clone(),
            shared_keys: options.shared_keys.clone(),
            local_session_ids: options.local_session_ids.clone(),
            session_id: session_id.to_owned(),
            resolve_mode: options.image_resolve_mode,
            caps: caps.clone(),
            inputs,
            loaded: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether any `context:` option was given.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Whether some `context:` option uses `input:`.
    pub fn uses_inputs(options: &FrontendOptions) -> bool {
        options
            .named_contexts
            .values()
            .any(|v| v.starts_with("input:"))
    }

    /// The option for `name` on `platform`: `NAME::<platform>` first, then `NAME`.
    pub fn find(&self, name: &str, platform: &Platform) -> Option<Spec> {
        if name.eq_ignore_ascii_case("scratch") || name.eq_ignore_ascii_case("context") {
            return None;
        }
        let with_platform = format!("{name}::{}", platform::format(platform));
        [with_platform, name.to_owned()]
            .into_iter()
            .find_map(|key| {
                self.specs.get(&key).map(|value| Spec {
                    key,
                    name: name.to_owned(),
                    value: value.clone(),
                })
            })
    }

    /// Loads `spec` for `platform` (once per build).
    pub async fn load(
        &self,
        bridge: &Bridge,
        spec: &Spec,
        platform: &Platform,
    ) -> Result<Arc<LoadedContext>, BuildError> {
        let cache_key = (spec.key.clone(), platform::format(platform));
        if let Some(found) = self.cached(&cache_key) {
            return Ok(found);
        }
        let loaded = Arc::new(self.load_uncached(bridge, spec, platform).await.map_err(
            |error| {
                BuildError::new(format!(
                    "failed to load named context {} ({}): {}",
                    spec.key,
                    spec.value,
                    error.message()
                ))
                .with_code(error.code())
            },
        )?);
        if let Ok(mut cache) = self.loaded.lock() {
            cache.insert(cache_key, Arc::clone(&loaded));
        }
        Ok(loaded)
    }

    fn cached(&self, key: &(String, String)) -> Option<Arc<LoadedContext>> {
        self.loaded.lock().ok()?.get(key).cloned()
    }

    async fn load_uncached(
        &self,
        bridge: &Bridge,
        spec: &Spec,
        platform: &Platform,
    ) -> Result<LoadedContext, BuildError> {
        let value = spec.value.as_str();
        let Some((kind, rest)) = value.split_once(':') else {
            return Err(BuildError::new(format!(
                "invalid context specifier {value} for {}",
                spec.key
            )));
        };
        let kind = if kind.starts_with("git@") {
            "git"
        } else {
            kind
        };
        match kind {
            "docker-image" => {
                self.image(bridge, spec, rest.trim_start_matches("//"), platform)
                    .await
            }
            "git" => self.git(spec),
            "http" | "https" if crate::options::has_git_suffix(value) => self.git(spec),
            "http" | "https" => {
                let name = format!("[context {}] {value}", spec.key);
                self.filesystem(&remote::http_state(value, &name)?)
            }
            "local" => self.local(bridge, spec, rest).await,
            "input" => self.input(spec, rest),
            "oci-layout" => {
                self.oci_layout(bridge, spec, rest.trim_start_matches("//"), platform)
                    .await
            }
            other => Err(BuildError::new(format!(
                "unsupported context source {other} for {}",
                spec.key
            ))),
        }
    }

    fn filesystem(&self, state: &dfopt_llb::State) -> Result<LoadedContext, BuildError> {
        let definition = state
            .marshal(&self.caps.llb)
            .map_err(|error| BuildError::new(error.to_string()))?;
        Ok(LoadedContext {
            definition,
            config: None,
        })
    }

    async fn image(
        &self,
        bridge: &Bridge,
        spec: &Spec,
        reference: &str,
        platform: &Platform,
    ) -> Result<LoadedContext, BuildError> {
        if reference == "scratch" {
            return Ok(LoadedContext {
                definition: pb::Definition::default(),
                config: None,
            });
        }
        let normalized = ImageRef::parse_normalized(reference)
            .map_err(|error| BuildError::new(error.to_string()))?;
        let log_name = format!("[context {}] load metadata for {reference}", spec.key);
        let resolved = bridge
            .resolve_image_config(
                &normalized.to_string(),
                Some(platform),
                self.resolve_mode,
                &log_name,
            )
            .await
            .map_err(|error| BuildError::new(error.to_string()).with_code(error.code()))?;
        let state = Image::from_ref(normalized)
            .platform(platform.clone())
            .custom_name(format!("[context {}] {reference}", spec.key))
            .build();
        let mut loaded = self.filesystem(&state)?;
        loaded.config = Some(resolved.config);
        Ok(loaded)
    }

    fn git(&self, spec: &Spec) -> Result<LoadedContext, BuildError> {
        let git = GitContext::parse(&spec.value)?;
        let name = format!("[internal] load git source {}", spec.value);
        self.filesystem(&git.state(&name, false, &self.caps)?)
    }

    /// `local:DIR`: the directory's `.dockerignore` is read first (as BuildKit does,
    /// with its own transfer), then the directory is the context, without the ignored
    /// files.
    async fn local(
        &self,
        bridge: &Bridge,
        spec: &Spec,
        dir: &str,
    ) -> Result<LoadedContext, BuildError> {
        let session = self.local_session_ids.get(dir).unwrap_or(&self.session_id);
        let invalid =
            |error: dfopt_llb::Error| BuildError::new(format!("invalid local context: {error}"));
        let mut ignore = Local::new(dir)
            .map_err(invalid)?
            .follow_paths([".dockerignore"])
            .shared_key_hint(format!("context:{}-.dockerignore", spec.key))
            .custom_name(format!("[context {}] load .dockerignore", spec.key));
        if !session.is_empty() {
            ignore = ignore.session(session.clone());
        }
        let definition = ignore
            .build()
            .marshal(&self.caps.llb)
            .map_err(|error| BuildError::new(error.to_string()))?;
        let evaluate = self.caps.gateway_supports(gateway::SOLVE_EVALUATE);
        let reference = bridge
            .solve_with_cache(definition, &[], evaluate)
            .await
            .map_err(|error| BuildError::new(error.to_string()).with_code(error.code()))?;
        let excludes = match bridge.read_file(&reference, ".dockerignore").await {
            Ok(Some(data)) => crate::dockerignore::parse(&data),
            // BuildKit ignores read errors here too.
            Ok(None) | Err(_) => Vec::new(),
        };
        let shared_key = self
            .shared_keys
            .get(&spec.key)
            .map(String::as_str)
            .unwrap_or("");
        let mut local = Local::new(dir)
            .map_err(invalid)?
            .shared_key_hint(format!("context:{}-{shared_key}", spec.key))
            .exclude_patterns(excludes)
            .custom_name(format!("[context {}] load from client", spec.key));
        if !session.is_empty() {
            local = local.session(session.clone());
        }
        self.filesystem(&local.build())
    }

    /// `input:NAME`: a Definition the client attached to the request.
    fn input(&self, spec: &Spec, name: &str) -> Result<LoadedContext, BuildError> {
        let definition = self
            .inputs
            .get(name)
            .cloned()
            .ok_or_else(|| BuildError::new(format!("invalid input {name} for {}", spec.key)))?;
        let config = match self.input_metadata.get(name) {
            Some(json) => input_image_config(json)?,
            None => None,
        };
        Ok(LoadedContext { definition, config })
    }

    /// `oci-layout://STORE[:TAG]@DIGEST`: an image in a layout store of the client.
    async fn oci_layout(
        &self,
        bridge: &Bridge,
        spec: &Spec,
        reference: &str,
        platform: &Platform,
    ) -> Result<LoadedContext, BuildError> {
        if !self.caps.llb.supports_id(SOURCE_OCI_LAYOUT) {
            return Err(BuildError::new(format!(
                "oci-layout contexts need BuildKit v0.11 or later (LLB capability {SOURCE_OCI_LAYOUT}), which this daemon lacks"
            )));
        }
        let (name_and_tag, digest) = reference.split_once('@').ok_or_else(|| {
            BuildError::new(format!("oci-layout reference {reference:?} has no digest"))
        })?;
        let store = strip_tag(name_and_tag);
        if store.is_empty() {
            return Err(BuildError::new(format!(
                "oci-layout reference {reference:?} has no name"
            )));
        }
        let dummy = dummy_reference(&spec.name, digest).map_err(|error| {
            BuildError::new(format!("could not parse oci-layout reference: {error}"))
        })?;
        let log_name = format!("[context {}] load metadata for {dummy}", spec.key);
        let resolved = bridge
            .resolve_oci_layout_config(&dummy, Some(platform), &self.session_id, store, &log_name)
            .await
            .map_err(|error| BuildError::new(error.to_string()).with_code(error.code()))?;
        let definition =
            oci_layout_definition(&dummy, &self.session_id, store, platform, &spec.key)?;
        Ok(LoadedContext {
            definition,
            config: Some(resolved.config),
        })
    }
}

/// `name@digest` as Go's `reference.WithDigest(ParseNormalizedNamed(name), d).String()`
/// prints it: normalized, with the tag only if `name` has one (our normalization
/// would add `:latest`).
fn dummy_reference(name: &str, digest: &str) -> Result<String, dfopt_llb::ReferenceError> {
    let named = ImageRef::parse_normalized(name)?.with_digest(digest)?;
    let has_tag = strip_tag(name) != name;
    Ok(match (has_tag, named.tag()) {
        (true, Some(tag)) => format!("{}:{tag}@{digest}", named.name()),
        _ => format!("{}@{digest}", named.name()),
    })
}

/// `STORE[:TAG]` → `STORE` (a `:` after the last `/` starts the tag).
fn strip_tag(name: &str) -> &str {
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].find(':') {
        Some(colon) => &name[..last_slash + colon],
        None => name,
    }
}

/// The image config in `input-metadata:NAME`: a JSON object of base64 values (Go's
/// `map[string][]byte`), key `containerimage.config`.
fn input_image_config(json: &str) -> Result<Option<Vec<u8>>, BuildError> {
    let fields: BTreeMap<String, String> = serde_json::from_str(json).map_err(|error| {
        BuildError::new(format!("failed to parse input metadata {json}: {error}"))
    })?;
    let Some(encoded) = fields.get(crate::lowering::IMAGE_CONFIG_KEY) else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map(Some)
        .map_err(|error| BuildError::new(format!("failed to parse input metadata: {error}")))
}

/// `llb.OCILayout(ref, OCIStore(session, store), Platform(p))` with its custom name,
/// written out by hand (the LLB builder has no such source): the source op and the
/// terminal op.
fn oci_layout_definition(
    reference: &str,
    session_id: &str,
    store: &str,
    platform: &Platform,
    key: &str,
) -> Result<pb::Definition, BuildError> {
    let mut attrs = BTreeMap::new();
    if !session_id.is_empty() {
        attrs.insert("oci.session".to_owned(), session_id.to_owned());
    }
    attrs.insert("oci.store".to_owned(), store.to_owned());
    let source = pb::Op {
        op: Some(pb::op::Op::Source(pb::SourceOp {
            identifier: format!("oci-layout://{reference}"),
            attrs: attrs.into_iter().collect(),
        })),
        platform: Some(platform::to_pb(platform)),
        constraints: Some(pb::WorkerConstraints::default()),
        ..pb::Op::default()
    };
    let source_bytes = source.encode_to_vec();
    let source_digest = dfopt_llb::digest(&source_bytes);
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest: source_digest.clone(),
            index: 0,
        }],
        ..pb::Op::default()
    };
    let terminal_bytes = terminal.encode_to_vec();
    let mut metadata = BTreeMap::new();
    metadata.insert(
        source_digest,
        pb::OpMetadata {
            description: [(
                dfopt_llb::CUSTOM_NAME_KEY.to_owned(),
                format!("[context {key}] OCI load from client"),
            )]
            .into_iter()
            .collect(),
            caps: [(SOURCE_OCI_LAYOUT.to_owned(), true)].into_iter().collect(),
            ..pb::OpMetadata::default()
        },
    );
    metadata.insert(
        dfopt_llb::digest(&terminal_bytes),
        pb::OpMetadata {
            caps: [
                ("constraints".to_owned(), true),
                ("platform".to_owned(), true),
                ("meta.description".to_owned(), true),
            ]
            .into_iter()
            .collect(),
            ..pb::OpMetadata::default()
        },
    );
    Ok(pb::Definition {
        def: vec![source_bytes, terminal_bytes],
        metadata,
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn familiar_names() {
        assert_eq!(
            context_name("docker.io/library/alpine:latest").as_deref(),
            Some("alpine")
        );
        assert_eq!(
            context_name("docker.io/library/alpine:3.18").as_deref(),
            Some("alpine:3.18")
        );
        assert_eq!(
            context_name("docker.io/foo/bar:latest").as_deref(),
            Some("foo/bar")
        );
        assert_eq!(
            context_name("ghcr.io/a/b:1").as_deref(),
            Some("ghcr.io/a/b:1")
        );
        assert_eq!(
            context_name("docker.io/library/base:latest").as_deref(),
            Some("base")
        );
        assert_eq!(context_name("Not A Ref"), None);
    }

    #[test]
    fn stage_placeholders_round_trip() {
        let placeholder = stage_placeholder("build.stage-1_x");
        assert!(placeholder.starts_with("dfopt.invalid/stage/"));
        let normalized = ImageRef::parse_normalized(&placeholder)
            .expect("valid reference")
            .to_string();
        assert_eq!(
            context_name(&normalized).as_deref(),
            Some("build.stage-1_x")
        );
    }

    fn contexts(specs: &[(&str, &str)]) -> NamedContexts {
        let mut options = FrontendOptions::default();
        for (key, value) in specs {
            options
                .named_contexts
                .insert((*key).to_owned(), (*value).to_owned());
        }
        let caps = Caps {
            gateway: dfopt_llb::CapSet::from_iter(["solve.base"]),
            llb: dfopt_llb::CapSet::buildkit_v0_8(),
        };
        NamedContexts::new(&options, "sid", &caps, BTreeMap::new())
    }

    #[test]
    fn lookup_prefers_the_platform_key() {
        let named = contexts(&[
            ("base", "docker-image://a"),
            ("base::linux/arm64", "docker-image://b"),
        ]);
        let arm = Platform::new("linux", "arm64");
        let amd = Platform::new("linux", "amd64");
        assert_eq!(
            named.find("base", &arm).map(|s| s.value),
            Some("docker-image://b".to_owned())
        );
        assert_eq!(
            named.find("base", &amd).map(|s| s.key),
            Some("base".to_owned())
        );
        assert_eq!(named.find("other", &amd), None);
        let reserved = contexts(&[("scratch", "docker-image://a"), ("context", "local:x")]);
        assert_eq!(reserved.find("scratch", &amd), None);
        assert_eq!(reserved.find("Context", &amd), None);
    }

    #[test]
    fn lowering_configs() {
        let platform = Platform::new("linux", "arm64");
        let filesystem = LoadedContext {
            definition: pb::Definition {
                def: vec![vec![1]],
                ..pb::Definition::default()
            },
            config: None,
        };
        let config: serde_json::Value =
            serde_json::from_slice(&filesystem.config_for_lowering(&platform).expect("config"))
                .expect("json");
        assert_eq!(config["architecture"], "arm64");
        assert_eq!(config["rootfs"]["diff_ids"][0], PLACEHOLDER_LAYER);
        assert_eq!(config["config"]["WorkingDir"], "/");
        let scratch = LoadedContext {
            definition: pb::Definition::default(),
            config: None,
        };
        let config: serde_json::Value =
            serde_json::from_slice(&scratch.config_for_lowering(&platform).expect("config"))
                .expect("json");
        assert!(config["rootfs"]["diff_ids"].is_null());
        let image = LoadedContext {
            definition: filesystem.definition.clone(),
            config: Some(br#"{"rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#.to_vec()),
        };
        assert_eq!(
            image.config_for_lowering(&platform).expect("config"),
            image.config.clone().expect("config")
        );
        let broken = LoadedContext {
            definition: pb::Definition::default(),
            config: Some(b"{".to_vec()),
        };
        assert!(broken.config_for_lowering(&platform).is_err());
    }

    #[test]
    fn scrubbing_the_placeholder_layer() {
        let with = format!(
            r#"{{"os":"linux","rootfs":{{"type":"layers","diff_ids":["{PLACEHOLDER_LAYER}"]}}}}"#
        );
        assert_eq!(
            String::from_utf8(scrub_placeholder_layer(with.as_bytes())).expect("utf8"),
            r#"{"os":"linux","rootfs":{"type":"layers","diff_ids":null}}"#
        );
        let other = br#"{"rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#;
        assert_eq!(scrub_placeholder_layer(other), other.to_vec());
    }

    #[test]
    fn input_metadata_config() {
        let json = r#"{"containerimage.config":"eyJvcyI6ImxpbnV4In0="}"#;
        assert_eq!(
            input_image_config(json).expect("parse"),
            Some(br#"{"os":"linux"}"#.to_vec())
        );
        assert_eq!(input_image_config("{}").expect("parse"), None);
        assert!(input_image_config("[").is_err());
        assert!(input_image_config(r#"{"containerimage.config":"%%%"}"#).is_err());
    }

    #[test]
    fn oci_reference_parts() {
        assert_eq!(strip_tag("store:tag"), "store");
        assert_eq!(strip_tag("localhost:5000/store"), "localhost:5000/store");
        assert_eq!(strip_tag("a/b:c"), "a/b");
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            dummy_reference("base", &digest).expect("ref"),
            format!("docker.io/library/base@{digest}")
        );
        assert_eq!(
            dummy_reference("ghcr.io/a/b:1", &digest).expect("ref"),
            format!("ghcr.io/a/b:1@{digest}")
        );
        assert!(dummy_reference("base", "sha256:short").is_err());
    }

    #[test]
    fn oci_source_op() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let definition = oci_layout_definition(
            &format!("docker.io/library/base@{digest}"),
            "sid",
            "store",
            &Platform::new("linux", "amd64"),
            "base",
        )
        .expect("definition");
        assert!(
            dfopt_llb::validate(&definition).is_ok(),
            "{:?}",
            dfopt_llb::validate(&definition)
        );
        let op = pb::Op::decode(definition.def[0].as_slice()).expect("op");
        let Some(pb::op::Op::Source(source)) = op.op else {
            panic!("source op")
        };
        assert_eq!(
            source.identifier,
            format!("oci-layout://docker.io/library/base@{digest}")
        );
        assert_eq!(
            source.attrs.get("oci.store").map(String::as_str),
            Some("store")
        );
    }
}
