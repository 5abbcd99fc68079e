//! A computed `version = {attr = ...}`: what setuptools does when the value
//! is not a literal, load the module's file with the project's Python
//! (`spec_from_file_location`, `exec_module`) and read the attribute.
//!
//! The value comes back through a file of its own, written by the wrapper
//! after the module ran; the module's standard output goes nowhere, so what
//! it prints is never taken for the value. The run is bounded in time, the
//! child leads a process group that is ended as soon as it exits (a
//! background child the module started is not waited for), and only the
//! last line of its stderr, cut short, makes the error.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

use crate::util::process::{GroupChild, log_tail};

/// The wrapper: argv is `name path attr out`; `out` leaves sys.argv before
/// the module runs. Once it has, `ok:VALUE` or `error:TYPE: MESSAGE` is
/// written there and the interpreter ends at once (no atexit handler or
/// thread of the module is waited for).
const LOAD: &str = r#"import importlib.util, os, sys
name, path, attr, out = sys.argv[1:5]
del sys.argv[1:]
try:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    result, code = "ok:" + str(getattr(module, attr)), 0
except BaseException as e:
    result, code = "error:" + f"{type(e).__name__}: {e}"[:2000], 1
with open(out, "w", encoding="utf-8", errors="replace") as f:
    f.write(result)
os._exit(code)
"#;

/// How long the module may run: 60 s, or `XTASK_DIST_ATTR_TIMEOUT` seconds.
fn time_limit() -> Duration {
    std::env::var("XTASK_DIST_ATTR_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs)
}

/// The most bytes of a value read back (a version is short).
const VALUE_CAP: u64 = 4096;
/// The most characters of the module's error quoted.
const ERROR_CAP: usize = 300;

/// A private folder for the value and stderr files, removed when dropped.
struct Scratch(Utf8PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let base = Utf8PathBuf::from_path_buf(std::env::temp_dir())
            .map_err(|p| anyhow::anyhow!("{} is not a UTF-8 path", p.display()))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!("xtask-attr-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {dir}"))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `text` cut to [`ERROR_CAP`] characters.
fn bounded(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(ERROR_CAP) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

/// Execute `file` (relative to `root`) as module `module` with `python` and
/// return `str()` of its attribute `name`.
pub fn evaluate(
    python: &str,
    root: &Utf8Path,
    module: &str,
    file: &str,
    name: &str,
) -> Result<String> {
    let scratch = Scratch::new()?;
    let (out, err) = (scratch.0.join("value"), scratch.0.join("stderr"));
    let stderr = std::fs::File::create(&err).with_context(|| format!("cannot create {err}"))?;
    let mut command = Command::new(python);
    command
        .args(["-c", LOAD, module])
        .arg(root.join(file).as_str())
        .arg(name)
        .arg(out.as_str())
        .current_dir(root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    let mut child =
        GroupChild::spawn(&mut command).with_context(|| format!("cannot run {python}"))?;
    let limit = time_limit();
    let Some(status) = child.wait_for(limit)? else {
        child.stop(Duration::from_secs(1))?;
        bail!(
            "{file} was still running after {} s and was stopped",
            limit.as_secs()
        );
    };
    let mut result = Vec::new();
    if let Ok(file_out) = std::fs::File::open(&out) {
        file_out
            .take(VALUE_CAP + 1)
            .read_to_end(&mut result)
            .with_context(|| format!("cannot read {out}"))?;
    }
    let result = String::from_utf8_lossy(&result);
    if let Some(why) = result.strip_prefix("error:") {
        bail!("{}", bounded(why));
    }
    let Some(value) = result.strip_prefix("ok:") else {
        // The interpreter ended before the wrapper could say anything.
        let last = log_tail(&err, 1);
        bail!(
            "{file} ended the interpreter ({}) before {name} could be read{}",
            crate::util::process::describe(status),
            if last.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", bounded(&last))
            }
        );
    };
    if result.len() as u64 > VALUE_CAP {
        bail!(
            "{name} is longer than {} bytes, not a version",
            VALUE_CAP - 3
        );
    }
    Ok(value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_cut_short() {
        assert_eq!(bounded("  short "), "short");
        let long = "é".repeat(1000);
        let cut = bounded(&long);
        assert_eq!(cut.chars().count(), ERROR_CAP + 3);
        assert!(cut.ends_with("..."));
    }
}
