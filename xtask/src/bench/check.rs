//! `cargo xtask bench check`: the wall time of `check` running every check at
//! once, against the sum of the same checks run one by one, in one run.
//!
//! A first, untimed run warms the tools' caches (mypy's, ruff's, the file
//! system's) so both measurements start from the same state.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use xshell::Shell;

use crate::check::checks::{self, CHECKS, Options};
use crate::check::report::Style;
use crate::check::runner::Settings;
use crate::check::{self as check_cmd, Finished};
use crate::flags;
use crate::paths::Layout;

impl flags::BenchCheck {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let layout = Layout::new();
        let all = checks::plan(CHECKS, Options::default());
        check_cmd::ensure_tools(sh, &layout, &all)?;
        let jobs = self.jobs.map_or_else(check_cmd::default_jobs, usize::from);
        let run = |steps: &[checks::Step], jobs: usize| -> Result<(Duration, Finished)> {
            let settings = Settings {
                jobs,
                fail_fast: false,
            };
            let start = Instant::now();
            let finished =
                check_cmd::execute(sh, steps, &layout, &layout, settings, Style::Silent, false)?;
            let wall = start.elapsed();
            if finished.interrupted {
                bail!("interrupted");
            }
            if !finished.all_passed() {
                let failed: Vec<&str> = finished
                    .names
                    .iter()
                    .zip(&finished.outcomes)
                    .filter(|(_, o)| o.status != check_cmd::runner::Status::Passed)
                    .map(|(n, _)| n.as_str())
                    .collect();
                bail!(
                    "these checks failed, so their times mean little: {}; see `cargo xtask check`",
                    failed.join(", ")
                );
            }
            Ok((wall, finished))
        };

        eprintln!("bench check: warm-up run");
        run(&all, jobs)?;
        eprintln!("bench check: every check at once (-j {jobs})");
        let (parallel, together) = run(&all, jobs)?;
        let mut alone = Vec::new();
        for check in CHECKS {
            eprintln!("bench check: {} alone", check.name);
            let steps = checks::plan(std::slice::from_ref(check), Options::default());
            alone.push(run(&steps, 1)?.0);
        }
        print!(
            "{}",
            table(
                &together.names,
                &alone,
                &together
                    .outcomes
                    .iter()
                    .map(|o| o.duration.unwrap_or_default())
                    .collect::<Vec<_>>(),
                parallel,
                jobs
            )
        );
        Ok(())
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// The figures: each check alone and within the parallel run, the sum of the
/// checks run alone, the parallel wall time and the ratio of the two.
fn table(
    names: &[String],
    alone: &[Duration],
    within: &[Duration],
    parallel: Duration,
    jobs: usize,
) -> String {
    let sum: Duration = alone.iter().sum();
    let width = names.iter().map(String::len).max().unwrap_or(0).max(5);
    let mut out = format!(
        "{:<width$}  {:>8}  {:>14}\n",
        "check", "alone", "in parallel"
    );
    for ((name, a), w) in names.iter().zip(alone).zip(within) {
        out.push_str(&format!(
            "{name:<width$}  {:>8}  {:>14}\n",
            secs(*a),
            secs(*w)
        ));
    }
    let ratio = sum.as_secs_f64() / parallel.as_secs_f64().max(f64::EPSILON);
    out.push_str(&format!(
        "\nchecks run one by one (sum):  {}\ncheck, all at once (-j {jobs}):  {}  ({ratio:.2}x)\n",
        secs(sum),
        secs(parallel)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_adds_up_the_checks_run_alone() {
        let names = vec!["ruff-lint".to_owned(), "mypy".to_owned()];
        let ms = Duration::from_millis;
        let out = table(
            &names,
            &[ms(500), ms(3500)],
            &[ms(600), ms(3900)],
            ms(2000),
            2,
        );
        assert_eq!(
            out,
            "check         alone     in parallel\n\
             ruff-lint     0.50s           0.60s\n\
             mypy          3.50s           3.90s\n\
             \n\
             checks run one by one (sum):  4.00s\n\
             check, all at once (-j 2):  2.00s  (2.00x)\n"
        );
    }
}
