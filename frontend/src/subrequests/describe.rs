//! `frontend.subrequests.describe`: the subrequests this frontend answers.

use super::gojson::{tabwrite, Json};
use super::{reply, Reply, ALL, DESCRIBE, RESULT_JSON, RESULT_TXT};

/// The list as `[{name, version, type, description, opts, inputs, metadata, refs}]`
/// (every field present, as BuildKit's `subrequests.Request` has no `omitempty`) and
/// a `NAME VERSION DESCRIPTION` table without the `frontend.` prefix.
pub(super) fn answer() -> Reply {
    let named = |name: &str, description: &str| {
        Json::object()
            .field("name", Json::str(name))
            .field("description", Json::str(description))
    };
    let list: Vec<Json> = ALL
        .iter()
        .map(|d| {
            let opts = match d.opts {
                Some(opts) => Json::Array(opts.iter().map(|(n, desc)| named(n, desc)).collect()),
                None => Json::Null,
            };
            Json::object()
                .field("name", Json::str(d.name))
                .field("version", Json::str(d.version))
                .field("type", Json::str("rpc"))
                .field("description", Json::str(d.description))
                .field("opts", opts)
                .field("inputs", Json::Null)
                .field(
                    "metadata",
                    Json::Array(d.metadata.iter().map(|m| named(m, "")).collect()),
                )
                .field("refs", Json::Null)
        })
        .collect();
    let mut rows = vec![vec![
        "NAME".to_owned(),
        "VERSION".to_owned(),
        "DESCRIPTION".to_owned(),
    ]];
    for d in &ALL {
        let name = d.name.strip_prefix("frontend.").unwrap_or(d.name);
        rows.push(vec![
            name.to_owned(),
            d.version.to_owned(),
            d.description.to_owned(),
        ]);
    }
    reply(
        &DESCRIBE,
        vec![
            (RESULT_JSON, Json::Array(list).indented().into_bytes()),
            (RESULT_TXT, tabwrite(&rows, 1).into_bytes()),
        ],
    )
}
