//! `cargo xtask test [--rust] [--python] [--frontend]`: every test suite.

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::setup::{self, Parts};

impl flags::Test {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let all = !self.rust && !self.python && !self.frontend;
        let (rust, python, frontend) = (all || self.rust, all || self.python, all || self.frontend);
        let layout = Layout::new();
        // Rust's integration tests build and install the app, so they need the
        // whole environment too.
        let parts = Parts::from_flags(python || rust, frontend || rust);
        setup::ensure_parts(sh, parts)?;

        let mut failed = Vec::new();
        let mut suite = |name: &'static str, result: Result<()>| {
            if let Err(err) = result {
                eprintln!("test: {name} failed: {err:#}");
                failed.push(name);
            }
        };
        if rust {
            suite("rust", rust_suite(sh));
        }
        if python {
            suite("python", python_suite(sh, &layout));
        }
        if frontend {
            suite("frontend", frontend_suite(sh, &layout));
        }
        if !failed.is_empty() {
            bail!("test suites failed: {}", failed.join(", "));
        }
        eprintln!("test: all suites passed");
        Ok(())
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn rust_suite(sh: &Shell) -> Result<()> {
    let cargo = cargo();
    cmd!(sh, "{cargo} fmt --all --check")
        .run()
        .context("cargo fmt --check found unformatted Rust code; run `cargo fmt --all`")?;
    cmd!(
        sh,
        "{cargo} clippy --workspace --all-targets --quiet -- -D warnings"
    )
    .run()
    .context("clippy reported warnings")?;
    cmd!(sh, "{cargo} test --workspace")
        .run()
        .context("cargo test failed")?;
    Ok(())
}

fn python_suite(sh: &Shell, layout: &Layout) -> Result<()> {
    let python = layout.venv_bin("python");
    {
        let _dir = sh.push_dir(layout.python());
        cmd!(sh, "{python} -m pytest")
            .run()
            .context("pytest failed in python/")?;
    }
    // The installer's lib/ ships as it is, so its tests must leave no byte-code in it.
    let _dir = sh.push_dir(layout.installer());
    cmd!(sh, "{python} -m pytest")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .run()
        .context("pytest failed in installer/")?;
    Ok(())
}

fn frontend_suite(sh: &Shell, layout: &Layout) -> Result<()> {
    let _dir = sh.push_dir(layout.frontend());
    cmd!(sh, "npm run --silent test")
        .run()
        .context("vitest failed in frontend/")?;
    Ok(())
}
