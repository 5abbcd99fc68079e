//! Python's own notions, where our parsers must agree with Python-written
//! reference implementations (packaging) character for character.

/// The characters Python's `str.isspace()` (and `\s` in a str pattern)
/// accepts, as a regex class body: Unicode White_Space plus the separators
/// U+001C..U+001F. Spelled out (the space too, for verbose patterns), so no
/// Unicode tables are needed.
pub const SPACE_CLASS: &str = r"\t\n\x0B\x0C\r\x1C-\x1F\x20\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}";

/// Python's `str.isspace()` for one character.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\x0B'
            | '\x0C'
            | '\r'
            | '\x1C'..='\x1F'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

/// Run `python -c script` with `input` on its standard input (written from
/// a thread, so a large output cannot block it); its standard output. The
/// run must succeed. For tests that use Python as an independent reader.
#[cfg(test)]
pub fn run(python: &str, script: &str, input: Vec<u8>) -> Vec<u8> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {python}: {e}"));
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || pipe.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{python} -c failed");
    out.stdout
}

/// Run `script` with the development venv's Python (packaging, the
/// reference implementation, is installed there), one input per line on its
/// stdin; its output lines, one per input. For the differential tests.
#[cfg(test)]
pub fn oracle(script: &str, inputs: &[String]) -> Vec<String> {
    let python = crate::paths::Layout::new().venv_bin("python");
    assert!(
        python.is_file(),
        "{python} is missing; run `cargo xtask setup --python` (packaging is the oracle)"
    );
    let stdin: String = inputs.iter().map(|i| format!("{i}\n")).collect();
    let out = run(python.as_str(), script, stdin.into_bytes());
    let lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), inputs.len(), "one answer per input");
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_and_the_function_agree() {
        let re = regex::Regex::new(&format!("^[{SPACE_CLASS}]$")).unwrap();
        for c in (0u32..0x3100).filter_map(char::from_u32) {
            assert_eq!(re.is_match(&c.to_string()), is_space(c), "{c:?}");
        }
    }
}
