//! Typed instructions: what each Dockerfile instruction says, before any
//! variable is expanded. Values are raw text (quotes and `$VAR` untouched)
//! except where BuildKit itself processes them while parsing (JSON strings,
//! flag quoting). Expansion happens per stage, see [`crate::stages::scope`].

use super::flags::FlagValue;
use super::mount::Mount;
use crate::Span;

/// A parsed Dockerfile: global ARGs before the first FROM, then stages.
#[derive(Clone, Debug, Default)]
pub struct Ir {
    pub meta_args: Vec<Command>,
    pub stages: Vec<Stage>,
}

/// One `FROM` and the instructions that follow it.
#[derive(Clone, Debug)]
pub struct Stage {
    /// Position among the stages (for `--from=<index>` and `stage-N` names).
    pub index: usize,
    /// The `AS` name, lowercased; `None` for unnamed stages.
    pub name: Option<String>,
    /// The image or stage reference as written (expanded later with global ARGs).
    pub base: String,
    /// `--platform` as written.
    pub platform: Option<FlagValue>,
    pub commands: Vec<Command>,
    /// The FROM line, trimmed (BuildKit's `SourceCode`).
    pub source_code: String,
    pub comments: Vec<String>,
    /// The text after `# <name> ` in the comments above FROM.
    pub doc_comment: String,
    /// The FROM instruction.
    pub span: Span,
}

impl Stage {
    /// BuildKit's name for the stage in messages: the `AS` name or `stage-N`.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage-{}", self.index))
    }
}

/// A typed instruction with where it came from.
#[derive(Clone, Debug)]
pub struct Command {
    pub kind: CommandKind,
    /// The logical line as written (BuildKit's `Original`).
    pub original: String,
    pub comments: Vec<String>,
    /// The instruction, heredoc bodies included.
    pub span: Span,
}

impl Command {
    /// The upper-case keyword (`RUN`, `COPY`, …).
    pub fn keyword(&self) -> &'static str {
        self.kind.keyword()
    }
}

#[derive(Clone, Debug)]
pub enum CommandKind {
    Add(Add),
    Arg(Vec<ArgDecl>),
    Cmd(CmdLine),
    Copy(Copy),
    Entrypoint(CmdLine),
    Env(Vec<KeyValue>),
    Expose(Vec<String>),
    Healthcheck(Health),
    Label(Vec<KeyValue>),
    Maintainer(String),
    Onbuild(String),
    Run(Run),
    Shell(Vec<String>),
    StopSignal(String),
    User(String),
    Volume(Vec<String>),
    Workdir(String),
}

impl CommandKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            CommandKind::Add(_) => "ADD",
            CommandKind::Arg(_) => "ARG",
            CommandKind::Cmd(_) => "CMD",
            CommandKind::Copy(_) => "COPY",
            CommandKind::Entrypoint(_) => "ENTRYPOINT",
            CommandKind::Env(_) => "ENV",
            CommandKind::Expose(_) => "EXPOSE",
            CommandKind::Healthcheck(_) => "HEALTHCHECK",
            CommandKind::Label(_) => "LABEL",
            CommandKind::Maintainer(_) => "MAINTAINER",
            CommandKind::Onbuild(_) => "ONBUILD",
            CommandKind::Run(_) => "RUN",
            CommandKind::Shell(_) => "SHELL",
            CommandKind::StopSignal(_) => "STOPSIGNAL",
            CommandKind::User(_) => "USER",
            CommandKind::Volume(_) => "VOLUME",
            CommandKind::Workdir(_) => "WORKDIR",
        }
    }
}

/// An ENV or LABEL entry, raw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
    /// Written in the legacy `KEY value` form.
    pub legacy: bool,
}

/// One name of an ARG instruction, with its default if any (raw).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgDecl {
    pub key: String,
    pub value: Option<String>,
    pub doc_comment: String,
}

/// A heredoc used as a file by RUN (`RUN <<EOF`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineFile {
    pub name: String,
    pub data: String,
    pub chomp: bool,
}

/// The command of RUN, CMD or ENTRYPOINT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmdLine {
    /// Exec form: the arguments; shell form: one string.
    pub args: Vec<String>,
    /// Shell form: the stage's shell is prepended.
    pub prepend_shell: bool,
    pub files: Vec<InlineFile>,
    /// `ENTRYPOINT []` and friends: BuildKit keeps nil apart from empty.
    pub is_nil: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Network {
    Default,
    None,
    Host,
}

impl Network {
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Default => "default",
            Network::None => "none",
            Network::Host => "host",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Security {
    Sandbox,
    Insecure,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Sandbox => "sandbox",
            Security::Insecure => "insecure",
        }
    }
}

/// One `--mount` flag. Its typed form exists once values are expanded: at
/// parse time when the value cannot depend on variables (no `$`), otherwise
/// when the stage is converted ([`super::mount::parse_mount`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountFlag {
    pub raw: FlagValue,
    /// `Some(Ok)` typed, `Some(Err)` invalid (reported when the stage is built,
    /// as BuildKit does), `None` depends on variables.
    pub parsed: Option<Result<Mount, String>>,
}

/// A CDI device request (`RUN --device=…`, labs only in BuildKit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub required: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub cmd: CmdLine,
    pub mounts: Vec<MountFlag>,
    pub network: Network,
    pub security: Security,
    pub devices: Vec<Device>,
    /// Names of flags that were given, sorted.
    pub flags_used: Vec<String>,
}

/// A COPY/ADD source given inline by a heredoc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceContent {
    pub path: String,
    pub data: String,
    pub expand: bool,
}

/// Sources and destination shared by COPY and ADD (raw).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcesAndDest {
    pub dest: String,
    pub sources: Vec<String>,
    pub contents: Vec<SourceContent>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    pub paths: SourcesAndDest,
    pub from: Option<FlagValue>,
    pub chown: Option<FlagValue>,
    pub chmod: Option<FlagValue>,
    pub link: bool,
    pub parents: bool,
    pub excludes: Vec<FlagValue>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Add {
    pub paths: SourcesAndDest,
    pub chown: Option<FlagValue>,
    pub chmod: Option<FlagValue>,
    pub link: bool,
    pub keep_git_dir: Option<bool>,
    pub checksum: Option<FlagValue>,
    pub unpack: Option<bool>,
    pub excludes: Vec<FlagValue>,
}

/// HEALTHCHECK; durations in nanoseconds (0 = not set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", "…"]`.
    pub test: Vec<String>,
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub start_interval: i64,
    pub retries: i32,
}
