//! `--platform` values, parsed and normalised like containerd's `platforms`
//! package (the one implementation lives in `dfopt_llb::platform`).

use dfopt_llb::Platform;

/// Parses and normalises a platform specifier.
pub fn parse(specifier: &str) -> Result<Platform, String> {
    dfopt_llb::platform::parse(specifier).map_err(|e| e.to_string())
}

/// The platform this binary runs on (Linux containers): the build platform.
pub fn host() -> Platform {
    dfopt_llb::platform::host()
}
