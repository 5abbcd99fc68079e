//! The wheel's RECORD (PEP 376/627): an [`ArchiveWriter`] that wraps the
//! wheel's writer, notes each member's sha256 and size as it passes, and
//! appends RECORD last, as CSV the way Python's `csv.writer` writes it
//! (minimal quoting, `\n` line ends).

use std::io;

use sha2::{Digest, Sha256};

use crate::archive::{ArchiveWriter, LargeMember, Member};
use crate::util::hash::record_hash;

/// Writes every member through to `inner` and RECORD after them.
pub struct RecordWriter<'a> {
    inner: Box<dyn ArchiveWriter + 'a>,
    /// `{name}-{version}.dist-info/RECORD`.
    name: String,
    rows: csv::Writer<Vec<u8>>,
}

impl<'a> RecordWriter<'a> {
    pub fn new(inner: Box<dyn ArchiveWriter + 'a>, name: &str) -> Self {
        let rows = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new());
        Self {
            inner,
            name: name.to_owned(),
            rows,
        }
    }

    fn row(&mut self, name: &str, hash: &str, size: &str) -> io::Result<()> {
        self.rows
            .write_record([name, hash, size])
            .map_err(io::Error::from)
    }
}

impl ArchiveWriter for RecordWriter<'_> {
    fn append(&mut self, m: &Member<'_>) -> io::Result<()> {
        self.inner.append(m)?;
        if m.is_dir {
            // RECORD lists files only.
            return Ok(());
        }
        let digest = Sha256::digest(m.data);
        self.row(m.name, &record_hash(&digest), &m.data.len().to_string())
    }

    /// A large file was hashed while it was first read (see
    /// [`crate::archive::deflate_file`]): its sha256 is taken from there.
    fn append_large(&mut self, m: &LargeMember<'_>) -> io::Result<()> {
        self.inner.append_large(m)?;
        self.row(
            m.name,
            &record_hash(&m.file.sha256),
            &m.file.size.to_string(),
        )
    }

    /// RECORD lists itself last, without hash or size.
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        let name = std::mem::take(&mut self.name);
        self.row(&name, "", "")?;
        let text = self.rows.into_inner().map_err(|err| err.into_error())?;
        let cannot =
            |err: io::Error| io::Error::new(err.kind(), format!("cannot write {name}: {err}"));
        self.inner
            .append(&Member {
                name: &name,
                mode: 0o644,
                is_dir: false,
                data: &text,
                deflated: None,
            })
            .map_err(cannot)?;
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::ListingWriter;

    /// The RECORD text `members` give, through a writer that lists them.
    fn record_of(members: &[(&str, &[u8])]) -> String {
        /// Keeps the last member's bytes (RECORD's).
        struct Last<'a>(&'a mut Vec<u8>);
        impl ArchiveWriter for Last<'_> {
            fn append(&mut self, m: &Member<'_>) -> io::Result<()> {
                *self.0 = m.data.to_vec();
                Ok(())
            }
            fn append_large(&mut self, _: &LargeMember<'_>) -> io::Result<()> {
                unreachable!("no large members here")
            }
            fn finish(self: Box<Self>) -> io::Result<()> {
                Ok(())
            }
        }
        let mut last = Vec::new();
        let mut w = Box::new(RecordWriter::new(
            Box::new(Last(&mut last)),
            "pkg-1.0.dist-info/RECORD",
        ));
        for (name, data) in members {
            w.append(&Member {
                name,
                mode: 0o644,
                is_dir: false,
                data,
                deflated: None,
            })
            .unwrap();
        }
        w.finish().unwrap();
        String::from_utf8(last).unwrap()
    }

    #[test]
    fn record_rows() {
        assert_eq!(
            record_of(&[("pkg/__init__.py", b""), ("a,b.txt", b"x")]),
            "pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\"a,b.txt\",sha256=LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE,1\npkg-1.0.dist-info/RECORD,,\n"
        );
    }

    /// Odd names are quoted exactly as Python's `csv.writer` quotes them.
    /// (A `\r` is quoted too, see `carriage_returns_are_quoted`.)
    #[test]
    fn odd_names_are_quoted_like_python() {
        let names = [
            "a,b.txt",
            "say \"hi\".txt",
            "odd\nname.txt",
            " lead space.txt",
            "tab\tname.txt",
            "#hash.txt",
            "semi;colon 'q'.txt",
            "é.txt",
        ];
        let members: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, &b"x"[..])).collect();
        let ours = record_of(&members);
        let script = r#"
import csv, io, json, sys
rows = json.load(sys.stdin)
out = io.StringIO()
csv.writer(out, lineterminator="\n").writerows(rows)
sys.stdout.write(out.getvalue())
"#;
        let mut rows: Vec<[String; 3]> = names
            .iter()
            .map(|n| {
                [
                    n.to_string(),
                    record_hash(&Sha256::digest(b"x")),
                    "1".to_owned(),
                ]
            })
            .collect();
        rows.push([
            "pkg-1.0.dist-info/RECORD".to_owned(),
            String::new(),
            String::new(),
        ]);
        let out = crate::util::python::run(
            "python3",
            script,
            serde_json::to_string(&rows).unwrap().into_bytes(),
        );
        assert_eq!(ours, String::from_utf8(out).unwrap());
    }

    /// A `\r` in a name is quoted, so that a reader that ends rows at `\r`
    /// (Python's csv module does) reads the name whole. Python 3.11's writer
    /// leaves it bare when the line end is `\n`; RECORD has always quoted it.
    #[test]
    fn carriage_returns_are_quoted() {
        assert_eq!(
            record_of(&[("cr\rname.txt", b"")]).lines().next(),
            Some("\"cr\rname.txt\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0")
        );
    }

    /// A folder passes through to the archive but is not listed; a listing
    /// writer underneath sees RECORD last.
    #[test]
    fn folders_are_not_listed_and_record_goes_last() {
        let mut shown = Vec::new();
        let mut w = Box::new(RecordWriter::new(
            Box::new(ListingWriter::new(&mut shown)),
            "p-1.dist-info/RECORD",
        ));
        for (name, is_dir) in [("p/", true), ("p/a.py", false)] {
            w.append(&Member {
                name,
                mode: 0o644,
                is_dir,
                data: b"",
                deflated: None,
            })
            .unwrap();
        }
        w.finish().unwrap();
        let shown = String::from_utf8(shown).unwrap();
        let names: Vec<&str> = shown
            .lines()
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(names, ["p/", "p/a.py", "p-1.dist-info/RECORD"]);
        let size: usize = shown
            .lines()
            .last()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let record =
            "p/a.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\np-1.dist-info/RECORD,,\n";
        assert_eq!(size, record.len());
    }
}
