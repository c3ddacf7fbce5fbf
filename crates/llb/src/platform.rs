//! The target platform an op runs for.

use std::fmt;

use crate::wire::Wire;

/// An OCI platform (`linux/amd64`, `linux/arm64/v8`, …).
///
/// The builder never guesses a platform: an op without one is sent without one and the
/// daemon substitutes its own default. Guessing the host's platform (as the Go client
/// does) would make the Definition depend on the machine that built it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// `linux`, `windows`, …
    pub os: String,
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// `v7`, `v8`, or empty.
    pub variant: String,
}

impl Platform {
    /// A platform without variant.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Self {
            os: os.into(),
            architecture: architecture.into(),
            variant: String::new(),
        }
    }

    /// The same platform with a variant.
    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        self.variant = variant.into();
        self
    }

    /// The fields of `pb.Platform` (`os_version` and `os_features` are never set).
    pub(crate) fn write(&self, w: &mut Wire) {
        w.string(1, &self.architecture);
        w.string(2, &self.os);
        w.string(3, &self.variant);
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

// ---- Platform specifiers (containerd `platforms.Parse` + `Normalize`) ----

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
