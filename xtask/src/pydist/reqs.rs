//! Dependency strings (PEP 508) and version specifiers (PEP 440) as they
//! appear in core metadata.
//!
//! Validation is [`super::pep508`]'s (packaging's grammar).
//! Rendering follows the form
//! setuptools writes (that of the Python `packaging` library's `str()`): the
//! name and versions as the author spelled them, extras sorted, specifiers
//! sorted and joined by `,`, `; ` before the marker, marker operands quoted
//! with `"` and spaced, `os.name`-style variables spelled `os_name`, and the
//! author's grouping of `and`/`or` kept: the validated string is re-read
//! here by a small lexer that keeps the spelling.

use super::pep508;

/// A validated requirement, ready to be written as `Requires-Dist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Req {
    /// Name, extras, and specifiers or URL, as rendered.
    head: String,
    has_url: bool,
    marker: Option<Vec<MNode>>,
}

/// One element of a marker list, as the Python `packaging` library holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MNode {
    /// `lhs op rhs`, each already serialised.
    Item(String, String, String),
    /// A parenthesised group (or the implicit top-level list).
    Group(Vec<MNode>),
    /// `and` / `or`.
    Bool(&'static str),
}

impl Req {
    /// Validate `input` and keep it for rendering. The error is one line.
    pub fn parse(input: &str) -> Result<Req, String> {
        if let Err(err) = pep508::validate(input) {
            let column = input
                .char_indices()
                .position(|(i, _)| i >= err.at)
                .unwrap_or(input.chars().count());
            return Err(format!("{} (at character {})", err.message, column + 1));
        }
        lex_requirement(input)
    }

    /// `Requires-Dist` value for a plain dependency.
    pub fn render(&self) -> String {
        let mut out = self.head.clone();
        if let Some(marker) = &self.marker {
            if self.has_url {
                out.push(' ');
            }
            out.push_str("; ");
            out.push_str(&format_marker_list(marker));
        }
        out
    }

    /// `Requires-Dist` value for a dependency of the extra `extra` (already
    /// normalised): the marker becomes `(marker) and extra == "extra"`,
    /// re-read and re-rendered as setuptools does.
    pub fn render_for_extra(&self, extra: &str) -> String {
        let quoted = python_repr(extra);
        let combined = match &self.marker {
            Some(marker) => format!("({}) and extra == {quoted}", format_marker_list(marker)),
            None => format!("extra == {quoted}"),
        };
        let marker = parse_marker(&combined).unwrap_or_else(|_| {
            vec![MNode::Item(
                "extra".into(),
                "==".into(),
                serialize_value(extra),
            )]
        });
        Req {
            head: self.head.clone(),
            has_url: self.has_url,
            marker: Some(marker),
        }
        .render()
    }
}

/// Python's `repr()` of a simple string (what setuptools interpolates).
fn python_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// setuptools' `safe_extra`: runs of non-alphanumerics become `-`, trimmed,
/// lower case (PEP 685).
pub fn safe_extra(extra: &str) -> String {
    let mut out = String::new();
    let mut in_sep = false;
    for c in extra.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            in_sep = false;
        } else if !in_sep {
            out.push('-');
            in_sep = true;
        }
    }
    out.trim_matches('-').to_owned()
}

const OPERATORS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

/// Render a specifier list (`>= 1.0, <2`) as `packaging.SpecifierSet` does:
/// each trimmed, sorted, de-duplicated, joined by `,`.
pub fn render_specifiers(text: &str) -> String {
    let mut specs: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let op = OPERATORS
                .iter()
                .find(|op| s.starts_with(*op))
                .copied()
                .unwrap_or("");
            format!("{op}{}", s[op.len()..].trim())
        })
        .collect();
    specs.sort();
    specs.dedup();
    specs.join(",")
}

/// Validate a `requires-python` value and render it.
pub fn requires_python(text: &str) -> Result<String, String> {
    pep508::specifier_set(text)?;
    Ok(render_specifiers(text))
}

struct Lexer<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Lexer<'a> {
    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' {
                self.i += 1;
            } else {
                break;
            }
        }
    }
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.i += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.i;
        while let Some(c) = self.peek() {
            if f(c) {
                self.i += c.len_utf8();
            } else {
                break;
            }
        }
        &self.s[start..self.i]
    }
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }
}

fn lex_requirement(input: &str) -> Result<Req, String> {
    let mut lx = Lexer { s: input, i: 0 };
    lx.ws();
    let name = lx.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if name.is_empty() {
        return Err("expected a package name".into());
    }
    let mut head = name.to_owned();
    lx.ws();
    if lx.eat('[') {
        let inner = lx.take_while(|c| c != ']');
        if !lx.eat(']') {
            return Err("unclosed `[` in extras".into());
        }
        let mut extras: Vec<&str> = inner
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        extras.sort();
        extras.dedup();
        if !extras.is_empty() {
            head.push('[');
            head.push_str(&extras.join(","));
            head.push(']');
        }
    }
    lx.ws();
    let mut has_url = false;
    if lx.eat('@') {
        lx.ws();
        let url = lx.take_while(|c| !c.is_whitespace());
        head.push_str(" @ ");
        head.push_str(url);
        has_url = true;
        lx.ws();
    } else {
        let specs = if lx.eat('(') {
            let inner = lx.take_while(|c| c != ')');
            if !lx.eat(')') {
                return Err("unclosed `(` around the version specifiers".into());
            }
            inner
        } else {
            lx.take_while(|c| c != ';')
        };
        head.push_str(&render_specifiers(specs));
        lx.ws();
    }
    let marker = if lx.eat(';') {
        Some(parse_marker(lx.rest())?)
    } else {
        if !lx.rest().trim().is_empty() {
            return Err(format!("unexpected text {:?}", lx.rest().trim()));
        }
        None
    };
    Ok(Req {
        head,
        has_url,
        marker,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum MTok {
    Open,
    Close,
    Str(String),
    Var(String),
    Op(String),
    Bool(&'static str),
}

fn marker_tokens(text: &str) -> Result<Vec<MTok>, String> {
    let mut lx = Lexer { s: text, i: 0 };
    let mut toks = Vec::new();
    loop {
        lx.take_while(char::is_whitespace);
        let Some(c) = lx.peek() else { break };
        if lx.eat('(') {
            toks.push(MTok::Open);
        } else if lx.eat(')') {
            toks.push(MTok::Close);
        } else if c == '"' || c == '\'' {
            lx.eat(c);
            let value = lx.take_while(|x| x != c);
            if !lx.eat(c) {
                return Err("unterminated string in the marker".into());
            }
            if value.contains('\\') {
                return Err("backslashes in marker strings are not supported".into());
            }
            toks.push(MTok::Str(value.to_owned()));
        } else if let Some(op) = OPERATORS.iter().find(|op| lx.rest().starts_with(*op)) {
            lx.i += op.len();
            toks.push(MTok::Op((*op).to_owned()));
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let word = lx.take_while(|x| x.is_ascii_alphanumeric() || x == '_' || x == '.');
            match word {
                "and" => toks.push(MTok::Bool("and")),
                "or" => toks.push(MTok::Bool("or")),
                "in" => toks.push(MTok::Op("in".into())),
                "not" => {
                    lx.take_while(char::is_whitespace);
                    let next = lx.take_while(|x| x.is_ascii_alphanumeric());
                    if next != "in" {
                        return Err("expected `in` after `not` in the marker".into());
                    }
                    toks.push(MTok::Op("not in".into()));
                }
                var => {
                    let var = var.replace('.', "_");
                    let var = if var == "python_implementation" {
                        "platform_python_implementation".to_owned()
                    } else {
                        var
                    };
                    toks.push(MTok::Var(var));
                }
            }
        } else {
            return Err(format!("unexpected {c:?} in the marker"));
        }
    }
    Ok(toks)
}

fn parse_marker(text: &str) -> Result<Vec<MNode>, String> {
    let toks = marker_tokens(text)?;
    let mut pos = 0;
    let list = parse_marker_list(&toks, &mut pos)?;
    if pos != toks.len() {
        return Err("unexpected text after the marker".into());
    }
    Ok(list)
}

fn parse_marker_list(toks: &[MTok], pos: &mut usize) -> Result<Vec<MNode>, String> {
    let mut list = vec![parse_marker_atom(toks, pos)?];
    while let Some(MTok::Bool(b)) = toks.get(*pos) {
        *pos += 1;
        list.push(MNode::Bool(b));
        list.push(parse_marker_atom(toks, pos)?);
    }
    Ok(list)
}

fn parse_marker_atom(toks: &[MTok], pos: &mut usize) -> Result<MNode, String> {
    if toks.get(*pos) == Some(&MTok::Open) {
        *pos += 1;
        let inner = parse_marker_list(toks, pos)?;
        if toks.get(*pos) != Some(&MTok::Close) {
            return Err("unclosed `(` in the marker".into());
        }
        *pos += 1;
        return Ok(MNode::Group(inner));
    }
    let lhs = toks.get(*pos).cloned();
    let op = toks.get(*pos + 1).cloned();
    let rhs = toks.get(*pos + 2).cloned();
    *pos += 3;
    let (Some(lhs), Some(MTok::Op(op)), Some(rhs)) = (lhs, op, rhs) else {
        return Err("expected `variable operator value` in the marker".into());
    };
    let is_extra = |t: &MTok| matches!(t, MTok::Var(v) if v == "extra");
    let operand = |t: &MTok, other: &MTok| -> Result<String, String> {
        match t {
            MTok::Var(v) => Ok(v.clone()),
            MTok::Str(s) if is_extra(other) => Ok(serialize_value(&super::names::canonicalize(s))),
            MTok::Str(s) if matches!(other, MTok::Var(v) if v == "extras" || v == "dependency_groups") => {
                Ok(serialize_value(&super::names::canonicalize(s)))
            }
            MTok::Str(s) => Ok(serialize_value(s)),
            _ => Err("expected a marker variable or a quoted string".into()),
        }
    };
    Ok(MNode::Item(operand(&lhs, &rhs)?, op, operand(&rhs, &lhs)?))
}

fn serialize_value(v: &str) -> String {
    if !v.contains('"') {
        format!("\"{v}\"")
    } else {
        format!("'{v}'")
    }
}

fn format_marker_list(list: &[MNode]) -> String {
    format_marker(&MNode::Group(list.to_vec()), true)
}

/// `packaging.markers._format_marker`.
fn format_marker(node: &MNode, first: bool) -> String {
    match node {
        MNode::Item(l, op, r) => format!("{l} {op} {r}"),
        MNode::Bool(b) => (*b).to_owned(),
        MNode::Group(items) => {
            if items.len() == 1 && !matches!(items[0], MNode::Bool(_)) {
                return format_marker(&items[0], first);
            }
            let inner: Vec<String> = items.iter().map(|m| format_marker(m, false)).collect();
            if first {
                inner.join(" ")
            } else {
                format!("({})", inner.join(" "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings are what `packaging` 26 prints for the same input
    /// (`str(Requirement(s))`, and the marker setuptools builds for an extra).
    #[test]
    fn renders_like_packaging() {
        let cases = [
            (
                r#"foo >= 1.0 , < 2 ; python_version<"3.11""#,
                r#"foo<2,>=1.0; python_version < "3.11""#,
                r#"foo<2,>=1.0; python_version < "3.11" and extra == "dev""#,
            ),
            (
                "Foo_Bar[b,a]",
                "Foo_Bar[a,b]",
                r#"Foo_Bar[a,b]; extra == "dev""#,
            ),
            (
                r#"x @ https://a/b.whl ; os_name=="nt""#,
                r#"x @ https://a/b.whl ; os_name == "nt""#,
                r#"x @ https://a/b.whl ; os_name == "nt" and extra == "dev""#,
            ),
            (
                r#"y; (platform_system=="Linux" or os.name=="nt") and python_version>="3""#,
                r#"y; (platform_system == "Linux" or os_name == "nt") and python_version >= "3""#,
                r#"y; ((platform_system == "Linux" or os_name == "nt") and python_version >= "3") and extra == "dev""#,
            ),
            (
                "z ~= 1.2.0RC1",
                "z~=1.2.0RC1",
                r#"z~=1.2.0RC1; extra == "dev""#,
            ),
            ("q (>=1.0)", "q>=1.0", r#"q>=1.0; extra == "dev""#),
            (
                "u; 'linux' in sys_platform",
                r#"u; "linux" in sys_platform"#,
                r#"u; "linux" in sys_platform and extra == "dev""#,
            ),
            (
                r#"n; os_name not   in "x""#,
                r#"n; os_name not in "x""#,
                r#"n; os_name not in "x" and extra == "dev""#,
            ),
            (
                r#"a; python_version < "3.8" or python_version > "3.10" and os_name == "nt""#,
                r#"a; python_version < "3.8" or python_version > "3.10" and os_name == "nt""#,
                r#"a; (python_version < "3.8" or python_version > "3.10" and os_name == "nt") and extra == "dev""#,
            ),
            (
                r#"b; (python_version < "3.8")"#,
                r#"b; python_version < "3.8""#,
                r#"b; python_version < "3.8" and extra == "dev""#,
            ),
            (
                r#"d; python_implementation=="CPython""#,
                r#"d; platform_python_implementation == "CPython""#,
                r#"d; platform_python_implementation == "CPython" and extra == "dev""#,
            ),
            (
                r#"e[X_Y] >=1 ; extra == "Foo_Bar""#,
                r#"e[X_Y]>=1; extra == "foo-bar""#,
                r#"e[X_Y]>=1; extra == "foo-bar" and extra == "dev""#,
            ),
            (
                "g!=1.0,!=1.1,>0",
                "g!=1.0,!=1.1,>0",
                r#"g!=1.0,!=1.1,>0; extra == "dev""#,
            ),
            (
                "h@file:///tmp/x",
                "h @ file:///tmp/x",
                r#"h @ file:///tmp/x ; extra == "dev""#,
            ),
            (
                r#"k ; python_version >= "3" and (os_name == "a" or os_name == "b")"#,
                r#"k; python_version >= "3" and (os_name == "a" or os_name == "b")"#,
                r#"k; (python_version >= "3" and (os_name == "a" or os_name == "b")) and extra == "dev""#,
            ),
        ];
        for (input, plain, extra) in cases {
            let req = Req::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(req.render(), plain, "{input}");
            assert_eq!(req.render_for_extra("dev"), extra, "{input}");
        }
    }

    #[test]
    fn invalid_requirements_are_refused_with_a_position() {
        let err = Req::parse("foo >= ").unwrap_err();
        assert!(err.contains("at character"), "{err}");
        assert!(Req::parse("foo; bogus == '1'").is_err());
        assert!(Req::parse("-foo").is_err());
    }

    #[test]
    fn names_and_extras_normalise() {
        assert_eq!(safe_extra("Dev_Tools"), "dev-tools");
        assert_eq!(safe_extra("a..b--"), "a-b");
    }

    #[test]
    fn requires_python_is_sorted_and_compact() {
        assert_eq!(requires_python(">= 3.8, <4").unwrap(), "<4,>=3.8");
        assert_eq!(requires_python(">=3.10").unwrap(), ">=3.10");
        assert!(requires_python(">=3.x").is_err());
    }
}
