//! A rule's identity and documentation.

/// One rule. The id is what users write in `# check=skip=<id>` and what every
/// client shows, so it never changes once published.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// The name used in `# check=skip=…` and in results (`StageNameCasing`).
    pub id: &'static str,
    /// What the rule is about, in one sentence.
    pub description: &'static str,
    /// The rule's documentation page; empty when it has none.
    pub url: &'static str,
    /// Runs only when enabled with `# check=experimental=<id>` (or `all`), and then
    /// even when `skip=all` is set, as in BuildKit.
    pub experimental: bool,
}

impl Rule {
    /// A rule that runs unless skipped.
    pub const fn new(id: &'static str, description: &'static str, url: &'static str) -> Rule {
        Rule {
            id,
            description,
            url,
            experimental: false,
        }
    }

    /// The same rule, opt-in only.
    pub const fn experimental(self) -> Rule {
        Rule {
            experimental: true,
            ..self
        }
    }
}
