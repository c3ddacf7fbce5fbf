//! `dfopt check`: dfopt's cache-efficiency rules (`dfopt_findings::cache`) over a
//! Dockerfile, as findings with code frames and fixes. The rules live in the
//! findings library, where the frontend runs them too (`docker buildx build
//! --check`); this file reads the input, finds out whether a `.dockerignore`
//! applies, and prints.

use std::path::Path;

use dfopt_dockerfile::LineIndex;
use dfopt_findings::cache::{self, Dockerignore, Facts, Input};
use dfopt_findings::{CheckConfig, Finding};
use serde::Serialize;

use crate::build_error::{build_error, BuildSetup};
use crate::common::{self, JsonRange, ReportFormat, ERROR, FINDINGS, OK};
use crate::dockerignore;
use crate::frame;
use crate::input;
use crate::style::{ColorChoice, Style};

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

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    message: &'a str,
    fix: &'a str,
    url: &'a str,
    ranges: Vec<JsonRange>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    findings: Vec<JsonFinding<'a>>,
}

/// Whether the Dockerfile at `path` has an ignore file, as BuildKit looks for one
/// when the Dockerfile is in the context root; unknown for standard input.
fn dockerignore_fact(path: Option<&Path>) -> Dockerignore {
    let Some(path) = path else {
        return Dockerignore::Unknown;
    };
    if dockerignore::find(path).is_some() {
        return Dockerignore::Present;
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| ".".to_string(), |d| d.display().to_string());
    Dockerignore::Missing {
        expected: format!("{dir}/.dockerignore"),
    }
}

pub fn run(args: &CheckArgs, color: ColorChoice) -> u8 {
    let style = Style::stdout(color);
    if args.list_rules {
        let mut out = String::new();
        for rule in cache::RULES {
            out.push_str(&format!(
                "{:<22} {}\n",
                style.bold(rule.id),
                rule.description
            ));
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
    // Every stage, as `docker build --check` without a target checks them all.
    let Some(valid) = common::validate(&input, None) else {
        return ERROR;
    };
    for warning in valid.parsed.warnings() {
        eprintln!("{}", common::located(&input, warning));
    }
    let no_build_args = std::collections::BTreeMap::new();
    let setup = BuildSetup {
        build_args: &no_build_args,
        target: None,
        target_platform: None,
        all_stages: true,
        complete_build_args: false,
    };
    if let Some(message) = build_error(&input, &valid.parsed, &valid.ir, &setup) {
        eprintln!("{message}");
        return ERROR;
    }
    let config = match CheckConfig::from_directive(&valid.parsed.dockerfile) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{}: {message}", input.name);
            return ERROR;
        }
    };
    let path = (input.name != "-").then(|| Path::new(&input.name));
    let facts = Facts {
        dockerignore: dockerignore_fact(path),
    };
    let report = cache::run(
        &Input {
            source: &input.text,
            ir: &valid.ir,
            facts: &facts,
            stages: None,
        },
        &config,
    );
    let findings = &report.findings;
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
                            rule: f.rule.id,
                            line: at.line,
                            column: at.column,
                            end_line: index.lines(first).1,
                            message: &f.message,
                            fix: f.fix.as_deref().unwrap_or_default(),
                            url: f.rule.url,
                            ranges: f.spans.iter().map(|&s| JsonRange::new(&index, s)).collect(),
                        }
                    })
                    .collect(),
            };
            common::to_json(&report)
        }
        ReportFormat::Human => human(&input, findings, style),
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
            style.heading("33", &format!("warning[{}]", f.rule.id)),
            style.bold(&format!(": {}", f.message))
        ));
        out.push_str(&frame::render(&input.text, &input.name, &f.spans, style));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("  {} {}\n", style.blue("= fix:"), fix));
        }
        out.push_str(&format!("  {} {}\n\n", style.blue("= see:"), f.rule.url));
    }
    if findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for f in findings {
        match counts.iter_mut().find(|(r, _)| *r == f.rule.id) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.rule.id, 1)),
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
