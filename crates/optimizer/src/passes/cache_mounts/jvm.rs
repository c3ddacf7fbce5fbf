//! The JVM's build tools: Maven and Gradle (state; optimization-safety.md §1.4).
//!
//! - **maven**: `~/.m2/repository` only (not `~/.m2`, which holds
//!   `settings.xml`). `dependency:go-offline`, `dependency:resolve` and the
//!   `go-offline-maven-plugin` prefetch; `-o`/`--offline` counts as offline.
//!   Not fired when a call names its own repository (`-Dmaven.repo.local`)
//!   or settings file (`-s<file>`).
//! - **gradle**: `~/.gradle/caches` and `~/.gradle/wrapper` (not
//!   `gradle.properties`, `init.d`). `dependencies`, `:dependencies`,
//!   `--refresh-dependencies` and `resolveDependencies`-like tasks prefetch;
//!   `--offline` counts as offline. Not fired when a call sets its own
//!   `GRADLE_USER_HOME`.
//!
//! Both are mounted on every RUN of the stage family that uses the tool or
//! on none (see `state_dirs`); `mvnw` and `gradlew` are the tools.

use super::tool_family::{Call, Command, Family, Found, ToolSpec, Use};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[
        ToolSpec::plain(
            Tool::Maven,
            &[Command::checked("mvn"), Command::checked("mvnw")],
        ),
        ToolSpec::plain(
            Tool::Gradle,
            &[Command::checked("gradle"), Command::checked("gradlew")],
        ),
    ],
    &["mvn", "gradle"],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    found.take_each(calls, |call| match call.tool {
        Tool::Maven => maven(call),
        _ => gradle(call),
    });
}

fn maven(call: &Call<'_>) -> Use {
    let args = call.args();
    if args.iter().any(|a| {
        a.as_deref().is_some_and(|a| {
            a.starts_with("-Dmaven.repo.local") || a.starts_with("-s") && a.len() > 2
        })
    }) {
        return Use::Decline;
    }
    Use::Uses {
        prefetch: args.iter().any(|a| {
            a.as_deref().is_none_or(|a| {
                a.contains("dependency:go-offline")
                    || a.contains("dependency:resolve")
                    || a.contains("go-offline-maven-plugin")
            })
        }),
        offline: args
            .iter()
            .any(|a| matches!(a.as_deref(), Some("-o" | "--offline"))),
    }
}

fn gradle(call: &Call<'_>) -> Use {
    let args = call.args();
    Use::Uses {
        prefetch: args.iter().any(|a| {
            a.as_deref().is_none_or(|a| {
                matches!(a, "dependencies" | "--refresh-dependencies")
                    || a.ends_with(":dependencies")
                    || a.to_ascii_lowercase().contains("resolvedependencies")
            })
        }),
        offline: args.iter().any(|a| a.as_deref() == Some("--offline")),
    }
}
