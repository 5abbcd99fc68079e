//! `cargo xtask frontend install | build | dev | typegen`: the web UI's tasks
//! (`typegen` lives in its own module, `typegen.rs`).

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::setup;

impl flags::Frontend {
    pub fn run(self, sh: &Shell) -> Result<()> {
        match self {
            flags::Frontend::Install => install(sh),
            flags::Frontend::Build => build(sh),
            flags::Frontend::Dev => dev(sh),
            flags::Frontend::Typegen(cmd) => cmd.run(sh),
        }
    }
}

/// Install the node modules from the lockfile, unless they already match it.
pub fn install(sh: &Shell) -> Result<()> {
    setup::ensure_frontend(sh)?;
    eprintln!("frontend: node modules match frontend/package-lock.json");
    Ok(())
}

/// Build the UI into the Python package's `invokeai/frontend/web/dist`.
pub fn build(sh: &Shell) -> Result<()> {
    build_at(sh, &Layout::new())
}

/// Build the UI of the checkout at `layout` (its node modules installed first).
pub fn build_at(sh: &Shell, layout: &Layout) -> Result<()> {
    setup::ensure_parts_at(
        sh,
        layout,
        setup::Parts {
            python: false,
            frontend: true,
        },
    )?;
    let _dir = sh.push_dir(layout.frontend());
    cmd!(sh, "npm run --silent build")
        .run()
        .context("the front-end build failed (npm run build in frontend/)")?;
    let index = layout.ui_dist().join("index.html");
    anyhow::ensure!(
        index.is_file(),
        "the front-end build finished but wrote no {index}"
    );
    eprintln!("frontend: built {}", layout.ui_dist());
    Ok(())
}

fn dev(sh: &Shell) -> Result<()> {
    setup::ensure_frontend(sh)?;
    let layout = Layout::new();
    let _dir = sh.push_dir(layout.frontend());
    eprintln!(
        "frontend: Vite dev server; start the API with `invokeai-web` (port 9090) in another terminal"
    );
    cmd!(sh, "npm run dev")
        .run()
        .context("the Vite dev server stopped with an error")?;
    Ok(())
}
