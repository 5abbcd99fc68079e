//! TOML values with where they are written (pyproject.toml, the xtask table
//! of Cargo.toml): each value keeps its span, and [`Source`] reads them
//! typed, refusing a wrong type with one line naming `FILE:LINE:COL`.

use std::ops::Range;

use anyhow::Result;
use camino::Utf8PathBuf;

use crate::pydist::textfile::check_relative;

/// One TOML value with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Tv {
    pub(crate) kind: TvKind,
    pub(crate) span: Option<Range<usize>>,
}

#[derive(Debug, Clone)]
pub(crate) enum TvKind {
    Str(String),
    Bool(bool),
    Int(i64),
    Arr(Vec<Tv>),
    Table(Vec<(String, Tv)>),
    Other(&'static str),
}

fn convert_value(v: &toml_edit::Value) -> Tv {
    let kind = match v {
        toml_edit::Value::String(s) => TvKind::Str(s.value().clone()),
        toml_edit::Value::Boolean(b) => TvKind::Bool(*b.value()),
        toml_edit::Value::Integer(i) => TvKind::Int(*i.value()),
        toml_edit::Value::Array(a) => TvKind::Arr(a.iter().map(convert_value).collect()),
        toml_edit::Value::InlineTable(t) => TvKind::Table(
            t.iter()
                .map(|(k, v)| (k.to_owned(), convert_value(v)))
                .collect(),
        ),
        other => TvKind::Other(other.type_name()),
    };
    Tv {
        kind,
        span: v.span(),
    }
}

pub(crate) fn convert_item(item: &toml_edit::Item) -> Tv {
    match item {
        toml_edit::Item::Value(v) => convert_value(v),
        toml_edit::Item::Table(t) => Tv {
            kind: TvKind::Table(
                t.iter()
                    .map(|(k, v)| (k.to_owned(), convert_item(v)))
                    .collect(),
            ),
            span: t.span(),
        },
        toml_edit::Item::ArrayOfTables(a) => Tv {
            kind: TvKind::Arr(
                a.iter()
                    .map(|t| Tv {
                        kind: TvKind::Table(
                            t.iter()
                                .map(|(k, v)| (k.to_owned(), convert_item(v)))
                                .collect(),
                        ),
                        span: t.span(),
                    })
                    .collect(),
            ),
            span: a.span(),
        },
        toml_edit::Item::None => Tv {
            kind: TvKind::Other("nothing"),
            span: None,
        },
    }
}

impl Tv {
    /// The keys of a table, in file order (none for another value).
    pub(crate) fn keys(&self) -> Vec<&str> {
        match &self.kind {
            TvKind::Table(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Tv> {
        match &self.kind {
            TvKind::Table(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match &self.kind {
            TvKind::Str(_) => "a string",
            TvKind::Bool(_) => "a boolean",
            TvKind::Int(_) => "an integer",
            TvKind::Arr(_) => "an array",
            TvKind::Table(_) => "a table",
            TvKind::Other(t) => t,
        }
    }
}

/// The text of pyproject.toml, to turn byte offsets into `file:line:col`.
pub(crate) struct Source {
    pub path: Utf8PathBuf,
    pub text: String,
}

impl Source {
    pub(crate) fn location(&self, offset: Option<usize>) -> String {
        let Some(offset) = offset else {
            return self.path.to_string();
        };
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        format!("{}:{line}:{col}", self.path)
    }

    pub(crate) fn err(&self, tv: &Tv, msg: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!(
            "{}: {msg}",
            self.location(tv.span.as_ref().map(|s| s.start))
        )
    }

    pub(crate) fn str<'t>(&self, tv: &'t Tv, what: &str) -> Result<&'t str> {
        match &tv.kind {
            TvKind::Str(s) => Ok(s),
            _ => Err(self.err(
                tv,
                format!("{what} must be a string, not {}", tv.type_name()),
            )),
        }
    }

    pub(crate) fn bool(&self, tv: &Tv, what: &str) -> Result<bool> {
        match &tv.kind {
            TvKind::Bool(b) => Ok(*b),
            _ => Err(self.err(
                tv,
                format!("{what} must be true or false, not {}", tv.type_name()),
            )),
        }
    }

    pub(crate) fn array<'t>(&self, tv: &'t Tv, what: &str) -> Result<&'t [Tv]> {
        match &tv.kind {
            TvKind::Arr(a) => Ok(a),
            _ => Err(self.err(
                tv,
                format!("{what} must be an array, not {}", tv.type_name()),
            )),
        }
    }

    pub(crate) fn str_list(&self, tv: &Tv, what: &str) -> Result<Vec<String>> {
        self.array(tv, what)?
            .iter()
            .map(|v| {
                self.str(v, &format!("each entry of {what}"))
                    .map(str::to_owned)
            })
            .collect()
    }

    pub(crate) fn table<'t>(&self, tv: &'t Tv, what: &str) -> Result<&'t [(String, Tv)]> {
        match &tv.kind {
            TvKind::Table(t) => Ok(t),
            _ => Err(self.err(
                tv,
                format!("{what} must be a table, not {}", tv.type_name()),
            )),
        }
    }

    /// Refuse a value with a line break (CR or LF) that is written as one
    /// METADATA header: it would start a header of its own.
    pub(crate) fn one_line(&self, tv: &Tv, value: &str, what: &str) -> Result<()> {
        if value.contains(['\r', '\n']) {
            return Err(self.err(
                tv,
                format!("{what} {value:?} holds a line break, which would start a new header in METADATA; write it on one line"),
            ));
        }
        Ok(())
    }

    /// [`Source::str_list`] of values each written on one METADATA line.
    pub(crate) fn line_list(&self, tv: &Tv, what: &str) -> Result<Vec<String>> {
        let list = self.str_list(tv, what)?;
        let items = self.array(tv, what)?;
        for (value, item) in list.iter().zip(items) {
            self.one_line(item, value, &format!("an entry of {what}"))?;
        }
        Ok(list)
    }

    pub(crate) fn str_table(&self, tv: &Tv, what: &str) -> Result<Vec<(String, String)>> {
        self.table(tv, what)?
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.str(v, &format!("{what}.{k}"))?.to_owned())))
            .collect()
    }

    /// A list of paths or glob patterns, each relative to the project.
    pub(crate) fn relative_list(&self, tv: &Tv, what: &str) -> Result<Vec<String>> {
        let patterns = self.str_list(tv, what)?;
        for p in &patterns {
            check_relative(p).map_err(|e| self.err(tv, format!("{what}: {e}")))?;
        }
        Ok(patterns)
    }

    /// Where a value is written, `file:line:col`.
    pub(crate) fn at(&self, tv: &Tv) -> String {
        self.location(tv.span.as_ref().map(|s| s.start))
    }
}

/// The TOML document, each value with where it is written.
pub(crate) fn parse(src: &Source) -> Result<Tv> {
    let doc = toml_edit::Document::parse(src.text.as_str()).map_err(|e| {
        anyhow::anyhow!(
            "{}: invalid TOML: {}",
            src.location(e.span().map(|s| s.start)),
            e.message().trim()
        )
    })?;
    Ok(convert_item(doc.as_item()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_line_and_column() {
        let src = Source {
            path: "p.toml".into(),
            text: "a = 1\nbb = 2\n".into(),
        };
        assert_eq!(src.location(Some(0)), "p.toml:1:1");
        assert_eq!(src.location(Some(11)), "p.toml:2:6");
    }
}
