//! The command line of `cargo xtask`, in one place.
//!
//! Each command's argument struct is defined here; its `run` method lives in
//! the module named after the command.

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Front-end tasks: install its modules, build the UI into the Python package, run the dev server, generate its API types.
    #[command(subcommand)]
    Frontend(Frontend),
    /// Run the test suites (Rust, Python, front end); with no flag, all of them.
    Test(Test),
    /// Print the app's OpenAPI 3.1 document (JSON, from `python -m invokeai.app.openapi`) to stdout.
    Openapi(Openapi),
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
    /// Generate the UI's API types (src/generated/openapi.ts) from the app's OpenAPI document.
    Typegen(Typegen),
}

#[derive(Debug, Args)]
pub struct Typegen {
    /// What to do with the generated types.
    #[arg(long, value_enum, default_value_t = TypegenMode::Write)]
    pub mode: TypegenMode,
    /// Generate for the checkout at DIR (its python/ and frontend/, which needs its node
    /// modules) instead of this one; the Python still comes from this checkout's .venv.
    #[arg(long, value_name = "DIR")]
    pub root: Option<Utf8PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TypegenMode {
    /// Update frontend/src/generated/openapi.ts if it differs.
    Write,
    /// Fail with a diff if the committed file differs from what would be generated.
    Check,
    /// Print the generated file to stdout; change nothing.
    DryRun,
}

#[derive(Debug, Args)]
pub struct Openapi {}

#[derive(Debug, Args)]
pub struct Test {
    /// Rust: cargo fmt --check, clippy with warnings denied, cargo test.
    #[arg(long)]
    pub rust: bool,
    /// Python: pytest over python/tests, then over installer/tests.
    #[arg(long)]
    pub python: bool,
    /// Front end: vitest, once.
    #[arg(long)]
    pub frontend: bool,
}
