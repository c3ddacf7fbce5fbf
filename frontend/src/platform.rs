//! Platform specifiers (`linux/arm64`, `linux/arm/v7`, `amd64`), as containerd's
//! `platforms.Parse` + `platforms.Normalize` read them for the `platform` option.
//!
//! The daemon compares platforms by their normalized strings (`linux/arm/v7`, not
//! `linux/armhf`), and the multi-platform result map is keyed by them, so options are
//! normalized exactly as the official frontend does. Windows OS versions
//! (`windows(10.0.17763)`) are not supported: a Dockerfile frontend for Linux
//! containers has no use for them.

use dfopt_llb::Platform;
use serde::{Deserialize, Serialize};

/// Why a platform specifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct PlatformError {
    reason: String,
}

impl PlatformError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Parses and normalizes one specifier.
pub fn parse(specifier: &str) -> Result<Platform, PlatformError> {
    if specifier.contains('*') {
        return Err(PlatformError::new(format!(
            "{specifier:?}: wildcards not yet supported"
        )));
    }
    let parts: Vec<&str> = specifier.split('/').collect();
    for part in &parts {
        if !is_valid_component(part) {
            return Err(PlatformError::new(format!(
                "{part:?} is an invalid component of {specifier:?}: platform specifier component must match \"^[A-Za-z0-9_.-]+$\""
            )));
        }
    }
    let platform = match parts.as_slice() {
        [single] => {
            let os = normalize_os(single);
            if is_known_os(&os) {
                Platform::new(os, host_architecture())
            } else {
                let (arch, variant) = normalize_arch(single, "");
                if !is_known_arch(&arch) {
                    return Err(PlatformError::new(format!(
                        "{specifier:?}: unknown operating system or architecture"
                    )));
                }
                Platform::new("linux", arch).with_variant(variant)
            }
        }
        [os, arch] => {
            let (arch, variant) = normalize_arch(arch, "");
            Platform::new(normalize_os(os), arch).with_variant(variant)
        }
        [os, arch, variant] => {
            let (arch, variant) = normalize_arch(arch, variant);
            Platform::new(normalize_os(os), arch).with_variant(variant)
        }
        _ => {
            return Err(PlatformError::new(format!(
                "{specifier:?}: cannot parse platform specifier"
            )))
        }
    };
    Ok(platform)
}

/// Parses a comma-separated list (the `platform` option).
pub fn parse_list(list: &str) -> Result<Vec<Platform>, (String, PlatformError)> {
    list.split(',')
        .map(|item| parse(item).map_err(|error| (item.to_owned(), error)))
        .collect()
}

/// Normalizes a platform that came from elsewhere (e.g. `BUILDKIT_WORKERS`).
pub fn normalize(platform: &Platform) -> Platform {
    let (arch, variant) = normalize_arch(&platform.architecture, &platform.variant);
    Platform::new(normalize_os(&platform.os), arch).with_variant(variant)
}

/// The platform this binary was compiled for: the default build platform when the
/// daemon lists no workers (BuildKit uses its own `platforms.DefaultSpec()` there).
pub fn host() -> Platform {
    normalize(&Platform::new("linux", host_architecture()))
}

/// `platforms.Format`: `os/arch[/variant]`.
pub fn format(platform: &Platform) -> String {
    platform.to_string()
}

/// An OCI platform as JSON (`{"architecture":…,"os":…,"variant":…}`), the shape of
/// `BUILDKIT_WORKERS` entries and of `refs.platforms` in the result metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OciPlatform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub os_version: String,
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

impl OciPlatform {
    /// The OCI form of a platform.
    pub fn from_platform(platform: &Platform) -> Self {
        Self {
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            variant: platform.variant.clone(),
            ..Self::default()
        }
    }

    /// The platform this describes (OS version and features are dropped).
    pub fn to_platform(&self) -> Platform {
        Platform::new(self.os.clone(), self.architecture.clone()).with_variant(self.variant.clone())
    }
}

/// The wire form (`pb.Platform`).
pub fn to_pb(platform: &Platform) -> dfopt_llb::pb::Platform {
    dfopt_llb::pb::Platform {
        architecture: platform.architecture.clone(),
        os: platform.os.clone(),
        variant: platform.variant.clone(),
        os_version: String::new(),
        os_features: Vec::new(),
    }
}

fn is_valid_component(part: &str) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        other => other,
    }
}

fn normalize_os(os: &str) -> String {
    let os = os.to_ascii_lowercase();
    match os.as_str() {
        "" => "linux".to_owned(),
        "macos" => "darwin".to_owned(),
        _ => os,
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant.to_ascii_lowercase();
    let (arch, variant): (&str, &str) = match arch.as_str() {
        "i386" => ("386", ""),
        "x86_64" | "x86-64" | "amd64" => ("amd64", if variant == "v1" { "" } else { &variant }),
        "aarch64" | "arm64" => (
            "arm64",
            match variant.as_str() {
                "8" | "v8" | "v8.0" => "",
                "9" | "9.0" | "v9.0" => "v9",
                other => other,
            },
        ),
        "armhf" => ("arm", "v7"),
        "armel" => ("arm", "v6"),
        "arm" => (
            "arm",
            match variant.as_str() {
                "" | "7" => "v7",
                "5" => "v5",
                "6" => "v6",
                "8" => "v8",
                other => other,
            },
        ),
        other => (other, &variant),
    };
    (arch.to_owned(), variant.to_owned())
}

fn is_known_os(os: &str) -> bool {
    matches!(
        os,
        "aix"
            | "android"
            | "darwin"
            | "dragonfly"
            | "freebsd"
            | "hurd"
            | "illumos"
            | "ios"
            | "js"
            | "linux"
            | "nacl"
            | "netbsd"
            | "openbsd"
            | "plan9"
            | "solaris"
            | "windows"
            | "zos"
    )
}

fn is_known_arch(arch: &str) -> bool {
    matches!(
        arch,
        "386"
            | "amd64"
            | "amd64p32"
            | "arm"
            | "armbe"
            | "arm64"
            | "arm64be"
            | "ppc64"
            | "ppc64le"
            | "loong64"
            | "mips"
            | "mipsle"
            | "mips64"
            | "mips64le"
            | "mips64p32"
            | "mips64p32le"
            | "ppc"
            | "riscv"
            | "riscv64"
            | "s390"
            | "s390x"
            | "sparc"
            | "sparc64"
            | "wasm"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(specifier: &str) -> String {
        match parse(specifier) {
            Ok(platform) => format(&platform),
            Err(error) => format!("error: {error}"),
        }
    }

    #[test]
    fn normalizes_like_containerd() {
        assert_eq!(parsed("linux/amd64"), "linux/amd64");
        assert_eq!(parsed("Linux/x86_64"), "linux/amd64");
        assert_eq!(parsed("linux/arm64/v8"), "linux/arm64");
        assert_eq!(parsed("linux/aarch64"), "linux/arm64");
        assert_eq!(parsed("linux/arm"), "linux/arm/v7");
        assert_eq!(parsed("linux/arm/7"), "linux/arm/v7");
        assert_eq!(parsed("linux/arm/v6"), "linux/arm/v6");
        assert_eq!(parsed("linux/armhf"), "linux/arm/v7");
        assert_eq!(parsed("linux/i386"), "linux/386");
        assert_eq!(parsed("arm64"), "linux/arm64");
        assert_eq!(parsed("linux"), format(&host()));
    }

    #[test]
    fn rejects_bad_specifiers() {
        assert!(parsed("").starts_with("error:"));
        assert!(parsed("linux/").starts_with("error:"));
        assert!(parsed("linux/amd64/v1/x").starts_with("error:"));
        assert!(parsed("linux/*").starts_with("error:"));
        assert!(parsed("banana").starts_with("error:"));
    }

    #[test]
    fn list_reports_the_bad_item() {
        let (item, _) = parse_list("linux/amd64,nope/x/y/z").unwrap_err();
        assert_eq!(item, "nope/x/y/z");
        assert_eq!(
            parse_list("linux/amd64,linux/arm64").map(|l| l.len()),
            Ok(2)
        );
    }

    #[test]
    fn oci_json_shape() {
        let json = serde_json::to_string(&OciPlatform::from_platform(&Platform::new(
            "linux", "amd64",
        )))
        .unwrap_or_default();
        assert_eq!(json, r#"{"architecture":"amd64","os":"linux"}"#);
    }
}
