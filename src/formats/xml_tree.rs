//! A small owned XML element tree shared by the API DSN formats (returns, listings, BPIJ).
//!
//! Why a tree rather than serde: the GIP-MDS documents mix prefixed roots
//! (`gipmds:rapport`, `ns2:rapport`), default namespaces (BPIJ), comments, a UTF-8 BOM and
//! optional elements in any order across versions; reading them into a tree and then picking
//! fields by local name is tolerant of all of that and keeps every parser short.
//!
//! Invariants:
//! - names are stored as *local* names; the namespace URI of each element is kept
//!   (`ns`) so that callers can check it where it matters (BPIJ, rapport root);
//! - text is entity-resolved and trimmed; mixed content is concatenated;
//! - input is bounded ([`MAX_INPUT`], [`MAX_DEPTH`]) so a hostile peer cannot make the
//!   gateway allocate without limit;
//! - the same type serialises back ([`Element::to_xml`]), so each writer builds a tree and
//!   there is exactly one escaping routine.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// Largest document accepted (returns and BPIJ are a few hundred KB at most).
pub const MAX_INPUT: usize = 32 * 1024 * 1024;
/// Deepest nesting accepted (BPIJ is 8 levels deep).
pub const MAX_DEPTH: usize = 64;

/// Failure to read an XML document; `position` is a byte offset in the decoded text.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("XML document too large ({size} bytes, limit {MAX_INPUT})")]
    TooLarge { size: usize },
    #[error("XML nesting deeper than {MAX_DEPTH} at byte {position}")]
    TooDeep { position: u64 },
    #[error("malformed XML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
    #[error("XML document has no root element")]
    Empty,
}

/// One element: local name, namespace URI, attributes (local names), text and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub ns: Option<String>,
    /// Namespace prefix used in the source (kept only to write it back the same way).
    pub prefix: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn new(name: &str) -> Self {
        Element {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// Builder: a child with only text.
    pub fn leaf(name: &str, text: impl Into<String>) -> Self {
        Element {
            name: name.to_string(),
            text: text.into(),
            ..Default::default()
        }
    }

    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attrs.push((name.to_string(), value.into()));
        self
    }

    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// Adds a text child only when `value` is `Some` (optional XSD elements).
    pub fn with_opt(mut self, name: &str, value: Option<impl Into<String>>) -> Self {
        if let Some(v) = value {
            self.children.push(Element::leaf(name, v));
        }
        self
    }

    pub fn push(&mut self, child: Element) {
        self.children.push(child);
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Text of a direct child, `None` when the child is absent or empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// Text of a descendant reached through `path` (local names).
    pub fn path_text(&self, path: &[&str]) -> Option<&str> {
        let mut cur = self;
        for p in path {
            cur = cur.child(p)?;
        }
        Some(cur.text.as_str()).filter(|t| !t.is_empty())
    }

    /// Serialises with an XML declaration; `default_ns` is written on the root as `xmlns`.
    pub fn to_xml(&self) -> String {
        let mut out =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
        self.write_into(&mut out, 0);
        out
    }

    fn write_into(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        let qname = match &self.prefix {
            Some(p) => format!("{p}:{}", self.name),
            None => self.name.clone(),
        };
        out.push_str(&indent);
        out.push('<');
        out.push_str(&qname);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            out.push_str(&quick_xml::escape::escape(v.as_str()));
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>\n");
            return;
        }
        out.push('>');
        if self.children.is_empty() {
            out.push_str(&quick_xml::escape::escape(self.text.as_str()));
        } else {
            out.push('\n');
            if !self.text.is_empty() {
                out.push_str(&quick_xml::escape::escape(self.text.as_str()));
            }
            for c in &self.children {
                c.write_into(out, depth + 1);
            }
            out.push_str(&indent);
        }
        out.push_str("</");
        out.push_str(&qname);
        out.push_str(">\n");
    }
}

/// Decodes bytes to text: strips a UTF-8 BOM; falls back to ISO-8859-1 when the bytes are
/// not UTF-8 (some organisms produce Latin-1 XML and declare it).
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Parses a document into its root element.
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    if bytes.len() > MAX_INPUT {
        return Err(XmlError::TooLarge { size: bytes.len() });
    }
    let text = decode_text(bytes);
    let mut reader = NsReader::from_str(&text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let position = reader.buffer_position();
        let malformed = |message: String| XmlError::Malformed { position, message };
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| malformed(e.to_string()))?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(n.as_ref().to_string()),
            _ => None,
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                let mut el = Element::new(start.local_name().as_ref());
                el.ns = ns;
                el.prefix = start.name().prefix().map(|p| p.as_ref().to_string());
                for attr in start.attributes().with_checks(false) {
                    let attr = attr.map_err(|e| malformed(e.to_string()))?;
                    let key = attr.key;
                    if key.as_ref().starts_with("xmlns") {
                        continue;
                    }
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| malformed(e.to_string()))?;
                    el.attrs
                        .push((key.local_name().as_ref().to_string(), value.into_owned()));
                }
                // Empty elements close immediately; Start elements are pushed.
                if is_empty {
                    attach(&mut stack, &mut root, el);
                } else {
                    if stack.len() >= MAX_DEPTH {
                        return Err(XmlError::TooDeep { position });
                    }
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else {
                    return Err(malformed("unexpected closing tag".into()));
                };
                el.text = el.text.trim().to_string();
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        Ok(None) => quick_xml::escape::resolve_predefined_entity(&r)
                            .map(str::to_string)
                            .ok_or_else(|| malformed(format!("unknown entity &{};", &*r)))?,
                        Err(e) => return Err(malformed(e.to_string())),
                    };
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed {
            position: reader.buffer_position(),
            message: format!("unclosed element <{}>", stack[stack.len() - 1].name),
        });
    }
    root.ok_or(XmlError::Empty)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => {
            if root.is_none() {
                *root = Some(el);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_root_with_bom_comments_and_entities() {
        let doc = "\u{feff}<p:r xmlns:p=\"http://x/\" a=\"l&apos;x\"><c>1</c> <!-- note --><d/><e>a &amp; b&#233;</e></p:r>";
        let root = parse(doc.as_bytes()).unwrap();
        assert_eq!(root.name, "r");
        assert_eq!(root.ns.as_deref(), Some("http://x/"));
        assert_eq!(root.attr("a"), Some("l'x"));
        assert_eq!(root.child_text("c"), Some("1"));
        assert!(root.child("d").is_some());
        assert_eq!(root.child_text("d"), None);
        assert_eq!(root.child_text("e"), Some("a & bé"));
    }

    #[test]
    fn rejects_unclosed_and_too_deep_documents() {
        assert!(matches!(
            parse(b"<a><b></b>"),
            Err(XmlError::Malformed { .. })
        ));
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(matches!(
            parse(deep.as_bytes()),
            Err(XmlError::TooDeep { .. })
        ));
        assert!(matches!(parse(b"   "), Err(XmlError::Empty)));
    }

    #[test]
    fn round_trips_through_writer() {
        let el = Element::new("root")
            .with_attr("v", "a\"b")
            .with_child(Element::leaf("x", "<1 & 2>"))
            .with_opt("y", None::<String>)
            .with_opt("z", Some("ok"));
        let xml = el.to_xml();
        let back = parse(xml.as_bytes()).unwrap();
        assert_eq!(back.attr("v"), Some("a\"b"));
        assert_eq!(back.child_text("x"), Some("<1 & 2>"));
        assert!(back.child("y").is_none());
        assert_eq!(back.child_text("z"), Some("ok"));
    }

    #[test]
    fn latin1_fallback() {
        let bytes = b"<a>caf\xe9</a>";
        assert_eq!(parse(bytes).unwrap().text, "café");
    }
}
