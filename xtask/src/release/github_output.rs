//! GitHub Actions' step outputs (`KEY=value` lines appended to the file
//! `$GITHUB_OUTPUT` names) and settings that come from a flag or else from
//! the environment, with where each came from.

use std::io::{Read, Seek, SeekFrom, Write};

use anyhow::{Context, Result, bail};
use camino::Utf8Path;

/// A setting and where it came from (a flag or an environment variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<T> {
    pub value: T,
    pub source: String,
}

impl<T> Resolved<T> {
    /// The flag's value if given, else the environment's; either names its source.
    pub fn pick(flag: Option<T>, flag_name: &str, env: Option<T>, env_name: &str) -> Option<Self> {
        match (flag, env) {
            (Some(value), _) => Some(Self {
                value,
                source: format!("given by {flag_name}"),
            }),
            (None, Some(value)) => Some(Self {
                value,
                source: format!("from {env_name}"),
            }),
            (None, None) => None,
        }
    }
}

/// An environment variable, if set and not empty.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Append `KEY=value` lines to the step-output file. When the file does not
/// end with a newline (a hand-written step forgot it), one is added first, so
/// the first key never glues onto that line.
pub fn append_outputs(path: &Utf8Path, lines: &[(&str, String)]) -> Result<()> {
    for (key, value) in lines {
        if value.contains(['\n', '\r']) {
            bail!(
                "the step output {key} holds a line break ({value:?}); it cannot be written to {path} as one KEY=value line"
            );
        }
    }
    let mut text: String = lines.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the step-output file {path} to append to it"))?;
    if !ends_with_newline(&mut file)
        .with_context(|| format!("cannot read the step-output file {path}"))?
    {
        text.insert(0, '\n');
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot append the outputs to {path}"))
}

/// Whether the file is empty or its last byte is a newline.
fn ends_with_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment() {
        let both = Resolved::pick(Some("a"), "--tag", Some("b"), "GITHUB_REF").unwrap();
        assert_eq!((both.value, both.source.as_str()), ("a", "given by --tag"));
        let env = Resolved::pick(None, "--tag", Some("b"), "GITHUB_REF").unwrap();
        assert_eq!((env.value, env.source.as_str()), ("b", "from GITHUB_REF"));
        assert_eq!(
            Resolved::<&str>::pick(None, "--tag", None, "GITHUB_REF"),
            None
        );
    }

    #[test]
    fn lines_stay_whole_and_values_stay_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = camino::Utf8PathBuf::from_path_buf(dir.path().join("out")).unwrap();
        append_outputs(&path, &[("A", "1".into())]).unwrap();
        std::fs::write(&path, "A=1\nB=2").unwrap();
        append_outputs(&path, &[("C", "3".into()), ("D", "4".into())]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "A=1\nB=2\nC=3\nD=4\n"
        );
        let err = append_outputs(&path, &[("E", "5\nINJECTED=1".into())]).unwrap_err();
        assert!(err.to_string().contains("holds a line break"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "A=1\nB=2\nC=3\nD=4\n"
        );
    }
}
