//! `[tool.xtask.dist]`: this builder's own options.

use anyhow::Result;

use crate::util::toml_spans::{Source, Tv};

/// `sbom-files` lists SBOM documents (PEP 770), relative to the project,
/// that the wheel ships in `.dist-info/sboms/` (as hatchling's option of
/// that name does).
pub(super) fn read(src: &Source, tool: Option<&Tv>) -> Result<Vec<String>> {
    let Some(dist) = tool
        .and_then(|t| t.get("xtask"))
        .and_then(|x| x.get("dist"))
    else {
        return Ok(Vec::new());
    };
    let mut sbom_files = Vec::new();
    for (key, value) in src.table(dist, "[tool.xtask.dist]")? {
        if key != "sbom-files" {
            return Err(src.err(
                value,
                format!("tool.xtask.dist.{key} is unknown; the only key is sbom-files"),
            ));
        }
        for file in src.relative_list(value, "tool.xtask.dist.sbom-files")? {
            let base = file.rsplit('/').next().unwrap_or(&file).to_owned();
            if sbom_files
                .iter()
                .any(|f: &String| f.rsplit('/').next() == Some(base.as_str()))
            {
                return Err(src.err(
                    value,
                    format!("tool.xtask.dist.sbom-files: two files are named {base:?}; each lands in .dist-info/sboms/ under its file name"),
                ));
            }
            sbom_files.push(file);
        }
    }
    Ok(sbom_files)
}
