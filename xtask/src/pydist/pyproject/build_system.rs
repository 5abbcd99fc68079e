//! `[build-system]`: setuptools' own backend only, and build requirements
//! judged by the policy of [`super::super::build_requires`].

use anyhow::Result;

use super::super::build_requires::{Judgement, judge};
use super::super::pep508;
use crate::util::toml_spans::{Source, Tv};

/// The requirement names that passed only because `--allow-build-requires`
/// vouched for them.
pub(super) fn read(src: &Source, top: &Tv, allowed: &[String]) -> Result<Vec<String>> {
    let mut vouched = Vec::new();
    let Some(bs) = top.get("build-system") else {
        return Ok(vouched);
    };
    src.table(bs, "[build-system]")?;
    if let Some(backend) = bs.get("build-backend") {
        let b = src.str(backend, "build-system.build-backend")?;
        if b != "setuptools.build_meta" {
            return Err(src.err(
                backend,
                format!("build-system.build-backend is {b:?}: this builder reproduces setuptools.build_meta only"),
            ));
        }
    }
    if let Some(path) = bs.get("backend-path") {
        return Err(src.err(
            path,
            "build-system.backend-path (an in-tree backend) is not supported",
        ));
    }
    let Some(requires) = bs.get("requires") else {
        return Ok(vouched);
    };
    for item in src.array(requires, "build-system.requires")? {
        let text = src.str(item, "each build requirement")?;
        if let Err(err) = pep508::validate(text) {
            return Err(src.err(
                item,
                format!(
                    "build-system.requires lists {text:?}, which is not a PEP 508 requirement: {}",
                    err.message
                ),
            ));
        }
        match judge(text, allowed) {
            Judgement::Harmless => {}
            Judgement::Vouched(canonical) => vouched.push(canonical),
            Judgement::Refused(why) => {
                return Err(src.err(
                    item,
                    format!("build-system.requires lists {text:?}: {why}, which this builder does not reproduce; build this project with setuptools"),
                ));
            }
            Judgement::Unknown(canonical) => {
                return Err(src.err(
                    item,
                    format!("build-system.requires lists {text:?}, which this builder does not know; if setuptools does not need it to decide what gets built, vouch for it with --allow-build-requires {canonical}"),
                ));
            }
        }
    }
    Ok(vouched)
}
