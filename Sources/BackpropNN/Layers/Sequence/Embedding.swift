import BackpropCore

/// A lookup table of `vocabularySize` learned vectors (PyTorch's `nn.Embedding`).
///
/// Indices are integers; the `Layer` entry point takes them as a tensor of integral values
/// (`[batch, T]` → `[batch, T, dimension]`), `callAsFunction(indices:shape:)` takes `[Int]`.
/// Parameter: `weight` `[vocabularySize, dimension]`, initialised `N(0, 1)` like PyTorch's
/// (the `paddingIndex` row starts at zero and never gets a gradient).
public final class Embedding<Scalar: TensorScalar>: Layer {
  /// The table, one row per index.
  public let weight: Tensor<Scalar>
  /// The index whose row gets no gradient, or `nil`.
  public let paddingIndex: Int?
  /// Unused (a lookup acts the same in both modes).
  public var isTraining = true
  /// Number of rows.
  public var vocabularySize: Int { weight.shape[0] }
  /// Length of each row.
  public var dimension: Int { weight.shape[1] }

  /// A table drawn from `N(0, standardDeviation²)` with the global generator.
  public init(_ vocabularySize: Int, _ dimension: Int, paddingIndex: Int? = nil, standardDeviation: Double = 1) {
    require(vocabularySize > 0 && dimension > 0, "Embedding", "needs positive sizes, got \(vocabularySize) × \(dimension)")
    let w = Tensor<Scalar>.randomNormal([vocabularySize, dimension], standardDeviation: Scalar(standardDeviation))
    if let p = paddingIndex {
      require(p >= 0 && p < vocabularySize, "Embedding", "padding index \(p) is outside 0..<\(vocabularySize)")
      w.update { s in for j in 0..<dimension { s[p * dimension + j] = 0 } }
    }
    w.requiresGrad = true
    (weight, self.paddingIndex) = (w, paddingIndex)
  }

  /// The rows at `indices`, shaped `shape + [dimension]` (default `[indices.count, dimension]`).
  public func callAsFunction(indices: [Int], shape: [Int]? = nil) -> Tensor<Scalar> {
    Tensor.embedding(indices, shape: shape, weight: weight, paddingIndex: paddingIndex)
  }

  /// The rows at the indices held (as integral values) in `input`: shape `input.shape + [dimension]`.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    callAsFunction(indices: input.scalars.map { Int($0) }, shape: input.shape)
  }

  /// `weight`.
  public var namedParameters: [(String, Tensor<Scalar>)] { [("weight", weight)] }
  /// E.g. `Embedding(65, 64)`.
  public var summaryName: String { "Embedding(\(vocabularySize), \(dimension))" }
}
