// Convolution layers (PyTorch's nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d): parameters `weight`
// and `bias` with PyTorch's shapes and default initialisation, `U(−1/√fanIn, 1/√fanIn)` for
// both (kaiming_uniform_ with a = √5), drawn weight first, then bias.

/// Stops unless both channel counts are positive and `groups` divides them (the one check of
/// every convolution layer's initialiser).
func checkChannels(_ layer: String, _ inChannels: Int, _ outChannels: Int, groups: Int) {
  require(inChannels > 0 && outChannels > 0 && groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
          "\(layer)(\(inChannels), \(outChannels)): groups \(groups) must divide both channel counts")
}

/// The weight, then the bias, with PyTorch's default convolution initialisation.
func convolutionParameters<Scalar: TensorScalar>(_ weightShape: [Int], fanIn: Int, biasCount: Int?,
                                                 _ generator: inout SeededGenerator) -> (Tensor<Scalar>, Tensor<Scalar>?) {
  let initializer = Initializer.pytorchLinearDefault
  let w: Tensor<Scalar> = initializer.makeTensor(weightShape, fanIn: fanIn, fanOut: weightShape[0], using: &generator)
  w.requiresGrad = true
  guard let biasCount else { return (w, nil) }
  let b: Tensor<Scalar> = initializer.makeTensor([biasCount], fanIn: fanIn, fanOut: biasCount, using: &generator)
  b.requiresGrad = true
  return (w, b)
}

/// 2-D convolution over (N, C, H, W) batches (PyTorch's `nn.Conv2d`), `Tensor.conv2d` with this
/// layer's `weight` (out, in/groups, kh, kw) and `bias` (out).
public final class Conv2d<Scalar: TensorScalar>: Layer {
  /// The filters, (outChannels, inChannels/groups, kh, kw).
  public let weight: Tensor<Scalar>
  /// One bias per output channel, or `nil`.
  public let bias: Tensor<Scalar>?
  public let stride: Size2D
  public let padding: ConvolutionPadding
  public let dilation: Size2D
  public let groups: Int
  /// Unused (a convolution acts the same in both modes).
  public var isTraining = true

  /// A layer with PyTorch's default initialisation drawn from `generator`.
  public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: ConvolutionPadding = 0,
              dilation: Size2D = 1, groups: Int = 1, bias: Bool = true, using generator: inout SeededGenerator) {
    checkChannels("Conv2d", inChannels, outChannels, groups: groups)
    let fanIn = inChannels / groups * kernelSize.height * kernelSize.width
    (weight, self.bias) = convolutionParameters([outChannels, inChannels / groups, kernelSize.height, kernelSize.width],
                                                fanIn: fanIn, biasCount: bias ? outChannels : nil, &generator)
    (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
  }

  /// A layer drawn from the global generator (`Random.seed(_:)`), as `torch.nn.Conv2d(…)`.
  public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2D, stride: Size2D = 1,
                          padding: ConvolutionPadding = 0, dilation: Size2D = 1, groups: Int = 1, bias: Bool = true) {
    var generator = Random.state  // the global generator's draws, as torch.nn draws from its own
    defer { Random.state = generator }
    self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
              groups: groups, bias: bias, using: &generator)
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    .conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }

  public var namedParameters: [(String, Tensor<Scalar>)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

  /// `Conv2d(1 → 32, 3×3, stride 1, padding 1)`.
  public var summaryName: String {
    let pad: String
    switch padding { case .same: pad = "same"; case let .explicit(p): pad = p.description }
    return "Conv2d(\(weight.shape[1] * groups) → \(weight.shape[0]), \(weight.shape[2])×\(weight.shape[3])"
      + "\(stride == 1 ? "" : ", stride \(stride)")\(pad == "0" ? "" : ", padding \(pad)")"
      + "\(dilation == 1 ? "" : ", dilation \(dilation)")\(groups == 1 ? "" : ", groups \(groups)")\(bias == nil ? ", no bias" : ""))"
  }

  /// `.conv2d(…)`, so that checkpoints record the layer.
  public var spec: LayerSpec? {
    .conv2d(Conv2dSpec(inChannels: weight.shape[1] * groups, outChannels: weight.shape[0], kernel: Size2D(weight.shape[2], weight.shape[3]),
                       stride: stride, padding: padding, dilation: dilation, groups: groups, bias: bias != nil))
  }
}

/// 1-D convolution over (N, C, L) batches (PyTorch's `nn.Conv1d`): weight (out, in/groups, k).
public final class Conv1d<Scalar: TensorScalar>: Layer {
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>?
  public let stride: Int
  public let padding: ConvolutionPadding
  public let dilation: Int
  public let groups: Int
  public var isTraining = true

  /// A layer with PyTorch's default initialisation drawn from `generator`.
  public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvolutionPadding = 0,
              dilation: Int = 1, groups: Int = 1, bias: Bool = true, using generator: inout SeededGenerator) {
    checkChannels("Conv1d", inChannels, outChannels, groups: groups)
    (weight, self.bias) = convolutionParameters([outChannels, inChannels / groups, kernelSize], fanIn: inChannels / groups * kernelSize,
                                                biasCount: bias ? outChannels : nil, &generator)
    (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
  }

  /// A layer drawn from the global generator (`Random.seed(_:)`).
  public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                          padding: ConvolutionPadding = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
    var generator = Random.state  // the global generator's draws, as torch.nn draws from its own
    defer { Random.state = generator }
    self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
              groups: groups, bias: bias, using: &generator)
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    .conv1d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }

  public var namedParameters: [(String, Tensor<Scalar>)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }
  public var summaryName: String { "Conv1d(\(weight.shape[1] * groups) → \(weight.shape[0]), \(weight.shape[2]))" }
}

/// Transposed 2-D convolution (PyTorch's `nn.ConvTranspose2d`): weight (in, out/groups, kh, kw),
/// bias (out); PyTorch computes the default bound from `weight.size(1)·kh·kw`.
public final class ConvTranspose2d<Scalar: TensorScalar>: Layer {
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>?
  public let stride: Size2D
  public let padding: Size2D
  public let outputPadding: Size2D
  public let dilation: Size2D
  public let groups: Int
  public var isTraining = true

  /// A layer with PyTorch's default initialisation drawn from `generator`.
  public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
              outputPadding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1, bias: Bool = true,
              using generator: inout SeededGenerator) {
    checkChannels("ConvTranspose2d", inChannels, outChannels, groups: groups)
    let fanIn = outChannels / groups * kernelSize.height * kernelSize.width
    (weight, self.bias) = convolutionParameters([inChannels, outChannels / groups, kernelSize.height, kernelSize.width],
                                                fanIn: fanIn, biasCount: bias ? outChannels : nil, &generator)
    (self.stride, self.padding, self.outputPadding, self.dilation, self.groups) = (stride, padding, outputPadding, dilation, groups)
  }

  /// A layer drawn from the global generator (`Random.seed(_:)`).
  public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
                          outputPadding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1, bias: Bool = true) {
    var generator = Random.state  // the global generator's draws, as torch.nn draws from its own
    defer { Random.state = generator }
    self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, outputPadding: outputPadding,
              dilation: dilation, groups: groups, bias: bias, using: &generator)
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    .convTranspose2d(input, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                     dilation: dilation, groups: groups)
  }

  public var namedParameters: [(String, Tensor<Scalar>)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }
  public var summaryName: String {
    "ConvTranspose2d(\(weight.shape[0]) → \(weight.shape[1] * groups), \(weight.shape[2])×\(weight.shape[3])"
      + "\(stride == 1 ? "" : ", stride \(stride)"))"
  }
}
