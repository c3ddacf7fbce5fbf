//! What the daemon tells the frontend through its environment.
//!
//! BuildKit starts the frontend with one `BUILDKIT_FRONTEND_OPT_<n>=<key>=<value>`
//! variable per build option (n in random order), plus `BUILDKIT_SESSION_ID`,
//! `BUILDKIT_WORKERS` and `BUILDKIT_EXPORTEDPRODUCT`. [`FrontendEnv::from_vars`] turns a
//! list of variables into typed values; it is a pure function so that every option can
//! be tested without a process environment.
//!
//! Bad values are errors (returned to the user through `Return`), never silently
//! ignored: a build that quietly drops `--platform` or `--add-host` is worse than one
//! that fails with `invalid image-resolve-mode "x"`. Keys this frontend does not know
//! are kept in [`FrontendOptions::unknown`].

mod values;

use std::collections::BTreeMap;

use dfopt_llb::Platform;
use serde::Deserialize;

use crate::platform::{self, OciPlatform};

pub use values::{CacheImport, HostIp, Ulimit};

/// Prefix of the variables that carry build options.
pub const OPTION_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";

/// An option (or environment variable) with a value the frontend cannot accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OptionsError {
    message: String,
}

impl OptionsError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Everything the daemon passes through the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontendEnv {
    /// The build options.
    pub options: FrontendOptions,
    /// `BUILDKIT_SESSION_ID`: the client session that exposes the `context` and
    /// `dockerfile` directories; goes into `local.session` of local sources.
    pub session_id: String,
    /// `BUILDKIT_WORKERS`.
    pub workers: Vec<WorkerInfo>,
    /// `BUILDKIT_EXPORTEDPRODUCT` (empty when unset): the product name BuildKit uses in
    /// capability error messages (e.g. "Docker").
    pub product: String,
    /// The platform RUN steps execute on by default: the first worker's first platform,
    /// or this binary's own platform when the daemon lists none (as BuildKit does).
    pub build_platform: Platform,
}

/// One worker of the daemon (`gwclient.WorkerInfo`, Go field names in JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WorkerInfo {
    /// Worker id.
    #[serde(rename = "ID", default)]
    pub id: String,
    /// Worker labels (`org.mobyproject.buildkit.worker.*`).
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Platforms the worker can execute.
    #[serde(rename = "Platforms", default)]
    pub platforms: Option<Vec<OciPlatform>>,
}

/// `no-cache`: which stages must not reuse cached results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NoCache {
    /// Option absent: use the cache.
    #[default]
    Off,
    /// `no-cache=""` (`docker build --no-cache`): every stage.
    AllStages,
    /// `no-cache=a,b` (`buildx --no-cache-filter`): these stages.
    Stages(Vec<String>),
}

/// `image-resolve-mode`: how `FROM` images are resolved (also the `ResolveMode` of
/// `ResolveImageConfig` and the `image.resolvemode` attribute).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImageResolveMode {
    /// `default` (Docker 20.10: prefer the local image store).
    #[default]
    Default,
    /// `pull` (`--pull`): always ask the registry.
    Pull,
    /// `local`: prefer the local store.
    Local,
}

impl ImageResolveMode {
    /// The wire spelling (`default`, `pull`, `local`).
    pub fn as_str(self) -> &'static str {
        match self {
            ImageResolveMode::Default => "default",
            ImageResolveMode::Pull => "pull",
            ImageResolveMode::Local => "local",
        }
    }
}

/// `force-network-mode`: the network RUN steps get unless `RUN --network` says
/// otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NetworkMode {
    /// The default sandbox network.
    #[default]
    Sandbox,
    /// `--network host` (needs the `network.host` entitlement).
    Host,
    /// `--network none`.
    None,
}

/// A capability the client asks the frontend for (`frontend.caps`, `name[+forward]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedCap {
    /// e.g. `moby.buildkit.frontend.contexts`.
    pub name: String,
    /// `+forward`: the client tolerates the cap being missing if the request is
    /// forwarded to another frontend (which this frontend never does).
    pub forward: bool,
}

/// A remote build context (`context` option): the Dockerfile and context come from a
/// git repository or an HTTP(S) URL instead of the client's directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteContext {
    /// `git://…`, `github.com/…`, `git@…`, or `http(s)://….git[#…]`.
    Git(String),
    /// `http(s)://…` (a tarball or a single Dockerfile; Docker's `-` stdin tarball is
    /// `http://build-context-<id>`).
    Http(String),
}

/// `LinuxResources` options (BuildKit v0.11+; Docker 20.10 never sends them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceLimits {
    /// `memory` (bytes, > 0).
    pub memory: Option<i64>,
    /// `memswap` (bytes, -1 = unlimited).
    pub memory_swap: Option<i64>,
    /// `cpushares`.
    pub cpu_shares: Option<u64>,
    /// `cpuperiod`.
    pub cpu_period: Option<u64>,
    /// `cpuquota`.
    pub cpu_quota: Option<i64>,
    /// `cpusetcpus` (`0-3,5`).
    pub cpuset_cpus: Option<String>,
    /// `cpusetmems`.
    pub cpuset_mems: Option<String>,
}

impl ResourceLimits {
    /// Whether no limit is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The build options (keys of the frontend options map), typed.
///
/// Field docs name the option key. Absent options have the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontendOptions {
    /// Every option exactly as received (later duplicates win).
    pub raw: BTreeMap<String, String>,
    /// `target`: the stage to build (None = last stage).
    pub target: Option<String>,
    /// `filename`: the Dockerfile path inside the `dockerfile` local (default `Dockerfile`).
    pub filename: String,
    /// `build-arg:NAME` (includes the `BUILDKIT_*` control args).
    pub build_args: BTreeMap<String, String>,
    /// `label:KEY`: extra image labels.
    pub labels: BTreeMap<String, String>,
    /// `platform`: target platforms, normalized; empty = the default platform.
    pub platforms: Vec<Platform>,
    /// `multi-platform` (or HEAD's `build-arg:BUILDKIT_MULTI_PLATFORM`) as given.
    pub multi_platform: Option<bool>,
    /// `no-cache`.
    pub no_cache: NoCache,
    /// `image-resolve-mode`.
    pub image_resolve_mode: ImageResolveMode,
    /// `force-network-mode`.
    pub network_mode: NetworkMode,
    /// `add-hosts`.
    pub extra_hosts: Vec<HostIp>,
    /// `hostname` (or HEAD's `build-arg:BUILDKIT_SANDBOX_HOSTNAME`).
    pub hostname: Option<String>,
    /// `cache-imports` (JSON) followed by `cache-from` (CSV of registry refs).
    pub cache_imports: Vec<CacheImport>,
    /// The option named by `contextkey` (normally `context`) when it names a remote
    /// context; a local directory context has no such option.
    pub remote_context: Option<RemoteContext>,
    /// `contextkey`: the local name of the build context (default `context`).
    pub context_key: String,
    /// `dockerfilekey`: the local name of the Dockerfile directory (default `dockerfile`).
    pub dockerfile_key: String,
    /// Whether `dockerfilekey` was given (it also forces a local Dockerfile with a
    /// remote context).
    pub force_local_dockerfile: bool,
    /// `contextsubdir`: use only this subdirectory of the context.
    pub context_subdir: Option<String>,
    /// `build-arg:BUILDKIT_CACHE_MOUNT_NS`: namespace for cache-mount ids.
    pub cache_mount_namespace: Option<String>,
    /// `build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR`.
    pub context_keep_git_dir: bool,
    /// `cmdline`: the full `# syntax=` value, set by the forwarding frontend.
    pub cmdline: Option<String>,
    /// `source`: the frontend image, set by the forwarding frontend.
    pub source: Option<String>,
    /// `frontend.caps`.
    pub frontend_caps: Vec<RequestedCap>,
    /// `requestid`: a subrequest (e.g. `frontend.subrequests.describe`) instead of a build.
    pub request_id: Option<String>,
    /// `shm-size` (bytes; BuildKit v0.10+).
    pub shm_size: Option<i64>,
    /// `ulimit` (BuildKit v0.10+).
    pub ulimits: Vec<Ulimit>,
    /// `cgroup-parent` (BuildKit v0.10+).
    pub cgroup_parent: Option<String>,
    /// `memory`, `memswap`, `cpu*` (BuildKit v0.11+).
    pub resources: ResourceLimits,
    /// `context:NAME`: named contexts (BuildKit v0.10+).
    pub named_contexts: BTreeMap<String, String>,
    /// `input-metadata:NAME`.
    pub input_metadata: BTreeMap<String, String>,
    /// `sharedkey:localdir:NAME`: the shared-key suffix of a `local:` named context.
    pub shared_keys: BTreeMap<String, String>,
    /// `local-sessionid:NAME`: per-local session id overrides.
    pub local_session_ids: BTreeMap<String, String>,
    /// `attest:TYPE` (BuildKit v0.11+).
    pub attests: BTreeMap<String, String>,
    /// `override-copy-image` (legacy, pre-FileOp).
    pub override_copy_image: Option<String>,
    /// Keys not listed above.
    pub unknown: BTreeMap<String, String>,
}

impl Default for FrontendOptions {
    fn default() -> Self {
        Self {
            raw: BTreeMap::new(),
            target: None,
            filename: DEFAULT_FILENAME.to_owned(),
            build_args: BTreeMap::new(),
            labels: BTreeMap::new(),
            platforms: Vec::new(),
            multi_platform: None,
            no_cache: NoCache::Off,
            image_resolve_mode: ImageResolveMode::Default,
            network_mode: NetworkMode::Sandbox,
            extra_hosts: Vec::new(),
            hostname: None,
            cache_imports: Vec::new(),
            remote_context: None,
            context_key: DEFAULT_CONTEXT_KEY.to_owned(),
            dockerfile_key: DEFAULT_DOCKERFILE_KEY.to_owned(),
            force_local_dockerfile: false,
            context_subdir: None,
            cache_mount_namespace: None,
            context_keep_git_dir: false,
            cmdline: None,
            source: None,
            frontend_caps: Vec::new(),
            request_id: None,
            shm_size: None,
            ulimits: Vec::new(),
            cgroup_parent: None,
            resources: ResourceLimits::default(),
            named_contexts: BTreeMap::new(),
            input_metadata: BTreeMap::new(),
            shared_keys: BTreeMap::new(),
            local_session_ids: BTreeMap::new(),
            attests: BTreeMap::new(),
            override_copy_image: None,
            unknown: BTreeMap::new(),
        }
    }
}

/// Default `filename`.
pub const DEFAULT_FILENAME: &str = "Dockerfile";
/// Default `contextkey`.
pub const DEFAULT_CONTEXT_KEY: &str = "context";
/// Default `dockerfilekey`.
pub const DEFAULT_DOCKERFILE_KEY: &str = "dockerfile";

impl FrontendOptions {
    /// Whether the result is a per-platform map (`refs` + `refs.platforms`) rather than
    /// a single ref: more than one target platform, or `multi-platform=true`.
    pub fn is_multi_platform(&self) -> bool {
        self.multi_platform.unwrap_or(self.platforms.len() > 1)
    }

    /// Parses the whole option map (`key → value`).
    fn from_map(raw: BTreeMap<String, String>) -> Result<Self, OptionsError> {
        let mut options = FrontendOptions {
            raw: raw.clone(),
            ..FrontendOptions::default()
        };
        for (key, value) in &raw {
            options.apply(key, value)?;
        }
        options.finish()?;
        Ok(options)
    }

    /// Parses one option into its field.
    fn apply(&mut self, key: &str, value: &str) -> Result<(), OptionsError> {
        let invalid =
            |reason: String| OptionsError::new(format!("invalid {key} {value:?}: {reason}"));
        if let Some(name) = key.strip_prefix("build-arg:") {
            self.build_args.insert(name.to_owned(), value.to_owned());
            return Ok(());
        }
        if let Some(name) = key.strip_prefix("label:") {
            self.labels.insert(name.to_owned(), value.to_owned());
            return Ok(());
        }
        let prefixed: [(&str, &mut BTreeMap<String, String>); 5] = [
            ("context:", &mut self.named_contexts),
            ("input-metadata:", &mut self.input_metadata),
            ("sharedkey:localdir:", &mut self.shared_keys),
            ("local-sessionid:", &mut self.local_session_ids),
            ("attest:", &mut self.attests),
        ];
        for (prefix, map) in prefixed {
            if let Some(name) = key.strip_prefix(prefix) {
                map.insert(name.to_owned(), value.to_owned());
                return Ok(());
            }
        }
        let non_empty = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        match key {
            "target" => self.target = non_empty(value),
            "filename" => {
                if !value.is_empty() {
                    self.filename = value.to_owned();
                }
            }
            "platform" => {
                if !value.is_empty() {
                    self.platforms = platform::parse_list(value).map_err(|(item, error)| {
                        OptionsError::new(format!(
                            "failed to parse target platform {item}: {error}"
                        ))
                    })?;
                }
            }
            "multi-platform" => self.multi_platform = parse_bool(key, value)?,
            "no-cache" => {
                self.no_cache = if value.is_empty() {
                    NoCache::AllStages
                } else {
                    NoCache::Stages(value.split(',').map(str::to_owned).collect())
                }
            }
            "image-resolve-mode" => {
                self.image_resolve_mode = match value {
                    "" | "default" => ImageResolveMode::Default,
                    "pull" => ImageResolveMode::Pull,
                    "local" => ImageResolveMode::Local,
                    _ => {
                        return Err(OptionsError::new(format!(
                            "invalid image-resolve-mode {value:?} (want default, pull or local)"
                        )))
                    }
                }
            }
            "force-network-mode" => {
                self.network_mode = match value {
                    "" | "sandbox" => NetworkMode::Sandbox,
                    "host" => NetworkMode::Host,
                    "none" => NetworkMode::None,
                    _ => {
                        return Err(OptionsError::new(format!(
                            "invalid force-network-mode {value:?} (want sandbox, host or none)"
                        )))
                    }
                }
            }
            "add-hosts" => {
                self.extra_hosts = values::extra_hosts(value).map_err(|reason| {
                    OptionsError::new(format!("failed to parse additional hosts: {reason}"))
                })?
            }
            "hostname" => self.hostname = non_empty(value),
            "cache-imports" | "cache-from" => {} // combined in `finish`, in BuildKit's order
            // Read in `finish` under the `contextkey` name, as BuildKit does.
            "context" => {}
            "contextkey" => self.context_key = value.to_owned(),
            "dockerfilekey" => {
                self.dockerfile_key = value.to_owned();
                self.force_local_dockerfile = true;
            }
            "contextsubdir" => self.context_subdir = Some(value.to_owned()),
            "cmdline" => self.cmdline = Some(value.to_owned()),
            "source" => self.source = Some(value.to_owned()),
            "frontend.caps" => self.frontend_caps = requested_caps(value),
            "requestid" => self.request_id = Some(value.to_owned()),
            "shm-size" => {
                if !value.is_empty() {
                    self.shm_size = Some(values::int64(value).map_err(invalid)?);
                }
            }
            "ulimit" => self.ulimits = values::ulimits(value).map_err(invalid)?,
            "cgroup-parent" => self.cgroup_parent = non_empty(value),
            "memory" | "memswap" | "cpushares" | "cpuperiod" | "cpuquota" | "cpusetcpus"
            | "cpusetmems" => self.apply_resource(key, value).map_err(invalid)?,
            "override-copy-image" => self.override_copy_image = non_empty(value),
            _ => {
                self.unknown.insert(key.to_owned(), value.to_owned());
            }
        }
        Ok(())
    }

    /// `parseLinuxResources`; an empty value means "not set".
    fn apply_resource(&mut self, key: &str, value: &str) -> Result<(), String> {
        if value.is_empty() {
            return Ok(());
        }
        let limits = &mut self.resources;
        match key {
            "memory" => {
                let n = values::int64(value)?;
                if n <= 0 {
                    return Err("must be > 0".to_owned());
                }
                limits.memory = Some(n);
            }
            "memswap" => {
                let n = values::int64(value)?;
                if n < -1 || n == 0 {
                    return Err("must be -1 (unlimited) or > 0".to_owned());
                }
                limits.memory_swap = Some(n);
            }
            "cpushares" | "cpuperiod" => {
                let n = values::uint64(value)?;
                if n == 0 {
                    return Err("must be > 0".to_owned());
                }
                if key == "cpushares" {
                    limits.cpu_shares = Some(n);
                } else {
                    limits.cpu_period = Some(n);
                }
            }
            "cpuquota" => {
                let n = values::int64(value)?;
                if n <= 0 {
                    return Err("must be > 0".to_owned());
                }
                limits.cpu_quota = Some(n);
            }
            _ => {
                values::cpuset(value)?;
                if key == "cpusetcpus" {
                    limits.cpuset_cpus = Some(value.to_owned());
                } else {
                    limits.cpuset_mems = Some(value.to_owned());
                }
            }
        }
        Ok(())
    }

    /// Options that depend on more than one key.
    fn finish(&mut self) -> Result<(), OptionsError> {
        if let Some(value) = self
            .build_args
            .get("BUILDKIT_MULTI_PLATFORM")
            .filter(|v| !v.is_empty())
        {
            self.multi_platform = parse_bool("build-arg:BUILDKIT_MULTI_PLATFORM", value)?;
        }
        if self.multi_platform == Some(false) && self.platforms.len() > 1 {
            return Err(OptionsError::new(
                "conflicting options: multi-platform=false with more than one target platform",
            ));
        }
        if let Some(hostname) = self
            .build_args
            .get("BUILDKIT_SANDBOX_HOSTNAME")
            .filter(|v| !v.is_empty())
        {
            self.hostname = Some(hostname.clone());
        }
        self.cache_mount_namespace = self
            .build_args
            .get("BUILDKIT_CACHE_MOUNT_NS")
            .filter(|v| !v.is_empty())
            .cloned();
        if let Some(value) = self.build_args.get("BUILDKIT_CONTEXT_KEEP_GIT_DIR") {
            // BuildKit ignores a value that is not a boolean.
            self.context_keep_git_dir = values::go_bool(value).unwrap_or(false);
        }
        // BuildKit looks the remote context up under the context's local name
        // (`opts[contextkey]`), which is `context` unless renamed.
        self.remote_context = self
            .raw
            .get(&self.context_key)
            .and_then(|value| remote_context(value));
        let mut cache_imports = Vec::new();
        if let Some(json) = self.raw.get("cache-imports").filter(|v| !v.is_empty()) {
            cache_imports = values::cache_imports(json).map_err(|reason| {
                OptionsError::new(format!("failed to parse cache-imports {json:?}: {reason}"))
            })?;
        }
        if let Some(list) = self.raw.get("cache-from") {
            cache_imports.extend(values::cache_from(list));
        }
        self.cache_imports = cache_imports;
        Ok(())
    }
}

fn parse_bool(key: &str, value: &str) -> Result<Option<bool>, OptionsError> {
    if value.is_empty() {
        return Ok(None);
    }
    values::go_bool(value)
        .map(Some)
        .ok_or_else(|| OptionsError::new(format!("invalid boolean value for {key}: {value:?}")))
}

/// BuildKit v0.8.3's remote-context detection (`detectGitContext`, `httpPrefix`), which
/// is what Docker 20.10's daemon applies before forwarding to us: git when the value is
/// an http(s) URL matching `\.git(#.+)?$` or starts with `git://`, `github.com/` or
/// `git@`; otherwise HTTP when it starts with `http://` or `https://`.
fn remote_context(value: &str) -> Option<RemoteContext> {
    let is_http = value.starts_with("http://") || value.starts_with("https://");
    let git_prefix = ["git://", "github.com/", "git@"]
        .iter()
        .any(|p| value.starts_with(p));
    if (is_http && has_git_suffix(value)) || git_prefix {
        return Some(RemoteContext::Git(value.to_owned()));
    }
    is_http.then(|| RemoteContext::Http(value.to_owned()))
}

/// Whether `value` matches the regular expression `\.git(?:#.+)?$`: it ends with
/// `.git`, or has `.git#` followed by at least one character somewhere.
pub(crate) fn has_git_suffix(value: &str) -> bool {
    value.ends_with(".git")
        || value
            .match_indices(".git#")
            .any(|(at, matched)| value.len() > at + matched.len())
}

fn requested_caps(value: &str) -> Vec<RequestedCap> {
    value
        .split(',')
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('+') {
            Some((name, suffix)) => RequestedCap {
                name: name.to_owned(),
                forward: suffix.contains("forward"),
            },
            None => RequestedCap {
                name: item.to_owned(),
                forward: false,
            },
        })
        .collect()
}

impl FrontendEnv {
    /// Reads the frontend's environment from `(name, value)` pairs (e.g. `std::env::vars`).
    pub fn from_vars<I>(vars: I) -> Result<Self, OptionsError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut raw = BTreeMap::new();
        let mut session_id = String::new();
        let mut workers_json = None;
        let mut product = String::new();
        for (name, value) in vars {
            if name.starts_with(OPTION_PREFIX) {
                // `key=value`, split on the first `=`; a bare `key` has an empty value.
                let (key, value) = value.split_once('=').unwrap_or((value.as_str(), ""));
                raw.insert(key.to_owned(), value.to_owned());
                continue;
            }
            match name.as_str() {
                "BUILDKIT_SESSION_ID" => session_id = value,
                "BUILDKIT_WORKERS" => workers_json = Some(value),
                "BUILDKIT_EXPORTEDPRODUCT" => product = value,
                _ => {}
            }
        }
        let workers = match workers_json.as_deref() {
            None | Some("") => Vec::new(),
            Some(json) => parse_workers(json)?,
        };
        let build_platform = workers
            .first()
            .and_then(|worker| worker.platforms.as_ref()?.first())
            .map(|oci| platform::normalize(&oci.to_platform()))
            .unwrap_or_else(platform::host);
        Ok(Self {
            options: FrontendOptions::from_map(raw)?,
            session_id,
            workers,
            product,
            build_platform,
        })
    }
}

fn parse_workers(json: &str) -> Result<Vec<WorkerInfo>, OptionsError> {
    let workers: Option<Vec<WorkerInfo>> = serde_json::from_str(json).map_err(|error| {
        OptionsError::new(format!("invalid BUILDKIT_WORKERS {json:?}: {error}"))
    })?;
    Ok(workers.unwrap_or_default())
}

#[cfg(test)]
mod tests;
