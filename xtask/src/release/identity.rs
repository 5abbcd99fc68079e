//! What a release is called: the project's name, its version, its tag and
//! the file name of every artifact, computed once from `pyproject.toml` and
//! the version file. The dist builder, build-installer, verify, smoke-test,
//! preflight, check-published and the manifest all take their names from
//! here, so the gate looks for exactly the files the build made.

use anyhow::{Context, Result, bail};
use camino::Utf8Path;

use super::version::{self, AppVersion, Version};
use crate::paths::Layout;
use crate::pydist::names;

/// The installer zip's name is `{INSTALLER_PREFIX}{version}{INSTALLER_SUFFIX}`.
pub const INSTALLER_PREFIX: &str = "InvokeAI-installer-v";
pub const INSTALLER_SUFFIX: &str = ".zip";

/// One release's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `[project] name` as written.
    pub project: String,
    pub version: Version,
}

impl Identity {
    /// Read the name from `pyproject.toml` and the version from the version
    /// file (returned too, for messages that say where it was read).
    pub fn read(layout: &Layout) -> Result<(Identity, AppVersion)> {
        let app = version::read(layout)?;
        let project = project_name(layout)?;
        Ok((Identity::new(&project, app.version.clone()), app))
    }

    pub fn new(project: &str, version: Version) -> Identity {
        Identity {
            project: project.to_owned(),
            version,
        }
    }

    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The git tag: `v` and the normalised version.
    pub fn tag(&self) -> String {
        version::tag_name(self.version())
    }

    pub fn wheel(&self) -> String {
        names::wheel_file(
            &self.project,
            &self.version().to_string(),
            names::PURE_PYTHON_3,
        )
    }

    pub fn sdist(&self) -> String {
        names::sdist_file(&self.project, &self.version().to_string())
    }

    pub fn installer(&self) -> String {
        installer_zip_name(self.version())
    }

    /// The SBOM of the npm packages in the UI (the wheel's
    /// `.dist-info/sboms/` document), as a release asset.
    pub fn sbom(&self) -> String {
        format!(
            "{}-ui.cdx.json",
            names::stem(&self.project, &self.version().to_string())
        )
    }

    /// The files uploaded to a package index: the wheel, then the sdist.
    pub fn index_files(&self) -> [String; 2] {
        [self.wheel(), self.sdist()]
    }

    /// Every artifact of the release, in the order SHA256SUMS lists them
    /// (sorted by name).
    pub fn artifacts(&self) -> Vec<String> {
        let mut all = vec![self.installer(), self.wheel(), self.sdist(), self.sbom()];
        all.sort();
        all
    }
}

/// `InvokeAI-installer-v<normalised version>.zip`.
pub fn installer_zip_name(version: &Version) -> String {
    format!("{INSTALLER_PREFIX}{version}{INSTALLER_SUFFIX}")
}

/// The version an installer zip's file name carries.
pub fn installer_version(file_name: &str) -> Result<Version, String> {
    let raw = file_name
        .strip_prefix(INSTALLER_PREFIX)
        .and_then(|rest| rest.strip_suffix(INSTALLER_SUFFIX))
        .ok_or_else(|| {
            format!(
                "the file name {file_name:?} is not {INSTALLER_PREFIX}<version>{INSTALLER_SUFFIX}, so it names no version to check"
            )
        })?;
    version::parse(raw)
        .map_err(|why| format!("{raw:?} in the file name is not a PEP 440 version: {why}"))
}

/// The project's name, from `[project] name` in `layout`'s pyproject.toml.
pub fn project_name(layout: &Layout) -> Result<String> {
    let path = layout.pyproject();
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path} (for the project's name)"))?;
    project_name_from(&text, &version::relative(&layout.root, &path))
}

/// `[project] name` of a pyproject.toml's text (`file` names it in errors).
pub fn project_name_from(text: &str, file: &Utf8Path) -> Result<String> {
    let doc = toml_edit::Document::parse(text).map_err(|err| {
        let (line, col) = err
            .span()
            .map(|span| line_col(text, span.start))
            .unwrap_or((1, 1));
        anyhow::anyhow!("{file}:{line}:{col}: {}", err.message().trim_end())
    })?;
    let name = doc
        .as_table()
        .get("project")
        .and_then(|project| project.get("name"))
        .with_context(|| format!("{file}: no `name` in [project]; add `name = \"InvokeAI\"`"))?;
    let name = name
        .as_str()
        .with_context(|| format!("{file}: [project] name must be a string"))?;
    if !names::is_valid(name) {
        bail!(
            "{file}: [project] name `{name}` is not a valid distribution name (letters, digits, `-`, `_`, `.`; starting and ending with a letter or digit)"
        );
    }
    Ok(name.to_owned())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(name: &str, version: &str) -> Identity {
        Identity::new(name, version::parse(version).unwrap())
    }

    #[test]
    fn every_name_uses_the_normalised_version() {
        let id = identity("InvokeAI", "6.10.0RC1");
        assert_eq!(id.tag(), "v6.10.0rc1");
        assert_eq!(
            id.index_files(),
            [
                "invokeai-6.10.0rc1-py3-none-any.whl",
                "invokeai-6.10.0rc1.tar.gz"
            ]
        );
        assert_eq!(id.installer(), "InvokeAI-installer-v6.10.0rc1.zip");
        assert_eq!(
            id.artifacts(),
            [
                "InvokeAI-installer-v6.10.0rc1.zip",
                "invokeai-6.10.0rc1-py3-none-any.whl",
                "invokeai-6.10.0rc1-ui.cdx.json",
                "invokeai-6.10.0rc1.tar.gz"
            ]
        );
        let odd = identity("Invoke.-AI", "1.0");
        assert_eq!(
            odd.index_files(),
            ["invoke_ai-1.0-py3-none-any.whl", "invoke_ai-1.0.tar.gz"]
        );
    }

    #[test]
    fn the_installer_name_reads_back() {
        let id = identity("InvokeAI", "6.15.0-rc.1");
        assert_eq!(installer_version(&id.installer()).unwrap(), *id.version());
        assert_eq!(
            installer_version("InvokeAI-installer-v6.15.0-rc.1.zip").unwrap(),
            *id.version()
        );
        assert!(installer_version("installer.zip").is_err());
        let err = installer_version("InvokeAI-installer-vbanana.zip").unwrap_err();
        assert!(err.contains("not a PEP 440 version"), "{err}");
    }

    #[test]
    fn project_name_comes_from_pyproject() {
        let file = Utf8Path::new("python/pyproject.toml");
        assert_eq!(
            project_name_from("[project]\nname = \"InvokeAI\"\n", file).unwrap(),
            "InvokeAI"
        );
        let err = project_name_from("[project]\nversion = \"1\"\n", file).unwrap_err();
        assert!(format!("{err:#}").contains("no `name` in [project]"));
        let err = project_name_from("[project]\nname = \"a b\"\n", file).unwrap_err();
        assert!(format!("{err:#}").contains("not a valid distribution name"));
        let err = project_name_from("[project]\nname = \n", file).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.starts_with("python/pyproject.toml:2:"), "{msg}");
    }
}
