//! What others wrote is made safe to show before it is printed: a child's
//! output (git, gh, pip), a commit subject, a URL from a configuration.
//!
//! - Credentials never reach the output: `https://user:token@host/simple/`
//!   is shown as `https://***@host/simple/`; GitHub's token forms (`ghp_`,
//!   `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), PyPI's `pypi-` tokens,
//!   the value of an `Authorization:` header and a token in a query string
//!   keep only their prefix ([`secrets`]).
//! - Nothing written can drive the terminal: escape sequences (CSI colours
//!   and cursor moves, OSC window titles and links), BEL, a lone carriage
//!   return that would overwrite a line, the other control characters and
//!   the bidirectional overrides that reorder what is shown are removed
//!   ([`controls`], [`one_line`]).
//!
//! [`shown`] does both, for any text a child printed.

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

fn tokens() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            // GitHub: personal, OAuth, user-to-server, server-to-server,
            // refresh tokens, and fine-grained personal tokens.
            // (36 characters after the prefix; 20 are enough to tell).
            r"(?P<gh>gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}",
            // PyPI API tokens: a macaroon after `pypi-`, whose encoding
            // always starts `AgE`.
            r"|(?P<pypi>pypi-)AgE[A-Za-z0-9_-]{16,}",
            // An Authorization or Proxy-Authorization header: its whole value.
            r"|(?P<header>(?i-u:authorization)[ \t]*:[ \t]*)[^\r\n]+",
            // A token in a query string.
            r"|(?P<query>[?&](?i-u:access_token|private_token|token)=)[^&#\x00-\x20]+",
        ))
        .expect("a valid pattern")
    })
}

/// `text` with the user and password of every URL, and every token form
/// named above, replaced by `***`.
pub fn secrets(text: &str) -> Cow<'_, str> {
    let masked = userinfo().replace_all(text, "${scheme}***@");
    if !tokens().is_match(&masked) {
        return masked;
    }
    let replaced = tokens().replace_all(&masked, "${gh}${pypi}${header}${query}***");
    Cow::Owned(replaced.into_owned())
}

fn escapes() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            // CSI (ESC [ or the 8-bit form): parameters, intermediates, final.
            r"(?:\x1b\[|\x{9b})[0-?]*[ -/]*[@-~]?",
            // OSC, DCS, SOS, PM, APC: up to BEL or the string terminator.
            r"|(?:\x1b[\]PX^_]|[\x{90}\x{98}\x{9d}-\x{9f}])[^\x07\x1b\x{9c}\n]*(?:\x07|\x1b\\|\x{9c})?",
            // Any other escape: ESC, intermediates, the final character.
            r"|\x1b[ -/]*[0-~]?",
        ))
        .expect("a valid pattern")
    })
}

/// Whether `c` is dropped from shown text (tab and line feed are kept).
fn is_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        // Bidirectional embeddings, overrides and isolates.
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` without escape sequences or control characters other than tab and
/// line feed; a CR LF becomes a line feed, a lone CR too.
pub fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = escapes().replace_all(&text, "");
    Cow::Owned(text.chars().filter(|&c| !is_control(c)).collect())
}

/// One line for a person: [`controls`], with tabs and line breaks as spaces
/// (a commit subject, an author name).
pub fn one_line(text: &str) -> String {
    controls(text).replace(['\n', '\t'], " ")
}

/// A child's output as it may be printed: [`controls`], then [`secrets`].
pub fn shown(text: &str) -> String {
    secrets(&controls(text)).into_owned()
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

    #[test]
    fn every_token_form_is_masked() {
        let body = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
        for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
            let text = format!("HTTP 401: Bad credentials (token {prefix}{body})");
            let masked = secrets(&text);
            assert_eq!(
                masked,
                format!("HTTP 401: Bad credentials (token {prefix}***)"),
                "{prefix}"
            );
        }
        assert_eq!(
            secrets("github_pat_11ABCDEFG0_abcdefghijklmnopqrstuvwxyz0123456789"),
            "github_pat_***"
        );
        assert_eq!(
            secrets("password: pypi-AgEIcHlwaS5vcmcCJDAwMDAw-abc_def"),
            "password: pypi-***"
        );
        assert_eq!(
            secrets("> GET /x\n> Authorization: token abc123 tail\n> Accept: */*"),
            "> GET /x\n> Authorization: ***\n> Accept: */*"
        );
        assert_eq!(
            secrets("proxy-authorization:Basic dXNlcjpwYXNz"),
            "proxy-authorization:***"
        );
        assert_eq!(
            secrets("GET https://api.example/x?a=1&access_token=s3cret&b=2"),
            "GET https://api.example/x?a=1&access_token=***&b=2"
        );
        // A bare prefix, or a word that only starts like one, stays.
        assert!(matches!(
            secrets("gh_ ghp_ x ghs_short ghs_helper_name pypi-simple-repository-api"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn escape_sequences_and_controls_are_removed() {
        assert_eq!(controls("\x1b[31mred\x1b[0m plain"), "red plain");
        assert_eq!(
            controls("\x1b]0;pwned title\x07after \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"),
            "after link"
        );
        assert_eq!(controls("bell\x07 \x1b(B done"), "bell  done");
        assert_eq!(controls("a\r\nb\rc"), "a\nb\nc");
        assert_eq!(controls("tab\tand\nline"), "tab\tand\nline");
        assert_eq!(controls("\u{9b}2Jx\u{202e}txt.exe\u{7f}"), "xtxt.exe");
        // An unterminated OSC swallows the rest rather than printing it.
        assert_eq!(controls("ok \x1b]0;no end"), "ok ");
        assert!(matches!(controls("plain text ü"), Cow::Borrowed(_)));
        assert_eq!(one_line("a\tb\r\nc\x1b[2K"), "a b c");
        assert_eq!(
            shown("\x1b[1mfailed\x1b[0m: ghp_A1b2C3d4E5f6G7h8I9j0"),
            "failed: ghp_***"
        );
    }
}
