//! Core metadata (the wheel's METADATA, the sdist's PKG-INFO), written field
//! for field as setuptools 84 writes it: same order, same folding, same
//! `Dynamic` marks. One difference is kept on purpose: `Metadata-Version` is
//! 2.4 only when PEP 639 fields are present, otherwise the lowest version
//! that holds the fields written (setuptools always writes 2.4).
//!
//! Also the wheel's other generated `.dist-info` text (PEP 427/491): WHEEL,
//! entry_points.txt and top_level.txt. RECORD is written as the wheel is
//! (`record`).

use anyhow::{Result, bail};

use super::project::{License, Project};

/// The fields of one distribution's metadata, ready to render.
pub struct Metadata<'a> {
    pub project: &'a Project,
    /// Normalised version.
    pub version: &'a str,
    /// License files, as listed by the file selection.
    pub license_files: &'a [String],
}

impl Metadata<'_> {
    /// The lowest core metadata version that expresses the fields we write.
    pub fn metadata_version(&self) -> &'static str {
        let p = self.project;
        if matches!(p.license, License::Expression(_)) || !self.license_files.is_empty() {
            // License-Expression, License-File (and the Dynamic mark with them).
            return "2.4";
        }
        let has_body = p.readme.as_ref().is_some_and(|r| !r.text.is_empty());
        let has_content_type = p
            .readme
            .as_ref()
            .is_some_and(|r| r.content_type.as_deref().is_some_and(|c| !c.is_empty()));
        if has_body || has_content_type || !p.extras.is_empty() {
            // The description as the message body, Description-Content-Type, Provides-Extra.
            return "2.1";
        }
        if !p.dependencies.is_empty()
            || p.requires_python.is_some()
            || !p.urls.is_empty()
            || p.maintainer.is_some()
            || p.maintainer_email.is_some()
        {
            return "1.2";
        }
        if !p.classifiers.is_empty() {
            return "1.1";
        }
        "1.0"
    }

    /// The METADATA / PKG-INFO text. A value that would span several lines
    /// (and so start a header of its own) is refused: pyproject.toml's
    /// parser refuses those it reads, this is the last guard.
    pub fn render(&self) -> Result<String> {
        let p = self.project;
        let mut out = String::new();
        let mut broken: Option<(String, String)> = None;
        let mut field = |key: &str, value: &str| {
            if key != "License" && value.contains(['\r', '\n']) && broken.is_none() {
                broken = Some((key.to_owned(), value.to_owned()));
            }
            out.push_str(key);
            out.push_str(": ");
            out.push_str(value);
            out.push('\n');
        };
        field("Metadata-Version", self.metadata_version());
        field("Name", &p.name);
        field("Version", self.version);
        if let Some(summary) = p.summary.as_deref().filter(|s| !s.is_empty()) {
            field("Summary", &single_line(summary));
        }
        if let Some(url) = &p.home_page {
            field("Home-page", url);
        }
        for (key, value) in [
            ("Author", &p.author),
            ("Author-email", &p.author_email),
            ("Maintainer", &p.maintainer),
            ("Maintainer-email", &p.maintainer_email),
        ] {
            if let Some(v) = value {
                field(key, v);
            }
        }
        match &p.license {
            License::Expression(e) => field("License-Expression", e),
            License::Text(t) if !t.is_empty() => field("License", &rfc822_escape(t)),
            _ => {}
        }
        for (label, url) in &p.urls {
            field("Project-URL", &format!("{label}, {url}"));
        }
        let keywords = p.keywords.join(",");
        if !keywords.is_empty() {
            field("Keywords", &keywords);
        }
        for platform in &p.setuptools.platforms {
            field("Platform", platform);
        }
        for c in &p.classifiers {
            field("Classifier", c);
        }
        if let Some(rp) = &p.requires_python {
            field("Requires-Python", rp);
        }
        if let Some(ct) = p.readme.as_ref().and_then(|r| r.content_type.as_deref()) {
            if !ct.is_empty() {
                field("Description-Content-Type", ct);
            }
        }
        for lf in self.license_files {
            field("License-File", lf);
        }
        for dep in &p.dependencies {
            field("Requires-Dist", dep);
        }
        for (extra, deps) in &p.extras {
            field("Provides-Extra", extra);
            for dep in deps {
                field("Requires-Dist", dep);
            }
        }
        // setuptools marks the license files dynamic: they come from globs
        // expanded at build time.
        if !self.license_files.is_empty() {
            field("Dynamic", "license-file");
        }
        if let Some((key, value)) = broken {
            bail!(
                "{}: the METADATA field {key} would span several lines ({value:?}); a line break there starts a header of its own: remove it",
                p.root.join("pyproject.toml")
            );
        }
        if let Some(readme) = p.readme.as_ref().filter(|r| !r.text.is_empty()) {
            out.push('\n');
            out.push_str(&readme.text);
            if !readme.text.ends_with('\n') {
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// setuptools' `single_line` for the Summary: a description with a line
/// break is stripped and cut at its first line. setuptools looks for `\n`
/// only and writes a `\r` as it is, which the email parser then reads as
/// the end of the header; a `\r` cuts the line here too.
pub fn single_line(summary: &str) -> String {
    if !summary.contains(['\r', '\n']) {
        return summary.to_owned();
    }
    let stripped = summary.trim_matches(crate::util::python::is_space);
    let end = stripped.find(['\r', '\n']).unwrap_or(stripped.len());
    stripped[..end].to_owned()
}

/// Python's line boundaries for `str.splitlines`.
pub fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// distutils' `rfc822_escape`: every line after the first is indented by
/// eight spaces (a trailing line break gets the indent too).
pub fn rfc822_escape(text: &str) -> String {
    const INDENT: &str = "        ";
    let mut lines: Vec<&str> = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if is_line_break(c) {
            let mut end = pos + c.len_utf8();
            if c == '\r' && chars.get(i + 1).map(|(_, n)| *n) == Some('\n') {
                end += 1;
                i += 1;
            }
            lines.push(&text[start..end]);
            start = end;
        }
        i += 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    let ends_in_newline = lines
        .last()
        .is_some_and(|l| l.chars().last().is_some_and(is_line_break));
    let mut out = lines.join(INDENT);
    if ends_in_newline {
        out.push_str(INDENT);
    }
    out
}

/// The generator named in WHEEL: this xtask and its version.
pub fn generator() -> String {
    format!("xtask ({})", env!("CARGO_PKG_VERSION"))
}

/// WHEEL for the (compressed) tag set `tag`, as setuptools lays it out: one
/// `Tag:` line per tag, then a blank line.
pub fn wheel_file(tag: &str) -> String {
    let tags: String = super::names::expand_tags(tag)
        .iter()
        .map(|t| format!("Tag: {t}\n"))
        .collect();
    format!(
        "Wheel-Version: 1.0\nGenerator: {}\nRoot-Is-Purelib: true\n{tags}\n",
        generator()
    )
}

/// entry_points.txt as setuptools renders it: groups sorted, entries sorted
/// by name then value, a blank line between groups. None when there are none.
pub fn entry_points_file(groups: &[(String, Vec<(String, String)>)]) -> Option<String> {
    let mut sorted: Vec<&(String, Vec<(String, String)>)> = groups
        .iter()
        .filter(|(_, items)| !items.is_empty())
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let blocks: Vec<String> = sorted
        .iter()
        .map(|(group, items)| {
            let mut items = items.clone();
            items.sort();
            let lines: Vec<String> = items.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            format!("[{group}]\n{}\n", lines.join("\n"))
        })
        .collect();
    Some(blocks.join("\n"))
}

/// top_level.txt: the top-level names, sorted, one a line.
pub fn top_level_file(names: &[String]) -> String {
    format!("{}\n", names.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::super::project::{Packages, Readme, Setuptools};
    use super::*;

    fn sample() -> Project {
        Project::sample(Setuptools {
            packages: Packages::List(vec!["demo".into()]),
            py_modules: vec![],
            package_dir: vec![],
            package_data: vec![],
            exclude_package_data: vec![],
            include_package_data: true,
            platforms: vec![],
            zip_safe: None,
        })
    }

    #[test]
    fn fields_come_in_setuptools_order() {
        let mut p = sample();
        p.summary = Some("A demo.".into());
        p.author = Some("Ann".into());
        p.author_email = Some("Bob <bob@example.org>".into());
        p.maintainer_email = Some("m@example.org".into());
        p.license = License::Expression("MIT".into());
        p.urls = vec![("Home".into(), "https://example.org".into())];
        p.keywords = vec!["a".into(), "b c".into()];
        p.classifiers = vec!["Typing :: Typed".into()];
        p.requires_python = Some(">=3.10".into());
        p.readme = Some(Readme {
            text: "# Demo".into(),
            content_type: Some("text/markdown".into()),
            file: Some("README.md".into()),
        });
        p.dependencies = vec!["x>=1".into()];
        p.extras = vec![("dev".into(), vec!["y; extra == \"dev\"".into()])];
        let license_files = vec!["LICENSE".to_owned()];
        let text = Metadata {
            project: &p,
            version: "1.0",
            license_files: &license_files,
        }
        .render()
        .unwrap();
        assert_eq!(
            text,
            "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nSummary: A demo.\nAuthor: Ann\n\
             Author-email: Bob <bob@example.org>\nMaintainer-email: m@example.org\n\
             License-Expression: MIT\nProject-URL: Home, https://example.org\nKeywords: a,b c\n\
             Classifier: Typing :: Typed\nRequires-Python: >=3.10\n\
             Description-Content-Type: text/markdown\nLicense-File: LICENSE\nRequires-Dist: x>=1\n\
             Provides-Extra: dev\nRequires-Dist: y; extra == \"dev\"\nDynamic: license-file\n\n# Demo\n"
        );
    }

    #[test]
    fn legacy_license_text_is_folded() {
        let mut p = sample();
        p.license = License::Text("Line one.\nLine two.\n".into());
        let text = Metadata {
            project: &p,
            version: "1.0",
            license_files: &[],
        }
        .render()
        .unwrap();
        assert_eq!(
            text,
            "Metadata-Version: 1.0\nName: demo\nVersion: 1.0\nLicense: Line one.\n        Line two.\n        \n"
        );
    }

    #[test]
    fn metadata_version_is_the_lowest_that_holds_the_fields() {
        let version = |p: &Project, lf: &[String]| {
            Metadata {
                project: p,
                version: "1",
                license_files: lf,
            }
            .metadata_version()
        };
        let mut p = sample();
        assert_eq!(version(&p, &[]), "1.0");
        p.classifiers = vec!["X :: Y".into()];
        assert_eq!(version(&p, &[]), "1.1");
        p.requires_python = Some(">=3".into());
        assert_eq!(version(&p, &[]), "1.2");
        p.extras = vec![("dev".into(), vec![])];
        assert_eq!(version(&p, &[]), "2.1");
        assert_eq!(version(&p, &["LICENSE".to_owned()]), "2.4");
        p.license = License::Expression("MIT".into());
        assert_eq!(version(&p, &[]), "2.4");
    }

    #[test]
    fn rfc822_escape_matches_distutils() {
        assert_eq!(rfc822_escape("one"), "one");
        assert_eq!(rfc822_escape("a\nb"), "a\n        b");
        assert_eq!(rfc822_escape("a\nb\n"), "a\n        b\n        ");
        assert_eq!(rfc822_escape("a\r\nb"), "a\r\n        b");
        assert_eq!(rfc822_escape(""), "");
    }

    #[test]
    fn entry_points_are_rendered_like_setuptools() {
        let groups = vec![
            (
                "console_scripts".to_owned(),
                vec![
                    ("zeta".to_owned(), "p.m:z".to_owned()),
                    ("alpha".to_owned(), "p.m:a".to_owned()),
                ],
            ),
            (
                "acme.plugins".to_owned(),
                vec![("x".to_owned(), "p.x".to_owned())],
            ),
        ];
        assert_eq!(
            entry_points_file(&groups).unwrap(),
            "[acme.plugins]\nx = p.x\n\n[console_scripts]\nalpha = p.m:a\nzeta = p.m:z\n"
        );
        assert_eq!(entry_points_file(&[]), None);
        let one = vec![(
            "console_scripts".to_owned(),
            vec![(
                "invokeai-web".to_owned(),
                "invokeai.app.run_app:run_app".to_owned(),
            )],
        )];
        assert_eq!(entry_points_file(&one).unwrap().len(), 62);
    }

    #[test]
    fn wheel_file_names_the_generator() {
        let w = wheel_file(super::super::names::PURE_PYTHON_3);
        assert!(w.starts_with("Wheel-Version: 1.0\nGenerator: xtask ("));
        assert!(w.ends_with("Root-Is-Purelib: true\nTag: py3-none-any\n\n"));
        let u = wheel_file(super::super::names::UNIVERSAL);
        assert!(u.ends_with("Root-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n\n"));
    }
}
