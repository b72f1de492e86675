import Foundation
import Testing

/// A fresh empty directory under the system temporary directory, removed by `cleanup()`.
public struct TemporaryDirectory {
  public let url: URL

  /// Creates `backprop-<purpose>-<uuid>` in the temporary directory.
  public init(purpose: String = "tests") throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-\(purpose)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  /// The path of `name` inside the directory (not created).
  public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

  /// Writes `bytes` to `name` and returns its URL.
  public func write(_ bytes: [UInt8], to name: String) throws -> URL {
    let target = file(name)
    try Data(bytes).write(to: target)
    return target
  }

  /// Removes the directory and everything in it.
  public func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body`, expects it to throw an `E`, and returns it (nil, with a recorded issue, when it
/// throws nothing or something else).
@discardableResult
public func expectError<E: Error>(
  _ type: E.Type, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> E? {
  do {
    try body()
    Issue.record("expected a \(E.self), nothing was thrown", sourceLocation: sourceLocation)
  } catch let error as E {
    return error
  } catch {
    Issue.record("expected a \(E.self), got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}
