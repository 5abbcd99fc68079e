//! setup.cfg beside a `[project]` table: what pyproject.toml gives, for
//! judging setup.cfg's options ([`super::super::legacy`] does), and the
//! resulting overlay applied to the project.

use super::super::legacy::{Given, Overlay};
use super::super::project::Project;
use super::dynamic::Dynamic;
use crate::util::toml_spans::Tv;

/// What `[project]`, `[tool.setuptools]` (`st`) and `project.dynamic`
/// give, for judging setup.cfg's options.
pub(super) fn given<'a>(
    project: &'a Tv,
    st: Option<&'a Tv>,
    dynamic: &'a Dynamic,
    built: &Project,
    allowed: &'a [String],
) -> Given<'a> {
    Given {
        project_keys: project.keys(),
        tool_keys: st.map(Tv::keys).unwrap_or_default(),
        dynamic: &dynamic.fields,
        from_setup_cfg: &dynamic.from_setup_cfg,
        readme_content_type: built
            .readme
            .as_ref()
            .is_some_and(|r| r.content_type.is_some()),
        allowed,
    }
}

/// Apply setup.cfg's overlay: the fields project.dynamic leaves to it, the
/// fields `[project]` leaves empty, the options `[tool.setuptools]` does
/// not give, and what it adds (extras, license files, vouched build
/// requirements, referenced files, warnings).
pub(super) fn apply(overlay: Overlay, p: &mut Project) {
    let Overlay {
        summary,
        keywords,
        classifiers,
        urls,
        readme,
        dependencies,
        extras,
        author,
        author_email,
        maintainer,
        maintainer_email,
        home_page,
        license_files,
        platforms,
        zip_safe,
        include_package_data,
        vouched_build_requires,
        referenced_files,
        warnings,
    } = overlay;
    replace(&mut p.summary, summary.map(Some));
    replace(&mut p.keywords, keywords);
    replace(&mut p.classifiers, classifiers);
    replace(&mut p.urls, urls);
    replace(&mut p.readme, readme.map(Some));
    replace(&mut p.dependencies, dependencies);
    p.extras.extend(extras);
    for (slot, value) in [
        (&mut p.author, author),
        (&mut p.author_email, author_email),
        (&mut p.maintainer, maintainer),
        (&mut p.maintainer_email, maintainer_email),
        (&mut p.home_page, home_page),
    ] {
        if slot.is_none() {
            *slot = value;
        }
    }
    match (&mut p.license_files, license_files) {
        (Some(patterns), Some(added)) => add_new(patterns, added),
        (slot @ None, patterns) => *slot = patterns,
        (Some(_), None) => {}
    }
    let st = &mut p.setuptools;
    if !platforms.is_empty() {
        st.platforms = platforms;
    }
    if zip_safe.is_some() {
        st.zip_safe = zip_safe;
    }
    if let Some(include) = include_package_data {
        st.include_package_data = include;
    }
    add_new(&mut p.vouched_build_requires, vouched_build_requires);
    add_new(&mut p.referenced_files, referenced_files);
    p.warnings.extend(warnings);
}

fn replace<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// Add the items `list` does not hold yet, in order.
fn add_new(list: &mut Vec<String>, items: Vec<String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::project::{Packages, Setuptools};
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn project() -> Project {
        Project::sample(Setuptools {
            packages: Packages::Unset,
            py_modules: Vec::new(),
            package_dir: Vec::new(),
            package_data: Vec::new(),
            exclude_package_data: Vec::new(),
            include_package_data: true,
            platforms: strings(&["any"]),
            zip_safe: None,
        })
    }

    #[test]
    fn the_overlay_fills_and_adds_without_overwriting_pyproject() {
        let mut p = project();
        p.author = Some("From pyproject".into());
        p.license_files = Some(strings(&["LICENSE"]));
        p.vouched_build_requires = strings(&["a"]);
        p.referenced_files = strings(&["README.md"]);
        p.warnings = strings(&["first"]);
        let overlay = Overlay {
            summary: Some("From setup.cfg".into()),
            author: Some("cfg".into()),
            maintainer: Some("M".into()),
            license_files: Some(strings(&["LICENSE", "NOTICE"])),
            vouched_build_requires: strings(&["a", "b"]),
            referenced_files: strings(&["README.md", "v.txt"]),
            warnings: strings(&["second"]),
            include_package_data: Some(false),
            ..Overlay::default()
        };
        apply(overlay, &mut p);
        assert_eq!(p.summary.as_deref(), Some("From setup.cfg"));
        assert_eq!(p.author.as_deref(), Some("From pyproject"));
        assert_eq!(p.maintainer.as_deref(), Some("M"));
        assert_eq!(p.license_files, Some(strings(&["LICENSE", "NOTICE"])));
        assert_eq!(p.vouched_build_requires, ["a", "b"]);
        assert_eq!(p.referenced_files, ["README.md", "v.txt"]);
        assert_eq!(p.warnings, ["first", "second"]);
        assert!(!p.setuptools.include_package_data);
        assert_eq!(p.setuptools.platforms, ["any"]);
        assert_eq!(p.keywords, Vec::<String>::new());

        let mut p = project();
        let overlay = Overlay {
            license_files: Some(strings(&["COPYING"])),
            platforms: strings(&["linux"]),
            ..Overlay::default()
        };
        apply(overlay, &mut p);
        assert_eq!(p.license_files, Some(strings(&["COPYING"])));
        assert_eq!(p.setuptools.platforms, ["linux"]);
    }
}
