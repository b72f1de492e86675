// Activation functions as layers, so that a network reads as a list:
// `Sequential(Linear(…), ReLU(), Linear(…))`. Each one forwards to the core op of the same
// name, whose derivative lives beside its forward pass in BackpropCore.

/// `max(x, 0)` elementwise. Derivative: `1[x > 0]`.
public final class ReLU<Scalar: TensorScalar>: ParameterlessLayer {
  /// A ReLU layer.
  public init() {}
  /// `max(x, 0)`.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.relu() }
  /// `ReLU`.
  public var summaryName: String { "ReLU" }
  /// `.relu`.
  public var spec: LayerSpec? { .relu }
}

/// `max(x, slope·x)` elementwise (PyTorch's `LeakyReLU`, default slope 0.01).
public final class LeakyReLU<Scalar: TensorScalar>: ParameterlessLayer {
  /// The slope for negative inputs.
  public let slope: Double
  /// A leaky ReLU with negative-side `slope`.
  public init(slope: Double = 0.01) { self.slope = slope }
  /// `max(x, slope·x)`.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.leakyRelu(slope: Scalar(slope)) }
  /// `LeakyReLU(slope)`.
  public var summaryName: String { "LeakyReLU(\(slope))" }
  /// `.leakyRelu(slope)`.
  public var spec: LayerSpec? { .leakyRelu(slope: slope) }
}

/// The logistic function `σ(x) = 1 / (1 + e^−x)`. Derivative: `σ(x)(1 − σ(x))`.
public final class Sigmoid<Scalar: TensorScalar>: ParameterlessLayer {
  /// A sigmoid layer.
  public init() {}
  /// `σ(x)`.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.sigmoid() }
  /// `Sigmoid`.
  public var summaryName: String { "Sigmoid" }
  /// `.sigmoid`.
  public var spec: LayerSpec? { .sigmoid }
}

/// The hyperbolic tangent. Derivative: `1 − tanh²(x)`.
public final class Tanh<Scalar: TensorScalar>: ParameterlessLayer {
  /// A tanh layer.
  public init() {}
  /// `tanh(x)`.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.tanh() }
  /// `Tanh`.
  public var summaryName: String { "Tanh" }
  /// `.tanh`.
  public var spec: LayerSpec? { .tanh }
}

/// The Gaussian error linear unit `x·Φ(x)` (PyTorch's exact `GELU`).
public final class GELU<Scalar: TensorScalar>: ParameterlessLayer {
  /// A GELU layer.
  public init() { approximate = .none }
  /// `x·Φ(x)`.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.gelu(approximate: approximate) }
  /// `.none` (exact, erf) or `.tanh` (PyTorch's `approximate='tanh'`).
  public let approximate: GELUApproximation
  /// A GELU layer with the tanh approximation, or exact.
  public init(approximate: GELUApproximation) { self.approximate = approximate }
  /// `GELU`, or `GELU(tanh)`.
  public var summaryName: String { approximate == .none ? "GELU" : "GELU(tanh)" }
  /// `.gelu` (exact only: the tanh form has no checkpoint spec yet).
  public var spec: LayerSpec? { approximate == .none ? .gelu : nil }
}

/// Softmax along the last axis: `exp(xᵢ) / Σⱼ exp(xⱼ)`, computed stably.
///
/// Do not put it before `softmaxCrossEntropy`, which takes raw logits; use it for a model that
/// must output probabilities.
public final class Softmax<Scalar: TensorScalar>: ParameterlessLayer {
  /// A softmax layer over the last axis.
  public init() {}
  /// `softmax(x)` along the last axis.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.softmax(alongAxis: -1) }
  /// `Softmax`.
  public var summaryName: String { "Softmax" }
  /// `.softmax`.
  public var spec: LayerSpec? { .softmax }
}

/// Reshapes `[batch, d₁, d₂, …]` to `[batch, d₁·d₂·…]` (e.g. 28×28 images to 784 features).
public final class Flatten<Scalar: TensorScalar>: ParameterlessLayer {
  /// A flatten layer that keeps the first (batch) axis.
  public init() {}
  /// `x.reshaped(to: [batch, -1])`; a rank-1 input is returned as is.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    // `try!`: a reshape that keeps the element count cannot fail.
    input.rank <= 2 ? input : input.reshaped(to: [input.shape[0], -1])
  }
  /// `Flatten`.
  public var summaryName: String { "Flatten" }
  /// `.flatten`.
  public var spec: LayerSpec? { .flatten }
}
