//! `git://` sources.

use std::collections::BTreeMap;

use crate::caps::{self, Need};
use crate::error::Error;
use crate::ops::source::{source_state, SourceOp};
use crate::ops::{OpMeta, OpOptions};
use crate::paths;
use crate::state::{State, StateValues};

/// A `git://` source.
#[derive(Debug, Clone)]
pub struct Git {
    /// The URL the daemon clones (`git.fullurl`): scheme-ful or scp-style, without
    /// fragment or query.
    full_url: String,
    /// `host/path`, the identifier's stable part.
    id: String,
    ssh: bool,
    reference: Option<String>,
    subdir: Option<String>,
    keep_git_dir: bool,
    auth_token_secret: String,
    auth_header_secret: String,
    explicit_auth: bool,
    known_ssh_hosts: Option<String>,
    mount_ssh_sock: Option<String>,
    meta: OpMeta,
}

impl Git {
    /// A repository by remote URL: `https://host/path`, `http://`, `git://`, `ssh://`,
    /// scp-style `user@host:path`, or schemeless `host/path` (taken as `https://`).
    /// A `#ref[:subdir]` fragment is understood, as in `ADD <git url>`.
    pub fn new(remote: &str) -> Result<Self, Error> {
        let fail = |reason| Error::InvalidGitRemote {
            remote: remote.to_owned(),
            reason,
        };
        let (without_fragment, fragment) = match remote.split_once('#') {
            Some((url, fragment)) => (url, Some(fragment)),
            None => (remote, None),
        };
        let parsed = parse_git_remote(without_fragment).map_err(fail)?;
        let mut git = Self {
            full_url: parsed.full_url,
            id: format!("{}{}", parsed.host, paths::join(&["/", &parsed.path])),
            ssh: parsed.ssh,
            reference: None,
            subdir: None,
            keep_git_dir: false,
            auth_token_secret: "GIT_AUTH_TOKEN".to_owned(),
            auth_header_secret: "GIT_AUTH_HEADER".to_owned(),
            explicit_auth: false,
            known_ssh_hosts: None,
            mount_ssh_sock: None,
            meta: OpMeta::default(),
        };
        if let Some(fragment) = fragment {
            let (reference, subdir) = match fragment.split_once(':') {
                Some((r, s)) => (r, s),
                None => (fragment, ""),
            };
            git = git.reference(reference).subdir(subdir);
        }
        Ok(git)
    }

    /// The branch, tag or commit to check out (empty = default branch).
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        let reference = reference.into();
        self.reference = (!reference.is_empty()).then_some(reference);
        self
    }

    /// Use only this subdirectory of the repository. Needs `source.git.subdir`
    /// (BuildKit v0.9+); v0.8 fails such an identifier with "subdir not supported yet".
    pub fn subdir(mut self, subdir: &str) -> Self {
        let cleaned = paths::join(&["/", subdir]);
        let cleaned = cleaned.trim_start_matches('/');
        self.subdir = (!cleaned.is_empty()).then(|| cleaned.to_owned());
        self
    }

    /// Keep the `.git` directory (`git.keepgitdir`).
    pub fn keep_git_dir(mut self, keep: bool) -> Self {
        self.keep_git_dir = keep;
        self
    }

    /// The secret holding an HTTP auth token (default `GIT_AUTH_TOKEN`).
    pub fn auth_token_secret(mut self, secret: impl Into<String>) -> Self {
        self.auth_token_secret = secret.into();
        self.explicit_auth = true;
        self
    }

    /// The secret holding an HTTP auth header (default `GIT_AUTH_HEADER`).
    pub fn auth_header_secret(mut self, secret: impl Into<String>) -> Self {
        self.auth_header_secret = secret.into();
        self.explicit_auth = true;
        self
    }

    /// `known_hosts` lines for an ssh remote. The Go client runs `ssh-keyscan` when none
    /// are given; we never touch the network while building a graph.
    pub fn known_ssh_hosts(mut self, hosts: impl Into<String>) -> Self {
        self.known_ssh_hosts = Some(hosts.into());
        self
    }

    /// The ssh agent id to mount for an ssh remote (default `default`).
    pub fn mount_ssh_sock(mut self, id: impl Into<String>) -> Self {
        self.mount_ssh_sock = Some(id.into());
        self
    }

    /// The checkout as a state.
    pub fn build(self) -> State {
        let mut id = self.id;
        if self.reference.is_some() || self.subdir.is_some() {
            id.push('#');
            id.push_str(self.reference.as_deref().unwrap_or(""));
            if let Some(subdir) = &self.subdir {
                id.push(':');
                id.push_str(subdir);
            }
        }
        let mut attrs = BTreeMap::new();
        let mut needs = Vec::new();
        if self.subdir.is_some() {
            needs.push(Need::cap(
                caps::SOURCE_GIT_SUBDIR,
                "git source subdirectory",
            ));
        }
        if self.keep_git_dir {
            attrs.insert("git.keepgitdir".to_owned(), "true".to_owned());
            needs.push(Need::cap(
                caps::SOURCE_GIT_KEEP_DIR,
                "git source keep-git-dir",
            ));
        }
        attrs.insert("git.fullurl".to_owned(), self.full_url);
        needs.push(Need::cap(caps::SOURCE_GIT_FULL_URL, "git source full URL"));
        attrs.insert("git.authtokensecret".to_owned(), self.auth_token_secret);
        attrs.insert("git.authheadersecret".to_owned(), self.auth_header_secret);
        if self.explicit_auth {
            needs.push(Need::cap(
                caps::SOURCE_GIT_HTTP_AUTH,
                "git source auth secrets",
            ));
        }
        if self.ssh {
            if let Some(hosts) = self.known_ssh_hosts {
                attrs.insert("git.knownsshhosts".to_owned(), hosts);
            }
            needs.push(Need::cap(caps::SOURCE_GIT_KNOWN_SSH_HOSTS, "git over ssh"));
            let sock = self.mount_ssh_sock.unwrap_or_else(|| "default".to_owned());
            attrs.insert("git.mountsshsock".to_owned(), sock);
            needs.push(Need::cap(caps::SOURCE_GIT_MOUNT_SSH_SOCK, "git over ssh"));
        }
        needs.push(Need::cap(caps::SOURCE_GIT, "git source"));
        let op = SourceOp {
            identifier: format!("git://{id}"),
            attrs,
            needs,
            optional_attrs: Vec::new(),
            platform: None,
        };
        source_state(op, self.meta, StateValues::default())
    }
}

impl OpOptions for Git {
    fn op_meta(&mut self) -> &mut OpMeta {
        &mut self.meta
    }
}

struct GitRemote {
    full_url: String,
    host: String,
    path: String,
    ssh: bool,
}

/// BuildKit's `gitutil.ParseURL`, reduced to what the identifier needs.
fn parse_git_remote(remote: &str) -> Result<GitRemote, &'static str> {
    let without_query = remote.split_once('?').map_or(remote, |(url, _)| url);
    if let Some((scheme, rest)) = split_scheme(without_query) {
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https" | "ssh" | "git") {
            return Err("unsupported protocol (want http, https, ssh or git)");
        }
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, ""),
        };
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        if host.is_empty() {
            return Err("missing host");
        }
        return Ok(GitRemote {
            full_url: without_query.to_owned(),
            host: host.to_owned(),
            path: path.to_owned(),
            ssh: scheme == "ssh",
        });
    }
    if let Some(scp) = parse_scp_style(without_query) {
        return Ok(scp);
    }
    // Unknown protocol: BuildKit retries with `https://` in front.
    let with_https = format!("https://{without_query}");
    match split_scheme(&with_https) {
        Some(_) => parse_git_remote(&with_https),
        None => Err("unparsable remote"),
    }
}

/// `scheme://rest` where scheme is `[a-zA-Z0-9]+`.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let valid = !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric());
    valid.then_some((scheme, rest))
}

/// `user@host:path` with user `[a-zA-Z0-9-_]+` and host `[a-zA-Z0-9-.]+`.
fn parse_scp_style(url: &str) -> Option<GitRemote> {
    let (user, rest) = url.split_once('@')?;
    let (host, path) = rest.split_once(':')?;
    let user_ok = !user.is_empty()
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    (user_ok && host_ok).then(|| GitRemote {
        full_url: url.to_owned(),
        host: host.to_owned(),
        path: path.to_owned(),
        ssh: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::OpKind;

    fn git_id(remote: &str) -> (String, String) {
        match Git::new(remote) {
            Ok(g) => {
                let url = g.full_url.clone();
                let state = g.build();
                let id = match state.output().map(|o| &o.node.kind) {
                    Some(OpKind::Source(op)) => op.identifier.clone(),
                    _ => String::new(),
                };
                (id, url)
            }
            Err(e) => (format!("error: {e}"), String::new()),
        }
    }

    #[test]
    fn git_identifiers() {
        assert_eq!(
            git_id("https://github.com/moby/buildkit.git#v0.8.3"),
            (
                "git://github.com/moby/buildkit.git#v0.8.3".to_owned(),
                "https://github.com/moby/buildkit.git".to_owned()
            )
        );
        assert_eq!(
            git_id("github.com/moby/buildkit"),
            (
                "git://github.com/moby/buildkit".to_owned(),
                "https://github.com/moby/buildkit".to_owned()
            )
        );
        assert_eq!(
            git_id("git@github.com:moby/buildkit.git#main:docs/./x"),
            (
                "git://github.com/moby/buildkit.git#main:docs/x".to_owned(),
                "git@github.com:moby/buildkit.git".to_owned()
            )
        );
        assert_eq!(
            git_id("ssh://git@example.com:2222/r.git").0,
            "git://example.com:2222/r.git"
        );
        assert!(git_id("ftp://example.com/r.git").0.starts_with("error"));
        assert!(git_id("https://").0.starts_with("error"));
    }
}
