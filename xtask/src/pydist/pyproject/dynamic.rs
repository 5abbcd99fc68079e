//! `project.dynamic` and `[tool.setuptools.dynamic]`: which fields are
//! left to setuptools, and the files that give them. A field listed with no
//! `[tool.setuptools.dynamic]` entry keeps what setup.cfg gives it (see
//! [`super::super::legacy`]).

use anyhow::{Result, bail};
use camino::Utf8Path;

use super::super::project::VersionSource;
use super::super::reqs::Req;
use super::super::textfile::{check_relative, is_regular, kind_of, read_text};
use super::Notes;
use crate::util::toml_spans::{Source, Tv, TvKind};

/// The fields `project.dynamic` may list: `version` by attr or file, the
/// others by `file` in `[tool.setuptools.dynamic]`.
const DYNAMIC_FIELDS: &[&str] = &["version", "readme", "dependencies", "optional-dependencies"];

/// The fields `project.dynamic` may list with no `[tool.setuptools.dynamic]`
/// entry: setuptools keeps the value setup.cfg gave them.
const FROM_SETUP_CFG: &[&str] = &[
    "readme",
    "description",
    "authors",
    "maintainers",
    "keywords",
    "classifiers",
    "urls",
    "dependencies",
    "optional-dependencies",
];

/// What `project.dynamic` lists, and where the values come from.
pub(super) struct Dynamic<'t> {
    /// project.dynamic.
    pub fields: Vec<String>,
    /// The fields of project.dynamic that `[tool.setuptools.dynamic]` does
    /// not give: setuptools keeps what setup.cfg set for them.
    pub from_setup_cfg: Vec<String>,
    /// `[tool.setuptools.dynamic]`.
    pub table: Option<&'t Tv>,
}

impl<'t> Dynamic<'t> {
    pub fn lists(&self, field: &str) -> bool {
        self.fields.iter().any(|d| d == field)
    }

    /// A field other than the version, listed in project.dynamic and given
    /// by `[tool.setuptools.dynamic]`.
    pub fn spec(&self, field: &str) -> Option<&'t Tv> {
        if field == "version" || !self.lists(field) {
            return None;
        }
        self.table.and_then(|d| d.get(field))
    }
}

/// Read `project.dynamic` against `[tool.setuptools]` (`st`): each field
/// one this builder can take from `[tool.setuptools.dynamic]` or setup.cfg,
/// and not given in `[project]` too. An entry of `[tool.setuptools.dynamic]`
/// for a field not listed is ignored with a warning, as setuptools does.
pub(super) fn read<'t>(
    src: &Source,
    project: &Tv,
    st: Option<&'t Tv>,
    notes: &mut Notes,
) -> Result<Dynamic<'t>> {
    let table = st.and_then(|t| t.get("dynamic"));
    let mut fields = Vec::new();
    let mut from_setup_cfg: Vec<String> = Vec::new();
    if let Some(tv) = project.get("dynamic") {
        for item in src.array(tv, "project.dynamic")? {
            let field = src.str(item, "each entry of project.dynamic")?;
            if !DYNAMIC_FIELDS.contains(&field) && !FROM_SETUP_CFG.contains(&field) {
                return Err(src.err(
                    item,
                    format!("project.dynamic lists {field:?}: only {} (by [tool.setuptools.dynamic]) and {} (by setup.cfg) can be dynamic with this builder; write {field} in [project]", DYNAMIC_FIELDS.join(", "), FROM_SETUP_CFG.join(", ")),
                ));
            }
            if field != "version" && table.and_then(|d| d.get(field)).is_none() {
                // setuptools keeps what setup.cfg set (checked there).
                if !FROM_SETUP_CFG.contains(&field) {
                    return Err(src.err(
                        item,
                        format!("project.dynamic lists {field:?} but [tool.setuptools.dynamic] does not give it; setuptools would take it from setup.py or setup.cfg, which this builder does not reproduce: give {field} = {{file = ...}} there"),
                    ));
                }
                from_setup_cfg.push(field.to_owned());
            }
            if project.get(field).is_some() {
                return Err(src.err(
                    item,
                    format!("project.{field} is both given and listed in project.dynamic"),
                ));
            }
            fields.push(field.to_owned());
        }
    }
    if let Some(d) = table {
        for (key, value) in src.table(d, "tool.setuptools.dynamic")? {
            // A field not listed in project.dynamic is ignored by setuptools
            // (silently); one listed there was refused above.
            if key != "version" && !fields.iter().any(|d| d == key) {
                notes.warnings.push(format!(
                    "{}: tool.setuptools.dynamic.{key} is ignored: project.dynamic does not list {key:?} (as setuptools does)",
                    src.at(value)
                ));
            }
        }
    }
    Ok(Dynamic {
        fields,
        from_setup_cfg,
        table,
    })
}

/// A `{file = ...}` of `[tool.setuptools.dynamic]`: the files' text joined
/// by newlines, as setuptools' `read_files` gives it (a missing file is
/// skipped with a warning). Each file ships in the sdist.
pub(super) fn file_text(
    src: &Source,
    root: &Utf8Path,
    spec: &Tv,
    what: &str,
    notes: &mut Notes,
) -> Result<String> {
    src.table(spec, what)?;
    if spec.get("attr").is_some() {
        return Err(src.err(
            spec,
            format!(
                "{what} = {{attr = ...}} is not reproduced by this builder; use {{file = ...}}"
            ),
        ));
    }
    let Some(file) = spec.get("file") else {
        return Err(src.err(spec, format!("{what} needs `file`")));
    };
    let files = match &file.kind {
        TvKind::Str(s) => vec![s.clone()],
        _ => src.str_list(file, &format!("{what}.file"))?,
    };
    let mut texts = Vec::new();
    for f in &files {
        check_relative(f).map_err(|e| src.err(file, e))?;
        if !notes.referenced_files.contains(f) {
            notes.referenced_files.push(f.clone());
        }
        if is_regular(&root.join(f)) {
            texts.push(read_text(root, f).map_err(|e| src.err(file, e))?);
        } else {
            let why = match std::fs::metadata(root.join(f)) {
                Ok(meta) => format!("is {}, not a regular file,", kind_of(&meta)),
                Err(_) => "cannot be found".to_owned(),
            };
            notes.warnings.push(format!(
                "{}: {what}: {f:?} {why} and is skipped (as setuptools does)",
                src.at(file)
            ));
        }
    }
    Ok(texts.join("\n"))
}

/// The requirements in the files of `[tool.setuptools.dynamic] KEY`:
/// non-blank lines not starting with `#`, each cut at ` #`, as setuptools
/// reads them.
pub(super) fn requirements(
    src: &Source,
    root: &Utf8Path,
    key: &str,
    spec: &Tv,
    notes: &mut Notes,
) -> Result<Vec<Req>> {
    let what = format!("tool.setuptools.dynamic.{key}");
    let text = file_text(src, root, spec, &what, notes)?;
    let mut reqs = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
    {
        let line = line.split(" #").next().unwrap_or(line).trim();
        reqs.push(Req::parse(line).map_err(|e| {
            src.err(
                spec,
                format!("invalid requirement {line:?} in a file of {what}: {e}"),
            )
        })?);
    }
    Ok(reqs)
}

/// `version` when project.dynamic lists it: `{attr = ...}` or
/// `{file = ...}` in `[tool.setuptools.dynamic]`.
pub(super) fn version(src: &Source, dynamic: &Dynamic, notes: &mut Notes) -> Result<VersionSource> {
    let Some(spec) = dynamic.table.and_then(|d| d.get("version")) else {
        bail!(
            "{}: project.dynamic lists \"version\" but [tool.setuptools.dynamic] has no `version = {{attr = ...}}` or `{{file = ...}}`",
            src.path
        );
    };
    src.table(spec, "tool.setuptools.dynamic.version")?;
    match (spec.get("attr"), spec.get("file")) {
        (Some(attr_tv), None) => {
            let attr = src.str(attr_tv, "tool.setuptools.dynamic.version.attr")?;
            if attr.trim().is_empty() || attr.split('.').any(|p| p.trim().is_empty()) {
                return Err(src.err(
                    spec,
                    format!("invalid attr {attr:?}: expected `package.module.NAME`"),
                ));
            }
            Ok(VersionSource::Attr(attr.trim().to_owned(), src.at(attr_tv)))
        }
        (None, Some(file)) => {
            let files = match &file.kind {
                TvKind::Str(s) => vec![s.clone()],
                _ => src.str_list(file, "tool.setuptools.dynamic.version.file")?,
            };
            for f in &files {
                check_relative(f).map_err(|e| src.err(file, e))?;
            }
            notes.referenced_files.extend(files.iter().cloned());
            Ok(VersionSource::File(files))
        }
        _ => Err(src.err(
            spec,
            "tool.setuptools.dynamic.version needs exactly one of `attr` or `file`",
        )),
    }
}
