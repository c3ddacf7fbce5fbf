//! `.dockerignore` parsing, equal to moby/patternmatcher `ignorefile.ReadAll`: the
//! patterns are sent to the daemon verbatim (`local.excludepatterns`). The one
//! implementation lives in `dfopt_dockerfile::dockerignore` (shared with the CLI and
//! the lint checks).

pub use dfopt_dockerfile::dockerignore::parse;
