//! The few Go `fmt` and `strconv` formats that end up in image history entries and
//! vertex names (`%q` and `%v` of string slices, `time.Duration.String`, `%q` of an
//! integer, which Go prints as a quoted rune).

use dfopt_dockerfile::go_quote;

/// `fmt.Sprintf("%q", []string{…})`: `["a" "b"]` (`[]` for an empty or nil slice).
pub(crate) fn quote_slice(items: &[String]) -> String {
    let mut out = String::with_capacity(2 + items.iter().map(|s| s.len() + 3).sum::<usize>());
    out.push('[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(&go_quote(item));
    }
    out.push(']');
    out
}

/// `fmt.Sprintf("%v", []string{…})`: `[a b]`.
pub(crate) fn value_slice(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// `fmt.Sprintf("%v", map[string]struct{}{…})`: `map[k1:{} k2:{}]`, keys sorted.
pub(crate) fn value_set<'a>(keys: impl IntoIterator<Item = &'a String>) -> String {
    let mut keys: Vec<&String> = keys.into_iter().collect();
    keys.sort();
    let entries: Vec<String> = keys.iter().map(|k| format!("{k}:{{}}")).collect();
    format!("map[{}]", entries.join(" "))
}

/// `fmt.Sprintf("%q", n)` for an integer: a quoted rune (`'\x03'`), as
/// `strconv.QuoteRune`; values beyond the Unicode range print U+FFFD.
pub(crate) fn quote_rune(n: i64) -> String {
    let c = u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}');
    match c {
        '\'' => "'\\''".to_owned(),
        '"' => "'\"'".to_owned(),
        c => {
            let quoted = go_quote(&c.to_string());
            let inner = &quoted[1..quoted.len() - 1];
            format!("'{inner}'")
        }
    }
}

/// Go's `time.Duration.String` for nanoseconds `d`: `0s`, `1.5s`, `1m30s`, `2h0m0s`,
/// `100ms`, `1µs`, `500ns`.
pub(crate) fn duration(d: i64) -> String {
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (prec, unit) = match u {
            0 => return "0s".to_owned(),
            1..=999 => (0, "ns"),
            1_000..=999_999 => (3, "µs"),
            _ => (6, "ms"),
        };
        out.push_str(&int_and_frac(u, prec));
        out.push_str(unit);
    } else {
        let secs_total = u / 1_000_000_000;
        let frac = frac_digits(u % 1_000_000_000, 9);
        let secs = secs_total % 60;
        let mins_total = secs_total / 60;
        if mins_total > 0 {
            let mins = mins_total % 60;
            let hours = mins_total / 60;
            if hours > 0 {
                out.push_str(&format!("{hours}h"));
            }
            out.push_str(&format!("{mins}m"));
        }
        out.push_str(&format!("{secs}{frac}s"));
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `v / 10^prec` with the fraction's trailing zeros (and a bare point) removed.
fn int_and_frac(v: u64, prec: u32) -> String {
    let scale = 10u64.pow(prec);
    format!("{}{}", v / scale, frac_digits(v % scale, prec))
}

fn frac_digits(frac: u64, prec: u32) -> String {
    if frac == 0 {
        return String::new();
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    format!(".{}", digits.trim_end_matches('0'))
}

/// `int(1 + math.Log10(float64(n)))`, the width of the step counter in vertex
/// names. Go computes `Log10(x)` as `Log(x) * (1/Ln10)`, which for 1000 gives
/// 2.9999999999999996; the same arithmetic is used here.
pub(crate) fn counter_width(n: usize) -> usize {
    #[allow(clippy::cast_precision_loss)]
    let x = n as f64;
    let log10 = x.ln() * (1.0 / std::f64::consts::LN_10);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let width = (1.0 + log10) as usize;
    width.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_match_go() {
        for (d, want) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (30_000_000_000, "30s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (4_000_000_001, "4.000000001s"),
            (-1_500_000_000, "-1.5s"),
        ] {
            assert_eq!(duration(d), want, "{d}");
        }
    }

    #[test]
    fn runes_match_go() {
        assert_eq!(quote_rune(3), r"'\x03'");
        assert_eq!(quote_rune(0), r"'\x00'");
        assert_eq!(quote_rune(65), "'A'");
        assert_eq!(quote_rune(39), r"'\''");
        assert_eq!(quote_rune(34), "'\"'");
        assert_eq!(quote_rune(10), r"'\n'");
        assert_eq!(quote_rune(-1), "'\u{FFFD}'");
    }

    #[test]
    fn slices() {
        let v = vec![
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            "echo \"hi\"".to_owned(),
        ];
        assert_eq!(quote_slice(&v), r#"["/bin/sh" "-c" "echo \"hi\""]"#);
        assert_eq!(quote_slice(&[]), "[]");
        assert_eq!(value_slice(&v), r#"[/bin/sh -c echo "hi"]"#);
        let keys = ["80/tcp".to_owned(), "443/tcp".to_owned()];
        assert_eq!(value_set(keys.iter()), "map[443/tcp:{} 80/tcp:{}]");
    }

    #[test]
    fn widths() {
        assert_eq!(counter_width(1), 1);
        assert_eq!(counter_width(9), 1);
        assert_eq!(counter_width(10), 2);
        assert_eq!(counter_width(99), 2);
        assert_eq!(counter_width(100), 3);
    }
}
