//! The rules of `dfopt check`, one per file.

pub mod apt_no_cleanup;
pub mod apt_update_separate;
pub mod cleanup_in_separate_run;
pub mod consecutive_runs;
pub mod deps_after_copy_all;
pub mod missing_cache_mount;
pub mod missing_dockerignore;

use super::Rule;

/// Every rule, in the order `--list-rules` shows them.
pub const RULES: [Rule; 7] = [
    Rule {
        id: deps_after_copy_all::ID,
        summary: deps_after_copy_all::SUMMARY,
        check: deps_after_copy_all::check,
    },
    Rule {
        id: apt_no_cleanup::ID,
        summary: apt_no_cleanup::SUMMARY,
        check: apt_no_cleanup::check,
    },
    Rule {
        id: apt_update_separate::ID,
        summary: apt_update_separate::SUMMARY,
        check: apt_update_separate::check,
    },
    Rule {
        id: missing_cache_mount::ID,
        summary: missing_cache_mount::SUMMARY,
        check: missing_cache_mount::check,
    },
    Rule {
        id: consecutive_runs::ID,
        summary: consecutive_runs::SUMMARY,
        check: consecutive_runs::check,
    },
    Rule {
        id: missing_dockerignore::ID,
        summary: missing_dockerignore::SUMMARY,
        check: missing_dockerignore::check,
    },
    Rule {
        id: cleanup_in_separate_run::ID,
        summary: cleanup_in_separate_run::SUMMARY,
        check: cleanup_in_separate_run::check,
    },
];

/// Whether a COPY/ADD source names the whole build context (`.`, `./`, `/`, `*`).
pub fn is_whole_context(source: &str) -> bool {
    let s = source.trim_end_matches('/');
    let s = s.strip_prefix("./").unwrap_or(s);
    matches!(s, "" | "." | "*" | "./*")
}

/// The COPY (without `--from`) or ADD that copies the whole build context, with its keyword.
pub fn copies_whole_context(
    command: &dfopt_dockerfile::instructions::Command,
) -> Option<&'static str> {
    use dfopt_dockerfile::instructions::CommandKind;
    match &command.kind {
        CommandKind::Copy(c)
            if c.from.is_none() && c.paths.sources.iter().any(|s| is_whole_context(s)) =>
        {
            Some("COPY")
        }
        CommandKind::Add(a) if a.paths.sources.iter().any(|s| is_whole_context(s)) => Some("ADD"),
        _ => None,
    }
}
