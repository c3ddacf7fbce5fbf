//! `deps-first`: install dependencies from their manifests before copying
//! the rest of the source, so that a source edit does not re-run the install.
//!
//! ## What it does
//!
//! In a stage, when `COPY . <dir>` (also `COPY ./ <dir>`, `COPY . .`,
//! `ADD . <dir>`, and `COPY <src>/ <dir>` of one context directory) is
//! followed by a RUN that only installs dependencies from manifest files of
//! `<dir>`, the manifests are copied first:
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
//! security included) and the full COPY follows it, unchanged. For
//! `COPY backend/ /app` the manifests are `backend/requirements.txt` and the
//! like, copied to the same place below `/app`.
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
//!   `uv.toml`, `.python-version`, `.python-versions`;
//! - npm: `npm ci`, `npm install` without packages: `package.json`,
//!   `package-lock.json`, `npm-shrinkwrap.json`, `.npmrc`;
//! - yarn: `yarn`, `yarn install`: `package.json`, `yarn.lock`, `.yarnrc`,
//!   `.yarnrc.yml`, `.yarnclean` (its autoclean patterns), `.npmrc` (yarn 1
//!   reads npm's config);
//! - pnpm: `pnpm install`, `pnpm fetch`: `package.json`, `pnpm-lock.yaml`,
//!   `.npmrc`, `.pnpmfile.cjs`;
//! - Go: `go mod download`: `go.mod`, `go.sum`, `go.work`, `go.work.sum`;
//! - Pipenv: `pipenv install --deploy`, `pipenv install --ignore-pipfile`,
//!   `pipenv sync` (also `--system`, `--dev`, `--categories`): `Pipfile`,
//!   `Pipfile.lock`, `.python-version`;
//! - Bundler: `bundle install` (after `bundle config set …` of groups,
//!   `deployment`, `frozen`, `jobs`, `retry`, or `path vendor/bundle`, and
//!   `gem install bundler`): `Gemfile`, `Gemfile.lock`, `.bundle/config`,
//!   `.ruby-version`;
//! - Composer: `composer install --no-scripts --no-autoloader` (both
//!   required): `composer.json`, `composer.lock`, `auth.json`;
//! - Cargo: `cargo fetch` of one crate: `Cargo.toml`, `Cargo.lock`,
//!   `.cargo/config.toml`, `.cargo/config`, `rust-toolchain.toml`,
//!   `rust-toolchain`.
//!
//! The named requirements files, `package.json`, `pyproject.toml`,
//! `go.mod`, `Pipfile`, `Gemfile`, `composer.json` and `Cargo.toml` are
//! required; the others are copied when the context has them, and so are
//! the version files a version manager's shim reads in the working
//! directory to pick what runs the install (`.python-version`,
//! `.node-version`, `.nvmrc`, `.go-version`, `.tool-versions`). The change
//! title names every manifest copied.
//!
//! Pipenv and Cargo were run with only the manifests in the directory to
//! check what they read and write (`cargo fetch` loads the crate's
//! targets: it succeeds without the sources only when every target table
//! names its `path`, and fails when Cargo has to find a target from the
//! source files, so those shapes refuse); Bundler's and Composer's
//! behaviour is from their documentation. Each module says what it
//! checked.
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
//! - the working directory, a manifest's directory or the source of
//!   `COPY <src>/` is reached through a symbolic link of the context (the
//!   manifest COPY would create a directory where the full COPY then writes
//!   the link), or the source of `COPY <src>/` is not a directory; a
//!   manifest is outside the COPY's source directory;
//! - a manifest names a local path or an editable install: `-e`, `.`/`./x`
//!   requirement lines, `name @ file:…`, a local archive, `--find-links` to
//!   a directory or a `file:` URL, an index (`-i`, `--index-url`,
//!   `--extra-index-url`, in the file or on the command line) that is a
//!   path or a `file:` URL, a `${VAR}` in a requirements file, an include
//!   outside the context, a requirements-file option other than `-r`, `-c`,
//!   `-i`, `--extra-index-url`, `-f`, `--no-index`, `--pre`,
//!   `--prefer-binary`, `--require-hashes`, `--no-binary`, `--only-binary`,
//!   `--trusted-host` and `--use-feature` written in full (pip accepts
//!   abbreviations: `--requirem base.txt` includes a file; a short
//!   option's value may be attached: `-fwheels`); `file:`, `link:`,
//!   `workspace:`, `portal:`, `exec:`, path or tarball specifiers (a slash
//!   but not `owner/repo`; `file:` anywhere) in `package.json`'s dependency
//!   fields (`overrides`, `resolutions` too), `patch:` specifiers, pnpm's `patchedDependencies`, `workspaces`,
//!   a Node lockfile with `file:`, `link:`, `portal:`, `exec:` or `"link":
//!   true` (it installs as it is); a `…-dir` key in `pyproject.toml` (uv's `cache-dir`,
//!   `python-install-dir`); a `.pnpmfile.mjs` for pnpm; a mise config in
//!   the working directory (it may load other files) or a `path:` in
//!   `.tool-versions`;
//!   `replace … => ./local` in `go.mod`, any `go.work`, or a `go.mod`
//!   below `go 1.17` (`go.rs`); a `path =`, `develop = true`, `editable = true`,
//!   `file:` or any `workspace` in `pyproject.toml` (read as text); a
//!   `path =`, `file =`, `editable =` or `file:` in the `Pipfile` (read as
//!   text), a `path`, `file` or `editable` entry in `Pipfile.lock`; a
//!   `PATH` section in `Gemfile.lock`, a `git:` source in the `Gemfile`
//!   that is not a remote URL; a Composer repository that is not a remote
//!   one (`path`, `artifact`, `package`, a local URL) or has `options`
//!   (they may name certificate files), a `composer.json` `config` key
//!   other than known switches and credentials (`cafile`, `vendor-dir`,
//!   `home` refuse), a locked package
//!   from a local path or URL; a `path` key in `Cargo.toml` outside the
//!   target tables (dependencies, `[patch]`, `[replace]`), any `workspace`
//!   or `file:` in it, a `path`, `paths`, `directory`, `local-registry`,
//!   `include`, `file:`, `cainfo`, a credential provider, a `rustc` or
//!   wrapper, or a `.json` target spec in the Cargo config or toolchain
//!   file;
//! - the `Gemfile` has a line the pass cannot classify — it is Ruby, so
//!   only `source`, `gem`, `group`, `platforms`, `ruby`, `git_source` and
//!   `end` statements (and their continuation lines) are read, and any
//!   word that reads files or runs code refuses (`gemspec`, `path`,
//!   `eval_gemfile`, `eval`, `File`, `Dir`, `IO`, `require_relative`,
//!   `require` as a call, `load`, `file:`, `plugin`, `install_if`,
//!   backticks, `%x`, `$`, `;`, a backslash, heredocs, …), as does any
//!   call or constant but `ENV` (`ruby.rs`); a `gems.rb` (Bundler prefers it);
//! - `Cargo.toml` has a target Cargo would look for in the sources: no
//!   `[lib]` or `[[bin]]` table, or a `[lib]`, `[[bin]]`, `[[example]]`,
//!   `[[test]]` or `[[bench]]` table without `path`, `links` without a
//!   `build` path; a parent directory of the crate in the context has a
//!   `Cargo.toml` (a workspace root), a Cargo config or a toolchain file;
//! - Composer may run plugins, which may read the project: the install has
//!   no `--no-plugins` and the lock has a `composer-plugin` package, or
//!   there is no lock to tell; `composer install` without
//!   `--no-scripts` and `--no-autoloader` (the scripts and the autoloader
//!   dump read the project's source; `--optimize-autoloader` refuses with
//!   them, as any other option the pass does not know);
//! - the project has a `.env` for Pipenv (it loads it, and it may set
//!   where Pipenv installs) or a `pylock.toml`; a `find-links`, `url` or
//!   `index-url` in `pyproject.toml` that is not a remote URL; a
//!   package of `uv.lock` from a directory, file or editable other than
//!   the project itself (`--frozen` installs the lock as it is); a value of
//!   `.npmrc`, `.yarnrc`, `.yarnrc.yml`, `uv.toml` or `poetry.toml` that is
//!   a path or a `file:` URL (`cafile=./ca.pem`, an offline mirror), or
//!   anything but a switch, a number or a remote URL under a key that takes
//!   a file or a location (`cafile=ca.pem`, `pnpmfile=hooks.cjs`,
//!   `find-links = ["wheels"]`: a bare name is relative to the project):
//!   the install would read or fill a file the manifest COPY does not bring;
//! - the install would install the project itself, which needs its source:
//!   `poetry install` without `--no-root`, `uv sync` without
//!   `--no-install-project`; uv would build dynamic metadata (`dynamic =`
//!   in `pyproject.toml`) from the sources; Poetry would read a license file
//!   (`license = { file = … }`: poetry-core reads it when it loads the
//!   project) or install project plugins (`requires-plugins`: Poetry 2
//!   writes them into the project's `.poetry/plugins` and runs them);
//! - a config file has a key the pass does not list as harmless (`.npmrc`,
//!   `.yarnrc`, `.yarnrc.yml`, `poetry.toml`, `uv.toml`, `[tool.uv]`; each
//!   `…_keys.rs` says why): installers take settings from them that name
//!   a program or a file (`script-shell`, `injectEnvironmentFiles`);
//! - a Node dependency may run an install script that reads the project
//!   (Prisma's client generates itself from the project's schema): npm
//!   fires only with scripts off (`--ignore-scripts`, `ignore-scripts=true`
//!   in `.npmrc`, which `npm_config_ignore_scripts` other than `true` in
//!   the environment would override, so that refuses) or a lockfile of
//!   version 2 or 3 whose packages with
//!   `hasInstallScript` are all known to read nothing of the project
//!   (esbuild, sharp, bcrypt, …; `node_install_scripts.rs`); yarn and pnpm,
//!   whose lockfiles do not say, only with `--ignore-scripts` (pnpm also
//!   with `.npmrc`);
//! - the root `package.json` has an install lifecycle script (`preinstall`,
//!   `install`, `postinstall`, `preprepare`, `prepare`, `postprepare`,
//!   `prepublish`, `dependencies`, `pnpm:devPreinstall`): it may read any
//!   source file; or the install's directory has a `binding.gyp` (npm and
//!   pnpm then run `node-gyp rebuild` for the root package, which compiles
//!   its sources), a `.corepack.env` (Corepack, which runs yarn and
//!   pnpm, loads its settings from it) or for yarn a `.env.yarn` or an
//!   `iterator.js` (yarn 4 loads both from the working directory);
//! - a manifest the installer needs is absent from the context (a named
//!   requirements file or an include, `package.json`, `pyproject.toml`,
//!   `go.mod`, `Pipfile`, `Gemfile`, `composer.json`, `Cargo.toml`), or
//!   its path
//!   cannot be written as a plain COPY source (spaces, wildcards, `$`);
//!   `.yarnrc.yml` names a `yarnPath` or `plugins` (or `.yarnrc` a
//!   `yarn-path`): the files they name are not copied; a pnpm workspace
//!   (`pnpm-workspace.yaml`); a `.pnpmfile.cjs` with any code; for yarn
//!   and pnpm, no `packageManager` in `package.json` (Corepack may pin one
//!   into it);
//! - the install may rewrite a manifest the full COPY would then overwrite
//!   with the context's version: `npm install` (any flag), `yarn` without
//!   `--frozen-lockfile`/`--pure-lockfile` (yarn 1 ignores `--immutable`),
//!   `pnpm install` without `--frozen-lockfile` last, `uv sync` without
//!   `--frozen`/`--locked` fire only when the context has no lockfile; so do
//!   `pipenv install` without `--deploy` or `--ignore-pipfile` (`--deploy` fails on a stale
//!   lock, `--ignore-pipfile` and `pipenv sync` install from it as it is),
//!   `bundle install` unless frozen — by `--frozen`/`--deployment`, a
//!   `bundle config set frozen|deployment true` before it in the RUN
//!   (another value of these two keys refuses), or
//!   `BUNDLE_FROZEN`/`BUNDLE_DEPLOYMENT` set to `true`/`1` (any other
//!   value of these two unfreezes, whatever the config said) — and `cargo
//!   fetch` without `--locked`/`--frozen`; `composer install` installs a
//!   lock as it is and writes one only when there is none;
//!   `go mod download` only when `go.sum` has the `go.mod` sum of
//!   every module `go.mod` requires (it writes go.sum only to add sums it
//!   needs to load the build list);
//! - the RUN writes Bundler's config (`bundle config set`, or an option
//!   Bundler 2 remembers: `--without`, `--with`, `--deployment`,
//!   `--frozen`, `--clean`) and the context has `.bundle/config`, which the
//!   full COPY would write back; or `.bundle/config` sets a path, the
//!   Gemfile, the app config, or the frozen or deployment state, or names a
//!   file of the project (`BUNDLE_LOCAL__<gem>`, a local git checkout;
//!   `BUNDLE_BUILD__<gem>` options; a mirror, `BUNDLE_SSL_…`, plugins, any
//!   value that is a path), or `.bundle` holds more than its `config`
//!   (Bundler loads plugins from `.bundle/plugin`);
//! - the context directory the install runs in holds a path the installer
//!   writes, which the full COPY would then overwrite: `node_modules` (and
//!   `.yarn`, `.pnp.*` for yarn, `.pnp.cjs` for pnpm), `.venv`, `venv`,
//!   `__pypackages__` for pip, Poetry (and `.poetry`), uv and Pipenv,
//!   `vendor` for Go, Bundler (deployment mode and `path vendor/bundle`
//!   install there, `vendor/cache` is installed from) and Composer (and `.composer`), nothing for `cargo fetch` (it
//!   writes no `target`: checked), and for all of them the per-user
//!   directories (`.cache`, `.local`, `.npm`, `.pnpm-store`, `.config`,
//!   `.yarn`) a `HOME` there would receive and the per-user config files
//!   installers would then read (`.pip`, `.netrc`, `.gitconfig`, …);
//! - the environment moves where the installer writes (or which config it
//!   reads) into `<dir>`, relative to the working directory, or to an
//!   unknown place: `HOME`, `PIP_TARGET`, `PIP_PREFIX`, `VIRTUAL_ENV`,
//!   `UV_PROJECT_ENVIRONMENT`, `npm_config_cache`, `GOPATH`, `GOMODCACHE`
//!   and the like (set by `ENV`, `ARG` or the image, or assigned on the
//!   command, which refuses for these names whatever the value),
//!   `GOFLAGS` with `-modfile`, `POETRY_VIRTUALENVS_IN_PROJECT`,
//!   `WORKON_HOME`, `PIPENV_CACHE_DIR`, `PIPENV_DOTENV_LOCATION`,
//!   `GEM_HOME`, `BUNDLE_PATH`, `BUNDLE_APP_CONFIG`, `BUNDLE_BIN`,
//!   `BUNDLE_CACHE_PATH`, `BUNDLE_USER_*`, `COMPOSER_HOME`,
//!   `COMPOSER_CACHE_DIR`, `COMPOSER_VENDOR_DIR`, `COMPOSER_BIN_DIR`,
//!   `CARGO_HOME`, `CARGO_TARGET_DIR`, `RUSTUP_HOME`, `COREPACK_HOME`;
//!   whatever their
//!   value, `PIPENV_PIPFILE`, `PIPENV_CUSTOM_VENV_NAME`,
//!   `PIPENV_VENV_IN_PROJECT`, `BUNDLE_GEMFILE`, `COMPOSER`; or a
//!   config file of the project does (`prefix`/`cache`/`store-dir` in
//!   `.npmrc`, `cache-folder` in `.yarnrc`, a `…Folder` in `.yarnrc.yml`,
//!   `in-project`/`path`/`cache-dir` in `poetry.toml`, `cache-dir` in
//!   `uv.toml`);
//! - the environment sets an installer option that may name a file of the
//!   source (installers take most options from variables: `PIP_CONSTRAINT`
//!   is `-c`, `NODE_OPTIONS=--require ./x.js` runs a file,
//!   `GOFLAGS=-overlay=…`, `GOWORK`, `GOPROXY=file://…`): a variable of the
//!   `PIP_`, `UV_`, `POETRY_`, `PIPENV_`, `PNPM_`, `YARN_`, `COREPACK_`,
//!   `npm_config_`,
//!   `GO…`, `NODE_`, `BUNDLE_`, `GEM_`, `COMPOSER_`, `CARGO_` and `RUSTUP_`
//!   families passes only when the pass lists it as harmless
//!   (switches, versions, timeouts, remote index URLs; `installer_env.rs`);
//! - a search path of the environment (`PATH`, `LD_LIBRARY_PATH`,
//!   `LD_PRELOAD`, `NODE_PATH`, `PYTHONHOME`, `PKG_CONFIG_PATH`, …; an
//!   entry relative to the working directory too) names a file or
//!   directory of the copied tree that the context has (`PATH=/app/bin`
//!   with a `bin/pip` wrapper in the source): the install would run or
//!   load it, and it is not there after the split; or its value is unknown;
//! - the environment makes the RUN's shell, the runtime or a compiler load
//!   a file in `<dir>`, a relative one, or has an unknown value for it
//!   (`BASH_ENV`, `OPENSSL_CONF`, `TMPDIR`, `RUBYOPT=-r…`, `CFLAGS=-I…`,
//!   `CC`, …; `loader_env.rs`), or the command assigns one of them; the
//!   RUN runs a program by a relative path (`bin/bundle`) or from `<dir>`;
//!   a word has an unquoted wildcard that is not absolute (`libpq*`,
//!   `celery[redis]`: the shell matches it against the working directory);
//! - a manifest the pass would copy is a symbolic link or a directory;
//! - the RUN's shell is a login or interactive one (`bash --login -c`: it
//!   sources start-up files of a home that may be in `<dir>`); the stage
//!   runs ONBUILD triggers (of a parent stage, or listed in the base
//!   image's config), whose settings the pass does not follow;
//! - for uv, a `.venv` in a directory above the working directory within
//!   the tree; a requirements file named `setup.py`, `setup.cfg` or
//!   `*.toml`; a direct reference without a scheme (`shared @ shared`);
//!   a `poetry config` setting not known as harmless or naming a path;
//! - for npm, a `yarn.lock` beside the install (npm reads and rewrites it);
//!   for Node, a `.prebuild-installrc` or `.node-pre-gyprc` in the working
//!   directory or above it (dependencies' install scripts read them); for
//!   Bundler, a `*.gem` there (RubyGems installs from it), a Gemfile string
//!   or a `Gemfile.lock` `remote:` that is a path or a `file:` URL; a Node
//!   lockfile's package with an install script that is an alias or not
//!   from a registry counts as unknown; `rustflags` in the Cargo config;
//! - the RUN works below `<dir>` and the COPY sets owners or modes
//!   (`--chown`, `--chmod`) or the RUN's user is not root: the full COPY
//!   gives the existing working directory its owner and mode, the manifest
//!   COPY leaves it as WORKDIR made it;
//! - Python imports from the working directory while the install runs and
//!   an entry there may be imported: with `python -m pip`, one named like a
//!   module of Python's standard library, pip or setuptools (`secrets.py`,
//!   `logging/`, `pip/`, `sitecustomize.py`); with `PYTHONPATH` naming it,
//!   any module or package (pip's optional imports fail quietly when it is
//!   missing): the source's file would be imported, and it is not there
//!   after the split; a `PYTHONPATH` entry elsewhere in the copied tree,
//!   relative or unknown;
//! - and, whatever the name is listed as, the environment gives an
//!   installer (or the runtime it starts) a file or directory in `<dir>` or
//!   relative to the working directory, or an unknown value: any `PIP_…`, `UV_…`, `POETRY_…`, `npm_config_…` (any
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
//!   `uv.toml`, `pyproject.toml` or a `.python-version(s)`, where uv reads its
//!   settings (an index, constraints, the interpreter), or a directory
//!   above it in `<dir>` does;
//! - the RUN works below `<dir>` and a directory between `<dir>` and its
//!   working directory holds a file the installer also looks up in parent
//!   directories — a workspace root or config the manifest COPY would not
//!   bring: for npm, yarn and pnpm `package.json`, a lockfile,
//!   `pnpm-workspace.yaml`, `.npmrc`, `.yarnrc`, `.yarnrc.yml`, `.pnp.cjs`;
//!   for Go `go.work`, `go.work.sum`; for uv `pyproject.toml`, `uv.toml`,
//!   `uv.lock`, `.python-version(s)`; for all, the version files and mise
//!   configs version managers' shims look up (`.python-version`,
//!   `.node-version`, `.go-version`, `.ruby-version`, `.tool-versions`,
//!   `mise.toml`);
//! - the RUN is not only the install: each command must be an install of the
//!   one tool from its manifests, a cleanup of that tool's cache (`npm cache
//!   clean --force`, `pip cache purge`, `rm -rf ~/.cache/pip`), `pip install`
//!   of named packages (also before Poetry or uv: `pip install poetry`),
//!   `poetry config <key> <value>`, `pip install pipenv`, `bundle config
//!   set` of the keys above, `gem install bundler[:version]`, `composer
//!   clear-cache`, or `set` options, chained with `&&` or
//!   `;` — a
//!   build, a script, `npm run build`, `go build`, a `cd`, a pipe, a
//!   condition, a substitution, a dynamic word or a redirection to a file
//!   refuse; an install option the pass does not know refuses (it may name
//!   a path); a RUN the shell reader refuses, exec form, a heredoc, or a
//!   shell that is not POSIX;
//! - the COPY is `COPY --from`, `--parents`, `--exclude`, a heredoc, has
//!   other sources than `.` or one context directory written with its
//!   trailing `/` (`COPY app /app` is left alone: without the context it
//!   reads like `COPY requirements.txt /app`), or is an `ADD` with `--checksum`,
//!   `--keep-git-dir` or `--unpack`;
//! - `# dfopt:keep` sits above the COPY or the RUN; the stage is Windows.
//!
//! The second rule has the same conditions on the COPY, on what is between
//! and on `# dfopt:keep`, needs no context, and fires only when every
//! command of the RUN is a system package command whose arguments are
//! options or literal package names (no path, no `$`, no `.deb`/`.rpm`, no
//! option value relative to the working directory or in `<dir>`, such as
//! `-oDir::Etc::SourceList=/app/sources.list`; only options the pass knows
//! take no file — switches, and `-o…=`, `--setopt=` of a switch or a
//! number, `--repository=` of a URL or an absolute path and the like with
//! their value attached — since an option taking a file as
//! the next word, `-c apt.conf` or `--repositories-file repos`, reads it
//! from the working directory), when the environment does
//! not point apt at a config file in `<dir>`, relative to the working
//! directory or unknown (`APT_CONFIG`), nor a search path (`PATH`,
//! `LD_LIBRARY_PATH`, …) into `<dir>`, and the home (`HOME`, root's `/root`)
//! is known and outside it (dpkg reads `~/.dpkg.cfg`; `-o` settings are a
//! closed list of switches), and only when `<dir>` is not where
//! packages write: not under `/var`, `/opt`, `/srv`, `/home`, `/root`,
//! `/tmp`, `/mnt`, `/media` (a web server package writes `/var/www/html`, a
//! vendor package `/opt/<name>`, a package's system user its home
//! directory) nor the system trees above.
//!
//! ## What it assumes
//!
//! Install scripts of the Python, Ruby and PHP dependencies (not of the
//! root package, which refuses; Node's are checked, above), gem native
//! extensions and sdist builds included, do not read the project's
//! other files (`cargo fetch` runs no build script); nor do Composer
//! plugins installed in the image (global ones). The installer's
//! interpreter imports nothing from `<dir>` when it starts other than what
//! the import-path rule above covers (a `sitecustomize.py` found through a
//! `PYTHONPATH` naming the working directory refuses). No Bundler config of
//! the image or of an earlier RUN unfreezes what `BUNDLE_FROZEN` or
//! `BUNDLE_DEPLOYMENT` freeze (the project's `.bundle/config` saying so
//! refuses). `go.mod` is consistent with its dependencies' requirements, as
//! `go build` needs: `go mod download` fixes an inconsistent one, which the
//! full COPY then puts back, and the later `go build` fails loudly ("updates
//! to go.mod needed"); only the dependencies' `go.mod` files would show it. The caller answers the queries from the context as the build
//! sees it (after `.dockerignore`, with an ignored directory that an
//! exception `!dir/file` reaches into listed, since the build still
//! receives it; a symlink is not a regular file, nor a directory). Offline, the CLI does not know the base image's environment
//! and reads it as empty; the frontend knows it.
//!
//! When the context shows a safety condition does not hold for an install
//! right after `COPY .`, the pass reports why it did not fire.
//!
//! ## Applicability
//!
//! Preview, off by default (`DFOPT=+deps-first`, `# dfopt=+deps-first`).
//! The image filesystem and config are the same; the manifest COPY adds a
//! layer and history entry.

mod both_rules;
mod cargo_crate;
mod context;
mod fire;
mod gemfile;
mod go;
mod installer_env;
mod loader_env;
mod locations;
mod manifests;
mod node;
mod node_install_scripts;
mod npmrc_keys;
mod package_json;
mod pair;
mod php;
mod pipenv;
mod poetry_keys;
mod python;
mod python_imports;
mod python_projects;
mod rewrite;
mod ruby;
mod scan;
mod system;
mod toml_keys;
mod uv_keys;
mod yarnrc_keys;
mod yarnrc_yml_keys;

use crate::work::Cx;

use fire::fire_once;

pub(crate) const ID: &str = "deps-first";

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
