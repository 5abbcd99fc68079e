//! `project.authors` and `project.maintainers`, rendered as setuptools
//! writes them into METADATA.

use anyhow::Result;

use crate::util::toml_spans::{Source, Tv};

/// `authors`/`maintainers` as setuptools renders them: names without email go
/// to `Author`, the others to `Author-email` as `Name <email>` addresses.
pub(super) fn read(
    src: &Source,
    tv: Option<&Tv>,
    what: &str,
) -> Result<(Option<String>, Option<String>)> {
    let Some(tv) = tv else {
        return Ok((None, None));
    };
    let mut names = Vec::new();
    let mut emails = Vec::new();
    for person in src.array(tv, what)? {
        let entries = src.table(person, &format!("each entry of {what}"))?;
        for (key, value) in entries {
            if key != "name" && key != "email" {
                return Err(src.err(
                    value,
                    format!("unknown key {key:?} in {what}: only name and email"),
                ));
            }
        }
        let name = person.get("name").map(|n| src.str(n, "name")).transpose()?;
        if let Some(n) = name {
            src.one_line(person, n, &format!("the name in {what}"))?;
        }
        let email = person
            .get("email")
            .map(|e| src.str(e, "email"))
            .transpose()?;
        if let Some(email) = email {
            let valid = email.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && !d.is_empty() && !email.contains(char::is_whitespace)
            });
            if !valid {
                return Err(src.err(person, format!("invalid email address {email:?} in {what}")));
            }
        }
        match (name, email) {
            (None, None) => {
                return Err(src.err(
                    person,
                    format!("an entry of {what} needs a name or an email"),
                ));
            }
            (None, Some(e)) => emails.push(e.to_owned()),
            (Some(n), None) => names.push(n.to_owned()),
            (Some(n), Some(e)) => emails.push(format_address(n, e)),
        }
    }
    let join = |v: Vec<String>| {
        if v.is_empty() {
            None
        } else {
            Some(v.join(", "))
        }
    };
    Ok((join(names), join(emails)))
}

/// Python's `str(email.headerregistry.Address(display_name=..., addr_spec=...))`.
pub fn format_address(name: &str, email: &str) -> String {
    const SPECIALS: &str = "()<>@,:;.\"[]";
    let display = if name.chars().any(|c| SPECIALS.contains(c)) {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        name.to_owned()
    };
    if display.is_empty() {
        email.to_owned()
    } else {
        format!("{display} <{email}>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_quoted_like_python() {
        assert_eq!(
            format_address("The InvokeAI Team", "invoke@invoke.ai"),
            "The InvokeAI Team <invoke@invoke.ai>"
        );
        assert_eq!(
            format_address("Doe, John", "j@x.org"),
            "\"Doe, John\" <j@x.org>"
        );
        assert_eq!(format_address("J. Doe", "j@x.org"), "\"J. Doe\" <j@x.org>");
    }
}
