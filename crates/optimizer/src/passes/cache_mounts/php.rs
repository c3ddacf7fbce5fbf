//! PHP's composer (optimization-safety.md §1.4).
//!
//! - `COMPOSER_CACHE_DIR`, else `$COMPOSER_HOME/cache` (the official
//!   composer image sets `COMPOSER_HOME=/tmp`). Without either variable the
//!   place depends on the image, so no mount (reported).
//! - Not fired when every install-like call has `--no-cache`, when the RUN
//!   runs `composer clear-cache` (it would empty the mount, and the
//!   cache-dir a `composer.json` names is not visible here), or a call sets
//!   `cache-dir` or has a dynamic argument.

use super::tool_family::{Call, Command, Family, Found, ToolSpec, Use};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[ToolSpec::plain(
        Tool::Composer,
        &[
            Command::checked("composer"),
            Command::checked("composer.phar"),
        ],
    )],
    &["composer"],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    for call in calls {
        let what = composer(call, found);
        found.take(Tool::Composer, call.index, what);
    }
}

fn composer(call: &Call<'_>, found: &mut Found) -> Use {
    let w = call.words();
    if w.iter().any(|a| a == "$" || a.contains("cache-dir")) {
        return Use::Decline;
    }
    let (sub, _) = call.sub_and_args(&["-d", "--working-dir"]);
    let sub = sub.unwrap_or_default();
    match sub.as_str() {
        "clear-cache" | "clearcache" | "cc" => Use::Decline,
        "install" | "i" | "update" | "u" | "upgrade" | "require" | "r" | "create-project"
        | "global" | "reinstall" | "remove" | "rm" => {
            found.count_install(Tool::Composer, w.iter().any(|a| a == "--no-cache"));
            Use::Uses {
                prefetch: false,
                offline: false,
            }
        }
        _ => Use::None,
    }
}
