//! Credentials never reach the output: `https://user:token@host/simple/`
//! is shown as `https://***@host/simple/`, in URLs we print and in any text
//! (a tool's error message) that may quote one.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

fn userinfo() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // scheme://userinfo@ where userinfo has no '/', '@' or whitespace.
    RE.get_or_init(|| {
        let space = crate::util::python::SPACE_CLASS;
        Regex::new(&format!(
            r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@{space}]+@"
        ))
        .expect("a valid pattern")
    })
}

/// `text` with the user and password of every URL in it replaced by `***`.
pub fn secrets(text: &str) -> Cow<'_, str> {
    userinfo().replace_all(text, "${scheme}***@")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_masked_wherever_it_appears() {
        assert_eq!(
            secrets("https://user:tok3n@pypi.example.com/simple/"),
            "https://***@pypi.example.com/simple/"
        );
        assert_eq!(
            secrets(
                "fatal: unable to access 'https://x-access-token:ghs_abc@github.com/o/r.git/': 403"
            ),
            "fatal: unable to access 'https://***@github.com/o/r.git/': 403"
        );
        assert_eq!(secrets("ssh://git@host/r"), "ssh://***@host/r");
        // Nothing to hide: the text is borrowed as it is.
        assert!(matches!(
            secrets("https://pypi.org/simple/ a@b"),
            Cow::Borrowed(_)
        ));
        assert_eq!(secrets("git@github.com:o/r.git"), "git@github.com:o/r.git");
    }
}
