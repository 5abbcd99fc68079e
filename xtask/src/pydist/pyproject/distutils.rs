//! `[tool.distutils]`: setuptools' command options written in
//! pyproject.toml, judged as setup.cfg's command sections are (by
//! [`super::super::legacy::command_option`]).

use anyhow::Result;

use super::super::legacy::{CommandEffect, command_option, read_by_setuptools};
use crate::util::toml_spans::{Source, Tv, TvKind};

/// The effects of `[tool.distutils]`'s options, in file order; an option
/// this builder does not reproduce is refused with its place.
pub(super) fn read(src: &Source, tool: Option<&Tv>) -> Result<Vec<CommandEffect>> {
    let mut effects = Vec::new();
    let Some(distutils) = tool.and_then(|t| t.get("distutils")) else {
        return Ok(effects);
    };
    for (command, options) in src.table(distutils, "[tool.distutils]")? {
        if !read_by_setuptools(command) {
            continue;
        }
        for (key, value) in src.table(options, &format!("[tool.distutils.{command}]"))? {
            let text = option_text(value).ok_or_else(|| {
                src.err(
                    value,
                    format!(
                        "tool.distutils.{command}.{key} must be a string, a boolean or an integer"
                    ),
                )
            })?;
            let effect = command_option(command, key, &text).map_err(|why| src.err(value, why))?;
            effects.push(effect);
        }
    }
    Ok(effects)
}

/// An option's value as setuptools sets it: a string as it is, a boolean
/// as `1` or `0`, and an integer flag as true as Python finds it.
fn option_text(value: &Tv) -> Option<String> {
    let flag = |on: bool| if on { "1" } else { "0" }.to_owned();
    match &value.kind {
        TvKind::Str(s) => Some(s.clone()),
        TvKind::Bool(b) => Some(flag(*b)),
        TvKind::Int(n) => Some(flag(*n != 0)),
        _ => None,
    }
}
