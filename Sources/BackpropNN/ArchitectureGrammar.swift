import Foundation

/// A small text grammar for sequential networks, so a user can name one without Swift, e.g.
/// `conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten linear(128) relu linear(10)`.
///
/// Tokens are separated by spaces (or commas outside parentheses):
/// `conv(out,k,stride=,pad=,dilation=,groups=)` (`pad=same` allowed), `maxpool(k[,stride])`,
/// `avgpool(k[,stride])`, `batchnorm`, `layernorm`, `dropout(p)`, `flatten`, `linear(out)`, and the
/// activations `relu`, `tanh`, `sigmoid`, `gelu`, `silu`, `elu`, `leakyrelu` (no `softplus` layer
/// exists yet). Input channels, features and normalised shapes are inferred from the sample shape,
/// following it with `LayerSpec.outputShape(for:)`. Named networks: `cnn`, `lenet5`, `mlp`.
public enum ArchitectureGrammar {
  /// The named networks and their grammar text (`mlp` takes `--layers` hidden sizes instead).
  public static let presets: [String: String] = [
    "cnn": "conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten linear(128) relu linear(10)",
    "lenet5": "conv(6,5,pad=2) relu maxpool(2) conv(16,5) relu maxpool(2) flatten linear(120) relu linear(84) relu linear(10)",
  ]

  /// Parses `text` (a preset name or grammar) for samples of shape `inputShape` (no batch axis).
  /// - Throws: `TensorError.invalidArgument` in one line naming the token and the shapes.
  public static func parse(_ text: String, inputShape: [Int]) throws -> [LayerSpec] {
    let source = presets[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? text
    var shape = inputShape
    var specs: [LayerSpec] = []
    for token in tokens(source) {
      let spec = try layer(token, shape: shape)
      do {
        shape = try spec.outputShape(for: shape)
      } catch let TensorError.shapeMismatch(_, _, _, reason) {
        throw fail(token, "does not fit input shape \(shape): \(reason)")
      }
      let (size, overflow) = shape.reduce((1, false)) { acc, d in
        let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
      }
      guard !overflow, size <= maximumActivationSize else {
        throw fail(token, "gives shape \(shape) per sample, more than \(maximumActivationSize) values")
      }
      specs.append(spec)
    }
    guard !specs.isEmpty else { throw fail(text, "is empty") }
    // Sizes are bounded per token, but a stack of them can still ask for more than memory holds.
    var parameters = 0
    for spec in specs {
      for (_, shape) in spec.parameterShapes {
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
          let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
        }
        parameters += overflow ? maximumParameters + 1 : count
        guard parameters <= maximumParameters else {
          throw fail(source, "has more than \(maximumParameters) parameters (layer \(spec) for input shape \(inputShape))")
        }
      }
    }
    return specs
  }

  /// The largest size a token takes (channels, kernel, stride, padding, features): 2²⁰.
  public static let maximumSize = 1 << 20
  /// The most parameters a parsed network may have (2²⁸ Floats are 1 GiB).
  public static let maximumParameters = 1 << 28
  /// The most values one sample may have after any layer (2²⁴ Floats are 64 MiB per sample).
  public static let maximumActivationSize = 1 << 24

  static func fail(_ token: String, _ message: String) -> TensorError {
    .invalidArgument(op: "--arch", message: "'\(token)' \(message)")
  }

  /// Splits at spaces and commas that are outside parentheses.
  static func tokens(_ text: String) -> [String] {
    var parts: [String] = [], current = "", depth = 0
    for ch in text {
      if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
      if depth == 0 && (ch == " " || ch == ",") {
        if !current.isEmpty { parts.append(current) }
        current = ""
      } else { current.append(ch) }
    }
    if !current.isEmpty { parts.append(current) }
    return parts
  }

  static func layer(_ token: String, shape: [Int]) throws -> LayerSpec {
    var name = token.lowercased(), positional: [String] = [], keyed: [String: String] = [:]
    if let open = token.firstIndex(of: "(") {
      guard token.hasSuffix(")") else { throw fail(token, "has no closing parenthesis") }
      name = token[..<open].lowercased()
      for a in token[token.index(after: open)..<token.index(before: token.endIndex)].split(separator: ",") {
        let arg = a.trimmingCharacters(in: .whitespaces)
        if let eq = arg.firstIndex(of: "=") { keyed[String(arg[..<eq])] = String(arg[arg.index(after: eq)...]) } else { positional.append(arg) }
      }
    }
    func int(_ text: String?, _ what: String) throws -> Int {
      guard let text, let v = Int(text), v > 0 else { throw fail(token, "needs a positive integer \(what), got \(text ?? "nothing")") }
      guard v <= maximumSize else { throw fail(token, "has \(what) \(v), more than \(maximumSize)") }
      return v
    }
    func arity(_ allowed: ClosedRange<Int>, keys: Set<String> = []) throws {
      guard allowed.contains(positional.count) else { throw fail(token, "takes \(allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound)–\(allowed.upperBound)") arguments, got \(positional.count)") }
      if let bad = keyed.keys.first(where: { !keys.contains($0) }) { throw fail(token, "has unknown option '\(bad)'") }
    }
    let channels = shape.first ?? 0
    let spec: LayerSpec
    switch name {
    case "conv":
      try arity(2...2, keys: ["stride", "pad", "dilation", "groups"])
      guard shape.count == 3 else { throw fail(token, "needs an input of shape [channels, height, width], got \(shape)") }
      let padding: ConvolutionPadding = keyed["pad"] == "same" ? .same : .explicit(square(keyed["pad"] == nil ? 0 : try int0(keyed["pad"]!, token)))
      let k = try int(positional[1], "kernel size")
      spec = .conv2d(Conv2dSpec(inChannels: channels, outChannels: try int(positional[0], "output channels"), kernel: Size2D(k, k),
                                stride: square(try keyed["stride"].map { try int($0, "stride") } ?? 1),
                                padding: padding, dilation: square(try keyed["dilation"].map { try int($0, "dilation") } ?? 1),
                                groups: try keyed["groups"].map { try int($0, "groups") } ?? 1))
    case "maxpool", "avgpool":
      try arity(1...2)
      let k = try int(positional[0], "kernel size")
      let s = positional.count == 2 ? try int(positional[1], "stride") : k
      spec = name == "maxpool" ? .maxPool2d(kernel: square(k), stride: square(s), padding: 0)
        : .avgPool2d(kernel: square(k), stride: square(s), padding: 0, countIncludePad: true)
    case "batchnorm":
      try arity(0...0)
      guard shape.count == 1 || shape.count == 3 else { throw fail(token, "needs an input of shape [features] or [channels, height, width], got \(shape)") }
      spec = .batchNorm(features: channels, rank: shape.count == 1 ? 1 : 2, eps: 1e-5, momentum: 0.1)
    case "layernorm": try arity(0...0); spec = .layerNorm(shape: shape, eps: 1e-5)
    case "dropout":
      try arity(1...1)
      guard let p = Double(positional[0]) else { throw fail(token, "needs a probability, got \(positional[0])") }
      spec = .dropout(probability: p)
    case "flatten": try arity(0...0); spec = .flatten
    case "linear":
      try arity(1...1)
      guard shape.count == 1 else { throw fail(token, "needs a flat input, got shape \(shape) (add flatten)") }
      spec = .linear(inputSize: shape[0], outputSize: try int(positional[0], "output size"), bias: true)
    case "relu", "tanh", "sigmoid", "gelu", "silu", "elu", "leakyrelu":
      try arity(0...0)
      spec = name == "silu" ? .silu : name == "elu" ? .elu(alpha: 1) : LayerSpec(activationName: name)!
    default:
      throw fail(token, "is not a layer (known: conv, maxpool, avgpool, batchnorm, layernorm, dropout, flatten, linear, relu, tanh, sigmoid, gelu, silu, elu, leakyrelu)")
    }
    do { try spec.validate() } catch let TensorError.invalidArgument(_, message) {
      throw fail(token, "for input shape \(shape): \(message)")
    }
    return spec
  }

  static func square(_ n: Int) -> Size2D { Size2D(n, n) }

  static func int0(_ text: String, _ token: String) throws -> Int {
    guard let v = Int(text), v >= 0 else { throw fail(token, "needs a padding ≥ 0 or 'same', got \(text)") }
    guard v <= maximumSize else { throw fail(token, "has padding \(v), more than \(maximumSize)") }
    return v
  }
}
