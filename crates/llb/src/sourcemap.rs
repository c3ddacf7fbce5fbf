//! Source mapping: which lines of which file an op came from.
//!
//! When a vertex fails, the daemon looks the op's digest up in `Definition.source` and
//! attaches the file and ranges to the error, so a failing `RUN` points at its
//! Dockerfile lines. Ops carry [`Location`]s; marshalling collects the distinct
//! [`SourceMap`]s into `Source.infos` (first-seen order) and indexes them.

use std::sync::Arc;

use bollard_buildkit_proto::pb;

/// One source file (typically a Dockerfile). Cheap to clone; compared by content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMap {
    inner: Arc<SourceMapInner>,
}

#[derive(Debug, PartialEq, Eq)]
struct SourceMapInner {
    filename: String,
    language: String,
    data: Vec<u8>,
}

impl SourceMap {
    /// A source file with an arbitrary language tag (may be empty).
    pub fn new(
        filename: impl Into<String>,
        language: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            inner: Arc::new(SourceMapInner {
                filename: filename.into(),
                language: language.into(),
                data: data.into(),
            }),
        }
    }

    /// A Dockerfile (language `Dockerfile`, as BuildKit's frontend sets it).
    pub fn dockerfile(filename: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self::new(filename, "Dockerfile", data)
    }

    /// The file name shown to users.
    pub fn filename(&self) -> &str {
        &self.inner.filename
    }

    /// The language tag.
    pub fn language(&self) -> &str {
        &self.inner.language
    }

    /// The whole file.
    pub fn data(&self) -> &[u8] {
        &self.inner.data
    }

    /// A location in this file, to attach to an op.
    pub fn location(&self, ranges: impl IntoIterator<Item = Range>) -> Location {
        Location {
            source: self.clone(),
            ranges: ranges.into_iter().collect(),
        }
    }

    pub(crate) fn same(&self, other: &SourceMap) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner) || self.inner == other.inner
    }

    pub(crate) fn to_pb(&self) -> pb::SourceInfo {
        pb::SourceInfo {
            filename: self.inner.filename.clone(),
            data: self.inner.data.clone(),
            definition: None,
            language: self.inner.language.clone(),
        }
    }
}

/// Some ranges in one [`SourceMap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    source: SourceMap,
    ranges: Vec<Range>,
}

impl Location {
    /// The file.
    pub fn source(&self) -> &SourceMap {
        &self.source
    }

    /// The ranges in it.
    pub fn ranges(&self) -> &[Range] {
        &self.ranges
    }
}

/// A position: 1-based line, 0-based character (BuildKit's convention; its own
/// frontend always sends character 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// 1-based line.
    pub line: i32,
    /// 0-based column.
    pub character: i32,
}

/// A range of a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Range {
    /// Where it starts.
    pub start: Position,
    /// Where it ends.
    pub end: Position,
}

impl Range {
    /// Whole lines `start..=end` (1-based), character 0, as BuildKit's frontend emits.
    pub fn lines(start: i32, end: i32) -> Self {
        Self {
            start: Position {
                line: start,
                character: 0,
            },
            end: Position {
                line: end,
                character: 0,
            },
        }
    }

    /// One whole line.
    pub fn line(line: i32) -> Self {
        Self::lines(line, line)
    }

    pub(crate) fn to_pb(self) -> pb::Range {
        pb::Range {
            start: Some(pb::Position {
                line: self.start.line,
                character: self.start.character,
            }),
            end: Some(pb::Position {
                line: self.end.line,
                character: self.end.character,
            }),
        }
    }
}
