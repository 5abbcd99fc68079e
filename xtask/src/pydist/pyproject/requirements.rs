//! `project.dependencies` and `project.optional-dependencies`, or the
//! requirement files `[tool.setuptools.dynamic]` gives for them, rendered
//! as setuptools writes them into METADATA (`Requires-Dist`).

use anyhow::Result;
use camino::Utf8Path;

use super::super::names;
use super::super::reqs::{self, Req};
use super::Notes;
use super::dynamic::{self, Dynamic};
use crate::util::toml_spans::{Source, Tv};

/// The rendered dependencies, and the extras (`(normalised extra,
/// rendered requirements)`, in file order).
pub(super) type Requirements = (Vec<String>, Vec<(String, Vec<String>)>);

/// Read the dependencies and the extras, the dynamic ones first.
pub(super) fn read(
    src: &Source,
    root: &Utf8Path,
    project: &Tv,
    dynamic: &Dynamic,
    notes: &mut Notes,
) -> Result<Requirements> {
    let mut dependencies = Vec::new();
    if let Some(spec) = dynamic.spec("dependencies") {
        for req in dynamic::requirements(src, root, "dependencies", spec, notes)? {
            dependencies.push(req.render());
        }
    }
    if let Some(tv) = project.get("dependencies") {
        for item in src.array(tv, "project.dependencies")? {
            dependencies.push(requirement(src, item)?.render());
        }
    }
    let mut extras: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(spec) = dynamic.spec("optional-dependencies") {
        for (key, group) in src.table(spec, "tool.setuptools.dynamic.optional-dependencies")? {
            let extra = new_extra(src, key, group, &extras)?;
            let what = format!("optional-dependencies.{key}");
            let rendered = dynamic::requirements(src, root, &what, group, notes)?
                .iter()
                .map(|r| r.render_for_extra(&extra))
                .collect();
            extras.push((extra, rendered));
        }
    }
    if let Some(tv) = project.get("optional-dependencies") {
        for (key, list) in src.table(tv, "project.optional-dependencies")? {
            let extra = new_extra(src, key, list, &extras)?;
            let mut rendered = Vec::new();
            for item in src.array(list, &format!("project.optional-dependencies.{key}"))? {
                rendered.push(requirement(src, item)?.render_for_extra(&extra));
            }
            extras.push((extra, rendered));
        }
    }
    Ok((dependencies, extras))
}

/// One requirement written in `[project]`.
fn requirement(src: &Source, item: &Tv) -> Result<Req> {
    let text = src.str(item, "each dependency")?;
    Req::parse(text).map_err(|e| src.err(item, format!("invalid dependency {text:?}: {e}")))
}

/// An extra's normalised name (PEP 685), refused when invalid or when it
/// normalises to the name of one already in `extras`.
fn new_extra(src: &Source, key: &str, at: &Tv, extras: &[(String, Vec<String>)]) -> Result<String> {
    if !names::is_valid(key) {
        return Err(src.err(at, format!("invalid extra name {key:?}")));
    }
    let extra = reqs::safe_extra(key);
    if extras.iter().any(|(e, _)| *e == extra) {
        return Err(src.err(
            at,
            format!("the extra {key:?} normalises to {extra:?}, like an earlier one (PEP 685)"),
        ));
    }
    Ok(extra)
}
