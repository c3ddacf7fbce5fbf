//! `FROM --platform` values, as the containerd `platforms` package vendored by
//! BuildKit v0.8.3 parses, normalizes and formats them.
//!
//! The distinction between parsed and normalized matters: the image source op gets
//! the platform as parsed (`linux/arm64` parses to `arm64/v8`), while the stage's
//! LLB state, and so every exec of the stage, gets it normalized (`arm64`, no variant).

use dfopt_llb::Platform;

/// `platforms.Parse` (containerd v1.4, AkihiroSuda fork as vendored by v0.8.3).
/// `host` stands for `runtime.GOOS`/`GOARCH` of the frontend: the build platform.
pub(crate) fn parse(specifier: &str, host: &Platform) -> Result<Platform, String> {
    if specifier.contains('*') {
        return Err(format!(
            "{specifier:?}: wildcards not yet supported: invalid argument"
        ));
    }
    let parts: Vec<&str> = specifier.split('/').collect();
    for part in &parts {
        let valid = !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(format!(
                "{} is an invalid component of {}: platform specifier component must match \"^[A-Za-z0-9_-]+$\": invalid argument",
                go_q(part),
                go_q(specifier)
            ));
        }
    }
    match parts.as_slice() {
        [one] => {
            let os = normalize_os(one, host);
            if is_known_os(&os) {
                return Ok(Platform::new(os, host.architecture.clone()));
            }
            let (arch, mut variant) = normalize_arch(one, "");
            if arch == "arm" && variant == "v7" {
                variant = String::new();
            }
            if is_known_arch(&arch) {
                return Ok(Platform::new(host.os.clone(), arch).with_variant(variant));
            }
            Err(format!(
                "{}: unknown operating system or architecture: invalid argument",
                go_q(specifier)
            ))
        }
        [os, arch] => {
            let (arch, mut variant) = normalize_arch(arch, "");
            if arch == "arm" && variant == "v7" {
                variant = String::new();
            }
            Ok(Platform::new(normalize_os(os, host), arch).with_variant(variant))
        }
        [os, arch, variant] => {
            let (arch, mut variant) = normalize_arch(arch, variant);
            if arch == "arm64" && variant.is_empty() {
                variant = "v8".to_owned();
            }
            Ok(Platform::new(normalize_os(os, host), arch).with_variant(variant))
        }
        _ => Err(format!(
            "{}: cannot parse platform specifier: invalid argument",
            go_q(specifier)
        )),
    }
}

/// `platforms.Normalize`.
pub(crate) fn normalize(p: &Platform, host: &Platform) -> Platform {
    let (arch, variant) = normalize_arch(&p.architecture, &p.variant);
    Platform::new(normalize_os(&p.os, host), arch).with_variant(variant)
}

/// `platforms.Format`: `os/arch[/variant]`, `unknown` without an OS.
pub(crate) fn format(p: &Platform) -> String {
    let mut out = String::with_capacity(p.os.len() + p.architecture.len() + p.variant.len() + 2);
    push_format(&mut out, p);
    out
}

/// [`format`] appended to `out`.
pub(crate) fn push_format(out: &mut String, p: &Platform) {
    if p.os.is_empty() {
        out.push_str("unknown");
        return;
    }
    let mut first = true;
    for part in [&p.os, &p.architecture, &p.variant] {
        if part.is_empty() {
            continue;
        }
        if !first {
            out.push('/');
        }
        out.push_str(part);
        first = false;
    }
}

fn go_q(s: &str) -> String {
    dfopt_dockerfile::go_quote(s)
}

fn normalize_os(os: &str, host: &Platform) -> String {
    if os.is_empty() {
        return host.os.clone();
    }
    let os = os.to_lowercase();
    if os == "macos" {
        "darwin".to_owned()
    } else {
        os
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_lowercase();
    let variant = variant.to_lowercase();
    match arch.as_str() {
        "i386" => ("386".to_owned(), String::new()),
        "x86_64" | "x86-64" => ("amd64".to_owned(), String::new()),
        "aarch64" | "arm64" => {
            let variant = if variant == "8" || variant == "v8" {
                String::new()
            } else {
                variant
            };
            ("arm64".to_owned(), variant)
        }
        "armhf" => ("arm".to_owned(), "v7".to_owned()),
        "armel" => ("arm".to_owned(), "v6".to_owned()),
        "arm" => {
            let variant = match variant.as_str() {
                "" | "7" => "v7".to_owned(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".to_owned(), variant)
        }
        _ => (arch, variant),
    }
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

    fn host() -> Platform {
        Platform::new("linux", "amd64")
    }

    fn p(s: &str) -> String {
        format(&parse(s, &host()).unwrap())
    }

    #[test]
    fn parses_like_containerd_of_v0_8_3() {
        assert_eq!(p("linux/amd64"), "linux/amd64");
        assert_eq!(p("linux/arm64"), "linux/arm64");
        assert_eq!(p("linux/arm64/v8"), "linux/arm64/v8");
        assert_eq!(p("linux/arm"), "linux/arm");
        assert_eq!(p("linux/arm/v6"), "linux/arm/v6");
        assert_eq!(p("Linux/x86_64"), "linux/amd64");
        assert_eq!(p("arm64"), "linux/arm64");
        assert_eq!(p("windows"), "windows/amd64");
        assert!(parse("linux/*", &host()).is_err());
        assert!(parse("linux//amd64", &host()).is_err());
        assert!(parse("bogus", &host()).is_err());
        assert!(parse("a/b/c/d", &host()).is_err());
    }

    #[test]
    fn normalizes() {
        let n = |s: &str| format(&normalize(&parse(s, &host()).unwrap(), &host()));
        assert_eq!(n("linux/arm64/v8"), "linux/arm64");
        assert_eq!(n("linux/arm"), "linux/arm/v7");
        assert_eq!(n("linux/amd64"), "linux/amd64");
    }
}
