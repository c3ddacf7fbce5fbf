//! `COPY` and `ADD` (BuildKit v0.8.3 `dispatchCopyFileOp`), with the flags of newer
//! frontends lowered as they do when the daemon can run them: heredoc sources,
//! `--link`, `--exclude`, `--parents`, symbolic `--chmod`, `ADD --checksum`,
//! `ADD <git>`, `ADD --keep-git-dir`, `ADD --unpack`.

use dfopt_dockerfile::instructions::flags::FlagValue;
use dfopt_dockerfile::instructions::{CommandKind, SourceContent};
use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::Span;
use dfopt_llb::prelude::*;
use dfopt_llb::{caps, Git, Http};

use crate::dispatch::{err, need, Dispatcher, COMMAND_KEY};
use crate::expand;
use crate::options::ConvertError;
use crate::paths;
use crate::plan::Cmd;

/// One COPY/ADD after expansion.
struct CopyCfg {
    is_add: bool,
    sources: Vec<String>,
    contents: Vec<SourceContent>,
    dest: String,
    source_state: State,
    from_other: bool,
    chown: String,
    chmod: String,
    link: bool,
    excludes: Vec<String>,
    parents: bool,
    checksum: String,
    keep_git_dir: Option<bool>,
    unpack: Option<bool>,
}

/// What `--chmod` became.
enum ChmodOpt {
    None,
    Mode(u32),
    Symbolic(String),
}

fn is_http(src: &str) -> bool {
    src.starts_with("http://") || src.starts_with("https://")
}

/// A subset of `dfgitutil.ParseGitRef`: `git://…`, `ssh://…`, `git@host:path`, and
/// http(s) URLs whose path ends in `.git`.
fn is_git(src: &str) -> bool {
    if src.starts_with("git://") || src.starts_with("ssh://") {
        return true;
    }
    if let Some(rest) = src.strip_prefix("git@") {
        return rest.contains(':');
    }
    if is_http(src) {
        let no_fragment = src.split('#').next().unwrap_or(src);
        let no_query = no_fragment.split('?').next().unwrap_or(no_fragment);
        return no_query.ends_with(".git");
    }
    false
}

fn contains_wildcards(name: &str) -> bool {
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'*' | b'?' | b'[' => return true,
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    false
}

/// `url.Parse(src)` then `path.Base(u.Path)` unless `.` or `/`, else `__unnamed__`.
fn url_filename(src: &str) -> String {
    let after_scheme = src.split_once("://").map_or(src, |(_, r)| r);
    let path_start = after_scheme.find('/').map_or(after_scheme.len(), |i| i);
    let path = &after_scheme[path_start..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let Some(path) = percent_decode(path) else {
        return "__unnamed__".to_owned();
    };
    let base = paths::base(&path);
    if base == "." || base == "/" {
        "__unnamed__".to_owned()
    } else {
        base
    }
}

/// `url.PathUnescape`-like decoding; `None` for an invalid escape (Go's `url.Parse`
/// then fails and the file is `__unnamed__`).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let h = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A symbolic mode as `dchapes-mode` accepts it: comma-separated clauses
/// `[ugoa]*([-+=]([rwxXst]*|[ugo]))+`, or an octal number.
fn valid_symbolic_mode(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    s.split(',').all(|clause| {
        let rest = clause.trim_start_matches(['u', 'g', 'o', 'a']);
        if rest.is_empty() {
            return false;
        }
        let mut chars = rest.chars().peekable();
        let mut any = false;
        while let Some(op) = chars.next() {
            if !matches!(op, '+' | '-' | '=') {
                return false;
            }
            any = true;
            if matches!(chars.peek(), Some('u' | 'g' | 'o')) {
                chars.next();
                continue;
            }
            while matches!(chars.peek(), Some('r' | 'w' | 'x' | 'X' | 's' | 't')) {
                chars.next();
            }
        }
        any
    })
}

impl Dispatcher<'_> {
    pub(crate) fn dispatch_copy(
        &mut self,
        i: usize,
        cmd: &Cmd,
        original: &str,
    ) -> Result<(), ConvertError> {
        let span = cmd.span;
        let flag = |f: &Option<FlagValue>| f.as_ref().map(|v| v.value.clone()).unwrap_or_default();
        let (is_add, paths_in, chown, chmod, link, excludes) = match &cmd.command.kind {
            CommandKind::Add(a) => (
                true,
                &a.paths,
                flag(&a.chown),
                flag(&a.chmod),
                a.link,
                &a.excludes,
            ),
            CommandKind::Copy(c) => (
                false,
                &c.paths,
                flag(&c.chown),
                flag(&c.chmod),
                c.link,
                &c.excludes,
            ),
            _ => return Ok(()),
        };
        let mut sources = Vec::with_capacity(paths_in.sources.len());
        for s in &paths_in.sources {
            sources.push(self.expand(i, s, span)?);
        }
        let dest = self.expand(i, &paths_in.dest, span)?;
        let chown = self.expand(i, &chown, span)?;
        let chmod = self.expand(i, &chmod, span)?;
        // Heredoc bodies: expanded (unless the delimiter was quoted) with quotes kept.
        let env = self.env(i);
        let raw = Lexer {
            skip_process_quotes: true,
            ..Lexer::new('\\')
        };
        let mut contents = Vec::with_capacity(paths_in.contents.len());
        for c in &paths_in.contents {
            let mut c = c.clone();
            if c.expand {
                c.data = expand::process_word(&raw, &c.data, &env)
                    .map_err(|e| err(e.message, Some(span)))?;
            }
            contents.push(c);
        }
        let (source_state, from_other) = match cmd.sources.first().copied().flatten() {
            Some(s) => (self.rt[s].state.clone(), true),
            None => (self.context.clone(), false),
        };
        let mut cfg = CopyCfg {
            is_add,
            sources,
            contents,
            dest,
            source_state,
            from_other,
            chown,
            chmod,
            link,
            excludes: excludes.iter().map(|e| e.value.clone()).collect(),
            parents: false,
            checksum: String::new(),
            keep_git_dir: None,
            unpack: None,
        };
        match &cmd.command.kind {
            CommandKind::Add(a) => {
                cfg.checksum = self.expand(i, &flag(&a.checksum), span)?;
                cfg.keep_git_dir = a.keep_git_dir;
                cfg.unpack = a.unpack;
            }
            CommandKind::Copy(c) => cfg.parents = c.parents,
            _ => {}
        }
        let ctx_sources: Vec<String> = if cfg.from_other {
            Vec::new()
        } else {
            cfg.sources
                .iter()
                .filter(|s| !cfg.is_add || !(is_http(s) || is_git(s)))
                .map(|s| paths::join(&["/", s]))
                .collect()
        };
        self.copy(i, cmd, original, cfg)?;
        self.rt[i].ctx_paths.extend(ctx_sources);
        Ok(())
    }

    fn chmod_opt(&self, chmod: &str, span: Span) -> Result<ChmodOpt, ConvertError> {
        if chmod.is_empty() {
            return Ok(ChmodOpt::None);
        }
        let non_octal = || {
            err(
                format!("invalid chmod parameter: '{chmod}'. it should be octal string and between 0 and 07777"),
                Some(span),
            )
        };
        if !chmod.is_empty() && chmod.bytes().all(|b| b.is_ascii_digit()) {
            return match u32::from_str_radix(chmod, 8) {
                Ok(p) if p <= 0o7777 => Ok(ChmodOpt::Mode(p)),
                _ => Err(non_octal()),
            };
        }
        if !valid_symbolic_mode(chmod) {
            // BuildKit keeps its octal wording for values that look numeric and
            // otherwise passes on the symbolic-mode parser's own error.
            if chmod.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(non_octal());
            }
            return Err(err("invalid syntax", Some(span)));
        }
        let (cap, version) = need::MODE_STRING;
        if !self.opts.caps.supports(cap) && !self.opts.caps.supports(caps::FILE_COPY_MODE_STRING) {
            return Err(err(
                format!("--chmod={chmod} (a symbolic mode) requires BuildKit {version} or later (the daemon lacks file.copy.modestring)"),
                Some(span),
            ));
        }
        Ok(ChmodOpt::Symbolic(chmod.to_owned()))
    }

    fn copy(
        &mut self,
        i: usize,
        cmd: &Cmd,
        original: &str,
        cfg: CopyCfg,
    ) -> Result<(), ConvertError> {
        let span = cmd.span;
        let sp = Some(span);
        let keyword = if cfg.is_add { "ADD" } else { "COPY" };
        if !cfg.excludes.is_empty() {
            let (cap, version) = need::INCLUDE_EXCLUDE;
            self.need(cap, &format!("{keyword} --exclude"), version, span)?;
        }
        let chmod = self.chmod_opt(&cfg.chmod, span)?;
        if !cfg.checksum.is_empty() {
            if !cfg.is_add {
                return Err(err("checksum can't be specified for COPY", sp));
            }
            if cfg.sources.len() != 1 {
                return Err(err("checksum can't be specified for multiple sources", sp));
            }
            if !is_http(&cfg.sources[0]) && !is_git(&cfg.sources[0]) {
                return Err(err("checksum requires HTTP(S) or Git sources", sp));
            }
        }

        // `pathRelativeToWorkingDir`, then `path.Join("/", …)` keeping a final slash.
        let cwd = self.rt[i].state.cwd().to_owned();
        let pp = if paths::is_abs(&cfg.dest) {
            cfg.dest.clone()
        } else {
            paths::join(&[&cwd, &cfg.dest])
        };
        let mut dest = paths::join(&["/", &pp]);
        if cfg.dest == "." || cfg.dest.is_empty() || cfg.dest.ends_with('/') {
            dest.push('/');
        }

        let owner = (!cfg.chown.is_empty()).then(|| Chown::parse(&cfg.chown));
        let with_common = |mut c: FileCopy, mode: bool| {
            if let Some(o) = &owner {
                c = c.owner(o.clone());
            }
            if mode {
                c = match &chmod {
                    ChmodOpt::None => c,
                    ChmodOpt::Mode(m) => c.mode(*m),
                    ChmodOpt::Symbolic(s) => c.mode_str(s.clone()),
                };
            }
            if !cfg.excludes.is_empty() {
                c = c.exclude_patterns(cfg.excludes.clone());
            }
            c
        };

        // The history entry: keyword, sources, destination and " # buildkit".
        let len = cfg.sources.iter().map(|s| s.len() + 1).sum::<usize>()
            + cfg.contents.iter().map(|c| c.path.len() + 3).sum::<usize>()
            + cfg.dest.len();
        let mut msg = String::with_capacity(len + 32);
        msg.push_str(keyword);
        if cfg.parents {
            msg.push_str(" --parents");
        }
        // BuildKit v0.25's history names the owner and mode too (v0.8's did not).
        if !self.dialect.is_v0_8() {
            if !cfg.chown.is_empty() {
                msg.push_str(" --chown=");
                msg.push_str(&cfg.chown);
            }
            if !cfg.chmod.is_empty() {
                msg.push_str(" --chmod=");
                msg.push_str(&cfg.chmod);
            }
        }
        let prefix_platform = self.prefix_platform(i);
        let name = self.display_name(i, original, false, prefix_platform.as_ref());

        let mut actions: Vec<FileCopy> = Vec::new();
        for src in &cfg.sources {
            msg.push(' ');
            msg.push_str(src);
            if is_git(src) {
                if !cfg.is_add {
                    return Err(err("source can't be a git ref for COPY", sp));
                }
                let (cap, version) = need::GIT;
                self.need(cap, "ADD <git ref>", version, span)?;
                if !cfg.checksum.is_empty() {
                    return Err(err(
                        "ADD --checksum for a git source requires BuildKit v0.22 (source.git.checksum), which dfopt does not implement",
                        sp,
                    ));
                }
                let mut git = Git::new(src).map_err(|e| err(e.to_string(), sp))?;
                if src.split('#').nth(1).is_some_and(|f| f.contains(':')) {
                    let (cap, version) = need::GIT_SUBDIR;
                    self.need(cap, "ADD <git ref>#<ref>:<subdir>", version, span)?;
                }
                if cfg.keep_git_dir == Some(true) {
                    git = git.keep_git_dir(true);
                }
                let st = git.custom_name(name.clone()).build();
                let c = FileCopy::new(&st, "/", dest.clone()).create_dest_path(true);
                actions.push(with_common(c, true));
            } else if is_http(src) {
                if !cfg.is_add {
                    return Err(err("source can't be a URL for COPY", sp));
                }
                let f = url_filename(src);
                let mut http = Http::new(src.clone())
                    .map_err(|e| err(e.to_string(), sp))?
                    .filename(f.clone());
                if !cfg.checksum.is_empty() {
                    validate_digest(&cfg.checksum).map_err(|e| err(e, sp))?;
                    let (cap, version) = need::HTTP_CHECKSUM;
                    self.need(cap, "ADD --checksum", version, span)?;
                    http = http.checksum(cfg.checksum.clone());
                }
                // BuildKit v0.25 names the download as the step; v0.8 left it unnamed.
                if !self.dialect.is_v0_8() {
                    http = http.custom_name(name.clone());
                }
                let st = http.description(COMMAND_KEY, "").build();
                // BuildKit v0.8.3 dropped --chmod for URL sources (fixed in Dockerfile 1.3);
                // the flag is applied here, as current BuildKit does: silently ignoring
                // what the user asked for is worse than not sharing that one cache entry.
                let c = FileCopy::new(&st, f, dest.clone())
                    .create_dest_path(true)
                    .attempt_unpack(cfg.unpack.unwrap_or(false));
                actions.push(with_common(c, true));
            } else {
                let mut src_path = src.clone();
                let mut include = Vec::new();
                let mut required = Vec::new();
                if cfg.parents {
                    let (cap, version) = need::INCLUDE_EXCLUDE;
                    self.need(cap, "COPY --parents", version, span)?;
                    let (parent, pattern) = match src.split_once("/./") {
                        Some((p, pat)) => (p.to_owned(), pat.to_owned()),
                        None => ("/".to_owned(), src.clone()),
                    };
                    let pattern = paths::join(&["/", &pattern]);
                    include.push(pattern.trim_start_matches('/').to_owned());
                    // A literal source must exist: BuildKit v0.26+ checks that through
                    // required paths. Older daemons get what the official frontend sends
                    // them (include patterns only), where a missing literal source copies
                    // nothing instead of failing.
                    if !contains_wildcards(&parent)
                        && !contains_wildcards(&pattern)
                        && self.opts.caps.supports(need::REQUIRED_PATHS.0)
                    {
                        required.push(paths::join(&["/", &parent, &pattern]));
                    }
                    src_path = parent;
                }
                let unpack = cfg.unpack.unwrap_or(cfg.is_add);
                let mut c = FileCopy::new(
                    &cfg.source_state,
                    paths::join(&["/", &src_path]),
                    dest.clone(),
                )
                .dockerfile_defaults()
                .attempt_unpack(unpack);
                if !include.is_empty() {
                    c = c.include_patterns(include);
                }
                if !required.is_empty() {
                    c = c.required_paths(required);
                }
                actions.push(with_common(c, true));
            }
        }
        for content in &cfg.contents {
            msg.push_str(" <<");
            msg.push_str(&content.path);
            let st = self
                .file_on(&State::scratch(), self.stage_platform(i))
                .mkfile(Mkfile::new(
                    content.path.clone(),
                    0o644,
                    content.data.clone().into_bytes(),
                ))
                .custom_name("[internal] preparing inline document")
                .build()
                .map_err(|e| err(e.to_string(), sp))?;
            let c = FileCopy::new(&st, content.path.clone(), dest.clone()).create_dest_path(true);
            actions.push(with_common(c, true));
        }
        msg.push(' ');
        msg.push_str(&cfg.dest);

        let location = self.location(&cmd.lines);
        let ignore_cache = self.plan.states[i].ignore_cache;
        let use_merge = cfg.link && cfg.chmod.is_empty() && self.opts.caps.supports(need::MERGE.0);
        if cfg.link && !use_merge {
            let why = if cfg.chmod.is_empty() {
                "the daemon lacks mergeop (BuildKit v0.10+)"
            } else {
                "--chmod is set"
            };
            self.warn(
                format!("{keyword} --link falls back to a plain copy: {why}"),
                sp,
            );
        }
        let (base, file_platform) = if use_merge {
            (State::scratch(), self.stage_platform(i))
        } else {
            (
                self.rt[i].state.clone(),
                self.file_platform(&self.rt[i].state),
            )
        };
        // The merge has the copy's location too.
        let merge_location = use_merge.then(|| location.clone());
        let mut file = self.file_on(&base, file_platform);
        for a in actions {
            file = file.copy(a);
        }
        // BuildKit v0.25 puts the copy and its merge in one progress group named as the
        // copy, so progress shows one step (v0.8 showed both vertices). Go uses a random
        // id; this one is derived from the step, so output stays deterministic.
        let group = (use_merge && !self.dialect.is_v0_8()).then(|| {
            (
                format!("dfopt-link-{i}-{}", self.rt[i].cmd_index),
                name.clone(),
            )
        });
        if let Some((id, group_name)) = &group {
            file = file.progress_group(id.clone(), group_name.clone(), true);
        }
        let copied = file
            .custom_name(Self::with_note(name, cmd))
            .location(location)
            .ignore_cache(ignore_cache)
            .build()
            .map_err(|e| err(e.to_string(), sp))?;
        self.rt[i].state = match merge_location {
            Some(location) => {
                // The merge shows as `[i/N] LINK COPY …` with the copy's step number.
                self.rt[i].cmd_index = self.rt[i].cmd_index.saturating_sub(1);
                // The same text as in the copy's name (the state's env has not changed).
                let text = self.display_text(i, original, false);
                let link_name = self.prefix(i, &format!("LINK {text}"), prefix_platform.as_ref());
                let mut merge = Merge::new([self.rt[i].state.clone(), copied]);
                if let Some((id, group_name)) = group {
                    merge = merge.progress_group(id, group_name, false);
                }
                merge
                    .custom_name(Self::with_note(link_name, cmd))
                    .location(location)
                    .ignore_cache(ignore_cache)
                    .build()
            }
            None => copied,
        };
        self.rt[i].image.commit(msg, true, true);
        Ok(())
    }
}

/// `digest.Parse`: `algorithm:hex` with a known algorithm and the right length.
fn validate_digest(d: &str) -> Result<(), String> {
    let Some((alg, hex)) = d.split_once(':') else {
        return Err("invalid checksum digest format".to_owned());
    };
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err("unsupported digest algorithm".to_owned()),
    };
    if hex.len() != len
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err("invalid checksum digest length".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_names() {
        assert_eq!(
            url_filename("https://example.com/a/b.tar.gz?x=1"),
            "b.tar.gz"
        );
        assert_eq!(url_filename("https://example.com/"), "__unnamed__");
        assert_eq!(url_filename("https://example.com"), "__unnamed__");
        assert_eq!(url_filename("http://h/dir/"), "dir");
        assert_eq!(url_filename("http://h/a%20b"), "a b");
    }

    #[test]
    fn git_refs() {
        assert!(is_git("https://github.com/moby/buildkit.git#v0.8.3"));
        assert!(is_git("git@github.com:moby/buildkit.git"));
        assert!(is_git("git://example.com/x"));
        assert!(!is_git("https://example.com/file.tar.gz"));
        assert!(!is_git("src/app.git"));
    }

    #[test]
    fn modes() {
        for ok in ["u+x", "a=rwx", "go-w", "u+x,g+r", "u=g"] {
            assert!(valid_symbolic_mode(ok), "{ok}");
        }
        for bad in ["", "x", "u", "u+q", "8"] {
            assert!(!valid_symbolic_mode(bad), "{bad}");
        }
        assert!(contains_wildcards("a/*.go"));
        assert!(!contains_wildcards("a/\\*.go"));
    }
}
