//! Headless Chromium, Debian's package (`/usr/bin/chromium`, installed by
//! `cargo xtask setup --browser`): the DOM of a page after its scripts ran,
//! and a screenshot of it.
//!
//! Each run gets a fresh profile folder and its own process group, and is
//! ended (with every helper process it started) if it outlives its bound.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

use crate::util::html;
use crate::util::process::{self, GroupChild};

/// Where Debian's `chromium` package puts its launcher.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser to run: `$CHROMIUM` when set (e.g. a Chrome that a CI image
/// ships), else Debian's launcher. `setup --browser` prints which one.
pub fn chromium() -> Utf8PathBuf {
    chromium_from(std::env::var("CHROMIUM").ok().as_deref())
}

fn chromium_from(env: Option<&str>) -> Utf8PathBuf {
    match env.map(str::trim) {
        Some(path) if !path.is_empty() => Utf8PathBuf::from(path),
        _ => Utf8PathBuf::from(CHROMIUM),
    }
}

/// The command that installs it, for messages.
pub const APT_INSTALL: &str = "apt-get install -y --no-install-recommends chromium";

/// How long one Chromium run may take before it is ended.
const LIMIT: Duration = Duration::from_secs(60);

/// How long (virtual time) the page's scripts get: enough for the version fetch.
const VIRTUAL_TIME_BUDGET_MS: u32 = 5000;

/// What to take from the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture<'a> {
    /// The rendered DOM, on stdout.
    Dom,
    /// A PNG of the page at `width` x `height`.
    Screenshot {
        path: &'a Utf8Path,
        width: u32,
        height: u32,
    },
}

/// Chromium's arguments: headless, no sandbox (it runs as root in containers),
/// nothing that reaches the network on its own, a fresh profile. Pure.
pub fn args(profile: &Utf8Path, capture: Capture<'_>, url: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(format!("--user-data-dir={profile}"));
    args.push(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"));
    match capture {
        Capture::Dom => args.push("--dump-dom".to_owned()),
        Capture::Screenshot {
            path,
            width,
            height,
        } => {
            args.push(format!("--screenshot={path}"));
            args.push(format!("--window-size={width},{height}"));
        }
    }
    args.push(url.to_owned());
    args
}

/// The page's DOM after its scripts ran.
pub fn dump_dom(profile: &Utf8Path, url: &str) -> Result<String> {
    let stdout = run(&args(profile, Capture::Dom, url))?;
    let dom = String::from_utf8(stdout).context("Chromium's --dump-dom output is not UTF-8")?;
    if dom.trim().is_empty() {
        bail!("Chromium printed no DOM for {url}");
    }
    Ok(dom)
}

/// A PNG of the page, written to `path` (checked to be a PNG).
pub fn screenshot(profile: &Utf8Path, url: &str, path: &Utf8Path) -> Result<()> {
    run(&args(
        profile,
        Capture::Screenshot {
            path,
            width: 1024,
            height: 768,
        },
        url,
    ))?;
    let bytes = std::fs::read(path)
        .with_context(|| format!("Chromium exited but wrote no screenshot {path}"))?;
    if !is_png(&bytes) {
        bail!("the screenshot {path} is not a PNG ({} bytes)", bytes.len());
    }
    Ok(())
}

#[cfg(test)]
mod chromium_tests {
    use super::*;

    #[test]
    fn chromium_is_debians_unless_the_environment_names_another() {
        assert_eq!(chromium_from(None), CHROMIUM);
        assert_eq!(chromium_from(Some("  ")), CHROMIUM);
        assert_eq!(
            chromium_from(Some("/usr/bin/google-chrome")),
            "/usr/bin/google-chrome"
        );
    }
}

/// A non-empty PNG: the signature and at least one chunk after it.
pub fn is_png(bytes: &[u8]) -> bool {
    bytes.len() > 8 && bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// Run Chromium with `args`, bounded; its stdout, or an error with the tail of its stderr.
fn run(args: &[String]) -> Result<Vec<u8>> {
    let chromium = chromium();
    if !chromium.is_file() {
        bail!(
            "{chromium} is missing; install it with `cargo xtask setup --browser` (as root: {APT_INSTALL})"
        );
    }
    let mut child = GroupChild::spawn(
        Command::new(&chromium)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .with_context(|| format!("cannot start {chromium}"))?;
    let stdout = child.child_mut().stdout.take().map(process::drain);
    let stderr = child.child_mut().stderr.take().map(process::drain);
    let status = child
        .wait_for(LIMIT)
        .with_context(|| format!("cannot wait for {chromium}"))?;
    if status.is_none() {
        // Ending the group closes the pipes, so the readers below finish.
        drop(child);
    }
    let out = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    let err = String::from_utf8_lossy(&err);
    match status {
        None => bail!(
            "Chromium did not finish within {}s; it was stopped. Its last output:\n{}",
            LIMIT.as_secs(),
            process::tail(&err, 15)
        ),
        Some(status) if !status.success() => bail!(
            "Chromium failed ({}). Its last output:\n{}",
            process::describe(status),
            process::tail(&err, 15)
        ),
        Some(_) => Ok(out),
    }
}

/// The version element the UI renders: `<p id="version" data-state="...">text</p>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// `data-state`: `loading`, `ok` or `error`.
    pub state: String,
    pub text: String,
}

/// Find the element with `id="version"` in a serialized DOM. Pure.
pub fn rendered_version(dom: &str) -> Option<Rendered> {
    let tag = html::start_tags(dom).find(|tag| tag.attr("id") == Some("version"))?;
    Some(Rendered {
        state: tag.attr("data-state").unwrap_or_default().to_owned(),
        text: html::text_until_tag(dom, tag.end, &tag.name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_headless_with_a_fresh_profile() {
        let dom = args(Utf8Path::new("/t/p"), Capture::Dom, "http://127.0.0.1:1/");
        assert_eq!(dom[0], "--headless");
        assert!(dom.contains(&"--no-sandbox".to_owned()));
        assert!(dom.contains(&"--user-data-dir=/t/p".to_owned()));
        assert!(dom.contains(&"--virtual-time-budget=5000".to_owned()));
        assert_eq!(&dom[dom.len() - 2..], ["--dump-dom", "http://127.0.0.1:1/"]);
        let shot = args(
            Utf8Path::new("/t/p"),
            Capture::Screenshot {
                path: Utf8Path::new("/t/page.png"),
                width: 1024,
                height: 768,
            },
            "http://h/",
        );
        assert!(shot.contains(&"--screenshot=/t/page.png".to_owned()));
        assert!(shot.contains(&"--window-size=1024,768".to_owned()));
        assert!(!shot.contains(&"--dump-dom".to_owned()));
    }

    #[test]
    fn the_rendered_version_is_found_in_the_dom() {
        let dom = r#"<html><body><main id="app" aria-busy="false"><h1>InvokeAI</h1><p id="version" data-state="ok" role="status">Version 6.15.0rc1</p></main></body></html>"#;
        assert_eq!(
            rendered_version(dom),
            Some(Rendered {
                state: "ok".into(),
                text: "Version 6.15.0rc1".into()
            })
        );
        let loading = r#"<p data-state="loading" id="version">Loading…</p>"#;
        assert_eq!(rendered_version(loading).unwrap().state, "loading");
        assert_eq!(rendered_version("<main id=\"app\"></main>"), None);
    }

    #[test]
    fn png_signature() {
        assert!(is_png(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(!is_png(b"\x89PNG\r\n\x1a\n"));
        assert!(!is_png(b"<html>"));
    }
}
