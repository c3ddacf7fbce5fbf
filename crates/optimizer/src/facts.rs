//! What is statically known before each command of each stage: the user, the
//! environment (ENV, ARG, base image), the shell, the working directory, and
//! the stage's family (the stage it is built `FROM`, its root base image).
//!
//! Values that depend on something unknown (a build-arg not given, a variable
//! of an image whose config the caller did not provide) are [`Val::Unknown`],
//! and passes that need them do not fire.

use std::collections::BTreeMap;
use std::convert::Infallible;

use dfopt_dockerfile::instructions::{CommandKind, Ir};
use dfopt_dockerfile::shell::{Env, Lexer};
use dfopt_dockerfile::stages::builtin_args::{ArgPlatform, NonEnvArgs, PredefinedArgs};
use dfopt_dockerfile::stages::lookup::StageNames;
use dfopt_dockerfile::stages::scope::{
    expand_pairs, global_arg_decls, resolve_meta_args, ArgValue,
};

use crate::options::{ImageInfo, Options};

/// A variable's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    Known(String),
    Unknown,
}

/// The environment: set variables only; an absent name is unset.
#[derive(Clone, Debug, Default)]
pub(crate) struct StaticEnv {
    vars: BTreeMap<String, Val>,
}

impl StaticEnv {
    /// The known value of a set variable; `Err(())` when set to something unknown.
    pub fn value(&self, name: &str) -> Result<Option<&str>, ()> {
        match self.vars.get(name) {
            None => Ok(None),
            Some(Val::Known(v)) => Ok(Some(v)),
            Some(Val::Unknown) => Err(()),
        }
    }

    /// The names of the set variables.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }

    fn set(&mut self, name: &str, value: Val) {
        self.vars.insert(name.to_string(), value);
    }

    /// Expands a Dockerfile word (ENV/USER/WORKDIR rules) against this env.
    pub fn expand(&self, lexer: &Lexer, word: &str) -> Val {
        let known: BTreeMap<String, String> = self
            .vars
            .iter()
            .filter_map(|(k, v)| match v {
                Val::Known(v) => Some((k.clone(), v.clone())),
                Val::Unknown => None,
            })
            .collect();
        match lexer.process_word_with_matches(word, &known as &dyn Env) {
            Ok(e) if e.unmatched.iter().all(|n| !self.vars.contains_key(n)) => Val::Known(e.result),
            _ => Val::Unknown,
        }
    }
}

/// The user commands run as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum User {
    Root,
    /// A numeric uid, and gid if given numerically.
    Numeric {
        uid: u32,
        gid: Option<u32>,
    },
    /// A name (or `uid:groupname`): needs the image's /etc/passwd to resolve.
    Named(String),
    /// Depends on a value that is not known.
    Unknown,
}

impl User {
    fn parse(value: &str) -> User {
        let (user, group) = match value.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (value, None),
        };
        let gid = match group {
            None => None,
            Some(g) => match g.parse::<u32>() {
                Ok(g) => Some(g),
                Err(_) if g == "root" => Some(0),
                Err(_) => return User::Named(value.to_string()),
            },
        };
        // uid 0 is root whatever its group: it can write anywhere, and its home is /root.
        match user {
            "" | "root" => User::Root,
            _ => match user.parse::<u32>() {
                Ok(0) => User::Root,
                Ok(uid) => User::Numeric { uid, gid },
                Err(_) => User::Named(value.to_string()),
            },
        }
    }
}

/// The state in force when a command runs.
#[derive(Clone, Debug)]
pub(crate) struct CmdFacts {
    pub user: User,
    pub env: StaticEnv,
    /// The shell prepended to shell-form commands.
    pub shell: Option<Vec<String>>,
    /// The working directory, when known.
    pub workdir: Option<String>,
}

impl CmdFacts {
    /// `$HOME` as the command sees it, when known: ENV HOME, else root's `/root`.
    pub fn home(&self) -> Option<String> {
        match self.env.value("HOME") {
            Ok(Some(h)) => Some(h.to_string()),
            Ok(None) if self.user == User::Root => Some("/root".to_string()),
            _ => None,
        }
    }

    /// Whether the shell is a POSIX shell taking the command after `-c`.
    pub fn posix_shell(&self) -> bool {
        self.shell.as_deref().is_some_and(is_posix_shell)
    }
}

/// `sh`, `bash`, `dash`, `ash` (any directory), ending with a `-c`-style flag.
pub(crate) fn is_posix_shell(shell: &[String]) -> bool {
    let Some(first) = shell.first() else {
        return false;
    };
    let name = first.rsplit('/').next().unwrap_or(first);
    let known = matches!(name, "sh" | "bash" | "dash" | "ash");
    let last_is_c = shell
        .last()
        .is_some_and(|l| l.starts_with('-') && !l.starts_with("--") && l.ends_with('c'));
    known && shell.len() >= 2 && last_is_c
}

/// Everything known about one stage.
#[derive(Clone, Debug)]
pub(crate) struct StageFacts {
    /// The stage this one is built `FROM`, if it is a stage of this file.
    pub parent: Option<usize>,
    /// The external image at the root of the `FROM` chain (expanded), or `scratch`;
    /// `None` when the name depends on an unknown value.
    pub root_image: Option<String>,
    /// The platform, `os/arch[/variant]`, when known.
    pub platform: Option<String>,
    /// The image config of the root was not given: user and environment of
    /// the image were assumed (root, the official image's env).
    pub assumed: bool,
    /// The image OS is Windows (no transform applies).
    pub windows: bool,
    /// Facts before each command.
    pub before: Vec<CmdFacts>,
    /// Facts after the last command (what child stages start from).
    pub after: CmdFacts,
}

/// Environment the official images set that matters for cache locations,
/// used only when the caller did not provide the image config.
const OFFICIAL_IMAGE_ENV: [(&str, &[(&str, &str)]); 7] = [
    ("golang", &[("GOPATH", "/go")]),
    (
        "rust",
        &[
            ("CARGO_HOME", "/usr/local/cargo"),
            ("RUSTUP_HOME", "/usr/local/rustup"),
        ],
    ),
    ("maven", &[("MAVEN_CONFIG", "/root/.m2")]),
    ("ruby", &[("GEM_HOME", "/usr/local/bundle")]),
    ("composer", &[("COMPOSER_HOME", "/tmp")]),
    ("miniforge3", &[("CONDA_DIR", "/opt/conda")]),
    ("micromamba", &[("MAMBA_ROOT_PREFIX", "/opt/conda")]),
];

/// The repository name of an image reference (`docker.io/library/golang:1.22` → `golang`).
pub(crate) fn repository_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// Computes the facts of every stage.
pub(crate) fn analyze(ir: &Ir, opts: &Options, escape: char) -> Vec<StageFacts> {
    let lexer = Lexer::new(escape);
    // Only the platforms the caller knows; no TARGETSTAGE and no build-arg
    // overrides (a stage name is never a cache-relevant fact here).
    let platform_args = PredefinedArgs {
        build: opts.build_platform.as_deref().map(ArgPlatform::from_spec),
        target: opts.target_platform.as_deref().map(ArgPlatform::from_spec),
        target_stage: None,
        os_version: false,
    }
    .vars(None);
    let decls = global_arg_decls(ir);
    let (globals, _) = resolve_meta_args(decls, &opts.build_args, platform_args.clone(), &lexer)
        .unwrap_or_else(|_| (platform_args.clone(), Vec::new()));
    // A global ARG without value and without build-arg is unknown only if a
    // build-arg could set it; we treat it as empty like BuildKit does.
    let global_known = |word: &str| -> Option<String> {
        let e = lexer
            .process_word_with_matches(word, &globals as &dyn Env)
            .ok()?;
        Some(e.result)
    };

    // Whether a FROM word has its final value now. In the frontend every
    // build-arg is known; the offline CLI knows only the build-args it was
    // given and the platforms it was told, and a cache id must not bake a
    // guess (an ARG default a build-arg can override, the host's platform).
    let settled = |word: &str| -> bool {
        if opts.complete_build_args {
            return true;
        }
        match lexer.process_word_with_matches(word, &globals as &dyn Env) {
            Ok(e) => e
                .matched
                .iter()
                .chain(&e.unmatched)
                .all(|n| opts.build_args.contains_key(n) || platform_args.get(n).is_some()),
            Err(_) => false,
        }
    };
    // The stages so far, as BuildKit's `addState` sees them for a base name.
    let mut names = StageNames::default();
    let mut out: Vec<StageFacts> = Vec::new();
    for (si, stage) in ir.stages.iter().enumerate() {
        let base = global_known(&stage.base);
        let parent = base.as_ref().and_then(|b| names.base(b));
        let platform = match &stage.platform {
            Some(flag) if !settled(&flag.value) => {
                // The builder's own platform is the same for every build on a
                // builder, so naming it is as good as knowing it.
                let v = flag.value.trim();
                matches!(v, "$BUILDPLATFORM" | "${BUILDPLATFORM}")
                    .then(|| "buildplatform".to_string())
            }
            Some(flag) => global_known(&flag.value).filter(|p| !p.is_empty() && !p.contains('$')),
            None => match parent {
                Some(p) => out[p].platform.clone(),
                None => opts.target_platform.clone(),
            },
        };
        let (start, root_image, assumed, windows) = match parent {
            Some(p) => {
                let pf = &out[p];
                (
                    pf.after.clone(),
                    pf.root_image.clone(),
                    pf.assumed,
                    pf.windows,
                )
            }
            None => {
                let image = base.clone().filter(|_| settled(&stage.base));
                let info = opts.images.get(&si);
                let is_scratch = image.as_deref() == Some("scratch");
                let (facts, assumed) = image_facts(info, image.as_deref(), is_scratch, &lexer);
                let windows = windows_base(
                    info.map(|i| i.os.as_str()),
                    image.as_deref(),
                    platform.as_deref(),
                    escape,
                );
                (facts, image, assumed, windows)
            }
        };
        // A Windows SHELL anywhere in the stage means the stage runs on Windows
        // (commands before it run under `cmd.exe`).
        let windows = windows
            || stage.commands.iter().any(|c| match &c.kind {
                CommandKind::Shell(sh) => is_windows_shell(sh),
                _ => false,
            });
        let mut cur = start;
        let mut before = Vec::new();
        for cmd in &stage.commands {
            before.push(cur.clone());
            match &cmd.kind {
                CommandKind::Env(pairs) => {
                    let updates = expand_pairs(pairs, |word| {
                        Ok::<_, Infallible>(cur.env.expand(&lexer, word))
                    });
                    let Ok(updates) = updates;
                    for (key, value) in updates {
                        match key {
                            Val::Known(k) => cur.env.set(&k, value),
                            // An unknown key could be any variable.
                            Val::Unknown => {
                                for v in cur.env.vars.values_mut() {
                                    *v = Val::Unknown;
                                }
                            }
                        }
                    }
                }
                CommandKind::Arg(decls) => {
                    for d in decls {
                        let value = match ArgValue::of(d, &opts.build_args) {
                            ArgValue::BuildArg(given) => Some(Val::Known(given.to_owned())),
                            // A build-arg given at build time would win.
                            _ if !opts.complete_build_args => Some(Val::Unknown),
                            ArgValue::Default(default) => Some(cur.env.expand(&lexer, default)),
                            ArgValue::Unset => {
                                globals.get(&d.key).map(|v| Val::Known(v.to_string()))
                            }
                        };
                        if let Some(v) = value {
                            if !NonEnvArgs::WithDfopt.contains(&d.key) {
                                cur.env.set(&d.key, v);
                            }
                        }
                    }
                }
                CommandKind::User(u) => {
                    cur.user = match cur.env.expand(&lexer, u) {
                        Val::Known(u) => User::parse(&u),
                        Val::Unknown => User::Unknown,
                    };
                }
                CommandKind::Shell(sh) => cur.shell = Some(sh.clone()),
                CommandKind::Workdir(w) => {
                    cur.workdir = match (cur.env.expand(&lexer, w), &cur.workdir) {
                        (Val::Known(w), _) if w.starts_with('/') => Some(normalize(&w)),
                        (Val::Known(w), Some(base)) => Some(normalize(&format!("{base}/{w}"))),
                        _ => None,
                    };
                }
                _ => {}
            }
        }
        names.register(stage.name.as_deref(), si);
        out.push(StageFacts {
            parent,
            root_image,
            platform,
            assumed,
            windows,
            before,
            after: cur,
        });
    }
    out
}

fn image_facts(
    info: Option<&ImageInfo>,
    image: Option<&str>,
    scratch: bool,
    lexer: &Lexer,
) -> (CmdFacts, bool) {
    let default_shell = Some(vec!["/bin/sh".to_string(), "-c".to_string()]);
    if scratch {
        return (
            CmdFacts {
                user: User::Root,
                env: StaticEnv::default(),
                shell: default_shell,
                workdir: Some("/".into()),
            },
            false,
        );
    }
    match info {
        Some(info) => {
            let mut env = StaticEnv::default();
            for item in &info.env {
                let (k, v) = item.split_once('=').unwrap_or((item, ""));
                env.set(k, Val::Known(v.to_string()));
            }
            let user = if info.user.contains('$') {
                User::Unknown
            } else {
                User::parse(&info.user)
            };
            let _ = lexer;
            let shell = if info.shell.is_empty() {
                default_shell
            } else {
                Some(info.shell.clone())
            };
            let workdir = Some(if info.working_dir.is_empty() {
                "/".to_string()
            } else {
                normalize(&info.working_dir)
            });
            (
                CmdFacts {
                    user,
                    env,
                    shell,
                    workdir,
                },
                false,
            )
        }
        None => {
            let mut env = StaticEnv::default();
            if let Some(image) = image {
                let repo = repository_name(image);
                for (name, vars) in OFFICIAL_IMAGE_ENV {
                    if repo == name {
                        for (k, v) in vars {
                            env.set(k, Val::Known(v.to_string()));
                        }
                    }
                }
            }
            (
                CmdFacts {
                    user: User::Root,
                    env,
                    shell: default_shell,
                    workdir: None,
                },
                true,
            )
        }
    }
}

/// Whether a stage's base runs Windows containers.
///
/// With a resolved image config its `os` decides. Without one (the offline
/// CLI) the name decides: Microsoft's Windows images (`…/windows/servercore`,
/// `nanoserver`, `dotnet/framework`, …) and tags naming a Windows variant
/// (`-windowsservercore-`, `-nanoserver-`, `ltsc2022`). A file whose escape
/// character is a backtick (the Windows convention) counts as Windows unless
/// its base is known to be a Linux one: a base whose name is not known, or a
/// multi-OS Microsoft image (`mcr.microsoft.com/dotnet/sdk`), may be Windows,
/// and then no POSIX rewrite may apply.
pub(crate) fn windows_base(
    config_os: Option<&str>,
    image: Option<&str>,
    platform: Option<&str>,
    escape: char,
) -> bool {
    if let Some(os) = config_os.filter(|os| !os.is_empty()) {
        return os.eq_ignore_ascii_case("windows");
    }
    if platform.is_some_and(|p| p.to_ascii_lowercase().starts_with("windows")) {
        return true;
    }
    if platform.is_some_and(|p| p.to_ascii_lowercase().starts_with("linux/"))
        && image.is_some_and(|i| !windows_image_name(i))
    {
        // An explicit Linux platform and a name that is not Windows-only.
        return false;
    }
    match image.filter(|i| !i.is_empty()) {
        Some(name) if windows_image_name(name) => true,
        Some(name) => escape == '`' && is_microsoft_image(name),
        None => escape == '`',
    }
}

/// Names that only exist as Windows images.
pub(crate) fn windows_image_name(image: &str) -> bool {
    let lower = image.to_ascii_lowercase();
    let (name, tag) = match lower.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n.to_string(), t.to_string()),
        _ => (lower.clone(), String::new()),
    };
    let path_windows = name.split('/').any(|c| {
        matches!(
            c,
            "windows" | "windowsservercore" | "nanoserver" | "servercore" | "windowsserver"
        )
    });
    let framework = name.contains("dotnet/framework") || name.ends_with("/iis");
    let tag_windows = [
        "windowsservercore",
        "nanoserver",
        "servercore",
        "ltsc20",
        "windows",
    ]
    .iter()
    .any(|t| tag.contains(t));
    path_windows || framework || tag_windows
}

/// Microsoft's registry, whose images are often published for Windows too.
fn is_microsoft_image(image: &str) -> bool {
    let lower = image.to_ascii_lowercase();
    lower.starts_with("mcr.microsoft.com/") || lower.starts_with("microsoft/")
}

/// `powershell`, `pwsh` or `cmd` (with or without `.exe`, any directory).
pub(crate) fn is_windows_shell(shell: &[String]) -> bool {
    shell.first().is_some_and(|first| {
        let lower = first.to_ascii_lowercase();
        let name = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
        let name = name.strip_suffix(".exe").unwrap_or(name);
        matches!(name, "powershell" | "pwsh" | "cmd")
    })
}

/// Normalizes an absolute path (`.`/`..`/repeated slashes); no trailing slash.
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users() {
        assert_eq!(User::parse(""), User::Root);
        assert_eq!(User::parse("root:root"), User::Root);
        assert_eq!(User::parse("0:0"), User::Root);
        assert_eq!(User::parse("root:1000"), User::Root);
        assert_eq!(
            User::parse("1000"),
            User::Numeric {
                uid: 1000,
                gid: None
            }
        );
        assert_eq!(
            User::parse("1000:1001"),
            User::Numeric {
                uid: 1000,
                gid: Some(1001)
            }
        );
        assert_eq!(User::parse("node"), User::Named("node".into()));
        assert_eq!(User::parse("1000:staff"), User::Named("1000:staff".into()));
    }

    #[test]
    fn shells() {
        let s = |v: &[&str]| is_posix_shell(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(s(&["/bin/sh", "-c"]));
        assert!(s(&["/bin/bash", "-o", "pipefail", "-c"]));
        assert!(s(&["bash", "-euxc"]));
        assert!(!s(&["powershell", "-Command"]));
        assert!(!s(&["cmd", "/S", "/C"]));
        assert!(!s(&["/bin/zsh", "-c"]));
    }

    #[test]
    fn paths() {
        assert_eq!(normalize("/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(
            repository_name("docker.io/library/golang:1.22@sha256:x"),
            "golang"
        );
    }
}
