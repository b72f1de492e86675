import Foundation
import Testing

@testable import BackpropIO

/// The test target's copied `Fixtures/` directory.
let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

/// A fresh empty directory under the system temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-io-tests-\(UUID().uuidString)")
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
