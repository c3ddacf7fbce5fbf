//! Just enough shell to see which programs a RUN calls: the script is split
//! into simple commands at `;`, `&`, `|`, newlines and parentheses (outside
//! quotes), quotes are removed from words, and leading assignments, keywords
//! (`if`, `then`, `do`, …) and wrappers (`sudo`, `env`, `exec`, …) are skipped.
//! `sh -c '…'` is looked into. This is a heuristic for findings, not a parser
//! the optimizer could rely on.

use dfopt_dockerfile::instructions::{CmdLine, Run};

/// One simple command: its words, quotes removed; `words[0]` is the program's
/// base name (`/usr/bin/apt-get` → `apt-get`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleCommand {
    pub words: Vec<String>,
}

impl SimpleCommand {
    pub fn program(&self) -> &str {
        self.words.first().map_or("", String::as_str)
    }

    /// The arguments that are not options (do not start with `-`).
    pub fn operands(&self) -> impl Iterator<Item = &str> {
        self.words
            .iter()
            .skip(1)
            .map(String::as_str)
            .filter(|w| !w.starts_with('-'))
    }

    /// The first operand, skipping the values of the given options that take one
    /// (`apt-get -o X=Y install` → `install`).
    pub fn subcommand(&self, options_with_value: &[&str]) -> Option<&str> {
        let mut words = self.words.iter().skip(1);
        while let Some(word) = words.next() {
            if options_with_value.contains(&word.as_str()) {
                words.next();
            } else if !word.starts_with('-') {
                return Some(word);
            }
        }
        None
    }

    /// Whether any word equals `word`.
    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }
}

/// The simple commands a RUN executes (its shell script, `sh -c` strings, and
/// heredoc bodies fed to a shell).
pub fn run_commands(run: &Run) -> Vec<SimpleCommand> {
    cmdline_commands(&run.cmd)
}

fn cmdline_commands(cmd: &CmdLine) -> Vec<SimpleCommand> {
    let mut out = Vec::new();
    if cmd.prepend_shell {
        let script = cmd.args.join(" ");
        let commands = split(&script);
        let mut heredoc_is_shell = false;
        for c in &commands {
            // `RUN <<EOF` (the default shell reads the body) or `RUN bash <<EOF`.
            if c.words.is_empty() {
                continue;
            }
            if c.words[0].starts_with("<<")
                || is_shell(c.program()) && c.words.iter().skip(1).all(|w| w.starts_with("<<"))
            {
                heredoc_is_shell = true;
            }
        }
        if script.trim_start().starts_with("<<") {
            heredoc_is_shell = true;
        }
        out.extend(
            commands
                .into_iter()
                .filter(|c| !c.program().starts_with("<<")),
        );
        if heredoc_is_shell {
            for file in &cmd.files {
                out.extend(split(&file.data));
            }
        }
    } else {
        let words: Vec<String> = cmd.args.clone();
        out.extend(normalize(words));
    }
    // Look into `sh -c '<script>'`.
    let mut nested = Vec::new();
    for c in &out {
        if is_shell(c.program()) {
            if let Some(i) = c.words.iter().position(|w| {
                w == "-c" || (w.starts_with('-') && !w.starts_with("--") && w.ends_with('c'))
            }) {
                if let Some(script) = c.words.get(i + 1) {
                    nested.extend(split(script));
                }
            }
        }
    }
    out.extend(nested);
    out
}

fn is_shell(program: &str) -> bool {
    matches!(program, "sh" | "bash" | "ash" | "dash" | "zsh")
}

/// Splits a script into simple commands.
pub fn split(script: &str) -> Vec<SimpleCommand> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let finish_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(&next) = chars.peek() {
                                if matches!(next, '"' | '\\' | '$' | '`') {
                                    word.push(next);
                                    chars.next();
                                } else if next == '\n' {
                                    chars.next();
                                } else {
                                    word.push('\\');
                                }
                            }
                        }
                        c => word.push(c),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(next) => {
                    in_word = true;
                    word.push(next);
                }
            },
            '#' if !in_word => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                finish_word(&mut words, &mut word, &mut in_word);
                commands.extend(normalize(std::mem::take(&mut words)));
            }
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' => {
                finish_word(&mut words, &mut word, &mut in_word);
                commands.extend(normalize(std::mem::take(&mut words)));
            }
            c if c.is_whitespace() => finish_word(&mut words, &mut word, &mut in_word),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish_word(&mut words, &mut word, &mut in_word);
    commands.extend(normalize(words));
    commands
}

const KEYWORDS: [&str; 12] = [
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time", "fi",
];

/// Drops leading keywords, assignments and wrappers; `None` when nothing is left.
fn normalize(mut words: Vec<String>) -> Option<SimpleCommand> {
    loop {
        let first = words.first()?.as_str();
        let assignment = first.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if KEYWORDS.contains(&first)
            || assignment
            || matches!(first, "exec" | "command" | "nice" | "nohup")
        {
            words.remove(0);
            continue;
        }
        if first == "sudo" || first == "env" {
            words.remove(0);
            // Their own options (`sudo -u x`, `env -i`); `-u` takes a value.
            while let Some(w) = words.first() {
                if w == "-u" || w == "-g" {
                    words.drain(..2.min(words.len()));
                } else if w.starts_with('-') {
                    words.remove(0);
                } else {
                    break;
                }
            }
            continue;
        }
        break;
    }
    if let Some(first) = words.first_mut() {
        if let Some((_, base)) = first.rsplit_once('/') {
            if !base.is_empty() {
                *first = base.to_string();
            }
        }
    }
    Some(SimpleCommand { words })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(script: &str) -> Vec<Vec<String>> {
        split(script).into_iter().map(|c| c.words).collect()
    }

    #[test]
    fn splits_and_normalizes() {
        assert_eq!(
            programs("set -e; DEBIAN_FRONTEND=noninteractive sudo -u root /usr/bin/apt-get install -y 'a b' && rm -rf /x || true"),
            vec![
                vec!["set".to_string(), "-e".into()],
                vec!["apt-get".into(), "install".into(), "-y".into(), "a b".into()],
                vec!["rm".into(), "-rf".into(), "/x".into()],
                vec!["true".into()],
            ]
        );
        assert_eq!(
            programs("if true; then pip install x; fi # pip install y\n"),
            vec![
                vec!["true".to_string()],
                vec!["pip".into(), "install".into(), "x".into()]
            ]
        );
        assert_eq!(
            programs("echo \"a;b\" \\\n  c"),
            vec![vec!["echo".to_string(), "a;b".into(), "c".into()]]
        );
    }

    #[test]
    fn subcommands() {
        let c = &split("apt-get -o Dpkg::Options::=--force-confnew -y install curl")[0];
        assert_eq!(c.subcommand(&["-o"]), Some("install"));
        assert_eq!(
            c.operands().collect::<Vec<_>>(),
            ["Dpkg::Options::=--force-confnew", "install", "curl"]
        );
    }
}
