//! Finding a stage: by `--target`, by a `FROM` base name, by a `COPY --from` or
//! RUN mount `from=` value, and the stages an ONBUILD trigger reads. Every
//! consumer (converter, optimizer, build checks, frontend) asks here, so no two
//! of them can pick different stages for one name.
//!
//! BuildKit's `dispatchStates` keeps one map from lower-cased stage name to
//! state, filled in file order (`addState`): a later stage of a duplicated name
//! replaces the earlier one (duplicates are only a lint warning). Stage names
//! are lower-cased when parsed (`parseBuildStageName`), so the map's keys are
//! the names as the IR holds them. The lookups then differ only in whether the
//! name asked for is lower-cased first:
//! - `--target`, `COPY --from`, mount `from=` (`findStateByName`): yes;
//! - a `FROM` base (`statesByName[BaseName]` in `addState`): no, and only
//!   stages before it are in the map yet, so `FROM Builder` after `AS builder`
//!   names an image.

use std::collections::BTreeMap;

use super::reachability::copy_from_state;
use crate::instructions::parse::{parse_instruction, Parsed};
use crate::instructions::Command;

/// BuildKit's `statesByName`: lower-cased stage name → state index, the later
/// of two stages with one name winning.
#[derive(Clone, Debug, Default)]
pub struct StageNames {
    by_name: BTreeMap<String, usize>,
}

impl StageNames {
    /// The map after registering every stage of `names` (in file order; the
    /// index of each is its position).
    pub fn of_stages<'a>(names: impl IntoIterator<Item = Option<&'a str>>) -> StageNames {
        let mut out = StageNames::default();
        for (i, name) in names.into_iter().enumerate() {
            out.register(name, i);
        }
        out
    }

    /// BuildKit's `addState`: a named state replaces any earlier one of its name.
    pub fn register(&mut self, name: Option<&str>, index: usize) {
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            self.by_name.insert(name.to_lowercase(), index);
        }
    }

    /// BuildKit's `findStateByName`: the name is lower-cased before the lookup.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(&name.to_lowercase()).copied()
    }

    /// The stage a `FROM` builds on, given its expanded base name, among the
    /// stages registered so far (BuildKit compares the name as written, so a
    /// name with upper-case letters never names a stage); `None`: an image.
    pub fn base(&self, base_name: &str) -> Option<usize> {
        self.by_name.get(base_name).copied()
    }

    /// The stage a build targets: the last of `stage_count` stages when
    /// `target` is absent or empty (BuildKit tests `opt.Target == ""`), else the
    /// stage of that name; `None` when there is no such stage.
    pub fn target(&self, target: Option<&str>, stage_count: usize) -> Option<usize> {
        match target.filter(|t| !t.is_empty()) {
            None => stage_count.checked_sub(1),
            Some(t) => self.find(t),
        }
    }

    /// A `COPY --from` value as a state (BuildKit's `toCommand`): a decimal
    /// number (Go's `Atoi`: a sign is allowed, `-1` is an invalid index) is an
    /// index among `state_count` states, anything else a stage name or else an
    /// image (`Ok(None)`). `Err` is BuildKit's message for a bad index.
    pub fn copy_from(&self, value: &str, state_count: usize) -> Result<Option<usize>, String> {
        copy_from_state(value, state_count, |n| self.find(n))
    }

    /// A RUN mount's `from=` (BuildKit's `detectRunMount`): a stage name only,
    /// never an index; `None`: an image.
    pub fn mount_from(&self, from: &str) -> Option<usize> {
        self.find(from)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// The name BuildKit gives `TARGETSTAGE` and the lint's outline: `target` when
/// given and not empty, else the last stage's name (empty when unnamed).
pub fn target_stage_name<'a>(target: Option<&'a str>, last_stage: Option<&'a str>) -> &'a str {
    target
        .filter(|t| !t.is_empty())
        .or(last_stage)
        .unwrap_or_default()
}

/// One ONBUILD trigger parsed as BuildKit's `initOnBuildTriggers` does: as a
/// Dockerfile of its own that must hold exactly one instruction, not a `FROM`.
/// Its sources are then read like any command's. Also gives the keyword as
/// written (the checks look at its case).
pub fn parse_trigger(expr: &str) -> Result<(Command, &str), String> {
    let parsed = crate::parse(expr);
    if let Some(d) = parsed.error() {
        return Err(d.message.clone());
    }
    let [instruction] = parsed.dockerfile.instructions.as_slice() else {
        return Err("onbuild trigger should be a single expression".to_owned());
    };
    match parse_instruction(instruction, 0, parsed.dockerfile.escape) {
        Ok(Parsed::Command(c)) => Ok((c, instruction.keyword_span.text(expr))),
        Ok(Parsed::Stage(_)) => Err("*instructions.Stage is not a command type".to_owned()),
        Err((message, _)) => Err(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[Option<&str>]) -> StageNames {
        StageNames::of_stages(list.iter().copied())
    }

    #[test]
    fn the_later_of_two_names_wins() {
        let n = names(&[Some("a"), None, Some("a"), Some("b")]);
        assert_eq!(n.find("a"), Some(2));
        assert_eq!(n.find("A"), Some(2));
        // Lower-cased as Go's `strings.ToLower`: the Kelvin sign becomes `k`.
        assert_eq!(names(&[Some("keep")]).find("\u{212A}EEP"), Some(0));
        assert_eq!(n.target(Some("a"), 4), Some(2));
        assert_eq!(n.target(None, 4), Some(3));
        assert_eq!(n.target(Some(""), 4), Some(3));
        assert_eq!(n.target(Some("c"), 4), None);
        assert_eq!(n.target(None, 0), None);
    }

    #[test]
    fn base_names_are_compared_as_written() {
        let mut n = StageNames::default();
        n.register(Some("builder"), 0);
        assert_eq!(n.base("builder"), Some(0));
        assert_eq!(n.base("Builder"), None);
        // A stage does not see itself or later stages: they are not registered yet.
        assert_eq!(n.base("final"), None);
        n.register(Some("builder"), 1);
        assert_eq!(n.base("builder"), Some(1));
    }

    #[test]
    fn from_values() {
        let n = names(&[Some("a"), Some("b")]);
        assert_eq!(n.copy_from("1", 2), Ok(Some(1)));
        assert_eq!(n.copy_from("B", 2), Ok(Some(1)));
        assert_eq!(n.copy_from("alpine", 2), Ok(None));
        assert_eq!(
            n.copy_from("-1", 2),
            Err("invalid stage index -1".to_owned())
        );
        assert_eq!(n.copy_from("2", 2), Err("invalid stage index 2".to_owned()));
        assert_eq!(n.mount_from("0"), None);
        assert_eq!(n.mount_from("A"), Some(0));
    }

    #[test]
    fn target_names() {
        assert_eq!(target_stage_name(Some("x"), Some("y")), "x");
        assert_eq!(target_stage_name(Some(""), Some("y")), "y");
        assert_eq!(target_stage_name(None, None), "");
    }

    #[test]
    fn triggers() {
        let (c, keyword) = parse_trigger("copy --from=build /a /b").unwrap();
        assert_eq!((c.kind.keyword(), keyword), ("COPY", "copy"));
        assert!(parse_trigger("FROM alpine").is_err());
        assert!(parse_trigger("RUN a\nRUN b").is_err());
    }
}
