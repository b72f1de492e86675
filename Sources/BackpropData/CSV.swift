import Foundation

/// How to read a numeric CSV file.
public struct CSVOptions: Sendable, Equatable {
  /// Whether the first non-blank line holds column names.
  public enum Header: Sendable, Equatable {
    /// A header when any field of the first line is not a number.
    case auto
    /// The first line is always a header.
    case present
    /// There is no header: the first line is data.
    case absent
  }

  /// What separates fields.
  public enum Delimiter: Sendable, Equatable {
    /// Comma if the first line has one, else tab, else semicolon, else runs of spaces.
    case auto
    /// `,`
    case comma
    /// `\t`
    case tab
    /// `;`
    case semicolon
    /// One or more spaces or tabs (as in many UCI files).
    case whitespace
  }

  /// Header handling (default `.auto`).
  public var header: Header
  /// Field separator (default `.auto`).
  public var delimiter: Delimiter

  /// Options with automatic header and delimiter detection by default.
  public init(header: Header = .auto, delimiter: Delimiter = .auto) {
    self.header = header
    self.delimiter = delimiter
  }
}

/// A rectangular table of numbers read from a CSV file (plain or gzip'd), row-major.
///
/// Every row must have the same number of fields, and every field must be a finite number
/// (decimal, optionally signed, with exponent); errors give `file:line`. Blank lines are skipped,
/// a UTF-8 byte-order mark and `\r\n` line ends are accepted, and quoted fields follow RFC 4180
/// (a field in double quotes may hold the delimiter, line breaks and `""` for a quote; the
/// quotes are removed).
public struct CSVTable: Sendable, Equatable {
  /// Column names from the header line, or `nil` when there was none.
  public let columnNames: [String]?
  /// Number of data rows.
  public let rowCount: Int
  /// Number of columns.
  public let columnCount: Int
  /// The values, row-major: `rowCount × columnCount`.
  public let values: [Float]
  /// The 1-based line of the file each row came from (for error messages about a row).
  public let lineNumbers: [Int]
  /// Names the source in error messages.
  public let path: String

  /// Reads a CSV file; a gzip'd one (magic `1f 8b`) is decompressed first.
  ///
  /// - Throws: `DataError` naming the file (and the line, for a bad row or field).
  public init(contentsOf url: URL, options: CSVOptions = CSVOptions(), maxBytes: Int = DataLimits.maxBytes) throws {
    try self.init(parsing: readPossiblyCompressedFile(url, maxBytes: maxBytes), path: url.path, options: options)
  }

  /// Parses CSV text; `path` names it in errors.
  public init(parsing text: [UInt8], path: String = "<memory>", options: CSVOptions = CSVOptions()) throws {
    self.path = path
    var lines = CSVLines(text)
    guard let (firstLineNumber, firstLine) = lines.next() else {
      throw DataError.malformed(path: path, reason: "no data (the file is empty or blank)")
    }
    let delimiter = options.delimiter == .auto ? Self.detectDelimiter(firstLine) : options.delimiter
    let firstFields = splitFields(firstLine, delimiter)
    let hasHeader: Bool
    switch options.header {
    case .present: hasHeader = true
    case .absent: hasHeader = false
    case .auto: hasHeader = firstFields.contains { parseNumber($0) == nil }
    }
    let names = hasHeader ? firstFields.map { String(decoding: $0, as: UTF8.self) } : nil
    let width = firstFields.count

    var values = [Float]()
    var lineNumbers = [Int]()
    func addRow(_ fields: [ArraySlice<UInt8>], line: Int) throws {
      guard fields.count == width else {
        let origin = hasHeader ? "the header" : "line \(firstLineNumber)"
        throw DataError.badLine(
          path: path, line: line, reason: "\(fields.count) fields, but \(origin) has \(width)")
      }
      for (column, field) in fields.enumerated() {
        guard let value = parseNumber(field) else {
          let text = String(decoding: field.prefix(40), as: UTF8.self)
          let name = names.map { " ('\($0[column])')" } ?? ""
          throw DataError.badLine(
            path: path, line: line,
            reason: text.isEmpty
              ? "field \(column + 1)\(name) is empty"
              : "field \(column + 1)\(name) is not a finite number: '\(text)'"
                + (text.contains(",") && text.replacingOccurrences(of: ",", with: ".").allSatisfy { "0123456789.-+eE".contains($0) }
                  ? " (a decimal comma? write numbers with '.')" : ""))
        }
        values.append(value)
      }
      lineNumbers.append(line)
    }
    if !hasHeader { try addRow(firstFields, line: firstLineNumber) }
    while let (number, line) = lines.next() { try addRow(splitFields(line, delimiter), line: number) }
    columnNames = names
    columnCount = width
    self.values = values
    self.lineNumbers = lineNumbers
    rowCount = lineNumbers.count
  }

  /// Picks a delimiter from the first line: comma, tab, semicolon, else whitespace.
  private static func detectDelimiter(_ line: ArraySlice<UInt8>) -> CSVOptions.Delimiter {
    if line.contains(UInt8(ascii: ",")) { return .comma }
    if line.contains(UInt8(ascii: "\t")) { return .tab }
    if line.contains(UInt8(ascii: ";")) { return .semicolon }
    return .whitespace
  }

  /// The values of column `index`, top to bottom.
  public func column(_ index: Int) -> [Float] {
    (0..<rowCount).map { values[$0 * columnCount + index] }
  }
}

/// Splits text into non-blank records (without their `\n` / `\r\n`), numbered by the line
/// they start on (from 1). As RFC 4180 allows, a line break inside a double-quoted field
/// belongs to the field.
struct CSVLines: IteratorProtocol {
  private let text: [UInt8]
  private var position = 0
  private var lineNumber = 0

  init(_ text: [UInt8]) {
    self.text = text
    if text.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }  // UTF-8 byte-order mark
  }

  mutating func next() -> (Int, ArraySlice<UInt8>)? {
    while position < text.count {
      let first = lineNumber + 1
      var end = position
      var inQuotes = false
      while end < text.count {
        let b = text[end]
        if b == UInt8(ascii: "\"") { inQuotes.toggle() } else if b == UInt8(ascii: "\n") {
          lineNumber += 1
          if !inQuotes { break }
        }
        end += 1
      }
      if end == text.count { lineNumber += 1 }
      var line = text[position..<end]
      position = end + 1
      if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
      if line.contains(where: { !isBlank($0) }) { return (first, line) }
    }
    return nil
  }
}

private func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

/// Splits a record into trimmed, unquoted fields, following RFC 4180: a field in double quotes
/// may hold the delimiter, line breaks and `""` (one quote).
private func splitFields(_ line: ArraySlice<UInt8>, _ delimiter: CSVOptions.Delimiter) -> [ArraySlice<UInt8>] {
  let quote = UInt8(ascii: "\"")
  let separator: UInt8?
  switch delimiter {
  case .whitespace, .auto: separator = nil
  case .comma: separator = UInt8(ascii: ",")
  case .tab: separator = UInt8(ascii: "\t")
  case .semicolon: separator = UInt8(ascii: ";")
  }
  var raw: [ArraySlice<UInt8>] = []
  if !line.contains(quote) {  // the common case: no quotes, a plain split
    raw = separator.map { line.split(separator: $0, omittingEmptySubsequences: false) } ?? line.split(whereSeparator: isBlank)
  } else {
    var start = line.startIndex, inQuotes = false, i = line.startIndex
    while i < line.endIndex {
      let b = line[i]
      if b == quote {
        inQuotes.toggle()
      } else if !inQuotes, separator.map({ b == $0 }) ?? isBlank(b) {
        if separator != nil || i > start { raw.append(line[start..<i]) }
        start = i + 1
      }
      i += 1
    }
    if separator != nil || start < line.endIndex { raw.append(line[start..<line.endIndex]) }
  }
  return raw.map { field in
    var f = field
    while let b = f.first, isBlank(b) { f = f.dropFirst() }
    while let b = f.last, isBlank(b) { f = f.dropLast() }
    guard f.count >= 2, f.first == quote, f.last == quote else { return f }
    f = f.dropFirst().dropLast()
    guard f.contains(quote) else { return f }
    // `""` inside a quoted field is one quote.
    var unescaped: [UInt8] = []
    var previousWasQuote = false
    for b in f {
      if b == quote && previousWasQuote { previousWasQuote = false; continue }
      previousWasQuote = b == quote
      unescaped.append(b)
    }
    return unescaped[...]
  }
}

/// Parses a finite `Float`; small unsigned integers (the common case: pixels, labels) take a
/// fast exact path, everything else goes through the standard library's correctly rounded parser.
func parseNumber(_ field: ArraySlice<UInt8>) -> Float? {
  if !field.isEmpty && field.count <= 7 {
    var n = 0
    var digitsOnly = true
    for b in field {
      guard b >= 0x30 && b <= 0x39 else { digitsOnly = false; break }
      n = n * 10 + Int(b - 0x30)
    }
    if digitsOnly { return Float(n) }  // < 10^7 < 2^24: exact
  }
  guard !field.isEmpty, field.count < 64,
    let value = Float(String(decoding: field, as: UTF8.self)), value.isFinite
  else { return nil }
  return value
}
