//! `cargo xtask openapi`: print the app's OpenAPI document.
//!
//! The document comes from the Python package itself (`python -m
//! invokeai.app.openapi`, built from the route table the server dispatches
//! through); this command only runs it with the development venv's Python.

use std::io::Write;

use anyhow::{Context, Result, bail};
use xshell::{Cmd, Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::setup::{self, Parts};

/// The module that prints the document.
const MODULE: &str = "invokeai.app.openapi";

impl flags::Openapi {
    pub fn run(self, sh: &Shell) -> Result<()> {
        setup::ensure_parts(
            sh,
            Parts {
                python: true,
                frontend: false,
            },
        )?;
        let layout = Layout::new();
        let document = document(sh, &layout, &layout)?;
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&document)
            .and_then(|()| stdout.flush())
            .context("cannot write the OpenAPI document to stdout")?;
        Ok(())
    }
}

/// The OpenAPI document (JSON bytes, exactly as the app prints them) of the
/// app sources in `project`, produced with the Python of `tools`' venv.
///
/// The venv must exist (see `setup::ensure_parts`).
pub fn document(sh: &Shell, tools: &Layout, project: &Layout) -> Result<Vec<u8>> {
    let python = tools.venv_bin("python");
    let sources = project.python();
    let _dir = sh.push_dir(&sources);
    // `-m` puts the current directory first on sys.path, so these sources are
    // imported even if another copy of the package is installed in the venv.
    let command = cmd!(sh, "{python} -m {MODULE}").env("PYTHONDONTWRITEBYTECODE", "1");
    stdout_of(command).with_context(|| {
        format!("cannot produce the OpenAPI document with `python -m {MODULE}` in {sources}")
    })
}

/// Run `command`, returning its stdout untouched. Its stderr is passed on to
/// ours, and is part of the error when the command fails.
pub fn stdout_of(command: Cmd<'_>) -> Result<Vec<u8>> {
    let shown = command.to_string();
    let output = command
        .ignore_status()
        .output()
        .with_context(|| format!("cannot run `{shown}`"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}):\n{}",
            output.status,
            stderr.trim_end()
        );
    }
    if !stderr.trim().is_empty() {
        eprint!("{stderr}");
    }
    Ok(output.stdout)
}
