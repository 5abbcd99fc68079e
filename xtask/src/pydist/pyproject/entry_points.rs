//! `project.scripts`, `project.gui-scripts` and `project.entry-points`:
//! the entry point groups, checked as setuptools and the readers of
//! entry_points.txt need them.

use anyhow::Result;

use super::super::metadata::is_line_break;
use crate::util::toml_spans::{Source, Tv};

/// Entry point groups (`console_scripts`, `gui_scripts`, ...) with
/// `(name, value)` pairs.
type Groups = Vec<(String, Vec<(String, String)>)>;

/// The entry point groups in file order; empty groups are left out.
pub(super) fn read(src: &Source, project: &Tv) -> Result<Groups> {
    let mut entry_points: Groups = Vec::new();
    for (key, group) in [
        ("scripts", "console_scripts"),
        ("gui-scripts", "gui_scripts"),
    ] {
        if let Some(tv) = project.get(key) {
            let items = entry_point_table(src, tv, &format!("project.{key}"))?;
            if !items.is_empty() {
                entry_points.push((group.to_owned(), items));
            }
        }
    }
    let Some(tv) = project.get("entry-points") else {
        return Ok(entry_points);
    };
    for (group, table) in src.table(tv, "project.entry-points")? {
        if group == "console_scripts" || group == "gui_scripts" {
            return Err(src.err(
                table,
                format!(
                    "project.entry-points.{group} is not allowed (PEP 621): use project.{}",
                    if group == "console_scripts" {
                        "scripts"
                    } else {
                        "gui-scripts"
                    }
                ),
            ));
        }
        if !valid_group(group) {
            return Err(src.err(
                table,
                format!("invalid entry point group {group:?} in project.entry-points: use words of letters, digits and `_`, joined by dots (as setuptools requires)"),
            ));
        }
        let items = entry_point_table(src, table, &format!("project.entry-points.{group}"))?;
        if !items.is_empty() {
            entry_points.push((group.clone(), items));
        }
    }
    Ok(entry_points)
}

/// An entry point group as setuptools' schema accepts it (`\w+(\.\w+)*`).
fn valid_group(group: &str) -> bool {
    group
        .split('.')
        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

/// An entry point name that entry_points.txt holds on one line and that
/// readers (configparser, importlib.metadata) give back as it is: setuptools'
/// pattern (no `=`, no leading `[`, no blank at either end), no line break
/// of any kind (importlib.metadata splits the file with `str.splitlines`),
/// and no leading `#` or `;`, which make the line a comment.
fn valid_entry_point_name(name: &str) -> bool {
    let space = crate::util::python::is_space;
    !name.is_empty()
        && !name.contains('=')
        && !name.starts_with(['[', '#', ';'])
        && !name.starts_with(space)
        && !name.ends_with(space)
        && !name.contains(is_line_break)
}

fn entry_point_table(src: &Source, tv: &Tv, what: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (name, value) in src.table(tv, what)? {
        let raw = src.str(value, &format!("{what}.{name}"))?;
        if !valid_entry_point_name(name) {
            return Err(src.err(
                value,
                format!("invalid entry point name {name:?} in {what}: it must hold no `=`, no line break, no blank at either end, and not start with `[`, `#` or `;`"),
            ));
        }
        let v = raw.trim_matches(crate::util::python::is_space).to_owned();
        if v.contains(is_line_break) || !valid_object_ref(&v) {
            return Err(src.err(
                value,
                format!("invalid entry point {v:?} in {what}: expected `module.sub:object.attr` (with optional [extras])"),
            ));
        }
        out.push((name.clone(), v));
    }
    Ok(out)
}

fn valid_object_ref(v: &str) -> bool {
    let (target, extras) = match v.split_once('[') {
        Some((t, e)) => (t.trim(), Some(e)),
        None => (v, None),
    };
    if let Some(e) = extras {
        if !e.trim_end().ends_with(']') {
            return false;
        }
    }
    let dotted = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|part| {
                let part = part.trim();
                !part.is_empty()
                    && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                    && !part.starts_with(|c: char| c.is_ascii_digit())
            })
    };
    match target.split_once(':') {
        Some((module, object)) => dotted(module.trim()) && dotted(object.trim()),
        None => dotted(target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_references() {
        assert!(valid_object_ref("pkg.mod:main"));
        assert!(valid_object_ref("pkg.mod:Cls.method"));
        assert!(valid_object_ref("pkg.mod"));
        assert!(valid_object_ref("pkg:main [extra]"));
        assert!(!valid_object_ref("pkg:"));
        assert!(!valid_object_ref("pkg-x:main"));
    }
}
