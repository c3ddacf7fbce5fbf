//! The stage graph: which states a target needs, and cycles of stage reads.
//!
//! A state is a stage, or a source BuildKit registers like one (`COPY
//! --from=<image>`, a RUN mount's `from=`). Its edges are its base (`FROM
//! <stage>`) and its reads (`COPY --from`, `RUN --mount from=`, ONBUILD
//! triggers that name a stage). Each consumer finds the edges its own way (the
//! converter after expanding variables, the optimizer without, the build checks
//! with located reads); what the edges mean is decided here, once.

use crate::instructions::{csv, suggest};
use crate::{go_atoi, go_quote, Span};

/// What a `COPY --from` value names (BuildKit's `toCommand`): a stage by index,
/// else a stage by name (compared lower-case) or, failing that, an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageRef<'a> {
    /// A number; the caller checks it against the states it has.
    Index(i128),
    /// Anything else, as written.
    Name(&'a str),
}

impl<'a> StageRef<'a> {
    /// BuildKit's `strconv.Atoi`: an optional sign and decimal digits, within
    /// 64 bits, is an index (a negative one invalid); anything else a name.
    pub fn parse(value: &'a str) -> StageRef<'a> {
        go_atoi(value)
            .map(i128::from)
            .map_or(StageRef::Name(value), StageRef::Index)
    }
}

/// A `COPY --from` value as a state (BuildKit's `toCommand`): `Ok(Some(i))`
/// the state of that index, or the stage `lookup` finds by that name (the
/// caller compares lower-case); `Ok(None)` no stage of that name, so an image;
/// `Err` BuildKit's message for an index no state has. Consumers call it through
/// [`super::lookup::StageNames::copy_from`].
pub fn copy_from_state(
    value: &str,
    state_count: usize,
    lookup: impl FnOnce(&str) -> Option<usize>,
) -> Result<Option<usize>, String> {
    match StageRef::parse(value) {
        StageRef::Index(index) => usize::try_from(index)
            .ok()
            .filter(|&i| i < state_count)
            .map(Some)
            .ok_or_else(|| format!("invalid stage index {index}")),
        StageRef::Name(name) => Ok(lookup(name)),
    }
}

/// The `type` and `from` of a RUN `--mount` value without expanding anything
/// (BuildKit's `detectRunMount` runs before expansion): `type` is `None` when it
/// uses a variable, `from` is empty when not given. Unparsable values give a
/// bind mount from nothing; the real parse at dispatch reports them.
pub fn run_mount_source(raw: &str) -> (Option<String>, String) {
    let Ok(fields) = csv::fields(raw) else {
        return (Some("bind".to_owned()), String::new());
    };
    let mut kind = Some("bind".to_owned());
    let mut from = String::new();
    for field in &fields {
        if let Some((key, value)) = field.split_once('=') {
            // `strings.ToLower(key) == "type"`: no non-ASCII character lower-cases to
            // a letter of `type` or `from`, so an ASCII comparison is the same.
            if key.eq_ignore_ascii_case("type") {
                kind = (!value.contains('$')).then(|| value.to_lowercase());
            } else if key.eq_ignore_ascii_case("from") {
                from = value.to_string();
            }
        }
    }
    (kind, from)
}

/// BuildKit's error for a `--target` no stage has, with a "did you mean" among
/// `candidates` (the converter offers the named stages, the checks every stage
/// as `stage-N` when unnamed, as BuildKit's lint does).
pub fn unknown_target_message(target: &str, candidates: &[&str]) -> String {
    suggest::wrap(
        format!("target stage {} could not be found", go_quote(target)),
        target,
        candidates,
        true,
    )
}

/// BuildKit's `allReachableStages` / `isReachable`: `start` and every state it
/// reaches through `edges` (a state's base and reads), as a flag per state.
/// Iterative, so any depth works.
pub fn reachable<I>(len: usize, start: usize, mut edges: impl FnMut(usize) -> I) -> Vec<bool>
where
    I: IntoIterator<Item = usize>,
{
    let mut seen = vec![false; len];
    let mut todo = vec![start];
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        todo.extend(edges(i));
    }
    seen
}

/// BuildKit's `validateCircularDependency`: the first state (in order) from
/// which a cycle of reads (not bases) is reachable, with the spans of the reads
/// that make the cycle, from that state's read on. `reads(i)` gives state `i`'s
/// reads in the order to walk them, each with the instruction that makes it
/// (BuildKit walks a Go map, in random order; the caller fixes one).
pub fn first_cycle(
    len: usize,
    reads: impl Fn(usize) -> Vec<(usize, Option<Span>)>,
) -> Option<(usize, Vec<Span>)> {
    let mut visited = vec![false; len];
    let mut on_path = vec![false; len];
    (0..len).find_map(|i| {
        let mut path = Vec::new();
        visit(&reads, i, &mut visited, &mut on_path, &mut path).then_some((i, path))
    })
}

fn visit(
    reads: &impl Fn(usize) -> Vec<(usize, Option<Span>)>,
    i: usize,
    visited: &mut [bool],
    on_path: &mut [bool],
    path: &mut Vec<Span>,
) -> bool {
    if std::mem::replace(&mut visited[i], true) {
        return false;
    }
    on_path[i] = true;
    for (dep, span) in reads(i) {
        path.extend(span);
        if on_path[dep] || visit(reads, dep, visited, on_path, path) {
            return true;
        }
        if span.is_some() {
            path.pop();
        }
    }
    on_path[i] = false;
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_sources() {
        let some = |k: &str, f: &str| (Some(k.to_owned()), f.to_owned());
        assert_eq!(run_mount_source("type=cache,target=/x"), some("cache", ""));
        assert_eq!(
            run_mount_source("target=/x,from=builder"),
            some("bind", "builder")
        );
        assert_eq!(run_mount_source("type=$T,target=/x"), (None, String::new()));
        assert_eq!(
            run_mount_source("\"type=tmpfs\",target=/x"),
            some("tmpfs", "")
        );
        assert_eq!(run_mount_source("TYPE=Cache,From=b"), some("cache", "b"));
        assert_eq!(
            run_mount_source("\"from=a\"\"b\",type=bind,"),
            some("bind", "a\"b")
        );
        for bad in ["from=a\"", "\"from=a", "\"from=a\"x", "a,b\"c", ""] {
            assert_eq!(run_mount_source(bad), some("bind", ""), "{bad}");
        }
    }

    #[test]
    fn stage_refs() {
        assert_eq!(StageRef::parse("1"), StageRef::Index(1));
        assert_eq!(StageRef::parse("-1"), StageRef::Index(-1));
        assert_eq!(StageRef::parse("+2"), StageRef::Index(2));
        assert_eq!(StageRef::parse("Build"), StageRef::Name("Build"));
        assert_eq!(
            StageRef::parse("99999999999999999999"),
            StageRef::Name("99999999999999999999")
        );
        let lookup = |n: &str| (n == "a").then_some(0);
        assert_eq!(copy_from_state("1", 2, lookup), Ok(Some(1)));
        assert_eq!(copy_from_state("a", 2, lookup), Ok(Some(0)));
        assert_eq!(copy_from_state("img", 2, lookup), Ok(None));
        assert_eq!(
            copy_from_state("-1", 2, lookup),
            Err("invalid stage index -1".to_owned())
        );
    }

    #[test]
    fn reachable_follows_every_edge() {
        // 0 <- 1 <- 3, 2 alone.
        let edges = [vec![], vec![0], vec![], vec![1]];
        let seen = reachable(4, 3, |i| edges[i].clone());
        assert_eq!(seen, [true, true, false, true]);
    }

    #[test]
    fn first_cycle_names_the_reads_on_it() {
        let span = |n| Some(Span::new(n, n + 1));
        // 0 reads 1, 1 reads 2, 2 reads 1: the cycle 1 -> 2 -> 1, found from 0.
        let reads = [vec![(1, span(0))], vec![(2, span(10))], vec![(1, span(20))]];
        let (first, path) = first_cycle(3, |i| reads[i].clone()).unwrap();
        assert_eq!(first, 0);
        assert_eq!(
            path,
            [Span::new(0, 1), Span::new(10, 11), Span::new(20, 21)]
        );
        assert!(first_cycle(2, |i| if i == 0 { vec![(1, None)] } else { vec![] }).is_none());
    }
}
