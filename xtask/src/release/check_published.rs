//! `cargo xtask check-published [--index URL] [--version V]`: is this version
//! already on a package index?
//!
//! An index accepts a file name only once, so publishing must stop before it
//! tries a version that is there. The project's page on the index's simple
//! API is read (PEP 691 JSON, else PEP 503 HTML) and every listed file whose
//! name carries this version (PEP 440 equality) or one of our artifact names
//! is reported. Exit 0 when the version is free, 1 when it is published
//! (naming the files), 3 when the index could not be asked (network, timeout
//! or an answer that is not a simple API page), 2 when the question itself
//! cannot be formed (an invalid `--version`, an unreadable project).

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use xshell::Shell;

use crate::flags;
use crate::paths::Layout;
use crate::release::identity::{self, Identity};
use crate::release::index::{self, Hit, IndexError, Listing};
use crate::release::version::{self, Version};

impl flags::CheckPublished {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let question = match self.question() {
            Ok(question) => question,
            Err(err) => {
                eprintln!("error: {err:#}");
                return Ok(ExitCode::from(2));
            }
        };
        let index = index::resolve_index(self.index.as_deref().unwrap_or(index::PYPI));
        println!(
            "check-published: {} {} ({}) on {}",
            question.project,
            question.version,
            question.source,
            index::shown(&index::project_url(&index, &question.project))
        );
        println!("  our files: {}", question.artifacts.join(", "));
        let outcome = check(&index, &question, self.timeout);
        print!("{}", describe(&index, &question, &outcome));
        Ok(ExitCode::from(outcome.exit_code()))
    }

    fn question(&self) -> Result<Question> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let project = identity::project_name(&layout)?;
        let (version, source) = match &self.version {
            Some(text) => {
                let v = version::parse(text).map_err(|why| {
                    anyhow!("--version `{text}` is not a PEP 440 version ({why}); pass a version such as 6.10.0rc1")
                })?;
                (v, "given by --version".to_owned())
            }
            None => {
                let app = version::read(&layout)?;
                (app.version.clone(), format!("from {}", app.location()))
            }
        };
        Ok(Question::new(project, version, source))
    }
}

/// What is asked: the project, the version and the files the build makes.
#[derive(Debug, Clone)]
pub struct Question {
    pub project: String,
    pub version: Version,
    pub source: String,
    pub artifacts: Vec<String>,
}

impl Question {
    pub fn new(project: String, version: Version, source: String) -> Self {
        let artifacts = Identity::new(&project, version.clone())
            .index_files()
            .to_vec();
        Self {
            project,
            version,
            source,
            artifacts,
        }
    }
}

/// The index's answer to the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Free(Listing),
    Published(Vec<Hit>),
    Unknown(IndexError),
}

impl Outcome {
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Free(_) => 0,
            Outcome::Published(_) => 1,
            Outcome::Unknown(_) => 3,
        }
    }
}

/// Ask the index (the only effect: one HTTP GET, following redirects).
pub fn check(index: &str, question: &Question, timeout_secs: u64) -> Outcome {
    match index::fetch(index, &question.project, timeout_secs) {
        Err(err) => Outcome::Unknown(err),
        Ok(listing) => decide(listing, question),
    }
}

/// Free or published, from the listing. Pure.
pub fn decide(listing: Listing, question: &Question) -> Outcome {
    let hits = index::find(
        &listing,
        &question.project,
        &question.version,
        &question.artifacts,
    );
    if hits.is_empty() {
        Outcome::Free(listing)
    } else {
        Outcome::Published(hits)
    }
}

/// The verdict in words, with the way out. Pure.
pub fn describe(index: &str, question: &Question, outcome: &Outcome) -> String {
    let label = index::index_label(index);
    let Question {
        project, version, ..
    } = question;
    match outcome {
        Outcome::Free(Listing::NoProject) => format!(
            "free: {label} has no project {project} (HTTP 404), so {version} was never published there\n"
        ),
        Outcome::Free(Listing::Files { format, files, .. }) => format!(
            "free: {label} lists {} {} of {project} ({format}), none of version {version}\n",
            files.len(),
            if files.len() == 1 { "file" } else { "files" }
        ),
        Outcome::Published(hits) => {
            let mut text = format!("published: {project} {version} is already on {label}:\n");
            for hit in hits {
                text.push_str(&format!("  {} ({})\n", hit.filename, hit.why));
            }
            text.push_str(
                "way out: an index accepts a version only once; bump __version__ in python/invokeai/version/invokeai_version.py and release the new version\n",
            );
            text
        }
        Outcome::Unknown(err) => format!("error: {err}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::index::Format;

    fn question(v: &str) -> Question {
        Question::new("InvokeAI".into(), version::parse(v).unwrap(), "test".into())
    }

    fn html(files: &[&str]) -> Listing {
        Listing::Files {
            format: Format::Html,
            files: files.iter().map(|f| (*f).to_owned()).collect(),
            versions: vec![],
        }
    }

    #[test]
    fn free_published_and_unknown() {
        let q = question("6.10.0rc1");
        let free = decide(html(&["InvokeAI-6.9.0.tar.gz"]), &q);
        assert_eq!(free.exit_code(), 0);
        assert!(
            describe(index::PYPI, &q, &free).starts_with("free: PyPI lists 1 file of InvokeAI")
        );
        let none = decide(Listing::NoProject, &q);
        assert_eq!(none.exit_code(), 0);
        let published = decide(html(&["InvokeAI-6.10.0RC1.tar.gz", "x.txt"]), &q);
        assert_eq!(published.exit_code(), 1);
        let text = describe(index::TESTPYPI, &q, &published);
        assert!(
            text.contains("already on TestPyPI:\n  InvokeAI-6.10.0RC1.tar.gz (version 6.10.0rc1)"),
            "{text}"
        );
        assert!(text.contains("way out: "));
        let unknown = Outcome::Unknown(IndexError::Timeout {
            url: "http://x/simple/invokeai/".into(),
            secs: 2,
        });
        assert_eq!(unknown.exit_code(), 3);
        assert!(describe("http://x/simple/", &q, &unknown).contains("within 2 s"));
    }

    #[test]
    fn the_question_names_our_artifacts() {
        assert_eq!(
            question("6.10.0RC1").artifacts,
            [
                "invokeai-6.10.0rc1-py3-none-any.whl",
                "invokeai-6.10.0rc1.tar.gz"
            ]
        );
    }
}
