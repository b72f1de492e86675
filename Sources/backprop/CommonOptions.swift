import ArgumentParser
import Foundation

/// `--json`: machine-readable output instead of the readable table.
struct OutputOptions: ParsableArguments {
  @Flag(help: "Print one JSON object instead of a readable table.")
  var json = false
}

/// Encodes a value as pretty, key-sorted JSON on standard output.
func printJSON<T: Encodable>(_ value: T) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
  let data = try encoder.encode(value)
  print(String(decoding: data, as: UTF8.self))
}

/// Parses a comma-separated list of numbers (`1,2,-0.5`), with an error naming the option.
func parseNumbers(_ text: String, option: String) throws -> [Double] {
  let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
  return try parts.map { part in
    guard let v = Double(part), v.isFinite else {
      throw CommandError("\(option): '\(part)' is not a finite number (expected a comma-separated list like 1,2,3)")
    }
    return v
  }
}

/// Formats a number compactly for tables.
func fmt(_ x: Double, _ digits: Int = 6) -> String {
  String(format: "%.\(digits)g", x)
}
