import Foundation
import Testing

@testable import BackpropData

/// The test target's copied `Fixtures/` directory.
let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

/// The repository's `Data/` directory, found from this source file's location (the tests may
/// run from a scratch package whose working directory is elsewhere).
let repositoryDataDirectory: URL = {
  var dir = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
  while dir.path != "/" {
    let candidate = dir.appendingPathComponent("Data")
    if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("digits.csv.gz").path) { return candidate }
    dir = dir.deletingLastPathComponent()
  }
  return URL(fileURLWithPath: "/nonexistent")
}()

/// A fresh empty directory under the system temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-data-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  func file(_ name: String) -> URL { url.appendingPathComponent(name) }
  func write(_ bytes: [UInt8], to name: String) throws -> URL {
    let target = file(name)
    try Data(bytes).write(to: target)
    return target
  }
  func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body`, expects it to throw a `DataError`, and returns it (nil, with a recorded issue,
/// when it does not throw one).
@discardableResult
func expectDataError(
  _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> DataError? {
  do {
    try body()
    Issue.record("expected a DataError, nothing was thrown", sourceLocation: sourceLocation)
  } catch let error as DataError {
    return error
  } catch {
    Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

/// The big-endian bytes of a `UInt32`.
func bigEndian(_ value: UInt32) -> [UInt8] {
  [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}
