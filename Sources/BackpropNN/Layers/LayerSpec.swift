import Foundation

/// A description of one layer that can be written into a checkpoint and read back, so that a
/// saved model can be rebuilt without the code that made it.
///
/// The text form is PyTorch-like and comma-separated for a whole network:
/// `Linear(64,128),ReLU,Dropout(0.2),Linear(128,10)` (see `LayerSpec.parseArchitecture`).
public enum LayerSpec: Sendable, Equatable, CustomStringConvertible {
  /// `Linear(in, out)`; `bias: false` writes `Linear(in,out,nobias)`.
  case linear(inputSize: Int, outputSize: Int, bias: Bool)
  /// `ReLU`.
  case relu
  /// `LeakyReLU(slope)`.
  case leakyRelu(slope: Double)
  /// `Sigmoid`.
  case sigmoid
  /// `Tanh`.
  case tanh
  /// `GELU`.
  case gelu
  /// `Softmax` (last axis).
  case softmax
  /// `Dropout(p)`.
  case dropout(probability: Double)
  /// `Flatten`.
  case flatten
  /// `Conv2d(in,out,KHxKW,stride=,padding=,dilation=,groups=[,nobias])`.
  case conv2d(Conv2dSpec)
  /// `MaxPool2d(KHxKW,stride=,padding=)`.
  case maxPool2d(kernel: Size2D, stride: Size2D, padding: Size2D)
  /// `AvgPool2d(KHxKW,stride=,padding=,countIncludePad=)`.
  case avgPool2d(kernel: Size2D, stride: Size2D, padding: Size2D, countIncludePad: Bool)
  /// `AdaptiveAvgPool2d(HxW)`.
  case adaptiveAvgPool2d(Size2D)
  /// `BatchNorm1d(features,eps=,momentum=)` (rank 1) or `BatchNorm2d(…)` (rank 2).
  case batchNorm(features: Int, rank: Int, eps: Double, momentum: Double)
  /// `LayerNorm(AxB…,eps=)`.
  case layerNorm(shape: [Int], eps: Double)
  /// `GroupNorm(groups,channels,eps=)`.
  case groupNorm(groups: Int, channels: Int, eps: Double)
  /// `SiLU`.
  case silu
  /// `ELU(alpha)`.
  case elu(alpha: Double)
  /// `Dropout2d(p)`.
  case dropout2d(probability: Double)

  /// The text form, e.g. `Linear(64,128)` or `Dropout(0.5)`.
  public var description: String {
    switch self {
    case let .linear(i, o, bias): return "Linear(\(i),\(o)\(bias ? "" : ",nobias"))"
    case .relu: return "ReLU"
    case let .leakyRelu(slope): return "LeakyReLU(\(slope))"
    case .sigmoid: return "Sigmoid"
    case .tanh: return "Tanh"
    case .gelu: return "GELU"
    case .softmax: return "Softmax"
    case let .dropout(p): return "Dropout(\(p))"
    case .flatten: return "Flatten"
    default: return convolutionDescription!
    }
  }

  /// Parses one activation name as used on the command line: `relu`, `leaky-relu` (or
  /// `leakyrelu`, slope 0.01), `sigmoid`, `tanh`, `gelu`. Case-insensitive.
  public init?(activationName name: String) {
    switch name.lowercased() {
    case "relu": self = .relu
    case "leaky-relu", "leakyrelu", "leaky_relu": self = .leakyRelu(slope: 0.01)
    case "sigmoid": self = .sigmoid
    case "tanh": self = .tanh
    case "gelu": self = .gelu
    default: return nil
    }
  }

  /// The activation names `init(activationName:)` accepts.
  public static let activationNames = ["relu", "leaky-relu", "sigmoid", "tanh", "gelu"]

  /// Parses one layer's text form (`description`).
  /// - Throws: `TensorError.invalidArgument` naming the text.
  public init(parsing text: String) throws {
    let t = text.trimmingCharacters(in: .whitespaces)
    let name: Substring
    var args: [Substring] = []
    if let open = t.firstIndex(of: "("), t.hasSuffix(")") {
      name = t[..<open]
      args = t[t.index(after: open)..<t.index(before: t.endIndex)].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces)[...] }
    } else {
      name = t[...]
    }
    func bad() -> TensorError { .invalidArgument(op: "LayerSpec", message: "cannot parse layer '\(text)'") }
    switch (name.lowercased(), args.count) {
    case ("linear", 2), ("linear", 3):
      guard let i = Int(args[0]), let o = Int(args[1]) else { throw bad() }
      if args.count == 3 && args[2] != "nobias" { throw bad() }
      self = .linear(inputSize: i, outputSize: o, bias: args.count == 2)
    case ("relu", 0): self = .relu
    case ("leakyrelu", 1):
      guard let s = Double(args[0]) else { throw bad() }
      self = .leakyRelu(slope: s)
    case ("sigmoid", 0): self = .sigmoid
    case ("tanh", 0): self = .tanh
    case ("gelu", 0): self = .gelu
    case ("softmax", 0): self = .softmax
    case ("dropout", 1):
      guard let p = Double(args[0]) else { throw bad() }
      self = .dropout(probability: p)
    case ("flatten", 0): self = .flatten
    default:
      guard let spec = try Self.parseConvolution(name: name.lowercased(), args, bad: bad) else { throw bad() }
      self = spec
    }
    try validate()
  }

  /// Checks sizes and probabilities.
  /// - Throws: `TensorError.invalidArgument`.
  public func validate() throws {
    switch self {
    case let .linear(i, o, _) where i < 1 || o < 1:
      throw TensorError.invalidArgument(op: "LayerSpec", message: "Linear needs positive sizes, got \(i), \(o)")
    case let .dropout(p) where !(p >= 0 && p < 1):
      throw TensorError.invalidArgument(op: "LayerSpec", message: "Dropout probability must be in [0, 1), got \(p)")
    default: try validateConvolution()
    }
  }

  /// A whole network's text form: the layers' descriptions joined by commas.
  public static func architectureString(_ specs: [LayerSpec]) -> String {
    specs.map(\.description).joined(separator: ",")
  }

  /// Parses `architectureString`'s output (commas inside parentheses belong to a layer).
  /// - Throws: `TensorError.invalidArgument` naming the first layer that does not parse.
  public static func parseArchitecture(_ text: String) throws -> [LayerSpec] {
    var parts: [String] = [], current = "", depth = 0
    for ch in text {
      if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
      if ch == "," && depth == 0 { parts.append(current); current = "" } else { current.append(ch) }
    }
    if !current.trimmingCharacters(in: .whitespaces).isEmpty { parts.append(current) }
    return try parts.map { try LayerSpec(parsing: $0) }
  }

  /// The layer for a spec without parameters or state (`nil` for `linear` and `dropout`).
  func makeParameterlessLayer<Scalar: TensorScalar>() -> (any Layer<Scalar>)? {
    switch self {
    case .relu: return ReLU<Scalar>()
    case let .leakyRelu(slope): return LeakyReLU<Scalar>(slope: slope)
    case .sigmoid: return Sigmoid<Scalar>()
    case .tanh: return Tanh<Scalar>()
    case .gelu: return GELU<Scalar>()
    case .softmax: return Softmax<Scalar>()
    case .flatten: return Flatten<Scalar>()
    default: return nil
    }
  }
}
