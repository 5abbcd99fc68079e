//! Distribution names and the file names formed from them: the one place
//! where a wheel or an sdist gets its name.
//!
//! - PEP 508 names: ASCII letters, digits, `.`, `_`, `-`, starting and ending
//!   with a letter or digit.
//! - PEP 503 normalisation: lower case, every run of `-`, `_`, `.` one `-`.
//! - PEP 427 / PEP 625 file names: the normalised name with `_` for `-`, the
//!   normalised version, and for a wheel its compatibility tag.

/// The compatibility tag of a pure-Python, Python 3 wheel.
pub const PURE_PYTHON_3: &str = "py3-none-any";

/// The compressed tag of a "universal" wheel (`[bdist_wheel] universal = 1`):
/// Python 2 and 3.
pub const UNIVERSAL: &str = "py2.py3-none-any";

/// The tags a compressed tag set stands for (`py2.py3-none-any` is
/// `py2-none-any` and `py3-none-any`), as WHEEL lists them.
pub fn expand_tags(tag: &str) -> Vec<String> {
    let mut parts = tag.splitn(3, '-');
    let (python, abi, platform) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let mut tags = Vec::new();
    for p in python.split('.') {
        for a in abi.split('.') {
            for pl in platform.split('.') {
                tags.push(format!("{p}-{a}-{pl}"));
            }
        }
    }
    tags
}

/// Whether `name` is a valid distribution name (PEP 508).
pub fn is_valid(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// PEP 503 normalisation: `Invoke_AI` and `invoke.-ai` are both `invoke-ai`.
pub fn canonicalize(name: &str) -> String {
    collapse_separators(name, '-')
}

/// The name as it appears in wheel and sdist file names and in
/// `{name}-{version}.dist-info`: normalised, with `_` for separators.
pub fn escape(name: &str) -> String {
    collapse_separators(name, '_')
}

fn collapse_separators(name: &str, with: char) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push(with);
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// `{escaped name}-{version}`: the sdist's top folder and the stem of the
/// wheel's `.dist-info`. `version` must be normalised already.
pub fn stem(name: &str, version: &str) -> String {
    format!("{}-{version}", escape(name))
}

/// The wheel's file name for `tag` (e.g. [`PURE_PYTHON_3`]).
pub fn wheel_file(name: &str, version: &str, tag: &str) -> String {
    format!("{}-{tag}.whl", stem(name, version))
}

/// The sdist's file name (PEP 625).
pub fn sdist_file(name: &str, version: &str) -> String {
    format!("{}.tar.gz", stem(name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_like_pep_508() {
        assert!(is_valid("InvokeAI"));
        assert!(is_valid("a.b-c_d"));
        assert!(is_valid("x"));
        assert!(!is_valid("-a"));
        assert!(!is_valid("a-"));
        assert!(!is_valid("a b"));
        assert!(!is_valid(""));
        assert!(!is_valid("café"));
    }

    #[test]
    fn normalises_and_escapes() {
        assert_eq!(canonicalize("InvokeAI"), "invokeai");
        assert_eq!(canonicalize("Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(canonicalize("invoke.-_ai"), "invoke-ai");
        assert_eq!(escape("Invoke-AI"), "invoke_ai");
        assert_eq!(escape("my-pkg"), "my_pkg");
    }

    #[test]
    fn forms_file_names() {
        assert_eq!(
            wheel_file("InvokeAI", "6.10.0rc1", PURE_PYTHON_3),
            "invokeai-6.10.0rc1-py3-none-any.whl"
        );
        assert_eq!(
            wheel_file("a.b", "1.0", "py2.py3-none-any"),
            "a_b-1.0-py2.py3-none-any.whl"
        );
        assert_eq!(sdist_file("Invoke.-AI", "1.0"), "invoke_ai-1.0.tar.gz");
        assert_eq!(stem("demo", "1.0"), "demo-1.0");
    }
}
