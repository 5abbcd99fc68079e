//! Just enough HTML for the pages this project reads: a package index's
//! PEP 503 listing, the built UI's `index.html`, the DOM Chromium dumps.
//!
//! The html5gum tokenizer (WHATWG's tokenization rules) reads the markup:
//! [`start_tags`] gives the start tags of a document, each with its
//! attributes (names in lowercase, character references decoded, in page
//! order) and where it ends, so the text that follows can be read with
//! [`text_until_tag`]. Comments, end tags and `<!DOCTYPE>` are not tags
//! here, and the contents of `<script>`, `<style>` and `<title>` are text.

use html5gum::{DefaultEmitter, Token, Tokenizer};

/// One start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The element name in lowercase.
    pub name: String,
    /// Attribute names in lowercase, values decoded, in page order; the
    /// first of two with the same name.
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

/// The tokens of `html`, with byte spans; the tokenizer switches to text
/// after `<script>`, `<style>`, `<title>` and the like, as a browser does.
fn tokens(html: &str, switch_states: bool) -> impl Iterator<Item = Token<usize>> + '_ {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(switch_states);
    Tokenizer::new_with_emitter(html, emitter).filter_map(Result::ok)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The start tags of `html`, in document order.
pub fn start_tags(html: &str) -> impl Iterator<Item = Tag> + '_ {
    tokens(html, true).filter_map(|token| {
        let Token::StartTag(tag) = token else {
            return None;
        };
        let mut attrs: Vec<_> = tag.attributes.into_iter().collect();
        attrs.sort_by_key(|(_, value)| value.span.start);
        Some(Tag {
            name: text(&tag.name),
            attrs: attrs
                .into_iter()
                .map(|(key, value)| (text(&key), text(&value.value)))
                .collect(),
            end: tag.span.end,
        })
    })
}

/// The text from `from` up to the next `</name>` (or the end), with tags
/// inside it removed, character references decoded and outer white space
/// trimmed.
pub fn text_until_tag(html: &str, from: usize, name: &str) -> String {
    let rest = html.get(from..).unwrap_or("");
    let name = name.to_ascii_lowercase();
    let mut out = String::new();
    // Read as ordinary text, so that markup inside (`<b>` in a title) is
    // dropped rather than shown.
    for token in tokens(rest, false) {
        match token {
            Token::EndTag(end) if *end.name == *name.as_bytes() => break,
            Token::String(s) => out.push_str(&String::from_utf8_lossy(&s.value)),
            _ => {}
        }
    }
    out.trim().to_owned()
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
        // A tag cut off by the end of the document is dropped, as WHATWG's
        // tokenizer says; the tags before it stay.
        assert_eq!(start_tags("<a href=\"x").count(), 0);
        assert_eq!(start_tags("<p><a href=\"x").count(), 1);
        assert_eq!(start_tags("<").count(), 0);
        assert_eq!(start_tags("<!-- never closed <a>").count(), 0);
        assert_eq!(start_tags("a < b").count(), 0);
        assert_eq!(text_until_tag("<p>x", 99, "p"), "");
    }

    #[test]
    fn character_references_in_attributes_and_text() {
        let html = "<a href=\"a&#x41;&#66;&lt;&bogus;&\">a&amp;b&#43;c&#x2B;&bogus &eacute;</a>";
        let tag = start_tags(html).next().unwrap();
        assert_eq!(tag.attr("href"), Some("aAB<&bogus;&"));
        assert_eq!(text_until_tag(html, tag.end, "a"), "a&b+c+&bogus \u{e9}");
    }

    #[test]
    fn the_end_offset_is_just_after_the_tag() {
        let html = "<p>x</p><a href='y'>link</a>";
        let ends: Vec<usize> = start_tags(html).map(|t| t.end).collect();
        assert_eq!(ends, [3, 20]);
        assert_eq!(&html[..20], "<p>x</p><a href='y'>");
    }

    #[test]
    fn script_contents_are_not_tags() {
        let html = r#"<script>if (a<b) document.write("<a href='/no.js'>")</script><title>A <b> title</title><a href="/y.whl">"#;
        let names: Vec<String> = start_tags(html).map(|t| t.name).collect();
        assert_eq!(names, ["script", "title", "a"]);
        assert_eq!(asset_paths(html), ["/y.whl"]);
    }

    #[test]
    fn attributes_keep_page_order_and_the_first_of_twins() {
        let tag = start_tags("<x src=/a.js href=/b.css src=/c.js checked>")
            .next()
            .unwrap();
        let keys: Vec<&str> = tag.attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["src", "href", "checked"]);
        assert_eq!(tag.attr("src"), Some("/a.js"));
        assert_eq!(
            asset_paths("<x href=/b.css src=/a.js>"),
            ["/b.css", "/a.js"]
        );
    }
}
