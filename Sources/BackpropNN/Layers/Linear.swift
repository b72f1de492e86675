/// A fully connected layer, `y = x · Wᵀ + b` (PyTorch's `nn.Linear`).
///
/// The weight is stored `(out, in)` like PyTorch's, so a `state_dict` saved from PyTorch loads
/// without transposing. Default initialisation is PyTorch's: `U(−1/√in, 1/√in)` for both weight
/// and bias (see `Initializer.pytorchLinearDefault`).
///
/// Parameters: `weight` `(out, in)` and `bias` `[out]`.
public final class Linear<Scalar: TensorScalar>: Layer {
  /// The weight matrix `W`, shape `(outputSize, inputSize)`.
  public let weight: Tensor<Scalar>
  /// The bias `b`, shape `[outputSize]`, or `nil` for a layer without bias.
  public let bias: Tensor<Scalar>?
  /// Features per input sample.
  public var inputSize: Int { weight.shape[1] }
  /// Features per output sample.
  public var outputSize: Int { weight.shape[0] }
  /// Unused (a linear map acts the same in both modes); kept for the protocol.
  public var isTraining = true

  /// A new layer with random weights drawn from `generator`.
  ///
  /// - Parameters:
  ///   - weightInitializer: defaults to PyTorch's `kaiming_uniform_(a: √5)`.
  ///   - biasInitializer: defaults to PyTorch's `U(−1/√in, 1/√in)` when the weight uses the
  ///     PyTorch default, else to zeros (the usual choice with Glorot or He weights).
  ///   - generator: drawn from for the weight, then for the bias (PyTorch's order).
  public convenience init(
    _ inputSize: Int, _ outputSize: Int, bias: Bool = true,
    weightInitializer: Initializer = .pytorchLinearDefault, biasInitializer: Initializer? = nil,
    using generator: inout SeededGenerator
  ) {
    let (w, b): (Tensor<Scalar>, Tensor<Scalar>?) = Self.randomParameters(
      inputSize, outputSize, bias: bias, weightInitializer: weightInitializer, biasInitializer: biasInitializer,
      using: &generator)
    self.init(trainable: w, bias: b)
  }

  /// A new layer with random weights drawn from the global generator (`Random.seed(_:)`), as
  /// `torch.nn.Linear(in, out)`; the same draws as `using:` a generator in the global one's state.
  public convenience init(
    _ inputSize: Int, _ outputSize: Int, bias: Bool = true,
    weightInitializer: Initializer = .pytorchLinearDefault, biasInitializer: Initializer? = nil
  ) {
    let (w, b): (Tensor<Scalar>, Tensor<Scalar>?) = Random.withGlobalGenerator {
      Self.randomParameters(inputSize, outputSize, bias: bias, weightInitializer: weightInitializer,
                            biasInitializer: biasInitializer, using: &$0)
    }
    self.init(trainable: w, bias: b)
  }

  /// The weight, then the bias, drawn from `generator`.
  private static func randomParameters(
    _ inputSize: Int, _ outputSize: Int, bias: Bool, weightInitializer: Initializer, biasInitializer: Initializer?,
    using generator: inout SeededGenerator
  ) -> (Tensor<Scalar>, Tensor<Scalar>?) {
    require(inputSize > 0 && outputSize > 0, "Linear needs positive sizes, got \(inputSize) → \(outputSize)")
    let weight: Tensor<Scalar> = weightInitializer.makeTensor(
      [outputSize, inputSize], fanIn: inputSize, fanOut: outputSize, using: &generator)
    guard bias else { return (weight, nil) }
    let initializer = biasInitializer ?? (weightInitializer == .pytorchLinearDefault ? .pytorchLinearDefault : .zeros)
    let b: Tensor<Scalar> = initializer.makeTensor([outputSize], fanIn: inputSize, fanOut: outputSize, using: &generator)
    return (weight, b)
  }

  /// A layer owning `weight` and `bias` (already checked), which become trainable.
  private init(trainable weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
    self.weight = weight
    self.bias = bias
    weight.requiresGrad = true
    bias?.requiresGrad = true
  }

  /// A layer around existing tensors (loaded from a checkpoint); they become trainable.
  /// - Throws: `TensorError.shapeMismatch` unless `weight` is `(out, in)` and `bias` is `[out]`.
  public convenience init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?) throws {
    guard weight.rank == 2, weight.shape.allSatisfy({ $0 > 0 }) else {
      throw TensorError.shapeMismatch(op: "Linear", lhs: weight.shape, rhs: [], reason: "the weight must be a non-empty (out, in) matrix")
    }
    if let bias, bias.shape != [weight.shape[0]] {
      throw TensorError.shapeMismatch(op: "Linear", lhs: weight.shape, rhs: bias.shape, reason: "the bias must be [out]")
    }
    self.init(trainable: weight, bias: bias)
  }

  /// `x · Wᵀ + b` for `x` of shape `[batch, in]` (or `[in]`).
  /// - Precondition: the input's last axis has `inputSize` elements.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    require(input.rank >= 1 && input.shape[input.rank - 1] == inputSize, "Linear(\(inputSize) → \(outputSize))",
            "input of shape \(input.shape) does not end in \(inputSize) features (weight \(weight.shape))")
    return Tensor.linear(input, weight: weight, bias: bias)
  }

  /// `weight`, then `bias` if present.
  public var namedParameters: [(String, Tensor<Scalar>)] {
    bias.map { [("weight", weight), ("bias", $0)] } ?? [("weight", weight)]
  }

  /// `Linear(in → out)`.
  public var summaryName: String { "Linear(\(inputSize) → \(outputSize)\(bias == nil ? ", no bias" : ""))" }

  /// `.linear(in, out, bias)`.
  public var spec: LayerSpec? { .linear(inputSize: inputSize, outputSize: outputSize, bias: bias != nil) }
}
