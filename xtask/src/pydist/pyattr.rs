//! `[tool.setuptools.dynamic] version = {attr = "pkg.mod.__version__"}`,
//! read without running Python.
//!
//! setuptools first looks for a module-level assignment of a literal
//! (`__version__ = "1.2"`, `__version__: str = "1.2"`, a tuple such as
//! `(1, 2, "rc1")`), and otherwise imports the module. Importing is out of the
//! question here, so the cases an import would resolve are followed
//! statically: `from .other import __version__` (absolute or relative, with
//! `as`) and `__version__ = VERSION` naming another module-level literal.
//! Anything else is an error that says what was found.

/// Where modules live: `package-dir` as setuptools resolves it.
pub struct ModuleFinder<'a> {
    /// `(package, folder)` pairs; the key "" is the root package folder.
    pub package_dir: &'a [(String, String)],
    /// Read a project file by its `/`-separated relative path.
    pub read: &'a dyn Fn(&str) -> Option<String>,
}

/// The attribute's value, rendered as setuptools' `version()` does (a tuple is
/// joined with `.`), and the module file it came from.
pub fn read_attr(finder: &ModuleFinder<'_>, attr: &str) -> Result<(String, String), String> {
    let attr = attr.trim();
    let (module, name) = match attr.rsplit_once('.') {
        Some((m, n)) => (m.to_owned(), n.to_owned()),
        None => ("__init__".to_owned(), attr.to_owned()),
    };
    resolve(finder, &module, &name, 0)
}

fn resolve(
    finder: &ModuleFinder<'_>,
    module: &str,
    name: &str,
    depth: usize,
) -> Result<(String, String), String> {
    if depth > 16 {
        return Err(format!(
            "following `{name}` through imports went in circles"
        ));
    }
    let (path, text) = find_module(finder, module).ok_or_else(|| {
        format!(
            "module `{module}` not found (looked for {})",
            candidates(finder, module).join(", ")
        )
    })?;
    let statements = top_level_statements(&text).map_err(|e| format!("{path}: {e}"))?;
    let bindings: Vec<&Binding> = statements.iter().filter(|b| b.name() == name).collect();
    let Some(first) = bindings.first() else {
        return Err(format!(
            "{path} has no module-level `{name} = \"...\"` assignment nor an import of `{name}`"
        ));
    };
    // setuptools' static reading takes the first assignment if it is a literal;
    // otherwise the module would be imported, leaving its last binding.
    let chosen = match first {
        Binding::Assign(_, Value::Literal(_)) => first,
        _ => bindings.last().unwrap_or(first),
    };
    match chosen {
        Binding::Assign(_, Value::Literal(v)) => Ok((v.clone(), path)),
        Binding::Assign(_, Value::Name(other)) => {
            if other == name {
                return Err(format!("{path}: `{name}` is assigned to itself"));
            }
            resolve(finder, module, other, depth + 1)
        }
        Binding::Assign(_, Value::Other(src)) => Err(format!(
            "{path}: `{name} = {src}` is not a literal; write the version as a string literal (or import it from a module that does)"
        )),
        Binding::Import {
            module: from,
            original,
            ..
        } => {
            let target = absolute_module(module, &path, from)
                .ok_or_else(|| format!("{path}: the relative import `from {from} import {original}` goes above the top-level package"))?;
            resolve(finder, &target, original, depth + 1)
        }
    }
}

fn absolute_module(current: &str, current_path: &str, from: &str) -> Option<String> {
    let dots = from.chars().take_while(|c| *c == '.').count();
    if dots == 0 {
        return Some(from.to_owned());
    }
    // The package a relative import is relative to.
    let mut package: Vec<&str> = current.split('.').collect();
    if !current_path.ends_with("__init__.py") {
        package.pop();
    }
    for _ in 1..dots {
        package.pop()?;
    }
    let rest = &from[dots..];
    if !rest.is_empty() {
        package.push(rest);
    }
    Some(package.join("."))
}

/// setuptools' `find_package_path`: the most specific `package-dir` entry wins.
fn module_base(finder: &ModuleFinder<'_>, module: &str) -> String {
    let parts: Vec<&str> = module.split('.').collect();
    for i in (1..=parts.len()).rev() {
        let partial = parts[..i].join(".");
        if let Some((_, dir)) = finder.package_dir.iter().find(|(k, _)| *k == partial) {
            let mut segs = vec![dir.as_str()];
            segs.extend(&parts[i..]);
            return join_rel(&segs);
        }
    }
    let parent = finder
        .package_dir
        .iter()
        .find(|(k, _)| k.is_empty())
        .map(|(_, d)| d.as_str())
        .unwrap_or("");
    let mut segs = vec![parent];
    segs.extend(&parts);
    join_rel(&segs)
}

fn join_rel(segs: &[&str]) -> String {
    segs.iter()
        .flat_map(|s| s.split('/'))
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn candidates(finder: &ModuleFinder<'_>, module: &str) -> Vec<String> {
    let base = module_base(finder, module);
    vec![format!("{base}.py"), format!("{base}/__init__.py")]
}

/// The file a module name stands for (relative to the project), if any.
pub fn module_file(finder: &ModuleFinder<'_>, module: &str) -> Option<String> {
    find_module(finder, module).map(|(path, _)| path)
}

fn find_module(finder: &ModuleFinder<'_>, module: &str) -> Option<(String, String)> {
    candidates(finder, module)
        .into_iter()
        .find_map(|path| (finder.read)(&path).map(|text| (path, text)))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// A literal, already rendered as a version string.
    Literal(String),
    /// Another module-level name.
    Name(String),
    /// Anything else (shown in the error).
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    Assign(String, Value),
    Import {
        bound: String,
        module: String,
        original: String,
    },
}

impl Binding {
    fn name(&self) -> &str {
        match self {
            Binding::Assign(n, _) => n,
            Binding::Import { bound, .. } => bound,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Bytes,
    Num(String),
    Op(String),
}

/// Split Python source into top-level logical lines of tokens.
fn logical_lines(src: &str) -> Result<Vec<Vec<Tok>>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut lines = Vec::new();
    let mut current: Vec<Tok> = Vec::new();
    let mut depth = 0usize;
    let mut at_line_start = true;
    let mut top_level = true;
    let mut i = 0;
    let flush = |current: &mut Vec<Tok>, top_level: bool, lines: &mut Vec<Vec<Tok>>| {
        if !current.is_empty() && top_level {
            lines.push(std::mem::take(current));
        }
        current.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        if at_line_start && depth == 0 {
            // Indentation decides whether this logical line is top level.
            let mut j = i;
            while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
                j += 1;
            }
            if j < chars.len() && chars[j] != '\n' && chars[j] != '#' && chars[j] != '\r' {
                top_level = j == i;
                at_line_start = false;
            }
            i = j;
            if i >= chars.len() {
                break;
            }
            if chars[i] == '\n' || chars[i] == '\r' || chars[i] == '#' {
                // Blank or comment line.
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                i += 1;
                continue;
            }
            continue;
        }
        match c {
            '\n' => {
                if depth == 0 {
                    flush(&mut current, top_level, &mut lines);
                    at_line_start = true;
                }
                i += 1;
            }
            '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
            ' ' | '\t' | '\r' | '\x0c' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' | '\'' => {
                let (value, next) = read_string(&chars, i, "")?;
                current.push(Tok::Str(value));
                i = next;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let is_prefix = word.len() <= 2
                    && word.chars().all(|c| "rRbBuUfF".contains(c))
                    && matches!(chars.get(i), Some('"') | Some('\''));
                if is_prefix {
                    let (value, next) = read_string(&chars, i, &word.to_lowercase())?;
                    i = next;
                    if word.to_lowercase().contains('b') {
                        current.push(Tok::Bytes);
                    } else if word.to_lowercase().contains('f') {
                        current.push(Tok::Op("f-string".into()));
                    } else {
                        current.push(Tok::Str(value));
                    }
                } else {
                    current.push(Tok::Name(word));
                }
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
                {
                    i += 1;
                }
                current.push(Tok::Num(chars[start..i].iter().collect()));
            }
            '(' | '[' | '{' => {
                depth += 1;
                current.push(Tok::Op(c.to_string()));
                i += 1;
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                current.push(Tok::Op(c.to_string()));
                i += 1;
            }
            ';' if depth == 0 => {
                flush(&mut current, top_level, &mut lines);
                i += 1;
            }
            _ => {
                // Operators: keep `==`, `:=` etc. apart from a lone `=`.
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                if ["==", "!=", "<=", ">=", ":=", "->", "**", "//"].contains(&two.as_str()) {
                    current.push(Tok::Op(two));
                    i += 2;
                } else {
                    current.push(Tok::Op(c.to_string()));
                    i += 1;
                }
            }
        }
    }
    flush(&mut current, top_level, &mut lines);
    Ok(lines)
}

/// Read a string literal starting at a quote; returns its value and the index after it.
fn read_string(chars: &[char], start: usize, prefix: &str) -> Result<(String, usize), String> {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let raw = prefix.contains('r');
    let mut i = start + if triple { 3 } else { 1 };
    let mut value = String::new();
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated string literal".into());
        };
        if c == '\\' {
            let next = chars.get(i + 1).copied().unwrap_or('\\');
            if raw {
                value.push('\\');
                value.push(next);
            } else {
                match next {
                    '\n' => {}
                    '\\' | '\'' | '"' => value.push(next),
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    _ => {
                        value.push('\\');
                        value.push(next);
                    }
                }
            }
            i += 2;
            continue;
        }
        if c == quote {
            if !triple {
                return Ok((value, i + 1));
            }
            if chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote) {
                return Ok((value, i + 3));
            }
        }
        if c == '\n' && !triple {
            return Err("unterminated string literal".into());
        }
        value.push(c);
        i += 1;
    }
}

fn top_level_statements(src: &str) -> Result<Vec<Binding>, String> {
    let mut out = Vec::new();
    for line in logical_lines(src)? {
        match line.first() {
            Some(Tok::Name(kw)) if kw == "from" => out.extend(parse_from_import(&line)),
            Some(Tok::Name(_)) => {
                if let Some(b) = parse_assignment(&line) {
                    out.extend(b);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn parse_from_import(line: &[Tok]) -> Vec<Binding> {
    let mut i = 1;
    let mut module = String::new();
    while let Some(tok) = line.get(i) {
        match tok {
            Tok::Op(o) if o == "." => module.push('.'),
            Tok::Name(n) if n != "import" => module.push_str(n),
            _ => break,
        }
        i += 1;
    }
    if !matches!(line.get(i), Some(Tok::Name(n)) if n == "import") {
        return Vec::new();
    }
    i += 1;
    let mut out = Vec::new();
    let names: Vec<&Tok> = line[i..]
        .iter()
        .filter(|t| !matches!(t, Tok::Op(o) if o == "(" || o == ")"))
        .collect();
    let mut j = 0;
    while j < names.len() {
        if let Tok::Name(original) = names[j] {
            let mut bound = original.clone();
            if matches!(names.get(j + 1), Some(Tok::Name(a)) if a == "as") {
                if let Some(Tok::Name(alias)) = names.get(j + 2) {
                    bound = alias.clone();
                }
                j += 2;
            }
            out.push(Binding::Import {
                bound,
                module: module.clone(),
                original: original.clone(),
            });
        }
        j += 1;
    }
    out
}

fn parse_assignment(line: &[Tok]) -> Option<Vec<Binding>> {
    // Targets: `a = b = value` or `a: annotation = value`.
    let eq_positions: Vec<usize> = line
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t, Tok::Op(o) if o == "="))
        .map(|(i, _)| i)
        .collect();
    let last_eq = *eq_positions.last()?;
    let mut targets = Vec::new();
    let mut start = 0;
    for &eq in &eq_positions {
        let target = &line[start..eq];
        match target {
            [Tok::Name(n)] => targets.push(n.clone()),
            [Tok::Name(n), Tok::Op(colon), ..] if colon == ":" => targets.push(n.clone()),
            _ => {}
        }
        start = eq + 1;
    }
    let value = literal(&line[last_eq + 1..]);
    Some(
        targets
            .into_iter()
            .map(|t| Binding::Assign(t, value.clone()))
            .collect(),
    )
}

fn render_tokens(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Name(n) | Tok::Num(n) | Tok::Op(n) => n.clone(),
            Tok::Str(s) => format!("{s:?}"),
            Tok::Bytes => "b'...'".into(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn literal(toks: &[Tok]) -> Value {
    if !toks.is_empty() && toks.iter().all(|t| matches!(t, Tok::Str(_))) {
        let joined: String = toks
            .iter()
            .map(|t| match t {
                Tok::Str(s) => s.as_str(),
                _ => "",
            })
            .collect();
        return Value::Literal(joined);
    }
    if let [Tok::Name(n)] = toks {
        return Value::Name(n.clone());
    }
    // A tuple or list of numbers and strings: joined with `.`.
    let inner = match toks {
        [Tok::Op(open), inner @ .., Tok::Op(close)]
            if (open == "(" && close == ")") || (open == "[" && close == "]") =>
        {
            inner
        }
        _ => toks,
    };
    let mut parts = Vec::new();
    let mut expect_item = true;
    for tok in inner {
        match (tok, expect_item) {
            (Tok::Num(n), true) if n.chars().all(|c| c.is_ascii_digit()) => {
                let trimmed = n.trim_start_matches('0');
                parts.push(if trimmed.is_empty() { "0" } else { trimmed }.to_owned());
                expect_item = false;
            }
            (Tok::Str(s), true) => {
                parts.push(s.clone());
                expect_item = false;
            }
            (Tok::Op(comma), false) if comma == "," => expect_item = true,
            _ => return Value::Other(render_tokens(toks)),
        }
    }
    if parts.len() >= 2 || (parts.len() == 1 && inner.len() == 2) {
        Value::Literal(parts.join("."))
    } else {
        Value::Other(render_tokens(toks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn finder_read(files: &HashMap<&str, &str>, path: &str) -> Option<String> {
        files.get(path).map(|s| (*s).to_owned())
    }

    fn run(
        files: &[(&str, &str)],
        package_dir: &[(&str, &str)],
        attr: &str,
    ) -> Result<String, String> {
        let files: HashMap<&str, &str> = files.iter().copied().collect();
        let pd: Vec<(String, String)> = package_dir
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        let read = |p: &str| finder_read(&files, p);
        let finder = ModuleFinder {
            package_dir: &pd,
            read: &read,
        };
        read_attr(&finder, attr).map(|(v, _)| v)
    }

    #[test]
    fn literal_assignments() {
        let files = [(
            "pkg/__init__.py",
            "\"\"\"Doc.\"\"\"\nimport os\n__version__ = '1.2.3'\n",
        )];
        assert_eq!(run(&files, &[], "pkg.__version__").unwrap(), "1.2.3");
        let files = [("pkg/v.py", "__version__: str = \"2.0\"  # comment\n")];
        assert_eq!(run(&files, &[], "pkg.v.__version__").unwrap(), "2.0");
        let files = [("pkg/__init__.py", "VERSION = (1, 2, 'rc1')\n")];
        assert_eq!(run(&files, &[], "pkg.VERSION").unwrap(), "1.2.rc1");
        let files = [("pkg/__init__.py", "a = b = \"3\"\n")];
        assert_eq!(run(&files, &[], "pkg.b").unwrap(), "3");
    }

    #[test]
    fn nested_and_indented_code_is_not_module_level() {
        let files = [(
            "pkg/__init__.py",
            "def f():\n    __version__ = '9'\nif True:\n    __version__ = '8'\nx = [\n  1,\n]\n__version__ = \"\"\"1.0\"\"\"\n",
        )];
        assert_eq!(run(&files, &[], "pkg.__version__").unwrap(), "1.0");
    }

    #[test]
    fn follows_imports_and_names() {
        let files = [
            (
                "invokeai/version/__init__.py",
                "from invokeai.version.invokeai_version import __version__\n\n__all__ = [\"__version__\"]\n",
            ),
            (
                "invokeai/version/invokeai_version.py",
                "__version__ = \"6.10.0rc1\"\n",
            ),
        ];
        assert_eq!(
            run(&files, &[], "invokeai.version.__version__").unwrap(),
            "6.10.0rc1"
        );
        let files = [
            (
                "src/pkg/__init__.py",
                "from ._v import (\n    VERSION as __version__,\n)\n",
            ),
            ("src/pkg/_v.py", "_BASE = '4.5'\nVERSION = _BASE\n"),
        ];
        assert_eq!(
            run(&files, &[("", "src")], "pkg.__version__").unwrap(),
            "4.5"
        );
    }

    #[test]
    fn package_dir_maps_modules() {
        let files = [("lib/alpha/__init__.py", "__version__ = '0.1'\n")];
        assert_eq!(
            run(&files, &[("alpha", "lib/alpha")], "alpha.__version__").unwrap(),
            "0.1"
        );
    }

    #[test]
    fn clear_errors() {
        let files = [("pkg/__init__.py", "__version__ = get_version()\n")];
        let err = run(&files, &[], "pkg.__version__").unwrap_err();
        assert!(err.contains("is not a literal"), "{err}");
        let files = [("pkg/__init__.py", "VERSION = '1'\n")];
        let err = run(&files, &[], "pkg.__version__").unwrap_err();
        assert!(err.contains("has no module-level `__version__"), "{err}");
        let err = run(&files, &[], "nope.__version__").unwrap_err();
        assert!(err.contains("module `nope` not found"), "{err}");
    }
}
