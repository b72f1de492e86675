import BackpropCore
import Foundation
import Testing
import _BackpropTestSupport

// Makes it impossible to add an op without a row in `OpTable`: the sources of
// Sources/BackpropCore/Ops/ are scanned for public functions and for the op names they record,
// and each must be exercised by some row.

enum OpSources {
  /// Sources/BackpropCore/Ops, found relative to this file.
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Sources/BackpropCore/Ops")

  static func files() throws -> [(name: String, text: String)] {
    guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
      throw CocoaError(.fileNoSuchFile)
    }
    var result: [(String, String)] = []
    for case let url as URL in walker where url.pathExtension == "swift" {
      result.append((url.lastPathComponent, try String(contentsOf: url, encoding: .utf8)))
    }
    return result.sorted { $0.0 < $1.0 }
  }

  /// Op names recorded on the tape: `record("exp"`, `recordResult("exp"`, `unary("exp"`.
  static func recordedOpNames(in text: String) -> Set<String> {
    let regex = try! NSRegularExpression(pattern: #"\b(?:record|recordResult|unary)\(\s*"([^"]+)""#)
    let ns = text as NSString
    return Set(regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map {
      ns.substring(with: $0.range(at: 1))
    })
  }

  /// Public functions as Swift full names: `sum(alongAxes:keepingDims:)`, `+(_:_:)`, `-(_:)`.
  static func publicFunctions(in text: String) -> Set<String> {
    let regex = try! NSRegularExpression(pattern: #"public\s+(?:static\s+)?(?:prefix\s+)?func\s+([^\s(<]+)\s*(?:<[^>]*>)?\s*\("#)
    let chars = Array(text.utf16)
    let ns = text as NSString
    var names: Set<String> = []
    for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
      let name = ns.substring(with: match.range(at: 1))
      // The parameter list runs to the matching parenthesis.
      var depth = 1, i = match.range.location + match.range.length, start = i
      var params: [String] = []
      while i < chars.count, depth > 0 {
        switch chars[i] {
        case UInt16(UInt8(ascii: "(")), UInt16(UInt8(ascii: "[")): depth += 1
        case UInt16(UInt8(ascii: ")")), UInt16(UInt8(ascii: "]")):
          depth -= 1
          if depth == 0 { params.append(ns.substring(with: NSRange(location: start, length: i - start))) }
        case UInt16(UInt8(ascii: ",")) where depth == 1:
          params.append(ns.substring(with: NSRange(location: start, length: i - start)))
          start = i + 1
        default: break
        }
        i += 1
      }
      let isOperator = !(name.first!.isLetter || name.first == "_")
      let labels = params.compactMap { p -> String? in
        let head = p.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let words = head.split(whereSeparator: \.isWhitespace)
        guard let first = words.first else { return nil }
        return isOperator ? "_" : String(first)
      }
      names.insert("\(name)(\(labels.map { "\($0):" }.joined()))")
    }
    return names
  }

  /// Every op name recorded in the graph that `row` builds (walking back from its output).
  static func opsRecorded(by row: OpRow) throws -> Set<String> {
    var stack = [try row.apply(row.inputs().map { $0.leafCopy() })]
    var seen: Set<String> = []
    while let t = stack.popLast() {
      if let op = t.opName { seen.insert(op) }
      stack.append(contentsOf: t.graphInputs)
    }
    return seen
  }
}

@Suite struct OpCoverageTests {
  @Test func theScannerSeesTheOps() throws {
    // Guards the scanner itself: if the regexes stopped matching, the coverage tests below would
    // pass vacuously.
    let files = try OpSources.files()
    #expect(files.count >= 20, "found only \(files.map(\.name)) under \(OpSources.directory.path)")
    let recorded = files.reduce(into: Set<String>()) { $0.formUnion(OpSources.recordedOpNames(in: $1.text)) }
    let functions = files.reduce(into: Set<String>()) { $0.formUnion(OpSources.publicFunctions(in: $1.text)) }
    #expect(recorded.isSuperset(of: ["add", "exp", "matmul", "sum", "max", "slice", "negate"]), "\(recorded.sorted())")
    #expect(functions.isSuperset(of: ["+(_:_:)", "-(_:)", "exp()", "sum(toShape:)", "softmax(alongAxis:)",
                                      "matmul(_:_:transposeA:transposeB:)", "sliced(along:_:)"]), "\(functions.sorted())")
    #expect(OpSources.publicFunctions(in: "public static func f<S>(_ a: [Int] = [1, 2], b c: (Int) -> Int) {}")
            == ["f(_:b:)"])
  }

  @Test func everyPublicOpHasARow() throws {
    let functions = try OpSources.files().reduce(into: Set<String>()) { $0.formUnion(OpSources.publicFunctions(in: $1.text)) }
    let covered = Set(OpTable.rows.map(\.api))
    let missing = functions.subtracting(covered).subtracting(nonDifferentiableOps.keys)
    #expect(missing.isEmpty, "public ops in Sources/BackpropCore/Ops without a row in OpTable: \(missing.sorted())")
    let stale = Set(nonDifferentiableOps.keys).subtracting(functions)
    #expect(stale.isEmpty, "nonDifferentiableOps lists functions that no longer exist: \(stale.sorted())")
    let unknown = covered.subtracting(functions)
    #expect(unknown.isEmpty, "rows name APIs that Ops/ does not declare: \(unknown.sorted())")
  }

  @Test func everyRecordedOpIsExercisedByARow() throws {
    let recorded = try OpSources.files().reduce(into: Set<String>()) { $0.formUnion(OpSources.recordedOpNames(in: $1.text)) }
    var exercised: Set<String> = []
    for row in OpTable.rows { exercised.formUnion(try OpSources.opsRecorded(by: row)) }
    let missing = recorded.subtracting(exercised)
    #expect(missing.isEmpty, "ops recorded in Ops/ that no OpTable row reaches: \(missing.sorted())")
  }

  @Test func rowNamesAreUniqueAndInputsMatchShapes() {
    let names = OpTable.rows.map(\.name)
    #expect(Set(names).count == names.count, "duplicate row names")
    for row in OpTable.rows {
      #expect(row.shapes.count == row.domains.count, "\(row.name): one domain per input")
      #expect(row.inputs().map(\.shape) == row.shapes, "\(row.name)")
    }
  }

  @Test(arguments: OpTable.rows)
  func everyRowBuildsAGraphThatReachesEveryInput(_ row: OpRow) throws {
    // A row whose closure ignored an input (or ran outside the tape) would make its gradient
    // checks vacuous for that input.
    let inputs = row.inputs().map { $0.leafCopy() }
    let y = try row.apply(inputs)
    #expect(y.requiresGrad && !y.isLeaf, "\(row.name) recorded nothing")
    let seed = Tensor<Double>.seeded(y.shape, .uniform(0.5, 1.5), seed: 3)
    try y.backward(seed: seed)
    for (i, x) in inputs.enumerated() {
      #expect(x.grad != nil, "\(row.name): input \(i) received no gradient")
    }
  }
}
