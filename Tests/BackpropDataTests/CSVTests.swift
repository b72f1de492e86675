import Foundation
import Testing
import _BackpropTestSupport

@testable import BackpropData

@Suite struct CSVTests {
  func parse(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> CSVTable {
    try CSVTable(parsing: Array(text.utf8), path: "t.csv", options: options)
  }

  @Test func readsTheFixtureWithAHeader() throws {
    let data = try Dataset.csv(contentsOf: fixtures.appendingPathComponent("tiny.csv"))
    #expect(data.name == "tiny")
    #expect(data.featureNames == ["x1", "x2"])
    #expect(data.features == [0.5, 1.5, -1, 20, 3, 4])
    #expect(data.labels == [0, 1, 2] && data.classCount == 3)
  }

  @Test func detectsHeaderAndDelimiter() throws {
    #expect(try parse("1,2\n3,4\n").columnNames == nil)
    #expect(try parse("a;b\n1;2\n").columnNames == ["a", "b"])
    #expect(try parse("1\t2\n3\t4\n").values == [1, 2, 3, 4])
    #expect(try parse("  1   2\n3 4  \n").values == [1, 2, 3, 4])
    #expect(try parse("\u{FEFF}\"a\",\"b\"\r\n1,2\r\n\r\n3,4").values == [1, 2, 3, 4])
    let forced = try parse("1,2\n3,4\n", CSVOptions(header: .present))
    #expect(forced.columnNames == ["1", "2"] && forced.rowCount == 1)
  }

  /// RFC 4180: a quoted field may hold the delimiter, a line break and `""` (one quote).
  @Test func quotedFieldsFollowRFC4180() throws {
    let table = try parse("\"height, cm\",\"say \"\"hi\"\"\",\"two\nlines\"\n\"1.5\",2,3\n4,\"5\",6\n")
    #expect(table.columnNames == ["height, cm", "say \"hi\"", "two\nlines"])
    #expect(table.values == [1.5, 2, 3, 4, 5, 6])
    #expect(table.lineNumbers == [3, 4], "rows keep the line they start on")
    #expect(try parse("a\tb\n\"1\"\t\"2\"\n").values == [1, 2])
    #expect(try parse("\"a b\" c\n1 2\n").columnNames == ["a b", "c"])
    // A quoted value with the delimiter inside is one field: not a number, said so clearly.
    #expect {
      try parse("a,b\n\"1,5\",2\n")
    } throws: { error in
      (error as? DataError)?.description == "t.csv:2: field 1 ('a') is not a finite number: '1,5' (a decimal comma? write numbers with '.')"
    }
  }

  @Test func selectsTheLabelColumn() throws {
    let table = try parse("a,b,c\n1,0,5\n2,1,6\n")
    for (column, features, labels) in [
      (LabelColumn.last, [Float(1), 0, 2, 1], [5, 6]), (.first, [0, 5, 1, 6], [1, 2]), (1, [1, 5, 2, 6], [0, 1]),
      (-3, [0, 5, 1, 6], [1, 2]), ("b", [1, 5, 2, 6], [0, 1]),
    ] {
      let data = try Dataset(table: table, labelColumn: column, name: "t")
      #expect(data.features == features && data.labels == labels, "\(column)")
    }
    let regression = try Dataset(table: table, task: .regression, labelColumn: "a", name: "t")
    #expect(regression.targets == [1, 2] && regression.featureNames == ["b", "c"] && regression.task == .regression)
  }

  @Test func readsGzippedFiles() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    let url = try dir.write(Gzip.compress(Array("f,label\n1.5,1\n2.5,0\n".utf8)), to: "data.csv.gz")
    let data = try Dataset.csv(contentsOf: url)
    #expect(data.name == "data" && data.features == [1.5, 2.5] && data.labels == [1, 0])
  }

  static let badInputs: [(String, CSVOptions, String)] = [
    ("a,b\n1,2\n3\n", CSVOptions(), "t.csv:3: 1 fields, but the header has 2"),
    ("1,2\n\n3,4,5\n", CSVOptions(), "t.csv:3: 3 fields, but line 1 has 2"),
    ("a,b\n1,x2\n", CSVOptions(), "t.csv:2: field 2 ('b') is not a finite number: 'x2'"),
    ("1,2\n1,,\n", CSVOptions(), "t.csv:2: 3 fields"),
    ("1,2\n,2\n", CSVOptions(), "t.csv:2: field 1 is empty"),
    ("1,2\n1,nan\n", CSVOptions(), "t.csv:2: field 2 is not a finite number: 'nan'"),
    ("1,2\n1,1e39\n", CSVOptions(), "t.csv:2: field 2 is not a finite number: '1e39'"),
    ("a,b\n1,2\n", CSVOptions(header: .absent), "t.csv:1: field 1 is not a finite number: 'a'"),
    ("", CSVOptions(), "t.csv: no data (the file is empty or blank)"),
    ("\n \n", CSVOptions(), "t.csv: no data"),
  ]

  @Test(arguments: badInputs)
  func reportsFileAndLine(text: String, options: CSVOptions, message: String) {
    let error = expectDataError { _ = try parse(text, options) }
    #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "nil")")
  }

  @Test func rejectsLabelsThatAreNotClassIndices() throws {
    let table = try parse("x,y\n1,0\n2,1.5\n")
    let error = expectDataError { _ = try Dataset(table: table, name: "t") }
    #expect(error?.description.hasPrefix("t.csv:3: label column 'y' holds 1.5, not a class index") == true)
    #expect(error?.description.contains("task: .regression") == true)
    let negative = expectDataError { _ = try Dataset(table: parse("1,-1\n"), name: "t") }
    #expect(negative?.description.hasPrefix("t.csv:1:") == true)
    let tooMany = expectDataError { _ = try Dataset(table: parse("1,3\n"), classCount: 3, name: "t") }
    #expect(tooMany?.description.contains("not a class index in 0..<3") == true)
  }

  @Test func rejectsBadLabelColumns() throws {
    let table = try parse("a,b\n1,2\n")
    #expect(expectDataError { _ = try table.columnIndex(5) }?.description == "t.csv: label column 5 is out of range: the file has 2 columns")
    #expect(expectDataError { _ = try table.columnIndex("z") }?.description == "t.csv: no column named 'z' (columns: a, b)")
    #expect(expectDataError { _ = try parse("1,2\n").columnIndex("a") }?.description.contains("no header line") == true)
    #expect(expectDataError { _ = try parse("a,a\n1,2\n").columnIndex("a") }?.description.contains("appears 2 times") == true)
    #expect(expectDataError { _ = try Dataset(table: parse("a\n1\n"), name: "t") }?.description.contains("at least one feature") == true)
  }

  @Test func missingFileNamesThePath() {
    let error = expectDataError { _ = try Dataset.csv(contentsOf: URL(fileURLWithPath: "/no/data.csv")) }
    #expect(error == .fileNotFound(path: "/no/data.csv", hint: nil))
  }
}
