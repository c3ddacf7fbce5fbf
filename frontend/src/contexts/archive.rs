//! Is a downloaded build context an archive or a Dockerfile? BuildKit's `isArchive`.
//!
//! BuildKit reads the first 1024 bytes of the file an HTTP(S) context URL returned and
//! calls it an archive when they start with the bzip2, gzip or xz magic, or when Go's
//! `tar.Reader.Next()` accepts them as the start of a tar stream. The tar check is
//! mirrored here with its consequences on exactly those 1024 bytes:
//!
//! * the first 512-byte block must be a header whose checksum (the unsigned or the
//!   signed byte sum, with the checksum field counted as spaces) matches its octal
//!   `chksum` field, and whose numeric fields parse;
//! * an all-zero first block is the end-of-archive marker: `Next` fails, not an archive;
//! * a PAX (`x`) or GNU long-name (`L`, `K`) header is followed by its data and then
//!   the real header, which lies beyond 1024 bytes: `Next` fails on the short read, so
//!   BuildKit treats such a tar as a plain Dockerfile, and so do we;
//! * a PAX global header (`g`, what `git archive` writes first) is returned by `Next`
//!   itself once its records (in the next block) parse.

/// How many leading bytes BuildKit looks at.
pub const HEADER_LENGTH: i64 = 1024;

const BLOCK: usize = 512;

/// BuildKit's `isArchive` on the first bytes of a download.
pub fn is_archive(header: &[u8]) -> bool {
    const MAGICS: [&[u8]; 3] = [
        &[0x42, 0x5A, 0x68],                   // bzip2
        &[0x1F, 0x8B, 0x08],                   // gzip
        &[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], // xz
    ];
    if MAGICS.iter().any(|magic| header.starts_with(magic)) {
        return true;
    }
    is_tar_start(header)
}

/// Whether Go's `tar.NewReader(header).Next()` returns a header without error.
fn is_tar_start(data: &[u8]) -> bool {
    let Some(block) = data.get(..BLOCK) else {
        return false;
    };
    if block.iter().all(|&b| b == 0) {
        return false;
    }
    let Some(stored) = parse_octal(&block[148..156]) else {
        return false;
    };
    let (unsigned, signed) = checksums(block);
    if stored != unsigned && stored != signed {
        return false;
    }
    // mode, uid, gid, size, mtime must parse (`ErrHeader` otherwise).
    let numeric_fields = [100..108, 108..116, 116..124, 124..136, 136..148];
    if numeric_fields
        .iter()
        .any(|range| parse_numeric(&block[range.clone()]).is_none())
    {
        return false;
    }
    match block[156] {
        b'x' | b'L' | b'K' => false,
        b'g' => global_header_parses(block, &data[BLOCK..]),
        _ => true,
    }
}

/// Whether the records of a PAX global header, in the bytes after its header block,
/// are complete and well-formed (Go's `parsePAX`).
fn global_header_parses(block: &[u8], rest: &[u8]) -> bool {
    let Some(size) = parse_numeric(&block[124..136]) else {
        return false;
    };
    let Some(records) = usize::try_from(size).ok().and_then(|size| rest.get(..size)) else {
        return false;
    };
    let Ok(mut text) = std::str::from_utf8(records) else {
        return false;
    };
    while !text.is_empty() {
        match pax_record(text) {
            Some(residual) => text = residual,
            None => return false,
        }
    }
    true
}

/// One `"%d key=value\n"` record (the length counts the whole record); returns the
/// text after it.
fn pax_record(text: &str) -> Option<&str> {
    let (length, _) = text.split_once(' ')?;
    if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let total: usize = length.parse().ok()?;
    if total <= length.len() + 1 || total > text.len() {
        return None;
    }
    let record = text.get(length.len() + 1..total)?;
    let body = record.strip_suffix('\n')?;
    let (key, _) = body.split_once('=')?;
    (!key.is_empty()).then(|| &text[total..])
}

/// The header checksum computed both ways Go accepts, with the checksum field itself
/// counted as eight spaces.
fn checksums(block: &[u8]) -> (i64, i64) {
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &byte) in block.iter().enumerate() {
        let byte = if (148..156).contains(&i) { b' ' } else { byte };
        unsigned += i64::from(byte);
        signed += i64::from(byte as i8);
    }
    (unsigned, signed)
}

/// Go's `parser.parseNumeric`: base-256 when the top bit of the first byte is set,
/// else octal.
fn parse_numeric(field: &[u8]) -> Option<i64> {
    let first = *field.first()?;
    if first & 0x80 != 0 {
        return parse_base256(field);
    }
    parse_octal(field)
}

/// Go's `parser.parseOctal`: NULs and spaces trimmed, empty means 0, the text ends at
/// the first NUL.
fn parse_octal(field: &[u8]) -> Option<i64> {
    let trimmed: &[u8] = trim(field);
    let text = trimmed.split(|&b| b == 0).next().unwrap_or_default();
    if trimmed.is_empty() {
        return Some(0);
    }
    let mut value: i64 = 0;
    for &digit in text {
        if !(b'0'..=b'7').contains(&digit) {
            return None;
        }
        value = value.checked_mul(8)?.checked_add(i64::from(digit - b'0'))?;
    }
    Some(value)
}

/// Base-256 (GNU) numbers: the first byte's top bit marks the format, bit 6 the sign.
fn parse_base256(field: &[u8]) -> Option<i64> {
    let first = field.first()?;
    let negative = first & 0x40 != 0;
    let pad: u8 = if negative { 0xff } else { 0x00 };
    let mut value: i64 = 0;
    for (i, &byte) in field.iter().enumerate() {
        let mut byte = byte ^ pad;
        if i == 0 {
            byte &= 0x7f;
        }
        if value >> 56 > 0 {
            return None; // overflow, as Go reports it
        }
        value = (value << 8) | i64::from(byte);
    }
    if value >> 63 > 0 {
        return None;
    }
    Some(if negative { !value } else { value })
}

/// Trims leading and trailing spaces and NULs (Go's `strings.Trim(s, " \x00")`).
fn trim(field: &[u8]) -> &[u8] {
    let is_pad = |b: &u8| *b == b' ' || *b == 0;
    let start = field.iter().position(|b| !is_pad(b)).unwrap_or(field.len());
    let end = field
        .iter()
        .rposition(|b| !is_pad(b))
        .map_or(start, |i| i + 1);
    &field[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ustar header for a regular file `name` of `size` bytes, checksum filled in.
    fn header(name: &str, size: u64, typeflag: u8) -> Vec<u8> {
        let mut block = vec![0u8; BLOCK];
        block[..name.len()].copy_from_slice(name.as_bytes());
        let octal = |value: u64, width: usize| {
            format!("{value:0width$o}\0", width = width - 1).into_bytes()
        };
        block[100..108].copy_from_slice(&octal(0o644, 8));
        block[108..116].copy_from_slice(&octal(0, 8));
        block[116..124].copy_from_slice(&octal(0, 8));
        block[124..136].copy_from_slice(&octal(size, 12));
        block[136..148].copy_from_slice(&octal(1_700_000_000, 12));
        block[156] = typeflag;
        block[257..263].copy_from_slice(b"ustar\0");
        block[263..265].copy_from_slice(b"00");
        let (sum, _) = checksums(&block);
        block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        block
    }

    fn with_data(mut block: Vec<u8>, data: &[u8]) -> Vec<u8> {
        let mut padded = data.to_vec();
        padded.resize(BLOCK, 0);
        block.extend(padded);
        block
    }

    #[test]
    fn compressed_magics() {
        assert!(is_archive(&[0x1F, 0x8B, 0x08, 0x00]));
        assert!(is_archive(b"BZh91AY"));
        assert!(is_archive(&[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00]));
        assert!(!is_archive(&[0x1F, 0x8B]));
    }

    #[test]
    fn plain_tar_is_an_archive() {
        let tar = with_data(header("Dockerfile", 16, b'0'), b"FROM busybox\n");
        assert!(is_archive(&tar));
        // Only the header block is needed.
        assert!(is_archive(&tar[..BLOCK]));
    }

    #[test]
    fn dockerfiles_and_junk_are_not() {
        assert!(!is_archive(b"FROM busybox\nRUN echo hi\n"));
        assert!(!is_archive(b""));
        let mut long = b"FROM busybox\n".repeat(100);
        long.truncate(1024);
        assert!(!is_archive(&long));
        assert!(!is_archive(&[0u8; 1024]));
    }

    #[test]
    fn bad_checksum_is_not_a_tar() {
        let mut block = header("Dockerfile", 16, b'0');
        block[0] = b'X';
        assert!(!is_archive(&block));
    }

    #[test]
    fn pax_header_needs_more_than_1024_bytes() {
        let pax = with_data(
            header("PaxHeaders/x", 30, b'x'),
            b"30 path=some/very/long/name\n",
        );
        assert!(!is_archive(&pax));
    }

    #[test]
    fn git_archive_global_header_is_an_archive() {
        let comment = "52 comment=0123456789abcdef0123456789abcdef01234567\n";
        let global = with_data(
            header("pax_global_header", comment.len() as u64, b'g'),
            comment.as_bytes(),
        );
        assert!(is_archive(&global));
        let broken = with_data(header("pax_global_header", 10, b'g'), b"99 x=y\n");
        assert!(!is_archive(&broken));
    }

    #[test]
    fn numeric_fields() {
        assert_eq!(parse_numeric(b"0000644\0"), Some(0o644));
        assert_eq!(parse_numeric(b"  \0\0"), Some(0));
        assert_eq!(parse_numeric(b"0000689\0"), None);
        assert_eq!(parse_numeric(&[0x80, 0, 0, 0, 0, 0, 0, 1]), Some(1));
        assert_eq!(parse_numeric(&[0xff; 8]), Some(-1));
    }
}
