//! Terminal colour: on only when standard output is a terminal and `NO_COLOR` is
//! unset (or empty), unless `--color always|never` says otherwise.

use std::io::IsTerminal;

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour (even into a pipe).
    Always,
    /// Never colour.
    Never,
}

/// ANSI styling, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    enabled: bool,
}

impl Style {
    /// The styling for standard output.
    pub fn stdout(choice: ColorChoice) -> Style {
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                std::io::stdout().is_terminal() && !no_color
            }
        };
        Style { enabled }
    }

    /// No colour at all.
    #[cfg(test)]
    pub fn plain() -> Style {
        Style { enabled: false }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.enabled && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
    pub fn blue(self, text: &str) -> String {
        self.paint("34", text)
    }
    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }
    /// Bold and coloured (`31` red, `33` yellow, `36` cyan, …).
    pub fn heading(self, color: &str, text: &str) -> String {
        self.paint(&format!("1;{color}"), text)
    }
}
