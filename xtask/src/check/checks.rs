//! The checks, as data: each one's name, the tool and arguments it runs, the
//! folder it runs in, its fixer and its GitHub Actions variant.
//!
//! Nothing here starts a process: selecting checks, listing them and ordering
//! the fixers are pure functions of this table.

use std::fmt;

use camino::Utf8PathBuf;

use crate::paths::Layout;

/// Which half of the repository a check is about; also the part of the
/// development environment its tool comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Runs in `python/`, with a tool from `.venv`.
    Python,
    /// Runs in `frontend/`, with a tool from `frontend/node_modules/.bin`.
    Frontend,
}

impl Group {
    /// The folder (under a repository root) the group's checks run in.
    pub fn dir(self, tree: &Layout) -> Utf8PathBuf {
        match self {
            Group::Python => tree.python(),
            Group::Frontend => tree.frontend(),
        }
    }

    /// The folder name relative to the repository root, for annotations.
    pub fn dir_name(self) -> &'static str {
        match self {
            Group::Python => "python",
            Group::Frontend => "frontend",
        }
    }

    /// The command that installs this group's tools.
    pub fn setup_command(self) -> &'static str {
        match self {
            Group::Python => "cargo xtask setup --python",
            Group::Frontend => "cargo xtask setup --frontend",
        }
    }
}

/// How to read a tool's output in GitHub Actions, when the tool cannot write
/// annotations itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotator {
    /// The output is shown as it is (the tool annotates by itself, or has no
    /// file positions to annotate).
    Plain,
    /// `file:line: error: message` lines.
    Mypy,
    /// `file(line,col): error TS1234: message` lines.
    Tsc,
    /// `[warn] file` lines of `prettier --check`.
    Prettier,
    /// eslint's `--format json` report.
    EslintJson,
}

/// What a check runs in GitHub Actions instead of its usual arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Github {
    pub args: &'static [&'static str],
    pub annotator: Annotator,
}

/// The fixing variant of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fix {
    pub args: &'static [&'static str],
    /// Added by `--unsafe-fixes`, if the tool has such a thing.
    pub unsafe_arg: Option<&'static str>,
    /// Place among the fixers of the same group: lower runs first.
    pub order: u8,
}

/// One named check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub group: Group,
    /// The program, looked up in the group's part of the environment.
    pub tool: &'static str,
    pub args: &'static [&'static str],
    pub github: Option<Github>,
    pub fix: Option<Fix>,
    /// A rough weight (about its seconds on the repository): heavier checks
    /// start first so the slowest does not start last.
    pub cost: u32,
}

/// The `tool` of a check that runs this xtask itself (one of its commands).
pub const XTASK: &str = "xtask";

impl Check {
    /// Where the tool is, in the given development environment.
    pub fn program(&self, env: &Layout) -> Utf8PathBuf {
        if self.tool == XTASK {
            return std::env::current_exe()
                .ok()
                .and_then(|exe| Utf8PathBuf::from_path_buf(exe).ok())
                .unwrap_or_else(|| Utf8PathBuf::from("cargo-xtask"));
        }
        match self.group {
            Group::Python => env.venv_bin(self.tool),
            Group::Frontend => env.node_bin(self.tool),
        }
    }
}

/// Every check, in the order they are listed and reported.
pub const CHECKS: &[Check] = &[
    Check {
        name: "ruff-lint",
        group: Group::Python,
        tool: "ruff",
        args: &["check"],
        github: Some(Github {
            args: &["check", "--output-format=github"],
            annotator: Annotator::Plain,
        }),
        fix: Some(Fix {
            args: &["check", "--fix"],
            unsafe_arg: Some("--unsafe-fixes"),
            order: 0,
        }),
        cost: 1,
    },
    Check {
        name: "ruff-format",
        group: Group::Python,
        tool: "ruff",
        args: &["format", "--check"],
        github: Some(Github {
            args: &["format", "--check", "--output-format=github"],
            annotator: Annotator::Plain,
        }),
        fix: Some(Fix {
            args: &["format"],
            unsafe_arg: None,
            order: 1,
        }),
        cost: 1,
    },
    Check {
        name: "mypy",
        group: Group::Python,
        tool: "mypy",
        // Strict mode and the files to check are set in python/pyproject.toml.
        args: &[],
        github: Some(Github {
            args: &[],
            annotator: Annotator::Mypy,
        }),
        fix: None,
        cost: 4,
    },
    Check {
        name: "pytest",
        group: Group::Python,
        tool: "pytest",
        args: &["-q"],
        github: None,
        fix: None,
        cost: 3,
    },
    Check {
        name: "prettier",
        group: Group::Frontend,
        tool: "prettier",
        args: &["--check", "."],
        github: Some(Github {
            args: &["--check", "."],
            annotator: Annotator::Prettier,
        }),
        fix: Some(Fix {
            args: &["--write", "."],
            unsafe_arg: None,
            order: 1,
        }),
        cost: 1,
    },
    Check {
        name: "eslint",
        group: Group::Frontend,
        tool: "eslint",
        args: &["--max-warnings=0", "."],
        github: Some(Github {
            args: &["--max-warnings=0", "--format", "json", "."],
            annotator: Annotator::EslintJson,
        }),
        // Before prettier, so the layout prettier writes is the last word.
        fix: Some(Fix {
            args: &["--fix", "--max-warnings=0", "."],
            unsafe_arg: None,
            order: 0,
        }),
        cost: 7,
    },
    Check {
        name: "circular",
        group: Group::Frontend,
        tool: "madge",
        args: &["--circular", "--extensions", "ts", "src"],
        github: None,
        fix: None,
        cost: 1,
    },
    Check {
        name: "tsc",
        group: Group::Frontend,
        tool: "tsc",
        args: &["--noEmit"],
        github: Some(Github {
            args: &["--noEmit", "--pretty", "false"],
            annotator: Annotator::Tsc,
        }),
        fix: None,
        cost: 3,
    },
    Check {
        name: "vitest",
        group: Group::Frontend,
        tool: "vitest",
        args: &["run"],
        github: Some(Github {
            args: &["run", "--reporter=default", "--reporter=github-actions"],
            annotator: Annotator::Plain,
        }),
        fix: None,
        cost: 2,
    },
    Check {
        name: "typegen",
        group: Group::Frontend,
        tool: XTASK,
        // Runs in frontend/, so `..` is the checked tree's root: the committed
        // API types must be what the app's OpenAPI document generates.
        args: &["frontend", "typegen", "--mode", "check", "--root", ".."],
        github: None,
        fix: None,
        cost: 2,
    },
];

/// Which checks to run, as given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub python: bool,
    pub frontend: bool,
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

/// Why a selection is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// `--only` or `--skip` named checks that do not exist.
    Unknown(Vec<String>),
    /// The flags together leave nothing to run.
    Empty,
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectError::Unknown(names) => write!(
                f,
                "unknown check{} {}; the checks are: {}",
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                known_names()
            ),
            SelectError::Empty => write!(
                f,
                "these flags select no check; the checks are: {}",
                known_names()
            ),
        }
    }
}

impl std::error::Error for SelectError {}

fn known_names() -> String {
    CHECKS
        .iter()
        .map(|check| check.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The checks the flags select, in table order. No group flag means both
/// groups; `--only` keeps just the named checks, `--skip` leaves some out.
pub fn select(all: &[Check], selection: &Selection) -> Result<Vec<Check>, SelectError> {
    let unknown: Vec<String> = selection
        .only
        .iter()
        .chain(&selection.skip)
        .filter(|name| !all.iter().any(|check| check.name == name.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(SelectError::Unknown(unknown));
    }
    let both = !selection.python && !selection.frontend;
    let chosen: Vec<Check> = all
        .iter()
        .filter(|check| match check.group {
            Group::Python => both || selection.python,
            Group::Frontend => both || selection.frontend,
        })
        .filter(|check| selection.only.is_empty() || selection.only.iter().any(|n| n == check.name))
        .filter(|check| !selection.skip.iter().any(|n| n == check.name))
        .copied()
        .collect();
    if chosen.is_empty() {
        return Err(SelectError::Empty);
    }
    Ok(chosen)
}

/// Whether a planned step checks or rewrites files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Fix,
}

/// How the selected checks are to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub fix: bool,
    pub unsafe_fixes: bool,
    /// Running in GitHub Actions: use the annotating variants.
    pub github: bool,
    /// mypy over every Python file with `--strict` and no configuration, so
    /// no per-module relaxation applies.
    pub mypy_all: bool,
}

/// mypy's arguments under `--mypy-all`: no config file (so no per-module
/// relaxation), strict, every `.py` under python/ but build leftovers.
pub const MYPY_ALL_ARGS: &[&str] = &[
    "--config-file=",
    "--strict",
    "--python-version",
    "3.10",
    "--exclude",
    "(^|/)(build|dist)/",
    ".",
];

/// One step of the run: a check (or its fixer) and the steps it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub check: Check,
    pub mode: Mode,
    pub args: Vec<String>,
    pub annotator: Annotator,
    /// Indexes of the steps that must be finished before this one starts.
    pub after: Vec<usize>,
}

impl Step {
    /// The command line as shown to people: `ruff check --fix`.
    pub fn command_line(&self) -> String {
        std::iter::once(self.check.tool)
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The steps for the selected checks, in the same order.
///
/// Without `--fix`, every check runs independently. With `--fix`, the checks
/// that have a fixer run it instead, one fixer at a time within a group (they
/// write the same files), and the group's other checks wait for its last
/// fixer, so they see the fixed files. The two groups touch disjoint trees, so
/// they still run side by side.
pub fn plan(selected: &[Check], options: Options) -> Vec<Step> {
    let mut steps: Vec<Step> = selected
        .iter()
        .map(|check| {
            let (mode, args, annotator) = match (options.fix, check.fix, check.github) {
                (true, Some(fix), _) => {
                    let mut args: Vec<String> = fix.args.iter().map(|a| a.to_string()).collect();
                    if let (true, Some(unsafe_arg)) = (options.unsafe_fixes, fix.unsafe_arg) {
                        // Options go before the trailing path arguments.
                        let at = args.iter().position(|a| a == ".").unwrap_or(args.len());
                        args.insert(at, unsafe_arg.to_owned());
                    }
                    (Mode::Fix, args, Annotator::Plain)
                }
                (_, _, Some(github)) if options.github => (
                    Mode::Check,
                    github.args.iter().map(|a| a.to_string()).collect(),
                    github.annotator,
                ),
                _ => (
                    Mode::Check,
                    check.args.iter().map(|a| a.to_string()).collect(),
                    Annotator::Plain,
                ),
            };
            let args = if options.mypy_all && check.name == "mypy" && mode == Mode::Check {
                // The annotating variant has no extra arguments, so the same
                // list serves both.
                MYPY_ALL_ARGS.iter().map(|a| a.to_string()).collect()
            } else {
                args
            };
            Step {
                check: *check,
                mode,
                args,
                annotator,
                after: Vec::new(),
            }
        })
        .collect();

    if options.fix {
        for group in [Group::Python, Group::Frontend] {
            let mut fixers: Vec<usize> = (0..steps.len())
                .filter(|&i| steps[i].check.group == group && steps[i].mode == Mode::Fix)
                .collect();
            fixers.sort_by_key(|&i| (steps[i].check.fix.map_or(0, |fix| fix.order), i));
            for pair in fixers.windows(2) {
                steps[pair[1]].after.push(pair[0]);
            }
            if let Some(&last) = fixers.last() {
                for step in steps.iter_mut() {
                    if step.check.group == group && step.mode == Mode::Check {
                        step.after.push(last);
                    }
                }
            }
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(checks: &[Check]) -> Vec<&'static str> {
        checks.iter().map(|check| check.name).collect()
    }

    fn sel(python: bool, frontend: bool, only: &[&str], skip: &[&str]) -> Selection {
        Selection {
            python,
            frontend,
            only: only.iter().map(|s| s.to_string()).collect(),
            skip: skip.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_table_has_the_ten_checks_with_unique_names() {
        assert_eq!(
            names(CHECKS),
            [
                "ruff-lint",
                "ruff-format",
                "mypy",
                "pytest",
                "prettier",
                "eslint",
                "circular",
                "tsc",
                "vitest",
                "typegen"
            ]
        );
        // Names are used in --only/--skip and as log file names.
        for check in CHECKS {
            assert!(
                check
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                check.name
            );
        }
    }

    #[test]
    fn typegen_runs_this_xtask_in_check_mode_on_the_checked_tree() {
        let typegen = CHECKS.iter().find(|c| c.name == "typegen").unwrap();
        assert_eq!(typegen.group, Group::Frontend);
        assert_eq!(typegen.tool, XTASK);
        assert_eq!(
            typegen.args,
            ["frontend", "typegen", "--mode", "check", "--root", ".."]
        );
        let program = typegen.program(&Layout::at(camino::Utf8Path::new("/env")));
        assert_eq!(
            program.as_std_path(),
            std::env::current_exe().unwrap(),
            "typegen runs the running xtask, not a tool of the environment"
        );
    }

    #[test]
    fn mypy_all_drops_the_config_and_checks_every_file_strictly() {
        for github in [false, true] {
            let steps = plan(
                CHECKS,
                Options {
                    mypy_all: true,
                    github,
                    ..Options::default()
                },
            );
            let mypy = steps.iter().find(|s| s.check.name == "mypy").unwrap();
            assert_eq!(mypy.args, MYPY_ALL_ARGS);
            assert!(mypy.args.iter().any(|a| a == "--config-file="));
            assert!(mypy.args.iter().any(|a| a == "--strict"));
            let ruff = steps.iter().find(|s| s.check.name == "ruff-lint").unwrap();
            assert!(
                ruff.args.starts_with(&["check".to_owned()]),
                "other checks keep their arguments"
            );
        }
        let plain = plan(CHECKS, Options::default());
        assert!(
            plain
                .iter()
                .find(|s| s.check.name == "mypy")
                .unwrap()
                .args
                .is_empty()
        );
    }

    #[test]
    fn each_check_runs_its_tool_with_the_documented_flags() {
        let find = |name: &str| CHECKS.iter().find(|c| c.name == name).unwrap();
        assert_eq!(find("ruff-format").args, ["format", "--check"]);
        assert_eq!(find("eslint").args, ["--max-warnings=0", "."]);
        assert_eq!(find("tsc").args, ["--noEmit"]);
        assert_eq!(find("vitest").args, ["run"]);
        assert_eq!(find("circular").tool, "madge");
        assert!(find("circular").args.contains(&"--circular"));
        // The same files are checked in GitHub Actions, only reported differently.
        for check in CHECKS {
            if let Some(github) = check.github {
                for arg in check.args {
                    assert!(github.args.contains(arg), "{}: {arg}", check.name);
                }
            }
        }
    }

    #[test]
    fn no_flag_selects_everything_in_table_order() {
        let all = select(CHECKS, &Selection::default()).unwrap();
        assert_eq!(names(&all), names(CHECKS));
        assert_eq!(select(CHECKS, &sel(true, true, &[], &[])).unwrap(), all);
    }

    #[test]
    fn group_flags_select_their_half() {
        assert_eq!(
            names(&select(CHECKS, &sel(true, false, &[], &[])).unwrap()),
            ["ruff-lint", "ruff-format", "mypy", "pytest"]
        );
        assert_eq!(
            names(&select(CHECKS, &sel(false, true, &[], &[])).unwrap()),
            ["prettier", "eslint", "circular", "tsc", "vitest", "typegen"]
        );
    }

    #[test]
    fn only_and_skip_narrow_the_selection() {
        assert_eq!(
            names(&select(CHECKS, &sel(false, false, &["tsc", "mypy"], &[])).unwrap()),
            ["mypy", "tsc"]
        );
        assert_eq!(
            names(&select(CHECKS, &sel(false, true, &[], &["vitest"])).unwrap()),
            ["prettier", "eslint", "circular", "tsc", "typegen"]
        );
        assert_eq!(
            names(&select(CHECKS, &sel(true, false, &["mypy", "tsc"], &[])).unwrap()),
            ["mypy"]
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_known_ones() {
        let err = select(CHECKS, &sel(false, false, &["mypy", "pylint"], &["flake8"])).unwrap_err();
        assert_eq!(
            err,
            SelectError::Unknown(vec!["pylint".into(), "flake8".into()])
        );
        let message = err.to_string();
        assert!(
            message.contains("unknown checks pylint, flake8"),
            "{message}"
        );
        for check in CHECKS {
            assert!(message.contains(check.name), "{message}");
        }
    }

    #[test]
    fn a_selection_of_nothing_is_refused() {
        assert_eq!(
            select(CHECKS, &sel(true, false, &["tsc"], &[])),
            Err(SelectError::Empty)
        );
        assert_eq!(
            select(CHECKS, &sel(false, false, &["mypy"], &["mypy"])),
            Err(SelectError::Empty)
        );
    }

    #[test]
    fn checks_run_independently_without_fix() {
        let steps = plan(CHECKS, Options::default());
        assert_eq!(steps.len(), CHECKS.len());
        for step in &steps {
            assert_eq!(step.mode, Mode::Check);
            assert!(step.after.is_empty(), "{}", step.check.name);
            assert_eq!(step.annotator, Annotator::Plain);
        }
        assert_eq!(steps[0].command_line(), "ruff check");
        assert_eq!(steps[5].command_line(), "eslint --max-warnings=0 .");
    }

    #[test]
    fn github_mode_uses_the_annotating_variants() {
        let steps = plan(
            CHECKS,
            Options {
                github: true,
                ..Options::default()
            },
        );
        let by_name = |name: &str| steps.iter().find(|s| s.check.name == name).unwrap();
        assert_eq!(
            by_name("ruff-lint").command_line(),
            "ruff check --output-format=github"
        );
        assert_eq!(by_name("mypy").annotator, Annotator::Mypy);
        assert_eq!(by_name("eslint").annotator, Annotator::EslintJson);
        assert_eq!(by_name("prettier").annotator, Annotator::Prettier);
        assert_eq!(by_name("tsc").annotator, Annotator::Tsc);
        assert_eq!(by_name("pytest").command_line(), "pytest -q");
    }

    #[test]
    fn fixers_of_one_group_run_in_turn_and_the_rest_waits_for_them() {
        let steps = plan(
            CHECKS,
            Options {
                fix: true,
                ..Options::default()
            },
        );
        let index = |name: &str| steps.iter().position(|s| s.check.name == name).unwrap();
        let step = |name: &str| &steps[index(name)];
        assert_eq!(step("ruff-lint").command_line(), "ruff check --fix");
        assert_eq!(step("ruff-format").command_line(), "ruff format");
        assert_eq!(step("prettier").command_line(), "prettier --write .");
        assert_eq!(
            step("eslint").command_line(),
            "eslint --fix --max-warnings=0 ."
        );
        // ruff check --fix, then ruff format.
        assert!(step("ruff-lint").after.is_empty());
        assert_eq!(step("ruff-format").after, [index("ruff-lint")]);
        // eslint --fix, then prettier --write.
        assert!(step("eslint").after.is_empty());
        assert_eq!(step("prettier").after, [index("eslint")]);
        // The other checks read what the last fixer of their group wrote.
        assert_eq!(step("mypy").after, [index("ruff-format")]);
        assert_eq!(step("pytest").after, [index("ruff-format")]);
        for name in ["circular", "tsc", "vitest"] {
            assert_eq!(step(name).after, [index("prettier")], "{name}");
            assert_eq!(step(name).mode, Mode::Check);
        }
    }

    #[test]
    fn no_two_fixers_that_write_the_same_tree_can_overlap() {
        // Whatever the selection, the fixers of one group form a chain.
        let selections = [
            Selection::default(),
            sel(false, false, &["ruff-format", "ruff-lint"], &[]),
            sel(false, true, &[], &["eslint"]),
            sel(true, false, &[], &["mypy"]),
        ];
        for selection in selections {
            let chosen = select(CHECKS, &selection).unwrap();
            let steps = plan(
                &chosen,
                Options {
                    fix: true,
                    ..Options::default()
                },
            );
            for group in [Group::Python, Group::Frontend] {
                let fixers: Vec<usize> = (0..steps.len())
                    .filter(|&i| steps[i].mode == Mode::Fix && steps[i].check.group == group)
                    .collect();
                let heads = fixers
                    .iter()
                    .filter(|&&i| steps[i].after.is_empty())
                    .count();
                assert!(fixers.is_empty() || heads == 1, "{selection:?}");
                for &i in &fixers {
                    for &j in &steps[i].after {
                        assert_eq!(steps[j].check.group, group);
                    }
                }
            }
        }
    }

    #[test]
    fn unsafe_fixes_reach_ruff_only() {
        let steps = plan(
            CHECKS,
            Options {
                fix: true,
                unsafe_fixes: true,
                github: false,
                mypy_all: false,
            },
        );
        assert_eq!(steps[0].command_line(), "ruff check --fix --unsafe-fixes");
        assert_eq!(steps[1].command_line(), "ruff format");
        assert!(
            steps
                .iter()
                .skip(1)
                .all(|s| !s.args.iter().any(|a| a == "--unsafe-fixes"))
        );
    }

    #[test]
    fn programs_come_from_the_group_environment() {
        let env = Layout::at(camino::Utf8Path::new("/env"));
        let ruff = CHECKS[0].program(&env);
        let tsc = CHECKS
            .iter()
            .find(|c| c.name == "tsc")
            .unwrap()
            .program(&env);
        assert!(ruff.starts_with("/env/.venv"), "{ruff}");
        assert!(tsc.starts_with("/env/frontend/node_modules/.bin"), "{tsc}");
        assert_eq!(Group::Python.dir(&Layout::at("/t".into())), "/t/python");
    }
}
