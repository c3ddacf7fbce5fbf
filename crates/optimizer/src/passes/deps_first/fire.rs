//! One step of the pass: find the first COPY/RUN pair either rule can
//! rewrite, check it, and rewrite it, or say why an install stays.

use crate::facts::{CmdFacts, User};
use crate::work::Cx;

use super::context::{Decline, Reader};
use super::pair::{pair_at, under_any, Pair, PACKAGE_TREES};
use super::scan::Tool;
use super::{both_rules, locations, manifests, rewrite, ruby, scan, ID};

/// Applies the first rewrite found; false when there is none.
pub(super) fn fire_once(cx: &mut Cx, needs_context: &mut Vec<dfopt_dockerfile::Span>) -> bool {
    let facts = cx.facts();
    for (s, sf) in facts.iter().enumerate() {
        if sf.windows {
            continue;
        }
        for c in 0..cx.work.ir.stages[s].commands.len() {
            let Some((pair, calls)) = pair_at(cx, sf, s, c) else {
                continue;
            };
            let run_facts = &sf.before[pair.run];
            if let Err(why) = both_rules::check(cx, &facts, s, &pair, &calls) {
                if scan::dependency_install(&calls).is_ok() {
                    report_refusal(cx, s, &pair, why);
                }
                continue;
            }
            if let Ok(mut install) = scan::dependency_install(&calls) {
                if install.tool == Tool::Bundler {
                    if let Some(frozen) = ruby::frozen_by_environment(&run_facts.env, &calls) {
                        install.rewrites_lock = !frozen;
                    }
                }
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
                let files = manifests::manifests(&install, &pair, &mut reader);
                let queries = std::mem::take(&mut reader.queries);
                cx.queries.extend(queries);
                match files {
                    Ok(files) => {
                        if rewrite::split(cx, s, &pair, &install, &files) {
                            return true;
                        }
                    }
                    Err(Decline::Refused(why)) => report_refusal(cx, s, &pair, why),
                    Err(Decline::Missing | Decline::NotApplicable) => {}
                }
            } else if scan::system_install(&calls)
                && !under_any(&pair.dest_abs, &PACKAGE_TREES)
                && locations::system_config_in(&sf.before[pair.run], &pair.dest_abs).is_ok()
                && system_home_outside(run_facts, &pair.dest_abs)
                && pair.search_dirs.as_ref().is_ok_and(Vec::is_empty)
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

/// Whether a system install's home is known and outside `<dir>`: dpkg
/// reads `~/.dpkg.cfg`, rpm `~/.rpmmacros`, debconf `~/.debconfrc`. Root's
/// home is `/root` unless `HOME` says otherwise; another user's comes from
/// the image's `/etc/passwd`, which the pass does not read.
fn system_home_outside(facts: &CmdFacts, dest: &str) -> bool {
    match facts.env.value("HOME") {
        Ok(Some(home)) => home.starts_with('/') && !locations::is_within(home, dest),
        Ok(None) => facts.user == User::Root,
        Err(()) => false,
    }
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
