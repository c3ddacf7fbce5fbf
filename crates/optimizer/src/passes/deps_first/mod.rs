//! `deps-first`: install dependencies from their manifests before copying
//! the rest of the source, so that a source edit does not re-run the install.
//!
//! ## What it does
//!
//! In a stage, when `COPY . <dir>` (also `COPY ./ <dir>`, `COPY . .`,
//! `ADD . <dir>`) is followed by a RUN that only installs dependencies from
//! manifest files of `<dir>`, the manifests are copied first:
//!
//! ```dockerfile
//! WORKDIR /app
//! COPY . /app
//! RUN pip install --no-cache-dir -r requirements.txt
//! ```
//! becomes
//! ```dockerfile
//! WORKDIR /app
//! COPY requirements.txt /app/
//! RUN pip install --no-cache-dir -r requirements.txt
//! COPY . /app
//! ```
//!
//! The manifest COPY has the flags of the original (`--chown`, `--chmod`,
//! `--link`; an `ADD` is written as `COPY` with its flags), one COPY per
//! directory the manifests are in; the RUN is unchanged (mounts, network and
//! security included) and the full COPY follows it, unchanged.
//!
//! Second rule: a RUN right after `COPY . <dir>` that cannot read `<dir>` —
//! a system package install with literal package names (`apt-get install`,
//! `apk add`, `dnf`/`yum`/`microdnf install`, with their `update` and
//! `clean` and the removal of their caches) — moves above the COPY.
//!
//! Installers and the manifests they read:
//!
//! - pip: `pip install -r`/`-c` (also `python -m pip`, `uv pip install`),
//!   the named files and those they include with `-r`/`-c`, recursively;
//! - Poetry: `poetry install --no-root`: `pyproject.toml`, `poetry.lock`,
//!   `poetry.toml`, and the readme `pyproject.toml` names;
//! - uv: `uv sync --no-install-project`: `pyproject.toml`, `uv.lock`,
//!   `uv.toml`, `.python-version`;
//! - npm: `npm ci`, `npm install` without packages: `package.json`,
//!   `package-lock.json`, `npm-shrinkwrap.json`, `.npmrc`;
//! - yarn: `yarn`, `yarn install`: `package.json`, `yarn.lock`, `.yarnrc`,
//!   `.yarnrc.yml`, `.yarnclean` (its autoclean patterns);
//! - pnpm: `pnpm install`, `pnpm fetch`: `package.json`, `pnpm-lock.yaml`,
//!   `.npmrc`, `.pnpmfile.cjs`;
//! - Go: `go mod download`: `go.mod`, `go.sum`, `go.work`, `go.work.sum`.
//!
//! The named requirements files, `package.json`, `pyproject.toml` and
//! `go.mod` are required; the others are copied when the context has them.
//! The change title names every manifest copied.
//!
//! ## Why
//!
//! BuildKit re-runs every instruction after the first one whose inputs
//! changed. With `COPY . <dir>` before the install, any source edit changes
//! the COPY and re-runs the install; with the manifests first, the install
//! stays cached until a manifest changes. The image is the same: the install
//! sees the same manifests in the same place, and the full COPY then writes
//! the same files (the manifests again, with the same contents).
//!
//! ## The build context
//!
//! The pass decides from the manifests' contents, which the caller reads
//! from the build context ([`crate::context_queries`] says what to read,
//! [`crate::Options::context`] holds the answers). When the context is not
//! available the pass does not fire and reports that it needs it.
//!
//! ## Safety conditions — the pass does not fire when
//!
//! - a fact it needs is missing or unreadable (a manifest not read yet or
//!   not UTF-8, a directory not listed);
//! - a manifest is not a regular file, or its path goes through something
//!   that is not a directory of the context (a symlink to a directory: the
//!   manifest COPY would make a real directory there, which the full COPY
//!   then cannot replace with the symlink);
//! - a manifest names a local path or an editable install: `-e`, `.`/`./x`
//!   requirement lines, `name @ file:…`, a local archive, `--find-links` to
//!   a directory or a `file:` URL, an index (`-i`, `--index-url`,
//!   `--extra-index-url`, in the file or on the command line) that is a
//!   path or a `file:` URL, a `${VAR}` in a requirements file, an include
//!   outside the context; `file:`, `link:`, `workspace:`, `portal:` or path specifiers
//!   in `package.json`'s dependency fields (`overrides` and `resolutions`
//!   too), `patch:` specifiers, pnpm's `patchedDependencies`, `workspaces`;
//!   `replace … => ./local` in `go.mod`, or a `go.work` that uses other
//!   module directories; a `path =`, `develop = true`, `editable = true`,
//!   `file:` or any `workspace` in `pyproject.toml` (read as text), or a
//!   `find-links`/`url`/`index-url` there that is a local path; a value of
//!   `.npmrc`, `.yarnrc`, `.yarnrc.yml`, `uv.toml` or `poetry.toml` that is
//!   a path or a `file:` URL (`cafile=./ca.pem`, an offline mirror): the
//!   install would read or fill a file the manifest COPY does not bring;
//! - the install would install the project itself, which needs its source:
//!   `poetry install` without `--no-root`, `uv sync` without
//!   `--no-install-project`;
//! - the root `package.json` has an install lifecycle script (`preinstall`,
//!   `install`, `postinstall`, `preprepare`, `prepare`, `postprepare`,
//!   `prepublish`, `dependencies`, `pnpm:devPreinstall`): it may read any
//!   source file; or the install's directory has a `binding.gyp` (npm and
//!   pnpm then run `node-gyp rebuild` for the root package, which compiles
//!   its sources);
//! - a manifest the installer needs is absent from the context (a named
//!   requirements file or an include, `package.json`, `pyproject.toml`,
//!   `go.mod`), or its path
//!   cannot be written as a plain COPY source (spaces, wildcards, `$`);
//!   `.yarnrc.yml` names a `yarnPath` or `plugins` (or `.yarnrc` a
//!   `yarn-path`): the files they name are not copied; a pnpm workspace
//!   (`pnpm-workspace.yaml`); a `.pnpmfile.cjs` that loads a module or
//!   reads files (`require(`, `import`, `fs.`, `readFile`, `process.cwd`,
//!   `__dirname`);
//! - the install may rewrite a manifest the full COPY would then overwrite
//!   with the context's version: `npm install`, `yarn` without
//!   `--frozen-lockfile`/`--pure-lockfile`/`--immutable` and `pnpm install`
//!   without `--frozen-lockfile` and `uv sync` without `--frozen`/`--locked`
//!   fire only when the context has no lockfile; `go mod download` only when `go.sum` has the `go.mod` sum of
//!   every module `go.mod` requires (it writes go.sum only to add sums it
//!   needs to load the build list);
//! - the context directory the install runs in holds a path the installer
//!   writes, which the full COPY would then overwrite: `node_modules` (and
//!   `.yarn`, `.pnp.cjs` for yarn), `.venv`, `venv`, `__pypackages__` for
//!   pip, Poetry and uv, `vendor` for Go, and for all of them the per-user
//!   directories (`.cache`, `.local`, `.npm`, `.pnpm-store`, `.config`,
//!   `.yarn`) a `HOME` there would receive;
//! - the environment moves where the installer writes (or which config it
//!   reads) into `<dir>`, relative to the working directory, or to an
//!   unknown place: `HOME`, `PIP_TARGET`, `PIP_PREFIX`, `VIRTUAL_ENV`,
//!   `UV_PROJECT_ENVIRONMENT`, `npm_config_cache`, `GOPATH`, `GOMODCACHE`
//!   and the like (set by `ENV`, `ARG` or the image, or assigned on the
//!   command, which refuses for these names whatever the value),
//!   `GOFLAGS` with `-modfile`, `POETRY_VIRTUALENVS_IN_PROJECT`; or a
//!   config file of the project does (`prefix`/`cache`/`store-dir` in
//!   `.npmrc`, `cache-folder` in `.yarnrc`, a `…Folder` in `.yarnrc.yml`,
//!   `in-project`/`path`/`cache-dir` in `poetry.toml`, `cache-dir` in
//!   `uv.toml`);
//! - the environment gives an installer (or the runtime it starts) a file
//!   or directory in `<dir>` or relative to the working directory, or an
//!   unknown value: any `PIP_…`, `UV_…`, `POETRY_…`, `npm_config_…` (any
//!   case), `YARN_…`, `PNPM_…`, Go's `GO…` (module path patterns such as
//!   `GOPRIVATE` excepted), `GIT_…` or `XDG_…` variable, `NETRC`,
//!   `NODE_OPTIONS`, `NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE`, `SSL_CERT_DIR`,
//!   `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `PYTHONSTARTUP` whose value
//!   holds such a path or `file:` URL (`PIP_CONSTRAINT=constraints.txt`,
//!   `GOPROXY=file:///app/mods`, `GOWORK=/app/go.work`); these names
//!   assigned on the command refuse whatever the value;
//! - `<dir>` is `/`, `/var`, `/opt`, `/home`, `/root` or `/tmp`, or is
//!   under `/usr`, `/etc`, `/bin`, `/sbin`, `/lib*`, `/boot`, `/dev`,
//!   `/proc`, `/sys`, `/run` (application directories under `/usr/src/`
//!   and `/usr/local/src/` excepted): packages and the system live there;
//! - anything but `LABEL`, and `ENV`/`ARG` whose variables the RUN does not
//!   name, sits between the COPY and the RUN (a `WORKDIR`, `USER`, another
//!   COPY, …); those stay before the RUN, so its user, environment and
//!   working directory are unchanged;
//! - the working directory of the RUN is unknown or not `<dir>` or below
//!   it, `<dir>` is relative to an unknown working directory, or the COPY
//!   uses a variable;
//! - the install is `uv pip install` and its working directory holds
//!   `uv.toml`, `pyproject.toml` or `.python-version`, where uv reads its
//!   settings (an index, constraints, the interpreter), or a directory
//!   above it in `<dir>` does;
//! - a command of the RUN runs `python -m …` (`python -m pip install`),
//!   which puts the working directory first on Python's module path, and
//!   the working directory holds a file or directory named as a module of
//!   the standard library or of pip (`token.py`, `email/`, `pip/`): the
//!   installer would import the project's file, which the manifest COPY
//!   does not bring;
//! - the RUN works below `<dir>` and a directory between `<dir>` and its
//!   working directory holds a file the installer also looks up in parent
//!   directories — a workspace root or config the manifest COPY would not
//!   bring: for npm, yarn and pnpm `package.json`, a lockfile,
//!   `pnpm-workspace.yaml`, `.npmrc`, `.yarnrc`, `.yarnrc.yml`, `.pnp.cjs`;
//!   for Go `go.work`, `go.work.sum`; for uv `pyproject.toml`, `uv.toml`,
//!   `uv.lock`, `.python-version`;
//! - the RUN is not only the install: each command must be an install of the
//!   one tool from its manifests, a cleanup of that tool's cache (`npm cache
//!   clean --force`, `pip cache purge`, `rm -rf ~/.cache/pip`), `pip install`
//!   of named packages (also before Poetry or uv: `pip install poetry`),
//!   `poetry config <key> <value>`, or `set` options, chained with `&&` or
//!   `;` — a
//!   build, a script, `npm run build`, `go build`, a `cd`, a pipe, a
//!   condition, a substitution, a dynamic word or a redirection to a file
//!   refuse; an install option the pass does not know refuses (it may name
//!   a path); a RUN the shell reader refuses, exec form, a heredoc, or a
//!   shell that is not POSIX;
//! - the COPY is `COPY --from`, `--parents`, `--exclude`, a heredoc, has
//!   other sources than `.`, or is an `ADD` with `--checksum`,
//!   `--keep-git-dir` or `--unpack`;
//! - `# dfopt:keep` sits above the COPY or the RUN; the stage is Windows.
//!
//! The second rule has the same conditions on the COPY, on what is between
//! and on `# dfopt:keep`, needs no context, and fires only when every
//! command of the RUN is a system package command whose arguments are
//! options or literal package names (no path, no `$`, no `.deb`/`.rpm`, no
//! option value relative to the working directory or in `<dir>`, such as
//! `-oDir::Etc::SourceList=/app/sources.list`), and when the environment
//! does not point apt at a config file in `<dir>`, relative to the working
//! directory or unknown (`APT_CONFIG`).
//!
//! ## What it assumes
//!
//! Install scripts of the dependencies (not of the root package, which
//! refuses) do not read the project's other files, nor does the installer's
//! interpreter import anything from `<dir>` when it starts (a
//! `sitecustomize.py` found through a `PYTHONPATH` into `<dir>`); and the
//! caller answers the queries from the context as the build sees it (after
//! `.dockerignore`; a symlink is not a regular file, nor a directory).
//!
//! When the context shows a safety condition does not hold for an install
//! right after `COPY .`, the pass reports why it did not fire.
//!
//! ## Applicability
//!
//! Preview, off by default (`DFOPT=+deps-first`, `# dfopt=+deps-first`).
//! The image filesystem and config are the same; the manifest COPY adds a
//! layer and history entry.

mod context;
mod go;
mod locations;
mod node;
mod python;
mod python_projects;
mod rewrite;
mod scan;
mod system;

use dfopt_dockerfile::instructions::{Command, CommandKind};

use crate::facts::StageFacts;
use crate::shell::Script;
use crate::work::{is_kept, Cx};

use context::{join, normalize_absolute, plain_source, Checked, Decline, Reader};
use scan::{Install, Tool};

pub(crate) const ID: &str = "deps-first";

/// Source directories under [`SYSTEM_TREES`] that hold applications by
/// convention (`/usr/src/app`).
const SOURCE_TREES: [&str; 2] = ["/usr/src/", "/usr/local/src/"];
/// System directories a full COPY into which the pass leaves alone.
const SYSTEM_DIRS: [&str; 6] = ["/", "/var", "/opt", "/home", "/root", "/tmp"];
/// Directories under which the pass leaves a full COPY alone.
const SYSTEM_TREES: [&str; 13] = [
    "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/dev",
    "/proc", "/sys", "/run",
];

/// A `COPY . <dir>` followed (across metadata only) by a RUN.
pub(super) struct Pair {
    pub copy: usize,
    pub run: usize,
    /// The destination as written.
    pub dest: String,
    /// The destination, absolute and normalised.
    pub dest_abs: String,
    /// The RUN's working directory as a context directory (`""`: the root).
    pub context_dir: String,
}

pub(crate) fn run(cx: &mut Cx) {
    let mut needs_context = Vec::new();
    let limit: usize = cx.work.ir.stages.iter().map(|s| s.commands.len()).sum();
    for _ in 0..=limit {
        if !fire_once(cx, &mut needs_context) {
            break;
        }
    }
    if !needs_context.is_empty() {
        cx.report(
            ID,
            needs_context,
            "Dependency installs after `COPY .` were not reordered: the build context is not available".to_string(),
            "`deps-first` reads the manifests (requirements files, package.json, go.mod) from the build context to check \
             that the install reads nothing else; without it, it does not fire."
                .to_string(),
        );
    }
}

/// Applies the first rewrite found; false when there is none.
fn fire_once(cx: &mut Cx, needs_context: &mut Vec<dfopt_dockerfile::Span>) -> bool {
    let facts = cx.facts();
    for (s, sf) in facts.iter().enumerate() {
        if sf.windows {
            continue;
        }
        for c in 0..cx.work.ir.stages[s].commands.len() {
            let Some((pair, calls)) = pair_at(cx, sf, s, c) else {
                continue;
            };
            if let Ok(install) = scan::dependency_install(&calls) {
                let run_facts = &sf.before[pair.run];
                if let Err(why) = locations::check_environment(run_facts, &pair.dest_abs, &calls) {
                    report_refusal(cx, s, &pair, why);
                    continue;
                }
                if !cx.opts.context.available {
                    for i in [pair.copy, pair.run] {
                        for span in cx.ranges(s, i) {
                            if !needs_context.contains(&span) {
                                needs_context.push(span);
                            }
                        }
                    }
                    continue;
                }
                let mut reader = Reader::new(&cx.opts.context);
                let files = manifests(&install, &pair, &mut reader);
                let queries = std::mem::take(&mut reader.queries);
                cx.queries.extend(queries);
                match files {
                    Ok(files) => {
                        if rewrite::split(cx, s, &pair, &install, &files) {
                            return true;
                        }
                    }
                    Err(Decline::Refused(why)) => report_refusal(cx, s, &pair, why),
                    Err(Decline::Missing) => {}
                }
            } else if scan::system_install(&calls)
                && locations::system_config_in(&sf.before[pair.run], &pair.dest_abs).is_ok()
                && !calls.iter().any(|call| {
                    call.args
                        .iter()
                        .any(|a| locations::names_local_place("", a, &pair.dest_abs))
                })
                && rewrite::move_above(cx, s, &pair)
            {
                return true;
            }
        }
    }
    false
}

/// Says why an install after `COPY .` stays where it is, when the context
/// showed it (the RUN is an install; its manifests or the context refuse).
fn report_refusal(cx: &mut Cx, s: usize, pair: &Pair, why: &str) {
    let copy_text = cx.text_of(s, pair.copy);
    let copy_line = rewrite::first_line(&copy_text);
    let ranges = [pair.copy, pair.run]
        .iter()
        .flat_map(|&i| cx.ranges(s, i))
        .collect();
    cx.report(
        ID,
        ranges,
        format!("The install after `{copy_line}` was not moved before it: {why}"),
        "`deps-first` copies the manifests first only when they show that the install reads nothing else of the source \
         and writes nothing the full COPY overwrites."
            .to_string(),
    );
}

/// Every manifest the install reads (context paths), after the checks.
fn manifests(install: &Install, pair: &Pair, reader: &mut Reader) -> Result<Vec<String>, Decline> {
    let dir = pair.context_dir.as_str();
    let listing = reader.dir(dir);
    let files = match install.tool {
        Tool::Pip => {
            let mut named = Vec::new();
            for file in &install.named {
                named.push(join(dir, file).ok_or(Decline::Refused(
                    "a requirements file named by an absolute path or outside the context",
                ))?);
            }
            python::manifests(&named, reader)
        }
        Tool::Poetry | Tool::Uv => {
            python_projects::manifests(install.tool, install.rewrites_lock, dir, reader)
        }
        Tool::Go => go::manifests(dir, reader),
        tool => node::manifests(tool, install.rewrites_lock, dir, reader),
    };
    let config_tool = if install.uv_pip {
        Tool::Uv
    } else {
        install.tool
    };
    let ancestors = ancestor_manifests(config_tool, dir, reader);
    let listing = listing?.ok_or(Decline::Refused(
        "the working directory is not in the context",
    ))?;
    let files = files?;
    ancestors?;
    real_directories(&files, reader)?;
    if install.uv_pip
        && listing
            .iter()
            .any(|entry| ["uv.toml", "pyproject.toml", ".python-version"].contains(&entry.as_str()))
    {
        return Err(Decline::Refused(
            "`uv pip` also reads its settings from uv.toml, pyproject.toml or .python-version there",
        ));
    }
    if install.runs_module
        && listing.iter().any(|entry| {
            let name = entry.trim_end_matches('/');
            let module = name.strip_suffix(".py").unwrap_or(name);
            python::SHADOWED_MODULES.contains(&module)
        })
    {
        return Err(Decline::Refused(
            "`python -m` puts the working directory first on the module path, and it holds a module that shadows one the installer imports",
        ));
    }
    let node = matches!(install.tool, Tool::Npm | Tool::Yarn | Tool::Pnpm);
    if node && listing.iter().any(|entry| entry == "binding.gyp") {
        return Err(Decline::Refused(
            "a binding.gyp: the install builds the package's native addon from its sources",
        ));
    }
    let written: &[&str] = match install.tool {
        Tool::Pip | Tool::Poetry | Tool::Uv => &[".venv", "venv", "__pypackages__"],
        Tool::Npm | Tool::Pnpm => &["node_modules"],
        Tool::Yarn => &["node_modules", ".yarn", ".pnp.cjs", ".pnp.loader.mjs"],
        Tool::Go => &["vendor"],
    };
    if listing.iter().any(|entry| {
        let name = entry.trim_end_matches('/');
        written.contains(&name) || locations::HOME_ENTRIES.contains(&name)
    }) {
        return Err(Decline::Refused(
            "the context holds a directory the install writes",
        ));
    }
    if !files.iter().all(|f| plain_source(f)) {
        return Err(Decline::Refused(
            "a manifest path is not a plain COPY source",
        ));
    }
    Ok(files)
}

/// Refuses when a manifest's path goes through something that is not a
/// directory of the context (a symlink to a directory): the manifest COPY
/// would create a real directory there, which the full COPY cannot then
/// replace with the symlink.
fn real_directories(files: &[String], reader: &mut Reader) -> Checked<()> {
    let mut missing = false;
    for file in files {
        let mut parent = String::new();
        let components: Vec<&str> = file.split('/').collect();
        for part in &components[..components.len() - 1] {
            match reader.dir(&parent) {
                Ok(Some(entries)) if entries.iter().any(|e| *e == format!("{part}/")) => {}
                Ok(_) => {
                    return Err(Decline::Refused(
                        "a manifest's directory is not a directory of the context (a symlink)",
                    ))
                }
                Err(Decline::Missing) => {
                    missing = true;
                    break;
                }
                Err(refused) => return Err(refused),
            }
            parent = join(&parent, part).unwrap_or_default();
        }
    }
    if missing {
        Err(Decline::Missing)
    } else {
        Ok(())
    }
}

/// Refuses when the RUN works below `<dir>` and a directory above it, in
/// the copied tree, holds a file the installer looks up in parent
/// directories: a workspace root (`package.json` with `workspaces`,
/// `pnpm-workspace.yaml`, `go.work`, a uv workspace) or a config file. The
/// manifest COPY brings only the working directory's manifests.
fn ancestor_manifests(tool: Tool, dir: &str, reader: &mut Reader) -> Checked<()> {
    let upward: &[&str] = match tool {
        Tool::Pip | Tool::Poetry => &[],
        Tool::Uv => &["pyproject.toml", "uv.toml", "uv.lock", ".python-version"],
        Tool::Go => &["go.work", "go.work.sum"],
        Tool::Npm | Tool::Yarn | Tool::Pnpm => &[
            "package.json",
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "pnpm-workspace.yaml",
            ".npmrc",
            ".yarnrc",
            ".yarnrc.yml",
            ".pnp.cjs",
        ],
    };
    if dir.is_empty() || upward.is_empty() {
        return Ok(());
    }
    let mut ancestor = String::new();
    let mut result = Ok(());
    for part in dir.split('/') {
        let listed = reader.dir(&ancestor).and_then(|l| {
            let holds = l.is_some_and(|l| {
                l.iter()
                    .any(|e| upward.contains(&e.trim_end_matches('/')))
            });
            if holds {
                Err(Decline::Refused(
                    "a directory above the working directory holds a workspace root or config the installer looks up",
                ))
            } else {
                Ok(())
            }
        });
        // Every listing is asked for before deciding, so that one round of
        // queries answers them all; a refusal wins over a missing listing.
        match listed {
            Err(Decline::Refused(why)) => result = Err(Decline::Refused(why)),
            Err(Decline::Missing) if result.is_ok() => result = Err(Decline::Missing),
            _ => {}
        }
        ancestor = join(&ancestor, part).unwrap_or_default();
    }
    result
}

/// The pair starting at command `c`, with the RUN's calls, when the COPY and
/// what is between qualify and the RUN can be read.
fn pair_at(cx: &Cx, sf: &StageFacts, s: usize, c: usize) -> Option<(Pair, Vec<scan::Call>)> {
    let commands = &cx.work.ir.stages[s].commands;
    let copy = &commands[c];
    let dest = full_copy_dest(copy)?;
    let dest_abs = if dest.starts_with('/') {
        normalize_absolute(&dest)?
    } else {
        let base = sf.before.get(c)?.workdir.as_deref()?;
        normalize_absolute(&format!("{base}/{dest}"))?
    };
    let in_system_tree = SYSTEM_TREES
        .iter()
        .any(|t| dest_abs == *t || dest_abs.starts_with(&format!("{t}/")));
    let source_tree = SOURCE_TREES.iter().any(|t| dest_abs.starts_with(t));
    if SYSTEM_DIRS.contains(&dest_abs.as_str()) || (in_system_tree && !source_tree) {
        return None;
    }
    let mut names = Vec::new();
    let mut r = c + 1;
    loop {
        let cmd = commands.get(r)?;
        match &cmd.kind {
            CommandKind::Label(_) => {}
            CommandKind::Env(pairs) => names.extend(pairs.iter().map(|p| p.key.clone())),
            CommandKind::Arg(decls) => names.extend(decls.iter().map(|d| d.key.clone())),
            CommandKind::Run(_) => break,
            _ => return None,
        }
        if is_kept(&cmd.comments) {
            return None;
        }
        r += 1;
    }
    let run_cmd = &commands[r];
    let CommandKind::Run(run) = &run_cmd.kind else {
        return None;
    };
    if is_kept(&run_cmd.comments)
        || !run.cmd.prepend_shell
        || !run.cmd.files.is_empty()
        || !sf.before.get(r)?.posix_shell()
    {
        return None;
    }
    let printed = cx.printed(s, r)?;
    if printed.instr.has_heredocs || printed.instr.json {
        return None;
    }
    let args = printed.args();
    if names
        .iter()
        .any(|n| args.contains(&format!("${n}")) || args.contains(&format!("${{{n}")))
    {
        return None;
    }
    let workdir = normalize_absolute(sf.before.get(r)?.workdir.as_deref()?)?;
    let context_dir = if workdir == dest_abs {
        String::new()
    } else {
        workdir.strip_prefix(&format!("{dest_abs}/"))?.to_string()
    };
    let script = Script::parse(args).ok()?;
    let calls = scan::calls(&script).ok()?;
    Some((
        Pair {
            copy: c,
            run: r,
            dest,
            dest_abs,
            context_dir,
        },
        calls,
    ))
}

/// The destination of `COPY . <dir>` / `ADD . <dir>` of the local context,
/// when the instruction has no flag the pass does not carry over.
fn full_copy_dest(cmd: &Command) -> Option<String> {
    if is_kept(&cmd.comments) || cmd.original.contains('$') {
        return None;
    }
    let paths = match &cmd.kind {
        CommandKind::Copy(copy) => {
            if copy.from.is_some() || copy.parents || !copy.excludes.is_empty() {
                return None;
            }
            &copy.paths
        }
        CommandKind::Add(add) => {
            if add.checksum.is_some()
                || add.keep_git_dir.is_some()
                || add.unpack.is_some()
                || !add.excludes.is_empty()
            {
                return None;
            }
            &add.paths
        }
        _ => return None,
    };
    let whole_context = paths.sources.len() == 1 && matches!(paths.sources[0].as_str(), "." | "./");
    (whole_context && paths.contents.is_empty()).then(|| paths.dest.clone())
}
