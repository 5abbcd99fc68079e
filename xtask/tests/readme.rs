//! README's command table is generated from `--help`: one row per command
//! that runs something (nested ones included), in the order `--help` lists
//! them, with its flags and the description `cargo xtask <command> --help`
//! prints. This test keeps the two equal; refresh the table with
//! `INSTA_UPDATE=always cargo test -p xtask --test readme` (never under CI).

mod support;

use support::*;

/// The lines around the generated table in README.md.
const BEGIN: &str =
    "<!-- commands: generated from `cargo xtask <command> --help` by xtask/tests/readme.rs -->";
const END: &str = "<!-- commands: end -->";

/// Flags every command has (`--repo`: every release command; README's prose
/// below the table says so), as help texts show them, left out of each row.
/// `check-published` has a `--version V` of its own, which stays.
const COMMON_FLAGS: [&str; 3] = ["-h, --help", "-V, --version", "-C, --repo <DIR>"];

/// Every command that runs something, with its `--help`, depth first in the
/// order `--help` lists them; a command with subcommands stands for them.
fn leaf_commands() -> Vec<(Vec<String>, String)> {
    fn walk(path: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
        let help = stdout(&run_ok(xtask().args(&path).arg("--help")));
        let subs = subcommands(&help);
        if subs.is_empty() {
            out.push((path, help));
            return;
        }
        for sub in subs {
            let mut deeper = path.clone();
            deeper.push(sub);
            walk(deeper, out);
        }
    }
    let mut out = Vec::new();
    walk(Vec::new(), &mut out);
    out
}

/// The description a help text opens with, its paragraphs joined into one.
fn description(help: &str) -> String {
    help.lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One flag of a help text: its long name, its value's name, the names of
/// its possible values.
struct Flag {
    /// The flag as the help text shows it: `-j, --jobs <N>`.
    head: String,
    name: String,
    value: Option<String>,
    possible: Vec<String>,
}

impl Flag {
    fn synopsis(&self) -> String {
        match (&self.value, self.possible.is_empty()) {
            (_, false) => format!("[{} {}]", self.name, self.possible.join("|")),
            (Some(value), true) => format!("[{} {value}]", self.name),
            (None, true) => format!("[{}]", self.name),
        }
    }
}

/// The flags of a help text's `Options:`, in clap's short (one line each) or
/// long (text on the lines below) layout.
fn flags(help: &str) -> Vec<Flag> {
    let mut flags: Vec<Flag> = Vec::new();
    let mut in_options = false;
    let mut listing_values = false;
    for line in help.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            in_options = line == "Options:";
            continue;
        }
        let trimmed = line.trim_start();
        if !in_options || trimmed.is_empty() {
            listing_values = false;
            continue;
        }
        if trimmed.starts_with('-') && line.len() - trimmed.len() <= 6 {
            // `-j, --jobs <N>  text`, or `--python` alone with its text below.
            let head = trimmed.split("  ").next().unwrap_or(trimmed);
            let long = head.rsplit(", ").next().unwrap_or(head);
            let mut words = long.split_whitespace();
            let name = words.next().unwrap_or_default().to_owned();
            let value = words
                .map(|w| w.trim_start_matches('<').trim_end_matches('>'))
                .collect::<Vec<_>>()
                .join(" ");
            flags.push(Flag {
                head: head.to_owned(),
                name,
                value: (!value.is_empty()).then_some(value),
                possible: possible_values_inline(trimmed),
            });
            listing_values = false;
        } else if trimmed == "Possible values:" {
            listing_values = true;
        } else if listing_values {
            let value = trimmed
                .strip_prefix("- ")
                .and_then(|rest| rest.split(':').next())
                .unwrap_or_else(|| panic!("not a possible value: {line:?}"));
            let flag = flags.last_mut().expect("possible values follow their flag");
            flag.possible.push(value.to_owned());
        }
    }
    flags
}

/// The synopsis of a command's arguments: its flags as `[--flag VALUE]`
/// (a value's possible names joined by `|`), then its positional arguments.
fn synopsis(help: &str) -> String {
    let mut parts: Vec<String> = flags(help)
        .iter()
        .filter(|f| !COMMON_FLAGS.contains(&f.head.as_str()))
        .map(Flag::synopsis)
        .collect();
    let usage = help
        .lines()
        .find_map(|l| l.strip_prefix("Usage: "))
        .expect("a Usage: line");
    parts.extend(
        usage
            .split_whitespace()
            .filter(|w| (w.starts_with('[') && *w != "[OPTIONS]") || w.starts_with('<'))
            .filter(|w| *w != "<COMMAND>")
            .map(str::to_owned),
    );
    parts.join(" ")
}

/// The names of `[possible values: a, b]` in a short help's flag line.
fn possible_values_inline(line: &str) -> Vec<String> {
    let Some(start) = line.find("[possible values: ") else {
        return Vec::new();
    };
    let rest = &line[start + "[possible values: ".len()..];
    let end = rest.find(']').unwrap_or(rest.len());
    rest[..end].split(", ").map(str::to_owned).collect()
}

/// A Markdown table cell: `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The table README.md should hold, from every command's `--help`.
fn generated_table() -> String {
    let mut table = String::from("| command | does |\n| --- | --- |\n");
    for (path, help) in leaf_commands() {
        let mut command = format!("cargo xtask {}", path.join(" "));
        let synopsis = synopsis(&help);
        if !synopsis.is_empty() {
            command = format!("{command} {synopsis}");
        }
        table.push_str(&format!(
            "| `{}` | {} |\n",
            cell(&command),
            cell(&description(&help))
        ));
    }
    table
}

/// README.md's text between the markers, and where it starts and ends.
fn table_in(readme: &str) -> (usize, usize) {
    let begin = readme
        .find(BEGIN)
        .unwrap_or_else(|| panic!("README.md has no line {BEGIN}"))
        + BEGIN.len()
        + 1;
    let end = begin
        + readme[begin..]
            .find(END)
            .unwrap_or_else(|| panic!("README.md has no line {END} after {BEGIN}"));
    (begin, end)
}

#[test]
fn the_readme_command_table_is_the_help_text() {
    let path = repo_root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = table_in(&readme);
    let table = generated_table();
    // The same switch as the snapshots': `INSTA_UPDATE=always` rewrites
    // the table, and never under CI.
    let update = std::env::var_os("INSTA_UPDATE");
    snapshot_writes_allowed(update.as_deref(), std::env::var_os("CI").as_deref())
        .unwrap_or_else(|why| panic!("{why}"));
    if update.as_deref() == Some("always".as_ref()) && readme[begin..end] != table {
        let rewritten = format!("{}{table}{}", &readme[..begin], &readme[end..]);
        std::fs::write(&path, rewritten).unwrap();
        return;
    }
    let pinned = &readme[begin..end];
    for (n, (want, have)) in table.lines().zip(pinned.lines()).enumerate() {
        assert_eq!(
            have,
            want,
            "README.md's command table, line {} of the table, differs from `--help`; refresh it with \
             `INSTA_UPDATE=always cargo test -p xtask --test readme`",
            n + 1
        );
    }
    assert_eq!(
        pinned.lines().count(),
        table.lines().count(),
        "README.md's command table has not one row per command; refresh it with \
         `INSTA_UPDATE=always cargo test -p xtask --test readme`"
    );
}

/// The row of a help text, on a made-up help in both of clap's layouts.
#[test]
fn rows_read_flags_values_and_arguments() {
    let short = "Do a thing\n\nUsage: cargo xtask thing [OPTIONS] [ZIP]\n\nArguments:\n  [ZIP]  The zip\n\nOptions:\n      --keep            Keep it\n  -j, --jobs <N>        At most N [default: 2]\n      --mode <MODE>     How [possible values: a, b-c]\n      --version <V>     Which\n  -C, --repo <DIR>      Another checkout\n  -h, --help            Print help\n  -V, --version         Print version\n";
    assert_eq!(description(short), "Do a thing");
    assert_eq!(
        synopsis(short),
        "[--keep] [--jobs N] [--mode a|b-c] [--version V] [ZIP]"
    );
    let long = "Do a thing.\n\nMore about it.\nAnd more.\n\nUsage: cargo xtask thing [OPTIONS]\n\nOptions:\n      --mode <MODE>\n          How\n\n          Possible values:\n          - write:   Write\n          - dry-run: Print\n\n          [default: write]\n\n      --root <DIR>\n          Where; a line\n          - that: is no value\n\n  -h, --help\n          Print help\n";
    assert_eq!(description(long), "Do a thing. More about it. And more.");
    assert_eq!(synopsis(long), "[--mode write|dry-run] [--root DIR]");
}

/// README's layout table names every file and folder at the top of
/// `xtask/src`, each as a row of its own (`xtask/src/NAME`, a folder with
/// its `/`).
#[test]
fn the_readme_layout_names_every_top_level_file_of_the_source() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let layout: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != "## Layout")
        .take_while(|l| *l == "## Layout" || !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .collect();
    assert!(layout.len() > 10, "README.md has no layout table");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("xtask/src")).unwrap() {
        let entry = entry.unwrap();
        let mut name = format!("xtask/src/{}", entry.file_name().to_string_lossy());
        if entry.file_type().unwrap().is_dir() {
            name.push('/');
        }
        let row = format!("| `{name}` |");
        if !layout.iter().any(|l| l.starts_with(&row)) {
            missing.push(name);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "README.md's layout table has no row for {missing:?}"
    );
}
