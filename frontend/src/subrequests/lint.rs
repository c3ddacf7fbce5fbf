//! `frontend.lint`: BuildKit's Dockerfile checks (`docker build --check`), then
//! dfopt's cache-efficiency rules in the same shape (rule name, description, URL,
//! detail, located ranges), so buildx prints them alike and `# check=skip=<Rule>`
//! turns them off. Only BuildKit's rules count for `# check=error=true`.
//!
//! Without a `target` every stage is checked (BuildKit's "no target means all
//! targets"); with one, the stages it needs. An error that would fail the build (an
//! invalid instruction, an unknown target, `# check=error=true` with findings) does
//! not fail the request: it is reported in `buildError`, as BuildKit does.

use dfopt_dockerfile::LineIndex;
use dfopt_findings::Finding;

use super::gojson::{location, pb_types, Json};
use super::{lines, Reply, LINT, RESULT_JSON, RESULT_STATUSCODE, RESULT_TXT};
use crate::errors::BuildError;
use crate::session::Session;

/// `{"warnings": […]|null, "sources": [<Dockerfile source info>], "buildError"?: {message, location}}`,
/// the warnings printed with code frames, and status `1` when anything was found.
pub(super) async fn answer(context: &Session<'_>) -> Result<Reply, BuildError> {
    let text = &context.loaded.dockerfile.text;
    let parsed = dfopt_dockerfile::parse(text);
    let all_stages = context
        .env
        .options
        .target
        .as_deref()
        .is_none_or(str::is_empty);
    let mut analysis = context.analyze(&parsed, all_stages).await?;
    let check = crate::checks::check_override(&context.env.options)?;
    analysis.findings.extend(crate::checks::cache_findings(
        context.env,
        context.loaded,
        &parsed,
        check,
    ));
    let index = LineIndex::new(text);

    let warnings: Vec<Json> = analysis
        .findings
        .iter()
        .map(|f| warning(f, &index))
        .collect();
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
                .field("location", location(&lines(&index, &error.spans))),
        );
    }
    let status = if analysis.findings.is_empty() && analysis.error.is_none() {
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
                    &analysis.findings,
                    &index,
                    &context.loaded.dockerfile.filename,
                    &context.loaded.dockerfile.data,
                )
                .into_bytes(),
            ),
            (RESULT_STATUSCODE, status.as_bytes().to_vec()),
        ],
    ))
}

fn warning(f: &Finding, index: &LineIndex) -> Json {
    Json::object()
        .field("ruleName", Json::str(f.rule.id))
        .str_field("description", f.rule.description)
        .str_field("url", f.rule.url)
        .str_field("detail", &f.message)
        .field("location", location(&f.lines(index)))
}

/// BuildKit's `LintResults.PrintTo`: warnings ordered by line (those without a
/// location first), each as `WARNING: <rule> - <url>`, the detail and a code frame.
/// (BuildKit's sort is not stable for equal lines in long lists; this one is.)
fn print(findings: &[Finding], index: &LineIndex, filename: &str, data: &[u8]) -> String {
    let mut findings: Vec<&Finding> = findings.iter().collect();
    findings.sort_by_key(|f| f.first_line(index));
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!("\nWARNING: {}", f.rule.id));
        if !f.rule.url.is_empty() {
            out.push_str(&format!(" - {}", f.rule.url));
        }
        out.push_str(&format!("\n{}\n", f.message));
        out.push_str(&code_frame(filename, data, &f.lines(index)));
    }
    out
}

/// BuildKit's `errdefs.Source.Print`: the lines around `ranges`, marked with `>>>`.
fn code_frame(filename: &str, data: &[u8], ranges: &[(u32, u32)]) -> String {
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
