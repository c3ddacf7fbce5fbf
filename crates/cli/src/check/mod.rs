//! `dfopt check`: findings that follow Docker's cache-efficiency guidelines
//! (<https://docs.docker.com/build/cache/optimize/>,
//! <https://docs.docker.com/build/building/best-practices/>).
//!
//! Each rule is a small function in `rules/`, with a doc comment saying what
//! it finds, why it matters, and an example. Rules read the typed instructions
//! (`dfopt-dockerfile`) and, for RUN, the simple commands of the shell script
//! ([`shell`]). They are heuristics: they report, they never rewrite.

pub mod rules;
pub mod shell;
pub mod tools;

use std::path::Path;

use dfopt_dockerfile::instructions::{self, Command, CommandKind, Ir, Run};
use dfopt_dockerfile::{LineIndex, Span};
use serde::Serialize;

use crate::common::{self, JsonRange, ReportFormat, ERROR, FINDINGS, OK};
use crate::frame;
use crate::input;
use crate::style::{ColorChoice, Style};
use shell::SimpleCommand;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: ReportFormat,
    /// List the rules and exit.
    #[arg(long)]
    list_rules: bool,
    /// The Dockerfile, or `-` for standard input.
    #[arg(required_unless_present = "list_rules")]
    file: Option<String>,
}

/// What the rules look at.
pub struct Context<'a> {
    pub source: &'a str,
    pub ir: &'a Ir,
    /// The Dockerfile's path; `None` when it was read from standard input.
    pub path: Option<&'a Path>,
}

impl Context<'_> {
    /// Every command of every stage, with its stage index.
    pub fn commands(&self) -> impl Iterator<Item = (usize, &Command)> {
        self.ir
            .stages
            .iter()
            .enumerate()
            .flat_map(|(s, stage)| stage.commands.iter().map(move |c| (s, c)))
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id (kebab-case).
    pub rule: &'static str,
    /// The instructions concerned; the first one is where the finding is.
    pub spans: Vec<Span>,
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// A rule: id, one-line summary, and the check.
pub struct Rule {
    pub id: &'static str,
    pub summary: &'static str,
    pub check: fn(&Context) -> Vec<Finding>,
}

/// The RUN of a command, if it is one.
pub fn as_run(command: &Command) -> Option<&Run> {
    match &command.kind {
        CommandKind::Run(run) => Some(run),
        _ => None,
    }
}

/// The simple commands of a RUN (empty for other instructions).
pub fn simple_commands(command: &Command) -> Vec<SimpleCommand> {
    as_run(command).map(shell::run_commands).unwrap_or_default()
}

/// Targets of the `type=cache` mounts of a RUN.
pub fn cache_mount_targets(run: &Run) -> Vec<String> {
    let mut out = Vec::new();
    for mount in &run.mounts {
        let mut is_cache = false;
        let mut target = None;
        for field in mount.raw.value.split(',') {
            let (key, value) = field.split_once('=').unwrap_or((field, ""));
            let value = value.trim_matches(['"', '\'']);
            match key.trim().to_ascii_lowercase().as_str() {
                "type" => is_cache = value == "cache",
                "target" | "dst" | "destination" => target = Some(value.to_string()),
                _ => {}
            }
        }
        if is_cache {
            out.push(target.unwrap_or_default());
        }
    }
    out
}

/// Runs every rule; findings in file order.
pub fn check(cx: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::RULES
        .iter()
        .flat_map(|rule| (rule.check)(cx))
        .collect();
    findings.sort_by_key(|f| (f.spans.first().map_or(0, |s| s.start), f.rule));
    findings
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    message: &'a str,
    fix: &'a str,
    ranges: Vec<JsonRange>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    findings: Vec<JsonFinding<'a>>,
}

pub fn run(args: &CheckArgs, color: ColorChoice) -> u8 {
    let style = Style::stdout(color);
    if args.list_rules {
        let mut out = String::new();
        for rule in &rules::RULES {
            out.push_str(&format!("{:<26} {}\n", style.bold(rule.id), rule.summary));
        }
        return match common::print_stdout(out.as_bytes()) {
            Ok(()) => OK,
            Err(message) => {
                eprintln!("{message}");
                ERROR
            }
        };
    }
    let Some(file) = args.file.as_deref() else {
        eprintln!("error: a Dockerfile is required");
        return ERROR;
    };
    let input = match input::read(file) {
        Ok(input) => input,
        Err(message) => {
            eprintln!("{message}");
            return ERROR;
        }
    };
    let parsed = dfopt_dockerfile::parse(&input.text);
    for diagnostic in &parsed.diagnostics {
        eprintln!("{}", common::located(&input, diagnostic));
    }
    if parsed.error().is_some() {
        return ERROR;
    }
    let ir = match instructions::parse_dockerfile(&parsed.dockerfile) {
        Ok(ir) => ir,
        Err(diagnostic) => {
            eprintln!("{}", common::located(&input, &diagnostic));
            return ERROR;
        }
    };
    let path = (input.name != "-").then(|| Path::new(&input.name));
    let cx = Context {
        source: &input.text,
        ir: &ir,
        path,
    };
    let findings = check(&cx);
    let index = LineIndex::new(&input.text);
    let text = match args.format {
        ReportFormat::Json => {
            let report = JsonReport {
                file: &input.name,
                findings: findings
                    .iter()
                    .map(|f| {
                        let first = f.spans.first().copied().unwrap_or_default();
                        let at = index.line_col(&input.text, first.start);
                        JsonFinding {
                            rule: f.rule,
                            line: at.line,
                            column: at.column,
                            end_line: index.lines(first).1,
                            message: &f.message,
                            fix: &f.fix,
                            ranges: f.spans.iter().map(|&s| JsonRange::new(&index, s)).collect(),
                        }
                    })
                    .collect(),
            };
            common::to_json(&report)
        }
        ReportFormat::Human => human(&input, &findings, style),
    };
    if let Err(message) = common::print_stdout(text.as_bytes()) {
        eprintln!("{message}");
        return ERROR;
    }
    if findings.is_empty() {
        OK
    } else {
        FINDINGS
    }
}

fn human(input: &input::Input, findings: &[Finding], style: Style) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{}{}\n",
            style.heading("33", &format!("warning[{}]", f.rule)),
            style.bold(&format!(": {}", f.message))
        ));
        out.push_str(&frame::render(&input.text, &input.name, &f.spans, style));
        out.push_str(&format!("  {} {}\n\n", style.blue("= fix:"), f.fix));
    }
    if findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for f in findings {
        match counts.iter_mut().find(|(r, _)| *r == f.rule) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.rule, 1)),
        }
    }
    counts.sort();
    let list: Vec<String> = counts.iter().map(|(r, n)| format!("{r} ({n})")).collect();
    out.push_str(&format!(
        "{} finding{}: {}\n",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        list.join(", ")
    ));
    out
}
