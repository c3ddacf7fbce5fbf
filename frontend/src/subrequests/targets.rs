//! `frontend.targets`: every stage, as BuildKit's `ListTargets` reports it — from the
//! parsed instructions only (base names and platforms as written, nothing expanded,
//! no image resolved).

use dfopt_dockerfile::instructions::{parse_dockerfile, NO_STAGES};
use dfopt_dockerfile::LineIndex;

use super::gojson::{bytes, location, tabwrite, Json};
use super::{parse, reply, Reply, RESULT_JSON, RESULT_TXT, TARGETS};
use crate::errors::{BuildError, LineRange};
use crate::session::Session;

/// `{"targets": [{name, default, description, base, platform, location}], "sources": [<Dockerfile>]}`
/// (target fields `omitempty`; the last stage is the default) and a
/// `TARGET DESCRIPTION` table.
pub(super) fn answer(context: &Session<'_>) -> Result<Reply, BuildError> {
    let compilation = parse(context)?;
    let parsed = compilation.parsed();
    let text = &context.loaded.dockerfile.text;
    let index = LineIndex::new(text);
    let stages = match parse_dockerfile(&parsed.dockerfile) {
        Ok(ir) => ir.stages,
        // BuildKit's instruction parser does not reject a file of global ARGs only;
        // it simply has no targets.
        Err(diagnostic) if diagnostic.message == NO_STAGES => Vec::new(),
        Err(diagnostic) => {
            let (start, end) = index.lines(diagnostic.span);
            return Err(BuildError::new(diagnostic.message)
                .at(&context.source(), vec![LineRange::new(start, end)]));
        }
    };
    let last = stages.len().saturating_sub(1);
    let mut targets = Vec::new();
    let mut rows = vec![vec!["TARGET".to_owned(), "DESCRIPTION".to_owned()]];
    for (i, stage) in stages.iter().enumerate() {
        let name = stage.name.clone().unwrap_or_default();
        let default = i == last;
        targets.push(
            Json::object()
                .str_field("name", &name)
                .field_omitempty("default", Json::Bool(default))
                .str_field("description", &stage.doc_comment)
                .str_field("base", &stage.base)
                .str_field(
                    "platform",
                    stage.platform.as_ref().map_or("", |p| p.value.as_str()),
                )
                .field("location", location(&[index.lines(stage.span)])),
        );
        let shown = match (name.is_empty(), default) {
            (true, true) => "(default)".to_owned(),
            (false, true) => format!("{name} (default)"),
            _ => name,
        };
        rows.push(vec![shown, stage.doc_comment.clone()]);
    }
    let targets = if targets.is_empty() {
        Json::Null
    } else {
        Json::Array(targets)
    };
    let json = Json::object().field("targets", targets).field(
        "sources",
        Json::Array(vec![bytes(&context.loaded.dockerfile.data)]),
    );
    Ok(reply(
        &TARGETS,
        vec![
            (RESULT_JSON, json.indented().into_bytes()),
            (RESULT_TXT, tabwrite(&rows, 1).into_bytes()),
        ],
    ))
}
