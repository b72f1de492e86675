/// Randomly zeroes elements in training mode and rescales the rest (inverted dropout), so that
/// evaluation needs no change: `y = x ⊙ m / (1 − p)` with `mᵢ ~ Bernoulli(1 − p)`.
///
/// The mask comes from the layer's own `SeededGenerator`, whose state is saved in checkpoints:
/// resuming draws exactly the masks an uninterrupted run would have drawn.
/// In evaluation mode (`eval()`) it is the identity.
public final class Dropout<Scalar: TensorScalar>: Layer {
  /// The probability `p` of zeroing an element, in `[0, 1)`.
  public let probability: Double
  /// The generator the masks are drawn from.
  public var generator: SeededGenerator
  /// Whether masks are applied (training) or not (evaluation).
  public var isTraining = true

  /// A dropout layer with drop probability `probability`, drawing masks from a generator seeded
  /// with `seed`.
  public init(probability: Double, seed: UInt64) {
    require(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1), got \(probability)")
    self.probability = probability
    generator = SeededGenerator(seed: seed)
  }

  /// A dropout layer whose mask generator is seeded from the global generator (`Random.seed(_:)`).
  public convenience init(probability: Double) {
    self.init(probability: probability, seed: Random.withGlobalGenerator { $0.next() })
  }

  /// `x ⊙ m / (1 − p)` in training, `x` in evaluation.
  ///
  /// VJP: `g ⊙ m / (1 − p)` (the mask is a constant, recorded by the multiply).
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    guard isTraining, probability > 0 else { return input }
    let mask: [Scalar] = dropoutMask(count: input.count, keep: 1 - probability, using: &generator)
    // `try!`: the mask has the input's shape by construction.
    return input * Tensor(shape: input.shape, scalars: mask)
  }

  /// None.
  public var namedParameters: [(String, Tensor<Scalar>)] { [] }
  /// `Dropout(p)`.
  public var summaryName: String { "Dropout(\(probability))" }
  /// `.dropout(p)`.
  public var spec: LayerSpec? { .dropout(probability: probability) }
}
