//! `dfopt explain`: every change the optimizer would make, with code frames,
//! reasons and pass ids, and a summary.

use dfopt_dockerfile::instructions::{CommandKind, Ir};
use dfopt_dockerfile::{LineIndex, Span};
use dfopt_optimizer::{reachable_stages_with, ChangeKind, Optimized};
use serde::Serialize;

use crate::common::{self, BuildOpts, JsonRange, ReportFormat, ERROR, FINDINGS, OK};
use crate::frame;
use crate::style::{ColorChoice, Style};

#[derive(clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    build: BuildOpts,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: ReportFormat,
    /// The Dockerfile, or `-` for standard input.
    file: String,
}

/// What the optimizer did, counted.
#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub rewrites: usize,
    pub reports: usize,
    /// RUN instructions that were merged with others.
    pub runs_merged: usize,
    /// The RUNs they became.
    pub merged_into: usize,
    pub cache_mounts_added: usize,
    /// Tools that got a cache mount (`apt`, `pip`, …).
    pub cache_tools: Vec<String>,
    /// Stages the target does not need (reported by `prune-stages`; the lowering skips them).
    pub stages_pruned: usize,
    /// Layer-creating instructions (RUN, COPY, ADD) in every stage, before and after.
    pub layers_before: usize,
    pub layers_after: usize,
    /// Every directory a cache mount was added on (the image built with
    /// rewrites on differs from the one without only below these).
    pub cache_dirs: Vec<String>,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    pass: &'a str,
    kind: &'a str,
    title: &'a str,
    reason: &'a str,
    note: &'a str,
    ranges: Vec<JsonRange>,
}

/// A cache mount the optimizer added: the cache id BuildKit keeps it under (the
/// target when the mount names none), which says which builds share the cache
/// (and what the CLI could not know, e.g. the platform), and the input lines of
/// the RUN it is on.
#[derive(Serialize)]
struct JsonCacheMount {
    id: String,
    target: String,
    ranges: Vec<JsonRange>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    passes: &'a [&'static str],
    changes: Vec<JsonChange<'a>>,
    cache_mounts: Vec<JsonCacheMount>,
    summary: &'a Summary,
}

pub fn run(args: &ExplainArgs, color: ColorChoice) -> u8 {
    let Some((prepared, opt)) = common::prepare_optimized(&args.file, &args.build) else {
        return ERROR;
    };
    let input = &prepared.input;
    let summary = summarize(&input.text, &opt, &prepared.options);
    let changes = ordered(&opt);
    let index = LineIndex::new(&input.text);
    let text = match args.format {
        ReportFormat::Json => {
            let report = JsonReport {
                file: &input.name,
                passes: opt.settings.enabled(),
                changes: changes
                    .iter()
                    .map(|c| JsonChange {
                        pass: c.pass,
                        kind: kind_name(c.kind),
                        title: &c.title,
                        reason: &c.reason,
                        note: &c.note,
                        ranges: c
                            .ranges
                            .iter()
                            .map(|&s| JsonRange::new(&index, s))
                            .collect(),
                    })
                    .collect(),
                cache_mounts: added_cache_mounts(&input.text, &opt, &index),
                summary: &summary,
            };
            common::to_json(&report)
        }
        ReportFormat::Human => human(input, &opt, &changes, &summary, Style::stdout(color)),
    };
    if let Err(message) = common::print_stdout(text.as_bytes()) {
        eprintln!("{message}");
        return ERROR;
    }
    if summary.rewrites > 0 {
        FINDINGS
    } else {
        OK
    }
}

/// The cache mounts of the rewritten RUNs that the input's instructions they
/// stand for do not have, in file order of the optimised file.
fn added_cache_mounts(source: &str, opt: &Optimized, index: &LineIndex) -> Vec<JsonCacheMount> {
    let spans: Vec<Span> = dfopt_dockerfile::parse(source)
        .dockerfile
        .instructions
        .iter()
        .map(|i| i.span)
        .collect();
    let mut out = Vec::new();
    for (stage, origins) in opt.ir.stages.iter().zip(&opt.origins) {
        for (command, origin) in stage.commands.iter().zip(origins) {
            let CommandKind::Run(run) = &command.kind else {
                continue;
            };
            if origin.text.is_none() {
                continue;
            }
            let originals: Vec<Span> = origin
                .instructions
                .iter()
                .filter_map(|&i| spans.get(i).copied())
                .collect();
            let written = |value: &str| {
                originals.iter().any(|s| {
                    source
                        .get(s.start as usize..s.end as usize)
                        .is_some_and(|t| t.contains(value))
                })
            };
            for mount in &run.mounts {
                let Some((id, target)) = cache_mount(&mount.raw.value) else {
                    continue;
                };
                if written(&mount.raw.value) {
                    continue;
                }
                out.push(JsonCacheMount {
                    id: id.unwrap_or_else(|| target.clone()),
                    target,
                    ranges: originals
                        .iter()
                        .map(|&s| JsonRange::new(index, s))
                        .collect(),
                });
            }
        }
    }
    out
}

/// `(id, target)` of a `type=cache` mount value.
fn cache_mount(value: &str) -> Option<(Option<String>, String)> {
    let mut is_cache = false;
    let mut id = None;
    let mut target = None;
    for field in value.split(',') {
        let (key, v) = field.split_once('=').unwrap_or((field, ""));
        let v = v.trim_matches(['"', '\'']).to_string();
        match key.trim().to_ascii_lowercase().as_str() {
            "type" => is_cache = v == "cache",
            "id" => id = Some(v),
            "target" | "dst" | "destination" => target = Some(v),
            _ => {}
        }
    }
    is_cache.then_some((id, target?))
}

fn kind_name(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Rewrite => "rewrite",
        ChangeKind::Report => "report",
    }
}

/// Rewrites first, then reports, each in file order (changes without a range last).
fn ordered(opt: &Optimized) -> Vec<&dfopt_optimizer::Change> {
    let mut changes: Vec<&dfopt_optimizer::Change> = opt.changes.iter().collect();
    changes.sort_by_key(|c| {
        (
            c.kind,
            c.ranges.iter().map(|r| r.start).min().unwrap_or(u32::MAX),
        )
    });
    changes
}

fn layers(ir: &Ir) -> usize {
    ir.stages
        .iter()
        .flat_map(|s| &s.commands)
        .filter(|c| {
            matches!(
                c.kind,
                CommandKind::Run(_) | CommandKind::Copy(_) | CommandKind::Add(_)
            )
        })
        .count()
}

/// Counts what the optimizer did.
pub fn summarize(source: &str, opt: &Optimized, options: &dfopt_optimizer::Options) -> Summary {
    let mut summary = Summary {
        rewrites: opt.rewrites().count(),
        reports: opt.reports().count(),
        layers_after: layers(&opt.ir),
        cache_dirs: opt.injected_cache_dirs(),
        ..Summary::default()
    };
    let parsed = dfopt_dockerfile::parse(source);
    if let Ok(ir) = dfopt_dockerfile::instructions::parse_dockerfile(&parsed.dockerfile) {
        summary.layers_before = layers(&ir);
    }
    for (stage, origins) in opt.ir.stages.iter().zip(&opt.origins) {
        for (command, origin) in stage.commands.iter().zip(origins) {
            let CommandKind::Run(run) = &command.kind else {
                continue;
            };
            if origin.instructions.len() > 1 {
                summary.merged_into += 1;
                summary.runs_merged += origin.instructions.len();
            }
            if origin.text.is_some() {
                summary.cache_mounts_added += run
                    .mounts
                    .iter()
                    .filter(|m| {
                        m.raw
                            .value
                            .contains(&format!("id={}", dfopt_optimizer::cache_dirs::ID_PREFIX))
                    })
                    .count();
            }
        }
    }
    for change in opt.rewrites().filter(|c| c.pass == "cache-mounts") {
        let tool = change.note.trim_end_matches(" cache").to_string();
        if !tool.is_empty() && !summary.cache_tools.contains(&tool) {
            summary.cache_tools.push(tool);
        }
    }
    if opt.settings.is_enabled("prune-stages") {
        let reachable =
            reachable_stages_with(&opt.ir, options.target.as_deref(), options, opt.escape);
        summary.stages_pruned = opt.ir.stages.len().saturating_sub(reachable.len());
    }
    summary
}

fn human(
    input: &crate::input::Input,
    opt: &Optimized,
    changes: &[&dfopt_optimizer::Change],
    summary: &Summary,
    style: Style,
) -> String {
    let mut out = String::new();
    for change in changes {
        let (label, color) = match change.kind {
            ChangeKind::Rewrite => ("rewrite", "33"),
            ChangeKind::Report => ("note", "36"),
        };
        out.push_str(&format!(
            "{}{}\n",
            style.heading(color, &format!("{label}[{}]", change.pass)),
            style.bold(&format!(": {}", change.title))
        ));
        out.push_str(&frame::render(
            &input.text,
            &input.name,
            &change.ranges,
            style,
        ));
        out.push_str(&format!(
            "  {} {}\n\n",
            style.blue("= reason:"),
            change.reason
        ));
    }
    let passes = opt.settings.enabled();
    if passes.is_empty() {
        out.push_str("No changes: every pass is disabled (DFOPT=off or `# dfopt=off`).\n");
        return out;
    }
    if summary.rewrites == 0 {
        out.push_str(&format!(
            "No rewrites: the Dockerfile is already optimal for the enabled passes ({}).\n",
            passes.join(", ")
        ));
    } else {
        out.push_str(&format!(
            "{} {} rewrite{} ({} note{}), passes: {}\n",
            style.bold("Summary:"),
            summary.rewrites,
            plural(summary.rewrites),
            summary.reports,
            plural(summary.reports),
            passes.join(", ")
        ));
    }
    let tools = if summary.cache_tools.is_empty() {
        String::new()
    } else {
        format!(" ({})", summary.cache_tools.join(", "))
    };
    let rows = [
        (
            "RUNs merged",
            if summary.runs_merged == 0 {
                "0".to_string()
            } else {
                format!("{} into {}", summary.runs_merged, summary.merged_into)
            },
        ),
        (
            "cache mounts added",
            format!("{}{tools}", summary.cache_mounts_added),
        ),
        ("stages pruned", summary.stages_pruned.to_string()),
        (
            "layers (RUN/COPY/ADD)",
            format!("{} -> {}", summary.layers_before, summary.layers_after),
        ),
    ];
    for (name, value) in rows {
        out.push_str(&format!("  {:<22} {value}\n", format!("{name}:")));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
