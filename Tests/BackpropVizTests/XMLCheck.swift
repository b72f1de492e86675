// A strict XML well-formedness checker for the tests. Foundation's XMLParser and XMLDocument on
// Linux recover from errors (a mismatched tag still "parses"), so they cannot be the judge.
// This one rejects: mismatched or unclosed tags, unquoted or duplicate attributes, a bare `&`
// or `<` in text, unknown entities, text outside the root, and more than one root element.

/// Why a document is not well-formed, with the byte offset where it went wrong.
struct XMLError: Error, CustomStringConvertible {
  var message: String
  var offset: Int
  var description: String { "XML error at \(offset): \(message)" }
}

/// The element names of a well-formed document, in document order (for structure checks).
@discardableResult
func checkWellFormedXML(_ text: String) throws -> [String] {
  let s = Array(text.utf8)
  var i = 0, stack: [String] = [], names: [String] = [], roots = 0
  func fail(_ m: String) -> XMLError { XMLError(message: m, offset: i) }
  func starts(_ p: String) -> Bool { s.count - i >= p.utf8.count && Array(s[i..<(i + p.utf8.count)]) == Array(p.utf8) }
  func skip(until p: String) throws { while i < s.count && !starts(p) { i += 1 }; guard i < s.count else { throw fail("unterminated \(p)") }; i += p.utf8.count }
  func isNameByte(_ b: UInt8) -> Bool { b >= 0x80 || (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F || b == 0x3A || b == 0x2E }
  func name() throws -> String {
    let start = i
    while i < s.count && isNameByte(s[i]) { i += 1 }
    guard i > start else { throw fail("expected a name") }
    return String(decoding: s[start..<i], as: UTF8.self)
  }
  func spaces() { while i < s.count && (s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x09 || s[i] == 0x0D) { i += 1 } }
  func entity() throws {
    // at '&'
    let start = i
    while i < s.count && s[i] != 0x3B { i += 1; if i - start > 12 { throw fail("bare & (not an entity)") } }
    guard i < s.count else { throw fail("unterminated entity") }
    let body = String(decoding: s[(start + 1)..<i], as: UTF8.self)
    i += 1
    let known = ["amp", "lt", "gt", "quot", "apos"]
    guard known.contains(body) || (body.hasPrefix("#") && body.count > 1) else { throw fail("unknown entity &\(body);") }
  }
  spaces()
  if starts("<?xml") { try skip(until: "?>") }
  while i < s.count {
    if starts("<!--") { try skip(until: "-->"); continue }
    if starts("<![CDATA[") { try skip(until: "]]>"); continue }
    if starts("<!DOCTYPE") || starts("<!doctype") { try skip(until: ">"); continue }
    if starts("</") {
      i += 2
      let n = try name(); spaces()
      guard i < s.count, s[i] == 0x3E else { throw fail("expected > after </\(n)") }
      i += 1
      guard let open = stack.popLast(), open == n else { throw fail("closing </\(n)> does not match <\(stack.last ?? "none")>") }
      continue
    }
    if s[i] == 0x3C {
      i += 1
      let n = try name()
      if stack.isEmpty { roots += 1; guard roots == 1 else { throw fail("second root element <\(n)>") } }
      names.append(n)
      var attributes: Set<String> = []
      while true {
        spaces()
        guard i < s.count else { throw fail("unterminated tag <\(n)") }
        if s[i] == 0x3E { i += 1; stack.append(n); break }
        if starts("/>") { i += 2; break }
        let a = try name()
        guard attributes.insert(a).inserted else { throw fail("duplicate attribute \(a) on <\(n)>") }
        spaces()
        guard i < s.count, s[i] == 0x3D else { throw fail("attribute \(a) without =") }
        i += 1; spaces()
        guard i < s.count, s[i] == 0x22 || s[i] == 0x27 else { throw fail("attribute \(a) not quoted") }
        let quote = s[i]; i += 1
        while i < s.count && s[i] != quote {
          if s[i] == 0x3C { throw fail("< inside attribute \(a)") }
          if s[i] == 0x26 { try entity() } else { i += 1 }
        }
        guard i < s.count else { throw fail("unterminated attribute \(a)") }
        i += 1
      }
      continue
    }
    // Text.
    if stack.isEmpty && !(s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x09 || s[i] == 0x0D) { throw fail("text outside the root element") }
    if s[i] == 0x26 { try entity() } else { i += 1 }
  }
  guard stack.isEmpty else { throw XMLError(message: "unclosed <\(stack.last!)>", offset: i) }
  guard roots == 1 else { throw XMLError(message: "no root element", offset: i) }
  return names
}

/// Every `<svg …>…</svg>` element inside an HTML page.
func inlineSVGs(in html: String) -> [String] {
  var result: [String] = []
  var rest = html[...]
  while let start = rest.range(of: "<svg"), let end = rest[start.lowerBound...].range(of: "</svg>") {
    result.append(String(rest[start.lowerBound..<end.upperBound]))
    rest = rest[end.upperBound...]
  }
  return result
}
