//! `cargo xtask frontend install | build | dev | typegen`: the web UI's tasks
//! (`typegen` lives in its own module, `typegen.rs`).

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::sbom;
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

/// Where the UI build's `bundleGraph` plugin (frontend/bundle-graph.ts) writes
/// which modules went into which file.
const BUNDLE_GRAPH_ENV: &str = "INVOKEAI_BUNDLE_GRAPH";

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
    let graph = layout.xtask_target().join("bundle-graph.json");
    let sbom = layout.ui_sbom();
    // Neither may survive from an earlier build if this one fails.
    for stale in [&graph, &sbom] {
        if let Err(e) = std::fs::remove_file(stale)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(e).with_context(|| format!("cannot remove {stale}"));
        }
    }
    let _dir = sh.push_dir(layout.frontend());
    cmd!(sh, "npm run --silent build")
        .env(BUNDLE_GRAPH_ENV, &graph)
        .run()
        .context("the front-end build failed (npm run build in frontend/)")?;
    let index = layout.ui_dist().join("index.html");
    anyhow::ensure!(
        index.is_file(),
        "the front-end build finished but wrote no {index}"
    );
    let packages = sbom::write(&graph, &layout.frontend_lock(), &layout.ui_dist(), &sbom)?;
    eprintln!("frontend: built {}", layout.ui_dist());
    eprintln!(
        "frontend: wrote {sbom}: {} npm package{} bundled{}{}",
        packages.len(),
        if packages.len() == 1 { "" } else { "s" },
        if packages.is_empty() { "" } else { ": " },
        packages.join(", ")
    );
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
