//! Running dfopt's rewrites inside the build, and keeping their result honest
//! towards the user's Dockerfile.
//!
//! The optimizer rewrites the typed IR and renders it as Dockerfile text; the
//! converter lowers that text. Everything the user sees must still point at
//! *their* file, so after lowering:
//! - the Definition's source map gets the original Dockerfile back, and every
//!   location (lines of the rendered text) becomes the lines of the original
//!   instructions it came from;
//! - conversion errors are located the same way;
//! - progress names of rewritten steps get a note such as
//!   `(dfopt: 3 RUNs merged, apt cache)`.
//!
//! `--build-arg DFOPT=off` (or `# dfopt=off`) skips all of this.

use std::collections::BTreeMap;

use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::scope::{global_arg_decls, resolve_meta_args, Vars};
use dfopt_dockerfile::LineIndex;
use dfopt_llb::{pb, ImageRef};
use dfopt_optimizer::{ImageInfo, Optimized, Options, Settings};

use crate::errors::LineRange;
use crate::lowering::{LowerError, ResolvedImages};

/// The rewritten Dockerfile and how to map it back.
pub struct Rewritten {
    pub optimized: Optimized,
    /// The optimised Dockerfile the converter lowers.
    pub text: String,
    /// For each instruction of `text`, in order: its 1-based line range there, the
    /// original line ranges it stands for, and its progress note.
    map: LineMap,
}

/// For each rendered instruction: its line range, the original line ranges, its progress note.
type LineMap = Vec<((u32, u32), Vec<(u32, u32)>, Option<String>)>;

/// Optimises `source` unless the settings turn every pass off or nothing changes.
pub fn rewrite(
    source: &str,
    build_args: &BTreeMap<String, String>,
    target: Option<&str>,
    target_platform: Option<String>,
    build_platform: Option<String>,
    images: BTreeMap<usize, ImageInfo>,
) -> Result<Option<Rewritten>, LowerError> {
    let settings = Settings::from_build_args(build_args, source).map_err(|e| match e.line {
        Some(line) => {
            let line = u32::try_from(line).unwrap_or(u32::MAX);
            LowerError::at(
                e.message,
                LineRange {
                    start: line,
                    end: line,
                },
            )
        }
        None => LowerError::new(e.message),
    })?;
    if settings.is_off() {
        return Ok(None);
    }
    let options = Options {
        target: target.map(str::to_owned),
        build_args: build_args.clone(),
        complete_build_args: true,
        target_platform,
        build_platform,
        images,
    };
    let optimized = dfopt_optimizer::optimize(source, &settings, &options)
        .map_err(|d| LowerError::new(format!("dfopt: {}", d.message)))?;
    if optimized.rewrites().next().is_none() {
        return Ok(None);
    }
    let text = dfopt_optimizer::render(source, &optimized);
    let map = line_map(source, &text, &optimized)?;
    Ok(Some(Rewritten {
        optimized,
        text,
        map,
    }))
}

/// Pairs the rendered instructions with the original ones, in render order
/// (global ARGs, then each stage's FROM and commands).
fn line_map(source: &str, text: &str, optimized: &Optimized) -> Result<LineMap, LowerError> {
    let original = dfopt_dockerfile::parse(source);
    let rendered = dfopt_dockerfile::parse(text);
    if rendered.error().is_some() {
        return Err(LowerError::new("dfopt: the rewritten Dockerfile does not parse; build with --build-arg DFOPT=off and report this"));
    }
    let (orig_index, new_index) = (LineIndex::new(source), LineIndex::new(text));
    let orig_lines = |i: usize| {
        original
            .dockerfile
            .instructions
            .get(i)
            .map(|ins| orig_index.lines(ins.span))
    };
    let mut origins = Vec::new();
    for origin in &optimized.meta_origins {
        origins.push((origin.instructions.clone(), None));
    }
    for (stage, commands) in optimized.origins.iter().enumerate() {
        if let Some(&from) = optimized.stage_from.get(stage) {
            origins.push((vec![from], None));
        }
        for (index, origin) in commands.iter().enumerate() {
            origins.push((origin.instructions.clone(), optimized.note(stage, index)));
        }
    }
    if origins.len() != rendered.dockerfile.instructions.len() {
        return Err(LowerError::new(
            "dfopt: the rewritten Dockerfile does not line up with the original; build with --build-arg DFOPT=off and report this",
        ));
    }
    Ok(rendered
        .dockerfile
        .instructions
        .iter()
        .zip(origins)
        .map(|(ins, (originals, note))| {
            let lines = originals.iter().filter_map(|&i| orig_lines(i)).collect();
            (new_index.lines(ins.span), lines, note)
        })
        .collect())
}

impl Rewritten {
    /// Original line ranges for a range of rendered lines.
    pub fn original_lines(&self, start: u32, end: u32) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = Vec::new();
        for ((a, b), originals, _) in &self.map {
            if *a <= end && start <= *b {
                out.extend(originals.iter().copied());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Puts the user's Dockerfile back into the source map and renames rewritten steps.
    pub fn restore(&self, definition: &mut pb::Definition, original: &[u8]) {
        let Some(source) = definition.source.as_mut() else {
            return;
        };
        for info in &mut source.infos {
            info.data = original.to_vec();
        }
        let mut notes: BTreeMap<String, String> = BTreeMap::new();
        for (digest, locations) in &mut source.locations {
            for location in &mut locations.locations {
                let mut ranges = Vec::new();
                for range in &location.ranges {
                    let start = range.start.as_ref().map_or(0, |p| p.line.max(0) as u32);
                    let end = range.end.as_ref().map_or(start, |p| p.line.max(0) as u32);
                    for ((a, b), originals, note) in &self.map {
                        if *a <= end && start <= *b {
                            if let Some(note) = note {
                                notes.insert(digest.clone(), note.clone());
                            }
                            for &(s, e) in originals {
                                ranges.push(pb::Range {
                                    start: Some(pb::Position {
                                        line: s as i32,
                                        character: 0,
                                    }),
                                    end: Some(pb::Position {
                                        line: e as i32,
                                        character: 0,
                                    }),
                                });
                            }
                        }
                    }
                }
                if !ranges.is_empty() {
                    location.ranges = ranges;
                }
            }
        }
        for (digest, note) in notes {
            if let Some(name) = definition
                .metadata
                .get_mut(&digest)
                .and_then(|meta| meta.description.get_mut("llb.customname"))
            {
                if !name.starts_with("[internal]") {
                    name.push(' ');
                    name.push_str(&note);
                }
            }
        }
    }
}

/// What the passes need to know about each stage's external base image: user,
/// env, workdir, shell, OS. Stage bases are expanded with the global ARGs and
/// matched against the resolved images by normalized reference.
pub fn image_infos(
    source: &str,
    build_args: &BTreeMap<String, String>,
    platform_args: Vars,
    resolved: &ResolvedImages,
) -> BTreeMap<usize, ImageInfo> {
    let mut infos = BTreeMap::new();
    let parsed = dfopt_dockerfile::parse(source);
    let Ok(ir) = dfopt_dockerfile::instructions::parse_dockerfile(&parsed.dockerfile) else {
        return infos;
    };
    let lexer = Lexer::new(parsed.dockerfile.escape);
    let decls = global_arg_decls(&ir);
    let Ok((globals, _)) = resolve_meta_args(decls, build_args, platform_args, &lexer) else {
        return infos;
    };
    for stage in &ir.stages {
        let Ok(base) = lexer.process_word(&stage.base, &globals) else {
            continue;
        };
        let Ok(reference) = ImageRef::parse_normalized(&base) else {
            continue;
        };
        let wanted = reference.to_string();
        let Some(image) = resolved
            .iter()
            .find(|(key, _)| key.reference == wanted)
            .map(|(_, image)| image)
        else {
            continue;
        };
        if let Some(info) = image_info(&image.config) {
            infos.insert(stage.index, info);
        }
    }
    infos
}

fn image_info(config: &[u8]) -> Option<ImageInfo> {
    let value: serde_json::Value = serde_json::from_slice(config).ok()?;
    let cfg = value
        .get("config")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or("").to_owned();
    Some(ImageInfo {
        user: text(cfg.get("User")),
        env: strings(cfg.get("Env")),
        working_dir: text(cfg.get("WorkingDir")),
        shell: strings(cfg.get("Shell")),
        os: text(value.get("os")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfopt_dockerfile::stages::builtin_args::DFOPT;

    const DOCKERFILE: &str = "FROM busybox\n# build steps\nRUN echo a\nRUN echo b \\\n  && echo c\nCOPY x /x\nRUN echo d\n";

    fn rewritten(dfopt: Option<&str>) -> Option<Rewritten> {
        let mut args = BTreeMap::new();
        if let Some(v) = dfopt {
            args.insert(DFOPT.to_owned(), v.to_owned());
        }
        rewrite(
            DOCKERFILE,
            &args,
            None,
            Some("linux/amd64".into()),
            Some("linux/amd64".into()),
            BTreeMap::new(),
        )
        .expect("rewrite")
    }

    #[test]
    fn merged_runs_map_back_to_every_original_line() {
        let r = rewritten(None).expect("the two RUNs merge");
        let rendered = LineIndex::new(&r.text);
        let parsed = dfopt_dockerfile::parse(&r.text);
        let run = &parsed.dockerfile.instructions[1];
        assert_eq!(run.keyword, "run");
        let (start, end) = rendered.lines(run.span);
        assert_eq!(r.original_lines(start, end), vec![(3, 3), (4, 5)]);
        // COPY and the last RUN keep their own lines.
        let copy = &parsed.dockerfile.instructions[2];
        let (start, end) = rendered.lines(copy.span);
        assert_eq!(r.original_lines(start, end), vec![(6, 6)]);
    }

    #[test]
    fn restore_puts_original_text_lines_and_notes_back() {
        let r = rewritten(None).expect("rewrites");
        let rendered = LineIndex::new(&r.text);
        let parsed = dfopt_dockerfile::parse(&r.text);
        let (start, end) = rendered.lines(parsed.dockerfile.instructions[1].span);
        let at = |line: u32| pb::Position {
            line: line as i32,
            character: 0,
        };
        let mut definition = pb::Definition::default();
        definition.metadata.insert(
            "sha256:run".into(),
            pb::OpMetadata {
                description: [("llb.customname".to_owned(), "[2/4] RUN echo a".to_owned())].into(),
                ..Default::default()
            },
        );
        definition.source = Some(pb::Source {
            infos: vec![pb::SourceInfo {
                filename: "Dockerfile".into(),
                data: r.text.clone().into_bytes(),
                ..Default::default()
            }],
            locations: [(
                "sha256:run".to_owned(),
                pb::Locations {
                    locations: vec![pb::Location {
                        source_index: 0,
                        ranges: vec![pb::Range {
                            start: Some(at(start)),
                            end: Some(at(end)),
                        }],
                    }],
                },
            )]
            .into(),
        });
        r.restore(&mut definition, DOCKERFILE.as_bytes());
        let source = definition.source.expect("source");
        assert_eq!(source.infos[0].data, DOCKERFILE.as_bytes());
        let lines: Vec<(i32, i32)> = source.locations["sha256:run"].locations[0]
            .ranges
            .iter()
            .map(|r| {
                (
                    r.start.as_ref().map_or(0, |p| p.line),
                    r.end.as_ref().map_or(0, |p| p.line),
                )
            })
            .collect();
        assert_eq!(lines, vec![(3, 3), (4, 5)]);
        let name = &definition.metadata["sha256:run"].description["llb.customname"];
        assert!(name.starts_with("[2/4] RUN echo a (dfopt:"), "{name}");
    }

    #[test]
    fn dfopt_off_and_nothing_to_do_skip_the_rewrite() {
        assert!(rewritten(Some("off")).is_none());
        let plain = rewrite(
            "FROM busybox\nRUN true\n",
            &BTreeMap::new(),
            None,
            None,
            None,
            BTreeMap::new(),
        )
        .expect("ok");
        assert!(plain.is_none());
    }

    #[test]
    fn a_bad_dfopt_value_is_a_clear_error() {
        let mut args = BTreeMap::new();
        args.insert(DFOPT.to_owned(), "-merge-rnus".to_owned());
        let error = rewrite(DOCKERFILE, &args, None, None, None, BTreeMap::new())
            .err()
            .expect("error");
        assert!(error.message.contains("merge-rnus"), "{}", error.message);
    }
}
