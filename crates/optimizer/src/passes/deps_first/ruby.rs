//! Bundler: `bundle install` reads `Gemfile`, `Gemfile.lock` and the
//! project's `.bundle/config`; `bundle config set …` and `gem install
//! bundler` may come before it.
//!
//! Not tested on this pass's host (no Ruby); from Bundler's documentation:
//! without frozen or deployment mode `bundle install` writes Gemfile.lock
//! (it re-resolves gems whose Gemfile entry changed, and adds the platform
//! it runs on); `bundle config set` writes the project's `.bundle/config`
//! when run in a project (or `$BUNDLE_APP_CONFIG/config`); the options
//! Bundler 2 "remembers" (`--without`, `--deployment`, `--frozen`, …) are
//! written there too; deployment mode installs into `vendor/bundle` of the
//! project, and gems cached in `vendor/cache` are installed from there.
//!
//! The Gemfile is Ruby: only lines the pass can classify are accepted
//! (`source`, `gem`, `group`, `platforms`, `ruby`, `git_source`, `end` and
//! their continuations), and any word that reads files or runs code
//! (`gemspec`, `path`, `eval_gemfile`, `File`, `Dir`, `require_relative`,
//! `eval`, backticks, …) refuses. The lines are also read closed-world
//! (`only_literals`): an argument that is not a literal (a string, symbol,
//! number, `true`/`false`/`nil`, a `%w[…]`/`%i[…]` array, a hash of those,
//! `ENV[…]`, `ENV.fetch(…)`) refuses, so any call or constant other than
//! `ENV` does (`Bundler.read_file`, `Gem::Util.read_binary`,
//! `YAML.safe_load_file` read files of the project).

use super::context::{join, Checked, Decline, Reader};
use super::locations;
use super::python::without_bom;
use super::scan::{flag_name, removes_only, Call, Step, Tool};

/// Gem caches (removing them is part of the install): the official Ruby
/// images' `GEM_HOME` cache and the per-user ones.
const CACHES: [&str; 5] = [
    "/usr/local/bundle/cache",
    "~/.bundle/cache",
    "/root/.bundle/cache",
    "~/.gem",
    "/root/.gem",
];

/// `bundle install` options that name no path and write nothing.
const INSTALL_FLAGS: [&str; 10] = [
    "--jobs",
    "-j",
    "--retry",
    "--quiet",
    "--verbose",
    "--no-color",
    "--redownload",
    "--force",
    "--full-index",
    "--prefer-local",
];

/// Options of [`INSTALL_FLAGS`] whose value is the next word.
const INSTALL_VALUES: [&str; 3] = ["--jobs", "-j", "--retry"];

/// Options Bundler 2 remembers in the project's config (their values name
/// groups or nothing); `--deployment` and `--frozen` also freeze the lock.
const REMEMBERED_FLAGS: [&str; 5] = ["--without", "--with", "--deployment", "--frozen", "--clean"];

/// `bundle config set` keys whose values name no path.
const CONFIG_KEYS: [&str; 8] = [
    "without",
    "with",
    "deployment",
    "frozen",
    "jobs",
    "retry",
    "silence_root_warning",
    "force_ruby_platform",
];

/// Gemfile statements the pass can classify.
const GEMFILE_STATEMENTS: [&str; 8] = [
    "source",
    "gem",
    "group",
    "platforms",
    "platform",
    "ruby",
    "git_source",
    "end",
];

/// Words of a Gemfile line that read files of the project or run code.
const GEMFILE_REFUSED_WORDS: [&str; 25] = [
    "gemspec",
    "path",
    "eval_gemfile",
    "eval",
    "instance_eval",
    "class_eval",
    "File",
    "Dir",
    "IO",
    "Pathname",
    "require",
    "require_relative",
    "load",
    "system",
    "exec",
    "spawn",
    "open",
    "read",
    "__dir__",
    "__FILE__",
    "Kernel",
    "send",
    "plugin",
    "install_if",
    "file",
];

/// The step a call makes, when it is Bundler's or `gem install bundler`.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    if removes_only(call, &CACHES) {
        return Some(Ok(Step::Aside(Tool::Bundler)));
    }
    let args: Vec<&str> = call.args.iter().map(String::as_str).collect();
    match (call.name.as_str(), args.as_slice()) {
        ("gem", ["install", rest @ ..]) => Some(gem_install_bundler(rest)),
        ("bundle", ["config", "set", rest @ ..]) | ("bundle", ["config", rest @ ..]) => {
            Some(config_set(rest))
        }
        ("bundle", ["install", flags @ ..])
        | ("bundle", flags @ [])
        | ("bundler", ["install", flags @ ..]) => Some(install(flags, call)),
        ("bundle" | "bundler" | "gem", _) => Some(Err("a Bundler command other than install")),
        _ => None,
    }
}

/// `gem install bundler[:version]` (with `-v`/`--version`, `-N`,
/// `--no-document`): installs the tool, reads nothing of the project.
fn gem_install_bundler(args: &[&str]) -> Result<Step, &'static str> {
    let mut bundler = false;
    let mut i = 0;
    while i < args.len() {
        let (name, value) = flag_name(args[i]);
        i += 1;
        match name {
            "-v" | "--version" => {
                if value.is_none() {
                    i += 1;
                }
            }
            "-N" | "--no-document" => {}
            _ if args[i - 1] == "bundler"
                || args[i - 1].strip_prefix("bundler:").is_some_and(|v| {
                    !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
                }) =>
            {
                bundler = true
            }
            _ => return Err("a gem install other than Bundler's"),
        }
    }
    if !bundler || i > args.len() {
        return Err("a gem install other than Bundler's");
    }
    Ok(Step::Aside(Tool::Bundler))
}

/// `bundle config [set] [--local|--global] <key> <value…>` for the keys of
/// [`CONFIG_KEYS`], and `path vendor/bundle` (in the project, where the
/// context must hold no `vendor`).
fn config_set(args: &[&str]) -> Result<Step, &'static str> {
    let args: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !matches!(*a, "--local" | "--global"))
        .collect();
    let Some((key, values)) = args.split_first() else {
        return Err("a Bundler config command that sets nothing");
    };
    let key = key
        .strip_prefix("BUNDLE_")
        .unwrap_or(key)
        .to_ascii_lowercase();
    let plain = |v: &&str| {
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | ':'))
    };
    let known = (CONFIG_KEYS.contains(&key.as_str()) && values.iter().all(plain))
        || (key == "path" && values == ["vendor/bundle"]);
    if values.is_empty() || !known {
        return Err("a Bundler config the pass does not know");
    }
    let freezes = matches!(key.as_str(), "deployment" | "frozen");
    let freezes_lock = freezes && matches!(values, ["true" | "1"]);
    if freezes && !freezes_lock {
        // Local config outranks the environment the pass reads.
        return Err("a Bundler config that unfreezes the lock");
    }
    Ok(Step::Configure {
        tool: Tool::Bundler,
        freezes_lock,
    })
}

/// `bundle install` with options of [`INSTALL_FLAGS`] and
/// [`REMEMBERED_FLAGS`].
fn install(flags: &[&str], call: &Call) -> Result<Step, &'static str> {
    let mut frozen = false;
    let mut remembered = false;
    let mut i = 0;
    while i < flags.len() {
        let (name, value) = flag_name(flags[i]);
        i += 1;
        if REMEMBERED_FLAGS.contains(&name) {
            remembered = true;
            frozen |= matches!(name, "--deployment" | "--frozen");
            if matches!(name, "--without" | "--with") && value.is_none() {
                i += 1;
            }
            continue;
        }
        if !INSTALL_FLAGS.contains(&name) {
            return Err(if name.starts_with('-') {
                "an install option the pass does not know"
            } else {
                "an install of named gems"
            });
        }
        if value.is_none() && INSTALL_VALUES.contains(&name) {
            i += 1;
        }
    }
    if i > flags.len() {
        return Err("a flag without its value");
    }
    Ok(Step::Install {
        tool: Tool::Bundler,
        named: Vec::new(),
        text: call.display(),
        rewrites_lock: !frozen,
        writes_config: remembered,
        runs_plugins: false,
    })
}

/// Whether `BUNDLE_FROZEN` or `BUNDLE_DEPLOYMENT` in the environment
/// freezes the lock (`true`/`1`); any other value, an unknown one, or an
/// assignment on a command of the RUN, leaves it unfrozen, whatever a
/// config step said (the environment is read before global config).
pub(super) fn frozen_by_environment(env: &crate::facts::StaticEnv, calls: &[Call]) -> Option<bool> {
    const NAMES: [&str; 2] = ["BUNDLE_FROZEN", "BUNDLE_DEPLOYMENT"];
    if calls.iter().any(|call| {
        call.assigned
            .iter()
            .any(|name| NAMES.contains(&name.as_str()))
    }) {
        return Some(false);
    }
    let mut frozen = None;
    for name in NAMES {
        match env.value(name) {
            Ok(None) => {}
            Ok(Some("true" | "1")) => frozen = Some(frozen.unwrap_or(true)),
            _ => return Some(false),
        }
    }
    frozen
}

/// `Gemfile` (required, checked), then `Gemfile.lock`, `.bundle/config`
/// and `.ruby-version` when present.
pub(super) fn manifests(
    rewrites_lock: bool,
    writes_config: bool,
    dir: &str,
    reader: &mut Reader,
) -> Checked<Vec<String>> {
    let path = |name: &str| join(dir, name).unwrap_or_else(|| name.to_string());
    let gemfile = reader.text(&path("Gemfile"));
    let lock = reader.text(&path("Gemfile.lock"));
    let config = reader.text(&path(".bundle/config"));
    let app_config = reader.dir(&path(".bundle"));
    let gems_rb = reader.file(&path("gems.rb"));
    // An rbenv shim picks the interpreter from it: copied, never harmful.
    let version = reader.file(&path(".ruby-version"));
    let gemfile = gemfile?.ok_or(Decline::Refused("Gemfile is not in the context"))?;
    let gemfile = without_bom(gemfile);
    let (lock, config, version) = (lock?, config?, version?);
    let (lock, config) = (lock.map(without_bom), config.map(without_bom));
    if gems_rb?.is_some() {
        return Err(Decline::Refused(
            "the project has a gems.rb, which Bundler prefers",
        ));
    }
    check_gemfile(gemfile)?;
    let mut out = vec![path("Gemfile")];
    if let Some(lock) = lock {
        // Path gems and a `gemspec` are locked in a PATH section.
        if lock.lines().any(|l| l.trim_end() == "PATH") {
            return Err(Decline::Refused(
                "Gemfile.lock locks a gem from a local path",
            ));
        }
        if rewrites_lock {
            return Err(Decline::Refused(
                "the install may rewrite the lockfile the full COPY overwrites",
            ));
        }
        out.push(path("Gemfile.lock"));
    }
    if let Some(config) = config {
        // Bundler also loads plugins from `.bundle/plugin`, which the
        // manifest COPY would not bring.
        let entries = app_config?.unwrap_or_default();
        if entries.iter().any(|e| e.trim_end_matches('/') != "config") {
            return Err(Decline::Refused(
                ".bundle holds more than its config (plugins, a cache)",
            ));
        }
        if writes_config {
            return Err(Decline::Refused(
                "the RUN writes Bundler's config, which the full COPY overwrites with the context's",
            ));
        }
        if config_moves_or_freezes(config) {
            return Err(Decline::Refused(
                ".bundle/config sets where Bundler installs or which Gemfile it reads, or names a file of the project",
            ));
        }
        out.push(path(".bundle/config"));
    }
    if version.is_some() {
        out.push(path(".ruby-version"));
    }
    Ok(out)
}

/// Whether the project's `.bundle/config` sets a path, the Gemfile, or the
/// frozen state (which the pass reads from the RUN and its environment),
/// or names a file of the project: a local git checkout
/// (`BUNDLE_LOCAL__<gem>`), build options of a native extension
/// (`BUNDLE_BUILD__<gem>`), a mirror, certificate files, plugins, any value
/// that is a path.
fn config_moves_or_freezes(text: &str) -> bool {
    text.lines().any(|line| {
        let key = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        let value = line.split_once(':').map_or("", |(_, v)| v);
        key.starts_with("BUNDLE_")
            && (key.contains("PATH")
                || locations::value_names_path(value)
                || key.starts_with("BUNDLE_LOCAL__")
                || key.starts_with("BUNDLE_BUILD__")
                || key.starts_with("BUNDLE_MIRROR__")
                || key.starts_with("BUNDLE_SSL_")
                || key.contains("PLUGIN")
                || key.contains("GEMFILE")
                || key.contains("APP_CONFIG")
                || key.contains("BIN")
                || key.contains("FROZEN")
                || key.contains("DEPLOYMENT")
                || key.contains("USER_"))
    })
}

/// Refuses a Gemfile line the pass cannot classify, or that reads files of
/// the project or runs code: a `git:` source must be a remote URL.
fn check_gemfile(text: &str) -> Checked<()> {
    let refuse = |why| Err(Decline::Refused(why));
    let mut continued = false;
    for line in text.lines() {
        let code = strip_comment(line);
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        // Backslashes (escapes, line continuations) would hide words from
        // the string reader below.
        if code.contains(['`', '$', ';', '\\']) || code.contains("%x") || code.contains("<<") {
            return refuse("the Gemfile runs code the pass cannot read");
        }
        let words = words_outside_strings(code);
        let Some(words) = words else {
            return refuse("the Gemfile has a string the pass cannot read");
        };
        if !continued
            && !words
                .first()
                .is_some_and(|w| GEMFILE_STATEMENTS.contains(&w.as_str()))
        {
            return refuse("the Gemfile has a statement the pass cannot read");
        }
        for (k, word) in words.iter().enumerate() {
            // `require: false` is an option of `gem`, not a call.
            let is_option = words.get(k + 1).is_some_and(|w| w == ":");
            if GEMFILE_REFUSED_WORDS.contains(&word.as_str()) && !(word == "require" && is_option) {
                return refuse("the Gemfile reads files of the project or runs code");
            }
        }
        if !only_literals(code, !continued) {
            return refuse(
                "the Gemfile has an expression that is not a literal (a call, a constant other than ENV)",
            );
        }
        if !git_sources_are_remote(code) {
            return refuse("the Gemfile has a git source that is not a remote URL");
        }
        continued = code.ends_with([',', '(']);
    }
    Ok(())
}

/// Words a Gemfile line may hold besides its statement, symbols, hash keys
/// and block parameters: keywords of literals and blocks, and `ENV`.
const GEMFILE_LITERAL_WORDS: [&str; 10] = [
    "true", "false", "nil", "do", "end", "if", "unless", "and", "or", "ENV",
];

/// Whether a Gemfile line is closed-world: outside strings it has only its
/// statement word (when it starts one), symbols (`:test`), hash keys
/// (`require:`), block parameters (`|repo|`) and their uses, numbers,
/// [`GEMFILE_LITERAL_WORDS`], `%w[…]`/`%i[…]` arrays and `ENV[…]` or
/// `ENV.fetch(…)`. Any other word is a call or a constant (`Bundler.read_file`,
/// `Gem::Util.read_binary`, `YAML.safe_load_file` read files), and any
/// other `.`, `::` or `%` refuses.
fn only_literals(code: &str, starts_statement: bool) -> bool {
    let chars: Vec<char> = code.chars().collect();
    let mut params: Vec<String> = Vec::new();
    let mut in_params = false;
    // The previous significant token outside strings (a word or a char).
    let mut prev = String::new();
    let mut first_word = starts_statement;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' {
            // Skip the string; stop inside it at a `#{` (read as code).
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return false,
                    Some(&q) if q == c => break,
                    Some('#') if c == '"' && chars.get(j + 1) == Some(&'{') => {
                        // Only a block parameter may be interpolated.
                        let end = chars[j + 2..].iter().position(|&x| x == '}');
                        let Some(end) = end else { return false };
                        let inner: String = chars[j + 2..j + 2 + end].iter().collect();
                        if !params.iter().any(|p| *p == inner.trim()) {
                            return false;
                        }
                        j += 3 + end;
                    }
                    Some(_) => j += 1,
                }
            }
            i = j + 1;
            prev = "\"".to_string();
            first_word = false;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i], '?' | '!') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let symbol =
                start > 0 && chars[start - 1] == ':' && (start < 2 || chars[start - 2] != ':');
            let key = chars.get(i) == Some(&':') && chars.get(i + 1) != Some(&':');
            let ok = if in_params {
                params.push(word.clone());
                true
            } else if first_word {
                GEMFILE_STATEMENTS.contains(&word.as_str())
            } else {
                symbol
                    || key
                    || (word == "fetch" && prev == ".")
                    || GEMFILE_LITERAL_WORDS.contains(&word.as_str())
                    || params.contains(&word)
            };
            if !ok {
                return false;
            }
            first_word = false;
            prev = word;
            continue;
        }
        if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            prev = "0".to_string();
            first_word = false;
            continue;
        }
        match c {
            '.' if prev == "ENV" && chars.get(i + 1) != Some(&'.') => {}
            '.' => return false,
            ':' if chars.get(i + 1) == Some(&':') => return false,
            '%' => {
                // `%w[…]`, `%i[…]` (no interpolation): an array of words.
                let kind = chars.get(i + 1);
                let open = chars.get(i + 2);
                let close = match open {
                    Some('[') => ']',
                    Some('(') => ')',
                    Some('{') => '}',
                    Some('<') => '>',
                    _ => return false,
                };
                if !matches!(kind, Some('w' | 'i')) {
                    return false;
                }
                let Some(end) = chars[i + 3..].iter().position(|&x| x == close) else {
                    return false;
                };
                i += 4 + end;
                prev = "%".to_string();
                first_word = false;
                continue;
            }
            '|' if in_params => in_params = false,
            '|' if matches!(prev.as_str(), "{" | "do") => in_params = true,
            // A ternary (`a ? b: c` would read `b:` as a hash key).
            '?' => return false,
            _ => {}
        }
        if !c.is_whitespace() {
            prev = c.to_string();
            first_word = false;
        }
        i += 1;
    }
    true
}

/// A line without its `#` comment (a `#` inside a string stays).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The identifiers and `:` of a line outside string literals; the words of
/// a `#{…}` interpolation count as outside. `None` on an unclosed string.
fn words_outside_strings(code: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut chars = code.chars().peekable();
    let mut interpolation = 0;
    while let Some(c) = chars.next() {
        let outside = quote.is_none() || interpolation > 0;
        if outside && (c.is_ascii_alphanumeric() || c == '_' || c == '?' || c == '!') {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some('"'), '#') if chars.peek() == Some(&'{') => {
                chars.next();
                interpolation += 1;
            }
            (Some(_), '}') if interpolation > 0 => interpolation -= 1,
            (Some(q), c) if c == q && interpolation == 0 => quote = None,
            (None, ':') => words.push(":".to_string()),
            _ => {}
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    quote.is_none().then_some(words)
}

/// Whether every `git:`/`:git =>` value on the line is a remote URL.
fn git_sources_are_remote(code: &str) -> bool {
    let mut rest = code;
    while let Some(at) = rest.find("git") {
        let after = &rest[at + 3..];
        let before = rest[..at].chars().last();
        rest = after;
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = if let Some(v) = after.strip_prefix(':') {
            v
        } else if let Some(v) = after.trim_start().strip_prefix("=>") {
            v
        } else {
            continue;
        };
        let value = value.trim_start().trim_start_matches(['"', '\'']);
        let remote = ["https://", "http://", "git://", "ssh://", "git@"]
            .iter()
            .any(|p| value.starts_with(p));
        if !remote {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemfile_lines() {
        let ok = "source \"https://rubygems.org\"\n\
                  git_source(:github) { |repo| \"https://github.com/#{repo}.git\" }\n\
                  ruby \"3.3.4\"\n\
                  gem \"rails\", \"~> 7.1\" # web\n\
                  gem \"bootsnap\", require: false\n\
                  gem \"tzinfo-data\", platforms: %i[windows jruby]\n\
                  gem \"kaminari\", git: \"https://github.com/kaminari/kaminari.git\"\n\
                  group :development, :test do\n  gem \"rspec-rails\",\n    \"~> 6.1\"\nend\n";
        assert_eq!(check_gemfile(ok), Ok(()));
        let env = "gem \"x\", ENV.fetch(\"X_VERSION\", \"1.0\")\n\
                   gem \"y\", ENV[\"Y\"] || \"2.0\" if ENV[\"Z\"]\n\
                   gem \"z\", :git => \"https://h/z.git\", :branch => \"main\"\n";
        assert_eq!(check_gemfile(env), Ok(()));
        let common = "source 'https://rubygems.org'\n\
                      git_source(:github) { |repo_name| \"https://github.com/#{repo_name}\" }\n\
                      ruby '>= 3.0'\n\
                      gem 'sqlite3', '>= 1.4', '< 3'\n\
                      gem \"rails\", github: \"rails/rails\", branch: \"main\"\n\
                      gem \"x\", group: [:development, :test], platforms: %w[mri windows]\n\
                      platforms :mri, :windows do\n  gem \"byebug\"\nend\n";
        assert_eq!(check_gemfile(common), Ok(()));
        for bad in [
            "gemspec\n",
            "gem \"lib\", path: \"../lib\"\n",
            "gem \"lib\", :path => \"vendor/lib\"\n",
            "eval_gemfile \"Gemfile.local\"\n",
            "gem \"x\", git: \"../x\"\n",
            "ruby file: \".ruby-version\"\n",
            "gem \"x\" if File.exist?(\"x\")\n",
            "Dir[\"gems/*\"].each { |g| gem g }\n",
            "require_relative \"lib/version\"\n",
            "gem \"x\", `cat v`\n",
            "gem \"x\",\n  \"\\\"\" File.read \"\\\"\"\n",
            "gem \"x\", \"#{File.read('V')}\"\n",
            "if ENV[\"X\"]\n",
            "gem \"rails\", Bundler.read_file(\"RAILS_VERSION\").strip\n",
            "gem \"x\", Gem::Util.read_binary(\"V\")\n",
            "gem \"x\", YAML.safe_load_file(\"v.yml\")[\"x\"]\n",
            "gem \"x\", version\n",
            "gem \"x\", \"1.0\".strip\n",
            "gem \"x\", ENV[\"A\"] ? \"1\": \"2\"\n",
            "gem \"x\", \"#{VERSION}\"\n",
            "gem \"x\", platforms: %I[#{p}]\n",
        ] {
            assert!(check_gemfile(bad).is_err(), "{bad}");
        }
    }
}
