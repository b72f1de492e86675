// Layers that CNNs use beside convolutions: channel dropout and the newer activations.

/// Zeroes whole channels of (N, C, H, W) (or (N, C, L)) in training and rescales the rest by
/// 1/(1 − p) (PyTorch's `nn.Dropout2d`); the identity in evaluation mode.
public final class Dropout2d<Scalar: TensorScalar>: Layer {
  public let probability: Double
  public var generator: SeededGenerator
  public var isTraining = true

  public init(probability: Double = 0.5, seed: UInt64) {
    require(probability >= 0 && probability < 1, "Dropout2d probability must be in [0, 1), got \(probability)")
    self.probability = probability
    generator = SeededGenerator(seed: seed)
  }

  /// A layer whose mask generator is seeded from the global generator (`Random.seed(_:)`).
  public convenience init(probability: Double = 0.5) {
    self.init(probability: probability, seed: Random.withGlobalGenerator { $0.next() })
  }

  /// `x ⊙ m / (1 − p)` with one Bernoulli(1 − p) draw per (sample, channel).
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    guard isTraining, probability > 0 else { return input }
    require(input.rank >= 3, "Dropout2d: input of shape \(input.shape) must be (N, C, …)")
    let maskShape = [input.shape[0], input.shape[1]] + [Int](repeating: 1, count: input.rank - 2)
    let mask: [Scalar] = dropoutMask(count: input.shape[0] * input.shape[1], keep: 1 - probability, using: &generator)
    return input * Tensor(shape: maskShape, scalars: mask)
  }

  public var namedParameters: [(String, Tensor<Scalar>)] { [] }
  public var summaryName: String { "Dropout2d(\(probability))" }
  public var spec: LayerSpec? { .dropout2d(probability: probability) }
}

/// x·σ(x) (PyTorch's `nn.SiLU`).
public final class SiLU<Scalar: TensorScalar>: ParameterlessLayer {
  public init() {}
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.silu() }
  public var summaryName: String { "SiLU" }
  public var spec: LayerSpec? { .silu }
}

/// x for x > 0, α(eˣ − 1) otherwise (PyTorch's `nn.ELU`).
public final class ELU<Scalar: TensorScalar>: ParameterlessLayer {
  public let alpha: Double
  public init(alpha: Double = 1) { self.alpha = alpha }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.elu(alpha: Scalar(alpha)) }
  public var summaryName: String { "ELU(\(alpha))" }
  public var spec: LayerSpec? { .elu(alpha: alpha) }
}

/// log(1 + e^(βx))/β (PyTorch's `nn.Softplus`).
public final class Softplus<Scalar: TensorScalar>: ParameterlessLayer {
  public let beta: Double
  public let threshold: Double
  public init(beta: Double = 1, threshold: Double = 20) { (self.beta, self.threshold) = (beta, threshold) }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.softplus(beta: Scalar(beta), threshold: Scalar(threshold))
  }
  public var summaryName: String { "Softplus" }
}
