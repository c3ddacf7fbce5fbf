//! Docker image reference normalization (`alpine` → `docker.io/library/alpine:latest`).
//!
//! The daemon parses `docker-image://` identifiers with containerd's strict parser,
//! which wants a host and a tag or digest, so `alpine` or `alpine:3.18` fail there. This
//! module mirrors `github.com/distribution/reference`'s `ParseNormalizedNamed` followed
//! by `TagNameOnly`, hand-written instead of regex-based:
//!
//! * the first path component is a domain if it contains `.` or `:`, is `localhost`, or
//!   has an uppercase letter; otherwise the domain is `docker.io`;
//! * `index.docker.io` becomes `docker.io`, and a one-component path on `docker.io` gets
//!   the `library/` prefix;
//! * a reference with neither tag nor digest gets the tag `latest`; a digest is kept
//!   (with the tag, if both are given).
//!
//! One deliberate difference: a first component that looks like a domain but is not a
//! valid host (`foo_bar.com/x`) is rejected here, where Go silently treats it as a path.

use std::borrow::Cow;
use std::fmt;

/// Why an image reference was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference `{reference}`: {reason}")]
pub struct ReferenceError {
    /// The reference as given.
    pub reference: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A fully normalized image reference: `domain/path[:tag][@digest]`, always with a tag
/// or a digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";
/// distribution/reference's `NameTotalLengthMax` as enforced by the v0.8-era parser
/// (on the whole `domain/path`).
const NAME_TOTAL_LENGTH_MAX: usize = 255;

impl ImageRef {
    /// Normalizes `reference` like Docker does (see the module docs).
    pub fn parse_normalized(reference: &str) -> Result<Self, ReferenceError> {
        let fail = |reason: &str| ReferenceError {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        if reference.is_empty() {
            return Err(fail("repository name must have at least one component"));
        }
        if reference.len() == 64 && reference.bytes().all(is_lower_hex) {
            return Err(fail("cannot specify 64-byte hexadecimal strings"));
        }

        let (domain, remainder) = split_docker_domain(reference);
        let (name_and_tag, digest) = match remainder.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (remainder, None),
        };
        let (path, tag) = match name_and_tag.split_once(':') {
            Some((p, t)) => (p, Some(t)),
            None => (name_and_tag, None),
        };
        // A one-component path on Docker Hub is an official image (`library/`). The
        // prefix has neither `@` nor `:`, so adding it after splitting is the same as
        // adding it to the remainder before.
        let path: Cow<'_, str> = if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
            let mut prefixed = String::with_capacity(OFFICIAL_REPO_PREFIX.len() + path.len());
            prefixed.push_str(OFFICIAL_REPO_PREFIX);
            prefixed.push_str(path);
            Cow::Owned(prefixed)
        } else {
            Cow::Borrowed(path)
        };

        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(fail(&format!("repository name ({path}) must be lowercase")));
        }
        if !is_valid_domain(domain) {
            return Err(fail(&format!("invalid domain `{domain}`")));
        }
        if !path.split('/').all(is_valid_path_component) {
            return Err(fail("invalid reference format"));
        }
        if domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(fail("repository name must not be more than 255 characters"));
        }
        if let Some(tag) = tag {
            if !is_valid_tag(tag) {
                return Err(fail(&format!("invalid tag `{tag}`")));
            }
        }
        if let Some(digest) = digest {
            validate_digest(digest).map_err(|reason| fail(&reason))?;
        }

        let tag = match (tag, digest) {
            (None, None) => Some(DEFAULT_TAG.to_owned()),
            (t, _) => t.map(str::to_owned),
        };
        Ok(Self {
            domain: domain.to_owned(),
            path: path.into_owned(),
            tag,
            digest: digest.map(str::to_owned),
        })
    }

    /// Pins the reference to `digest` (`sha256:<64 hex>`), keeping the tag, as BuildKit's
    /// Dockerfile frontend does after resolving an image's config. Pinning to the digest
    /// the reference already has is a no-op; pinning to another one is an error.
    pub fn with_digest(mut self, digest: &str) -> Result<Self, ReferenceError> {
        let fail = |reason: String| ReferenceError {
            reference: self.to_string(),
            reason,
        };
        validate_digest(digest).map_err(fail)?;
        match &self.digest {
            Some(existing) if existing != digest => Err(fail(format!(
                "already pinned to `{existing}`, cannot pin to `{digest}`"
            ))),
            _ => {
                self.digest = Some(digest.to_owned());
                Ok(self)
            }
        }
    }

    /// The registry host (with port), e.g. `docker.io` or `localhost:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path, e.g. `library/alpine`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `domain/path`, without tag or digest.
    pub fn name(&self) -> String {
        let mut name = String::with_capacity(self.domain.len() + 1 + self.path.len());
        name.push_str(&self.domain);
        name.push('/');
        name.push_str(&self.path);
        name
    }

    /// The tag, if any (always present when there is no digest).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if pinned.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.domain)?;
        f.write_str("/")?;
        f.write_str(&self.path)?;
        if let Some(tag) = &self.tag {
            f.write_str(":")?;
            f.write_str(tag)?;
        }
        if let Some(digest) = &self.digest {
            f.write_str("@")?;
            f.write_str(digest)?;
        }
        Ok(())
    }
}

/// distribution/reference `splitDockerDomain`, without its `library/` prefixing
/// (done by the caller): the domain and the rest of `name`.
fn split_docker_domain(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        None => (DEFAULT_DOMAIN, name),
        Some((maybe_domain, rest)) => {
            if maybe_domain == "localhost"
                || maybe_domain.contains(['.', ':'])
                || maybe_domain.bytes().any(|b| b.is_ascii_uppercase())
            {
                let domain = if maybe_domain == LEGACY_DEFAULT_DOMAIN {
                    DEFAULT_DOMAIN
                } else {
                    maybe_domain
                };
                (domain, rest)
            } else {
                (DEFAULT_DOMAIN, name)
            }
        }
    }
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `host(:port)?` where host is dot-separated labels or a bracketed IPv6 address.
fn is_valid_domain(domain: &str) -> bool {
    let is_port = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = domain.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        let ip_ok = !ip.is_empty() && ip.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        return ip_ok && (after.is_empty() || after.strip_prefix(':').is_some_and(is_port));
    }
    let (host, port) = match domain.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    let port_ok = match port {
        Some(p) => is_port(p),
        None => true,
    };
    port_ok && host.split('.').all(is_valid_domain_label)
}

/// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_valid_domain_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
fn is_valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if alnum(first) && alnum(last) => {}
        _ => return false,
    }
    // The run of separator bytes since the last alphanumeric one.
    let mut separator: &[u8] = &[];
    for (i, b) in bytes.iter().enumerate() {
        if alnum(b) {
            let ok = separator.is_empty()
                || separator == b"."
                || separator == b"_"
                || separator == b"__"
                || separator.iter().all(|s| *s == b'-');
            if !ok {
                return false;
            }
            separator = &[];
        } else if matches!(b, b'.' | b'_' | b'-') {
            separator = &bytes[i - separator.len()..=i];
        } else {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`.
fn is_valid_tag(tag: &str) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let bytes = tag.as_bytes();
    match bytes.first() {
        Some(first) if word(first) => {}
        _ => return false,
    }
    bytes.len() <= 128 && bytes.iter().all(|b| word(b) || *b == b'.' || *b == b'-')
}

/// go-digest validation for the algorithms BuildKit registers.
fn validate_digest(digest: &str) -> Result<(), String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!("invalid digest `{digest}`: missing algorithm"));
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(format!("unsupported digest algorithm `{algorithm}`")),
    };
    if hex.len() != len || !hex.bytes().all(is_lower_hex) {
        return Err(format!(
            "invalid digest `{digest}`: want {len} lowercase hex digits"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:4edbd2beb5f78b1014028f4fbb99f3237d9561100b6881aabbf5acce2c4f9454";

    fn norm(s: &str) -> String {
        match ImageRef::parse_normalized(s) {
            Ok(r) => r.to_string(),
            Err(e) => format!("error: {}", e.reason),
        }
    }

    #[test]
    fn normalizes_like_docker() {
        assert_eq!(norm("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(norm("alpine:3.18"), "docker.io/library/alpine:3.18");
        assert_eq!(norm("library/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(norm("docker.io/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(
            norm("index.docker.io/alpine"),
            "docker.io/library/alpine:latest"
        );
        assert_eq!(norm("user/repo:v1"), "docker.io/user/repo:v1");
        assert_eq!(norm("localhost/x"), "localhost/x:latest");
        assert_eq!(norm("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(norm("localhost:5000/a/b:t"), "localhost:5000/a/b:t");
        assert_eq!(norm("ghcr.io/o/r:1.2-x_y"), "ghcr.io/o/r:1.2-x_y");
        assert_eq!(norm("[::1]:5000/x"), "[::1]:5000/x:latest");
        assert_eq!(norm("Example.com/x"), "Example.com/x:latest");
        assert_eq!(
            norm(&format!("alpine@{DIGEST}")),
            format!("docker.io/library/alpine@{DIGEST}")
        );
        assert_eq!(
            norm(&format!("alpine:3@{DIGEST}")),
            format!("docker.io/library/alpine:3@{DIGEST}")
        );
        assert_eq!(
            norm("a__b/c-----d/e.f_g"),
            "docker.io/a__b/c-----d/e.f_g:latest"
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "Alpine",
            "alpine:",
            "alpine:-x",
            "alpine@sha256:abc",
            "alpine@md5:0123456789abcdef0123456789abcdef",
            "a/../b",
            "a//b",
            "-a",
            "a-",
            "a___b",
            "a._b",
            "foo_bar.com/x",
            "host:/x",
            "host:port/x",
            "[zz]/x",
            "/x",
            "x/",
            "a b",
            &"0".repeat(64),
            &format!("x:{}", "t".repeat(129)),
            &format!("example.com/{}", "a".repeat(250)),
        ] {
            assert!(
                norm(bad).starts_with("error"),
                "{bad:?} was accepted as {}",
                norm(bad)
            );
        }
    }

    #[test]
    fn pins_digest_keeping_tag() {
        let r = ImageRef::parse_normalized("busybox").and_then(|r| r.with_digest(DIGEST));
        assert_eq!(
            r.map(|r| r.to_string()),
            Ok(format!("docker.io/library/busybox:latest@{DIGEST}"))
        );
        let other = format!("sha256:{}", "0".repeat(64));
        let conflict = ImageRef::parse_normalized(&format!("busybox@{DIGEST}"))
            .and_then(|r| r.with_digest(&other));
        assert!(conflict.is_err());
    }
}
