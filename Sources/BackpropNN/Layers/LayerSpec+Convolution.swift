import Foundation

// The checkpoint text forms of the CNN layers, e.g.
// `Conv2d(1,32,3x3,stride=1x1,padding=1x1,dilation=1x1,groups=1)`, `BatchNorm2d(32,eps=1e-05,momentum=0.1)`,
// `MaxPool2d(2x2,stride=2x2,padding=0x0)`: positional arguments first, then `key=value`; sizes
// are `HxW`, and a padding may be `same`.

/// The arguments of a `Conv2d` layer spec.
public struct Conv2dSpec: Sendable, Hashable {
  public var inChannels: Int
  public var outChannels: Int
  public var kernel: Size2D
  public var stride: Size2D = 1
  public var padding: ConvolutionPadding = 0
  public var dilation: Size2D = 1
  public var groups = 1
  public var bias = true

  public init(inChannels: Int, outChannels: Int, kernel: Size2D, stride: Size2D = 1, padding: ConvolutionPadding = 0,
              dilation: Size2D = 1, groups: Int = 1, bias: Bool = true) {
    (self.inChannels, self.outChannels, self.kernel, self.stride, self.padding) = (inChannels, outChannels, kernel, stride, padding)
    (self.dilation, self.groups, self.bias) = (dilation, groups, bias)
  }
}

func sizeText(_ s: Size2D) -> String { "\(s.height)x\(s.width)" }

func parseSize(_ text: Substring) -> Size2D? {
  let parts = text.split(separator: "x")
  if parts.count == 1, let n = Int(parts[0]) { return Size2D(n, n) }
  guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]) else { return nil }
  return Size2D(h, w)
}

extension LayerSpec {
  /// The text forms of the CNN cases (`nil` for the others).
  var convolutionDescription: String? {
    switch self {
    case let .conv2d(s):
      let pad: String
      switch s.padding { case .same: pad = "same"; case let .explicit(p): pad = sizeText(p) }
      return "Conv2d(\(s.inChannels),\(s.outChannels),\(sizeText(s.kernel)),stride=\(sizeText(s.stride)),padding=\(pad),"
        + "dilation=\(sizeText(s.dilation)),groups=\(s.groups)\(s.bias ? "" : ",nobias"))"
    case let .maxPool2d(k, st, p): return "MaxPool2d(\(sizeText(k)),stride=\(sizeText(st)),padding=\(sizeText(p)))"
    case let .avgPool2d(k, st, p, include):
      return "AvgPool2d(\(sizeText(k)),stride=\(sizeText(st)),padding=\(sizeText(p)),countIncludePad=\(include))"
    case let .adaptiveAvgPool2d(size): return "AdaptiveAvgPool2d(\(sizeText(size)))"
    case let .batchNorm(features, rank, eps, momentum): return "BatchNorm\(rank)d(\(features),eps=\(eps),momentum=\(momentum))"
    case let .layerNorm(shape, eps): return "LayerNorm(\(shape.map(String.init).joined(separator: "x")),eps=\(eps))"
    case let .groupNorm(groups, channels, eps): return "GroupNorm(\(groups),\(channels),eps=\(eps))"
    case .silu: return "SiLU"
    case let .elu(alpha): return "ELU(\(alpha))"
    case let .dropout2d(p): return "Dropout2d(\(p))"
    default: return nil
    }
  }

  /// Parses a CNN layer's text form from its name and arguments, or returns `nil` for a name
  /// that is not one of them; throws `bad` for wrong arguments.
  static func parseConvolution(name: String, _ args: [Substring], bad: () -> TensorError) throws -> LayerSpec? {
    var positional: [Substring] = [], keyed: [String: Substring] = [:]
    for a in args {
      if let eq = a.firstIndex(of: "=") { keyed[String(a[..<eq])] = a[a.index(after: eq)...] } else { positional.append(a) }
    }
    func size(_ key: String, _ fallback: Size2D) throws -> Size2D {
      guard let text = keyed[key] else { return fallback }
      guard let s = parseSize(text) else { throw bad() }
      return s
    }
    func number(_ key: String, _ fallback: Double) throws -> Double {
      guard let text = keyed[key] else { return fallback }
      guard let v = Double(text) else { throw bad() }
      return v
    }
    switch (name, positional.count) {
    case ("conv2d", 3), ("conv2d", 4):
      guard let i = Int(positional[0]), let o = Int(positional[1]), let k = parseSize(positional[2]),
            positional.count == 3 || positional[3] == "nobias" else { throw bad() }
      let padding: ConvolutionPadding = keyed["padding"] == "same" ? .same : .explicit(try size("padding", 0))
      let groups = Int(try number("groups", 1))
      return .conv2d(Conv2dSpec(inChannels: i, outChannels: o, kernel: k, stride: try size("stride", 1), padding: padding,
                                dilation: try size("dilation", 1), groups: groups, bias: positional.count == 3))
    case ("maxpool2d", 1):
      guard let k = parseSize(positional[0]) else { throw bad() }
      return .maxPool2d(kernel: k, stride: try size("stride", k), padding: try size("padding", 0))
    case ("avgpool2d", 1):
      guard let k = parseSize(positional[0]) else { throw bad() }
      return .avgPool2d(kernel: k, stride: try size("stride", k), padding: try size("padding", 0),
                        countIncludePad: keyed["countIncludePad"] != "false")
    case ("adaptiveavgpool2d", 1):
      guard let s = parseSize(positional[0]) else { throw bad() }
      return .adaptiveAvgPool2d(s)
    case ("batchnorm1d", 1), ("batchnorm2d", 1):
      guard let f = Int(positional[0]) else { throw bad() }
      return .batchNorm(features: f, rank: name == "batchnorm1d" ? 1 : 2, eps: try number("eps", 1e-5),
                        momentum: try number("momentum", 0.1))
    case ("layernorm", 1):
      let dims = positional[0].split(separator: "x").compactMap { Int($0) }
      guard !dims.isEmpty else { throw bad() }
      return .layerNorm(shape: dims, eps: try number("eps", 1e-5))
    case ("groupnorm", 2):
      guard let g = Int(positional[0]), let c = Int(positional[1]) else { throw bad() }
      return .groupNorm(groups: g, channels: c, eps: try number("eps", 1e-5))
    case ("silu", 0): return .silu
    case ("elu", 0), ("elu", 1):
      guard let alpha = positional.isEmpty ? 1 : Double(positional[0]) else { throw bad() }
      return .elu(alpha: alpha)
    case ("dropout2d", 1):
      guard let p = Double(positional[0]) else { throw bad() }
      return .dropout2d(probability: p)
    default: return nil
    }
  }

  /// Checks the CNN cases' sizes.
  func validateConvolution() throws {
    func fail(_ message: String) -> TensorError { .invalidArgument(op: "LayerSpec", message: message) }
    switch self {
    case let .conv2d(s):
      guard s.inChannels > 0, s.outChannels > 0, s.groups > 0, s.inChannels % s.groups == 0, s.outChannels % s.groups == 0,
            s.kernel.height > 0, s.kernel.width > 0 else {
        throw fail("\(self): channels \(s.inChannels) → \(s.outChannels) must be positive and divisible by groups \(s.groups)")
      }
    case let .batchNorm(f, _, _, _) where f < 1: throw fail("\(self): needs a positive number of features")
    case let .groupNorm(g, c, _) where g < 1 || c % g != 0: throw fail("\(self): groups \(g) must divide channels \(c)")
    case let .dropout2d(p) where !(p >= 0 && p < 1): throw fail("Dropout2d probability must be in [0, 1), got \(p)")
    default: return
    }
  }

  /// The parameter tensors (name within the layer, shape) a layer of this spec holds.
  var parameterShapes: [(String, [Int])] {
    switch self {
    case let .linear(i, o, bias): return [("weight", [o, i])] + (bias ? [("bias", [o])] : [])
    case let .conv2d(s):
      return [("weight", [s.outChannels, s.inChannels / s.groups, s.kernel.height, s.kernel.width])]
        + (s.bias ? [("bias", [s.outChannels])] : [])
    case let .batchNorm(f, _, _, _): return [("weight", [f]), ("bias", [f])]
    case let .layerNorm(shape, _): return [("weight", shape), ("bias", shape)]
    case let .groupNorm(_, c, _): return [("weight", [c]), ("bias", [c])]
    default: return []
    }
  }

  /// The layer for a CNN spec (`nil` for other specs). Convolutions draw from `generator`.
  func makeConvolutionLayer<Scalar: TensorScalar>(using generator: inout SeededGenerator, seed: UInt64) -> (any Layer<Scalar>)? {
    switch self {
    case let .conv2d(s):
      return Conv2d<Scalar>(s.inChannels, s.outChannels, kernelSize: s.kernel, stride: s.stride, padding: s.padding,
                            dilation: s.dilation, groups: s.groups, bias: s.bias, using: &generator)
    case let .maxPool2d(k, st, p): return MaxPool2d<Scalar>(kernelSize: k, stride: st, padding: p)
    case let .avgPool2d(k, st, p, include): return AvgPool2d<Scalar>(kernelSize: k, stride: st, padding: p, countIncludePad: include)
    case let .adaptiveAvgPool2d(s): return AdaptiveAvgPool2d<Scalar>(outputSize: s)
    case let .batchNorm(f, rank, eps, momentum):
      return rank == 1 ? BatchNorm1d<Scalar>(f, eps: eps, momentum: momentum) : BatchNorm2d<Scalar>(f, eps: eps, momentum: momentum)
    case let .layerNorm(shape, eps): return LayerNorm<Scalar>(shape, eps: eps)
    case let .groupNorm(g, c, eps): return GroupNorm<Scalar>(g, c, eps: eps)
    case .silu: return SiLU<Scalar>()
    case let .elu(alpha): return ELU<Scalar>(alpha: alpha)
    case let .dropout2d(p): return Dropout2d<Scalar>(probability: p, seed: seed)
    default: return nil
    }
  }
}
