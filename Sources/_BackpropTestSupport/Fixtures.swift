import BackpropCore
import Foundation

/// A tensor as the fixture scripts in `Tools/` write it: `{"shape": [2, 3], "data": [...]}`
/// (row-major, float64). JSON numbers written by Python's `repr` round-trip exactly.
public struct FixtureTensor: Codable, Sendable, Equatable {
  public var shape: [Int]
  public var data: [Double]

  public init(shape: [Int], data: [Double]) {
    self.shape = shape
    self.data = data
  }

  /// The tensor in the given precision.
  /// - Throws: `TensorError.invalidArgument` if `data` does not fill `shape`.
  public func tensor<S: TensorScalar>(_: S.Type = Double.self, requiresGrad: Bool = false) throws -> Tensor<S> {
    Tensor<S>(shape: shape, scalars: data.map { S($0) }, requiresGrad: requiresGrad)
  }
}

/// One fixture expression: inputs, the forward result, the cotangent `u`, and the gradients of
/// `sum(output ⊙ u)` with respect to each input (`nil` where the input does not require one).
public struct FixtureCase: Codable, Sendable {
  public var name: String
  public var inputs: [FixtureTensor]
  public var output: FixtureTensor
  public var cotangent: FixtureTensor
  public var gradients: [FixtureTensor?]
}

/// The top of a fixture file: which script and PyTorch version wrote it, and the cases.
public struct FixtureFile<Case: Codable & Sendable>: Codable, Sendable {
  public var generator: String
  public var torch: String
  public var seed: Int?
  public var cases: [Case]
}

public enum FixtureError: Error, CustomStringConvertible {
  case missing(String)
  public var description: String {
    switch self {
    case let .missing(path): return "fixture \(path) not found; regenerate it with the script in Tools/"
    }
  }
}

/// Decodes a JSON fixture file.
public func loadFixture<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
  guard FileManager.default.fileExists(atPath: url.path) else { throw FixtureError.missing(url.path) }
  return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}
