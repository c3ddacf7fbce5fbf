//! `frontend.lint`: BuildKit's Dockerfile checks (`docker build --check`).
//!
//! Without a `target` every stage is checked (BuildKit's "no target means all
//! targets"); with one, the stages it needs. An error that would fail the build (an
//! invalid instruction, an unknown target, `# check=error=true` with findings) does
//! not fail the request: it is reported in `buildError`, as BuildKit does.

use std::collections::BTreeMap;

use dfopt_dockerfile::lint::{self, Analysis, Warning};

use super::gojson::{location, pb_types, Json};
use super::{analysis_options, Context, Reply, LINT, RESULT_JSON, RESULT_STATUSCODE, RESULT_TXT};
use crate::errors::BuildError;

/// `{"warnings": […]|null, "sources": [<Dockerfile source info>], "buildError"?: {message, location}}`,
/// the warnings printed with code frames, and status `1` when anything was found.
pub(super) async fn answer(context: &Context<'_>) -> Result<Reply, BuildError> {
    let check = super::check_override(context)?;
    let text = &context.loaded.dockerfile.text;
    let parsed = dfopt_dockerfile::parse(text);
    let images = if parsed.error().is_none() {
        context.base_images(&parsed).await
    } else {
        BTreeMap::new()
    };
    let all_stages = context
        .env
        .options
        .target
        .as_deref()
        .is_none_or(str::is_empty);
    let options = analysis_options(context, &images, check, all_stages);
    let analysis = lint::analyze(text, &parsed, &options);

    let warnings: Vec<Json> = analysis.warnings.iter().map(warning).collect();
    let source = dfopt_llb::pb::SourceInfo {
        filename: context.loaded.dockerfile.filename.clone(),
        data: context.loaded.dockerfile.data.clone(),
        definition: Some(context.loaded.definition.clone()),
        language: "Dockerfile".to_owned(),
    };
    let mut json = Json::object()
        .field(
            "warnings",
            if warnings.is_empty() {
                Json::Null
            } else {
                Json::Array(warnings)
            },
        )
        .field("sources", Json::Array(vec![pb_types::source_info(&source)]));
    if let Some(error) = &analysis.error {
        json = json.field(
            "buildError",
            Json::object()
                .field("message", Json::str(&error.message))
                .field("location", location(&error.location)),
        );
    }
    let status = if analysis.warnings.is_empty() && analysis.error.is_none() {
        "0"
    } else {
        "1"
    };
    Ok(super::reply(
        &LINT,
        vec![
            (RESULT_JSON, json.indented().into_bytes()),
            (
                RESULT_TXT,
                print(
                    &analysis,
                    &context.loaded.dockerfile.filename,
                    &context.loaded.dockerfile.data,
                )
                .into_bytes(),
            ),
            (RESULT_STATUSCODE, status.as_bytes().to_vec()),
        ],
    ))
}

fn warning(w: &Warning) -> Json {
    Json::object()
        .field("ruleName", Json::str(w.rule.name))
        .str_field("description", w.rule.description)
        .str_field("url", w.rule.url)
        .str_field("detail", &w.detail)
        .field("location", location(&w.location))
}

/// BuildKit's `LintResults.PrintTo`: warnings ordered by line (those without a
/// location first), each as `WARNING: <rule> - <url>`, the detail and a code frame.
/// (BuildKit's sort is not stable for equal lines in long lists; this one is.)
fn print(analysis: &Analysis, filename: &str, data: &[u8]) -> String {
    let mut warnings: Vec<&Warning> = analysis.warnings.iter().collect();
    warnings.sort_by_key(|w| w.location.first().map(|l| l.0));
    let mut out = String::new();
    for w in warnings {
        out.push_str(&format!("\nWARNING: {}", w.rule.name));
        if !w.rule.url.is_empty() {
            out.push_str(&format!(" - {}", w.rule.url));
        }
        out.push_str(&format!("\n{}\n", w.detail));
        out.push_str(&code_frame(filename, data, &w.location));
    }
    out
}

/// BuildKit's `errdefs.Source.Print`: the lines around `ranges`, marked with `>>>`.
fn code_frame(filename: &str, data: &[u8], ranges: &[lint::Lines]) -> String {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(start) = ranges.iter().map(|r| r.0).min() else {
        return String::new();
    };
    let mut end = ranges.iter().map(|r| r.0.max(r.1)).max().unwrap_or(start) as usize;
    let mut start = start as usize;
    if start > lines.len() || start < 1 {
        return String::new();
    }
    end = end.min(lines.len());
    let pad = if end == start { 4 } else { 2 };
    let first = start;
    let mut p = 0;
    while p < pad {
        if start > 1 {
            start -= 1;
            p += 1;
        }
        if end != lines.len() {
            end += 1;
            p += 1;
        }
        p += 1;
    }
    let mut out = format!("{filename}:{first}\n--------------------\n");
    for i in start..=end {
        let marked = ranges
            .iter()
            .any(|r| (r.0 as usize) <= i && (r.0.max(r.1) as usize) >= i);
        let prefix = if marked { ">>>" } else { "   " };
        out.push_str(&format!(" {i:>3} | {prefix} {}\n", lines[i - 1]));
    }
    out.push_str("--------------------\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_frame_like_buildkit() {
        let data = b"FROM a\nRUN b\nCMD c\n";
        assert_eq!(
            code_frame("Dockerfile", data, &[(3, 3)]),
            "Dockerfile:3\n--------------------\n   1 |     FROM a\n   2 |     RUN b\n   3 | >>> CMD c\n   4 |     \n--------------------\n"
        );
    }
}
