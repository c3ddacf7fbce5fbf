//! [`Bridge`]: the LLBBridge calls a Dockerfile frontend needs, with the rules that
//! keep them safe.
//!
//! * Every call has a timeout ([`Timeouts`]): a daemon that stops answering must not
//!   leave the build hanging forever.
//! * Every request is size-checked before it is sent: a v0.8 daemon (Docker 20.10)
//!   rejects messages over 4 MiB with an opaque `ResourceExhausted`, so we refuse first
//!   with a message that says what was too big.
//! * `Solve` always sets `allowResultReturn` and `allowResultArrayRef` (otherwise the
//!   daemon answers in the deprecated string-ref form).
//! * `Return` always carries exactly one of `result`/`error`: a v0.8.3 daemon
//!   dereferences `result` without a nil check and panics on an empty `ReturnRequest`.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    llb_bridge_client::LlbBridgeClient, result, CacheOptionsEntry, FileRange, InputsRequest,
    PingRequest, ReadDirRequest, ReadFileRequest, Ref, RefMap, RefMapDeprecated,
    ResolveImageConfigRequest, Result as PbResult, ReturnRequest, SolveRequest, WarnRequest,
};
use dfopt_llb::{pb, Platform};
use prost::Message;
use tonic::transport::Channel;
use tonic::Code;

use crate::caps::{gateway, Caps};
use crate::options::{CacheImport, ImageResolveMode};
use crate::platform;

/// The most a v0.8 daemon accepts in one message (grpc-go's default receive limit).
/// BuildKit v0.11+ accepts 16 MiB, but we cannot tell the versions apart reliably.
pub const V0_8_MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;

/// `ResolveImageConfigRequest.ResolverType` of an OCI layout store
/// (`sourceresolver.ResolverTypeOCILayout`; 0 is the registry).
const OCI_LAYOUT_RESOLVER: i32 = 1;

/// The most we accept from the daemon (`ReadFile` can return large files).
pub const DEFAULT_MAX_RECEIVE_SIZE: usize = 64 * 1024 * 1024;

/// How long each kind of call may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// `Ping` (BuildKit's own client uses 15 s).
    pub ping: Duration,
    /// `Solve` (lazy for a Definition, so normally instant).
    pub solve: Duration,
    /// `Solve` with `Evaluate`: runs the whole build, so it is bounded only by a
    /// day (the daemon and the client stay in control of cancellation).
    pub evaluate: Duration,
    /// `ReadFile` (transfers the file from the client first).
    pub read_file: Duration,
    /// `ResolveImageConfig` (may contact a registry).
    pub resolve_image_config: Duration,
    /// `Return`.
    pub return_result: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            ping: Duration::from_secs(15),
            solve: Duration::from_secs(600),
            evaluate: Duration::from_secs(24 * 3600),
            read_file: Duration::from_secs(600),
            resolve_image_config: Duration::from_secs(600),
            return_result: Duration::from_secs(60),
        }
    }
}

impl Timeouts {
    /// The same timeout for every call (for tests).
    pub fn all(timeout: Duration) -> Self {
        Self {
            ping: timeout,
            solve: timeout,
            evaluate: timeout,
            read_file: timeout,
            resolve_image_config: timeout,
            return_result: timeout,
        }
    }
}

/// Limits of a [`Bridge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeConfig {
    /// Per-call timeouts.
    pub timeouts: Timeouts,
    /// Largest request we send (default: [`V0_8_MAX_MESSAGE_SIZE`]).
    pub max_send_size: usize,
    /// Largest response we accept (default: [`DEFAULT_MAX_RECEIVE_SIZE`]).
    pub max_receive_size: usize,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            timeouts: Timeouts::default(),
            max_send_size: V0_8_MAX_MESSAGE_SIZE,
            max_receive_size: DEFAULT_MAX_RECEIVE_SIZE,
        }
    }
}

/// A failed LLBBridge call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BridgeError {
    /// The daemon did not answer in time.
    #[error("{rpc} timed out after {after:?}: the BuildKit daemon did not answer")]
    Timeout {
        /// The RPC name.
        rpc: &'static str,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The daemon answered with an error status.
    #[error("{message}")]
    Status {
        /// The RPC name.
        rpc: &'static str,
        /// The gRPC code.
        code: Code,
        /// The daemon's message.
        message: String,
        /// The digest of the vertex that failed, from an `errdefs.Vertex` detail.
        vertex: Option<String>,
    },
    /// The request is larger than the daemon accepts; it was not sent.
    #[error("{rpc} request is {size} bytes, more than the {limit} bytes the BuildKit daemon accepts in one message (Docker 20.10 / BuildKit v0.8 allow 4 MiB)")]
    TooLarge {
        /// The RPC name.
        rpc: &'static str,
        /// Encoded size of the request.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The daemon's answer made no sense.
    #[error("{rpc}: unexpected answer from the BuildKit daemon: {detail}")]
    Protocol {
        /// The RPC name.
        rpc: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl BridgeError {
    /// The gRPC code to report this failure with.
    pub fn code(&self) -> Code {
        match self {
            BridgeError::Timeout { .. } => Code::DeadlineExceeded,
            BridgeError::Status { code, .. } => *code,
            BridgeError::TooLarge { .. } => Code::ResourceExhausted,
            BridgeError::Protocol { .. } => Code::Internal,
        }
    }

    /// Whether the connection itself looks broken (no point in calling again).
    pub fn is_transport_failure(&self) -> bool {
        match self {
            BridgeError::Timeout { .. } => true,
            BridgeError::Status { code, .. } => matches!(code, Code::Unavailable | Code::Cancelled),
            BridgeError::TooLarge { .. } | BridgeError::Protocol { .. } => false,
        }
    }
}

/// An image's configuration as `ResolveImageConfig` returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedImage {
    /// Manifest digest; `None` when the daemon resolved from Docker's local image store
    /// (which reports no digest).
    pub digest: Option<String>,
    /// The image config JSON.
    pub config: Vec<u8>,
}

/// The refs a build result consists of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultRefs {
    /// One filesystem (`""` = empty).
    Single(String),
    /// One filesystem per platform id (`linux/amd64` → ref id).
    PerPlatform(BTreeMap<String, String>),
}

/// A connection to the daemon's LLBBridge service. Cheap to clone; clones share the
/// HTTP/2 connection and may be used concurrently.
#[derive(Debug, Clone)]
pub struct Bridge {
    client: LlbBridgeClient<Channel>,
    config: Arc<BridgeConfig>,
    caps: Option<Caps>,
    waiting: Arc<DaemonWait>,
}

/// How long the frontend has waited for the daemon: the union of the intervals in
/// which at least one call was in flight (concurrent calls count once), so that a
/// build's wall time minus this is the frontend's own work.
#[derive(Debug, Default)]
struct DaemonWait {
    state: std::sync::Mutex<WaitState>,
}

#[derive(Debug, Default)]
struct WaitState {
    in_flight: usize,
    since: Option<std::time::Instant>,
    total: Duration,
}

impl DaemonWait {
    fn enter(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.in_flight == 0 {
            state.since = Some(std::time::Instant::now());
        }
        state.in_flight += 1;
    }

    fn leave(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            if let Some(since) = state.since.take() {
                state.total += since.elapsed();
            }
        }
    }

    fn total(&self) -> Duration {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.total + state.since.map_or(Duration::ZERO, |since| since.elapsed())
    }
}

/// Marks one call in flight for as long as it lives (also when its future is dropped).
struct WaitGuard<'a>(&'a DaemonWait);

impl<'a> WaitGuard<'a> {
    fn new(wait: &'a DaemonWait) -> Self {
        wait.enter();
        Self(wait)
    }
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

impl Bridge {
    /// A bridge over an established channel (see [`crate::stdio::connect`]).
    pub fn new(channel: Channel, config: BridgeConfig) -> Self {
        let client = LlbBridgeClient::new(channel)
            .max_decoding_message_size(config.max_receive_size)
            .max_encoding_message_size(config.max_send_size);
        Self {
            client,
            config: Arc::new(config),
            caps: None,
            waiting: Arc::default(),
        }
    }

    /// How long this bridge and its clones have waited for the daemon so far, calls
    /// in flight at the same time counted once.
    pub fn daemon_wait(&self) -> Duration {
        self.waiting.total()
    }

    /// The caps from the last successful [`Bridge::ping`] (inherited by clones).
    pub fn caps(&self) -> Option<&Caps> {
        self.caps.as_ref()
    }

    /// The limits in use.
    pub fn config(&self) -> &BridgeConfig {
        &self.config
    }

    /// `Ping`: the daemon's capabilities (with BuildKit's frozen defaults for empty
    /// lists). Remembered for later calls that depend on them.
    pub async fn ping(&mut self) -> Result<Caps, BridgeError> {
        let mut client = self.client.clone();
        let pong = timed(
            &self.waiting,
            "Ping",
            self.config.timeouts.ping,
            client.ping(PingRequest {}),
        )
        .await?;
        let caps = Caps::from_pong(&pong.frontend_api_caps, &pong.llb_caps);
        self.caps = Some(caps.clone());
        Ok(caps)
    }

    /// `Solve` of a Definition: the id of the (lazily built) result ref. An empty
    /// Definition solves to the empty ref `""`.
    pub async fn solve(&self, definition: pb::Definition) -> Result<String, BridgeError> {
        self.solve_with_cache(definition, &[], false).await
    }

    /// `Solve` with cache sources for the daemon to import from.
    ///
    /// Cache imports need the `importcaches` cap; a daemon without it would need the
    /// removed `ImportCacheRefsDeprecated` field, so they are dropped with a log line.
    ///
    /// With `evaluate` (cap `gateway.solve.evaluate`) the daemon runs the build before
    /// answering, so a failing step comes back here, with the failing vertex, instead
    /// of after `Return` where only the daemon's bare message reaches the user.
    pub async fn solve_with_cache(
        &self,
        definition: pb::Definition,
        cache_imports: &[CacheImport],
        evaluate: bool,
    ) -> Result<String, BridgeError> {
        let supports_cache = self
            .caps
            .as_ref()
            .is_none_or(|caps| caps.gateway_supports(gateway::IMPORT_CACHES));
        if !cache_imports.is_empty() && !supports_cache {
            crate::log(format_args!(
                "daemon lacks the `importcaches` capability; ignoring {} cache import(s)",
                cache_imports.len()
            ));
        }
        let request = SolveRequest {
            definition: Some(definition),
            allow_result_return: true,
            allow_result_array_ref: true,
            cache_imports: if supports_cache {
                cache_imports.iter().map(to_cache_entry).collect()
            } else {
                Vec::new()
            },
            evaluate,
            ..SolveRequest::default()
        };
        self.check_size("Solve", &request)?;
        let mut client = self.client.clone();
        let timeout = if evaluate {
            self.config.timeouts.evaluate
        } else {
            self.config.timeouts.solve
        };
        let response = timed(&self.waiting, "Solve", timeout, client.solve(request)).await?;
        let Some(result) = response.result else {
            return Ok(response.r#ref);
        };
        match result.result {
            None => Ok(String::new()),
            Some(result::Result::Ref(reference)) => Ok(reference.id),
            Some(result::Result::RefDeprecated(id)) => Ok(id),
            Some(result::Result::Refs(_) | result::Result::RefsDeprecated(_)) => {
                Err(BridgeError::Protocol {
                    rpc: "Solve",
                    detail: "expected a single ref, got a map of refs".to_owned(),
                })
            }
        }
    }

    /// `ReadFile`: the whole file at `path` inside the result `reference`, or `None`
    /// if it does not exist.
    pub async fn read_file(
        &self,
        reference: &str,
        path: &str,
    ) -> Result<Option<Vec<u8>>, BridgeError> {
        self.read_file_range(reference, path, None).await
    }

    /// `ReadFile` of at most `length` bytes from the start of the file (BuildKit reads
    /// the first 1024 bytes of a downloaded context to tell an archive from a
    /// Dockerfile). `None` if the file does not exist.
    pub async fn read_file_prefix(
        &self,
        reference: &str,
        path: &str,
        length: i64,
    ) -> Result<Option<Vec<u8>>, BridgeError> {
        self.read_file_range(reference, path, Some(FileRange { offset: 0, length }))
            .await
    }

    async fn read_file_range(
        &self,
        reference: &str,
        path: &str,
        range: Option<FileRange>,
    ) -> Result<Option<Vec<u8>>, BridgeError> {
        let request = ReadFileRequest {
            r#ref: reference.to_owned(),
            file_path: path.to_owned(),
            range,
            ..ReadFileRequest::default()
        };
        let mut client = self.client.clone();
        let call = timed(
            &self.waiting,
            "ReadFile",
            self.config.timeouts.read_file,
            client.read_file(request),
        );
        match call.await {
            Ok(response) => Ok(Some(response.data)),
            Err(BridgeError::Status { code, message, .. }) if is_missing_file(code, &message) => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// `ReadDir`: the entries of the directory at `path` inside the result
    /// `reference`, sorted by name, or `None` if it is not a directory there.
    pub async fn read_dir(
        &self,
        reference: &str,
        path: &str,
    ) -> Result<Option<Vec<DirEntry>>, BridgeError> {
        let request = ReadDirRequest {
            r#ref: reference.to_owned(),
            dir_path: path.to_owned(),
            ..ReadDirRequest::default()
        };
        let mut client = self.client.clone();
        let call = timed(
            &self.waiting,
            "ReadDir",
            self.config.timeouts.read_file,
            client.read_dir(request),
        );
        match call.await {
            Ok(response) => {
                let mut entries: Vec<DirEntry> = response
                    .entries
                    .into_iter()
                    .map(|stat| DirEntry {
                        name: stat.path.rsplit('/').next().unwrap_or("").to_owned(),
                        kind: EntryKind::of_mode(stat.mode),
                    })
                    .filter(|entry| !entry.name.is_empty())
                    .collect();
                entries.sort();
                Ok(Some(entries))
            }
            Err(BridgeError::Status { code, message, .. }) if is_missing_file(code, &message) => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// `Warn`: a build warning the client prints with the build's output, placed
    /// at `ranges` of the Dockerfile described by `info`. `digest` names the
    /// vertex it belongs to (the Dockerfile's source, as BuildKit's frontend does).
    /// Needs the `gateway.warnings` cap.
    pub async fn warn(
        &self,
        digest: &str,
        short: &str,
        detail: &[String],
        url: &str,
        info: pb::SourceInfo,
        ranges: Vec<pb::Range>,
    ) -> Result<(), BridgeError> {
        let request = WarnRequest {
            digest: digest.to_owned(),
            // BuildKit's frontends send level 1 for every warning.
            level: 1,
            short: short.as_bytes().to_vec(),
            detail: detail.iter().map(|d| d.as_bytes().to_vec()).collect(),
            url: url.to_owned(),
            info: Some(info),
            ranges,
        };
        let mut client = self.client.clone();
        timed(
            &self.waiting,
            "Warn",
            self.config.timeouts.ping,
            client.warn(request),
        )
        .await?;
        Ok(())
    }

    /// `Inputs`: the frontend inputs the client attached to the request (buildx sends
    /// named contexts this way; Docker 20.10 sends none, so the map is empty).
    /// Needs the `frontend.inputs` gateway cap.
    pub async fn inputs(&self) -> Result<BTreeMap<String, pb::Definition>, BridgeError> {
        let mut client = self.client.clone();
        let response = timed(
            &self.waiting,
            "Inputs",
            self.config.timeouts.solve,
            client.inputs(InputsRequest {}),
        )
        .await?;
        Ok(response.definitions.into_iter().collect())
    }

    /// `ResolveImageConfig` of an image in an OCI layout store the client exposes
    /// (`oci-layout://` named contexts; BuildKit v0.11+): resolver type 1 with the
    /// session and store id.
    pub async fn resolve_oci_layout_config(
        &self,
        reference: &str,
        platform: Option<&Platform>,
        session_id: &str,
        store_id: &str,
        log_name: &str,
    ) -> Result<ResolvedImage, BridgeError> {
        let request = ResolveImageConfigRequest {
            r#ref: reference.to_owned(),
            platform: platform.map(platform::to_pb),
            log_name: log_name.to_owned(),
            resolver_type: OCI_LAYOUT_RESOLVER,
            session_id: session_id.to_owned(),
            store_id: store_id.to_owned(),
            ..ResolveImageConfigRequest::default()
        };
        self.send_resolve_image_config(request).await
    }

    /// `ResolveImageConfig` for a fully normalized reference
    /// (`docker.io/library/alpine:3.18`). `log_name` is the progress line the user sees.
    pub async fn resolve_image_config(
        &self,
        reference: &str,
        platform: Option<&Platform>,
        mode: ImageResolveMode,
        log_name: &str,
    ) -> Result<ResolvedImage, BridgeError> {
        let request = ResolveImageConfigRequest {
            r#ref: reference.to_owned(),
            platform: platform.map(platform::to_pb),
            resolve_mode: mode.as_str().to_owned(),
            log_name: log_name.to_owned(),
            ..ResolveImageConfigRequest::default()
        };
        self.send_resolve_image_config(request).await
    }

    /// Sends a `ResolveImageConfig`; an empty digest (Docker's local image store
    /// answers without one) becomes `None`.
    async fn send_resolve_image_config(
        &self,
        request: ResolveImageConfigRequest,
    ) -> Result<ResolvedImage, BridgeError> {
        let mut client = self.client.clone();
        let response = timed(
            &self.waiting,
            "ResolveImageConfig",
            self.config.timeouts.resolve_image_config,
            client.resolve_image_config(request),
        )
        .await?;
        Ok(ResolvedImage {
            digest: (!response.digest.is_empty()).then_some(response.digest),
            config: response.config,
        })
    }

    /// `Return` with a result.
    pub async fn return_result(
        &self,
        refs: ResultRefs,
        metadata: BTreeMap<String, Vec<u8>>,
    ) -> Result<(), BridgeError> {
        let ref_array = self
            .caps
            .as_ref()
            .is_none_or(|caps| caps.gateway_supports(gateway::PROTO_REF_ARRAY));
        let result = match (refs, ref_array) {
            (ResultRefs::Single(id), true) => result::Result::Ref(Ref { id, def: None }),
            (ResultRefs::Single(id), false) => result::Result::RefDeprecated(id),
            (ResultRefs::PerPlatform(refs), true) => result::Result::Refs(RefMap {
                refs: refs
                    .into_iter()
                    .map(|(key, id)| (key, Ref { id, def: None }))
                    .collect(),
            }),
            (ResultRefs::PerPlatform(refs), false) => {
                result::Result::RefsDeprecated(RefMapDeprecated {
                    refs: refs.into_iter().collect(),
                })
            }
        };
        let request = ReturnRequest {
            result: Some(PbResult {
                metadata: metadata.into_iter().collect::<HashMap<_, _>>(),
                result: Some(result),
                ..PbResult::default()
            }),
            error: None,
        };
        self.send_return(request).await
    }

    /// `Return` with an error. A status with code `OK` is sent as `Unknown` (the daemon
    /// would read an OK status as "no error" and then find no result). If the status
    /// is too large to send, its details (which hold a copy of the Dockerfile) are
    /// dropped and the message is shortened.
    pub async fn return_error(&self, mut status: Status) -> Result<(), BridgeError> {
        if status.code == i32::from(Code::Ok) {
            status.code = i32::from(Code::Unknown);
        }
        let mut request = ReturnRequest {
            result: None,
            error: Some(status),
        };
        if request.encoded_len() > self.config.max_send_size {
            if let Some(status) = request.error.as_mut() {
                status.details.clear();
                truncate(&mut status.message, self.config.max_send_size / 2);
            }
        }
        self.send_return(request).await
    }

    async fn send_return(&self, request: ReturnRequest) -> Result<(), BridgeError> {
        self.check_size("Return", &request)?;
        let mut client = self.client.clone();
        timed(
            &self.waiting,
            "Return",
            self.config.timeouts.return_result,
            client.r#return(request),
        )
        .await?;
        Ok(())
    }

    fn check_size(&self, rpc: &'static str, request: &impl Message) -> Result<(), BridgeError> {
        let size = request.encoded_len();
        let limit = self.config.max_send_size;
        if size > limit {
            return Err(BridgeError::TooLarge { rpc, size, limit });
        }
        Ok(())
    }
}

/// Runs one call with a timeout and unwraps tonic's response.
async fn timed<T>(
    waiting: &DaemonWait,
    rpc: &'static str,
    after: Duration,
    call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, BridgeError> {
    let _in_flight = WaitGuard::new(waiting);
    match tokio::time::timeout(after, call).await {
        Err(_elapsed) => Err(BridgeError::Timeout { rpc, after }),
        Ok(Err(status)) => Err(BridgeError::Status {
            rpc,
            code: status.code(),
            message: status.message().to_owned(),
            vertex: failed_vertex(status.details()),
        }),
        Ok(Ok(response)) => Ok(response.into_inner()),
    }
}

/// The vertex digest of an `errdefs.Vertex+json` detail in encoded
/// `grpc-status-details-bin` (a `google.rpc.Status`), if any.
fn failed_vertex(details: &[u8]) -> Option<String> {
    use prost::Message;
    let status = bollard_buildkit_proto::google::rpc::Status::decode(details).ok()?;
    status
        .details
        .iter()
        .find(|any| any.type_url.ends_with("errdefs.Vertex+json"))
        .and_then(|any| {
            let value: serde_json::Value = serde_json::from_slice(&any.value).ok()?;
            value.get("digest")?.as_str().map(str::to_owned)
        })
}

/// How the daemon reports a missing file: `open …: no such file or directory` (code
/// Unknown) from BuildKit, `NotFound` from others.
fn is_missing_file(code: Code, message: &str) -> bool {
    code == Code::NotFound
        || message.contains("no such file or directory")
        || message.contains("not a directory")
}

fn to_cache_entry(import: &CacheImport) -> CacheOptionsEntry {
    CacheOptionsEntry {
        r#type: import.kind.clone(),
        attrs: import
            .attrs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut.
fn truncate(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(" … (truncated)");
}

/// One entry of a `ReadDir` answer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DirEntry {
    pub name: String,
    pub kind: EntryKind,
}

/// What a directory entry is, from the type bits of Go's `os.FileMode` that
/// fsutil's `Stat.mode` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    Directory,
    RegularFile,
    /// A symbolic link, device, pipe or socket.
    Other,
}

impl EntryKind {
    fn of_mode(mode: u32) -> EntryKind {
        const MODE_DIR: u32 = 1 << 31;
        // Symlink, device, named pipe, socket, char device, irregular.
        const MODE_NOT_REGULAR: u32 =
            (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
        if mode & MODE_DIR != 0 {
            EntryKind::Directory
        } else if mode & MODE_NOT_REGULAR != 0 {
            EntryKind::Other
        } else {
            EntryKind::RegularFile
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_detection() {
        assert!(is_missing_file(
            Code::Unknown,
            "open /tmp/buildkit-mount123/Dockerfile: no such file or directory"
        ));
        assert!(is_missing_file(Code::NotFound, "x"));
        assert!(!is_missing_file(
            Code::Unknown,
            "failed to transfer: session closed"
        ));
    }

    #[test]
    fn entry_kinds_from_go_file_modes() {
        assert_eq!(EntryKind::of_mode((1 << 31) | 0o755), EntryKind::Directory);
        assert_eq!(EntryKind::of_mode(0o644), EntryKind::RegularFile);
        assert_eq!(EntryKind::of_mode((1 << 27) | 0o777), EntryKind::Other);
        assert_eq!(EntryKind::of_mode((1 << 25) | 0o600), EntryKind::Other);
    }

    #[test]
    fn truncate_on_char_boundary() {
        let mut s = "ééé".to_owned();
        truncate(&mut s, 3);
        assert_eq!(s, "é … (truncated)");
        let mut short = "ok".to_owned();
        truncate(&mut short, 10);
        assert_eq!(short, "ok");
    }
}
