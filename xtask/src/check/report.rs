//! What people see: a live line per check on a terminal (plain start and
//! finish lines otherwise), then a summary table and each failure's output.
//!
//! Progress goes to stderr; the summary and the failures' output, the result
//! of the command, go to stdout.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::runner::{Event, Outcome, Status};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One animated line per check (stderr is a terminal, not in CI).
    Live,
    /// `check: start NAME` / `check: finish NAME: passed (1.2s)` lines.
    Plain,
    /// Nothing (benchmarks).
    Silent,
}

impl Style {
    /// Live on a terminal, plain when stderr is not one or `CI` is set.
    pub fn detect() -> Self {
        if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            Style::Live
        } else {
            Style::Plain
        }
    }
}

/// Whether to colour what goes to stdout: a terminal, and `NO_COLOR` unset.
pub fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn colour_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The last `lines` lines of a failure's output, at most `bytes` of them
/// (a line longer than that keeps its end), after a line saying how many
/// lines came before, when any did.
pub fn excerpt(text: &str, lines: usize, bytes: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let mut start = all.len();
    let mut used = 0;
    while start > 0 && all.len() - start < lines {
        let next = all[start - 1].len() + 1;
        if used + next > bytes && start < all.len() {
            break;
        }
        used += next;
        start -= 1;
    }
    let mut shown = all[start..].join("\n");
    if shown.len() > bytes {
        let mut cut = shown.len() - bytes;
        while !shown.is_char_boundary(cut) {
            cut += 1;
        }
        shown = format!("[...] {}", &shown[cut..]);
    }
    if start > 0 {
        shown = format!(
            "[... {start} earlier line{} in the log]\n{shown}",
            if start == 1 { "" } else { "s" }
        );
    }
    if !shown.is_empty() {
        shown.push('\n');
    }
    shown
}

/// A duration for people: `1.2s`, `12.3s`, `2m05s`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

fn paint(word: &str, status: Status, colour: bool) -> String {
    if !colour {
        return word.to_owned();
    }
    let code = match status {
        Status::Passed => "32",
        Status::Failed => "31;1",
        Status::Stopped | Status::Cancelled => "33",
        Status::Waiting | Status::Running => "2",
    };
    format!("\x1b[{code}m{word}\x1b[0m")
}

/// The progress display while the checks run.
pub struct View {
    style: Style,
    names: Vec<String>,
    width: usize,
    colour: bool,
    live: Option<(MultiProgress, Vec<ProgressBar>)>,
}

impl View {
    pub fn new(names: Vec<String>, style: Style) -> Self {
        let width = names.iter().map(String::len).max().unwrap_or(0);
        let colour = colour_stderr();
        let live = (style == Style::Live).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let bars = names
                .iter()
                .map(|name| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(plain_template());
                    bar.set_message(format!(
                        "  {name:<width$}  {}",
                        paint("waiting", Status::Waiting, colour)
                    ));
                    bar
                })
                .collect();
            (multi, bars)
        });
        View {
            style,
            names,
            width,
            colour,
            live,
        }
    }

    pub fn event(&mut self, event: &Event<'_>) {
        let width = self.width;
        match (event, &self.live) {
            (Event::Started(index), Some((_, bars))) => {
                let bar = &bars[*index];
                bar.set_style(running_template(width, self.colour));
                bar.set_prefix(self.names[*index].clone());
                bar.set_message("running");
                bar.reset_elapsed();
                bar.enable_steady_tick(Duration::from_millis(100));
            }
            (Event::Finished(index, outcome), Some((_, bars))) => {
                let bar = &bars[*index];
                bar.disable_steady_tick();
                bar.set_style(plain_template());
                let mark = match outcome.status {
                    Status::Passed => "✔",
                    Status::Failed => "✘",
                    _ => "-",
                };
                bar.finish_with_message(format!(
                    "{} {:<width$}  {} {}",
                    paint(mark, outcome.status, self.colour),
                    self.names[*index],
                    paint(outcome.status.word(), outcome.status, self.colour),
                    outcome.duration.map(duration).unwrap_or_default()
                ));
            }
            (Event::Started(index), None) if self.style == Style::Plain => {
                eprintln!("check: start {}", self.names[*index]);
            }
            (Event::Finished(index, outcome), None)
                if self.style == Style::Plain && outcome.status != Status::Cancelled =>
            {
                eprintln!(
                    "check: finish {}: {} ({})",
                    self.names[*index],
                    outcome.status.word(),
                    outcome.duration.map(duration).unwrap_or_default()
                );
            }
            _ => {}
        }
    }

    /// Leave the final lines on the terminal.
    pub fn close(self) {
        if let Some((multi, bars)) = self.live {
            for bar in bars {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
            drop(multi);
        }
    }
}

fn plain_template() -> ProgressStyle {
    ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn running_template(width: usize, colour: bool) -> ProgressStyle {
    let spinner = if colour {
        "{spinner:.cyan}"
    } else {
        "{spinner}"
    };
    ProgressStyle::with_template(&format!(
        "{spinner} {{prefix:<{width}}}  {{msg}} {{elapsed}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// The table at the end: one row per check with its result and duration.
pub fn summary(names: &[String], outcomes: &[Outcome], colour: bool) -> String {
    let width = names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("check".len());
    let mut out = format!("{:<width$}  {:<9}  {}\n", "check", "result", "duration");
    for (name, outcome) in names.iter().zip(outcomes) {
        let word = outcome.status.word();
        // Pad before painting, so colour codes do not upset the columns.
        let padded = format!("{word:<9}");
        out.push_str(&format!(
            "{name:<width$}  {}  {}\n",
            paint(&padded, outcome.status, colour),
            outcome
                .duration
                .map(duration)
                .unwrap_or_else(|| "-".to_owned())
        ));
    }
    out
}

/// The closing line.
pub fn verdict(names: &[String], outcomes: &[Outcome], interrupted: bool) -> String {
    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
    let failed: Vec<&str> = names
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| o.status == Status::Failed)
        .map(|(name, _)| name.as_str())
        .collect();
    let (stopped, cancelled) = (count(Status::Stopped), count(Status::Cancelled));
    let total = outcomes.len();
    let mut line = if interrupted {
        "check: interrupted".to_owned()
    } else if failed.is_empty() {
        format!("check: all {total} checks passed")
    } else {
        format!(
            "check: {} of {total} checks failed: {}",
            failed.len(),
            failed.join(", ")
        )
    };
    if stopped + cancelled > 0 {
        line.push_str(&format!("; {stopped} stopped, {cancelled} cancelled"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_shows_a_bounded_end_of_its_output() {
        assert_eq!(excerpt("", 5, 100), "");
        assert_eq!(excerpt("a\nb\n", 5, 100), "a\nb\n");
        assert_eq!(
            excerpt("1\n2\n3\n4\n", 2, 100),
            "[... 2 earlier lines in the log]\n3\n4\n"
        );
        // Bytes bound it too: 4 lines of 10 in 25 bytes keep two.
        let ten = "123456789\n".repeat(4);
        assert_eq!(
            excerpt(&ten, 100, 25),
            "[... 2 earlier lines in the log]\n123456789\n123456789\n"
        );
        // One huge line keeps its end.
        let huge = format!("{}END\n", "x".repeat(1_000_000));
        let shown = excerpt(&huge, 100, 64);
        assert!(
            shown.len() < 80 && shown.starts_with("[...] x") && shown.ends_with("END\n"),
            "{shown}"
        );
    }

    fn outcome(status: Status, secs: Option<f64>) -> Outcome {
        Outcome {
            status,
            duration: secs.map(Duration::from_secs_f64),
            output: String::new(),
            exit: None,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Duration::from_millis(60)), "0.1s");
        assert_eq!(duration(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn the_summary_has_a_row_per_check_in_columns() {
        let table = summary(
            &names(&["ruff-lint", "mypy", "vitest"]),
            &[
                outcome(Status::Passed, Some(0.06)),
                outcome(Status::Failed, Some(3.21)),
                outcome(Status::Cancelled, None),
            ],
            false,
        );
        assert_eq!(
            table,
            "check      result     duration\n\
             ruff-lint  passed     0.1s\n\
             mypy       failed     3.2s\n\
             vitest     cancelled  -\n"
        );
    }

    #[test]
    fn colour_does_not_move_the_columns() {
        let table = summary(&names(&["a"]), &[outcome(Status::Passed, Some(1.0))], true);
        assert_eq!(
            table.lines().nth(1).unwrap(),
            "a      \x1b[32mpassed   \x1b[0m  1.0s"
        );
    }

    #[test]
    fn the_verdict_names_the_failures() {
        let all = names(&["a", "b", "c"]);
        let passed = vec![outcome(Status::Passed, Some(1.0)); 3];
        assert_eq!(verdict(&all, &passed, false), "check: all 3 checks passed");
        let mixed = [
            outcome(Status::Failed, Some(1.0)),
            outcome(Status::Stopped, Some(1.0)),
            outcome(Status::Cancelled, None),
        ];
        assert_eq!(
            verdict(&all, &mixed, false),
            "check: 1 of 3 checks failed: a; 1 stopped, 1 cancelled"
        );
        assert_eq!(
            verdict(
                &all,
                &mixed[1..]
                    .iter()
                    .cloned()
                    .chain([outcome(Status::Passed, None)])
                    .collect::<Vec<_>>(),
                true
            ),
            "check: interrupted; 1 stopped, 1 cancelled"
        );
    }
}
