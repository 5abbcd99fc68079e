//! A client of a package index's simple API: PEP 691 JSON, falling back to
//! PEP 503 HTML, over blocking HTTP(S) with bounded timeouts.
//!
//! `fetch` asks `<index>/<normalised name>/` for the project's files with
//! `Accept: application/vnd.pypi.simple.v1+json, text/html;q=0.2`; the
//! answer is classified (`classify`, pure) into a listing, "no such project",
//! or a protocol error, with the sha256 the index gives for each file (PEP 691
//! `hashes.sha256`, PEP 503 `#sha256=` fragments). `find` then says which
//! listed files carry one of our artifact names or are this version (PEP 440
//! equality of the version parsed from their names).

use std::fmt;
use std::time::Duration;

use super::version::{self, Version};
use crate::pydist::names;
use crate::util::html;
use crate::util::http::{self, HttpError};
use crate::util::redact;

pub const PYPI: &str = "https://pypi.org/simple/";
pub const TESTPYPI: &str = "https://test.pypi.org/simple/";

const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, text/html;q=0.2";
/// Large projects list thousands of files; the answer is read whole.
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// `pypi`, `testpypi` or a URL, as the simple API's root ending in `/`.
pub fn resolve_index(arg: &str) -> String {
    let url = match arg.trim() {
        "pypi" => PYPI,
        "testpypi" => TESTPYPI,
        other => other,
    };
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

/// A friendly name for the two public indexes, else the URL with any
/// credentials masked.
pub fn index_label(index: &str) -> String {
    match index {
        PYPI => "PyPI".to_owned(),
        TESTPYPI => "TestPyPI".to_owned(),
        other => redact::secrets(other).into_owned(),
    }
}

/// The project's page under an index root (credentials kept: this is the
/// URL that is asked; show it through [`shown`]).
pub fn project_url(index: &str, project: &str) -> String {
    format!("{index}{}/", names::canonicalize(project))
}

/// A URL as it may be printed: credentials masked.
pub fn shown(url: &str) -> String {
    redact::secrets(url).into_owned()
}

/// What the index says about the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The index does not know the project (404): nothing was ever published.
    NoProject,
    Files {
        format: Format,
        files: Vec<String>,
        /// The versions the JSON API lists (API 1.1), if any.
        versions: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "PEP 691 JSON",
            Format::Html => "PEP 503 HTML",
        })
    }
}

/// Why the index could not answer the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexError {
    /// No connection (refused, no such host, TLS failure, ...).
    Network { url: String, why: String },
    /// No complete answer in time.
    Timeout { url: String, secs: u64 },
    /// An answer, but not a listing (bad status, content type or body).
    Protocol { url: String, why: String },
}

impl IndexError {
    /// What went wrong.
    pub fn cause(&self) -> String {
        match self {
            IndexError::Network { url, why } => format!("network error: cannot reach {url}: {why}"),
            IndexError::Timeout { url, secs } => {
                format!("network error: {url} gave no complete answer within {secs} s (timed out)")
            }
            IndexError::Protocol { url, why } => format!("protocol error: {url} {why}"),
        }
    }

    /// What to do about it.
    pub fn way_out(&self) -> &'static str {
        match self {
            IndexError::Network { .. } => {
                "check the index URL and the network (proxy, firewall, DNS), then try again"
            }
            IndexError::Timeout { .. } => "try again later, or allow more time with --timeout SECS",
            IndexError::Protocol { .. } => {
                "check that the URL is a simple API root (like https://pypi.org/simple/) and that the index is healthy"
            }
        }
    }
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; way out: {}", self.cause(), self.way_out())
    }
}

/// GET `url` from the index; errors name the URL with credentials masked.
fn ask(
    url: &str,
    timeout_secs: u64,
    max_body: u64,
    truncate: bool,
) -> Result<http::Response, IndexError> {
    let shown = shown(url);
    http::get(&http::Get {
        url,
        accept: Some(ACCEPT),
        timeout: Duration::from_secs(timeout_secs.max(1)),
        max_body,
        truncate,
        redirects: 5,
        proxy_from_env: true,
    })
    .map_err(|err| match err {
        HttpError::Timeout => IndexError::Timeout {
            url: shown,
            secs: timeout_secs,
        },
        HttpError::Network(why) => IndexError::Network {
            url: shown,
            why: redact::secrets(&why).into_owned(),
        },
        HttpError::Protocol(why) => IndexError::Protocol {
            url: shown,
            why: redact::secrets(&why).into_owned(),
        },
    })
}

/// Ask the index for the project's listing.
pub fn fetch(index: &str, project: &str, timeout_secs: u64) -> Result<Listing, IndexError> {
    fetch_page(index, project, timeout_secs).map(|page| page.listing)
}

/// Ask the index for the project's listing and the sha256 of each file. A
/// 404 for the project means "never published" only when the index root
/// itself answers as a simple API; a mistyped root (`/simpel/`) answers 404
/// for everything.
pub fn fetch_page(index: &str, project: &str, timeout_secs: u64) -> Result<Page, IndexError> {
    let url = project_url(index, project);
    let answer = ask(&url, timeout_secs, MAX_BODY, false)?;
    let page = classify(
        answer.status,
        answer.content_type.as_deref(),
        &answer.text(),
    )
    .map_err(|why| IndexError::Protocol {
        url: shown(&url),
        why,
    })?;
    if page.listing == Listing::NoProject {
        // The root of PyPI lists every project: its first bytes are enough.
        let root = ask(index, timeout_secs, 64 * 1024, true)?;
        if let Err(why) = is_simple_root(root.status, root.content_type.as_deref()) {
            return Err(IndexError::Protocol {
                url: shown(index),
                why: format!(
                    "{why}, so its 404 for {} says nothing about the project: is the index URL right?",
                    shown(&url)
                ),
            });
        }
    }
    Ok(page)
}

/// Whether an answer to the index root is a simple API root. Pure.
pub fn is_simple_root(status: u16, content_type: Option<&str>) -> Result<(), String> {
    if status != 200 {
        return Err(format!("answered HTTP {status} for the index root"));
    }
    match mime(content_type).as_str() {
        "application/vnd.pypi.simple.v1+json"
        | "application/vnd.pypi.simple.latest+json"
        | "text/html"
        | "application/vnd.pypi.simple.v1+html"
        | "application/vnd.pypi.simple.latest+html" => Ok(()),
        other => Err(format!(
            "answered the index root with content type `{other}`, not a simple API page"
        )),
    }
}

fn mime(content_type: Option<&str>) -> String {
    content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// A project page as read: the listing, and the sha256 the index gives for
/// each of its files (same order as `files`; `None` when it gives none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub listing: Listing,
    pub sha256: Vec<Option<String>>,
}

impl Page {
    fn no_project() -> Page {
        Page {
            listing: Listing::NoProject,
            sha256: Vec::new(),
        }
    }
}

/// Turn an HTTP answer into a listing with its files' sha256. Pure.
pub fn classify(status: u16, content_type: Option<&str>, body: &str) -> Result<Page, String> {
    match status {
        200 => {}
        404 => return Ok(Page::no_project()),
        other => return Err(format!("answered HTTP {other}")),
    }
    match mime(content_type).as_str() {
        "application/vnd.pypi.simple.v1+json" | "application/vnd.pypi.simple.latest+json" => {
            parse_json(body)
        }
        "text/html"
        | "application/vnd.pypi.simple.v1+html"
        | "application/vnd.pypi.simple.latest+html" => parse_html(body),
        "" => Err("answered without a content type".to_owned()),
        other => Err(format!(
            "answered with content type `{other}`, neither PEP 691 JSON nor PEP 503 HTML"
        )),
    }
}

/// A PEP 691 project page, with each file's `hashes.sha256`.
pub fn parse_json(body: &str) -> Result<Page, String> {
    let bad = |why: &str| format!("answered JSON that is not a PEP 691 project page: {why}");
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| bad(&format!("invalid JSON ({e})")))?;
    let api = value
        .pointer("/meta/api-version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad("no meta.api-version"))?;
    if api.split('.').next() != Some("1") {
        return Err(bad(&format!("API version {api} (only 1.x is understood)")));
    }
    let (files, sha256): (Vec<String>, Vec<Option<String>>) = value
        .get("files")
        .and_then(|v| v.as_array())
        .ok_or_else(|| bad("no `files` list"))?
        .iter()
        .map(|file| {
            let name = file
                .get("filename")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| bad("a file without a `filename`"))?;
            let sha = file
                .pointer("/hashes/sha256")
                .and_then(|v| v.as_str())
                .and_then(sha256_hex);
            Ok((name, sha))
        })
        .collect::<Result<Vec<_>, String>>()?
        .into_iter()
        .unzip();
    let versions = value
        .get("versions")
        .and_then(|v| v.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Page {
        listing: Listing::Files {
            format: Format::Json,
            files,
            versions,
        },
        sha256,
    })
}

/// A PEP 503 project page: the file names of its `<a>` links (the last path
/// segment of `href`, else the link text), with the `#sha256=` fragment of
/// each link.
pub fn parse_html(body: &str) -> Result<Page, String> {
    let lower = body.to_ascii_lowercase();
    if !(lower.contains("<!doctype html") || lower.contains("<html") || lower.contains("<a ")) {
        return Err("answered text/html that is not an HTML page".to_owned());
    }
    let (files, sha256) = html::start_tags(body)
        .filter(|tag| tag.name == "a")
        .filter_map(|tag| {
            let href = tag.attr("href");
            let from_href = href.and_then(file_name_of_href);
            let name = from_href.unwrap_or_else(|| html::text_until_tag(body, tag.end, "a"));
            let sha = href.and_then(sha256_of_href);
            (!name.is_empty()).then_some((name, sha))
        })
        .unzip();
    Ok(Page {
        listing: Listing::Files {
            format: Format::Html,
            files,
            versions: Vec::new(),
        },
        sha256,
    })
}

/// The `#sha256=<hex>` fragment of a link, lowercased; `None` without one.
fn sha256_of_href(href: &str) -> Option<String> {
    let (_, fragment) = href.split_once('#')?;
    let (name, value) = fragment.split_once('=')?;
    if !name.eq_ignore_ascii_case("sha256") {
        return None;
    }
    sha256_hex(value)
}

/// A sha256 as 64 hex digits, lowercased; `None` for anything else.
fn sha256_hex(value: &str) -> Option<String> {
    (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}

/// The percent-decoded last path segment of a link, without query and fragment.
fn file_name_of_href(href: &str) -> Option<String> {
    let path = href.split(['#', '?']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    (!last.is_empty()).then(|| percent_decode(last))
}

fn percent_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const SDIST_EXTENSIONS: [&str; 7] = [
    ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar", ".tbz",
];

/// The version in a distribution file name of `project` (PEP 503 normalised
/// names compared), or `None` when the name is not one of the project's
/// distributions or carries no PEP 440 version.
pub fn file_version(filename: &str, project: &str) -> Option<Version> {
    let project = names::canonicalize(project);
    let lower = filename.to_ascii_lowercase();
    // Wheels and eggs: `name-version-...`, the name without dashes.
    for ext in [".whl", ".egg"] {
        if let Some(stem) = lower.strip_suffix(ext) {
            let stem = &filename[..stem.len()];
            let mut parts = stem.split('-');
            let name = parts.next()?;
            let ver = parts.next()?;
            if names::canonicalize(name) != project {
                return None;
            }
            return version::parse(ver).ok();
        }
    }
    // Source distributions: `name-version.ext`, legacy names may hold dashes.
    let ext = SDIST_EXTENSIONS.iter().find(|ext| lower.ends_with(*ext))?;
    let stem = &filename[..filename.len() - ext.len()];
    stem.match_indices('-').find_map(|(i, _)| {
        (names::canonicalize(&stem[..i]) == project)
            .then(|| version::parse(&stem[i + 1..]).ok())
            .flatten()
    })
}

/// A listed file that blocks the release, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub filename: String,
    pub why: String,
}

/// A listed file of this release: the hit, its position in the listing, and
/// which of our artifacts it is by name (`None`: this version, another name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub hit: Hit,
    pub listed: usize,
    pub ours: Option<usize>,
}

/// The listed files (or versions) that are ours: one of our artifact names
/// (compared case-insensitively and in normal form, the way the index
/// compares them), or the same version by PEP 440 equality.
pub fn find(listing: &Listing, project: &str, wanted: &Version, ours: &[String]) -> Vec<Hit> {
    let mut hits: Vec<Hit> = matches(listing, project, wanted, ours)
        .into_iter()
        .map(|m| m.hit)
        .collect();
    if hits.is_empty() {
        if let Listing::Files { versions, .. } = listing {
            if let Some(listed) = versions
                .iter()
                .find(|v| version::parse(v).is_ok_and(|v| &v == wanted))
            {
                hits.push(Hit {
                    filename: format!("(release {listed}, no files listed)"),
                    why: "the index lists the release".to_owned(),
                });
            }
        }
    }
    hits
}

/// The listed files that are one of ours by name or of this version, in
/// listing order. A file with one of our names is matched as ours first:
/// its bytes can then be compared with ours.
pub fn matches(listing: &Listing, project: &str, wanted: &Version, ours: &[String]) -> Vec<Match> {
    let Listing::Files { files, .. } = listing else {
        return Vec::new();
    };
    let ours_normal: Vec<String> = ours
        .iter()
        .map(|name| normalize_file_name(name, project))
        .collect();
    files
        .iter()
        .enumerate()
        .filter_map(|(listed, filename)| {
            let normal = normalize_file_name(filename, project);
            let found = file_version(filename, project);
            let why = |what: &str| match &found {
                Some(v) => format!("{what}, version {v}"),
                None => what.to_owned(),
            };
            if let Some(i) = ours_normal.iter().position(|o| *o == normal) {
                return Some(Match {
                    hit: Hit {
                        filename: filename.clone(),
                        why: why("our file name"),
                    },
                    listed,
                    ours: Some(i),
                });
            }
            match found {
                Some(v) if &v == wanted => Some(Match {
                    hit: Hit {
                        filename: filename.clone(),
                        why: format!("version {v}"),
                    },
                    listed,
                    ours: None,
                }),
                _ => None,
            }
        })
        .collect()
}

/// A file name with its project part escaped the way wheels spell it and the
/// version normalised, lowercased: the form two names are compared in.
fn normalize_file_name(filename: &str, project: &str) -> String {
    let lower = filename.to_ascii_lowercase();
    let escaped = names::escape(project);
    let Some(v) = file_version(filename, project) else {
        return lower;
    };
    let ext = if lower.ends_with(".whl") || lower.ends_with(".egg") {
        // Keep the tags after the version.
        let mut parts = lower.splitn(3, '-');
        parts.next();
        parts.next();
        format!("-{}", parts.next().unwrap_or(""))
    } else {
        SDIST_EXTENSIONS
            .iter()
            .find(|ext| lower.ends_with(*ext))
            .map(|e| (*e).to_owned())
            .unwrap_or_default()
    };
    format!("{escaped}-{v}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_shown_urls_hide_credentials() {
        assert_eq!(index_label(PYPI), "PyPI");
        assert_eq!(
            index_label("https://u:t0k@pkgs.example.com/simple/"),
            "https://***@pkgs.example.com/simple/"
        );
        assert_eq!(
            shown(&project_url("https://u:t0k@h/simple/", "Invoke_AI")),
            "https://***@h/simple/invoke-ai/"
        );
    }

    #[test]
    fn a_simple_root_is_a_200_simple_page() {
        assert!(is_simple_root(200, Some("text/html; charset=utf-8")).is_ok());
        assert!(is_simple_root(200, Some("application/vnd.pypi.simple.v1+json")).is_ok());
        assert!(is_simple_root(404, Some("text/html")).is_err());
        assert!(is_simple_root(200, Some("application/json")).is_err());
        assert!(is_simple_root(200, None).is_err());
    }
    use crate::release::identity::Identity;

    fn v(text: &str) -> Version {
        version::parse(text).unwrap()
    }

    fn files(listing: Listing) -> Vec<String> {
        match listing {
            Listing::Files { files, .. } => files,
            Listing::NoProject => panic!("no project"),
        }
    }

    #[test]
    fn index_arguments() {
        assert_eq!(resolve_index("pypi"), PYPI);
        assert_eq!(resolve_index("testpypi"), TESTPYPI);
        assert_eq!(
            resolve_index("http://127.0.0.1:8080/simple"),
            "http://127.0.0.1:8080/simple/"
        );
        assert_eq!(
            project_url(PYPI, "Invoke_AI"),
            "https://pypi.org/simple/invoke-ai/"
        );
        assert_eq!(index_label(TESTPYPI), "TestPyPI");
    }

    #[test]
    fn classify_by_status_and_content_type() {
        assert_eq!(
            classify(404, Some("text/html"), "nope").map(|p| p.listing),
            Ok(Listing::NoProject)
        );
        assert_eq!(
            classify(500, Some("text/html"), "").map(|p| p.listing),
            Err("answered HTTP 500".to_owned())
        );
        let json = r#"{"meta":{"api-version":"1.1"},"name":"invokeai","files":[{"filename":"InvokeAI-1.0.tar.gz","url":"x","hashes":{}}],"versions":["1.0"]}"#;
        assert_eq!(
            classify(200, Some("application/vnd.pypi.simple.v1+json"), json).map(|p| p.listing),
            Ok(Listing::Files {
                format: Format::Json,
                files: vec!["InvokeAI-1.0.tar.gz".into()],
                versions: vec!["1.0".into()]
            })
        );
        assert!(
            classify(200, Some("text/plain"), "x")
                .unwrap_err()
                .contains("text/plain")
        );
        assert!(
            classify(200, None, "x")
                .unwrap_err()
                .contains("without a content type")
        );
        let err = classify(
            200,
            Some("application/vnd.pypi.simple.v1+json"),
            "{\"meta\":",
        )
        .unwrap_err();
        assert!(err.contains("invalid JSON"), "{err}");
        let err = classify(
            200,
            Some("application/vnd.pypi.simple.v1+json"),
            r#"{"meta":{"api-version":"2.0"},"files":[]}"#,
        )
        .unwrap_err();
        assert!(err.contains("API version 2.0"), "{err}");
        assert!(classify(200, Some("text/html; charset=utf-8"), "\u{0}\u{1}garbage").is_err());
    }

    #[test]
    fn html_links_give_file_names() {
        let page = r#"<!DOCTYPE html><html><body>
            <h1>Links for invokeai</h1>
            <a href="/packages/InvokeAI-6.9.0.tar.gz#sha256=3bb2">InvokeAI-6.9.0.tar.gz</a><br>
            <A HREF='../../files/invokeai-6.9.0-py3-none-any.whl?x=1' data-requires-python="&gt;=3.10">invokeai-6.9.0-py3-none-any.whl</A>
            <a href="https://x/invokeai-1.0%2Blocal.tar.gz">invokeai-1.0+local.tar.gz</a>
            <a data-x="a>b" href=plain-1.0.zip>plain-1.0.zip</a>
            <abbr>not a link</abbr><a>text-only-2.0.tar.gz</a>
            </body></html>"#;
        assert_eq!(
            files(parse_html(page).unwrap().listing),
            [
                "InvokeAI-6.9.0.tar.gz",
                "invokeai-6.9.0-py3-none-any.whl",
                "invokeai-1.0+local.tar.gz",
                "plain-1.0.zip",
                "text-only-2.0.tar.gz"
            ]
        );
        // A project with no files is a page without links: any one of the
        // doctype, an <html> tag or a link makes it HTML.
        for empty in [
            "<!DOCTYPE html><html><body></body></html>",
            "<!DOCTYPE html><title>Links for invokeai</title>",
            "<html><body><h1>Links for invokeai</h1></body></html>",
        ] {
            assert_eq!(
                files(parse_html(empty).unwrap().listing),
                Vec::<String>::new(),
                "{empty}"
            );
        }
        assert!(parse_html("<h1>Links for invokeai</h1>").is_err());
    }

    #[test]
    fn versions_come_from_file_names() {
        assert_eq!(
            file_version("InvokeAI-6.9.0.tar.gz", "invokeai"),
            Some(v("6.9.0"))
        );
        assert_eq!(
            file_version("invokeai-6.9.0-py3-none-any.whl", "InvokeAI"),
            Some(v("6.9.0"))
        );
        assert_eq!(
            file_version("InvokeAI-2.2.5-1-py3-none-any.whl", "InvokeAI"),
            Some(v("2.2.5"))
        );
        assert_eq!(
            file_version("invoke-ai-1.0rc1.zip", "invoke_ai"),
            Some(v("1.0rc1"))
        );
        assert_eq!(
            file_version("invokeai-1.0-rc1.tar.gz", "invokeai"),
            Some(v("1.0rc1"))
        );
        assert_eq!(
            file_version("InvokeAI-1.0-py3.10.egg", "invokeai"),
            Some(v("1.0"))
        );
        assert_eq!(file_version("other-1.0.tar.gz", "invokeai"), None);
        assert_eq!(file_version("invokeai-1.0.exe", "invokeai"), None);
        assert_eq!(file_version("invokeai-banana.tar.gz", "invokeai"), None);
    }

    #[test]
    fn hits_are_the_same_version_or_the_same_file_name() {
        let listing = Listing::Files {
            format: Format::Html,
            files: vec![
                "InvokeAI-6.9.0.tar.gz".into(),
                "invokeai-6.9.0-py3-none-any.whl".into(),
                "InvokeAI-6.10.0.tar.gz".into(),
            ],
            versions: vec![],
        };
        let ours = Identity::new("InvokeAI", v("6.9")).index_files();
        let hits = find(&listing, "InvokeAI", &v("6.9"), &ours);
        assert_eq!(
            hits.iter().map(|h| h.filename.as_str()).collect::<Vec<_>>(),
            ["InvokeAI-6.9.0.tar.gz", "invokeai-6.9.0-py3-none-any.whl"]
        );
        assert!(
            find(
                &listing,
                "InvokeAI",
                &v("6.9.1"),
                &Identity::new("InvokeAI", v("6.9.1")).index_files()
            )
            .is_empty()
        );
        assert!(find(&Listing::NoProject, "InvokeAI", &v("6.9"), &ours).is_empty());
        // A release listed without files still counts.
        let bare = Listing::Files {
            format: Format::Json,
            files: vec![],
            versions: vec!["6.9.0".into()],
        };
        assert_eq!(find(&bare, "InvokeAI", &v("6.9"), &ours).len(), 1);
    }

    #[test]
    fn pages_carry_each_files_sha256() {
        let a = "a".repeat(64);
        let upper = "AB".repeat(32);
        let json = format!(
            r#"{{"meta":{{"api-version":"1.1"}},"files":[
                {{"filename":"invokeai-1.0.tar.gz","hashes":{{"sha256":"{a}"}}}},
                {{"filename":"invokeai-1.0-py3-none-any.whl","hashes":{{"md5":"00"}}}},
                {{"filename":"invokeai-0.9.tar.gz","hashes":{{"sha256":"short"}}}},
                {{"filename":"invokeai-0.8.tar.gz","hashes":{{"sha256":"{not_hex}"}}}},
                {{"filename":"invokeai-0.7.tar.gz","hashes":{{"sha256":"abc123"}}}}]}}"#,
            not_hex = "g".repeat(64)
        );
        let page = parse_json(&json).unwrap();
        // Only 64 hex digits are a sha256: not 64 other letters, not a short hex.
        assert_eq!(page.sha256, [Some(a.clone()), None, None, None, None]);
        let html = format!(
            r#"<html><a href="/f/invokeai-1.0.tar.gz#SHA256={upper}">x</a>
            <a href="/f/invokeai-1.0-py3-none-any.whl#md5=00">y</a>
            <a href="/f/invokeai-0.9.tar.gz">z</a></html>"#
        );
        let page = parse_html(&html).unwrap();
        assert_eq!(page.sha256, [Some(upper.to_ascii_lowercase()), None, None]);
        // The file name is the link's last path segment, not its text.
        assert_eq!(
            files(page.listing),
            [
                "invokeai-1.0.tar.gz",
                "invokeai-1.0-py3-none-any.whl",
                "invokeai-0.9.tar.gz"
            ]
        );
    }

    #[test]
    fn a_file_with_one_of_our_names_is_matched_as_ours() {
        let listing = Listing::Files {
            format: Format::Html,
            files: vec![
                "InvokeAI-6.9.0.tar.gz".into(),
                "invokeai-6.9.0-cp312-none-any.whl".into(),
                "invokeai-6.8.0.tar.gz".into(),
                "invokeai-6.9.0-py3-none-any.whl".into(),
            ],
            versions: vec![],
        };
        let ours = Identity::new("InvokeAI", v("6.9.0")).index_files();
        let found = matches(&listing, "InvokeAI", &v("6.9.0"), &ours);
        let summary: Vec<(usize, Option<usize>, &str)> = found
            .iter()
            .map(|m| (m.listed, m.ours, m.hit.why.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (0, Some(1), "our file name, version 6.9.0"),
                (1, None, "version 6.9.0"),
                (3, Some(0), "our file name, version 6.9.0"),
            ]
        );
    }

    #[test]
    fn file_names_compare_in_normal_form() {
        assert_eq!(
            normalize_file_name("InvokeAI-6.9.0RC1.tar.gz", "invokeai"),
            "invokeai-6.9.0rc1.tar.gz"
        );
        assert_eq!(
            normalize_file_name("Invoke.AI-6.9.0-py3-none-any.whl", "invoke-ai"),
            "invoke_ai-6.9.0-py3-none-any.whl"
        );
    }

    #[test]
    fn entities_and_percent_escapes_are_decoded() {
        let page = parse_html(
            "<!DOCTYPE html><a href=\"/f/a&amp;b&#43;c%2B.whl\">x</a><a>d&amp;e&#x2B;&bogus.tar.gz</a>",
        )
        .unwrap();
        assert_eq!(files(page.listing), ["a&b+c+.whl", "d&e+&bogus.tar.gz"]);
        assert_eq!(percent_decode("a%2Bb%zz%2"), "a+b%zz%2");
        // An escape anywhere, the last three characters included.
        assert_eq!(
            percent_decode("invokeai-1.0.tar%2Egz%2B"),
            "invokeai-1.0.tar.gz+"
        );
        assert_eq!(percent_decode("%"), "%");
    }
}
