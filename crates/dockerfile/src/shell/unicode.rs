//! Go's character classes, as the BuildKit lexer sees them.
//!
//! BuildKit reads variable names with `unicode.IsLetter`/`unicode.IsDigit`,
//! splits words with `unicode.IsSpace`, and quotes error messages with
//! `strconv.Quote` (which keeps `unicode.IsPrint` characters). Rust's
//! `char::is_alphabetic` and `char::is_numeric` accept more characters than
//! Go's functions (for example combining vowel signs and Roman numerals), so
//! letters, decimal digits and printable characters come from tables of the
//! Unicode edition Go uses. `char::is_whitespace` is exactly Go's
//! `unicode.IsSpace` (both are the Unicode `White_Space` property), so no
//! table is needed for spaces.

use std::cmp::Ordering;

use super::unicode_tables::{DECIMAL_DIGIT, LETTER, PRINTABLE};

/// Go's `unicode.IsLetter`: general category L.
pub(crate) fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    in_table(LETTER, c)
}

/// Go's `unicode.IsDigit`: general category Nd (not just ASCII digits).
pub(crate) fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    in_table(DECIMAL_DIGIT, c)
}

/// Go's `unicode.IsSpace`, the separator of `ProcessWords`.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `strconv.IsPrint`: characters `strconv.Quote` leaves unescaped.
pub(crate) fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    in_table(PRINTABLE, c)
}

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let code = u32::from(c);
    table
        .binary_search_by(|&(low, high)| {
            if high < code {
                Ordering::Less
            } else if low > code {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_disjoint() {
        for table in [LETTER, DECIMAL_DIGIT, PRINTABLE] {
            for pair in table.windows(2) {
                assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
            }
        }
    }

    #[test]
    fn letters_and_digits_follow_go_not_rust() {
        assert!(is_letter('a') && is_letter('ª') && is_letter('한') && is_letter('ǅ'));
        // Other_Alphabetic (a combining vowel sign) and Nl (Roman numeral) are
        // alphabetic for Rust but not letters for Go.
        assert!('\u{093E}'.is_alphabetic() && !is_letter('\u{093E}'));
        assert!('Ⅻ'.is_alphabetic() && !is_letter('Ⅻ'));
        assert!(is_digit('7') && is_digit('٣') && is_digit('７'));
        assert!('½'.is_numeric() && !is_digit('½'));
        assert!(!is_digit('²'));
    }

    #[test]
    fn space_is_exactly_gos_unicode_is_space() {
        let spaces: Vec<u32> = (0..=0x10FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|&c| is_space(c))
            .map(u32::from)
            .collect();
        let go: Vec<u32> = [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680]
            .into_iter()
            .chain(0x2000..=0x200A)
            .chain([0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
            .collect();
        assert_eq!(spaces, go);
    }

    #[test]
    fn printable_and_space() {
        assert!(is_print(' ') && is_print('~') && is_print('é') && is_print('한'));
        assert!(!is_print('\u{7f}') && !is_print('\u{a0}') && !is_print('\u{ad}'));
        assert!(!is_print('\u{feff}') && !is_print('\u{e000}') && !is_print('\u{378}'));
        assert!(is_space('\u{85}') && is_space('\u{a0}') && is_space('\u{3000}'));
        assert!(!is_space('\u{200b}') && !is_space('\u{feff}'));
    }
}
