//! A minimal element tree built from quick-xml events, mirroring what the validator reads
//! through `System.Xml.Linq` (local names, attribute values, concatenated text).

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::error::LoadError;

/// One XML element: local name, attributes in document order, child elements and the
/// concatenation of all text below it (`XElement.Value`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// Attribute value by local name (`(string)element.Attribute(name)`).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// First child element with this local name (`element.Element(name)`).
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All child elements with this local name (`element.Elements(name)`).
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Parses a whole document and returns its root element.
pub(crate) fn parse_document(xml: &str) -> Result<Element, LoadError> {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(&reader, e))?;
        match event {
            Event::Start(start) => {
                stack.push(start_element(&start).map_err(|e| xml_error(&reader, e))?)
            }
            Event::Empty(start) => {
                let element = start_element(&start).map_err(|e| xml_error(&reader, e))?;
                close(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| LoadError::Xml("unbalanced end tag".into()))?;
                close(&mut stack, &mut root, element);
            }
            Event::Text(text) => push_text(&mut stack, &text.xml10_content()),
            Event::CData(data) => push_text(&mut stack, &data.xml10_content()),
            Event::GeneralRef(reference) => {
                let resolved = match reference
                    .resolve_char_ref()
                    .map_err(|e| xml_error(&reader, e))?
                {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = reference.xml10_content();
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| LoadError::Xml(format!("unknown entity &{name};")))?
                            .to_string()
                    }
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(LoadError::Xml("unexpected end of document".into()));
    }
    root.ok_or_else(|| LoadError::Xml("document has no root element".into()))
}

fn xml_error(reader: &Reader<&[u8]>, error: impl std::fmt::Display) -> LoadError {
    LoadError::Xml(format!("at byte {}: {error}", reader.buffer_position()))
}

fn start_element(start: &BytesStart<'_>) -> Result<Element, quick_xml::Error> {
    let name = start.local_name().as_ref().to_string();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(quick_xml::Error::InvalidAttr)?;
        let key = attribute.key.local_name().as_ref().to_string();
        let is_namespace = attribute.key.as_ref().starts_with("xmlns");
        if is_namespace || attribute.key.prefix().is_some() {
            // xmlns declarations and prefixed attributes (xsi:...) are never read by the validator
            continue;
        }
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
        text: String::new(),
    })
}

fn push_text(stack: &mut [Element], text: &str) {
    // XElement.Value concatenates every descendant text node, so text is added to all ancestors
    for element in stack.iter_mut() {
        element.text.push_str(text);
    }
}

fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => {
            if root.is_none() {
                *root = Some(element);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tree_with_text_and_entities() {
        let xml = "\u{feff}<?xml version=\"1.0\"?>\n<!-- c --><Root xmlns:xsi=\"x\" xsi:foo=\"1\" A=\"a &amp; &quot;b&quot;\">\
                   <Child Name=\"x\" /><Body>one &lt;two&gt;<![CDATA[ <three> ]]>&#65;</Body></Root>";
        let root = parse_document(xml).unwrap();
        assert_eq!(root.name, "Root");
        assert_eq!(
            root.attributes,
            vec![("A".to_string(), "a & \"b\"".to_string())]
        );
        assert_eq!(root.child("Child").and_then(|c| c.attr("Name")), Some("x"));
        assert_eq!(
            root.child("Body").map(|b| b.text.as_str()),
            Some("one <two> <three> A")
        );
        assert_eq!(root.children_named("Child").count(), 1);
    }

    #[test]
    fn rejects_malformed_documents() {
        assert!(parse_document("<a><b></a>").is_err());
        assert!(parse_document("<a>").is_err());
        assert!(parse_document("").is_err());
    }
}
