//! GitHub Actions: workflow commands that fold a check's output into a group
//! and annotate the lines that failed, for the tools that cannot write
//! annotations themselves (ruff and vitest can, and are asked to).
//!
//! Every function here is pure: text in, text out.

use std::fmt;

use camino::Utf8Path;

use super::checks::Annotator;

/// Whether we run inside GitHub Actions.
pub fn active() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

/// One `::error file=...,line=...::message` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: Level,
    /// Relative to the repository root.
    pub file: String,
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub end_line: Option<u32>,
    pub end_col: Option<u32>,
    pub title: String,
    pub message: String,
}

impl fmt::Display for Annotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "::{level} file={}", escape_property(&self.file))?;
        for (key, value) in [
            ("line", self.line),
            ("col", self.col),
            ("endLine", self.end_line),
            ("endColumn", self.end_col),
        ] {
            if let Some(value) = value {
                write!(f, ",{key}={value}")?;
            }
        }
        write!(
            f,
            ",title={}::{}",
            escape_property(&self.title),
            escape_data(&self.message)
        )
    }
}

/// Escaping of a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a workflow command's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A check's output, ready for the log of a GitHub Actions job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// What people read inside the check's group.
    pub text: String,
    /// The annotations, printed after the group.
    pub annotations: Vec<Annotation>,
}

/// Read a check's output with its annotator. `dir` is the folder the tool
/// ran in, `prefix` that folder relative to the repository root.
pub fn render(annotator: Annotator, output: &str, dir: &Utf8Path, prefix: &str) -> Rendered {
    let plain = |annotations| Rendered {
        text: output.to_owned(),
        annotations,
    };
    match annotator {
        Annotator::Plain => plain(Vec::new()),
        Annotator::Mypy => plain(mypy(output, prefix)),
        Annotator::Tsc => plain(tsc(output, prefix)),
        Annotator::Prettier => plain(prettier(output, prefix)),
        // Not JSON (eslint crashed, or wrote a warning first): shown as it is.
        Annotator::EslintJson => {
            eslint_json(output, dir, prefix).unwrap_or_else(|| plain(Vec::new()))
        }
    }
}

fn join(prefix: &str, file: &str) -> String {
    let file = file.trim_start_matches("./");
    if prefix.is_empty() {
        file.to_owned()
    } else {
        format!("{prefix}/{file}")
    }
}

/// mypy: `path:line: error: message  [code]` (with `:col` when mypy is
/// asked for columns). Notes are left out: they explain an error above.
pub fn mypy(output: &str, prefix: &str) -> Vec<Annotation> {
    output
        .lines()
        .filter_map(|line| {
            let (position, rest) = line
                .split_once(": error: ")
                .map(|(p, r)| (p, (Level::Error, r)))
                .or_else(|| {
                    line.split_once(": warning: ")
                        .map(|(p, r)| (p, (Level::Warning, r)))
                })?;
            let mut parts = position.split(':');
            let file = parts.next().filter(|f| !f.is_empty() && !f.contains(' '))?;
            let line_number: u32 = parts.next()?.parse().ok()?;
            let col = parts.next().and_then(|c| c.parse().ok());
            let (level, message) = rest;
            Some(Annotation {
                level,
                file: join(prefix, file),
                line: Some(line_number),
                col,
                end_line: None,
                end_col: None,
                title: "mypy".to_owned(),
                message: message.trim_end().to_owned(),
            })
        })
        .collect()
}

/// tsc with `--pretty false`: `path(line,col): error TS1234: message`.
pub fn tsc(output: &str, prefix: &str) -> Vec<Annotation> {
    output
        .lines()
        .filter_map(|line| {
            let (position, rest) = line.split_once("): error ")?;
            let (file, numbers) = position.rsplit_once('(')?;
            let (line_number, col) = numbers.split_once(',')?;
            let (code, message) = rest.split_once(": ")?;
            Some(Annotation {
                level: Level::Error,
                file: join(prefix, file),
                line: Some(line_number.parse().ok()?),
                col: Some(col.parse().ok()?),
                end_line: None,
                end_col: None,
                title: format!("tsc ({code})"),
                message: message.to_owned(),
            })
        })
        .collect()
}

/// prettier --check: one `[warn] path` line per unformatted file, then a
/// closing `[warn] Code style issues ...` line; `[error] path: message` for
/// files it could not parse.
pub fn prettier(output: &str, prefix: &str) -> Vec<Annotation> {
    output
        .lines()
        .filter_map(|line| {
            if let Some(file) = line.strip_prefix("[warn] ") {
                if file.starts_with("Code style issues") || file.contains(" Run Prettier") {
                    return None;
                }
                return Some(Annotation {
                    level: Level::Error,
                    file: join(prefix, file.trim()),
                    line: None,
                    col: None,
                    end_line: None,
                    end_col: None,
                    title: "prettier".to_owned(),
                    message:
                        "Not formatted by prettier; run `cargo xtask check --fix --only prettier`."
                            .to_owned(),
                });
            }
            let (file, message) = line.strip_prefix("[error] ")?.split_once(": ")?;
            (!file.contains(' ')).then(|| Annotation {
                level: Level::Error,
                file: join(prefix, file),
                line: None,
                col: None,
                end_line: None,
                end_col: None,
                title: "prettier".to_owned(),
                message: message.to_owned(),
            })
        })
        .collect()
}

/// eslint's `--format json` report: a readable listing (like its default
/// formatter) and one annotation per message. `None` if it is not a report.
pub fn eslint_json(output: &str, dir: &Utf8Path, prefix: &str) -> Option<Rendered> {
    // The report is the last line; anything before it is eslint's own chatter.
    let start = output.find("[{").or_else(|| output.find("[]"))?;
    let report: serde_json::Value = serde_json::from_str(output[start..].trim()).ok()?;
    let mut text = output[..start].to_owned();
    let mut annotations = Vec::new();
    let (mut errors, mut warnings) = (0, 0);
    for file in report.as_array()? {
        let path = file.get("filePath")?.as_str()?;
        let relative = Utf8Path::new(path)
            .strip_prefix(dir)
            .map(|p| p.as_str())
            .unwrap_or(path);
        let messages = file.get("messages")?.as_array()?;
        if messages.is_empty() {
            continue;
        }
        text.push_str(&format!("{relative}\n"));
        for message in messages {
            let number = |key: &str| {
                message
                    .get(key)
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
            };
            let level = if number("severity") == Some(2) {
                errors += 1;
                Level::Error
            } else {
                warnings += 1;
                Level::Warning
            };
            let rule = message
                .get("ruleId")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("parse error");
            let words = message
                .get("message")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            text.push_str(&format!(
                "  {}:{}  {}  {words}  {rule}\n",
                number("line").unwrap_or(0),
                number("column").unwrap_or(0),
                if level == Level::Error {
                    "error"
                } else {
                    "warning"
                },
            ));
            annotations.push(Annotation {
                level,
                file: join(prefix, relative),
                line: number("line"),
                col: number("column"),
                end_line: number("endLine"),
                end_col: number("endColumn"),
                title: format!("eslint ({rule})"),
                message: words.to_owned(),
            });
        }
    }
    if errors + warnings > 0 {
        text.push_str(&format!("{errors} errors, {warnings} warnings\n"));
    }
    Some(Rendered { text, annotations })
}

/// `::group::title` ... `::endgroup::` around a check's output.
pub fn group(title: &str, body: &str) -> String {
    let mut out = format!("::group::{}\n", escape_data(title));
    out.push_str(body);
    if !body.is_empty() && !body.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("::endgroup::\n");
    out
}

/// Output shown again (at the end of the run) without GitHub acting on the
/// workflow commands in it a second time.
pub fn verbatim(body: &str, token: &str) -> String {
    let mut out = format!("::stop-commands::{token}\n");
    out.push_str(body);
    if !body.is_empty() && !body.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("::{token}::\n"));
    out
}

/// A token for `::stop-commands::`, unlikely to appear in any output.
pub fn stop_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("xtask-check-{:x}-{nanos:x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_github_would_read_as_syntax() {
        let annotation = Annotation {
            level: Level::Warning,
            file: "frontend/src/a,b.ts".into(),
            line: Some(3),
            col: None,
            end_line: None,
            end_col: Some(9),
            title: "eslint (x:y)".into(),
            message: "100% wrong\nreally".into(),
        };
        assert_eq!(
            annotation.to_string(),
            "::warning file=frontend/src/a%2Cb.ts,line=3,endColumn=9,title=eslint (x%3Ay)::100%25 wrong%0Areally"
        );
    }

    #[test]
    fn mypy_errors_become_annotations_and_notes_do_not() {
        let output = "invokeai/bad.py:2: error: Incompatible types in assignment (expression has type \"str\", variable has type \"int\")  [assignment]\n\
                      invokeai/bad.py:7:5: error: Function is missing a type annotation  [no-untyped-def]\n\
                      invokeai/bad.py:7: note: Use \"-> None\" if function does not return a value\n\
                      Found 2 errors in 1 file (checked 14 source files)\n";
        let annotations = mypy(output, "python");
        assert_eq!(annotations.len(), 2);
        assert_eq!(
            annotations[0].to_string(),
            "::error file=python/invokeai/bad.py,line=2,title=mypy::Incompatible types in assignment (expression has type \"str\", variable has type \"int\")  [assignment]"
        );
        assert_eq!(annotations[1].col, Some(5));
        assert!(mypy("Success: no issues found in 13 source files\n", "python").is_empty());
    }

    #[test]
    fn tsc_errors_become_annotations() {
        let output =
            "src/bad.ts(3,5): error TS6133: 'c' is declared but its value is never read.\n";
        let annotations = tsc(output, "frontend");
        assert_eq!(
            annotations,
            [Annotation {
                level: Level::Error,
                file: "frontend/src/bad.ts".into(),
                line: Some(3),
                col: Some(5),
                end_line: None,
                end_col: None,
                title: "tsc (TS6133)".into(),
                message: "'c' is declared but its value is never read.".into(),
            }]
        );
    }

    #[test]
    fn prettier_names_each_unformatted_file_once() {
        let output = "Checking formatting...\n[warn] src/bad.ts\n[warn] index.html\n[warn] Code style issues found in 2 files. Run Prettier with --write to fix.\n[error] src/broken.ts: SyntaxError: ';' expected. (1:9)\n";
        let files: Vec<String> = prettier(output, "frontend")
            .into_iter()
            .map(|a| format!("{}: {}", a.file, a.message))
            .collect();
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(files[0].starts_with("frontend/src/bad.ts: Not formatted"));
        assert!(files[1].starts_with("frontend/index.html: "));
        assert_eq!(
            files[2],
            "frontend/src/broken.ts: SyntaxError: ';' expected. (1:9)"
        );
        assert!(prettier("All matched files use Prettier code style!\n", "frontend").is_empty());
    }

    #[test]
    fn eslint_reports_become_a_listing_and_annotations() {
        let output = r#"[{"filePath":"/t/frontend/src/ok.ts","messages":[]},{"filePath":"/t/frontend/src/bad.ts","messages":[{"ruleId":"prefer-const","severity":2,"message":"'c' is never reassigned.","line":3,"column":5,"endLine":3,"endColumn":6},{"ruleId":null,"fatal":true,"severity":1,"message":"Parsing error","line":9,"column":1}]}]"#;
        let rendered = eslint_json(output, Utf8Path::new("/t/frontend"), "frontend").unwrap();
        assert_eq!(
            rendered.text,
            "src/bad.ts\n  3:5  error  'c' is never reassigned.  prefer-const\n  9:1  warning  Parsing error  parse error\n1 errors, 1 warnings\n"
        );
        assert_eq!(
            rendered.annotations[0].to_string(),
            "::error file=frontend/src/bad.ts,line=3,col=5,endLine=3,endColumn=6,title=eslint (prefer-const)::'c' is never reassigned."
        );
        assert_eq!(rendered.annotations[1].level, Level::Warning);
    }

    #[test]
    fn eslint_output_that_is_no_report_is_shown_as_it_is() {
        let crash = "Oops! Something went wrong! :(\nESLint: 10.15.0\n";
        assert_eq!(eslint_json(crash, Utf8Path::new("/t"), "frontend"), None);
        let rendered = render(
            Annotator::EslintJson,
            crash,
            Utf8Path::new("/t"),
            "frontend",
        );
        assert_eq!(rendered.text, crash);
        assert!(rendered.annotations.is_empty());
        let clean = render(
            Annotator::EslintJson,
            "[]\n",
            Utf8Path::new("/t"),
            "frontend",
        );
        assert_eq!(clean.text, "");
    }

    #[test]
    fn groups_and_verbatim_blocks_are_closed() {
        assert_eq!(
            group("mypy: passed", "ok"),
            "::group::mypy: passed\nok\n::endgroup::\n"
        );
        assert_eq!(
            verbatim("::error::x\n", "T"),
            "::stop-commands::T\n::error::x\n::T::\n"
        );
        assert_ne!(stop_token(), "");
    }
}
