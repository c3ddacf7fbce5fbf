//! The checks BuildKit runs while it parses: parser warnings, the checks inside
//! `instructions.Parse`, and the whole-file checks right after it
//! (`validateStageNames`, `validateCommandCasing`).

use std::collections::BTreeSet;

use dfopt_dockerfile::instructions::commands::CommandKind;
use dfopt_dockerfile::instructions::parse::{parse_instruction, Parsed as Node, NO_STAGES};
use dfopt_dockerfile::syntax::ast::Word;
use dfopt_dockerfile::syntax::Parsed;
use dfopt_dockerfile::{LineIndex, Span};

use super::rules;
use super::walk::{invalid, Cmd, MetaArgCmd, StageDef};
use super::LintError;
use crate::config::CheckConfig;
use crate::report::Report;

/// Stage names BuildKit reserves.
const RESERVED_STAGE_NAMES: [&str; 2] = ["context", "scratch"];

/// The parser's empty-continuation warnings. BuildKit places them on the last line
/// of the instruction's own text (before any heredoc body); the span is that line's
/// last byte.
pub(super) fn empty_continuations(parsed: &Parsed, config: &CheckConfig, report: &mut Report) {
    for warning in parsed.warnings() {
        if warning.rule != Some(rules::NO_EMPTY_CONTINUATION.id) {
            continue;
        }
        let node = parsed.dockerfile.instructions.iter().find(|ins| {
            ins.span.start <= warning.span.start
                && warning.span.start < ins.span.end.max(ins.span.start + 1)
        });
        let span = match node {
            Some(ins) => {
                let end = ins
                    .heredocs
                    .first()
                    .map_or(ins.span.end, |h| h.span.start.saturating_sub(1));
                let last = end.saturating_sub(1).max(ins.span.start);
                Span::new(last as usize, last as usize + 1)
            }
            None => Span::new(warning.span.start as usize, warning.span.start as usize),
        };
        report.add(
            config,
            &rules::NO_EMPTY_CONTINUATION,
            vec![span],
            rules::no_empty_continuation_detail(),
        );
    }
}

/// BuildKit's `instructions.Parse` with its linter: checks per instruction, then the
/// typed form; the first invalid instruction stops everything.
pub(super) fn parse(
    source: &str,
    parsed: &Parsed,
    config: &CheckConfig,
    report: &mut Report,
) -> Result<(Vec<MetaArgCmd>, Vec<StageDef>), LintError> {
    let mut metas = Vec::new();
    let mut stages: Vec<StageDef> = Vec::new();
    // Lines only for the "parse error on line N" message.
    let mut index = None;
    for node in &parsed.dockerfile.instructions {
        let config = config.with_comments(&node.comments);
        let span = node.span;
        let keyword = node.keyword_span.text(source).to_owned();
        match node.keyword.as_str() {
            "maintainer" => {
                report.add(
                    &config,
                    &rules::MAINTAINER_DEPRECATED,
                    vec![span],
                    rules::maintainer_detail(),
                );
            }
            "from" => from_casing(&keyword, node.words(), span, &config, report),
            _ => {}
        }
        let typed = parse_instruction(node, stages.len(), parsed.dockerfile.escape).map_err(
            |(message, _)| {
                let index = index.get_or_insert_with(|| LineIndex::new(source));
                let line = index.lines(span).0;
                invalid(
                    format!("dockerfile parse error on line {line}: {message}"),
                    vec![span],
                )
            },
        )?;
        match typed {
            Node::Stage(stage) => {
                if let Some(name) = &stage.name {
                    definition_description(
                        "FROM",
                        std::slice::from_ref(name),
                        &node.comments,
                        span,
                        &config,
                        report,
                    );
                }
                stages.push(StageDef {
                    stage: *stage,
                    keyword,
                    span,
                    commands: Vec::new(),
                });
            }
            Node::Command(command) => {
                if let CommandKind::Arg(decls) = &command.kind {
                    let keys: Vec<String> = decls.iter().map(|d| d.key.clone()).collect();
                    definition_description("ARG", &keys, &node.comments, span, &config, report);
                }
                match stages.last_mut() {
                    Some(stage) => stage.commands.push(Cmd {
                        command,
                        keyword,
                        span,
                    }),
                    None => match command.kind {
                        CommandKind::Arg(decls) => metas.push(MetaArgCmd { decls, span }),
                        _ => return Err(invalid("no build stage in current context", vec![span])),
                    },
                }
            }
        }
    }
    if stages.is_empty() {
        return Err(invalid(NO_STAGES, Vec::new()));
    }
    Ok((metas, stages))
}

/// StageNameCasing and FromAsCasing on `FROM image AS name`.
fn from_casing(
    keyword: &str,
    words: &[Word],
    span: Span,
    config: &CheckConfig,
    report: &mut Report,
) {
    if words.len() != 3 {
        return;
    }
    let name = &words[2].text;
    if *name != name.to_lowercase() {
        report.add(
            config,
            &rules::STAGE_NAME_CASING,
            vec![span],
            rules::stage_name_casing_detail(name),
        );
    }
    let as_word = &words[1].text;
    let lower = keyword == keyword.to_lowercase();
    let upper = keyword == keyword.to_uppercase();
    let matches = if lower {
        *as_word == as_word.to_lowercase()
    } else if upper {
        *as_word == as_word.to_uppercase()
    } else {
        true
    };
    if !matches {
        report.add(
            config,
            &rules::FROM_AS_CASING,
            vec![span],
            rules::from_as_casing_detail(keyword, as_word),
        );
    }
}

/// InvalidDefinitionDescription: the comment right above must start with the name.
fn definition_description(
    instruction: &str,
    keys: &[String],
    comments: &[String],
    span: Span,
    config: &CheckConfig,
    report: &mut Report,
) {
    let (Some(last), Some(first_key)) = (comments.last(), keys.first()) else {
        return;
    };
    let first_word = last.split(' ').next().unwrap_or("");
    if keys.iter().any(|k| k == first_word) {
        return;
    }
    let example = if keys.len() > 1 {
        "<arg_key>"
    } else {
        first_key.as_str()
    };
    report.add(
        config,
        &rules::INVALID_DEFINITION_DESCRIPTION,
        vec![span],
        rules::invalid_description_detail(instruction, example),
    );
}

/// ReservedStageName and DuplicateStageName.
pub(super) fn check_stage_names(stages: &[StageDef], config: &CheckConfig, report: &mut Report) {
    let mut seen = BTreeSet::new();
    for def in stages {
        let Some(name) = &def.stage.name else {
            continue;
        };
        if RESERVED_STAGE_NAMES.contains(&name.as_str()) {
            report.add(
                config,
                &rules::RESERVED_STAGE_NAME,
                vec![def.span],
                rules::reserved_stage_name_detail(name),
            );
        }
        if !seen.insert(name.clone()) {
            report.add(
                config,
                &rules::DUPLICATE_STAGE_NAME,
                vec![def.span],
                rules::duplicate_stage_name_detail(name),
            );
        }
    }
}

/// ConsistentInstructionCasing: every keyword (global ARGs excluded, as in BuildKit)
/// against the majority casing.
pub(super) fn check_command_casing(stages: &[StageDef], config: &CheckConfig, report: &mut Report) {
    let keywords = || {
        stages.iter().flat_map(|d| {
            std::iter::once((&d.keyword, d.span))
                .chain(d.commands.iter().map(|c| (&c.keyword, c.span)))
        })
    };
    let (mut lower, mut upper) = (0, 0);
    for (keyword, _) in keywords() {
        if *keyword == keyword.to_lowercase() {
            lower += 1;
        } else if *keyword == keyword.to_uppercase() {
            upper += 1;
        }
    }
    let majority_lower = lower > upper;
    for (keyword, span) in keywords() {
        let casing = if majority_lower && keyword.to_lowercase() != *keyword {
            "lowercase"
        } else if !majority_lower && keyword.to_uppercase() != *keyword {
            "uppercase"
        } else {
            continue;
        };
        report.add(
            config,
            &rules::CONSISTENT_INSTRUCTION_CASING,
            vec![span],
            rules::consistent_casing_detail(keyword, casing),
        );
    }
}
