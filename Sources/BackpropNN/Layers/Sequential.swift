/// Layers applied one after another: `y = f_{n−1}(… f₁(f₀(x)))` (PyTorch's `nn.Sequential`).
///
/// Parameter names are the layer's index, a dot and the layer's own name (`0.weight`,
/// `2.bias`), exactly as in a PyTorch `state_dict`, so the same safetensors file serves both.
public final class Sequential<Scalar: TensorScalar>: Layer {
  /// The layers, in order.
  public private(set) var layers: [any Layer<Scalar>]
  private var training = true

  /// A network of `layers`, in training mode.
  public init(_ layers: [any Layer<Scalar>]) {
    self.layers = layers
    for layer in layers { layer.isTraining = true }
  }

  /// A network of the layers listed, in training mode:
  /// `Sequential<Float>(Linear(3, 16), ReLU(), Linear(16, 1))`.
  public convenience init(_ layers: any Layer<Scalar>...) {
    self.init(layers)
  }

  /// The shape of one sample the first layer takes, e.g. `[1, 28, 28]` for a CNN on
  /// Fashion-MNIST, when the network was built for one (`nil`: whatever the layers take).
  ///
  /// With a shape of rank > 1, flat rows `[N, features]` (what a `Dataset`'s batches hold) are
  /// viewed as `[N] + inputShape` before the first layer; inputs already in that shape pass as
  /// they are. Saved in model files as `input_shape` metadata.
  public var inputShape: [Int]?

  /// Applies each layer in turn (after viewing flat rows in `inputShape`, see there).
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    var x = input
    if let shape = inputShape, shape.count > 1, input.rank == 2, input.shape[1] == shape.reduce(1, *) {
      x = input.reshaped(to: [input.shape[0]] + shape)
    }
    var i = 0
    while i < layers.count {
      // ReLU followed by max pooling runs as pooling, then ReLU: max commutes with the monotone
      // ReLU, so the values are the same bits and the gradients the same numbers (each window's
      // first maximum is the same element, and its mask 1[x > 0] is the pooled value's; only a
      // zero's sign may differ), on a quarter of the elements for 2×2 windows (the CNN's
      // conv–relu–maxpool blocks).
      if i + 1 < layers.count, layers[i] is ReLU<Scalar>, let pool = layers[i + 1] as? MaxPool2d<Scalar> {
        x = layers[i](pool(x))
        i += 2
      } else {
        x = layers[i](x)
        i += 1
      }
    }
    return x
  }

  /// Every layer's parameters, named `<index>.<name>`.
  public var namedParameters: [(String, Tensor<Scalar>)] {
    var result: [(String, Tensor<Scalar>)] = []
    for (i, layer) in layers.enumerated() {
      for (name, p) in layer.namedParameters { result.append(("\(i).\(name)", p)) }
    }
    return result
  }

  /// Every layer's buffers, named `<index>.<name>` (`1.running_mean`), as in a `state_dict`.
  public var namedBuffers: [(String, Tensor<Scalar>)] {
    layers.enumerated().flatMap { i, layer in layer.namedBuffers.map { ("\(i).\($0.0)", $0.1) } }
  }

  /// Training or evaluation mode; setting it sets every layer's.
  public var isTraining: Bool {
    get { training }
    set {
      training = newValue
      for layer in layers { layer.isTraining = newValue }
    }
  }

  /// `Sequential(n layers)`.
  public var summaryName: String { "Sequential(\(layers.count) layers)" }

  /// `nil`: a nested `Sequential` has no single-layer spec (see `architecture`).
  public var spec: LayerSpec? { nil }

  /// The specs of all layers, or `nil` if some layer has none (a custom layer).
  public var architecture: [LayerSpec]? {
    var specs: [LayerSpec] = []
    for layer in layers {
      guard let s = layer.spec else { return nil }
      specs.append(s)
    }
    return specs
  }

  /// The states of every `Dropout` and `Dropout2d` layer's generator, keyed by layer index, for checkpoints.
  public var generatorStates: [Int: [UInt64]] {
    get {
      var states: [Int: [UInt64]] = [:]
      for (i, layer) in layers.enumerated() {
        if let d = layer as? Dropout<Scalar> { states[i] = d.generator.stateWords }
        if let d = layer as? Dropout2d<Scalar> { states[i] = d.generator.stateWords }
      }
      return states
    }
    set {
      for (i, words) in newValue where i < layers.count && words.count == 4 {
        (layers[i] as? Dropout<Scalar>)?.generator = SeededGenerator(stateWords: words)
        (layers[i] as? Dropout2d<Scalar>)?.generator = SeededGenerator(stateWords: words)
      }
    }
  }

  /// Copies every parameter's values from `other`, which must have the same names and shapes.
  /// - Throws: `TensorError.shapeMismatch` or `.invalidArgument` on a missing or different tensor.
  public func loadParameters(from other: [String: Tensor<Scalar>]) throws {
    for (name, p) in namedParameters {
      guard let source = other[name] else {
        throw TensorError.invalidArgument(op: "loadParameters", message: "missing tensor '\(name)'")
      }
      guard source.shape == p.shape else {
        throw TensorError.shapeMismatch(op: "loadParameters", lhs: p.shape, rhs: source.shape, reason: "tensor '\(name)'")
      }
      p.update { $0 = source.scalars }
    }
  }
}

extension Sequential {
  /// A multilayer perceptron: `Linear(sizes[0] → sizes[1])`, activation, …, `Linear(… → sizes.last)`.
  ///
  /// There is no activation after the last layer (it outputs logits). With `dropout > 0` a
  /// `Dropout` follows each hidden activation; the k-th one (from 1) is seeded with `seed + k`.
  /// - Throws: `TensorError.invalidArgument` for fewer than two sizes or a size below 1.
  public static func mlp(
    _ sizes: [Int], activation: LayerSpec = .relu, dropout: Double = 0,
    initializer: Initializer = .pytorchLinearDefault, seed: UInt64
  ) throws -> Sequential {
    var specs: [LayerSpec] = []
    guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
      throw TensorError.invalidArgument(op: "mlp", message: "needs at least two positive sizes, got \(sizes)")
    }
    for i in 0..<(sizes.count - 1) {
      specs.append(.linear(inputSize: sizes[i], outputSize: sizes[i + 1], bias: true))
      if i < sizes.count - 2 {
        specs.append(activation)
        if dropout > 0 { specs.append(.dropout(probability: dropout)) }
      }
    }
    return try Sequential(architecture: specs, initializer: initializer, seed: seed)
  }

  /// Builds the layers that `specs` describe, with fresh weights drawn from one generator seeded
  /// with `seed` (layer by layer, weight before bias).
  /// - Throws: `TensorError.invalidArgument` for an invalid spec (a size below 1, p ∉ [0, 1)).
  public convenience init(architecture specs: [LayerSpec], initializer: Initializer = .pytorchLinearDefault, seed: UInt64) throws {
    var generator = SeededGenerator(seed: seed)
    var layers: [any Layer<Scalar>] = []
    var dropoutCount: UInt64 = 0
    for spec in specs {
      try spec.validate()
      switch spec {
      case let .linear(i, o, bias):
        layers.append(Linear<Scalar>(i, o, bias: bias, weightInitializer: initializer, using: &generator))
      case let .dropout(p):
        dropoutCount += 1
        layers.append(Dropout<Scalar>(probability: p, seed: seed &+ dropoutCount))
      default:
        if let layer: any Layer<Scalar> = spec.makeParameterlessLayer() {
          layers.append(layer)
        } else {
          dropoutCount += 1
          layers.append(spec.makeConvolutionLayer(using: &generator, seed: seed &+ dropoutCount)!)
        }
      }
    }
    self.init(layers)
  }
}
