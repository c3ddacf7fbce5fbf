//! The Gemfile, read as the little Ruby it usually is. Bundler evaluates
//! it as a Ruby program, so any line could read a file of the project: only
//! lines the pass can classify are accepted (`source`, `gem`, `group`,
//! `platforms`, `ruby`, `git_source`, `end` and their continuations), any
//! word that reads files or runs code (`gemspec`, `path`, `eval_gemfile`,
//! `File`, `Dir`, `require_relative`, `eval`, backticks, …) refuses, and the
//! lines are read closed-world (`only_literals`): an argument that is not a
//! literal (a string, symbol, number, `true`/`false`/`nil`, a `%w[…]`/
//! `%i[…]` array, a hash of those, `ENV[…]`, `ENV.fetch(…)`) refuses, so any
//! call or constant other than `ENV` does (`Bundler.read_file`,
//! `Gem::Util.read_binary`, `YAML.safe_load_file` read files of the
//! project).

use super::context::{Checked, Decline};

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

/// Refuses a Gemfile line the pass cannot classify, or that reads files of
/// the project or runs code: a `git:` source must be a remote URL.
pub(super) fn check_gemfile(text: &str) -> Checked<()> {
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
        if strings(code).any(names_local_place) {
            return refuse(
                "the Gemfile names a local path or a file: URL (a source, a git repository)",
            );
        }
        if !git_sources_are_remote(code) {
            return refuse("the Gemfile has a git source that is not a remote URL");
        }
        continued = code.ends_with([',', '(']);
    }
    Ok(())
}

/// The string literals of a line of code (no backslashes: refused before).
fn strings(code: &str) -> impl Iterator<Item = &str> {
    let mut rest = code;
    std::iter::from_fn(move || {
        let start = rest.find(['"', '\''])?;
        let quote = rest[start..].chars().next()?;
        let after = &rest[start + 1..];
        let end = after.find(quote)?;
        rest = &after[end + 1..];
        Some(&after[..end])
    })
}

/// Whether a string names a place on the machine rather than a remote one:
/// an absolute or relative path, or a `file:` URL (`source
/// "file:///app/gems"`, a `git_source` block building `"/repos/#{name}"`).
/// RubyGems and git read such places from the image, where the manifest
/// COPY has not put them. `"~> 7.1"` is a version.
pub(super) fn names_local_place(text: &str) -> bool {
    text.starts_with(['/', '.'])
        || text.starts_with("~/")
        || text.to_ascii_lowercase().contains("file:")
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
            "source \"file:///rails/localgems\"\n",
            "git_source(:inhouse) { |name| \"/rails/repos/#{name}.git\" }\n",
        ] {
            assert!(check_gemfile(bad).is_err(), "{bad}");
        }
    }
}
