//! `cargo xtask check`: the code-quality checks of the Python package and the
//! web UI, run side by side with a live view and a summary at the end.
//!
//! - [`checks`]: the checks as data, selection and the `--fix` ordering;
//! - [`runner`]: the processes (at most `-j` at a time, process groups);
//! - [`report`]: the live view, the summary table and the verdict;
//! - [`github`]: groups and annotations in GitHub Actions.

pub mod checks;
mod github;
pub mod report;
pub mod runner;

use std::process::{Command, ExitCode};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::setup::{self, Parts};

use checks::{CHECKS, Group, Mode, Options, Selection, Step};
use report::Style;
use runner::{Job, Node, Outcome, Settings, Status};

impl flags::Check {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let selection = Selection {
            python: self.python,
            frontend: self.frontend,
            only: self.only,
            skip: self.skip,
        };
        let selected = checks::select(CHECKS, &selection)?;
        let github = github::active();
        let options = Options {
            fix: self.fix,
            unsafe_fixes: self.unsafe_fixes,
            github,
            mypy_all: self.mypy_all,
        };
        let steps = checks::plan(&selected, options);
        let env = layout_or_repo(self.dev_env.as_deref(), "--dev-env")?;
        let tree = layout_or_repo(self.root.as_deref(), "--root")?;

        if self.list {
            print!("{}", listing(&steps, &env));
            return Ok(ExitCode::SUCCESS);
        }

        ensure_tools(sh, &env, &steps)?;
        let settings = Settings {
            jobs: self.jobs.map_or_else(default_jobs, usize::from),
            fail_fast: self.fail_fast,
        };
        let finished = execute(sh, &steps, &env, &tree, settings, Style::detect(), github)?;

        let colour = report::colour_stdout();
        println!();
        print!(
            "{}",
            report::summary(&finished.names, &finished.outcomes, colour)
        );
        let token = github::stop_token();
        for (index, outcome) in finished.outcomes.iter().enumerate() {
            if outcome.status != Status::Failed {
                continue;
            }
            let step = &steps[index];
            println!(
                "\n--- {} failed ({}); log: {}",
                finished.names[index],
                outcome.exit.as_deref().unwrap_or("failed"),
                tree.check_log(step.check.name)
            );
            let text = rendered(step, outcome, &tree).text;
            let text = report::excerpt(&text, FAILURE_LINES, FAILURE_BYTES);
            if github {
                print!("{}", github::verbatim(&text, &token));
            } else {
                print!("{text}");
            }
        }
        println!();
        println!(
            "{}",
            report::verdict(&finished.names, &finished.outcomes, finished.interrupted)
        );
        Ok(if finished.interrupted {
            ExitCode::from(130)
        } else if finished.all_passed() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// The most of a failure's output shown after the summary (its end); the
/// whole is in its log, whose path is shown with it.
const FAILURE_LINES: usize = 100;
const FAILURE_BYTES: usize = 16 * 1024;

/// The layout of the folder given to `flag`, or this repository's.
fn layout_or_repo(dir: Option<&Utf8Path>, flag: &str) -> Result<Layout> {
    match dir {
        None => Ok(Layout::new()),
        Some(dir) => {
            let root = dir
                .canonicalize_utf8()
                .with_context(|| format!("cannot find the folder {dir} given to {flag}"))?;
            Layout::load(&root)
        }
    }
}

/// `-j` when not given: the number of CPUs.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// A finished run, in step order.
pub struct Finished {
    /// What the summary calls each step (`ruff-lint`, `ruff-lint --fix`).
    pub names: Vec<String>,
    pub outcomes: Vec<Outcome>,
    pub interrupted: bool,
}

impl Finished {
    pub fn all_passed(&self) -> bool {
        !self.interrupted && self.outcomes.iter().all(|o| o.status == Status::Passed)
    }
}

/// The name a step goes by in the view and the summary.
fn display_name(step: &Step) -> String {
    match step.mode {
        Mode::Check => step.check.name.to_owned(),
        Mode::Fix => format!("{}:fix", step.check.name),
    }
}

/// `--list`: each check, the folder it runs in and its command.
fn listing(steps: &[Step], env: &Layout) -> String {
    let names: Vec<String> = steps.iter().map(display_name).collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (step, name) in steps.iter().zip(&names) {
        let program = step.check.program(env);
        let shown = program
            .strip_prefix(&env.root)
            .map(Utf8Path::to_path_buf)
            .unwrap_or(program);
        let mut line = format!(
            "{name:<width$}  {:<9}  {shown}",
            format!("{}/", step.check.group.dir_name())
        );
        for arg in &step.args {
            line.push(' ');
            line.push_str(arg);
        }
        if !step.after.is_empty() {
            let after: Vec<&str> = step.after.iter().map(|&i| names[i].as_str()).collect();
            line.push_str(&format!("   (after {})", after.join(", ")));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Make sure every tool the steps need is installed: bring the development
/// environment up to date (which installs what is missing), then look again.
pub fn ensure_tools(sh: &Shell, env: &Layout, steps: &[Step]) -> Result<()> {
    let parts = Parts {
        python: steps.iter().any(|s| s.check.group == Group::Python),
        frontend: steps.iter().any(|s| s.check.group == Group::Frontend),
    };
    let missing_before = missing_tools(env, steps);
    if !missing_before.is_empty() {
        eprintln!(
            "check: {} not installed; running setup",
            describe_missing(&missing_before)
        );
    }
    let setup = setup::ensure_parts_at(sh, env, parts);
    let missing = missing_tools(env, steps);
    if missing.is_empty() {
        return setup.context("cannot bring the development environment up to date");
    }
    let install = install_commands(&missing);
    match setup {
        Err(err) => Err(err).with_context(|| {
            format!(
                "{} not installed, and setup could not install {}; install {} with `{install}` and run the checks again",
                describe_missing(&missing),
                them(&missing),
                them(&missing),
            )
        }),
        Ok(()) => bail!(
            "{} still not installed after setup found the environment up to date; reinstall with `{install} --force`",
            describe_missing(&missing)
        ),
    }
}

/// The tools (with their group) that are not where the steps expect them.
fn missing_tools(env: &Layout, steps: &[Step]) -> Vec<(Utf8PathBuf, Group)> {
    let mut missing: Vec<(Utf8PathBuf, Group)> = Vec::new();
    for step in steps {
        let program = step.check.program(env);
        if !program.is_file() && !missing.iter().any(|(p, _)| *p == program) {
            missing.push((program, step.check.group));
        }
    }
    missing
}

fn describe_missing(missing: &[(Utf8PathBuf, Group)]) -> String {
    let tools: Vec<String> = missing
        .iter()
        .map(|(path, _)| format!("{} ({path})", path.file_stem().unwrap_or("?")))
        .collect();
    let verb = if missing.len() == 1 { "is" } else { "are" };
    format!("{} {verb}", tools.join(", "))
}

fn them(missing: &[(Utf8PathBuf, Group)]) -> &'static str {
    if missing.len() == 1 { "it" } else { "them" }
}

fn install_commands(missing: &[(Utf8PathBuf, Group)]) -> String {
    let python = missing.iter().any(|(_, g)| *g == Group::Python);
    let frontend = missing.iter().any(|(_, g)| *g == Group::Frontend);
    match (python, frontend) {
        (true, true) => "cargo xtask setup".to_owned(),
        (true, false) => Group::Python.setup_command().to_owned(),
        _ => Group::Frontend.setup_command().to_owned(),
    }
}

/// Run the steps on the tree at `tree` with the tools of `env`, showing
/// progress in `style`; in GitHub Actions, each finished check's output is
/// printed in a group with its annotations.
pub fn execute(
    sh: &Shell,
    steps: &[Step],
    env: &Layout,
    tree: &Layout,
    settings: Settings,
    style: Style,
    github: bool,
) -> Result<Finished> {
    if steps.iter().any(|s| s.check.group == Group::Frontend)
        && tree.root != env.root
        && !tree.node_modules().exists()
    {
        bail!(
            "{} is missing; the front-end tools load the configuration's plugins from there: link it to {} (ln -s {} {})",
            tree.node_modules(),
            env.node_modules(),
            env.node_modules(),
            tree.node_modules()
        );
    }
    let logs = tree.check_logs();
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {logs}"))?;
    let jobs = steps.iter().map(|step| job(sh, step, env, tree)).collect();
    let names: Vec<String> = steps.iter().map(display_name).collect();

    let interrupt = interrupt_flag()?;
    let mut view = report::View::new(names.clone(), style);
    let result = runner::run(jobs, settings, &interrupt, |event| {
        view.event(&event);
        if let (true, runner::Event::Finished(index, outcome)) = (github, &event) {
            if matches!(
                outcome.status,
                Status::Passed | Status::Failed | Status::Stopped
            ) {
                let rendered = rendered(&steps[*index], outcome, tree);
                let title = format!(
                    "{}: {} ({})",
                    names[*index],
                    outcome.status.word(),
                    outcome.duration.map(report::duration).unwrap_or_default()
                );
                print!("{}", github::group(&title, &rendered.text));
                for annotation in rendered.annotations {
                    println!("{annotation}");
                }
            }
        }
    });
    view.close();
    let report = result?;
    Ok(Finished {
        names,
        outcomes: report.outcomes,
        interrupted: report.interrupted,
    })
}

/// Set by Ctrl-C (SIGINT), SIGTERM or SIGHUP (a closed terminal or SSH
/// session; see `process::STOP_SIGNALS`) from the first run on: the runner then
/// stops every check's process group itself. The handlers stay for the rest
/// of the process (removing them would leave the signals ignored).
fn interrupt_flag() -> Result<Arc<AtomicBool>> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    if let Some(flag) = FLAG.get() {
        return Ok(Arc::clone(flag));
    }
    let flag = Arc::new(AtomicBool::new(false));
    for &signal in crate::util::process::STOP_SIGNALS {
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .context("cannot install the Ctrl-C handler")?;
    }
    Ok(Arc::clone(FLAG.get_or_init(|| flag)))
}

/// A step's output as people read it (eslint's JSON becomes a listing).
fn rendered(step: &Step, outcome: &Outcome, tree: &Layout) -> github::Rendered {
    let group = step.check.group;
    github::render(
        step.annotator,
        &outcome.output,
        &group.dir(tree),
        group.dir_name(),
    )
}

/// The process of a step: the tool from `env`, run in its folder of `tree`.
fn job(sh: &Shell, step: &Step, env: &Layout, tree: &Layout) -> Job {
    let program = step.check.program(env);
    let dir = step.check.group.dir(tree);
    // The xtask's own command takes its tools from this environment,
    // wherever the tree is (it would set one up in the tree otherwise).
    let extra = if step.check.tool == checks::XTASK {
        vec!["--dev-env".to_owned(), env.root.to_string()]
    } else {
        Vec::new()
    };
    let header = format!(
        "$ {} (in {dir}, with {program})",
        std::iter::once(step.command_line())
            .chain(extra.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let args = step.args.iter().chain(&extra);
    let mut command: Command = cmd!(sh, "{program} {args...}").into();
    command
        .current_dir(&dir)
        // The output is kept in logs and shown again later: no colour codes.
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR");
    Job {
        name: display_name(step),
        node: Node {
            after: step.after.clone(),
            cost: step.check.cost,
        },
        command,
        log: tree.check_log(step.check.name),
        header,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_shows_every_check_with_its_folder_and_command() {
        let env = Layout::at(Utf8Path::new("/env"));
        let steps = checks::plan(CHECKS, Options::default());
        let listing = listing(&steps, &env);
        assert_eq!(listing.lines().count(), CHECKS.len());
        assert!(
            listing.contains("ruff-lint    python/    .venv/bin/ruff check\n"),
            "{listing}"
        );
        assert!(
            listing.contains("circular     frontend/  frontend/node_modules/.bin/madge --circular --extensions ts src\n")
                || cfg!(windows),
            "{listing}"
        );
    }

    #[test]
    fn the_fix_listing_shows_the_order() {
        let env = Layout::at(Utf8Path::new("/env"));
        let options = Options {
            fix: true,
            ..Options::default()
        };
        let listing = listing(&checks::plan(CHECKS, options), &env);
        assert!(
            listing.contains(
                "ruff-format:fix  python/    .venv/bin/ruff format   (after ruff-lint:fix)"
            ),
            "{listing}"
        );
        assert!(listing.contains("(after prettier:fix)"), "{listing}");
    }

    #[test]
    fn missing_tools_name_the_command_that_installs_them() {
        let python = [(Utf8PathBuf::from("/e/.venv/bin/ruff"), Group::Python)];
        assert_eq!(install_commands(&python), "cargo xtask setup --python");
        assert_eq!(describe_missing(&python), "ruff (/e/.venv/bin/ruff) is");
        let both = [
            python[0].clone(),
            (
                Utf8PathBuf::from("/e/frontend/node_modules/.bin/tsc"),
                Group::Frontend,
            ),
        ];
        assert_eq!(install_commands(&both), "cargo xtask setup");
        assert_eq!(install_commands(&both[1..]), "cargo xtask setup --frontend");
    }

    #[test]
    fn each_tool_is_named_once_however_many_checks_use_it() {
        let env = Layout::at(Utf8Path::new("/nonexistent-env"));
        let steps = checks::plan(CHECKS, Options::default());
        let missing = missing_tools(&env, &steps);
        let tools: Vec<&str> = missing
            .iter()
            .map(|(p, _)| p.file_stem().unwrap())
            .collect();
        assert_eq!(
            tools,
            [
                "ruff", "mypy", "pytest", "prettier", "eslint", "madge", "tsc", "vitest"
            ]
        );
    }
}
