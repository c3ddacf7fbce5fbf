//! `STOPSIGNAL` validation: `github.com/docker/docker/pkg/signal.ParseSignal` with the
//! Linux signal table, as vendored by BuildKit v0.8.3.

use dfopt_dockerfile::go_atoi;

const NAMES: [&str; 65] = [
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMIN+1",
    "RTMIN+2", "RTMIN+3", "RTMIN+4", "RTMIN+5", "RTMIN+6", "RTMIN+7", "RTMIN+8", "RTMIN+9",
    "RTMIN+10", "RTMIN+11", "RTMIN+12", "RTMIN+13", "RTMIN+14", "RTMIN+15", "RTMAX-14", "RTMAX-13",
    "RTMAX-12", "RTMAX-11", "RTMAX-10", "RTMAX-9", "RTMAX-8", "RTMAX-7", "RTMAX-6", "RTMAX-5",
    "RTMAX-4", "RTMAX-3", "RTMAX-2", "RTMAX-1", "RTMAX",
];

/// Checks a signal the way `ParseSignal` does (any non-zero integer, or a known name
/// with or without `SIG`, case-insensitive).
pub(crate) fn check(raw: &str) -> Result<(), String> {
    let invalid = || format!("Invalid signal: {raw}");
    if let Some(n) = go_atoi(raw) {
        return if n == 0 { Err(invalid()) } else { Ok(()) };
    }
    let upper = raw.to_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if NAMES.contains(&name) {
        Ok(())
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn signals() {
        for ok in [
            "SIGTERM",
            "term",
            "9",
            "-3",
            "+2",
            "SIGRTMIN+3",
            "sigkill",
            "RTMAX",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in ["0", "SIGFOO", "", "SIG", "1.5", "99999999999999999999"] {
            assert_eq!(check(bad).unwrap_err(), format!("Invalid signal: {bad}"));
        }
    }
}
