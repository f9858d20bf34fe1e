import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Parses `svg` as XML and returns the document (throws if it is not well-formed).
func parseSVG(_ svg: String) throws -> XMLDocument {
    try XMLDocument(xmlString: svg, options: [])
}

/// All elements with the given local name.
func elements(_ doc: XMLDocument, named name: String) throws -> [XMLElement] {
    try doc.nodes(forXPath: "//*[local-name()='\(name)']").compactMap { $0 as? XMLElement }
}

/// Whether the markup contains a non-finite number anywhere.
func containsNonFinite(_ svg: String) -> Bool {
    let lower = svg.lowercased()
    return lower.contains("nan") || lower.contains("inf")
}

/// An attribute's value (looked up by local name, which works with the SVG default namespace).
func attr(_ element: XMLElement, _ name: String) -> String? {
    element.attributes?.first { $0.localName == name || $0.name == name }?.stringValue
}
