//! Test support: an in-process fake BuildKit daemon serving LLBBridge over pipes, a
//! trivial lowering, and an HTTP/2 framing checker.
//!
//! The fake daemon is a real tonic gRPC server (HTTP/2, prior knowledge, 4 MiB receive
//! limit like a v0.8 daemon) on the far ends of two OS pipes. The frontend side uses
//! `StdioStream::from_fds`, i.e. the same non-blocking fd code and HTTP/2 client it
//! uses on stdin/stdout in production.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bollard_buildkit_proto::fsutil::types as fsutil;
use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    self as gw, llb_bridge_server::LlbBridge, llb_bridge_server::LlbBridgeServer,
};
use bollard_buildkit_proto::pb;
use dfopt_frontend::lowering::{
    ImageKey, ImageToResolve, LowerError, LowerRequest, Lowered, Lowering, ResolvedImages,
};
use dfopt_frontend::{LineRange, Outcome, RunConfig, Timeouts};
use dfopt_llb::{CapSet, Image, ImageRef, OpOptions};
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::unix::pipe;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

pub const SESSION_ID: &str = "session-123";

/// One LLBBridge call the daemon received.
#[derive(Debug, Clone)]
pub enum Call {
    Ping,
    Solve(gw::SolveRequest),
    ReadFile(gw::ReadFileRequest),
    ResolveImageConfig(gw::ResolveImageConfigRequest),
    Return(gw::ReturnRequest),
    Warn(gw::WarnRequest),
    Other(&'static str),
}

/// What the fake daemon holds and how it behaves.
#[derive(Debug, Clone)]
pub struct DaemonSetup {
    /// Files of the `dockerfile` local.
    pub dockerfile_dir: BTreeMap<String, Vec<u8>>,
    /// Files of the `context` local.
    pub context_dir: BTreeMap<String, Vec<u8>>,
    /// Files of other solved graphs, by [`graph_kind`] (e.g. `git://h/r.git#main`,
    /// or `copy:https://h/ctx.tar.gz` for a file op over that source).
    pub graph_files: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    /// Frontend inputs `Inputs` answers with.
    pub inputs: BTreeMap<String, pb::Definition>,
    /// Images by normalized reference: (digest, config).
    pub images: BTreeMap<String, (String, Vec<u8>)>,
    /// Gateway caps to advertise (empty list = old daemon).
    pub gateway_caps: Vec<String>,
    /// LLB caps to advertise.
    pub llb_caps: Vec<String>,
    /// Ping never answers.
    pub ping_hangs: bool,
    /// Nothing but Return answers.
    pub hang_everything_but_return: bool,
    /// `ReadDir` of the `context` local fails (a transfer that broke).
    pub context_listing_fails: bool,
}

impl DaemonSetup {
    /// A v0.8.3-like daemon with a `Dockerfile` and a resolvable `busybox`.
    pub fn with_dockerfile(dockerfile: &str) -> Self {
        let mut setup = Self::empty();
        setup
            .dockerfile_dir
            .insert("Dockerfile".into(), dockerfile.as_bytes().to_vec());
        setup
    }

    pub fn empty() -> Self {
        let mut images = BTreeMap::new();
        images.insert(
            "docker.io/library/busybox:latest".to_owned(),
            (
                format!("sha256:{}", "b".repeat(64)),
                br#"{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]}}"#.to_vec(),
            ),
        );
        Self {
            dockerfile_dir: BTreeMap::new(),
            context_dir: BTreeMap::new(),
            graph_files: BTreeMap::new(),
            inputs: BTreeMap::new(),
            images,
            context_listing_fails: false,
            gateway_caps: V0_8_GATEWAY_CAPS.iter().map(|s| (*s).to_owned()).collect(),
            llb_caps: CapSet::buildkit_v0_8().iter().map(str::to_owned).collect(),
            ping_hangs: false,
            hang_everything_but_return: false,
        }
    }
}

pub const V0_8_GATEWAY_CAPS: &[&str] = &[
    "solve.base",
    "solve.inlinereturn",
    "resolveimage",
    "resolveimage.resolvemode",
    "readfile",
    "return",
    "returnmap",
    "readdir",
    "statfile",
    "importcaches",
    "proto.refarray",
    "reference.output",
    "frontend.inputs",
    "gateway.solve.metadata",
    "gateway.exec",
    "frontend.caps",
    "gateway.solve.evaluate",
];

#[derive(Debug, Default)]
struct DaemonState {
    calls: Vec<Call>,
    /// Ref id → which local it is (`dockerfile`, `context`, or `final`).
    refs: BTreeMap<String, String>,
    returned: bool,
}

/// The fake daemon (cheap to clone; clones share the log).
#[derive(Clone)]
pub struct FakeDaemon {
    setup: Arc<DaemonSetup>,
    state: Arc<Mutex<DaemonState>>,
}

impl FakeDaemon {
    pub fn new(setup: DaemonSetup) -> Self {
        Self {
            setup: Arc::new(setup),
            state: Arc::new(Mutex::new(DaemonState::default())),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state
            .lock()
            .map(|s| s.calls.clone())
            .unwrap_or_default()
    }

    fn record(&self, call: Call) {
        if let Ok(mut state) = self.state.lock() {
            state.calls.push(call);
        }
    }

    pub fn returns(&self) -> Vec<gw::ReturnRequest> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Return(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    /// The one Return, checked for BuildKit's Return discipline.
    pub fn the_return(&self) -> gw::ReturnRequest {
        let returns = self.returns();
        assert_eq!(returns.len(), 1, "exactly one Return expected: {returns:?}");
        let the_return = returns[0].clone();
        assert!(
            the_return.result.is_some() != the_return.error.is_some(),
            "Return must carry exactly one of result/error: {the_return:?}"
        );
        the_return
    }

    pub fn solves(&self) -> Vec<gw::SolveRequest> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Solve(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    pub fn read_files(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::ReadFile(r) => Some(r.file_path),
                _ => None,
            })
            .collect()
    }

    /// Every `Warn` request, in order.
    pub fn warnings(&self) -> Vec<gw::WarnRequest> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Warn(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    pub fn resolves(&self) -> Vec<gw::ResolveImageConfigRequest> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::ResolveImageConfig(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    /// Invariants every run must keep, whatever happened.
    pub fn assert_protocol_rules(&self) {
        for solve in self.solves() {
            assert!(
                solve.frontend.is_empty(),
                "never forward: {:?}",
                solve.frontend
            );
            assert!(solve.allow_result_return && solve.allow_result_array_ref);
        }
        for r in self.returns() {
            assert!(r.result.is_some() != r.error.is_some(), "bad Return {r:?}");
        }
    }

    fn local_of(&self, reference: &str) -> Option<String> {
        self.state.lock().ok()?.refs.get(reference).cloned()
    }
}

fn caps(ids: &[String]) -> Vec<ApiCap> {
    ids.iter()
        .map(|id| ApiCap {
            id: id.clone(),
            enabled: true,
            ..ApiCap::default()
        })
        .collect()
}

/// What the fake daemon takes a solved graph for: a local's name, `<identifier>` of
/// its first source op, `copy:<identifier>` when file ops sit on top of it, or
/// `final` for a graph without sources.
pub fn graph_kind(definition: &pb::Definition) -> String {
    if let Some((source, _)) = local_source(definition) {
        return source.identifier.trim_start_matches("local://").to_owned();
    }
    let ops: Vec<pb::Op> = definition
        .def
        .iter()
        .filter_map(|bytes| pb::Op::decode(bytes.as_slice()).ok())
        .collect();
    let first_source = ops.iter().find_map(|op| match &op.op {
        Some(pb::op::Op::Source(source)) => Some(source.identifier.clone()),
        _ => None,
    });
    let has_file_op = ops
        .iter()
        .any(|op| matches!(op.op, Some(pb::op::Op::File(_))));
    match (first_source, has_file_op) {
        (Some(identifier), true) => format!("copy:{identifier}"),
        (Some(identifier), false) => identifier,
        (None, _) => "final".to_owned(),
    }
}

/// The source op of a Definition's first `local://` op, if any.
pub fn local_source(definition: &pb::Definition) -> Option<(pb::SourceOp, pb::OpMetadata)> {
    for bytes in &definition.def {
        let op = pb::Op::decode(bytes.as_slice()).ok()?;
        if let Some(pb::op::Op::Source(source)) = op.op {
            if source.identifier.starts_with("local://") {
                let digest = dfopt_llb::digest(bytes);
                let meta = definition
                    .metadata
                    .get(&digest)
                    .cloned()
                    .unwrap_or_default();
                return Some((source, meta));
            }
        }
    }
    None
}

async fn forever<T>() -> T {
    std::future::pending::<T>().await
}

#[tonic::async_trait]
impl LlbBridge for FakeDaemon {
    async fn ping(
        &self,
        _: Request<gw::PingRequest>,
    ) -> Result<Response<gw::PongResponse>, Status> {
        self.record(Call::Ping);
        if self.setup.ping_hangs || self.setup.hang_everything_but_return {
            return forever().await;
        }
        Ok(Response::new(gw::PongResponse {
            frontend_api_caps: caps(&self.setup.gateway_caps),
            llb_caps: caps(&self.setup.llb_caps),
            workers: Vec::new(),
        }))
    }

    async fn solve(
        &self,
        request: Request<gw::SolveRequest>,
    ) -> Result<Response<gw::SolveResponse>, Status> {
        let request = request.into_inner();
        self.record(Call::Solve(request.clone()));
        if self.setup.hang_everything_but_return {
            return forever().await;
        }
        let definition = request.definition.unwrap_or_default();
        let kind = graph_kind(&definition);
        let mut state = self
            .state
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        let id = format!("ref-{}", state.refs.len() + 1);
        state.refs.insert(id.clone(), kind);
        Ok(Response::new(gw::SolveResponse {
            r#ref: String::new(),
            result: Some(gw::Result {
                result: Some(gw::result::Result::Ref(gw::Ref {
                    id,
                    def: Some(definition),
                })),
                ..gw::Result::default()
            }),
        }))
    }

    async fn read_file(
        &self,
        request: Request<gw::ReadFileRequest>,
    ) -> Result<Response<gw::ReadFileResponse>, Status> {
        let request = request.into_inner();
        self.record(Call::ReadFile(request.clone()));
        let kind = self.local_of(&request.r#ref);
        let files = match kind.as_deref() {
            Some("dockerfile") => &self.setup.dockerfile_dir,
            Some("context") => &self.setup.context_dir,
            Some(other) if self.setup.graph_files.contains_key(other) => {
                &self.setup.graph_files[other]
            }
            _ => return Err(Status::unknown(format!("no such ref {}", request.r#ref))),
        };
        match files.get(&request.file_path) {
            Some(data) => {
                let mut data = data.clone();
                if let Some(range) = request.range {
                    data.truncate(usize::try_from(range.length).unwrap_or(0));
                }
                Ok(Response::new(gw::ReadFileResponse { data }))
            }
            None => Err(Status::unknown(format!(
                "open /tmp/buildkit-mount123/{}: no such file or directory",
                request.file_path
            ))),
        }
    }

    async fn resolve_image_config(
        &self,
        request: Request<gw::ResolveImageConfigRequest>,
    ) -> Result<Response<gw::ResolveImageConfigResponse>, Status> {
        let request = request.into_inner();
        self.record(Call::ResolveImageConfig(request.clone()));
        match self.setup.images.get(&request.r#ref) {
            Some((digest, config)) => Ok(Response::new(gw::ResolveImageConfigResponse {
                digest: digest.clone(),
                config: config.clone(),
                r#ref: String::new(),
            })),
            None => Err(Status::unknown(format!("{}: not found", request.r#ref))),
        }
    }

    async fn r#return(
        &self,
        request: Request<gw::ReturnRequest>,
    ) -> Result<Response<gw::ReturnResponse>, Status> {
        let request = request.into_inner();
        self.record(Call::Return(request.clone()));
        let mut state = self
            .state
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        if state.returned {
            return Err(Status::unknown("gateway result is already set"));
        }
        state.returned = true;
        Ok(Response::new(gw::ReturnResponse {}))
    }

    async fn resolve_source_meta(
        &self,
        _: Request<gw::ResolveSourceMetaRequest>,
    ) -> Result<Response<gw::ResolveSourceMetaResponse>, Status> {
        self.record(Call::Other("ResolveSourceMeta"));
        Err(Status::unimplemented("ResolveSourceMeta"))
    }
    async fn read_dir(
        &self,
        request: Request<gw::ReadDirRequest>,
    ) -> Result<Response<gw::ReadDirResponse>, Status> {
        let request = request.into_inner();
        self.record(Call::Other("ReadDir"));
        let files = match self.local_of(&request.r#ref).as_deref() {
            Some("context") if self.setup.context_listing_fails => {
                return Err(Status::unavailable("transport is closing"))
            }
            Some("context") => &self.setup.context_dir,
            _ => return Err(Status::unknown(format!("no such ref {}", request.r#ref))),
        };
        // The context's files are paths; a directory is any prefix of one.
        let dir = request.dir_path.trim_start_matches("./").trim_matches('/');
        let prefix = if dir.is_empty() || dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries: BTreeMap<String, bool> = BTreeMap::new();
        for path in files.keys() {
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            match rest.split_once('/') {
                Some((sub, _)) => entries.insert(sub.to_owned(), true),
                None => entries.insert(rest.to_owned(), false),
            };
        }
        if entries.is_empty() && !prefix.is_empty() {
            return Err(Status::not_found(format!(
                "open /tmp/buildkit-mount123/{dir}: no such file or directory"
            )));
        }
        let entries = entries
            .into_iter()
            .map(|(name, is_dir)| fsutil::Stat {
                path: name,
                mode: if is_dir { (1 << 31) | 0o755 } else { 0o644 },
                ..fsutil::Stat::default()
            })
            .collect();
        Ok(Response::new(gw::ReadDirResponse { entries }))
    }
    async fn stat_file(
        &self,
        _: Request<gw::StatFileRequest>,
    ) -> Result<Response<gw::StatFileResponse>, Status> {
        self.record(Call::Other("StatFile"));
        Err(Status::unimplemented("StatFile"))
    }
    async fn evaluate(
        &self,
        _: Request<gw::EvaluateRequest>,
    ) -> Result<Response<gw::EvaluateResponse>, Status> {
        self.record(Call::Other("Evaluate"));
        Err(Status::unimplemented("Evaluate"))
    }
    async fn inputs(
        &self,
        _: Request<gw::InputsRequest>,
    ) -> Result<Response<gw::InputsResponse>, Status> {
        self.record(Call::Other("Inputs"));
        Ok(Response::new(gw::InputsResponse {
            definitions: self.setup.inputs.clone().into_iter().collect(),
        }))
    }
    async fn new_container(
        &self,
        _: Request<gw::NewContainerRequest>,
    ) -> Result<Response<gw::NewContainerResponse>, Status> {
        self.record(Call::Other("NewContainer"));
        Err(Status::unimplemented("NewContainer"))
    }
    async fn release_container(
        &self,
        _: Request<gw::ReleaseContainerRequest>,
    ) -> Result<Response<gw::ReleaseContainerResponse>, Status> {
        self.record(Call::Other("ReleaseContainer"));
        Err(Status::unimplemented("ReleaseContainer"))
    }
    type ExecProcessStream = ReceiverStream<Result<gw::ExecMessage, Status>>;
    async fn exec_process(
        &self,
        _: Request<tonic::Streaming<gw::ExecMessage>>,
    ) -> Result<Response<Self::ExecProcessStream>, Status> {
        self.record(Call::Other("ExecProcess"));
        Err(Status::unimplemented("ExecProcess"))
    }
    async fn read_file_container(
        &self,
        _: Request<gw::ReadFileRequest>,
    ) -> Result<Response<gw::ReadFileResponse>, Status> {
        self.record(Call::Other("ReadFileContainer"));
        Err(Status::unimplemented("ReadFileContainer"))
    }
    async fn read_dir_container(
        &self,
        _: Request<gw::ReadDirRequest>,
    ) -> Result<Response<gw::ReadDirResponse>, Status> {
        self.record(Call::Other("ReadDirContainer"));
        Err(Status::unimplemented("ReadDirContainer"))
    }
    async fn stat_file_container(
        &self,
        _: Request<gw::StatFileRequest>,
    ) -> Result<Response<gw::StatFileResponse>, Status> {
        self.record(Call::Other("StatFileContainer"));
        Err(Status::unimplemented("StatFileContainer"))
    }
    async fn warn(
        &self,
        request: Request<gw::WarnRequest>,
    ) -> Result<Response<gw::WarnResponse>, Status> {
        self.record(Call::Warn(request.into_inner()));
        Ok(Response::new(gw::WarnResponse {}))
    }
}

/// The daemon's end of the stdio pipes, with every byte the frontend wrote recorded.
pub struct DaemonIo {
    read: pipe::Receiver,
    write: pipe::Sender,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Connected for DaemonIo {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for DaemonIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.read).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            if let Ok(mut received) = self.received.lock() {
                received.extend_from_slice(&buf.filled()[before..]);
            }
        }
        polled
    }
}

impl AsyncWrite for DaemonIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.write).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.write).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.write).poll_shutdown(cx)
    }
}

/// Two OS pipes: (frontend stdin read end, daemon write end) and (frontend stdout
/// write end, daemon read end).
pub struct PipePair {
    pub frontend_read: OwnedFd,
    pub frontend_write: OwnedFd,
    pub daemon_read: OwnedFd,
    pub daemon_write: OwnedFd,
}

pub fn pipes() -> PipePair {
    let (stdin_read, stdin_write) = std::io::pipe().expect("pipe");
    let (stdout_read, stdout_write) = std::io::pipe().expect("pipe");
    PipePair {
        frontend_read: stdin_read.into(),
        frontend_write: stdout_write.into(),
        daemon_read: stdout_read.into(),
        daemon_write: stdin_write.into(),
    }
}

/// Serves `daemon` on the daemon's fds; returns the recorder of received bytes.
pub fn serve(daemon: FakeDaemon, read: OwnedFd, write: OwnedFd) -> Arc<Mutex<Vec<u8>>> {
    let received = Arc::new(Mutex::new(Vec::new()));
    let io = DaemonIo {
        read: pipe::Receiver::from_owned_fd(read).expect("daemon read end"),
        write: pipe::Sender::from_owned_fd(write).expect("daemon write end"),
        received: Arc::clone(&received),
    };
    tokio::spawn(async move {
        // One connection, then nothing (an ended stream would stop the server).
        let incoming = tokio_stream::StreamExt::chain(
            tokio_stream::iter([Ok::<_, io::Error>(io)]),
            tokio_stream::pending(),
        );
        let _ = tonic::transport::Server::builder()
            .add_service(LlbBridgeServer::new(daemon))
            .serve_with_incoming(incoming)
            .await;
    });
    received
}

/// The frontend's environment: session id, one worker, and these options.
pub fn env_with(options: &[&str]) -> Vec<(String, String)> {
    let mut vars = vec![
        ("BUILDKIT_SESSION_ID".to_owned(), SESSION_ID.to_owned()),
        (
            "BUILDKIT_WORKERS".to_owned(),
            r#"[{"ID":"w","Platforms":[{"architecture":"amd64","os":"linux"}]}]"#.to_owned(),
        ),
        ("BUILDKIT_EXPORTEDPRODUCT".to_owned(), "Docker".to_owned()),
    ];
    for (i, option) in options.iter().enumerate() {
        vars.push((format!("BUILDKIT_FRONTEND_OPT_{i}"), (*option).to_owned()));
    }
    vars
}

/// What one run produced.
pub struct Run {
    pub outcome: Outcome,
    pub daemon: FakeDaemon,
    pub received: Arc<Mutex<Vec<u8>>>,
    pub lowering: TestLowering,
}

pub fn test_config() -> RunConfig {
    RunConfig {
        bridge: dfopt_frontend::BridgeConfig {
            timeouts: Timeouts::all(Duration::from_secs(10)),
            ..dfopt_frontend::BridgeConfig::default()
        },
        ..RunConfig::default()
    }
}

/// Runs the frontend library against a fake daemon over real pipes.
pub async fn run_frontend(setup: DaemonSetup, options: &[&str]) -> Run {
    run_frontend_with(setup, options, TestLowering::default(), test_config()).await
}

pub async fn run_frontend_with(
    setup: DaemonSetup,
    options: &[&str],
    lowering: TestLowering,
    config: RunConfig,
) -> Run {
    let daemon = FakeDaemon::new(setup);
    let fds = pipes();
    let received = serve(daemon.clone(), fds.daemon_read, fds.daemon_write);
    let stream =
        dfopt_frontend::stdio::StdioStream::from_fds(fds.frontend_read, fds.frontend_write)
            .expect("frontend stream");
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        dfopt_frontend::run(stream, env_with(options), &lowering, &config),
    )
    .await
    .expect("the frontend must finish in bounded time");
    daemon.assert_protocol_rules();
    Run {
        outcome,
        daemon,
        received,
        lowering,
    }
}

/// Runs the frontend with the real Dockerfile conversion (`DfoptLowering`) against a
/// fake daemon; returns the outcome and the daemon's log.
pub async fn run_dfopt(setup: DaemonSetup, options: &[&str]) -> (Outcome, FakeDaemon) {
    let daemon = FakeDaemon::new(setup);
    let fds = pipes();
    let _received = serve(daemon.clone(), fds.daemon_read, fds.daemon_write);
    let stream =
        dfopt_frontend::stdio::StdioStream::from_fds(fds.frontend_read, fds.frontend_write)
            .expect("frontend stream");
    let lowering = dfopt_frontend::dfopt_lowering::DfoptLowering;
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        dfopt_frontend::run(stream, env_with(options), &lowering, &test_config()),
    )
    .await
    .expect("the frontend must finish in bounded time");
    daemon.assert_protocol_rules();
    (outcome, daemon)
}

/// An image with one layer (a config without layers is `scratch` to the conversion).
pub const ALPINE_CONFIG: &[u8] = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aaaa"]},"config":{"Env":["PATH=/usr/bin:/bin","FROM_ALPINE=1"],"Cmd":["/bin/sh"]}}"#;

impl DaemonSetup {
    /// Adds `alpine:latest` and `alpine:3.18` (one layer each, no digest, as Docker's
    /// local image store answers).
    pub fn with_alpine(mut self) -> Self {
        for reference in [
            "docker.io/library/alpine:latest",
            "docker.io/library/alpine:3.18",
        ] {
            self.images.insert(
                reference.to_owned(),
                (String::new(), ALPINE_CONFIG.to_vec()),
            );
        }
        self
    }
}

/// The identifiers of a Definition's source ops, in order.
pub fn source_identifiers(definition: &pb::Definition) -> Vec<String> {
    dfopt_frontend::splice::source_ops(definition)
        .expect("the Definition decodes")
        .into_iter()
        .map(|entry| entry.source.identifier)
        .collect()
}

/// The source op with `identifier` and its custom name.
pub fn source_named(definition: &pb::Definition, identifier: &str) -> (pb::SourceOp, String) {
    let entry = dfopt_frontend::splice::source_ops(definition)
        .expect("the Definition decodes")
        .into_iter()
        .find(|entry| entry.source.identifier == identifier)
        .unwrap_or_else(|| {
            panic!(
                "no source {identifier} in {:?}",
                source_identifiers(definition)
            )
        });
    let name = definition
        .metadata
        .get(&entry.digest)
        .and_then(|meta| meta.description.get("llb.customname").cloned())
        .unwrap_or_default();
    (entry.source, name)
}

/// Every file action of a Definition.
pub fn file_actions(definition: &pb::Definition) -> Vec<pb::FileAction> {
    definition
        .def
        .iter()
        .filter_map(|bytes| pb::Op::decode(bytes.as_slice()).ok())
        .filter_map(|op| match op.op {
            Some(pb::op::Op::File(file)) => Some(file.actions),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The copies among [`file_actions`].
pub fn copies(definition: &pb::Definition) -> Vec<pb::FileActionCopy> {
    file_actions(definition)
        .into_iter()
        .filter_map(|action| match action.action {
            Some(pb::file_action::Action::Copy(copy)) => Some(copy),
            _ => None,
        })
        .collect()
}

impl FakeDaemon {
    /// The Definition of the last Solve (the build's final graph).
    pub fn final_definition(&self) -> pb::Definition {
        self.solves()
            .last()
            .and_then(|solve| solve.definition.clone())
            .expect("a final solve")
    }

    /// Whether `Inputs` was called.
    pub fn asked_for_inputs(&self) -> bool {
        self.calls()
            .iter()
            .any(|call| matches!(call, Call::Other("Inputs")))
    }

    /// The image config of a single-platform result.
    pub fn result_config(&self) -> serde_json::Value {
        let result = self.the_return().result.expect("a result");
        serde_json::from_slice(&result.metadata["containerimage.config"]).expect("config JSON")
    }
}

/// A minimal lowering for tests: the result is the last `FROM` image as is, and the
/// image config is the resolved config with a marker label. Records what it saw.
#[derive(Clone, Default)]
pub struct TestLowering {
    pub seen: Arc<Mutex<Vec<LowerRequest>>>,
    /// Pad the Definition to this many bytes (to test size limits).
    pub pad_definition: usize,
    /// Panic in `lower` (to test that a panic still ends in a Return).
    pub panic_in_lower: bool,
}

impl TestLowering {
    pub fn requests(&self) -> Vec<LowerRequest> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn froms(request: &LowerRequest) -> Result<Vec<ImageToResolve>, LowerError> {
        let mut images = Vec::new();
        for (index, line) in request.dockerfile.text.lines().enumerate() {
            let mut words = line.split_whitespace();
            if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
                continue;
            }
            let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let name = words.next().unwrap_or("");
            let reference = ImageRef::parse_normalized(name)
                .map_err(|e| LowerError::at(e.to_string(), LineRange::line(line_no)))?;
            images.push(ImageToResolve {
                key: ImageKey {
                    reference: reference.to_string(),
                    platform: request.target_platform.clone(),
                },
                lines: Some(LineRange::line(line_no)),
            });
        }
        Ok(images)
    }
}

impl Lowering for TestLowering {
    fn images(
        &self,
        request: &LowerRequest,
        _resolved: &ResolvedImages,
    ) -> Result<Vec<ImageToResolve>, LowerError> {
        Self::froms(request)
    }

    fn lower(
        &self,
        request: &LowerRequest,
        resolved: &ResolvedImages,
    ) -> Result<Lowered, LowerError> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(request.clone());
        }
        if self.panic_in_lower {
            panic!("test lowering exploded");
        }
        let images = Self::froms(request)?;
        let last = images.last().ok_or_else(|| LowerError::new("no FROM"))?;
        let config = resolved
            .get(&last.key)
            .ok_or_else(|| LowerError::new("image not resolved"))?;
        let mut image = Image::new(&last.key.reference)
            .map_err(|e| LowerError::new(e.to_string()))?
            .custom_name(format!("FROM {}", last.key.reference));
        if let Some(digest) = &config.digest {
            image = image
                .pin_digest(digest)
                .map_err(|e| LowerError::new(e.to_string()))?;
        }
        if let Some(platform) = &request.target_platform {
            image = image.platform(platform.clone());
        }
        if self.pad_definition > 0 {
            image = image.description("padding", "x".repeat(self.pad_definition));
        }
        let definition = image
            .build()
            .marshal(&request.caps.llb)
            .map_err(|e| LowerError::new(e.to_string()))?;
        let mut value: serde_json::Value =
            serde_json::from_slice(&config.config).map_err(|e| LowerError::new(e.to_string()))?;
        value["config"]["Labels"] = serde_json::json!({ "built-by": "dfopt-test" });
        Ok(Lowered {
            definition,
            image_config: value.to_string().into_bytes(),
            metadata: BTreeMap::new(),
            warnings: Vec::new(),
        })
    }
}

/// Checks that `bytes` is exactly the HTTP/2 client preface followed by whole,
/// well-formed frames; returns the frame types seen.
pub fn parse_http2(bytes: &[u8]) -> Result<Vec<u8>, String> {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let mut rest = bytes.strip_prefix(PREFACE).ok_or_else(|| {
        format!(
            "no HTTP/2 preface; starts with {:?}",
            &bytes[..bytes.len().min(24)]
        )
    })?;
    let mut types = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 9 {
            return Err(format!("truncated frame header: {} bytes left", rest.len()));
        }
        let length =
            (usize::from(rest[0]) << 16) | (usize::from(rest[1]) << 8) | usize::from(rest[2]);
        let kind = rest[3];
        if kind > 9 {
            return Err(format!("unknown frame type {kind}"));
        }
        if rest.len() < 9 + length {
            return Err(format!(
                "truncated frame payload: want {length}, have {}",
                rest.len() - 9
            ));
        }
        types.push(kind);
        rest = &rest[9 + length..];
    }
    if types.first() != Some(&4) {
        return Err("first frame after the preface must be SETTINGS".to_owned());
    }
    Ok(types)
}
