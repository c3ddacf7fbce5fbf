//! Build failures, and how they travel back to the user.
//!
//! A failed build is reported with `Return{error: google.rpc.Status}`. What users see
//! depends on the client:
//!
//! * Docker 20.10's CLI prints only the status *message* (wrapped as `failed to solve
//!   with frontend …: rpc error: code = Unknown desc = <message>`). So there the
//!   message itself starts with `Dockerfile:LINE: ` whenever a line is known.
//! * buildx/buildctl also decode the status *details*: an `errdefs.Source` detail makes
//!   them print the Dockerfile lines around the error, so the message stays BuildKit's
//!   own, without a prefix ([`MessageStyle`]).
//!
//! Details are `google.protobuf.Any` values whose payload is **JSON**, not protobuf
//! (BuildKit's `grpcerrors.withDetails` marshals with Go's `encoding/json`), under type
//! URLs such as `github.com/moby/buildkit/errdefs.Source+json`. The JSON keys are those
//! of the Go structs: `info.filename`, `info.data` (base64, Go's `[]byte` encoding),
//! `ranges[].start.Line` (capital `L`, `omitempty`).

use std::fmt;
use std::sync::Arc;

use bollard_buildkit_proto::google::protobuf::Any;
use bollard_buildkit_proto::google::rpc::Status;
use serde::Serialize;
use tonic::Code;

/// Type URL of a source-location detail.
pub const SOURCE_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Source+json";
/// Type URL of an unsupported-frontend-capability detail.
pub const FRONTEND_CAP_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.FrontendCap+json";
/// Type URL of an unsupported-subrequest detail.
pub const SUBREQUEST_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Subrequest+json";

/// A 1-based, inclusive range of lines in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineRange {
    /// First line (1-based).
    pub start: u32,
    /// Last line (1-based, ≥ `start`).
    pub end: u32,
}

impl LineRange {
    /// Lines `start..=end`; a reversed pair is put in order.
    pub fn new(start: u32, end: u32) -> Self {
        Self {
            start: start.min(end),
            end: start.max(end),
        }
    }

    /// A single line.
    pub fn line(line: u32) -> Self {
        Self::new(line, line)
    }
}

/// The file an error points into (normally the Dockerfile), shared cheaply.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceFile {
    inner: Arc<SourceFileInner>,
}

#[derive(PartialEq, Eq)]
struct SourceFileInner {
    filename: String,
    data: Vec<u8>,
}

impl SourceFile {
    /// A file by name and content.
    pub fn new(filename: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            inner: Arc::new(SourceFileInner {
                filename: filename.into(),
                data: data.into(),
            }),
        }
    }

    /// The name shown to users.
    pub fn filename(&self) -> &str {
        &self.inner.filename
    }

    /// The whole file.
    pub fn data(&self) -> &[u8] {
        &self.inner.data
    }
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The content can be megabytes; the name is what matters in a debug print.
        write!(
            f,
            "SourceFile({:?}, {} bytes)",
            self.filename(),
            self.data().len()
        )
    }
}

/// Whether a located error's message names its line itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStyle {
    /// `Dockerfile:3: message`: for Docker 20.10's CLI, which never renders the source
    /// detail.
    LocationPrefix,
    /// BuildKit's message alone, as the daemon's own frontend sends it: buildx frames
    /// the Dockerfile lines from the source detail.
    Bare,
}

impl MessageStyle {
    /// The style for a daemon with `caps` (`None`: it never answered `Ping`). Docker
    /// 23 and later build through buildx, which renders source frames; their BuildKit
    /// (v0.10+) is the first with the `gateway.warnings` cap. Docker 20.10 (BuildKit
    /// v0.8, whose CLI prints the bare message) lacks it.
    pub fn for_caps(caps: Option<&crate::caps::Caps>) -> Self {
        match caps {
            Some(caps) if caps.gateway_supports(crate::caps::gateway::WARNINGS) => {
                MessageStyle::Bare
            }
            _ => MessageStyle::LocationPrefix,
        }
    }
}

/// A failed build: what the frontend returns instead of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildError {
    code: Code,
    message: String,
    location: Option<(SourceFile, Vec<LineRange>)>,
    /// Further frames, each an `errdefs.Source` detail of its own after `location`'s.
    related: Vec<LineRange>,
    /// BuildKit's `dockerfile parse error on line N: ` wording, for an instruction
    /// that could not be parsed (only in [`MessageStyle::Bare`]: the prefix style
    /// names the line already).
    instruction_parse: bool,
    details: Vec<Any>,
}

impl BuildError {
    /// A failure with gRPC code `Unknown`, as BuildKit uses for ordinary errors.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            code: Code::Unknown,
            message: message.into(),
            location: None,
            related: Vec::new(),
            instruction_parse: false,
            details: Vec::new(),
        }
    }

    /// The same failure with a specific gRPC code (e.g. `Unimplemented` for a missing
    /// capability, `InvalidArgument` for a bad option).
    pub fn with_code(mut self, code: Code) -> Self {
        self.code = code;
        self
    }

    /// Points the failure at lines of `source`: the message gets a
    /// `<filename>:<first line>: ` prefix and the status an `errdefs.Source` detail.
    /// An empty `ranges` leaves the error unlocated.
    pub fn at(mut self, source: &SourceFile, ranges: Vec<LineRange>) -> Self {
        if !ranges.is_empty() {
            self.location = Some((source.clone(), ranges));
        }
        self
    }

    /// Frames `ranges` of the located source too, each on its own (BuildKit wraps an
    /// error once per instruction involved, e.g. each reference on a stage cycle).
    /// Ignored for an unlocated error.
    pub fn also_at(mut self, ranges: Vec<LineRange>) -> Self {
        self.related = ranges;
        self
    }

    /// Marks the failure as an instruction that could not be parsed.
    pub fn instruction_parse(mut self) -> Self {
        self.instruction_parse = true;
        self
    }

    /// Adds a typed detail (`Any` with a JSON payload).
    pub fn with_detail(mut self, type_url: &str, json: serde_json::Value) -> Self {
        self.details.push(Any {
            type_url: type_url.to_owned(),
            value: json.to_string().into_bytes(),
        });
        self
    }

    /// BuildKit's "unsupported frontend capability X" (code `Unimplemented`).
    pub fn unsupported_frontend_cap(name: &str) -> Self {
        Self::new(format!("unsupported frontend capability {name}"))
            .with_code(Code::Unimplemented)
            .with_detail(FRONTEND_CAP_TYPE_URL, serde_json::json!({ "name": name }))
    }

    /// BuildKit's "unsupported request X" (code `Unimplemented`).
    pub fn unsupported_subrequest(name: &str) -> Self {
        Self::new(format!("unsupported request {name}"))
            .with_code(Code::Unimplemented)
            .with_detail(SUBREQUEST_TYPE_URL, serde_json::json!({ "name": name }))
    }

    /// The gRPC code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The message without location prefix.
    pub fn bare_message(&self) -> &str {
        &self.message
    }

    /// The located lines, if any.
    pub fn ranges(&self) -> &[LineRange] {
        self.location
            .as_ref()
            .map_or(&[], |(_, ranges)| ranges.as_slice())
    }

    /// The message users see: `Dockerfile:3: unknown instruction: FOO` when located.
    pub fn message(&self) -> String {
        match &self.location {
            Some((source, ranges)) => match (ranges.first(), ranges.last()) {
                // Several instructions (RUNs dfopt merged into one step): the whole span.
                (Some(first), Some(last)) if ranges.len() > 1 => {
                    format!(
                        "{}:{}-{}: {}",
                        source.filename(),
                        first.start,
                        last.end,
                        self.message
                    )
                }
                (Some(first), _) => {
                    format!("{}:{}: {}", source.filename(), first.start, self.message)
                }
                _ => self.message.clone(),
            },
            None => self.message.clone(),
        }
    }

    /// The `google.rpc.Status` for `Return`, its message in `style`.
    pub fn to_status(&self, style: MessageStyle) -> Status {
        let mut details = Vec::new();
        if let Some((source, ranges)) = &self.location {
            details.push(source_detail(source, ranges));
            for range in &self.related {
                details.push(source_detail(source, std::slice::from_ref(range)));
            }
        }
        details.extend(self.details.iter().cloned());
        let message = match (style, &self.location) {
            (MessageStyle::LocationPrefix, _) => self.message(),
            (MessageStyle::Bare, Some((_, ranges))) if self.instruction_parse => {
                let line = ranges.first().map_or(0, |range| range.start);
                format!("dockerfile parse error on line {line}: {}", self.message)
            }
            (MessageStyle::Bare, _) => self.message.clone(),
        };
        Status {
            code: i32::from(self.code),
            message,
            details,
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for BuildError {}

/// The `errdefs.Source` detail: the whole file plus the ranges.
fn source_detail(source: &SourceFile, ranges: &[LineRange]) -> Any {
    let detail = SourceJson {
        info: SourceInfoJson {
            filename: source.filename(),
            data: base64(source.data()),
            language: "Dockerfile",
        },
        ranges: ranges
            .iter()
            .map(|range| RangeJson {
                start: PositionJson::line(range.start),
                end: PositionJson::line(range.end),
            })
            .collect(),
    };
    Any {
        type_url: SOURCE_TYPE_URL.to_owned(),
        // Serializing plain strings and integers cannot fail.
        value: serde_json::to_vec(&detail).unwrap_or_default(),
    }
}

/// `errdefs.Source` as Go's `encoding/json` writes it.
#[derive(Serialize)]
struct SourceJson<'a> {
    info: SourceInfoJson<'a>,
    ranges: Vec<RangeJson>,
}

/// `pb.SourceInfo`; `language` is BuildKit HEAD's field (older daemons ignore it).
#[derive(Serialize)]
struct SourceInfoJson<'a> {
    filename: &'a str,
    data: String,
    language: &'a str,
}

#[derive(Serialize)]
struct RangeJson {
    start: PositionJson,
    end: PositionJson,
}

/// `pb.Position`: Go field names, zero values omitted.
#[derive(Serialize)]
struct PositionJson {
    #[serde(rename = "Line")]
    line: u32,
    #[serde(rename = "Character", skip_serializing_if = "is_zero")]
    character: u32,
}

impl PositionJson {
    fn line(line: u32) -> Self {
        Self { line, character: 0 }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Standard base64 with padding (Go's encoding of `[]byte` in JSON).
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, symbol) in symbols.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[*symbol as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        // RFC 4648 test vectors.
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, want) in cases {
            assert_eq!(base64(input.as_bytes()), want);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn unlocated_error_is_plain() {
        let status = BuildError::new("boom").to_status(MessageStyle::LocationPrefix);
        assert_eq!(status.code, 2);
        assert_eq!(status.message, "boom");
        assert!(status.details.is_empty());
    }

    #[test]
    fn located_error_has_prefix_and_source_detail() {
        let source = SourceFile::new("Dockerfile", "FROM a\nRUN x\nBAD\n");
        let status =
            BuildError::new("unknown instruction: BAD").at(&source, vec![LineRange::line(3)]);
        let bare = status.to_status(MessageStyle::Bare);
        assert_eq!(bare.message, "unknown instruction: BAD");
        let status = status.to_status(MessageStyle::LocationPrefix);
        assert_eq!(status.message, "Dockerfile:3: unknown instruction: BAD");
        assert_eq!(bare.details, status.details);
        assert_eq!(status.details.len(), 1);
        assert_eq!(status.details[0].type_url, SOURCE_TYPE_URL);
        let json = String::from_utf8(status.details[0].value.clone()).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"info":{"filename":"Dockerfile","data":"RlJPTSBhClJVTiB4CkJBRAo=","language":"Dockerfile"},"ranges":[{"start":{"Line":3},"end":{"Line":3}}]}"#
        );
    }

    #[test]
    fn empty_ranges_leave_error_unlocated() {
        let source = SourceFile::new("Dockerfile", "x");
        let error = BuildError::new("m").at(&source, Vec::new());
        assert_eq!(error.message(), "m");
        assert!(error.to_status(MessageStyle::Bare).details.is_empty());
    }

    #[test]
    fn related_ranges_are_frames_of_their_own() {
        let source = SourceFile::new(
            "Dockerfile",
            "FROM a AS x\nCOPY --from=y / /\nFROM a AS y\n",
        );
        let error = BuildError::new("circular dependency detected on stage: x")
            .at(&source, vec![LineRange::line(2)])
            .also_at(vec![LineRange::line(3)]);
        let status = error.to_status(MessageStyle::Bare);
        assert_eq!(status.message, "circular dependency detected on stage: x");
        let lines: Vec<String> = status
            .details
            .iter()
            .map(|d| String::from_utf8(d.value.clone()).unwrap_or_default())
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with(r#""ranges":[{"start":{"Line":2},"end":{"Line":2}}]}"#));
        assert!(lines[1].ends_with(r#""ranges":[{"start":{"Line":3},"end":{"Line":3}}]}"#));
        // Unlocated: no frames at all, related or not.
        let unlocated = BuildError::new("m").also_at(vec![LineRange::line(1)]);
        assert!(unlocated.to_status(MessageStyle::Bare).details.is_empty());
    }

    #[test]
    fn instruction_parse_errors_name_their_line_when_bare() {
        let source = SourceFile::new("Dockerfile", "FROM a\nEXPOSE\n");
        let error = BuildError::new("EXPOSE requires at least one argument")
            .at(&source, vec![LineRange::line(2)])
            .instruction_parse();
        assert_eq!(
            error.to_status(MessageStyle::Bare).message,
            "dockerfile parse error on line 2: EXPOSE requires at least one argument"
        );
        // The prefix style names the line already.
        assert_eq!(
            error.to_status(MessageStyle::LocationPrefix).message,
            "Dockerfile:2: EXPOSE requires at least one argument"
        );
    }

    #[test]
    fn capability_error() {
        let status = BuildError::unsupported_frontend_cap("moby.buildkit.frontend.contexts")
            .to_status(MessageStyle::Bare);
        assert_eq!(status.code, i32::from(Code::Unimplemented));
        assert_eq!(status.details[0].type_url, FRONTEND_CAP_TYPE_URL);
        assert_eq!(
            status.details[0].value,
            br#"{"name":"moby.buildkit.frontend.contexts"}"#
        );
    }

    #[test]
    fn line_range_orders() {
        assert_eq!(LineRange::new(5, 2), LineRange { start: 2, end: 5 });
    }
}
