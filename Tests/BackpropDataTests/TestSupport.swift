import Foundation
import Testing
import _BackpropTestSupport

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

/// Runs `body` and expects it to throw a `DataError` (see `expectError`).
@discardableResult
func expectDataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
  expectError(DataError.self, sourceLocation: sourceLocation, body)
}

/// The big-endian bytes of a `UInt32`.
func bigEndian(_ value: UInt32) -> [UInt8] {
  [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}
