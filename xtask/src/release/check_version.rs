//! `cargo xtask check-version [--tag REF] [--github-output FILE]`: does the
//! release tag name the app's version?
//!
//! The ref comes from `--tag`, else `GITHUB_REF`; `refs/tags/` and a leading
//! `v` are stripped and the rest is compared with the version file by PEP 440
//! equality. Exit 0 on a match (or when there is no ref: skipped), 1 on a
//! mismatch, 2 when the ref is not a version at all. With an output file
//! (`--github-output`, else `GITHUB_OUTPUT`) the normalised version, whether
//! it is a pre-release and its `major.minor` are appended as `KEY=value` lines.

use std::process::ExitCode;

use anyhow::Result;
use camino::Utf8PathBuf;
use xshell::Shell;

use super::github_output::{Resolved, append_outputs, env_var};
use super::version::{self, AppVersion, TagCheck};
use crate::flags;
use crate::paths::Layout;

impl flags::CheckVersion {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let app = version::read(&layout)?;
        let reference = Resolved::pick(self.tag, "--tag", env_var("GITHUB_REF"), "GITHUB_REF");
        let output = Resolved::pick(
            self.github_output,
            "--github-output",
            env_var("GITHUB_OUTPUT").map(Utf8PathBuf::from),
            "GITHUB_OUTPUT",
        );
        let report = decide(&app, reference.as_ref());
        print!("{}", report.text);
        match &output {
            Some(out) => {
                let lines = outputs(&app);
                append_outputs(&out.value, &lines)?;
                let keys: Vec<String> = lines.iter().map(|(k, v)| format!("{k}={v}")).collect();
                println!(
                    "outputs:      {} appended to {} ({})",
                    keys.join(" "),
                    out.value,
                    out.source
                );
            }
            None => {
                println!("outputs:      none (no --github-output and GITHUB_OUTPUT is not set)")
            }
        }
        Ok(ExitCode::from(report.exit))
    }
}

/// What check-version prints and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub text: String,
    pub exit: u8,
}

/// The verdict for the app's version and the ref, if any. Pure.
pub fn decide(app: &AppVersion, reference: Option<&Resolved<String>>) -> Report {
    let normalized = app.normalized();
    let written = if app.raw == normalized {
        String::new()
    } else {
        format!(", written `{}`", app.raw)
    };
    let mut text = format!("version file: {normalized} ({}{written})\n", app.location());
    let Some(reference) = reference else {
        text.push_str("tag:          none (no --tag and GITHUB_REF is not set)\n");
        text.push_str(
            "verdict:      skipped: nothing to compare with; pass --tag REF (the release workflow passes its ref)\n",
        );
        return Report { text, exit: 0 };
    };
    let shown = format!("`{}`, {}", reference.value, reference.source);
    let exit = match version::check_tag(&app.version, &reference.value) {
        TagCheck::Match(tag) => {
            text.push_str(&format!("tag:          {tag} ({shown})\n"));
            text.push_str(&format!(
                "verdict:      match: the tag and the version file agree on {normalized}\n"
            ));
            0
        }
        TagCheck::Mismatch(tag) => {
            text.push_str(&format!("tag:          {tag} ({shown})\n"));
            text.push_str(&format!(
                "verdict:      mismatch: the tag says {tag} but {} says {normalized}; way out: release from the tag v{normalized}, or set __version__ to {tag}, commit, and tag that commit\n",
                app.file
            ));
            1
        }
        TagCheck::NotAVersion(why) => {
            text.push_str(&format!("tag:          not a version ({shown}): {why}\n"));
            text.push_str(&format!(
                "verdict:      not a version: release tags are v<PEP 440 version>; way out: run the release from the tag {}\n",
                version::tag_name(&app.version)
            ));
            2
        }
    };
    Report { text, exit }
}

/// The `KEY=value` pairs for the workflow, in order.
pub fn outputs(app: &AppVersion) -> Vec<(&'static str, String)> {
    vec![
        ("VERSION", app.normalized()),
        (
            "IS_PRERELEASE",
            version::is_prerelease(&app.version).to_string(),
        ),
        ("VERSION_MAJOR_MINOR", version::major_minor(&app.version)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(raw: &str) -> AppVersion {
        version::from_text(&format!("__version__ = \"{raw}\"\n"), "ver.py".into()).unwrap()
    }

    fn tag(value: &str) -> Resolved<String> {
        Resolved {
            value: value.into(),
            source: "given by --tag".into(),
        }
    }

    #[test]
    fn verdicts_and_exit_codes() {
        let a = app("3.5.0rc2");
        assert_eq!(decide(&a, Some(&tag("refs/tags/v3.5.0RC2"))).exit, 0);
        let mismatch = decide(&a, Some(&tag("v3.5.0rc3")));
        assert_eq!(mismatch.exit, 1);
        assert!(
            mismatch
                .text
                .contains("the tag says 3.5.0rc3 but ver.py says 3.5.0rc2")
        );
        let garbage = decide(&a, Some(&tag("banana-sushi")));
        assert_eq!(garbage.exit, 2);
        assert!(
            garbage
                .text
                .contains("way out: run the release from the tag v3.5.0rc2"),
            "{}",
            garbage.text
        );
        let skipped = decide(&a, None);
        assert_eq!(skipped.exit, 0);
        assert!(skipped.text.contains("skipped"));
    }

    #[test]
    fn the_written_spelling_is_shown_when_it_is_not_normal() {
        let report = decide(&app("3.5.0-RC2"), None);
        assert!(
            report
                .text
                .starts_with("version file: 3.5.0rc2 (ver.py:1, written `3.5.0-RC2`)"),
            "{}",
            report.text
        );
    }

    #[test]
    fn outputs_are_the_three_keys() {
        assert_eq!(
            outputs(&app("6.10.0rc1")),
            [
                ("VERSION", "6.10.0rc1".to_owned()),
                ("IS_PRERELEASE", "true".to_owned()),
                ("VERSION_MAJOR_MINOR", "6.10".to_owned())
            ]
        );
        assert_eq!(outputs(&app("6.10.1"))[1].1, "false");
    }
}
