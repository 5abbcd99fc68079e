//! PEP 508 dependency specifiers, validated as the reference implementation
//! (Python's `packaging`, which pip and setuptools use) reads them: the same
//! grammar, the same tokens, the same leniencies (a trailing comma in a
//! specifier list, `os.name` for `os_name`), so a string is refused here
//! exactly when `packaging.requirements.Requirement` would refuse it. A
//! differential test runs packaging itself on thousands of generated
//! strings. Rendering is the `reqs` module's job; this module only says yes, or
//! no with the reason and the character where reading stopped.
//!
//! One deliberate difference: quoted marker values holding a backslash are
//! refused (packaging evaluates them as Python literals; setuptools' way of
//! writing them back is not reproduced).

use std::sync::OnceLock;

use regex::Regex;

use crate::util::python;

/// Why a string is not a dependency specifier, and where (a byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub message: String,
    pub at: usize,
}

fn invalid<T>(message: impl Into<String>, at: usize) -> Result<T, Invalid> {
    Err(Invalid {
        message: message.into(),
        at,
    })
}

/// One version specifier (`>=1.0`, `==2.*`, `===anything`), with the
/// surrounding whitespace `packaging.specifiers.Specifier` allows.
fn specifier_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let pre = r"(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?";
        let post = r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?";
        let dev = r"(?:[-_.]?dev[-_.]?[0-9]*)?";
        let local = r"(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?";
        let space = format!("(?-i:(?u:[{}]))", python::SPACE_CLASS);
        let arbitrary = format!("(?-i:(?u:[^{};)]))", python::SPACE_CLASS);
        let body = format!(
            r"(?:==={space}*{arbitrary}+|(?:==|!=){space}*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:\.\*|{pre}{post}{dev}{local})|~={space}*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+{pre}{post}{dev}|(?:<=|>=|<|>){space}*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*{pre}{post}{dev})"
        );
        Regex::new(&format!(r"(?i-u)\A{body}")).expect("the specifier pattern is valid")
    })
}

/// One version specifier: its operator and its version text (`.*` kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specifier {
    pub op: &'static str,
    pub version: String,
}

/// The operators, longest first.
const SPECIFIER_OPS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

/// A comma-separated specifier list, as `packaging.specifiers.SpecifierSet`
/// reads it (empty items ignored).
pub fn specifier_set(text: &str) -> Result<Vec<Specifier>, String> {
    text.split(',')
        .map(|s| s.trim_matches(python::is_space))
        .filter(|s| !s.is_empty())
        .map(|s| {
            if !is_specifier(s) {
                return Err(format!("{s:?} is not a PEP 440 version specifier"));
            }
            let op = SPECIFIER_OPS
                .into_iter()
                .find(|op| s.starts_with(op))
                .expect("a specifier starts with its operator");
            Ok(Specifier {
                op,
                version: s[op.len()..].trim_matches(python::is_space).to_owned(),
            })
        })
        .collect()
}

/// The specifier at the start of `text`, if any (its length).
fn specifier_at(text: &str) -> Option<usize> {
    specifier_pattern().find(text).map(|m| m.end())
}

/// Whether `text` is exactly one specifier, whitespace around allowed
/// (`packaging.specifiers.Specifier(text)`).
fn is_specifier(text: &str) -> bool {
    let trimmed = text.trim_matches(python::is_space);
    specifier_at(trimmed) == Some(trimmed.len()) && !trimmed.is_empty()
}

/// A word character to Python's `\b` (Unicode letters and digits, `_`).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

const VARIABLES: [&str; 17] = [
    "python_version",
    "python_full_version",
    "os_name",
    "os.name",
    "sys_platform",
    "sys.platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform.version",
    "platform_machine",
    "platform.machine",
    "platform_python_implementation",
    "platform.python_implementation",
    "python_implementation",
    "implementation_name",
    "implementation_version",
];

/// Marker variables added after PEP 508 (extras, dependency groups).
const MORE_VARIABLES: [&str; 3] = ["extra", "extras", "dependency_groups"];

struct Reader<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn at_end(&self) -> bool {
        self.at == self.s.len()
    }

    /// `[ \t]+`; whether any was read.
    fn ws(&mut self) -> bool {
        let n = self.rest().len() - self.rest().trim_start_matches([' ', '\t']).len();
        self.at += n;
        n > 0
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Whether a word boundary (`\b`) lies at byte `at`.
    fn boundary(&self, at: usize) -> bool {
        let before = self.s[..at].chars().next_back().is_some_and(is_word);
        let after = self.s[at..].chars().next().is_some_and(is_word);
        before != after
    }

    /// `\b[a-zA-Z0-9][a-zA-Z0-9._-]*\b`, as Python's regex engine matches it
    /// (backing off to the last boundary).
    fn identifier(&self) -> Option<usize> {
        if !self.boundary(self.at) || !self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let run = self
            .rest()
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            .count();
        (1..=run).rev().find(|&n| self.boundary(self.at + n))
    }

    /// A keyword (`and`, `or`, `in`, `not`) between word boundaries.
    fn keyword(&self, word: &str) -> bool {
        self.rest().starts_with(word)
            && self.boundary(self.at)
            && self.boundary(self.at + word.len())
    }
}

/// Validate a dependency specifier.
pub fn validate(input: &str) -> Result<(), Invalid> {
    let mut r = Reader { s: input, at: 0 };
    r.ws();
    let Some(n) = r.identifier() else {
        return invalid(
            "Expected package name at the start of dependency specifier",
            r.at,
        );
    };
    r.at += n;
    r.ws();
    extras(&mut r)?;
    details(&mut r)?;
    if !r.at_end() {
        return invalid("Expected end of dependency specifier", r.at);
    }
    Ok(())
}

fn extras(r: &mut Reader<'_>) -> Result<(), Invalid> {
    if !r.eat('[') {
        return Ok(());
    }
    let open = r.at - 1;
    r.ws();
    if let Some(n) = r.identifier() {
        r.at += n;
        loop {
            r.ws();
            if r.identifier().is_some() {
                return invalid("Expected comma between extra names", r.at);
            }
            if !r.eat(',') {
                break;
            }
            r.ws();
            let Some(n) = r.identifier() else {
                return invalid("Expected extra name after comma", r.at);
            };
            r.at += n;
        }
    }
    r.ws();
    if !r.eat(']') {
        return invalid(
            "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras",
            open,
        );
    }
    r.ws();
    Ok(())
}

fn details(r: &mut Reader<'_>) -> Result<(), Invalid> {
    if r.eat('@') {
        r.ws();
        let url = r.rest().len() - r.rest().trim_start_matches(|c| !python::is_space(c)).len();
        if url == 0 {
            return invalid("Expected URL after @", r.at);
        }
        r.at += url;
        if r.at_end() {
            return Ok(());
        }
        if !r.ws() {
            return invalid("Expected whitespace after URL", r.at);
        }
        if r.at_end() {
            return Ok(());
        }
        return requirement_marker(r, "semicolon (after URL and whitespace)");
    }
    let had_specifier = specifier(r)?;
    if r.at_end() {
        return Ok(());
    }
    requirement_marker(
        r,
        if had_specifier {
            "comma (within version specifier), semicolon (after version specifier)"
        } else {
            "semicolon (after name with no version specifier)"
        },
    )
}

fn requirement_marker(r: &mut Reader<'_>, expected: &str) -> Result<(), Invalid> {
    if !r.eat(';') {
        return invalid(format!("Expected {expected} or end"), r.at);
    }
    marker(r, 0)
}

/// The specifier part; whether there was one.
fn specifier(r: &mut Reader<'_>) -> Result<bool, Invalid> {
    if !r.eat('(') {
        return version_many(r);
    }
    let open = r.at - 1;
    r.ws();
    let any = version_many(r)?;
    if !r.eat(')') {
        return invalid(
            "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier",
            open,
        );
    }
    r.ws();
    Ok(any)
}

/// `version_many`: first the whole list as `SpecifierSet` reads it, else one
/// specifier at a time (which either reads the same or stops early).
fn version_many(r: &mut Reader<'_>) -> Result<bool, Invalid> {
    if r.at_end() {
        return Ok(false);
    }
    let list = specifier_list_token(r.rest());
    if let Some(text) = list.filter(|t| !t.is_empty()) {
        let items: Vec<&str> = text
            .split(',')
            .map(|s| s.trim_matches(python::is_space))
            .filter(|s| !s.is_empty())
            .collect();
        let commas = text.matches(',').count();
        let counts_agree = items.len() == commas + 1
            || (!items.is_empty()
                && items.len() == commas
                && text.trim_end_matches([' ', '\t']).ends_with(','));
        if items.iter().all(|s| is_specifier(s)) && counts_agree {
            r.at += text.len();
            return Ok(!items.is_empty());
        }
    }
    let mut any = false;
    let mut parsed = String::new();
    let first = r.at;
    while let Some(n) = specifier_at(r.rest()) {
        let start = r.at;
        let spec = &r.rest()[..n];
        parsed.push_str(spec);
        r.at += n;
        any = true;
        if r.rest().starts_with(".*") {
            let message =
                if spec.starts_with("!=") || (spec.starts_with("==") && !spec.starts_with("===")) {
                    ".* suffix cannot be used with pre-release, post-release, dev or local versions"
                } else {
                    ".* suffix can only be used with `==` or `!=` operators"
                };
            return invalid(message, start);
        }
        if local_label_at(r.rest()) {
            return invalid(
                "Local version label can only be used with `==` or `!=` operators",
                start,
            );
        }
        r.ws();
        if !r.eat(',') {
            break;
        }
        parsed.push(',');
        r.ws();
    }
    // What was read is then handed to `SpecifierSet`, which splits it on
    // commas: an arbitrary `===` version that swallowed a comma is re-read.
    if let Some(bad) = parsed
        .split(',')
        .map(|s| s.trim_matches(python::is_space))
        .find(|s| !s.is_empty() && !is_specifier(s))
    {
        return invalid(format!("Invalid specifier: {bad:?}"), first);
    }
    Ok(any)
}

/// `[\t\x20-\x28\x2a-\x3a\x3c-\x7e]*(?=[;)]|\Z)` at the start of `text`.
fn specifier_list_token(text: &str) -> Option<&str> {
    let run = text
        .bytes()
        .take_while(|&b| b == b'\t' || ((0x20..=0x7e).contains(&b) && b != b')' && b != b';'))
        .count();
    match text.as_bytes().get(run) {
        None | Some(b';') | Some(b')') => Some(&text[..run]),
        _ => None,
    }
}

/// `\+[a-z0-9]+(?:[-_.][a-z0-9]+)*` (case-sensitive) at the start of `text`.
fn local_label_at(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next() == Some(b'+')
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

const MAX_NESTING: usize = 200;

fn marker(r: &mut Reader<'_>, depth: usize) -> Result<(), Invalid> {
    marker_atom(r, depth)?;
    loop {
        if r.keyword("and") {
            r.at += 3;
        } else if r.keyword("or") {
            r.at += 2;
        } else {
            return Ok(());
        }
        marker_atom(r, depth)?;
    }
}

fn marker_atom(r: &mut Reader<'_>, depth: usize) -> Result<(), Invalid> {
    r.ws();
    if r.peek() == Some('(') {
        if depth >= MAX_NESTING {
            return invalid(
                format!("Marker expression is nested more than {MAX_NESTING} levels deep"),
                r.at,
            );
        }
        let open = r.at;
        r.at += 1;
        marker(r, depth + 1)?;
        if !r.eat(')') {
            return invalid(
                "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression",
                open,
            );
        }
    } else {
        marker_var(r)?;
        r.ws();
        marker_op(r)?;
        r.ws();
        marker_var(r)?;
    }
    r.ws();
    Ok(())
}

fn marker_var(r: &mut Reader<'_>) -> Result<(), Invalid> {
    if r.boundary(r.at) {
        let longest = VARIABLES
            .iter()
            .chain(&MORE_VARIABLES)
            .filter(|v| r.rest().starts_with(**v) && r.boundary(r.at + v.len()))
            .map(|v| v.len())
            .max();
        if let Some(n) = longest {
            r.at += n;
            return Ok(());
        }
    }
    if let Some(quote) = r.peek().filter(|c| matches!(c, '\'' | '"')) {
        let body = &r.rest()[1..];
        if let Some(end) = body.find(quote) {
            let value = &body[..end];
            if value.contains('\\') {
                return invalid(
                    "Backslashes in marker strings are not supported by this builder",
                    r.at,
                );
            }
            // Python reads the value as a string literal: a line break or
            // a NUL cannot stand in one.
            if value.contains(['\n', '\r', '\0']) {
                return invalid("Invalid quoted string", r.at);
            }
            r.at += end + 2;
            return Ok(());
        }
    }
    invalid("Expected a marker variable or quoted string", r.at)
}

fn marker_op(r: &mut Reader<'_>) -> Result<(), Invalid> {
    if r.keyword("in") {
        r.at += 2;
        return Ok(());
    }
    if r.keyword("not") {
        r.at += 3;
        if !r.ws() {
            return invalid("Expected whitespace after 'not'", r.at);
        }
        if !r.keyword("in") {
            return invalid("Expected 'in' after 'not'", r.at);
        }
        r.at += 2;
        return Ok(());
    }
    for op in ["===", "==", "~=", "!=", "<=", ">=", "<", ">"] {
        if r.rest().starts_with(op) {
            r.at += op.len();
            return Ok(());
        }
    }
    invalid(
        "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in",
        r.at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_packaging_accepts() {
        for ok in [
            "requests",
            "requests[security,socks] >=2.8.1, ==2.8.*",
            "name (>=1.0,<2)",
            "pkg @ https://example.com/pkg.zip ; python_version < \"3.12\"",
            "pkg@https://x/y.whl",
            "pkg>=1.0,",
            "pkg ; os.name == 'nt' and (extra == \"a\" or sys_platform != 'win32')",
            "pkg; 'a' in extras",
            "pkg===foo",
            "a_",
            " pkg",
            "pkg[]",
            // The URL is everything up to whitespace, `;` included.
            "pkg @ url;python_version>'3'",
        ] {
            assert!(validate(ok).is_ok(), "{ok:?}: {:?}", validate(ok));
        }
    }

    #[test]
    fn refuses_what_packaging_refuses_and_says_where() {
        for (bad, why) in [
            ("", "package name"),
            ("-pkg", "package name"),
            ("pkg-", "semicolon (after name with no version specifier)"),
            ("pkg >= 1.0.*", ".* suffix can only be used"),
            ("pkg == 1.0a1.*", "cannot be used with pre-release"),
            ("pkg > 1.0+local", "Local version label"),
            ("pkg[a b]", "comma between extra names"),
            ("pkg[a", "RIGHT_BRACKET"),
            ("pkg ; platform == 'x'", "marker variable or quoted string"),
            ("pkg ; os_name = 'x'", "marker operator"),
            ("pkg ; os_name not 'x'", "'in' after 'not'"),
            ("pkg >=1.0 python_version", "semicolon"),
            ("pkg ~= 1", "semicolon"),
            ("pkg ; os_name == 'a\\\\b'", "Backslashes"),
        ] {
            let err = validate(bad).unwrap_err();
            assert!(err.message.contains(why), "{bad:?}: {err:?}");
        }
    }

    use crate::util::rng::Rng;

    /// A dependency string as people (and generators of pyproject.toml
    /// files) write them, with the usual slips.
    fn random_requirement(rng: &mut Rng) -> String {
        const NAMES: &[&str] = &[
            "requests",
            "Pillow",
            "zope.interface",
            "typing_extensions",
            "a",
            "x-y",
            "a_",
            "-bad",
            "pkg-",
            "9lives",
            "é",
            "",
        ];
        const EXTRAS: &[&str] = &[
            "",
            "",
            "",
            "[security]",
            "[a,b]",
            "[ a , b ]",
            "[]",
            "[a b]",
            "[a,]",
            "[a",
            "[-x]",
            "[a.b_c-d]",
        ];
        const OPS: &[&str] = &["==", ">=", "<=", "!=", "~=", "<", ">", "===", "=", "=>", ""];
        const VERSIONS: &[&str] = &[
            "1.0",
            "2",
            "1.0.*",
            "1.0a1",
            "1.0.post1",
            "1.0.dev0",
            "1.0+local",
            "v1.0",
            "1!2.0",
            "1.0-1",
            "foo",
            "1..0",
            "1.*.0",
            "2.0rc1.*",
            "1.0 ",
            " 1.0",
        ];
        const MARKER_VARS: &[&str] = &[
            "python_version",
            "os_name",
            "os.name",
            "sys_platform",
            "sys.platform",
            "platform_machine",
            "platform.python_implementation",
            "python_implementation",
            "extra",
            "extras",
            "implementation_name",
            "platform",
            "python",
            "dependency_groups",
        ];
        const MARKER_OPS: &[&str] = &[
            "==", "!=", "<", ">=", "in", "not in", "not  in", "notin", "=", "===", "~=",
        ];
        const VALUES: &[&str] = &[
            "'3.12'", "\"nt\"", "'linux'", "\"a b\"", "'x", "\"\"", "'é'", "'\t'",
        ];
        const SPACE: &[&str] = &["", "", " ", "  ", "\t"];
        let mut s = String::new();
        s.push_str(rng.pick(SPACE));
        s.push_str(rng.pick(NAMES));
        s.push_str(rng.pick(SPACE));
        s.push_str(rng.pick(EXTRAS));
        s.push_str(rng.pick(SPACE));
        match rng.below(10) {
            0 => {
                s.push('@');
                s.push_str(rng.pick(SPACE));
                s.push_str(rng.pick(&["https://h/p.whl", "file:///x", "", "git+https://h/r@v1"]));
                s.push_str(rng.pick(SPACE));
            }
            1..=6 => {
                let paren = rng.below(4) == 0;
                if paren {
                    s.push('(');
                }
                let n = 1 + rng.below(3);
                for i in 0..n {
                    if i > 0 {
                        s.push_str(rng.pick(&[",", ", ", " ,", ",,"]));
                    }
                    s.push_str(rng.pick(OPS));
                    s.push_str(rng.pick(SPACE));
                    s.push_str(rng.pick(VERSIONS));
                }
                if rng.below(8) == 0 {
                    s.push(',');
                }
                if paren && rng.below(6) != 0 {
                    s.push(')');
                }
                s.push_str(rng.pick(SPACE));
            }
            _ => {}
        }
        if rng.below(2) == 0 {
            s.push(';');
            let atoms = 1 + rng.below(3);
            for i in 0..atoms {
                if i > 0 {
                    s.push_str(rng.pick(&[" and ", " or ", " and", "and ", " AND "]));
                }
                let paren = rng.below(5) == 0;
                if paren {
                    s.push('(');
                }
                s.push_str(rng.pick(SPACE));
                let (l, r) = if rng.below(2) == 0 {
                    (rng.pick(MARKER_VARS), rng.pick(VALUES))
                } else {
                    (rng.pick(VALUES), rng.pick(MARKER_VARS))
                };
                s.push_str(l);
                s.push_str(rng.pick(SPACE));
                s.push_str(rng.pick(MARKER_OPS));
                s.push_str(rng.pick(SPACE));
                s.push_str(r);
                if paren {
                    s.push(')');
                }
            }
            s.push_str(rng.pick(SPACE));
        }
        s
    }

    const ORACLE: &str = r#"
import json, sys
from packaging.requirements import InvalidRequirement, Requirement
for line in sys.stdin:
    text = json.loads(line)
    try:
        Requirement(text)
        print("true")
    except InvalidRequirement:
        print("false")
"#;

    /// Differential test against `packaging.requirements.Requirement` from
    /// the development venv: the same verdict on every generated string.
    #[test]
    fn agrees_with_packaging_on_generated_requirements() {
        const COUNT: usize = 6000;
        let mut rng = Rng::new(0x0508_0508);
        let inputs: Vec<String> = (0..COUNT).map(|_| random_requirement(&mut rng)).collect();
        let json: Vec<String> = inputs
            .iter()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect();
        let verdicts: Vec<bool> = crate::util::python::oracle(ORACLE, &json)
            .iter()
            .map(|l| l == "true")
            .collect();
        let mut differ = Vec::new();
        for (text, theirs) in inputs.iter().zip(&verdicts) {
            let ours = validate(text);
            if ours.is_ok() != *theirs {
                differ.push(format!("{text:?}: packaging {theirs}, ours {ours:?}"));
            }
        }
        let valid = verdicts.iter().filter(|v| **v).count();
        assert!(
            differ.is_empty(),
            "{} of {COUNT} verdicts differ from packaging:\n{}",
            differ.len(),
            differ[..differ.len().min(25)].join("\n")
        );
        assert!(
            valid > COUNT / 10 && valid < COUNT * 9 / 10,
            "{valid} valid"
        );
    }
}
