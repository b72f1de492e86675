import Foundation

/// Reads `Fixtures/<name>` (copied into the test bundle) as JSON of type `T`.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
  let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
  return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}
