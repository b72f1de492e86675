import Foundation

/// Which CSV column holds the label (classification) or target (regression).
public enum LabelColumn: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
  /// The last column (the default, as in most UCI files).
  case last
  /// The first column (as in Kaggle's MNIST/Fashion-MNIST CSVs).
  case first
  /// Column `index`, 0-based; negative counts from the end (-1 is the last).
  case index(Int)
  /// The column with this header name (needs a header line).
  case name(String)

  /// `5` means `.index(5)`.
  public init(integerLiteral value: Int) { self = .index(value) }
  /// `"target"` means `.name("target")`.
  public init(stringLiteral value: String) { self = .name(value) }
}

extension CSVTable {
  /// The 0-based index of `column` in this table.
  ///
  /// - Throws: `DataError.malformed` naming the file for an index out of range, a name without a
  ///   header, or a name that is missing or appears twice.
  public func columnIndex(_ column: LabelColumn) throws -> Int {
    switch column {
    case .last: return columnCount - 1
    case .first: return 0
    case let .index(i):
      let resolved = i < 0 ? columnCount + i : i
      guard (0..<columnCount).contains(resolved) else {
        throw DataError.malformed(path: path, reason: "label column \(i) is out of range: the file has \(columnCount) columns")
      }
      return resolved
    case let .name(name):
      guard let names = columnNames else {
        throw DataError.malformed(path: path, reason: "no header line, so there is no column named '\(name)'")
      }
      let matches = names.indices.filter { names[$0] == name }
      guard matches.count == 1 else {
        throw DataError.malformed(
          path: path,
          reason: matches.isEmpty
            ? "no column named '\(name)' (columns: \(names.prefix(12).joined(separator: ", "))\(names.count > 12 ? ", ..." : ""))"
            : "column name '\(name)' appears \(matches.count) times")
      }
      return matches[0]
    }
  }
}

extension Dataset {
  /// The most classes a CSV label column may imply (a guard against reading a regression target
  /// such as a price as a class index).
  public static let maxCSVClassCount = 100_000

  /// Loads a numeric CSV file (plain or gzip'd) as a data set: every column but `labelColumn`
  /// is a feature.
  ///
  /// For `.classification` the label column must hold whole numbers ≥ 0 (class indices);
  /// `classCount` defaults to the largest plus one. For `.regression` it holds the target.
  ///
  /// - Parameter name: defaults to the file name without `.csv` / `.csv.gz`.
  /// - Throws: `DataError` naming the file (and line): missing file, ragged rows, non-numbers,
  ///   bad label column, labels that are not class indices.
  public static func csv(
    contentsOf url: URL, task: DatasetTask = .classification, labelColumn: LabelColumn = .last,
    options: CSVOptions = CSVOptions(), classCount: Int? = nil, name: String? = nil
  ) throws -> Dataset {
    let table = try CSVTable(contentsOf: url, options: options)
    var base = url.lastPathComponent
    for suffix in [".gz", ".csv", ".tsv", ".txt"] where base.hasSuffix(suffix) { base.removeLast(suffix.count) }
    return try Dataset(table: table, task: task, labelColumn: labelColumn, classCount: classCount, name: name ?? base)
  }

  /// Makes a data set from a parsed table; see `csv(contentsOf:task:labelColumn:options:classCount:name:)`.
  public init(
    table: CSVTable, task: DatasetTask = .classification, labelColumn: LabelColumn = .last,
    classCount: Int? = nil, name: String
  ) throws {
    let label = try table.columnIndex(labelColumn)
    guard table.columnCount >= 2 else {
      throw DataError.malformed(path: table.path, reason: "need a label column and at least one feature column")
    }
    guard table.rowCount > 0 else { throw DataError.malformed(path: table.path, reason: "no data rows") }
    let d = table.columnCount - 1
    var features = [Float]()
    features.reserveCapacity(table.rowCount * d)
    for r in 0..<table.rowCount {
      let row = table.values[r * table.columnCount..<(r + 1) * table.columnCount]
      features.append(contentsOf: row[row.startIndex..<row.startIndex + label])
      features.append(contentsOf: row[(row.startIndex + label + 1)...])
    }
    let featureNames = table.columnNames.map { names in names.indices.filter { $0 != label }.map { names[$0] } }
    let column = table.column(label)
    switch task {
    case .regression:
      try self.init(name: name, features: features, featureCount: d, targets: column, featureNames: featureNames)
    case .classification:
      let limit = classCount ?? Self.maxCSVClassCount
      let labels = try column.enumerated().map { r, value -> Int in
        guard let k = Int(exactly: value), k >= 0, k < limit else {
          let what = table.columnNames.map { "'\($0[label])'" } ?? "\(label + 1)"
          throw DataError.badLine(
            path: table.path, line: table.lineNumbers[r],
            reason: "label column \(what) holds \(value), not a class index in 0..<\(limit)"
              + (classCount == nil ? " (use task: .regression for real-valued targets)" : ""))
        }
        return k
      }
      try self.init(
        name: name, features: features, featureCount: d, labels: labels, classCount: classCount,
        featureNames: featureNames)
    }
  }
}
