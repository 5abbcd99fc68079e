//! PEP 639 license expressions: validated against the SPDX list (the `spdx`
//! crate's tables) and normalised exactly as setuptools does (through
//! `packaging.licenses.canonicalize_license_expression`): operators upper
//! case, identifiers in their SPDX spelling, single spaces, parentheses hugged.

use spdx::identifiers::{EXCEPTIONS, LICENSES};

/// Normalise `raw` or say (in one line) why it is not a valid expression.
pub fn canonicalize(raw: &str) -> Result<String, String> {
    let invalid = || format!("invalid license expression {raw:?}");
    if raw.trim().is_empty() {
        return Err(invalid());
    }
    let padded = raw.replace('(', " ( ").replace(')', " ) ");
    let originals: Vec<&str> = padded.split_whitespace().collect();
    let tokens: Vec<String> = originals.iter().map(|t| t.to_lowercase()).collect();
    check_syntax(&tokens).map_err(|()| invalid())?;

    let mut refs: Vec<(String, String)> = Vec::new();
    for (orig, token) in originals.iter().zip(&tokens) {
        if token.starts_with("licenseref-") {
            if !orig.is_ascii() {
                return Err(format!("invalid LicenseRef (not ASCII): {orig:?}"));
            }
            if !refs.iter().any(|(k, _)| k == token) {
                refs.push((token.clone(), format!("LicenseRef-{}", &orig[11..])));
            }
        }
    }

    let is_operator = |t: &str| matches!(t, "or" | "and" | "with" | "(" | ")");
    let mut out: Vec<String> = Vec::new();
    let mut last_license_start = false;
    for (index, token) in tokens.iter().enumerate() {
        if is_operator(token) {
            if token == "with"
                && (!last_license_start
                    || index + 1 == tokens.len()
                    || is_operator(&tokens[index + 1]))
            {
                return Err(invalid());
            }
            out.push(token.to_uppercase());
            last_license_start = false;
            continue;
        }
        if out.last().map(String::as_str) == Some("WITH") {
            let Some(exception) = EXCEPTIONS
                .iter()
                .find(|e| e.name.eq_ignore_ascii_case(token))
            else {
                return Err(format!("unknown license exception {token:?}"));
            };
            out.push(exception.name.to_owned());
            last_license_start = false;
            continue;
        }
        let (base, suffix) = match token.strip_suffix('+') {
            Some(base) => (base, "+"),
            None => (token.as_str(), ""),
        };
        if let Some(id) = base.strip_prefix("licenseref-") {
            let allowed = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !suffix.is_empty() || !allowed {
                return Err(format!("invalid LicenseRef {token:?}"));
            }
            let spelled = refs
                .iter()
                .find(|(k, _)| k == base)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| format!("LicenseRef-{id}"));
            out.push(spelled);
        } else {
            let Some(license) = LICENSES.iter().find(|l| l.name.eq_ignore_ascii_case(base)) else {
                return Err(format!(
                    "unknown license {base:?}: not an SPDX identifier (see https://spdx.org/licenses/), nor a LicenseRef-"
                ));
            };
            out.push(format!("{}{suffix}", license.name));
        }
        last_license_start = true;
    }
    Ok(out.join(" ").replace("( ", "(").replace(" )", ")"))
}

/// Operands and operators alternate, parentheses balance (packaging's rules).
fn check_syntax(tokens: &[String]) -> Result<(), ()> {
    let mut depth = 0usize;
    let mut expect_operand = true;
    for token in tokens {
        match token.as_str() {
            "(" => {
                if !expect_operand || depth >= 100 {
                    return Err(());
                }
                depth += 1;
            }
            ")" => {
                if expect_operand || depth == 0 {
                    return Err(());
                }
                depth -= 1;
            }
            "or" | "and" | "with" => {
                if expect_operand {
                    return Err(());
                }
                expect_operand = true;
            }
            _ => {
                if !expect_operand {
                    return Err(());
                }
                expect_operand = false;
            }
        }
    }
    if !expect_operand && depth == 0 {
        Ok(())
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_packaging() {
        assert_eq!(canonicalize("mit").unwrap(), "MIT");
        assert_eq!(
            canonicalize("mit and (apache-2.0 or bsd-2-clause)").unwrap(),
            "MIT AND (Apache-2.0 OR BSD-2-Clause)"
        );
        assert_eq!(
            canonicalize("gpl-2.0-or-later WITH classpath-exception-2.0").unwrap(),
            "GPL-2.0-or-later WITH Classpath-exception-2.0"
        );
        assert_eq!(canonicalize("Apache-2.0").unwrap(), "Apache-2.0");
        assert_eq!(
            canonicalize("LicenseRef-Mine or licenseref-mine").unwrap(),
            "LicenseRef-Mine OR LicenseRef-Mine"
        );
        assert_eq!(canonicalize("  MIT   OR  0bsd ").unwrap(), "MIT OR 0BSD");
    }

    #[test]
    fn rejects_what_packaging_rejects() {
        for bad in [
            "",
            "(mit",
            "mit and",
            "Use-it-after-midnight",
            "mit with",
            "MIT WITH nope",
        ] {
            assert!(canonicalize(bad).is_err(), "{bad:?} accepted");
        }
        assert!(
            canonicalize("Use-it-after-midnight")
                .unwrap_err()
                .contains("unknown license")
        );
    }
}
