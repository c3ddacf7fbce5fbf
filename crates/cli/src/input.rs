//! Reading a Dockerfile from a path or standard input (`-`).

use std::io::Read;

/// A Dockerfile's name (for messages) and text.
pub struct Input {
    pub name: String,
    pub text: String,
}

/// Reads `path` (or stdin for `-`). Invalid UTF-8 is refused with the line it is on:
/// silently replacing bytes would change what the Dockerfile means.
pub fn read(path: &str) -> Result<Input, String> {
    let (name, bytes) = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("-: cannot read standard input: {e}"))?;
        ("-".to_string(), bytes)
    } else {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
        (path.to_string(), bytes)
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Input { name, text }),
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let bytes = err.as_bytes();
            let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
            let column = 1 + valid
                - bytes[..valid]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
            Err(format!(
                "{name}:{line}:{column}: Dockerfile is not valid UTF-8"
            ))
        }
    }
}
