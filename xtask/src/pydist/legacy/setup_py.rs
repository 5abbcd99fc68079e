//! setup.py as setuptools would run it, accepted only when running it can
//! change nothing: a bare `setup()` call, parsed, never run.

/// A setup.py kept for old tools: only a bare `setup()` call (optionally
/// `setup(name="...")`), after `from setuptools import setup` or `import
/// setuptools`, perhaps under `if __name__ == "__main__":`, with comments,
/// blank lines and a docstring around. It is read, never run. Returns the
/// `name=` it gives, if any; anything more is refused with its line.
pub(super) fn bare_setup_py(text: &str) -> Result<Option<String>, String> {
    let mut statements: Vec<(usize, String)> = Vec::new();
    let mut in_docstring: Option<&str> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(quote) = in_docstring {
            if line.contains(quote) {
                in_docstring = None;
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if statements.is_empty() {
            if let Some(quote) = ["\"\"\"", "'''"].into_iter().find(|q| line.starts_with(q)) {
                let rest = &line[3..];
                if !rest.contains(quote) {
                    in_docstring = Some(quote);
                }
                continue;
            }
        }
        let code = line.split(" #").next().unwrap_or(line).trim();
        statements.push((n + 1, code.to_owned()));
    }
    let mut it = statements.iter();
    let import = it.next().ok_or("it holds no setup() call")?;
    let call_prefix = match import.1.as_str() {
        "from setuptools import setup" => "setup(",
        "import setuptools" => "setuptools.setup(",
        other => {
            return Err(format!(
                "line {}: `{other}` is not `from setuptools import setup`",
                import.0
            ));
        }
    };
    let mut call = it.next().ok_or("it holds no setup() call")?;
    if matches!(
        call.1.as_str(),
        "if __name__ == \"__main__\":" | "if __name__ == '__main__':"
    ) {
        call = it.next().ok_or("it holds no setup() call")?;
    }
    if let Some(extra) = it.next() {
        return Err(format!(
            "line {}: `{}` is more than a bare setup() call",
            extra.0, extra.1
        ));
    }
    let args = call
        .1
        .strip_prefix(call_prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or_else(|| format!("line {}: `{}` is not a bare setup() call", call.0, call.1))?
        .trim()
        .trim_end_matches(',')
        .trim();
    if args.is_empty() {
        return Ok(None);
    }
    let name = args
        .strip_prefix("name")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .map(str::trim)
        .and_then(|v| {
            let quote = v.chars().next().filter(|c| matches!(c, '"' | '\''))?;
            v.strip_prefix(quote)?
                .strip_suffix(quote)
                .map(str::to_owned)
        })
        .filter(|v| !v.contains(['"', '\'', '\\']))
        .ok_or_else(|| {
            format!(
                "line {}: setup() is given `{args}`; only `name=\"...\"` is accepted",
                call.0
            )
        })?;
    Ok(Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bare_setup_py_is_accepted() {
        for (text, name) in [
            ("from setuptools import setup\nsetup()\n", None),
            ("import setuptools\n\nsetuptools.setup()\n", None),
            (
                "#!/usr/bin/env python\n\"\"\"Doc\nstring.\"\"\"\n# c\nfrom setuptools import setup\nif __name__ == '__main__':\n    setup(name='x-y',)  # ok\n",
                Some("x-y"),
            ),
        ] {
            assert_eq!(bare_setup_py(text), Ok(name.map(str::to_owned)), "{text}");
        }
        for (text, why) in [
            ("", "no setup() call"),
            (
                "from setuptools import setup, find_packages\nsetup()\n",
                "line 1",
            ),
            (
                "from setuptools import setup\nsetup(packages=['a'])\n",
                "only `name=",
            ),
            (
                "from setuptools import setup\nsetup()\nprint('hi')\n",
                "line 3",
            ),
            (
                "import os\nfrom setuptools import setup\nsetup()\n",
                "line 1",
            ),
            (
                "from setuptools import setup\nsetup(name=NAME)\n",
                "only `name=",
            ),
        ] {
            let err = bare_setup_py(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }
}
