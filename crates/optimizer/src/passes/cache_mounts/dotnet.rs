//! .NET's dotnet (state; optimization-safety.md §1.4).
//!
//! - NuGet's global packages folder (`NUGET_PACKAGES` or
//!   `~/.nuget/packages`): `dotnet build`/`publish` read the packages
//!   `dotnet restore` put there, so `restore` prefetches for them.
//! - Not fired when a call passes `--packages` or has a dynamic argument, or
//!   runs `dotnet nuget locals` (it clears folders the pass does not mount).

use super::tool_family::{Call, Command, Family, Found, ToolSpec, Use};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[ToolSpec::plain(Tool::Dotnet, &[Command::checked("dotnet")])],
    &["dotnet"],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    found.take_each(calls, dotnet);
}

fn dotnet(call: &Call<'_>) -> Use {
    let w = call.words();
    if w.iter()
        .any(|a| a == "$" || a == "--packages" || a.starts_with("--packages="))
    {
        return Use::Decline;
    }
    let (sub, _) = call.sub_and_args(&[
        "-c",
        "--configuration",
        "-r",
        "--runtime",
        "-o",
        "--output",
        "-f",
        "--framework",
        "-s",
        "--source",
        "-v",
        "--verbosity",
        "-p",
        "--project",
    ]);
    let sub = sub.unwrap_or_default();
    match sub.as_str() {
        "nuget" if w.iter().any(|a| a == "locals") => Use::Decline,
        "restore" => Use::Uses {
            prefetch: true,
            offline: false,
        },
        "build" | "publish" | "test" | "pack" | "run" | "add" | "tool" | "msbuild" | "workload"
        | "nuget" | "new" | "sln" | "store" => Use::Uses {
            prefetch: false,
            offline: false,
        },
        _ => Use::None,
    }
}
