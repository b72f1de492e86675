import BackpropCore

/// The bigram model of makemore: a `(V, V)` table of logits, row `a` scoring the token after
/// `a`. It is the baseline the other architectures must beat.
///
/// Forward: `logits[b, t] = W[tokens[b, t]]` (`gatheringRows`); its gradient adds each
/// position's `g` back into the row it came from. Parameter: `weight` `(V, V)`, PyTorch's
/// `nn.Embedding(V, V)` initialised `N(0, 1)`.
public final class BigramLanguageModel<Scalar: TensorScalar>: LanguageModel {
  /// The logit table.
  public let weight: Tensor<Scalar>
  /// Always `bigram`.
  public var architecture: String { "bigram" }
  /// `V`.
  public var vocabularySize: Int { weight.shape[0] }
  /// The context the model was trained with (a bigram model reads only the last token).
  public let contextLength: Int
  /// Unused (no dropout).
  public var isTraining = true

  /// A new model with `N(0, 1)` logits.
  public init(vocabularySize: Int, contextLength: Int, using generator: inout SeededGenerator) {
    require(vocabularySize > 0 && contextLength > 0, "BigramLanguageModel", "needs positive sizes, got \(vocabularySize), \(contextLength)")
    weight = Initializer.normal(mean: 0, standardDeviation: 1).makeTensor(
      [vocabularySize, vocabularySize], fanIn: vocabularySize, fanOut: vocabularySize, using: &generator)
    weight.requiresGrad = true
    self.contextLength = contextLength
  }

  /// `(batch, T, V)` logits: row `tokens[b, t]` of the table.
  public func logits(_ tokens: [Int], batchSize: Int) -> Tensor<Scalar> {
    require(batchSize > 0 && tokens.count % batchSize == 0, "BigramLanguageModel", "\(tokens.count) tokens do not split into \(batchSize) rows")
    return weight.gatheringRows(tokens).reshaped(to: [batchSize, tokens.count / batchSize, vocabularySize])
  }

  /// `weight`.
  public var namedParameters: [(String, Tensor<Scalar>)] { [("weight", weight)] }
  /// The trainable tensors, in the order of `namedParameters`.
  public var parameters: [Tensor<Scalar>] { namedParameters.map(\.1) }
  /// The number of trainable scalars.
  public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.1.count } }
}
