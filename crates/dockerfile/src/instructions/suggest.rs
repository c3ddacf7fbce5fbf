//! "Did you mean …?" suggestions, as BuildKit's `util/suggest`.
//!
//! The closest option within Levenshtein distance 2 is suggested; an exact
//! match suggests nothing. Options are tried in the order given (BuildKit
//! iterates Go maps, so its choice among equally close options is random;
//! ours is the first in the list, which callers keep sorted).

/// Levenshtein distance over characters (unit costs).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The suggestion for `value` among `options`, if any.
pub fn search(value: &str, options: &[&str], case_sensitive: bool) -> Option<String> {
    let needle = if case_sensitive {
        value.to_string()
    } else {
        value.to_lowercase()
    };
    let mut best: Option<String> = None;
    let mut best_distance = 3;
    for option in options {
        let option = if case_sensitive {
            option.to_string()
        } else {
            option.to_lowercase()
        };
        if needle == option {
            return None;
        }
        // Inputs longer than any option by 3+ characters cannot be within distance 2.
        if needle.chars().count() > option.chars().count() + 2
            || option.chars().count() > needle.chars().count() + 2
        {
            continue;
        }
        let distance = levenshtein(&needle, &option);
        if distance < best_distance {
            best_distance = distance;
            best = Some(if case_sensitive {
                option
            } else {
                match_case(&option, value)
            });
        }
    }
    best
}

/// Appends ` (did you mean X?)` to `message` when there is a suggestion.
pub fn wrap(message: String, value: &str, options: &[&str], case_sensitive: bool) -> String {
    match search(value, options, case_sensitive) {
        Some(found) => format!("{message} (did you mean {found}?)"),
        None => message,
    }
}

fn match_case(option: &str, original: &str) -> String {
    if original == original.to_lowercase() {
        option.to_lowercase()
    } else if original == original.to_uppercase() {
        option.to_uppercase()
    } else {
        option.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("chwon", "chown"), 2);
    }

    #[test]
    fn suggestions_follow_case() {
        assert_eq!(search("FORM", &["FROM", "RUN"], false), Some("FROM".into()));
        assert_eq!(search("form", &["FROM", "RUN"], false), Some("from".into()));
        assert_eq!(search("Form", &["FROM"], false), Some("from".into()));
        assert_eq!(search("from", &["FROM"], false), None);
        assert_eq!(search("xyzzy", &["FROM"], false), None);
    }
}
