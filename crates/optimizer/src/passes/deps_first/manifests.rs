//! The manifests an install reads, gathered from the build context through
//! the installer's module, and the checks every installer shares: the
//! working directory and the manifests are real directories and files of
//! the context, nothing above the working directory is looked up, nothing in
//! it is imported or written by the install.

use super::context::{join, parent, plain_source, real_directories, Checked, Decline, Reader};
use super::pair::{Pair, WorkdirImports};
use super::scan::{Install, Tool};
use super::{cargo_crate, go, node, php, pipenv, python, python_imports, python_projects, ruby};

/// The files in its working directory `uv pip` may read settings from (an
/// index, constraints, the interpreter; `uv sync` was seen to read
/// `.python-versions` too).
const UV_SETTINGS: [&str; 4] = [
    "uv.toml",
    "pyproject.toml",
    ".python-version",
    ".python-versions",
];

/// Every manifest the install reads (context paths), after the checks.
pub(super) fn manifests(
    install: &Install,
    pair: &Pair,
    reader: &mut Reader,
) -> Result<Vec<String>, Decline> {
    let dir = pair.context_dir.as_str();
    if !real_directories(reader, dir)? {
        return Err(if pair.source_root.is_empty() {
            Decline::Refused("the working directory is not a directory of the context")
        } else {
            Decline::NotApplicable
        });
    }
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
        Tool::Pipenv => pipenv::manifests(install.rewrites_lock, dir, reader),
        Tool::Bundler => ruby::manifests(install.rewrites_lock, install.writes_config, dir, reader),
        Tool::Composer => php::manifests(install.runs_plugins, dir, reader),
        Tool::Cargo => cargo_crate::manifests(install.rewrites_lock, dir, reader),
        tool => {
            let ignore_scripts = install.texts.iter().any(|text| {
                text.split_whitespace()
                    .any(|w| w == "--ignore-scripts" || w == "--ignore-scripts=true")
            });
            node::manifests(tool, install.rewrites_lock, ignore_scripts, dir, reader)
        }
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
    if matches!(
        install.tool,
        Tool::Pip | Tool::Poetry | Tool::Uv | Tool::Pipenv
    ) {
        let imports = pair.python_path_has_workdir.map_err(Decline::Refused)?;
        // On PYTHONPATH, any module of the working directory may be imported
        // (an optional import that fails quietly without it: urllib3 tries
        // `backports.zstd`); `python -m` only for what starts the module.
        let shadowed = match imports {
            WorkdirImports::No => false,
            WorkdirImports::ModuleRun => listing
                .iter()
                .any(|e| python_imports::shadows_imported_module(e)),
            WorkdirImports::PythonPath => listing.iter().any(|e| python_imports::importable(e)),
        };
        if shadowed {
            return Err(Decline::Refused(
                "the working directory is on Python's import path while the install runs, and holds a module it may import",
            ));
        }
    }
    for search_dir in pair
        .search_dirs
        .as_ref()
        .map_err(|why| Decline::Refused(why))?
    {
        let (file, dir) = (reader.file(search_dir), reader.dir(search_dir));
        if file?.is_some() || dir?.is_some() {
            return Err(Decline::Refused(
                "PATH or a library path names a place of the copied tree the install would use",
            ));
        }
    }
    let mut files = files?;
    for file in version_files(install.tool, dir, listing, reader)? {
        if !files.contains(&file) {
            files.push(file);
        }
    }
    ancestors?;
    if install.uv_pip
        && listing
            .iter()
            .any(|entry| UV_SETTINGS.contains(&entry.as_str()))
    {
        return Err(Decline::Refused(
            "`uv pip` also reads its settings from uv.toml, pyproject.toml or .python-version there",
        ));
    }
    let node = matches!(install.tool, Tool::Npm | Tool::Yarn | Tool::Pnpm);
    if node && listing.iter().any(|entry| entry == "binding.gyp") {
        return Err(Decline::Refused(
            "a binding.gyp: the install builds the package's native addon from its sources",
        ));
    }
    // pnpm's hooks may also be an ES module, which the manifest COPY does
    // not bring.
    if install.tool == Tool::Pnpm && listing.iter().any(|entry| entry == ".pnpmfile.mjs") {
        return Err(Decline::Refused(
            "a .pnpmfile.mjs: pnpm's hooks are not copied with the manifests",
        ));
    }
    // Corepack, which runs yarn and pnpm (and npm when enabled for it),
    // loads `.corepack.env` from the project: its registry, its home,
    // which package manager version runs.
    if node && listing.iter().any(|entry| entry == ".corepack.env") {
        return Err(Decline::Refused(
            "a .corepack.env: Corepack takes its settings from the project",
        ));
    }
    // `gem install bundler` (and Bundler's switch to the locked version)
    // also install from `*.gem` files of the working directory.
    if install.tool == Tool::Bundler && listing.iter().any(|entry| entry.ends_with(".gem")) {
        return Err(Decline::Refused(
            "a .gem file in the working directory, which RubyGems installs from",
        ));
    }
    // npm keeps a `yarn.lock` it finds in step with what it installs, and
    // `npm install` resolves from it (checked: npm 10 and 11): the manifest
    // COPY does not bring it, and the full COPY would put back the old one.
    if install.tool == Tool::Npm && listing.iter().any(|entry| entry == "yarn.lock") {
        return Err(Decline::Refused(
            "a yarn.lock beside an npm install: npm reads and rewrites it",
        ));
    }
    // Install scripts of dependencies take settings from rc files they look
    // up from their own directory upwards: prebuild-install (better-sqlite3,
    // keytar, older sharp) reads `.prebuild-installrc` (checked: a
    // `local-prebuilds` there unpacked the project's archive instead of
    // downloading), node-pre-gyp `.node-pre-gyprc`.
    if node
        && listing
            .iter()
            .any(|entry| NODE_RC_FILES.contains(&entry.as_str()))
    {
        return Err(Decline::Refused(
            "an rc file the dependencies' install scripts read (.prebuild-installrc, .node-pre-gyprc)",
        ));
    }
    // yarn 2 and later load `.env.yarn` by default (`injectEnvironmentFiles`)
    // into the environment of the scripts they run; yarn 4's fetch workers
    // load an `iterator.js` of the working directory (checked: a bundled
    // library's optional `require("./iterator.js")` resolves there).
    if install.tool == Tool::Yarn
        && listing
            .iter()
            .any(|entry| entry == ".env.yarn" || entry == "iterator.js")
    {
        return Err(Decline::Refused(
            "a .env.yarn or an iterator.js, which yarn loads from the working directory",
        ));
    }
    let written: &[&str] = match install.tool {
        Tool::Pip | Tool::Uv | Tool::Pipenv => &[".venv", "venv", "__pypackages__"],
        // Poetry 2 installs project plugins into `.poetry/plugins`, and
        // adds that directory to its import path (a site directory: its
        // `.pth` files run) whenever it exists, whatever `pyproject.toml`
        // says.
        Tool::Poetry => &[".venv", "venv", "__pypackages__", ".poetry"],
        Tool::Npm => &["node_modules"],
        // `node-linker=pnp` writes the loader into the project.
        Tool::Pnpm => &["node_modules", ".pnp.cjs", ".pnp.loader.mjs"],
        // yarn also removes a `.pnp.data.json` it finds (checked).
        Tool::Yarn => &[
            "node_modules",
            ".yarn",
            ".pnp.cjs",
            ".pnp.loader.mjs",
            ".pnp.data.json",
        ],
        Tool::Go | Tool::Bundler => &["vendor"],
        Tool::Composer => &["vendor", ".composer"],
        // `cargo fetch` writes only Cargo's home (checked: no `target`).
        Tool::Cargo => &[],
    };
    if listing.iter().any(|entry| {
        let name = entry.trim_end_matches('/');
        written.contains(&name) || HOME_ENTRIES.contains(&name)
    }) {
        return Err(Decline::Refused(
            "the context holds a directory the install writes, or a per-user file it reads when its home is there",
        ));
    }
    if !files.iter().all(|f| plain_source(f)) {
        return Err(Decline::Refused(
            "a manifest path is not a plain COPY source",
        ));
    }
    for file in &files {
        if !real_directories(reader, parent(file))? {
            return Err(Decline::Refused(
                "a manifest is reached through a symbolic link",
            ));
        }
    }
    Ok(files)
}

/// Entries of the working directory that refuse: the caches and per-user
/// directories installers write when `HOME` is there, and the per-user
/// config files they, git, ssh, dpkg and login shells read then
/// (`~/.pip/pip.conf`, `~/.netrc`, `~/.gitconfig`, `~/.ssh`, `~/.dpkg.cfg`,
/// `~/.profile`, …). A named user's home comes from the image's
/// `/etc/passwd`, which the pass does not read: it may be the working
/// directory.
const HOME_ENTRIES: [&str; 23] = [
    ".cache",
    ".local",
    ".npm",
    ".pnpm-store",
    ".config",
    ".yarn",
    ".pip",
    ".netrc",
    ".gitconfig",
    ".pydistutils.cfg",
    ".gemrc",
    ".condarc",
    ".curlrc",
    ".ssh",
    ".hgrc",
    ".subversion",
    ".dpkg.cfg",
    ".rpmmacros",
    ".debconfrc",
    ".profile",
    ".bash_profile",
    ".bash_login",
    ".bashrc",
];

/// rc files the install scripts of Node dependencies read, in the working
/// directory or above it.
const NODE_RC_FILES: [&str; 2] = [".prebuild-installrc", ".node-pre-gyprc"];

/// Refuses when the RUN works below `<dir>` and a directory above it, in
/// the copied tree, holds a file the installer looks up in parent
/// directories: a workspace root (`package.json` with `workspaces`,
/// `pnpm-workspace.yaml`, `go.work`, a uv workspace) or a config file. The
/// manifest COPY brings only the working directory's manifests.
fn ancestor_manifests(tool: Tool, dir: &str, reader: &mut Reader) -> Checked<()> {
    let upward: &[&str] = match tool {
        // Pipenv, Bundler and Composer look above only when the working
        // directory has no manifest, which refuses; the Cargo module checks
        // the crate's parents itself.
        Tool::Pip | Tool::Poetry | Tool::Pipenv | Tool::Bundler | Tool::Composer | Tool::Cargo => {
            &[]
        }
        // `uv pip` without `--system` uses the nearest `.venv` above too.
        Tool::Uv => &[
            ".venv",
            "pyproject.toml",
            "uv.toml",
            "uv.lock",
            ".python-version",
            ".python-versions",
        ],
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
            NODE_RC_FILES[0],
            NODE_RC_FILES[1],
        ],
    };
    // Version managers' shims look up their version files in parent
    // directories too, whatever the installer.
    const VERSION_FILES: [&str; 8] = [
        ".python-version",
        ".node-version",
        ".go-version",
        ".ruby-version",
        ".tool-versions",
        "mise.toml",
        ".mise.toml",
        ".rtx.toml",
    ];
    if dir.is_empty() {
        return Ok(());
    }
    let mut ancestor = String::new();
    let mut result = Ok(());
    for part in dir.split('/') {
        let listed = reader.dir(&ancestor).and_then(|l| {
            let holds = l.is_some_and(|l| {
                l.iter().any(|e| {
                    let name = e.trim_end_matches('/');
                    upward.contains(&name) || VERSION_FILES.contains(&name)
                })
            });
            if holds {
                Err(Decline::Refused(
                    "a directory above the working directory holds a workspace root, config or virtualenv the installer looks up",
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

/// The files a version manager's shim reads in the working directory to
/// pick the interpreter or tool that runs the install (pyenv's
/// `.python-version`, nodenv's `.node-version`, goenv's `.go-version`,
/// asdf's `.tool-versions`): copied with the manifests, so that the same
/// version runs. mise's config files may load other files (`_.file`,
/// tasks, hooks), and `.tool-versions` may name a local `path:`: those
/// refuse.
fn version_files(
    tool: Tool,
    dir: &str,
    listing: &[String],
    reader: &mut Reader,
) -> Checked<Vec<String>> {
    let mise = ["mise.toml", ".mise.toml", "mise.local.toml", ".rtx.toml"];
    if listing.iter().any(|e| mise.contains(&e.as_str())) {
        return Err(Decline::Refused(
            "a mise config in the working directory may load other files",
        ));
    }
    let own: &[&str] = match tool {
        Tool::Pip | Tool::Poetry | Tool::Uv | Tool::Pipenv => &[".python-version"],
        Tool::Npm | Tool::Yarn | Tool::Pnpm => &[".node-version", ".nvmrc"],
        Tool::Go => &[".go-version"],
        Tool::Bundler | Tool::Composer | Tool::Cargo => &[],
    };
    let mut out = Vec::new();
    for name in own.iter().chain(&[".tool-versions"]) {
        if !listing.iter().any(|e| e == name) {
            continue;
        }
        let path = join(dir, name).unwrap_or_else(|| name.to_string());
        if *name == ".tool-versions" {
            let text = reader
                .text(&path)?
                .ok_or(Decline::Refused(".tool-versions is not a readable file"))?;
            if text.contains("path:") {
                return Err(Decline::Refused(
                    ".tool-versions names a local tool directory",
                ));
            }
        }
        out.push(path);
    }
    Ok(out)
}
