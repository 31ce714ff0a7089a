//! Reading the few values Pier needs out of libvirt's XML (snapshot descriptions, the VNC port,
//! interface names) with quick-xml's reader instead of string searching.

use quick_xml::events::Event;
use quick_xml::Reader;

/// The text of the first element named `name` that is a direct child of the root element.
pub fn child_text(xml: &str, name: &str) -> Option<String> {
    text_at(xml, &[name])
}

/// The text of the first element at `path` below the root (`["target", "path"]` is
/// `<root><target><path>`).
pub fn text_at(xml: &str, path: &[&str]) -> Option<String> {
    let mut r = Reader::from_str(xml);
    // The open elements below the root, while they still follow `path`; `None` once off it.
    let mut depth = 0usize;
    let mut on_path = 0usize;
    loop {
        match r.read_event().ok()? {
            Event::Start(e) => {
                depth += 1;
                if depth >= 2 && on_path == depth - 2 && path.get(on_path).is_some_and(|n| e.name().as_ref() == n.as_bytes()) {
                    on_path += 1;
                }
            }
            Event::End(_) => {
                if depth >= 2 && on_path == depth - 1 {
                    on_path -= 1;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if on_path == path.len() && depth == path.len() + 1 => return t.unescape().ok().map(|s| s.into_owned()),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// The value of `attr` on the first element named `name` (at any depth) whose other attributes
/// include every pair in `matching`.
pub fn attr_of(xml: &str, name: &str, matching: &[(&str, &str)], attr: &str) -> Option<String> {
    let mut r = Reader::from_str(xml);
    loop {
        match r.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == name.as_bytes() => {
                let attrs: Vec<(String, String)> = e
                    .attributes()
                    .filter_map(|a| a.ok())
                    .filter_map(|a| Some((String::from_utf8(a.key.as_ref().to_vec()).ok()?, a.unescape_value().ok()?.into_owned())))
                    .collect();
                let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                if matching.iter().all(|(k, v)| get(k).as_deref() == Some(*v)) {
                    if let Some(v) = get(attr) {
                        return Some(v);
                    }
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_children_and_attributes() {
        let xml = r#"<domainsnapshot><name>before &amp; after</name><description>x</description>
            <domain><name>inner</name><devices><graphics type='vnc' port='5901' autoport='yes'/></devices></domain></domainsnapshot>"#;
        assert_eq!(child_text(xml, "name").as_deref(), Some("before & after"));
        assert_eq!(child_text(xml, "missing"), None);
        assert_eq!(attr_of(xml, "graphics", &[("type", "vnc")], "port").as_deref(), Some("5901"));
        assert_eq!(attr_of(xml, "graphics", &[("type", "spice")], "port"), None);
    }

    #[test]
    fn reads_nested_paths_only_where_they_are() {
        let xml = "<pool><source><path>/wrong</path></source><target><other><path>/deeper</path></other><path>/var/lib/x</path></target></pool>";
        assert_eq!(text_at(xml, &["target", "path"]).as_deref(), Some("/var/lib/x"));
        assert_eq!(text_at(xml, &["source", "path"]).as_deref(), Some("/wrong"));
        assert_eq!(text_at(xml, &["target", "missing"]), None);
    }
}
