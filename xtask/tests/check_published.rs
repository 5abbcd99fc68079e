//! `cargo xtask check-published` against real indexes on loopback:
//! pypiserver (pinned in the dev venv) holding an uploaded earlier version, a
//! static PEP 503 tree served by `python -m http.server`, a PEP 691 JSON
//! answerer, a closed port, and servers answering garbage or nothing.

mod release_fixture;
mod support;

use std::path::Path;
use std::sync::Arc;

use release_fixture::{Behaviour, RawServer, Repo, Server, http_response, write_dists};
use support::*;

/// The fixture checkout at 1.2.0 (no remote needed).
fn checkout() -> Repo {
    Repo::without_remote("1.2.0")
}

/// pypiserver with InvokeAI 1.1.0 uploaded: a legacy-capitalised sdist and a
/// normalised wheel, as PyPI holds them for older releases.
fn index_with_1_1_0(dir: &Path) -> Server {
    let packages = dir.join("packages");
    write_dists(
        &packages,
        "InvokeAI-1.1.0.tar.gz",
        "invokeai-1.1.0-py3-none-any.whl",
        "1.1.0",
    );
    Server::pypiserver(&packages)
}

fn check(repo: &Repo, index: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["check-published", "--index", index];
    args.extend_from_slice(extra);
    output(&mut repo.xtask(&args))
}

#[test]
fn pypiserver_free_and_existing_versions() {
    let repo = checkout();
    let server = index_with_1_1_0(repo.root.parent().unwrap());

    // The version file's 1.2.0 is free.
    let out = check(&repo, &server.index, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("InvokeAI 1.2.0 (from python/invokeai/version/invokeai_version.py:1)"),
        "{text}"
    );
    assert!(
        text.contains("our files: invokeai-1.2.0-py3-none-any.whl, invokeai-1.2.0.tar.gz"),
        "{text}"
    );
    assert!(text.contains("free: "), "{text}");
    assert!(
        text.contains("lists 2 files of InvokeAI (PEP 503 HTML), none of version 1.2.0"),
        "{text}"
    );

    // 1.1.0 is there, under both spellings of its name. Asked as 1.1.0 its
    // files carry our file names; asked as 1.1 they are the same version.
    for (asked, why) in [
        ("1.1.0", "our file name, version 1.1.0"),
        ("1.1", "version 1.1.0"),
        ("1.1.0.0", "version 1.1.0"),
        ("v1.1.0", "our file name, version 1.1.0"),
    ] {
        let out = check(&repo, &server.index, &["--version", asked]);
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{asked}: {text}{}",
            stderr(&out)
        );
        assert!(text.contains("published: InvokeAI "), "{asked}: {text}");
        assert!(
            text.contains(" is already on http://127.0.0.1:"),
            "{asked}: {text}"
        );
        assert!(
            text.contains(&format!("  InvokeAI-1.1.0.tar.gz ({why})")),
            "{asked}: {text}"
        );
        assert!(
            text.contains(&format!("  invokeai-1.1.0-py3-none-any.whl ({why})")),
            "{asked}: {text}"
        );
        assert!(
            text.contains("way out: an index accepts a version only once"),
            "{asked}: {text}"
        );
    }

    // Close is not equal.
    for free in ["1.1.0.post1", "1.1.0rc1", "1.1.0+local"] {
        let out = check(&repo, &server.index, &["--version", free]);
        assert_eq!(out.status.code(), Some(0), "{free}: {}", stdout(&out));
    }
}

#[test]
fn a_project_the_index_does_not_know_is_free() {
    let repo = checkout();
    let dir = tempdir();
    let packages = dir.path().join("packages");
    write_dists(
        &packages,
        "other-1.0.tar.gz",
        "other-1.0-py3-none-any.whl",
        "1.0",
    );
    let server = Server::pypiserver(&packages);
    let out = check(&repo, &server.index, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("has no project InvokeAI (HTTP 404)"),
        "{text}"
    );
}

/// The project is asked for under its PEP 503 name: `InvokeAI` (and
/// `Invoke_AI.`-style spellings) become `invokeai`/`invoke-ai`; a static tree
/// has only that directory, so anything else would be a 404 and "free".
#[test]
fn name_normalisation_against_a_static_pep503_tree() {
    let repo = checkout();
    let site = tempdir();
    let page = site.path().join("simple/invokeai/index.html");
    std::fs::create_dir_all(page.parent().unwrap()).unwrap();
    std::fs::write(
        &page,
        r#"<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for InvokeAI</title></head>
<body><h1>Links for InvokeAI</h1>
<a href="../../files/InvokeAI-1.2.0-py3-none-any.whl#sha256=00" data-requires-python="&gt;=3.10">InvokeAI-1.2.0-py3-none-any.whl</a><br/>
<a href="../../files/InvokeAI-1.1.0.tar.gz">InvokeAI-1.1.0.tar.gz</a><br/>
</body></html>
"#,
    )
    .unwrap();
    let server = Server::static_tree(site.path());

    let out = check(&repo, &server.index, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!("on {}invokeai/", server.index)),
        "{text}"
    );
    assert!(
        text.contains("  InvokeAI-1.2.0-py3-none-any.whl (our file name, version 1.2.0)"),
        "{text}"
    );

    // The same project spelled differently in pyproject.toml.
    for name in ["invokeai", "INVOKEAI", "InvokeAI"] {
        let spelled = Repo::without_remote("1.1.0");
        let pyproject =
            std::fs::read_to_string(spelled.root.join("python/pyproject.toml")).unwrap();
        spelled.write(
            "python/pyproject.toml",
            &pyproject.replace("name = \"InvokeAI\"", &format!("name = \"{name}\"")),
        );
        let out = check(&spelled, &server.index, &[]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {text}");
        assert!(
            text.contains("InvokeAI-1.1.0.tar.gz (our file name, version 1.1.0)"),
            "{name}: {text}"
        );
    }

    // A different project name is asked under its own normalised page.
    let other = Repo::without_remote("1.1.0");
    let pyproject = std::fs::read_to_string(other.root.join("python/pyproject.toml")).unwrap();
    other.write(
        "python/pyproject.toml",
        &pyproject.replace("name = \"InvokeAI\"", "name = \"Invoke_AI\""),
    );
    let out = check(&other, &server.index, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("on {}invoke-ai/", server.index)),
        "{text}"
    );
    assert!(
        text.contains("our files: invoke_ai-1.1.0-py3-none-any.whl"),
        "{text}"
    );
}

/// PEP 691: the JSON answer is asked for first and read when given.
#[test]
fn json_simple_api() {
    let repo = checkout();
    let server = RawServer::start(Behaviour::Answer(Arc::new(|path: &str| {
        if path == "/simple/invokeai/" {
            http_response(
                "200 OK",
                "application/vnd.pypi.simple.v1+json",
                r#"{"meta": {"api-version": "1.1"}, "name": "invokeai",
                    "files": [{"filename": "InvokeAI-1.1.0.tar.gz", "url": "x", "hashes": {}},
                              {"filename": "invokeai-1.2.0rc1-py3-none-any.whl", "url": "y", "hashes": {}}],
                    "versions": ["1.1.0", "1.2.0rc1", "1.0.0"]}"#,
            )
        } else {
            http_response("404 Not Found", "text/html", "<html>no</html>")
        }
    })));
    let out = check(&repo, &server.index, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("lists 2 files of InvokeAI (PEP 691 JSON)"),
        "{text}"
    );
    let out = check(&repo, &server.index, &["--version", "1.2.0RC1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out)
            .contains("invokeai-1.2.0rc1-py3-none-any.whl (our file name, version 1.2.0rc1)"),
        "{}",
        stdout(&out)
    );
    // A release listed with no files left is still taken.
    let out = check(&repo, &server.index, &["--version", "1.0.0"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("the index lists the release"),
        "{}",
        stdout(&out)
    );

    let requests = server.requests.lock().unwrap();
    assert!(
        requests[0]
            .to_ascii_lowercase()
            .contains("accept: application/vnd.pypi.simple.v1+json, text/html;q=0.2"),
        "{}",
        requests[0]
    );
}

#[test]
fn an_index_that_is_down_is_exit_3() {
    let repo = checkout();
    let port = release_fixture::free_port();
    let out = check(&repo, &format!("http://127.0.0.1:{port}/simple/"), &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}{}", stderr(&out));
    assert!(
        text.contains("error: network error: cannot reach"),
        "{text}"
    );
    assert!(
        text.contains("way out: check the index URL and the network"),
        "{text}"
    );
}

#[test]
fn an_index_answering_garbage_is_exit_3() {
    let repo = checkout();
    let cases: [(&'static [u8], &str); 5] = [
        (b"banana sushi\r\n\r\n", "protocol error"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nbanana",
            "content type `text/plain`",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.pypi.simple.v1+json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"files\":",
            "invalid JSON",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\nConnection: close\r\n\r\n\x00\x01\x02abc",
            "not an HTML page",
        ),
        (
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "answered HTTP 503",
        ),
    ];
    for (answer, expected) in cases {
        let server = RawServer::fixed(answer);
        let out = check(&repo, &server.index, &[]);
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{expected}: {text}{}",
            stderr(&out)
        );
        assert!(text.contains("error: "), "{expected}: {text}");
        assert!(text.contains(expected), "{expected}: {text}");
        assert!(text.contains("way out: "), "{expected}: {text}");
    }
}

#[test]
fn a_silent_index_times_out_as_exit_3() {
    let repo = checkout();
    let server = RawServer::start(Behaviour::Hang);
    let out = check(&repo, &server.index, &["--timeout", "1"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}{}", stderr(&out));
    assert!(
        text.contains("no complete answer within 1 s (timed out)"),
        "{text}"
    );
    assert!(text.contains("--timeout SECS"), "{text}");
}

#[test]
fn a_bad_question_is_exit_2() {
    let repo = checkout();
    let out = output(&mut repo.xtask(&[
        "check-published",
        "--version",
        "banana",
        "--index",
        "http://127.0.0.1:9/simple/",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--version `banana` is not a PEP 440 version"),
        "{}",
        stderr(&out)
    );
}

/// A mistyped index root answers 404 for every project; that 404 does not
/// mean "free": the root itself is asked, and the answer is exit 3 naming it.
#[test]
fn a_mistyped_index_root_is_exit_3_not_free() {
    let repo = checkout();
    let site = tempdir();
    let page = site.path().join("simple/invokeai/index.html");
    std::fs::create_dir_all(page.parent().unwrap()).unwrap();
    std::fs::write(&page, "<!DOCTYPE html><html><body></body></html>\n").unwrap();
    let server = Server::static_tree(site.path());
    let mistyped = server.index.replace("/simple/", "/simpel/");
    let out = check(&repo, &mistyped, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!("{mistyped} answered HTTP 404 for the index root")),
        "{text}"
    );
    assert!(text.contains("is the index URL right?"), "{text}");
    // The right root, and a project it does not know: free.
    let other = Repo::without_remote("1.2.0");
    let pyproject = std::fs::read_to_string(other.root.join("python/pyproject.toml")).unwrap();
    other.write(
        "python/pyproject.toml",
        &pyproject.replace("name = \"InvokeAI\"", "name = \"not-there\""),
    );
    let out = check(&other, &server.index, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// Credentials in the index URL reach the index but never the output.
#[test]
fn credentials_in_the_index_url_are_never_printed() {
    let repo = checkout();
    let dir = tempdir();
    let server = index_with_1_1_0(dir.path());
    let with_creds = server
        .index
        .replace("http://", "http://uploader:pypi-s3cr3t@");
    for extra in [&[][..], &["--version", "1.1.0"]] {
        let out = check(&repo, &with_creds, extra);
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(matches!(out.status.code(), Some(0 | 1)), "{all}");
        assert!(!all.contains("s3cr3t"), "{all}");
        assert!(all.contains("http://***@127.0.0.1:"), "{all}");
    }
    // And not in errors either: a closed port behind credentials.
    let port = release_fixture::free_port();
    let out = check(
        &repo,
        &format!("https://me:pypi-s3cr3t@127.0.0.1:{port}/simple/"),
        &[],
    );
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(!all.contains("s3cr3t"), "{all}");
}

/// Our build of 1.2.0 in `dir/dist`: the folder `--dist` reads.
fn our_dist(dir: &Path) -> std::path::PathBuf {
    let dist = dir.join("dist");
    write_dists(
        &dist,
        "invokeai-1.2.0.tar.gz",
        "invokeai-1.2.0-py3-none-any.whl",
        "1.2.0",
    );
    dist
}

/// pypiserver holding `files` (name, bytes), as an index that took them.
fn index_holding(dir: &Path, files: &[(&str, Vec<u8>)]) -> Server {
    let packages = dir.join("packages");
    std::fs::create_dir_all(&packages).unwrap();
    for (name, bytes) in files {
        std::fs::write(packages.join(name), bytes).unwrap();
    }
    Server::pypiserver(&packages)
}

/// A re-run after an upload that went through (or stopped half-way): the
/// index holds our exact files, the check says so and succeeds; without
/// `--dist` the same index is "published". A file of ours is recognised by
/// its name (the "our file name" match), then compared by sha256.
#[test]
fn our_exact_files_on_the_index_are_published_by_us() {
    let repo = checkout();
    let dir = tempdir();
    let dist = our_dist(dir.path());
    let dist_arg = dist.to_str().unwrap();
    let wheel = std::fs::read(dist.join("invokeai-1.2.0-py3-none-any.whl")).unwrap();
    let sdist = std::fs::read(dist.join("invokeai-1.2.0.tar.gz")).unwrap();

    let full = index_holding(
        &dir.path().join("full"),
        &[
            ("invokeai-1.2.0-py3-none-any.whl", wheel.clone()),
            ("invokeai-1.2.0.tar.gz", sdist.clone()),
        ],
    );
    let out = check(&repo, &full.index, &["--dist", dist_arg]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("published by us: every file of InvokeAI 1.2.0 on http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("is ours, byte for byte (sha256): invokeai-1.2.0-py3-none-any.whl, invokeai-1.2.0.tar.gz"),
        "{text}"
    );
    assert!(text.contains("nothing is left to upload"), "{text}");
    assert!(text.contains("  sha256 "), "{text}");

    // Without our files' bytes the version is simply taken; each of our
    // files is named as ours.
    let out = check(&repo, &full.index, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("  invokeai-1.2.0.tar.gz (our file name, version 1.2.0)"),
        "{text}"
    );

    // Half-uploaded: the wheel went through, the sdist did not.
    let half = index_holding(
        &dir.path().join("half"),
        &[("invokeai-1.2.0-py3-none-any.whl", wheel.clone())],
    );
    let out = check(&repo, &half.index, &["--dist", dist_arg]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("not there yet: invokeai-1.2.0.tar.gz; the upload adds it"),
        "{text}"
    );
}

/// Anything but our bytes under the version is still refused: another
/// build's sdist under our name, or a file of the version we do not make.
#[test]
fn other_bytes_under_the_version_are_still_published() {
    let repo = checkout();
    let dir = tempdir();
    let dist = our_dist(dir.path());
    let dist_arg = dist.to_str().unwrap();
    let wheel = std::fs::read(dist.join("invokeai-1.2.0-py3-none-any.whl")).unwrap();
    let mut other = std::fs::read(dist.join("invokeai-1.2.0.tar.gz")).unwrap();
    other.extend_from_slice(b"another build");

    let index = index_holding(
        &dir.path().join("other-bytes"),
        &[
            ("invokeai-1.2.0-py3-none-any.whl", wheel.clone()),
            ("invokeai-1.2.0.tar.gz", other),
        ],
    );
    let out = check(&repo, &index.index, &["--dist", dist_arg]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("invokeai-1.2.0.tar.gz (our file name, version 1.2.0; other bytes: sha256 "),
        "{text}"
    );
    assert!(
        text.contains("invokeai-1.2.0-py3-none-any.whl (our file name, version 1.2.0; our bytes)"),
        "{text}"
    );
    assert!(text.contains("way out: "), "{text}");

    let index = index_holding(
        &dir.path().join("other-file"),
        &[
            ("invokeai-1.2.0-py3-none-any.whl", wheel.clone()),
            ("invokeai-1.2.0-py2-none-any.whl", wheel),
        ],
    );
    let out = check(&repo, &index.index, &["--dist", dist_arg]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(
            "invokeai-1.2.0-py2-none-any.whl (version 1.2.0; not a file the build makes)"
        ),
        "{text}"
    );
}

/// A `--dist` folder that is not our build: exit 2 before the index is asked.
#[test]
fn a_dist_folder_without_our_files_is_exit_2() {
    let repo = checkout();
    let dir = tempdir();
    let dist = our_dist(dir.path());
    let closed = format!("http://127.0.0.1:{}/simple/", release_fixture::free_port());

    std::fs::copy(
        dist.join("invokeai-1.2.0-py3-none-any.whl"),
        dist.join("invokeai-1.2.0-py2-none-any.whl"),
    )
    .unwrap();
    let out = check(&repo, &closed, &["--dist", dist.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("invokeai-1.2.0-py2-none-any.whl is not a file the build makes"),
        "{err}"
    );
    assert!(err.contains("remove it"), "{err}");

    std::fs::remove_file(dist.join("invokeai-1.2.0-py2-none-any.whl")).unwrap();
    std::fs::remove_file(dist.join("invokeai-1.2.0.tar.gz")).unwrap();
    let out = check(&repo, &closed, &["--dist", dist.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot read invokeai-1.2.0.tar.gz"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

/// A project with thousands of files answers with megabytes: that is read
/// whole; an answer past the 64 MiB cap is an index error, not a listing.
#[test]
fn a_large_listing_is_read_and_one_past_the_cap_is_exit_3() {
    let repo = checkout();
    // About 3 MiB: 40,000 files of other versions.
    let files: Vec<String> = (0..40_000)
        .map(|n| {
            format!(r#"{{"filename": "invokeai-0.{n}.0.tar.gz", "url": "x", "hashes": {{}}}}"#)
        })
        .collect();
    let large = format!(
        r#"{{"meta": {{"api-version": "1.1"}}, "name": "invokeai", "files": [{}]}}"#,
        files.join(",")
    );
    assert!(large.len() > 2 << 20, "{}", large.len());
    let server = RawServer::start(Behaviour::Answer(Arc::new(move |_path: &str| {
        http_response("200 OK", "application/vnd.pypi.simple.v1+json", &large)
    })));
    let out = check(&repo, &server.index, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("lists 40000 files of InvokeAI"), "{text}");

    // 65 MiB of padding inside one valid JSON document.
    let endless = format!(
        r#"{{"meta": {{"api-version": "1.1"}}, "name": "invokeai", "files": [], "pad": "{}"}}"#,
        "x".repeat(65 << 20)
    );
    let server = RawServer::start(Behaviour::Answer(Arc::new(move |_path: &str| {
        http_response("200 OK", "application/vnd.pypi.simple.v1+json", &endless)
    })));
    let out = check(&repo, &server.index, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}{}", stderr(&out));
    assert!(text.contains("error: "), "{text}");
}
