//! The command line of `cargo xtask`, in one place.
//!
//! Each command's argument struct is defined here; its `run` method lives in
//! the module named after the command.

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand};

/// Release automation for InvokeAI: development setup, checks, builds and releases.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or refresh the development environment (.venv and node modules) from pinned sources.
    Setup(Setup),
    /// Front-end tasks: install its modules, build the UI into the Python package, run the dev server.
    #[command(subcommand)]
    Frontend(Frontend),
    /// Run the test suites (Rust, Python, front end); with no flag, all of them.
    Test(Test),
    /// Build the sdist and wheel natively from a project's pyproject.toml, reproducibly.
    Dist(Dist),
    /// Benchmarks of the xtask's commands against the tools they replace.
    #[command(subcommand)]
    Bench(Bench),
}

#[derive(Debug, Args)]
pub struct Setup {
    /// Only the Python tools in .venv.
    #[arg(long)]
    pub python: bool,
    /// Only the front end's node modules.
    #[arg(long)]
    pub frontend: bool,
    /// Reinstall even when the environment matches its lockfiles.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum Frontend {
    /// Install the front end's node modules from package-lock.json (npm ci).
    Install,
    /// Build the UI into python/invokeai/frontend/web/dist.
    Build,
    /// Run Vite's dev server, proxying /api to a local invokeai-web on port 9090.
    Dev,
}

#[derive(Debug, Args)]
pub struct Test {
    /// Rust: cargo fmt --check, clippy with warnings denied, cargo test.
    #[arg(long)]
    pub rust: bool,
    /// Python: pytest over python/tests.
    #[arg(long)]
    pub python: bool,
    /// Front end: vitest, once.
    #[arg(long)]
    pub frontend: bool,
}

#[derive(Debug, Args)]
pub struct Dist {
    /// The Python project folder, holding pyproject.toml [default: python/].
    #[arg(long, value_name = "DIR")]
    pub project: Option<Utf8PathBuf>,
    /// Where to write the artifacts [default: dist/ at the repository root].
    #[arg(long, value_name = "DIR")]
    pub out: Option<Utf8PathBuf>,
    /// Build the sdist (with neither --sdist nor --wheel: both).
    #[arg(long)]
    pub sdist: bool,
    /// Build the wheel (with neither --sdist nor --wheel: both).
    #[arg(long)]
    pub wheel: bool,
    /// Print each archive's members (mode, size, name) instead of writing anything.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Time `dist` against python -m build (isolated and not), uv build, and zip -6 + tar -czf.
    Dist(BenchDist),
}

#[derive(Debug, Args)]
pub struct BenchDist {
    /// Timed runs of each build tool (xtask dist, zip and tar run five times as often); the best counts.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Skip the isolated `python -m build` (it installs setuptools from the package index).
    #[arg(long)]
    pub no_isolated: bool,
    /// Only the generated large project (skip python/).
    #[arg(long)]
    pub large_only: bool,
    /// Keep target/xtask/bench-dist/ (the generated project, the copies) for inspection.
    #[arg(long)]
    pub keep: bool,
}
