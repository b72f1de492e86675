// libFuzzer target: the numeric CSV reader. The first input byte picks the options (header mode ×
// delimiter); the rest is the file, decompressed first when it starts with the gzip magic (as
// `CSVTable(contentsOf:)` does). Seeds in Fuzz/corpus/csv/.
import BackpropData

private let headers: [CSVOptions.Header] = [.auto, .present, .absent]
private let delimiters: [CSVOptions.Delimiter] = [.auto, .comma, .tab, .semicolon, .whitespace]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size >= 1 else { return 0 }
  let selector = Int(data[0])
  var text = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  let options = CSVOptions(header: headers[selector % 3], delimiter: delimiters[(selector / 3) % 5])
  if Gzip.isCompressed(text) {
    guard let inflated = try? Gzip.decompress(text, path: "fuzz.csv.gz", maxOutputBytes: 1 << 24) else { return 0 }
    text = inflated
  }
  guard let table = try? CSVTable(parsing: text, path: "fuzz.csv", options: options) else { return 0 }
  precondition(table.columnCount >= 1, "a table without columns")
  precondition(table.values.count == table.rowCount * table.columnCount, "values disagree with rows × columns")
  precondition(table.lineNumbers.count == table.rowCount, "line numbers disagree with rows")
  precondition(table.values.allSatisfy(\.isFinite), "a non-finite value was accepted")
  precondition(zip(table.lineNumbers, table.lineNumbers.dropFirst()).allSatisfy { $0 < $1 }, "line numbers not increasing")
  if let names = table.columnNames { precondition(names.count == table.columnCount, "names disagree with columns") }
  for c in 0..<table.columnCount { precondition(table.column(c).count == table.rowCount, "column \(c)") }
  return 0
}
