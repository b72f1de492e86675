import Foundation
import Testing

/// Reads `Fixtures/<name>` (copied into the test bundle) as JSON of type `T`.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
  try JSONDecoder().decode(T.self, from: Data(contentsOf: fixtureURL(name)))
}

/// The URL of `Fixtures/<name>` in the test bundle.
func fixtureURL(_ name: String) -> URL {
  Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// A scratch file path that is removed when the returned closure runs.
func temporaryFile(_ name: String) -> URL {
  FileManager.default.temporaryDirectory.appendingPathComponent("backprop-nn-\(UUID().uuidString)-\(name)")
}
