/// A minimal JSON parser for safetensors headers.
///
/// Written out (rather than using `JSONSerialization`) because the header must be checked more
/// strictly than Foundation does: `JSONSerialization` silently keeps one of two duplicate keys,
/// turns large integers into lossy doubles, and has no nesting limit. Here objects keep their
/// keys in order and reject duplicates, numbers keep their text, and nesting stops at 64 levels.
indirect enum JSONValue {
  case object([(key: String, value: JSONValue)])
  case array([JSONValue])
  case string(String)
  /// The number's literal text, so integers convert exactly.
  case number(String)
  case bool(Bool)
  case null

  /// A non-negative integer written without fraction or exponent, if that is what this is.
  var nonNegativeInteger: Int? {
    guard case let .number(text) = self, text.allSatisfy(\.isASCIIDigitCharacter) else { return nil }
    return Int(text)
  }

  /// A short name of the kind of value, for messages.
  var kind: String {
    switch self {
    case .object: return "an object"
    case .array: return "an array"
    case .string: return "a string"
    case .number: return "a number"
    case .bool: return "a boolean"
    case .null: return "null"
    }
  }
}

extension Character {
  fileprivate var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}

/// Why JSON text was rejected, with the byte offset where it happened.
struct JSONParseError: Error {
  let offset: Int
  let message: String
}

/// Parses UTF-8 JSON text into a `JSONValue`; the whole input must be one value (plus whitespace).
struct JSONParser {
  private let bytes: [UInt8]
  private var position = 0
  private static let maxDepth = 64

  static func parse(_ bytes: [UInt8]) throws -> JSONValue {
    var parser = JSONParser(bytes: bytes)
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
    return value
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  private func error(_ message: String) -> JSONParseError { JSONParseError(offset: position, message: message) }

  private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

  private mutating func skipWhitespace() {
    while let b = peek, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 }
  }

  private mutating func expect(_ literal: String) throws {
    for b in literal.utf8 {
      guard peek == b else { throw error("expected '\(literal)'") }
      position += 1
    }
  }

  private mutating func parseValue(depth: Int) throws -> JSONValue {
    guard depth < Self.maxDepth else { throw error("nested more than \(Self.maxDepth) levels deep") }
    skipWhitespace()
    switch peek {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expect("true"); return .bool(true)
    case UInt8(ascii: "f"): try expect("false"); return .bool(false)
    case UInt8(ascii: "n"): try expect("null"); return .null
    case let b? where b == UInt8(ascii: "-") || (0x30...0x39).contains(b): return try parseNumber()
    case nil: throw error("unexpected end of JSON")
    default: throw error("unexpected character")
    }
  }

  private mutating func parseObject(depth: Int) throws -> JSONValue {
    position += 1  // {
    var members: [(key: String, value: JSONValue)] = []
    var seen = Set<String>()
    skipWhitespace()
    if peek == UInt8(ascii: "}") { position += 1; return .object(members) }
    while true {
      skipWhitespace()
      guard peek == UInt8(ascii: "\"") else { throw error("expected a string key") }
      let keyOffset = position
      let key = try parseString()
      guard seen.insert(key).inserted else {
        throw JSONParseError(offset: keyOffset, message: "duplicate key \"\(key)\"")
      }
      skipWhitespace()
      try expect(":")
      members.append((key, try parseValue(depth: depth + 1)))
      skipWhitespace()
      switch peek {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "}"): position += 1; return .object(members)
      default: throw error("expected ',' or '}' in object")
      }
    }
  }

  private mutating func parseArray(depth: Int) throws -> JSONValue {
    position += 1  // [
    var elements: [JSONValue] = []
    skipWhitespace()
    if peek == UInt8(ascii: "]") { position += 1; return .array(elements) }
    while true {
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      switch peek {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "]"): position += 1; return .array(elements)
      default: throw error("expected ',' or ']' in array")
      }
    }
  }

  private mutating func parseString() throws -> String {
    position += 1  // opening quote
    var out = [UInt8]()
    while true {
      guard let b = peek else { throw error("unterminated string") }
      position += 1
      switch b {
      case UInt8(ascii: "\""):
        return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard let e = peek else { throw error("unterminated string") }
        position += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"): out.append(contentsOf: try parseUnicodeEscape())
        default: throw error("invalid escape in string")
        }
      case 0..<0x20:
        throw error("control character in string")
      default:
        out.append(b)
      }
    }
  }

  /// After `\u`: four hex digits, or a surrogate pair `\uD8xx\uDCxx`; returns UTF-8 bytes.
  private mutating func parseUnicodeEscape() throws -> [UInt8] {
    var scalar = try parseHex4()
    if (0xD800..<0xDC00).contains(scalar) {
      guard peek == UInt8(ascii: "\\") else { throw error("unpaired surrogate in string") }
      position += 1
      guard peek == UInt8(ascii: "u") else { throw error("unpaired surrogate in string") }
      position += 1
      let low = try parseHex4()
      guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in string") }
      scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
    } else if (0xDC00..<0xE000).contains(scalar) {
      throw error("unpaired surrogate in string")
    }
    return Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
  }

  private mutating func parseHex4() throws -> UInt32 {
    let isHex: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x41...0x46).contains($0 & 0xDF) }
    guard position + 4 <= bytes.count, bytes[position..<position + 4].allSatisfy(isHex),
      let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
    else { throw error("invalid \\u escape") }
    position += 4
    return value
  }

  /// JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
  private mutating func parseNumber() throws -> JSONValue {
    let start = position
    func digits() -> Int {
      let from = position
      while let b = peek, (0x30...0x39).contains(b) { position += 1 }
      return position - from
    }
    if peek == UInt8(ascii: "-") { position += 1 }
    if peek == UInt8(ascii: "0") {
      position += 1
    } else if digits() == 0 {
      throw error("invalid number")
    }
    if peek == UInt8(ascii: ".") {
      position += 1
      guard digits() > 0 else { throw error("invalid number") }
    }
    if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
      position += 1
      if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
      guard digits() > 0 else { throw error("invalid number") }
    }
    return .number(String(decoding: bytes[start..<position], as: UTF8.self))
  }
}
