//! Just enough HTML for the pages this project reads: a package index's
//! PEP 503 listing, the built UI's `index.html`, the DOM Chromium dumps.
//!
//! [`start_tags`] walks the start tags of a document (comments, end tags and
//! `<!DOCTYPE>` are skipped; attribute values may be quoted with `"` or `'`,
//! or bare; names are matched without regard to case), each with its
//! attributes, entity references decoded, and where it ends, so the text
//! that follows can be read with [`text_until_tag`].

/// One start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The element name in lowercase.
    pub name: String,
    /// Attribute names in lowercase, values decoded.
    pub attrs: Vec<(String, String)>,
    /// The byte offset just after the tag's `>`.
    pub end: usize,
}

impl Tag {
    /// An attribute's value (`Some("")` for a bare attribute).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The start tags of `html`, in document order.
pub fn start_tags(html: &str) -> impl Iterator<Item = Tag> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        loop {
            let lt = pos + html.get(pos..)?.find('<')?;
            let rest = &html[lt + 1..];
            if rest.starts_with("!--") {
                pos = match rest.find("-->") {
                    Some(end) => lt + 1 + end + 3,
                    None => html.len(),
                };
                continue;
            }
            let name_len = rest
                .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                .unwrap_or(rest.len());
            let name = &rest[..name_len];
            if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                // `</x>`, `<!DOCTYPE>`, `<?x?>` or a stray `<`.
                pos = lt + 1;
                continue;
            }
            let attrs_start = lt + 1 + name_len;
            let (attrs, end) = parse_attributes(html, attrs_start);
            pos = end;
            return Some(Tag {
                name: name.to_ascii_lowercase(),
                attrs,
                end,
            });
        }
    })
}

/// The attributes from `from` up to the tag's `>`, and the offset after it.
fn parse_attributes(html: &str, from: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    let mut i = from;
    let skip_space = |i: &mut usize| {
        while *i < bytes.len() && (bytes[*i].is_ascii_whitespace() || bytes[*i] == b'/') {
            *i += 1;
        }
    };
    loop {
        skip_space(&mut i);
        if i >= bytes.len() {
            return (attrs, bytes.len());
        }
        if bytes[i] == b'>' {
            return (attrs, i + 1);
        }
        let key_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        let key = html[key_start..i].to_ascii_lowercase();
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let mut value = String::new();
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
                let quote = bytes[j];
                let start = j + 1;
                let end = html[start..]
                    .bytes()
                    .position(|b| b == quote)
                    .map_or(bytes.len(), |p| start + p);
                value = decode_entities(&html[start..end]);
                i = (end + 1).min(bytes.len());
            } else {
                let start = j;
                while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                    j += 1;
                }
                value = decode_entities(&html[start..j]);
                i = j;
            }
        }
        if !key.is_empty() {
            attrs.push((key, value));
        }
    }
}

/// The text from `from` up to the next `</name` (or the end), with tags
/// inside it removed, entities decoded and outer white space trimmed.
pub fn text_until_tag(html: &str, from: usize, name: &str) -> String {
    let rest = html.get(from..).unwrap_or("");
    let needle = format!("</{}", name.to_ascii_lowercase());
    let end = rest
        .to_ascii_lowercase()
        .find(&needle)
        .unwrap_or(rest.len());
    decode_entities(strip_tags(&rest[..end]).trim())
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Decode the character references a file name or a short text can hold:
/// `&amp; &lt; &gt; &quot; &apos;` and numeric ones; others stay as written.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let decoded = tail.find(';').and_then(|semi| {
            let entity = &tail[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The same-origin URLs in `src` and `href` attributes, as absolute paths,
/// in page order, each once. External URLs, fragments and `data:` are left
/// out. Pure.
pub fn asset_paths(page: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for tag in start_tags(page) {
        for (key, value) in &tag.attrs {
            if key != "src" && key != "href" {
                continue;
            }
            let value = value.trim();
            let local = !value.is_empty()
                && !value.starts_with('#')
                && !value.starts_with("//")
                && !value.contains("://")
                && !value.starts_with("data:")
                && !value.starts_with("mailto:")
                && !value.starts_with("javascript:");
            if !local {
                continue;
            }
            let path = if value.starts_with('/') {
                value.to_owned()
            } else {
                format!("/{}", value.trim_start_matches("./"))
            };
            if path != "/" && !found.contains(&path) {
                found.push(path);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_attributes_in_every_quoting() {
        let html = r#"<!DOCTYPE html><!-- <a href="no"> --><A HREF='x&amp;y.whl#sha' data-x=bare checked>text</a><abbr title="t">"#;
        let tags: Vec<Tag> = start_tags(html).collect();
        assert_eq!(tags.len(), 2, "{tags:?}");
        assert_eq!(tags[0].name, "a");
        assert_eq!(tags[0].attr("href"), Some("x&y.whl#sha"));
        assert_eq!(tags[0].attr("data-x"), Some("bare"));
        assert_eq!(tags[0].attr("checked"), Some(""));
        assert_eq!(text_until_tag(html, tags[0].end, "a"), "text");
        assert_eq!(tags[1].name, "abbr");
    }

    #[test]
    fn a_greater_than_inside_quotes_does_not_end_the_tag() {
        let html = r#"<p id="version" data-state="ok" title="a>b">Version <b>1.0</b></p>"#;
        let tag = start_tags(html).next().unwrap();
        assert_eq!(tag.attr("title"), Some("a>b"));
        assert_eq!(text_until_tag(html, tag.end, "p"), "Version 1.0");
    }

    #[test]
    fn broken_documents_end_quietly() {
        assert_eq!(start_tags("<a href=\"x").count(), 1);
        assert_eq!(start_tags("<").count(), 0);
        assert_eq!(start_tags("<!-- never closed <a>").count(), 0);
        assert_eq!(start_tags("a < b").count(), 0);
    }

    #[test]
    fn entities() {
        assert_eq!(decode_entities("a&#x41;&#66;&lt;&bogus;&"), "aAB<&bogus;&");
    }
}
