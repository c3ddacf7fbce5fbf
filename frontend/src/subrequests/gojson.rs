//! The two output formats of BuildKit's subrequest answers, written the way Go writes
//! them so that clients which compare or re-parse the bytes see the same thing:
//!
//! * `result.json`: Go's `json.MarshalIndent(v, "", "  ")`. [`Json`] keeps object
//!   members in the order they are added (Go's struct field order), so the caller
//!   decides order and which empty fields to omit (`omitempty`). Strings are escaped
//!   as Go does (`<`, `>`, `&`, U+2028 and U+2029 as `\u00XX` escapes).
//! * `result.txt`: Go's `text/tabwriter` (left-aligned, space padding), see
//!   [`tabwrite`].

/// A JSON value with ordered object members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number, already formatted.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An empty object, to be filled with [`Json::field`].
    pub fn object() -> Json {
        Json::Object(Vec::new())
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Json {
        Json::String(s.into())
    }

    /// An integer value.
    pub fn int(n: impl Into<i64>) -> Json {
        Json::Number(n.into().to_string())
    }

    /// Adds a member (objects only; other values are returned unchanged).
    pub fn field(mut self, key: &str, value: Json) -> Json {
        if let Json::Object(members) = &mut self {
            members.push((key.to_owned(), value));
        }
        self
    }

    /// Adds a string member unless it is empty (`omitempty`).
    pub fn str_field(self, key: &str, value: &str) -> Json {
        if value.is_empty() {
            self
        } else {
            self.field(key, Json::str(value))
        }
    }

    /// Adds a member unless it is an empty array/object, `false` or `null` (`omitempty`).
    pub fn field_omitempty(self, key: &str, value: Json) -> Json {
        let empty = match &value {
            Json::Null | Json::Bool(false) => true,
            Json::Array(items) => items.is_empty(),
            Json::String(s) => s.is_empty(),
            Json::Number(n) => n == "0",
            Json::Object(_) | Json::Bool(true) => false,
        };
        if empty {
            self
        } else {
            self.field(key, value)
        }
    }

    /// Go's `json.MarshalIndent(v, "", "  ")`.
    pub fn indented(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => push_string(out, s),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(members) if members.is_empty() => out.push_str("{}"),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    item.write(out, depth + 1);
                }
                newline(out, depth);
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    push_string(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Go's `encoding/json` string encoding (Go 1.22+: `\b` and `\f` short escapes).
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `[]byte` in Go JSON: standard base64 with padding.
pub fn bytes(data: &[u8]) -> Json {
    Json::String(crate::errors::base64(data))
}

/// A `*pb.Location` (source index 0, `line`-only positions) as Go's `encoding/json`
/// writes the current generated type (`sourceIndex` and zero values omitted).
pub fn location(lines: &[(u32, u32)]) -> Json {
    let ranges: Vec<Json> = lines
        .iter()
        .map(|&(start, end)| {
            Json::object()
                .field("start", position(start))
                .field("end", position(end))
        })
        .collect();
    Json::object().field_omitempty("ranges", Json::Array(ranges))
}

fn position(line: u32) -> Json {
    Json::object().field_omitempty("line", Json::int(line))
}

/// Go's `text/tabwriter` with `minwidth 0, tabwidth 0, padding, padchar ' ', flags 0`
/// over `rows` of cells: every cell but a row's last is padded to its column's widest
/// cell plus `padding` (so an empty last cell leaves trailing spaces, as in Go); the
/// last cell is written as is. Widths count characters. All rows are one column block
/// (the callers' tables have the same number of cells on every row).
pub fn tabwrite(rows: &[Vec<String>], padding: usize) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (j, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            let width = cell.chars().count() + padding;
            if widths.len() <= j {
                widths.resize(j + 1, 0);
            }
            widths[j] = widths[j].max(width);
        }
    }
    let mut out = String::new();
    for row in rows {
        for (j, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if j + 1 < row.len() {
                let pad = widths[j].saturating_sub(cell.chars().count());
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_like_go() {
        let value = Json::Array(vec![Json::object()
            .field("name", Json::str("a<b"))
            .field("opts", Json::Array(vec![]))
            .field("inputs", Json::Null)
            .field("n", Json::object().field("x", Json::Bool(true)))]);
        assert_eq!(
            value.indented(),
            "[\n  {\n    \"name\": \"a\\u003cb\",\n    \"opts\": [],\n    \"inputs\": null,\n    \"n\": {\n      \"x\": true\n    }\n  }\n]"
        );
        assert_eq!(Json::object().indented(), "{}");
    }

    #[test]
    fn tabwriter_pads_all_but_the_last_cell() {
        let rows = vec![
            vec![
                "NAME".to_owned(),
                "VERSION".to_owned(),
                "DESCRIPTION".to_owned(),
            ],
            vec!["outline".to_owned(), "1.0.0".to_owned(), "".to_owned()],
        ];
        assert_eq!(
            tabwrite(&rows, 1),
            "NAME    VERSION DESCRIPTION\noutline 1.0.0   \n"
        );
    }

    #[test]
    fn locations() {
        assert_eq!(location(&[(3, 4)]).indented(), "{\n  \"ranges\": [\n    {\n      \"start\": {\n        \"line\": 3\n      },\n      \"end\": {\n        \"line\": 4\n      }\n    }\n  ]\n}");
        assert_eq!(location(&[]).indented(), "{}");
    }
}

/// Go's `encoding/json` of the generated `pb` types (not protojson): the struct tags
/// are the proto names in snake case (`ignore_cache`, `Source`), zero values omitted.
pub mod pb_types {
    use dfopt_llb::pb;

    use super::{bytes, Json};

    fn string_map(map: &std::collections::BTreeMap<String, String>) -> Json {
        let mut object = Json::object();
        for (k, v) in map {
            object = object.field(k, Json::str(v.as_str()));
        }
        object
    }

    /// `pb.OpMetadata` (also what `llb.OpMetadata` writes: same keys).
    pub fn op_metadata(m: &pb::OpMetadata) -> Json {
        let mut caps = Json::object();
        for (k, v) in &m.caps {
            caps = caps.field(k, Json::Bool(*v));
        }
        let mut json = Json::object().field_omitempty("ignore_cache", Json::Bool(m.ignore_cache));
        if !m.description.is_empty() {
            json = json.field("description", string_map(&m.description));
        }
        if let Some(export) = &m.export_cache {
            json = json.field(
                "export_cache",
                Json::object().field_omitempty("Value", Json::Bool(export.value)),
            );
        }
        if !m.caps.is_empty() {
            json = json.field("caps", caps);
        }
        if let Some(group) = &m.progress_group {
            json = json.field(
                "progress_group",
                Json::object()
                    .str_field("id", &group.id)
                    .str_field("name", &group.name)
                    .field_omitempty("weak", Json::Bool(group.weak)),
            );
        }
        json
    }

    /// `pb.Definition`.
    pub fn definition(def: &pb::Definition) -> Json {
        let mut metadata = Json::object();
        for (k, v) in &def.metadata {
            metadata = metadata.field(k, op_metadata(v));
        }
        let mut json = Json::object().field_omitempty(
            "def",
            Json::Array(def.def.iter().map(|d| bytes(d)).collect()),
        );
        if !def.metadata.is_empty() {
            json = json.field("metadata", metadata);
        }
        if let Some(source) = &def.source {
            json = json.field("Source", self::source(source));
        }
        json
    }

    /// `pb.Source`.
    pub fn source(source: &pb::Source) -> Json {
        let mut locations = Json::object();
        for (digest, list) in &source.locations {
            let items = list.locations.iter().map(location).collect();
            locations = locations.field(
                digest,
                Json::object().field_omitempty("locations", Json::Array(items)),
            );
        }
        let mut json = Json::object();
        if !source.locations.is_empty() {
            json = json.field("locations", locations);
        }
        json.field_omitempty(
            "infos",
            Json::Array(source.infos.iter().map(source_info).collect()),
        )
    }

    /// `pb.SourceInfo`.
    pub fn source_info(info: &pb::SourceInfo) -> Json {
        let mut json = Json::object().str_field("filename", &info.filename);
        if !info.data.is_empty() {
            json = json.field("data", bytes(&info.data));
        }
        if let Some(def) = &info.definition {
            json = json.field("definition", definition(def));
        }
        json.str_field("language", &info.language)
    }

    fn location(location: &pb::Location) -> Json {
        let ranges = location
            .ranges
            .iter()
            .map(|r| {
                let mut range = Json::object();
                if let Some(p) = &r.start {
                    range = range.field("start", position(p));
                }
                if let Some(p) = &r.end {
                    range = range.field("end", position(p));
                }
                range
            })
            .collect();
        Json::object()
            .field_omitempty("sourceIndex", Json::int(location.source_index))
            .field_omitempty("ranges", Json::Array(ranges))
    }

    fn position(p: &pb::Position) -> Json {
        Json::object()
            .field_omitempty("line", Json::int(p.line))
            .field_omitempty("character", Json::int(p.character))
    }
}
