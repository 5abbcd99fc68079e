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
    /// Compare a release tag with the app's version (exit 0 match, 1 mismatch, 2 not a version).
    CheckVersion(CheckVersion),
    /// Create the annotated release tag v<version> after checks, and push just that tag with --push.
    TagRelease(TagRelease),
    /// Ask a package index whether this version is already published (exit 0 free or published by us, 1 published, 3 index error).
    #[command(disable_version_flag = true)]
    CheckPublished(CheckPublished),
    /// Markdown release notes from the commits since the previous version tag.
    ReleaseNotes(ReleaseNotes),
    /// Everything to know before tag-release, changing nothing (exit 0 only when a release could go ahead).
    Preflight(Preflight),
    /// Run the code-quality checks (ruff, mypy, pytest, prettier, eslint, madge, tsc, vitest, typegen) side by side.
    ///
    /// The checks: ruff-lint, ruff-format, mypy, pytest (in python/); prettier, eslint, circular,
    /// tsc, vitest, typegen (in frontend/); with no flag, all of them. Each check's output streams into
    /// target/xtask/checks/NAME.log, and a failure shows the log's path and its last 100 lines (16 KiB
    /// at most). Exits 0 only when every selected check passed (1 when one failed, 130 when interrupted).
    Check(Check),
    /// Build the sdist and wheel natively from a project's pyproject.toml, reproducibly.
    Dist(Dist),
    /// Build every release artifact into dist/: the UI, the sdist and wheel, the installer zip, SHA256SUMS, manifest.json.
    BuildInstaller(BuildInstaller),
    /// Check built artifacts: checksums, manifest, RECORDs, the bundled wheel and UI, the version everywhere.
    Verify(Verify),
    /// Build everything twice, in two fresh clones of HEAD under different umask/TZ/locale/mtimes, and compare.
    VerifyReproducible(VerifyReproducible),
    /// Install from the installer zip into a temporary root, start the app, check its version and page.
    SmokeTest(SmokeTest),
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
    /// Headless Chromium for `smoke-test --browser` (Debian's package, /usr/bin/chromium, installed
    /// with apt-get when running as root); not part of the default setup, and alone it does only this.
    /// $CHROMIUM names another Chromium-based browser to use instead (e.g. the Chrome a CI image ships).
    #[arg(long)]
    pub browser: bool,
}

#[derive(Debug, Subcommand)]
pub enum Frontend {
    /// Install the front end's node modules from package-lock.json (npm ci).
    Install,
    /// Build the UI into python/invokeai/frontend/web/dist and write its SBOM (python/sboms/invokeai-ui.cdx.json).
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
    /// modules) instead of this one; the Python still comes from this checkout's .venv (or --dev-env's).
    #[arg(long, value_name = "DIR")]
    pub root: Option<Utf8PathBuf>,
    /// Take the Python from the development environment of the checkout at DIR (its .venv, set up
    /// there if missing) instead of this checkout's; `check` passes its own.
    #[arg(long, value_name = "DIR")]
    pub dev_env: Option<Utf8PathBuf>,
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
    /// Rust: cargo fmt --check, clippy with warnings denied, cargo test (two lanes side by side, logs in target/xtask/test-lanes/).
    #[arg(long)]
    pub rust: bool,
    /// Python: pytest over python/tests, then over installer/tests.
    #[arg(long)]
    pub python: bool,
    /// Front end: vitest, once.
    #[arg(long)]
    pub frontend: bool,
    /// Only cargo fmt --check and the fast Rust lane (unit tests, golden bytes, the CLI on fixtures): seconds, not minutes.
    #[arg(long, conflicts_with_all = ["rust", "python", "frontend"])]
    pub quick: bool,
}

/// Which checkout a release command works on.
#[derive(Debug, Args)]
pub struct RepoArg {
    /// Work on the checkout at DIR (its git state, version file and pyproject.toml) instead of this one.
    #[arg(long = "repo", short = 'C', value_name = "DIR")]
    pub repo: Option<Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckVersion {
    /// The release ref: refs/tags/v1.2.3, v1.2.3 or 1.2.3 [default: $GITHUB_REF; neither: the check is skipped].
    #[arg(long, value_name = "REF")]
    pub tag: Option<String>,
    /// Append VERSION, IS_PRERELEASE and VERSION_MAJOR_MINOR lines to FILE [default: $GITHUB_OUTPUT].
    #[arg(long, value_name = "FILE")]
    pub github_output: Option<Utf8PathBuf>,
    #[command(flatten)]
    pub repo: RepoArg,
}

#[derive(Debug, Args)]
pub struct TagRelease {
    /// Push the new tag (only that tag) to the remote.
    #[arg(long)]
    pub push: bool,
    /// The remote to check for the tag and to push to.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,
    /// Do not ask for confirmation (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Move an existing local tag to HEAD (after showing both commits); never touches the remote's tag.
    #[arg(long)]
    pub force: bool,
    /// Give up on the remote after SECS seconds (listing its tags, pushing).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    #[command(flatten)]
    pub repo: RepoArg,
}

#[derive(Debug, Args)]
pub struct CheckPublished {
    /// The index's simple API: a URL, or `pypi` / `testpypi` [default: https://pypi.org/simple/].
    #[arg(long, value_name = "URL")]
    pub index: Option<String>,
    /// The version to look for [default: the version file's].
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Give up on the index after SECS seconds (connecting and reading together).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// The wheel and sdist about to be uploaded: a version whose files on the index all have their sha256 is published by us (exit 0).
    #[arg(long, value_name = "DIR")]
    pub dist: Option<Utf8PathBuf>,
    #[command(flatten)]
    pub repo: RepoArg,
}

#[derive(Debug, Args)]
pub struct ReleaseNotes {
    /// Start after this tag or commit [default: the previous version tag: the highest one reachable from HEAD below the version released].
    #[arg(long, value_name = "TAG")]
    pub since: Option<String>,
    /// Write the notes to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<Utf8PathBuf>,
    #[command(flatten)]
    pub repo: RepoArg,
}

#[derive(Debug, Args)]
pub struct Preflight {
    /// The remote tag-release would push to.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,
    /// The PyPI simple API to ask [default: https://pypi.org/simple/].
    #[arg(long, value_name = "URL")]
    pub pypi: Option<String>,
    /// The TestPyPI simple API to ask [default: https://test.pypi.org/simple/].
    #[arg(long, value_name = "URL")]
    pub testpypi: Option<String>,
    /// Give up on each index, and on the remote, after SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    #[command(flatten)]
    pub repo: RepoArg,
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks over every command (unique flags, ...).
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

#[derive(Debug, Args)]
pub struct Check {
    /// Only the Python checks.
    #[arg(long)]
    pub python: bool,
    /// Only the front-end checks.
    #[arg(long)]
    pub frontend: bool,
    /// Only these checks (comma-separated names, see --list).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Leave these checks out (comma-separated names).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Run at most N checks at a time [default: the number of CPUs].
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Let the fixers rewrite the files first (ruff check --fix, ruff format, eslint --fix,
    /// prettier --write; one at a time per tree), then run the other selected checks.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: let ruff apply its unsafe fixes too.
    #[arg(long, requires = "fix")]
    pub unsafe_fixes: bool,
    /// mypy over every Python file of python/, strict, ignoring the config's per-module
    /// relaxations (`cargo xtask check --only mypy --mypy-all`).
    #[arg(long)]
    pub mypy_all: bool,
    /// Stop every other check (and what it started) at the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Print the selected checks with their folder and command; run nothing.
    #[arg(long)]
    pub list: bool,
    /// Check the python/ and frontend/ trees of the checkout (or copy) at DIR instead of this
    /// repository's; the tools still come from the development environment. DIR/frontend needs a
    /// node_modules (a link to the environment's will do). Logs go to DIR/target/xtask/checks.
    #[arg(long, value_name = "DIR")]
    pub root: Option<Utf8PathBuf>,
    /// Take the tools from the development environment of the checkout at DIR (its .venv and
    /// frontend/node_modules, set up there if missing) instead of this repository's.
    #[arg(long, value_name = "DIR")]
    pub dev_env: Option<Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildInstaller {
    /// Where the artifacts go [default: dist/ of the checkout].
    #[arg(long, value_name = "DIR")]
    pub out: Option<Utf8PathBuf>,
    /// Do not lint the front end before building it [default: lint, unless CI is set: CI lints in its own jobs].
    #[arg(long)]
    pub skip_frontend_checks: bool,
    /// Build the UI even when its inputs have not changed since the last build.
    #[arg(long)]
    pub rebuild_frontend: bool,
    /// Append INSTALLER_FILENAME, INSTALLER_PATH, DIST_PATH, SBOM_FILENAME and SBOM_PATH to FILE [default: $GITHUB_OUTPUT].
    #[arg(long, value_name = "FILE")]
    pub github_output: Option<Utf8PathBuf>,
    /// Print the plan (names, commit, timestamp, steps with their inputs and outputs) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Build even when files under python/, frontend/ or installer/ differ from the commit (edited, staged or untracked); manifest.json then records "dirty": true and the files [default: refuse, naming them].
    #[arg(long)]
    pub allow_dirty: bool,
    #[command(flatten)]
    pub repo: RepoArg,
}

#[derive(Debug, Args)]
pub struct Verify {
    /// The folder build-installer wrote [default: dist/ of the checkout].
    #[arg(value_name = "DIR")]
    pub dir: Option<Utf8PathBuf>,
    #[command(flatten)]
    pub repo: RepoArg,
}

#[derive(Debug, Args)]
pub struct VerifyReproducible {
    /// Keep the two clones (their paths are printed) instead of removing them.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Args)]
pub struct SmokeTest {
    /// The installer zip, checked against the SHA256SUMS beside it [default: the one dist/manifest.json of the checkout names].
    #[arg(value_name = "ZIP")]
    pub zip: Option<Utf8PathBuf>,
    /// Keep the temporary folder (its path is printed) instead of removing it.
    #[arg(long)]
    pub keep: bool,
    /// Also load the page in headless Chromium (see `setup --browser`): the version must render;
    /// the DOM and a screenshot are saved as target/xtask/smoke/page.html and page.png.
    #[arg(long)]
    pub browser: bool,
    /// How long the install step may run (install.sh, or install.bat on Windows) before it is stopped and the test fails, naming the step.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub install_timeout: u64,
    #[command(flatten)]
    pub repo: RepoArg,
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
    /// Build natively and with setuptools (python -m build --no-isolation), print the differences
    /// of METADATA, PKG-INFO, WHEEL, entry points and the file lists, the deliberate ones named; exit 0
    /// only if no other difference remains.
    #[arg(long, conflicts_with_all = ["sdist", "wheel", "list", "out"])]
    pub compare: bool,
    /// With --compare, the Python whose setuptools and build make the reference [default: the dev venv's].
    #[arg(long, value_name = "PATH", requires = "compare")]
    pub python: Option<Utf8PathBuf>,
    /// Accept the build requirement NAME, which this builder does not know, on your word that
    /// setuptools does not need it to decide what gets built (repeatable; every build says so).
    #[arg(long, value_name = "NAME")]
    pub allow_build_requires: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// The wall time of `check` (every check at once) against the sum of the checks run one by one.
    Check(BenchCheck),
    /// Time `dist` against python -m build (isolated and not), uv build, and zip -6 + tar -czf.
    Dist(BenchDist),
    /// The peak memory of `dist` on a generated project holding one large (1 GiB) package-data file.
    DistMemory(BenchDistMemory),
    /// The xtask's own cost: a clean build of HEAD (wall and CPU time), a warm `cargo xtask --help`, the test lanes.
    Build(BenchBuild),
}

#[derive(Debug, Args)]
pub struct BenchBuild {
    /// Also time the fast test lane on this checkout.
    #[arg(long)]
    pub lanes: bool,
    /// With --lanes, the slow lane too (minutes).
    #[arg(long, requires = "lanes")]
    pub slow: bool,
    /// Keep target/xtask/bench-build/ (the clone and its target folder).
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Args)]
pub struct BenchCheck {
    /// Run at most N checks at a time in the parallel run [default: the number of CPUs].
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
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

#[derive(Debug, Args)]
pub struct BenchDistMemory {
    /// The size of the generated package-data file, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=3072))]
    pub size_mib: u64,
    /// Keep target/xtask/bench-dist-memory/ (the generated project, the archives) for inspection.
    #[arg(long)]
    pub keep: bool,
}
