//! What several subcommands share: build options, output formats, reading and
//! optimising the input, and error messages with locations.

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::instructions::{self, CommandKind, Ir};
use dfopt_dockerfile::stages::lookup::StageNames;
use dfopt_dockerfile::{Diagnostic, LineIndex, Parsed};
use dfopt_optimizer::{
    context_queries, optimize, reachable_stages_with, ContextFacts, Optimized, Options, Settings,
};

use crate::context_dir::ContextDir;

use crate::build_error::{build_error, BuildSetup};
use crate::input::{self, Input};
use crate::platform;

/// Exit codes.
pub const OK: u8 = 0;
pub const FINDINGS: u8 = 1;
pub const ERROR: u8 = 2;

/// `--format` of the commands whose output is a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Readable text with code frames.
    #[default]
    Human,
    /// One JSON document.
    Json,
}

/// `--build-arg`, `--target`, `--platform`: what a build would be given.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct BuildOpts {
    /// A build-arg, `KEY=VALUE` (repeatable). `KEY` alone takes the value from the
    /// environment, as `docker build` does. `DFOPT=<passes>` selects the passes
    /// (`off`, `on`, `all`, `-merge-runs`, `off,+cache-mounts`, …).
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_args: Vec<String>,
    /// The stage to build (default: the last one).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// The target platform, `os/arch[/variant]` (e.g. `linux/arm64`).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,
    /// The build context directory (default: the Dockerfile's directory; none for
    /// a Dockerfile on standard input). Passes that decide from files of the
    /// context (manifests) read them here, after `.dockerignore`.
    #[arg(long, value_name = "DIR")]
    pub context: Option<std::path::PathBuf>,
}

impl BuildOpts {
    /// The build-args as a map (later ones win; `KEY` without `=` reads the
    /// environment and is skipped when the variable is unset).
    pub fn build_arg_map(&self) -> Result<BTreeMap<String, String>, String> {
        let mut out = BTreeMap::new();
        for item in &self.build_args {
            match item.split_once('=') {
                Some(("", _)) => {
                    return Err(format!("invalid --build-arg {item:?}: the name is empty"))
                }
                Some((k, v)) => {
                    out.insert(k.to_string(), v.to_string());
                }
                None if item.is_empty() => {
                    return Err("invalid --build-arg \"\": expected KEY=VALUE".to_string())
                }
                None => {
                    if let Ok(v) = std::env::var(item) {
                        out.insert(item.clone(), v);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The target platform, normalised (`None` when not given).
    pub fn target_platform(&self) -> Result<Option<dfopt_llb::Platform>, String> {
        self.platform
            .as_deref()
            .map(|p| platform::parse(p).map_err(|e| format!("invalid --platform {p:?}: {e}")))
            .transpose()
    }
}

/// A Dockerfile read and its build settings resolved.
pub struct Prepared {
    pub input: Input,
    pub build_args: BTreeMap<String, String>,
    pub settings: Settings,
    pub options: Options,
}

/// Reads the input and works out settings and optimizer options; errors are
/// printed messages (the caller exits 2).
///
/// `complete_build_args`: the build-args are all the build will get (true for
/// `dfopt llb`, which lowers with exactly these; false for text that will be
/// built later with build-args unknown now).
pub fn prepare(
    file: &str,
    build: &BuildOpts,
    complete_build_args: bool,
) -> Result<Prepared, String> {
    let build_args = build.build_arg_map().map_err(|e| format!("error: {e}"))?;
    let target_platform = build.target_platform().map_err(|e| format!("error: {e}"))?;
    let input = input::read(file)?;
    let settings =
        Settings::from_build_args(&build_args, &input.text).map_err(|e| match e.line {
            Some(line) => format!("{}:{line}:1: {}", input.name, e.message),
            None => format!("{}: {}", input.name, e.message),
        })?;
    let options = Options {
        target: build.target.clone(),
        build_args: build_args.clone(),
        complete_build_args,
        target_platform: target_platform.map(|p| p.to_string()),
        // The platform of the builder that will run a rewritten file is not
        // known: only `dfopt llb`, which lowers here and now, uses the host's.
        build_platform: complete_build_args.then(|| platform::host().to_string()),
        images: BTreeMap::new(),
        context: Default::default(),
    };
    Ok(Prepared {
        input,
        build_args,
        settings,
        options,
    })
}

/// A Dockerfile that BuildKit would accept as far as the file alone can tell.
pub struct Valid {
    pub parsed: Parsed,
    pub ir: Ir,
}

/// Validates the input as BuildKit does before it builds anything, so that every
/// subcommand refuses an invalid Dockerfile the same way: parsing, typing every
/// instruction (flags, arguments), and the `RUN --mount` values that need no
/// variable, which BuildKit types when it dispatches the stage. Only the stages
/// `options` builds are dispatched (the target's, as in a build); `None`: every
/// stage (as `docker build --check` without a target). A mount that uses variables
/// is left to the build, which knows their values. The error is printed, located
/// (`FILE:LINE:COL: message`); `None` means exit 2. Parser warnings are not printed.
pub fn validate(input: &Input, options: Option<&Options>) -> Option<Valid> {
    let parsed = dfopt_dockerfile::parse(&input.text);
    if let Some(error) = parsed.error() {
        eprintln!("{}", located(input, error));
        return None;
    }
    let ir = match instructions::parse_dockerfile(&parsed.dockerfile) {
        Ok(ir) => ir,
        Err(diagnostic) => {
            eprintln!("{}", located(input, &diagnostic));
            return None;
        }
    };
    let stages: Option<BTreeSet<usize>> = options
        .map(|o| reachable_stages_with(&ir, o.target.as_deref(), o, parsed.dockerfile.escape));
    if let Err(diagnostic) = check_mounts(&ir, stages.as_ref()) {
        eprintln!("{}", located(input, &diagnostic));
        return None;
    }
    Some(Valid { parsed, ir })
}

/// The first invalid `RUN --mount` value of the given stages (`None`: all), in
/// file order, with BuildKit's message, at its RUN.
fn check_mounts(ir: &Ir, stages: Option<&BTreeSet<usize>>) -> Result<(), Diagnostic> {
    let checked = ir
        .stages
        .iter()
        .enumerate()
        .filter(|(i, _)| stages.is_none_or(|s| s.contains(i)));
    for (_, stage) in checked {
        for command in &stage.commands {
            let CommandKind::Run(run) = &command.kind else {
                continue;
            };
            for mount in &run.mounts {
                if let Some(Err(message)) = &mount.parsed {
                    return Err(Diagnostic::error(message.clone(), command.span));
                }
            }
        }
    }
    Ok(())
}

/// [`prepare`] then the optimizer, for `explain` and `rewrite` (build-args may still
/// change at build time). Errors and parser warnings are printed; `None` means exit 2.
pub fn prepare_optimized(file: &str, build: &BuildOpts) -> Option<(Prepared, Optimized)> {
    let mut prepared = match prepare(file, build, false) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return None;
        }
    };
    if let Err(message) = read_context(&mut prepared, build) {
        eprintln!("{message}");
        return None;
    }
    let input = &prepared.input;
    let valid = validate(input, Some(&prepared.options))?;
    let target_platform = build.target_platform().ok().flatten();
    let setup = BuildSetup {
        build_args: &prepared.build_args,
        target: prepared.options.target.as_deref(),
        target_platform,
        all_stages: false,
        complete_build_args: false,
    };
    if let Some(message) = build_error(input, &valid.parsed, &valid.ir, &setup) {
        eprintln!("{message}");
        return None;
    }
    let opt = match optimize(&input.text, &prepared.settings, &prepared.options) {
        Ok(opt) => opt,
        Err(diagnostic) => {
            eprintln!("{}", located(input, &diagnostic));
            return None;
        }
    };
    for warning in &opt.warnings {
        eprintln!("{}", located(input, warning));
    }
    if let Err(message) = check_target(&opt.ir, prepared.options.target.as_deref()) {
        eprintln!("{}: {message}", input.name);
        return None;
    }
    Some((prepared, opt))
}

/// Reads what the enabled passes ask for from the build context into the
/// optimizer's options.
fn read_context(prepared: &mut Prepared, build: &BuildOpts) -> Result<(), String> {
    let context = ContextDir::for_dockerfile(&prepared.input.name, build.context.as_deref())?;
    let mut facts = ContextFacts::default();
    let mut options = prepared.options.clone();
    ContextDir::read_facts(context.as_ref(), &mut facts, |facts| {
        options.context = facts.clone();
        context_queries(&prepared.input.text, &prepared.settings, &options)
    });
    prepared.options.context = facts;
    Ok(())
}

/// `FILE:LINE:COL: message` for a diagnostic of `input`.
pub fn located(input: &Input, diagnostic: &Diagnostic) -> String {
    let index = LineIndex::new(&input.text);
    let at = index.line_col(&input.text, diagnostic.span.start);
    let kind = if diagnostic.is_error() {
        ""
    } else {
        "warning: "
    };
    format!(
        "{}:{}:{}: {kind}{}",
        input.name, at.line, at.column, diagnostic.message
    )
}

/// Checks that `target` names a stage of the Dockerfile (BuildKit's message).
pub fn check_target(
    ir: &dfopt_dockerfile::instructions::Ir,
    target: Option<&str>,
) -> Result<(), String> {
    let names = StageNames::of_stages(ir.stages.iter().map(|s| s.name.as_deref()));
    if names.target(target, ir.stages.len()).is_some() {
        return Ok(());
    }
    let target = target.unwrap_or_default();
    let names: Vec<&str> = ir.stages.iter().filter_map(|s| s.name.as_deref()).collect();
    let mut message = format!("target stage {target:?} could not be found");
    if !names.is_empty() {
        message.push_str(&format!(" (stages: {})", names.join(", ")));
    }
    Err(message)
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
pub fn print_stdout(bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("error: cannot write to standard output: {e}")),
    }
}

/// Serialises `value` as pretty JSON with a final newline.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    text.push('\n');
    text
}

/// A byte range of the input as JSON: 1-based lines, byte offsets.
#[derive(serde::Serialize, Clone, Debug, PartialEq, Eq)]
pub struct JsonRange {
    pub start_line: u32,
    pub end_line: u32,
    pub start_byte: u32,
    pub end_byte: u32,
}

impl JsonRange {
    pub fn new(index: &LineIndex, span: dfopt_dockerfile::Span) -> JsonRange {
        let (start_line, end_line) = index.lines(span);
        JsonRange {
            start_line,
            end_line,
            start_byte: span.start,
            end_byte: span.end,
        }
    }
}
