//! setup.cfg read as configparser reads it, and its values as setuptools
//! parses them (`_parse_list`, `_parse_bool`, requirement lists).

use super::super::reqs::Req;

/// One `key = value` of setup.cfg as configparser reads it: the key
/// lowercased with `-` spelled `_` (as setuptools does), continuation lines
/// joined by newlines, and where the key is written.
#[derive(Debug, Clone)]
pub(crate) struct CfgOption {
    pub section: String,
    pub key: String,
    pub value: String,
    pub line: usize,
    pub col: usize,
}

/// setup.cfg's options in file order (comments and blank lines skipped).
pub(super) fn read_setup_cfg(text: &str) -> Vec<CfgOption> {
    let mut out: Vec<CfgOption> = Vec::new();
    let mut section = String::new();
    let mut open = false;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            // Kept inside a value; trailing ones are trimmed below.
            if let Some(last) = out.last_mut().filter(|_| open) {
                last.value.push('\n');
            }
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) && open {
            // A continuation line belongs to the option above it.
            if let Some(last) = out.last_mut() {
                last.value.push('\n');
                last.value.push_str(trimmed);
            }
            continue;
        }
        if trimmed.starts_with('[') {
            section = trimmed.trim_matches(['[', ']']).trim().to_owned();
            open = false;
            continue;
        }
        let (key, value) = trimmed.split_once(['=', ':']).unwrap_or((trimmed, ""));
        out.push(CfgOption {
            section: section.clone(),
            key: key.trim().to_lowercase().replace('-', "_"),
            value: value.trim().to_owned(),
            line: n + 1,
            col: line.len() - line.trim_start().len() + 1,
        });
        open = true;
    }
    for o in &mut out {
        o.value = o.value.trim().to_owned();
    }
    out
}

/// setuptools' `_parse_list`: lines if the value has several, else split
/// on `sep`; each item stripped, empty ones dropped.
pub(super) fn cfg_list(value: &str, sep: char) -> Vec<String> {
    let items: Vec<&str> = if value.contains('\n') {
        value.lines().collect()
    } else {
        value.split(sep).collect()
    };
    items
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// setuptools' `_parse_bool`.
pub(super) fn cfg_bool(value: &str) -> bool {
    matches!(value.to_lowercase().as_str(), "1" | "true" | "yes")
}

/// setup.cfg's `install_requires` or an extra's requirements, as setuptools
/// reads them: split on lines or `;`, `#` lines dropped, each cut at ` #`.
pub(super) fn cfg_requirements(value: &str) -> Result<Vec<Req>, String> {
    if value.starts_with("file:") {
        return Err("reads a file, which this builder does not reproduce here".to_owned());
    }
    cfg_list(value, ';')
        .iter()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let l = l.split(" #").next().unwrap_or(l).trim();
            Req::parse(l).map_err(|e| format!("holds an invalid requirement {l:?}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_cfg_reads_as_configparser_does() {
        let text = "# comment\n[metadata]\nName = demo\nlicense-file: LICENSE\nclassifiers =\n\tA :: B\n\n    C :: D\n\n; note\n[options]\n  zip_safe = False\n";
        let got: Vec<(String, String, String, usize, usize)> = read_setup_cfg(text)
            .into_iter()
            .map(|o| (o.section, o.key, o.value, o.line, o.col))
            .collect();
        let want =
            |s: &str, k: &str, v: &str, l, c| (s.to_owned(), k.to_owned(), v.to_owned(), l, c);
        assert_eq!(
            got,
            [
                want("metadata", "name", "demo", 3, 1),
                want("metadata", "license_file", "LICENSE", 4, 1),
                want("metadata", "classifiers", "A :: B\n\nC :: D", 5, 1),
                want("options", "zip_safe", "False", 12, 3),
            ]
        );
        assert_eq!(cfg_list("a, b,,c", ','), ["a", "b", "c"]);
        assert_eq!(cfg_list("\na; b\nc", ';'), ["a; b", "c"]);
        assert!(cfg_bool("True") && cfg_bool("1") && !cfg_bool("off"));
    }
}
