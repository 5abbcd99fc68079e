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
//! cannot be formed (an invalid `--version`, an unreadable project, a
//! `--dist` folder without our files).
//!
//! With `--dist DIR` (the wheel and sdist about to be uploaded), a version
//! the index already has counts as published by us, exit 0, when every file
//! of it there carries one of our names and the sha256 of our file: an upload
//! that stopped half-way can then be run again to the end (the index takes a
//! re-sent identical file as a no-op). Any other file of the version, or one
//! of our names with other bytes or without a sha256, is still exit 1.

use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use camino::Utf8Path;
use xshell::Shell;

use crate::flags;
use crate::paths::Layout;
use crate::release::identity::{self, Identity};
use crate::release::index::{self, Hit, IndexError, Listing, Page};
use crate::release::version::{self, Version};
use crate::util::hash;

impl flags::CheckPublished {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let question = match self.question() {
            Ok(question) => question,
            Err(err) => {
                eprintln!("error: {err:#}");
                return Ok(ExitCode::from(2));
            }
        };
        let ours = match self.dist.as_deref().map(|dir| our_files(dir, &question)) {
            None => None,
            Some(Ok(ours)) => Some(ours),
            Some(Err(err)) => {
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
        for file in ours.iter().flatten() {
            println!("  sha256 {} {}", file.sha256, file.name);
        }
        let page = index::fetch_page(&index, &question.project, self.timeout);
        let verdict = judge(page, &question, ours.as_deref());
        print!("{}", verdict.describe(&index, &question));
        Ok(ExitCode::from(verdict.exit_code()))
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

/// One of the files about to be uploaded, with its sha256 (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OurFile {
    pub name: String,
    pub sha256: String,
}

/// Our index files in `dir`, hashed. Each must be there; a distribution of
/// the project that the build does not make must not be (the upload sends
/// every file of the folder).
pub fn our_files(dir: &Utf8Path, question: &Question) -> Result<Vec<OurFile>> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!("--dist {dir}: cannot list the folder; pass the folder holding the built wheel and sdist (dist/)")
    })?;
    for entry in entries {
        let name = entry
            .with_context(|| format!("--dist {dir}: cannot list the folder"))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        let distribution =
            name.ends_with(".whl") || index::file_version(&name, &question.project).is_some();
        if distribution && !question.artifacts.contains(&name) {
            bail!(
                "--dist {dir}: {name} is not a file the build makes for {} {} (those are {}), and the upload would send it too; remove it",
                question.project,
                question.version,
                question.artifacts.join(", ")
            );
        }
    }
    question
        .artifacts
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let file = std::fs::File::open(&path).with_context(|| {
                format!("--dist {dir}: cannot read {name}; pass the folder the build wrote the wheel and sdist to (dist/), after building {}", question.version)
            })?;
            let (sha256, _) = hash::sha256_hex_of(file)
                .with_context(|| format!("--dist {dir}: cannot read {path}"))?;
            Ok(OurFile {
                name: name.clone(),
                sha256,
            })
        })
        .collect()
}

/// The answer when our files' bytes are known: the index's outcome, or the
/// version already there with nothing but our bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Index(Outcome),
    ByUs {
        present: Vec<String>,
        missing: Vec<String>,
    },
}

impl Verdict {
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Index(outcome) => outcome.exit_code(),
            Verdict::ByUs { .. } => 0,
        }
    }

    /// The verdict in words. Pure.
    pub fn describe(&self, index: &str, question: &Question) -> String {
        let (present, missing) = match self {
            Verdict::Index(outcome) => return describe(index, question, outcome),
            Verdict::ByUs { present, missing } => (present, missing),
        };
        let label = index::index_label(index);
        let Question {
            project, version, ..
        } = question;
        let mut text = format!(
            "published by us: every file of {project} {version} on {label} is ours, byte for byte (sha256): {}\n",
            present.join(", ")
        );
        if missing.is_empty() {
            text.push_str("nothing is left to upload; an upload of the same files again is a no-op for the index\n");
        } else {
            text.push_str(&format!(
                "not there yet: {}; the upload adds it (the files already there are re-sent as a no-op)\n",
                missing.join(", ")
            ));
        }
        text
    }
}

/// Free, published, or published by us, from the index's answer and our
/// files' sha256 (`None`: not known, and then any file of the version is
/// published). Pure.
pub fn judge(
    page: Result<Page, IndexError>,
    question: &Question,
    ours: Option<&[OurFile]>,
) -> Verdict {
    let page = match page {
        Ok(page) => page,
        Err(err) => return Verdict::Index(Outcome::Unknown(err)),
    };
    let outcome = decide(page.listing.clone(), question);
    match (&outcome, ours) {
        (Outcome::Published(_), Some(ours)) => match by_us(&page, question, ours) {
            Ok((present, missing)) => Verdict::ByUs { present, missing },
            Err(hits) => Verdict::Index(Outcome::Published(hits)),
        },
        _ => Verdict::Index(outcome),
    }
}

/// Our files already on the index and those not yet there, when every
/// listed file of the version is one of ours with our sha256; else every
/// listed file of it, each saying whether its bytes are ours.
fn by_us(
    page: &Page,
    question: &Question,
    ours: &[OurFile],
) -> Result<(Vec<String>, Vec<String>), Vec<Hit>> {
    let names: Vec<String> = ours.iter().map(|o| o.name.clone()).collect();
    let found = index::matches(&page.listing, &question.project, &question.version, &names);
    if found.is_empty() {
        // A release listed without files: nothing to compare.
        return Err(index::find(
            &page.listing,
            &question.project,
            &question.version,
            &names,
        ));
    }
    let mut present: Vec<String> = Vec::new();
    let mut all_ours = true;
    let hits = found
        .into_iter()
        .map(|m| {
            let listed = page.sha256.get(m.listed).cloned().flatten();
            let why = match (m.ours.map(|i| &ours[i]), listed) {
                (Some(our), Some(sha)) if sha == our.sha256 => {
                    if !present.contains(&our.name) {
                        present.push(our.name.clone());
                    }
                    format!("{}; our bytes", m.hit.why)
                }
                (Some(our), Some(sha)) => {
                    all_ours = false;
                    format!(
                        "{}; other bytes: sha256 {sha} on the index, ours {}",
                        m.hit.why, our.sha256
                    )
                }
                (Some(_), None) => {
                    all_ours = false;
                    format!(
                        "{}; the index gives no sha256, so it cannot be shown to be ours",
                        m.hit.why
                    )
                }
                (None, _) => {
                    all_ours = false;
                    format!("{}; not a file the build makes", m.hit.why)
                }
            };
            Hit { why, ..m.hit }
        })
        .collect();
    if !all_ours {
        return Err(hits);
    }
    let missing = names
        .into_iter()
        .filter(|name| !present.contains(name))
        .collect();
    Ok((present, missing))
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
            text.contains(
                "already on TestPyPI:\n  InvokeAI-6.10.0RC1.tar.gz (our file name, version 6.10.0rc1)"
            ),
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

    fn page(files: &[(&str, Option<&str>)]) -> Result<Page, IndexError> {
        Ok(Page {
            listing: html(&files.iter().map(|(f, _)| *f).collect::<Vec<_>>()),
            sha256: files.iter().map(|(_, h)| h.map(str::to_owned)).collect(),
        })
    }

    fn ours(q: &Question) -> Vec<OurFile> {
        q.artifacts
            .iter()
            .zip(["1".repeat(64), "2".repeat(64)])
            .map(|(name, sha256)| OurFile {
                name: name.clone(),
                sha256,
            })
            .collect()
    }

    #[test]
    fn our_own_bytes_on_the_index_are_published_by_us() {
        let q = question("1.2.0");
        let ours = ours(&q);
        let (one, two) = ("1".repeat(64), "2".repeat(64));
        let whl = "invokeai-1.2.0-py3-none-any.whl";
        let sdist = "InvokeAI-1.2.0.tar.gz";

        // Both files there with our bytes: done, nothing left.
        let all = judge(
            page(&[(sdist, Some(&two)), (whl, Some(&one))]),
            &q,
            Some(&ours),
        );
        assert_eq!(
            all,
            Verdict::ByUs {
                present: vec!["invokeai-1.2.0.tar.gz".into(), whl.into()],
                missing: vec![]
            }
        );
        assert_eq!(all.exit_code(), 0);
        let text = all.describe(index::PYPI, &q);
        assert!(
            text.starts_with("published by us: every file of InvokeAI 1.2.0 on PyPI is ours"),
            "{text}"
        );
        assert!(text.contains("nothing is left to upload"), "{text}");

        // The wheel only (an upload that stopped half-way): the sdist is to come.
        let half = judge(page(&[(whl, Some(&one))]), &q, Some(&ours));
        assert_eq!(half.exit_code(), 0);
        assert!(
            half.describe(index::PYPI, &q)
                .contains("not there yet: invokeai-1.2.0.tar.gz; the upload adds it"),
            "{half:?}"
        );

        // Without our bytes known, the same page is published.
        let blind = judge(page(&[(whl, Some(&one))]), &q, None);
        assert_eq!(blind.exit_code(), 1);
    }

    #[test]
    fn other_bytes_or_other_files_of_the_version_are_still_published() {
        let q = question("1.2.0");
        let ours = ours(&q);
        let one = "1".repeat(64);
        let whl = "invokeai-1.2.0-py3-none-any.whl";
        for (files, expected) in [
            (
                vec![(whl, Some("3".repeat(64)))],
                "other bytes: sha256 3333",
            ),
            (vec![(whl, None)], "the index gives no sha256"),
            (
                vec![
                    (whl, Some(one.clone())),
                    (
                        "invokeai-1.2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                        Some(one.clone()),
                    ),
                ],
                "version 1.2.0; not a file the build makes",
            ),
        ] {
            let files: Vec<(&str, Option<&str>)> =
                files.iter().map(|(f, h)| (*f, h.as_deref())).collect();
            let verdict = judge(page(&files), &q, Some(&ours));
            assert_eq!(verdict.exit_code(), 1, "{verdict:?}");
            let text = verdict.describe(index::PYPI, &q);
            assert!(text.contains(expected), "{text}");
            assert!(text.contains("way out: "), "{text}");
        }
        // Our name listed twice, once with our bytes and once with others.
        let twice = judge(
            page(&[(whl, Some(&one)), (whl, Some(&"4".repeat(64)))]),
            &q,
            Some(&ours),
        );
        assert_eq!(twice.exit_code(), 1, "{twice:?}");
        // A release the index lists with no file left: nothing shows it is ours.
        let bare = Ok(Page {
            listing: Listing::Files {
                format: Format::Json,
                files: vec![],
                versions: vec!["1.2.0".into()],
            },
            sha256: vec![],
        });
        assert_eq!(judge(bare, &q, Some(&ours)).exit_code(), 1);
        // Free stays free, an unknown index stays unknown.
        assert_eq!(judge(page(&[]), &q, Some(&ours)).exit_code(), 0);
        let down = Err(IndexError::Timeout {
            url: "x".into(),
            secs: 1,
        });
        assert_eq!(judge(down, &q, Some(&ours)).exit_code(), 3);
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
