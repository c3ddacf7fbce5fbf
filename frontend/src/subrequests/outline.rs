//! `frontend.outline`: what the target stage can be given — the build args it uses
//! (with value, description and location), the secrets and SSH sockets its `RUN
//! --mount`s ask for — as BuildKit's `Dockerfile2Outline` reports it.

use dfopt_dockerfile::LineIndex;
use dfopt_findings::buildkit::OutlineMount;

use super::gojson::{bytes, location, tabwrite, Json};
use super::{lines, parse, reply, Reply, OUTLINE, RESULT_JSON, RESULT_TXT};
use crate::errors::BuildError;
use crate::session::Session;

/// `{name, description, args, secrets, ssh, sources}` (all `omitempty`) and the
/// `TARGET` / `BUILD ARG` / `SECRET` / `SSH` tables.
pub(super) async fn answer(context: &Session<'_>) -> Result<Reply, BuildError> {
    let compilation = parse(context)?;
    let analysis = context.analyze(compilation.parsed(), false).await?;
    let index = LineIndex::new(&context.loaded.dockerfile.text);
    if let Some(error) = analysis.error {
        return Err(super::located(context, error));
    }
    let outline = analysis.outline.unwrap_or_default();

    let args: Vec<Json> = outline
        .args
        .iter()
        .map(|a| {
            Json::object()
                .field("name", Json::str(&a.name))
                .str_field("description", &a.description)
                .str_field("value", &a.value)
                .field("location", location(&lines(&index, &a.spans)))
        })
        .collect();
    let json = Json::object()
        .str_field("name", &outline.name)
        .str_field("description", &outline.description)
        .field_omitempty("args", Json::Array(args))
        .field_omitempty(
            "secrets",
            Json::Array(outline.secrets.iter().map(|m| mount(m, &index)).collect()),
        )
        .field_omitempty(
            "ssh",
            Json::Array(outline.ssh.iter().map(|m| mount(m, &index)).collect()),
        )
        .field(
            "sources",
            Json::Array(vec![bytes(&context.loaded.dockerfile.data)]),
        );

    let mut text = String::new();
    if !outline.name.is_empty() || !outline.description.is_empty() {
        let name = if outline.name.is_empty() {
            "(default)"
        } else {
            outline.name.as_str()
        };
        let mut rows = vec![vec!["TARGET:".to_owned(), name.to_owned()]];
        if !outline.description.is_empty() {
            rows.push(vec!["DESCRIPTION:".to_owned(), outline.description.clone()]);
        }
        text.push_str(&tabwrite(&rows, 1));
        text.push('\n');
    }
    if !outline.args.is_empty() {
        let mut rows = vec![vec![
            "BUILD ARG".to_owned(),
            "VALUE".to_owned(),
            "DESCRIPTION".to_owned(),
        ]];
        rows.extend(
            outline
                .args
                .iter()
                .map(|a| vec![a.name.clone(), a.value.clone(), a.description.clone()]),
        );
        text.push_str(&tabwrite(&rows, 3));
        text.push('\n');
    }
    for (title, mounts) in [("SECRET", &outline.secrets), ("SSH", &outline.ssh)] {
        if mounts.is_empty() {
            continue;
        }
        let mut rows = vec![vec![title.to_owned(), "REQUIRED".to_owned()]];
        rows.extend(mounts.iter().map(|m| {
            vec![
                m.name.clone(),
                if m.required { "true" } else { "" }.to_owned(),
            ]
        }));
        text.push_str(&tabwrite(&rows, 3));
        text.push('\n');
    }
    Ok(reply(
        &OUTLINE,
        vec![
            (RESULT_JSON, json.indented().into_bytes()),
            (RESULT_TXT, text.into_bytes()),
        ],
    ))
}

fn mount(m: &OutlineMount, index: &LineIndex) -> Json {
    Json::object()
        .field("name", Json::str(&m.name))
        .field_omitempty("required", Json::Bool(m.required))
        .field("location", location(&lines(index, &m.spans)))
}
