//! Stages replaced by named contexts (`FROM … AS NAME` with a `context:NAME` option).
//!
//! BuildKit (HEAD `dockerfile2llb.toDispatchState`) looks every stage name up as a
//! named context; when one exists the stage's `FROM` and all its instructions are
//! ignored and the stage *is* the context (its filesystem, and its image config when
//! it has one). Other stages still refer to it by name.
//!
//! The conversion library knows nothing of named contexts, so the frontend hands it a
//! rewritten Dockerfile: the stage's base becomes a placeholder image
//! ([`super::named::stage_placeholder`], swapped for the context after lowering, like
//! any `FROM NAME`) and its instructions are blanked out. The rewrite keeps every line
//! where it was (replaced text keeps its newlines), so line numbers in errors and
//! source maps stay those of the user's Dockerfile; its flags (`--platform`) stay.
//!
//! Whether a stage is replaced can depend on the platform (`context:NAME::linux/arm64`):
//! the stage's literal `--platform` is used when it has no variables, else the target
//! platform.

use dfopt_dockerfile::syntax::ast::Instruction;
use dfopt_dockerfile::{Parsed, Span};
use dfopt_llb::{ImageRef, Platform};

use super::named::{context_name, stage_placeholder, NamedContexts};
use crate::lowering::DockerfileSource;
use crate::platform;

/// The Dockerfile with the stages `named` replaces cut down to a placeholder `FROM`,
/// or `None` when no stage is replaced.
pub fn rewrite(
    dockerfile: &DockerfileSource,
    parsed: &Parsed,
    named: &NamedContexts,
    target_platform: &Platform,
) -> Option<DockerfileSource> {
    if named.is_empty() {
        return None;
    }
    let text = &dockerfile.text;
    let mut edits: Vec<(Span, String)> = Vec::new();
    let mut blanking = false;
    for instruction in &parsed.dockerfile.instructions {
        if instruction.keyword == "from" {
            blanking = false;
            let Some((base, name)) = base_and_name(instruction) else {
                continue;
            };
            let platform = stage_platform(instruction).unwrap_or_else(|| target_platform.clone());
            let Some(lookup) = stage_context_name(&name) else {
                continue;
            };
            if named.find(&lookup, &platform).is_none() {
                continue;
            }
            let replaced = Span::new(base.start as usize, instruction.span.end as usize);
            let newlines = newlines_in(text, replaced);
            edits.push((
                replaced,
                format!("{} AS {name}{newlines}", stage_placeholder(&lookup)),
            ));
            blanking = true;
        } else if blanking {
            edits.push((instruction.span, newlines_in(text, instruction.span)));
        }
    }
    if edits.is_empty() {
        return None;
    }
    let mut rewritten = text.clone();
    for (span, replacement) in edits.iter().rev() {
        let range = span.start as usize..span.end as usize;
        // Spans always lie on char boundaries; never panic if one does not.
        rewritten.get(range.clone())?;
        rewritten.replace_range(range, replacement);
    }
    Some(DockerfileSource::new(
        dockerfile.filename.clone(),
        rewritten.into_bytes(),
    ))
}

/// The base-name word's span and the lowercased stage name of `FROM base AS name`.
fn base_and_name(from: &Instruction) -> Option<(Span, String)> {
    match from.words() {
        [base, as_word, name] if as_word.text.eq_ignore_ascii_case("as") => {
            Some((base.span, name.text.to_lowercase()))
        }
        _ => None,
    }
}

/// The name a stage is looked up under (BuildKit parses it as an image reference).
fn stage_context_name(stage: &str) -> Option<String> {
    let reference = ImageRef::parse_normalized(stage).ok()?;
    context_name(&reference.to_string())
}

/// The `--platform` of a `FROM`, when it is a literal platform.
fn stage_platform(from: &Instruction) -> Option<Platform> {
    let value = from
        .flags
        .iter()
        .find_map(|flag| flag.text.strip_prefix("--platform="))?;
    if value.contains('$') {
        return None;
    }
    platform::parse(value).ok()
}

/// Only the newlines of `span` in `text`.
fn newlines_in(text: &str, span: Span) -> String {
    let part = text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    part.chars().filter(|&c| c == '\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caps::Caps;
    use crate::options::FrontendOptions;
    use std::collections::BTreeMap;

    fn named(specs: &[(&str, &str)]) -> NamedContexts {
        let mut options = FrontendOptions::default();
        for (key, value) in specs {
            options
                .named_contexts
                .insert((*key).to_owned(), (*value).to_owned());
        }
        let caps = Caps {
            gateway: dfopt_llb::CapSet::from_iter(["solve.base"]),
            llb: dfopt_llb::CapSet::buildkit_v0_8(),
        };
        NamedContexts::new(&options, "sid", &caps, BTreeMap::new())
    }

    fn rewritten(text: &str, specs: &[(&str, &str)]) -> Option<String> {
        let source = DockerfileSource::new("Dockerfile", text.as_bytes().to_vec());
        let parsed = dfopt_dockerfile::parse(text);
        rewrite(
            &source,
            &parsed,
            &named(specs),
            &Platform::new("linux", "amd64"),
        )
        .map(|d| d.text)
    }

    #[test]
    fn replaced_stage_keeps_its_lines() {
        let text =
            "FROM busybox AS base\nRUN echo a \\\n  && echo b\nCOPY x /x\nFROM base\nRUN ls\n";
        let out = rewritten(text, &[("base", "docker-image://alpine")]).expect("rewritten");
        let placeholder = stage_placeholder("base");
        assert_eq!(
            out,
            format!("FROM {placeholder} AS base\n\n\n\nFROM base\nRUN ls\n")
        );
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn flags_stay_and_other_stages_are_untouched() {
        let text =
            "FROM --platform=linux/arm64 busybox AS Tools\nRUN x\nFROM busybox AS other\nRUN y\n";
        let out = rewritten(text, &[("tools", "local:tools")]).expect("rewritten");
        assert!(
            out.starts_with(&format!(
                "FROM --platform=linux/arm64 {} AS tools\n\n",
                stage_placeholder("tools")
            )),
            "{out}"
        );
        assert!(out.ends_with("FROM busybox AS other\nRUN y\n"), "{out}");
    }

    #[test]
    fn platform_specific_keys() {
        let text = "FROM --platform=linux/arm64 busybox AS base\nRUN x\n";
        assert!(rewritten(text, &[("base::linux/amd64", "local:x")]).is_none());
        assert!(rewritten(text, &[("base::linux/arm64", "local:x")]).is_some());
    }

    #[test]
    fn nothing_to_replace() {
        assert!(rewritten("FROM busybox AS base\n", &[]).is_none());
        assert!(rewritten("FROM busybox AS base\n", &[("other", "local:x")]).is_none());
        // `FROM base` (no AS) is a base-name use, handled after lowering.
        assert!(rewritten("FROM base\n", &[("base", "local:x")]).is_none());
    }

    #[test]
    fn heredocs_are_blanked_whole() {
        let text = "FROM busybox AS gen\nRUN <<EOF\necho hi\nEOF\nFROM gen\n";
        let out = rewritten(text, &[("gen", "local:x")]).expect("rewritten");
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(!out.contains("echo hi"));
        assert!(out.ends_with("FROM gen\n"));
    }
}
