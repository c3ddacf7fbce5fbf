//! `--platform` values: containerd's `platforms.Parse` + `Normalize` for the
//! common forms (`linux/arm64`, `linux/arm/v7`, `arm64`, `linux`).

use dfopt_llb::Platform;

/// Parses and normalises a platform specifier.
pub fn parse(specifier: &str) -> Result<Platform, String> {
    let parts: Vec<&str> = specifier.split('/').collect();
    if let Some(bad) = parts.iter().find(|p| {
        p.is_empty()
            || !p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    }) {
        return Err(format!(
            "{bad:?} is not a valid platform component (expected os/arch[/variant])"
        ));
    }
    match parts.as_slice() {
        [single] => {
            let os = normalize_os(single);
            if KNOWN_OS.contains(&os.as_str()) {
                return Ok(Platform::new(os, host_architecture()));
            }
            let (arch, variant) = normalize_arch(single, "");
            if !KNOWN_ARCH.contains(&arch.as_str()) {
                return Err("unknown operating system or architecture".to_string());
            }
            Ok(Platform::new("linux", arch).with_variant(variant))
        }
        [os, arch] => {
            let (arch, variant) = normalize_arch(arch, "");
            Ok(Platform::new(normalize_os(os), arch).with_variant(variant))
        }
        [os, arch, variant] => {
            let (arch, variant) = normalize_arch(arch, variant);
            Ok(Platform::new(normalize_os(os), arch).with_variant(variant))
        }
        _ => Err("cannot parse platform specifier (expected os/arch[/variant])".to_string()),
    }
}

/// The platform this binary runs on (Linux containers): the build platform.
pub fn host() -> Platform {
    let (arch, variant) = normalize_arch(host_architecture(), "");
    Platform::new("linux", arch).with_variant(variant)
}

const KNOWN_OS: [&str; 17] = [
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];

const KNOWN_ARCH: [&str; 24] = [
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "ppc64",
    "ppc64le",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

fn normalize_os(os: &str) -> String {
    let os = os.to_ascii_lowercase();
    match os.as_str() {
        "macos" => "darwin".to_string(),
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
    (arch.to_string(), variant.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse("linux/amd64").unwrap().to_string(), "linux/amd64");
        assert_eq!(parse("linux/aarch64").unwrap().to_string(), "linux/arm64");
        assert_eq!(parse("linux/arm64/v8").unwrap().to_string(), "linux/arm64");
        assert_eq!(parse("linux/arm").unwrap().to_string(), "linux/arm/v7");
        assert_eq!(parse("armhf").unwrap().to_string(), "linux/arm/v7");
        assert_eq!(parse("linux").unwrap().os, "linux");
        assert!(parse("bogus").is_err());
        assert!(parse("linux//x").is_err());
        assert!(parse("a/b/c/d").is_err());
    }
}
